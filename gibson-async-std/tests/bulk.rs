//! Bulk pipelining on one connection (the shared workload), run twice: under async-std and under smol (its
//! drivers on smol's executor).

gibson_test_support::suite!(
    bulk,
    runtimes: [async_std: gibson_async_std, smol: gibson_async_std::smol]
);
