//! The `tracing` and `metrics` features: the shared observability suite
//! (OpenTelemetry's fields on the spans of a command, a pipeline, a
//! timeout and a reconnect; operation durations, timeouts, reconnects,
//! pool gauges) under tokio's current-thread and multi-thread runtimes.
//! `cargo test -p gibson-tokio --features tracing,metrics`.
#![cfg(all(feature = "tracing", feature = "metrics"))]

gibson_test_support::suite!(observe, client: gibson_tokio, runtimes: [tokio, tokio_multi_thread]);
