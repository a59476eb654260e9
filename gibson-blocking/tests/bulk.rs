//! Bulk pipelining on one connection (the shared workload), on the
//! blocking client: explicit pipelines of 2 000 requests.

gibson_test_support::suite!(bulk, client: gibson_blocking, runtimes: [blocking]);
