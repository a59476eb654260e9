//! The failure suite (`gibson_test_support::failures`) on tokio.

gibson_test_support::suite!(failures, client: gibson_tokio, runtimes: [tokio]);
