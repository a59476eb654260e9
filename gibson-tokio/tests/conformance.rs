//! The shared conformance suite, on tokio.

gibson_test_support::suite!(conformance, client: gibson_tokio, runtimes: [tokio]);
