//! The `tracing` and `metrics` features: the shared observability suite
//! on the blocking client.
//! `cargo test -p gibson-blocking --features tracing,metrics`.
#![cfg(all(feature = "tracing", feature = "metrics"))]

gibson_test_support::suite!(observe, client: gibson_blocking, runtimes: [blocking]);
