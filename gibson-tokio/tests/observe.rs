//! The `tracing` and `metrics` features: the shared observability suite
//! (OpenTelemetry's fields on the spans of a command, a pipeline, a
//! timeout and a reconnect; operation durations, timeouts, reconnects,
//! pool gauges) under tokio's current-thread and multi-thread runtimes.
//! `cargo test -p gibson-tokio --features tracing,metrics`.
#![cfg(all(feature = "tracing", feature = "metrics"))]

gibson_test_support::suite!(observe, client: gibson_tokio, runtimes: [tokio, tokio_multi_thread]);

/// Hedged reads of a sharded client with copies are counted as
/// `gibson.client.hedges.sent` and `gibson.client.hedges.won`.
#[test]
fn hedges_are_counted_as_metrics() {
    use gibson_test_support::observe::{counted, install_recorder};
    use gibson_test_support::replicas::{run_async, Scenario};
    let _turn = install_recorder();
    let sent = counted("gibson.client.hedges.sent");
    let won = counted("gibson.client.hedges.won");
    run_async::<gibson_test_support::runtime::Tokio, _, _>(Scenario::Hedged, |url| async move {
        gibson_tokio::Sharded::connect(&url).await.unwrap()
    });
    assert!(counted("gibson.client.hedges.sent") > sent);
    assert!(counted("gibson.client.hedges.won") > won);
}
