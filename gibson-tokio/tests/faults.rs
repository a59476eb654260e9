//! The shared fault scenarios, on tokio.

gibson_test_support::suite!(faults, client: gibson_tokio, runtimes: [tokio]);
