//! The stampede guard's shared scenarios (gibson-test-support's
//! `compute`): stale-while-refresh and failing open, under async-std and
//! under smol (its drivers on smol's executor).

gibson_test_support::suite!(compute, runtimes: [async_std: gibson_async_std, smol: gibson_async_std::smol]);
