//! The shared fault scenarios, on the blocking client.

gibson_test_support::suite!(faults, client: gibson_blocking, runtimes: [blocking]);
