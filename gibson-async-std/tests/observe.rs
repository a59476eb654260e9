//! The `tracing` and `metrics` features: the shared observability suite
//! under async-std and smol.
//! `cargo test -p gibson-async-std --features tracing,metrics`.
#![cfg(all(feature = "tracing", feature = "metrics"))]

gibson_test_support::suite!(
    observe,
    runtimes: [async_std: gibson_async_std, smol: gibson_async_std::smol]
);
