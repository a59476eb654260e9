//! Bulk pipelining on one connection (the shared workload), run twice: under async-std and under smol.

gibson_test_support::suite!(bulk, client: gibson_async_std, runtimes: [async_std, smol]);
