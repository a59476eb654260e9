//! The shared `cached` suite: a `#[concurrent_cached]` function whose store
//! is a Gibson namespace, cleared with one MDEL.

gibson_test_support::suite!(cached, runtimes: [async_std: gibson_async_std, smol: gibson_async_std::smol]);
