//! The shared conformance suite, on the blocking client.

gibson_test_support::suite!(conformance, client: gibson_blocking, runtimes: [blocking]);
