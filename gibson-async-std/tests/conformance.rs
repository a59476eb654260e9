//! The shared conformance suite, run twice: under async-std and under smol.

gibson_test_support::suite!(conformance, client: gibson_async_std, runtimes: [async_std, smol]);
