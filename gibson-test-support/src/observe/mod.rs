//! The observability suite (feature `observe`): the spans and metrics of a
//! client built with its `tracing` and `metrics` features, written once as
//! `async fn`s generic over the client ([`SuiteClient`]) and stamped, one
//! `#[test]` per function, for every runtime crate by
//! [`suite!`](crate::suite!):
//!
//! ```ignore
//! gibson_test_support::suite!(observe, client: gibson_tokio, runtimes: [tokio]);
//! gibson_test_support::suite!(observe, client: gibson_blocking, runtimes: [blocking]);
//! ```
//!
//! The async pool's scenario is here too ([`pools_have_metrics`]); the
//! blocking client's own (its checkout pool, `run_all`) are in
//! [`blocking`].
//!
//! The spans are recorded by a `tracing_subscriber::Layer` of the test's
//! thread ([`RecordSpans`]), the metrics by one `DebuggingRecorder` for the
//! process ([`series`]); what is expected of them is in [`checks`]. The
//! scenarios that inject faults go through a [`Proxy`], so
//! their series are their own; the others run against the test server
//! (the real one when `GIBSON_TEST_ADDR` names it).

pub mod batches;
pub mod blocking;
pub mod checks;
mod metrics;
pub mod namespaces;
mod spans;

use std::time::Duration;

use gibson_policy::{Config, RetryPolicy};
use gibson_proto::{AsyncCommands as _, Error, Ttl};

use crate::client::{AsyncClient, SuiteClient, SuiteNamespace};
use crate::runtime::Runtime;
use crate::{proxied, Faults, Proxy, TestServer};

pub use metrics::{counted, install_recorder, series, MetricsTest, Series};
pub use spans::{RecordSpans, SpanRecord};

/// The proxy's port (it listens on `127.0.0.1`).
pub fn proxy_port(proxy: &crate::Proxy) -> u16 {
    match proxy.addr() {
        gibson_policy::Addr::Tcp { port, .. } => port,
        gibson_policy::Addr::Unix(path) => panic!("a proxy on {}", path.display()),
    }
}

/// Stamps a `#[test]` per scenario, each running it with `$run` (a
/// `block_on`) on the client type `$client`: an async connection on the
/// runtime `$rt`, or a blocking one behind
/// [`Blocking`](crate::client::Blocking).
#[doc(hidden)]
#[macro_export]
macro_rules! __observe_tests {
    (async $rt:ty, $run:expr, $client:ty) => {
        $crate::__observe_tests!(@every $run, $client);
        $crate::__tests!($run, [$rt, $client], observe: pools_have_metrics);
    };
    (blocking, $run:expr, $client:ty) => {
        $crate::__observe_tests!(@every $run, $client);
        $crate::__tests!(sync, observe::blocking: a_stream_is_a_batch, pools_have_metrics);
    };
    (@every $run:expr, $client:ty) => {
        $crate::__tests!($run, [$client], observe::batches: a_pipeline_counts_its_failed_commands);
        $crate::__tests!($run, [$client], observe::namespaces: namespace_methods_carry_its_label);
        $crate::__tests!($run, [$client], observe:
            a_command_has_a_span_with_the_database_fields,
            a_pipeline_has_a_batch_span,
            a_timeout_and_a_reconnect_are_on_their_spans,
            operations_have_metrics,
        );
    };
}

/// SET, GET, DEL: a span each, with the database fields.
pub async fn a_command_has_a_span_with_the_database_fields<C: SuiteClient>() {
    let server = TestServer::start();
    let spans = RecordSpans::start();
    let conn = C::connect(server.config()).await.unwrap();
    let p = crate::unique_prefix("obs-cmd");
    conn.set(format!("{p}k"), "v", Ttl::Never).await.unwrap();
    let got = conn.get::<String>(format!("{p}k")).await.unwrap();
    assert_eq!(got.as_deref(), Some("v"));
    conn.del(format!("{p}k")).await.unwrap();
    checks::commands_have_spans(&spans.spans(), server.addr(), &["SET", "GET", "DEL"]);
}

/// Three GETs, a SET and a GET, one GET: a span per pipeline.
pub async fn a_pipeline_has_a_batch_span<C: SuiteClient>() {
    let server = TestServer::start();
    let conn = C::connect(server.config()).await.unwrap();
    let p = crate::unique_prefix("obs-pipe");
    let spans = RecordSpans::start();
    let mut gets = conn.pipeline();
    let a = gets.get::<String>(format!("{p}a"));
    let b = gets.get::<String>(format!("{p}b"));
    let c = gets.get::<String>(format!("{p}c"));
    let mut mixed = conn.pipeline();
    let set = mixed.set(format!("{p}a"), "1", Ttl::Never);
    let got = mixed.get::<String>(format!("{p}a"));
    let mut single = conn.pipeline();
    let again = single.get::<String>(format!("{p}a"));
    let mut results = conn.run(gets).await.unwrap();
    for handle in [a, b, c] {
        assert_eq!(results.take(handle).unwrap(), None);
    }
    let mut results = conn.run(mixed).await.unwrap();
    results.take(set).unwrap();
    assert_eq!(results.take(got).unwrap().as_deref(), Some("1"));
    let mut results = conn.run(single).await.unwrap();
    assert_eq!(results.take(again).unwrap().as_deref(), Some("1"));
    checks::pipelines_have_batch_spans(&spans.spans(), server.addr());
    conn.mdel(&p).await.unwrap();
}

/// Through a proxy: a PING held back past its timeout, then a connection
/// reset and the reconnect after it.
pub async fn a_timeout_and_a_reconnect_are_on_their_spans<C: SuiteClient>() {
    let (_server, proxy) = proxied();
    let spans = RecordSpans::start();
    let config = Config::new(proxy.addr())
        .response_timeout(Duration::from_millis(200))
        .retry(RetryPolicy::Never);
    let conn = C::connect(config).await.unwrap();
    fail_and_reconnect(&conn, &proxy).await;
    checks::failures_and_reconnects_have_spans(&spans.spans());
}

/// Through a proxy (series of their own): GETs, one through a labelled
/// namespace, a PING timeout, a reconnect.
pub async fn operations_have_metrics<C: SuiteClient>() {
    let _turn = install_recorder();
    let (_server, proxy) = proxied();
    let config = Config::new(proxy.addr())
        .response_timeout(Duration::from_millis(200))
        .retry(RetryPolicy::Never);
    let conn = C::connect(config).await.unwrap();
    let p = crate::unique_prefix("obs-metrics");
    conn.set(format!("{p}k"), "v", Ttl::Never).await.unwrap();
    conn.get::<String>(format!("{p}k")).await.unwrap();
    {
        let ns = conn.namespace(&p).unwrap().with_metrics_label("observed");
        let got = ns.get::<String>("k").await.unwrap();
        assert_eq!(got.as_deref(), Some("v"));
    }
    fail_and_reconnect(&conn, &proxy).await;
    conn.mdel(&p).await.unwrap();
    checks::operations_have_metrics(proxy_port(&proxy));
}

/// A PING past its timeout (the proxy holds replies back), then every
/// connection reset and PINGs until one succeeds again.
async fn fail_and_reconnect<C: SuiteClient>(conn: &C, proxy: &Proxy) {
    conn.ping().await.unwrap();
    proxy.set_faults(Faults {
        latency: Duration::from_millis(600),
        ..Faults::default()
    });
    let err = conn.ping().await.unwrap_err();
    assert!(crate::resilience::is_response_timeout(&err), "{err}");
    proxy.set_faults(Faults::default());
    proxy.reset_all();
    let mut tries = 0;
    while conn.ping().await.is_err() {
        tries += 1;
        assert!(tries < 20, "no reconnect after a reset");
    }
    assert!(conn.connects() >= 2, "{}", conn.connects());
}

/// The gauges and wait timeouts of an async pool: one connection with one
/// request in flight at most, through a proxy, checked every 20 ms; a
/// second caller waits out `wait_timeout` behind a slow one.
pub async fn pools_have_metrics<R: Runtime, C: AsyncClient>() {
    let _turn = install_recorder();
    let (_server, proxy) = proxied();
    let mut config = Config::new(proxy.addr());
    config.max_in_flight = 1;
    config.pool.min_size = 1;
    config.pool.max_size = 1;
    config.pool.wait_timeout = Duration::from_millis(50);
    config.pool.health_check_interval = Duration::from_millis(20);
    let pool = gibson_async::Pool::<C::Runtime>::with_config(config)
        .await
        .unwrap();
    R::sleep(Duration::from_millis(100)).await;
    let port = proxy_port(&proxy);
    checks::pool_has_an_idle_connection(port, 1);
    proxy.set_faults(Faults {
        latency: Duration::from_millis(300),
        ..Faults::default()
    });
    let (slow, waiting) = futures::future::join(pool.ping(), async {
        R::sleep(Duration::from_millis(20)).await;
        pool.ping().await
    })
    .await;
    slow.unwrap();
    let err = waiting.unwrap_err();
    assert!(matches!(err, Error::PoolExhausted { .. }), "{err}");
    checks::pool_wait_ran_out(port);
}
