//! The shared `cached` suite: a `#[concurrent_cached]` function whose store
//! is a Gibson namespace, cleared with one MDEL.

gibson_test_support::suite!(cached, client: gibson_tokio, runtimes: [tokio]);
