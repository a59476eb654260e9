//! The failure suite (`gibson_test_support::failures`) under async-std
//! and under smol.

gibson_test_support::suite!(failures, runtimes: [async_std: gibson_async_std, smol: gibson_async_std::smol]);
