//! Bulk pipelining on one connection (the shared workload), on tokio.

gibson_test_support::suite!(bulk, client: gibson_tokio, runtimes: [tokio]);
