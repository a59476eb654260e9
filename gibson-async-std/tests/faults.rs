//! The shared fault scenarios, run twice: under async-std and under smol.

gibson_test_support::suite!(faults, client: gibson_async_std, runtimes: [async_std, smol]);
