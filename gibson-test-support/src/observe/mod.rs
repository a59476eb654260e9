//! The observability suite (feature `observe`): the spans and metrics of a
//! client built with its `tracing` and `metrics` features, written once
//! and expanded for every runtime crate:
//!
//! ```ignore
//! gibson_test_support::observe_suite!(async, runtime: gibson_test_support::runtime::Tokio, client: gibson_tokio);
//! gibson_test_support::observe_suite!(blocking, client: gibson_blocking);
//! ```
//!
//! The spans are recorded by a `tracing_subscriber::Layer` of the test's
//! thread ([`RecordSpans`]), the metrics by one `DebuggingRecorder` for the
//! process ([`series`]); what is expected of them is in [`checks`]. The
//! scenarios that inject faults go through a [`Proxy`](crate::Proxy), so
//! their series are their own; the others run against the test server
//! (the real one when `GIBSON_TEST_ADDR` names it).

mod batches;
pub mod checks;
mod metrics;
mod namespaces;
mod spans;

pub use metrics::{counted, install_recorder, series, MetricsTest, Series};
pub use spans::{RecordSpans, SpanRecord};

/// The proxy's port (it listens on `127.0.0.1`).
pub fn proxy_port(proxy: &crate::Proxy) -> u16 {
    match proxy.addr() {
        gibson_policy::Addr::Tcp { port, .. } => port,
        gibson_policy::Addr::Unix(path) => panic!("a proxy on {}", path.display()),
    }
}

/// Expands the observability suite; see the [module docs](self).
#[macro_export]
macro_rules! observe_suite {
    (async, runtime: $rt:ty, client: $($client:ident)::+) => {
        $crate::observe_suite!(@ $($client)::+ (async) (<R: $crate::runtime::Runtime>) (.await) (::<R>) AsyncCommands);
        $crate::__observe_pool!(async, $($client)::+);
        $crate::__observe_batches!(async, $($client)::+);
        $crate::__observe_namespaces!(async, $($client)::+);
        $crate::__resilience_tests!(async $rt, observe_batches [a_pipeline_counts_its_failed_commands]);
        $crate::__resilience_tests!(async $rt, observe_namespaces [namespace_methods_carry_its_label]);
        $crate::__resilience_tests!(async $rt, observe [
            a_command_has_a_span_with_the_database_fields,
            a_pipeline_has_a_batch_span,
            a_timeout_and_a_reconnect_are_on_their_spans,
            operations_have_metrics,
        ]);
        $crate::__resilience_tests!(async $rt, observe_pool [pools_have_metrics]);
    };
    (blocking, client: $($client:ident)::+) => {
        $crate::observe_suite!(@ $($client)::+ () () () () Commands);
        $crate::__observe_pool!(blocking, $($client)::+);
        $crate::__observe_batches!(blocking, $($client)::+);
        $crate::__observe_namespaces!(blocking, $($client)::+);
        $crate::__resilience_tests!(blocking, observe_batches [a_pipeline_counts_its_failed_commands]);
        $crate::__resilience_tests!(blocking, observe_stream [a_stream_is_a_batch]);
        $crate::__resilience_tests!(blocking, observe_namespaces [namespace_methods_carry_its_label]);
        $crate::__resilience_tests!(blocking, observe [
            a_command_has_a_span_with_the_database_fields,
            a_pipeline_has_a_batch_span,
            a_timeout_and_a_reconnect_are_on_their_spans,
            operations_have_metrics,
        ]);
        $crate::__resilience_tests!(blocking, observe_pool [pools_have_metrics]);
    };
    (@ $($client:ident)::+ ($($async:tt)*) ($($generic:tt)*) ($($aw:tt)*) ($($turbofish:tt)*) $commands:ident) => {
        /// The spans and metrics of a connection.
        pub(crate) mod observe {
            use std::time::Duration;
            use $crate::observe::{checks, RecordSpans};
            use $($client)::+::{Config, Connection, RetryPolicy, Ttl, $commands as _};

            /// SET, GET, DEL: a span each, with the database fields.
            pub(crate) $($async)* fn a_command_has_a_span_with_the_database_fields $($generic)* () {
                let server = $crate::TestServer::start();
                let spans = RecordSpans::start();
                #[allow(unused_mut)]
                let mut conn = Connection::with_config(server.config())$($aw)*.unwrap();
                let p = $crate::unique_prefix("obs-cmd");
                conn.set(format!("{p}k"), "v", Ttl::Never)$($aw)*.unwrap();
                let got = conn.get::<String>(format!("{p}k"))$($aw)*.unwrap();
                assert_eq!(got.as_deref(), Some("v"));
                conn.del(format!("{p}k"))$($aw)*.unwrap();
                checks::commands_have_spans(&spans.spans(), server.addr(), &["SET", "GET", "DEL"]);
            }

            /// Three GETs, a SET and a GET, one GET: a span per pipeline.
            pub(crate) $($async)* fn a_pipeline_has_a_batch_span $($generic)* () {
                let server = $crate::TestServer::start();
                #[allow(unused_mut)]
                let mut conn = Connection::with_config(server.config())$($aw)*.unwrap();
                let p = $crate::unique_prefix("obs-pipe");
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
                let mut results = conn.run(gets)$($aw)*.unwrap();
                for handle in [a, b, c] {
                    assert_eq!(results.take(handle).unwrap(), None);
                }
                let mut results = conn.run(mixed)$($aw)*.unwrap();
                results.take(set).unwrap();
                assert_eq!(results.take(got).unwrap().as_deref(), Some("1"));
                let mut results = conn.run(single)$($aw)*.unwrap();
                assert_eq!(results.take(again).unwrap().as_deref(), Some("1"));
                checks::pipelines_have_batch_spans(&spans.spans(), server.addr());
                conn.mdel(&p)$($aw)*.unwrap();
            }

            /// Through a proxy: a PING held back past its timeout, then a
            /// connection reset and the reconnect after it.
            pub(crate) $($async)* fn a_timeout_and_a_reconnect_are_on_their_spans $($generic)* () {
                let server = $crate::TestServer::start();
                let proxy = $crate::Proxy::start(server.addr().clone());
                let spans = RecordSpans::start();
                let config = Config::new(proxy.addr())
                    .response_timeout(Duration::from_millis(200))
                    .retry(RetryPolicy::Never);
                #[allow(unused_mut)]
                let mut conn = Connection::with_config(config)$($aw)*.unwrap();
                fail_and_reconnect $($turbofish)* (&mut conn, &proxy)$($aw)*;
                checks::failures_and_reconnects_have_spans(&spans.spans());
            }

            /// Through a proxy (series of their own): GETs, one through a
            /// labelled namespace, a PING timeout, a reconnect.
            pub(crate) $($async)* fn operations_have_metrics $($generic)* () {
                let _turn = $crate::observe::install_recorder();
                let server = $crate::TestServer::start();
                let proxy = $crate::Proxy::start(server.addr().clone());
                let config = Config::new(proxy.addr())
                    .response_timeout(Duration::from_millis(200))
                    .retry(RetryPolicy::Never);
                #[allow(unused_mut)]
                let mut conn = Connection::with_config(config)$($aw)*.unwrap();
                let p = $crate::unique_prefix("obs-metrics");
                conn.set(format!("{p}k"), "v", Ttl::Never)$($aw)*.unwrap();
                conn.get::<String>(format!("{p}k"))$($aw)*.unwrap();
                {
                    #[allow(unused_mut)]
                    let mut ns = conn.namespace(&p).unwrap().with_metrics_label("observed");
                    let got = ns.get::<String>("k")$($aw)*.unwrap();
                    assert_eq!(got.as_deref(), Some("v"));
                }
                fail_and_reconnect $($turbofish)* (&mut conn, &proxy)$($aw)*;
                conn.mdel(&p)$($aw)*.unwrap();
                checks::operations_have_metrics($crate::observe::proxy_port(&proxy));
            }

            /// A PING past its timeout (the proxy holds replies back), then
            /// every connection reset and PINGs until one succeeds again.
            $($async)* fn fail_and_reconnect $($generic)* (conn: &mut Connection, proxy: &$crate::Proxy) {
                conn.ping()$($aw)*.unwrap();
                proxy.set_faults($crate::Faults {
                    latency: Duration::from_millis(600),
                    ..$crate::Faults::default()
                });
                let err = conn.ping()$($aw)*.unwrap_err();
                assert!($crate::resilience::is_response_timeout(&err), "{err}");
                proxy.set_faults($crate::Faults::default());
                proxy.reset_all();
                let mut tries = 0;
                while conn.ping()$($aw)*.is_err() {
                    tries += 1;
                    assert!(tries < 20, "no reconnect after a reset");
                }
                assert!(conn.connects() >= 2, "{}", conn.connects());
            }
        }
    };
}

/// The pool scenario, for an async pool or a blocking one.
#[doc(hidden)]
#[macro_export]
macro_rules! __observe_pool {
    (async, $($client:ident)::+) => {
        /// The gauges and wait timeouts of a pool.
        pub(crate) mod observe_pool {
            use $crate::__reexport::AsyncCommands;
            use std::time::Duration;
            use $crate::runtime::Runtime;
            use $($client)::+::{Config, Pool};

            /// A pool of one connection with one request in flight at most,
            /// through a proxy, checked every 20 ms: a second caller waits
            /// out `wait_timeout` behind a slow one.
            pub(crate) async fn pools_have_metrics<R: Runtime>() {
                let _turn = $crate::observe::install_recorder();
                let server = $crate::TestServer::start();
                let proxy = $crate::Proxy::start(server.addr().clone());
                let mut config = Config::new(proxy.addr());
                config.max_in_flight = 1;
                config.pool.min_size = 1;
                config.pool.max_size = 1;
                config.pool.wait_timeout = Duration::from_millis(50);
                config.pool.health_check_interval = Duration::from_millis(20);
                let pool = Pool::with_config(config).await.unwrap();
                R::sleep(Duration::from_millis(100)).await;
                let port = $crate::observe::proxy_port(&proxy);
                $crate::observe::checks::pool_has_an_idle_connection(port, 1);
                proxy.set_faults($crate::Faults {
                    latency: Duration::from_millis(300),
                    ..$crate::Faults::default()
                });
                let (slow, waiting) = $crate::__reexport::join(pool.ping(), async {
                    R::sleep(Duration::from_millis(20)).await;
                    pool.ping().await
                })
                .await;
                slow.unwrap();
                let err = waiting.unwrap_err();
                assert!(matches!(err, $($client)::+::Error::PoolExhausted { .. }), "{err}");
                $crate::observe::checks::pool_wait_ran_out(port);
            }
        }
    };
    (blocking, $($client:ident)::+) => {
        /// The gauges and wait timeouts of a pool.
        pub(crate) mod observe_pool {
            use $crate::__reexport::Commands;
            use std::time::Duration;
            use $($client)::+::{Config, Pool};

            /// A pool of 1 through a proxy: a connection taken and given
            /// back, then a second caller waits out `wait_timeout`.
            pub(crate) fn pools_have_metrics() {
                let _turn = $crate::observe::install_recorder();
                let server = $crate::TestServer::start();
                let proxy = $crate::Proxy::start(server.addr().clone());
                let mut config = Config::new(proxy.addr());
                config.pool.min_size = 1;
                config.pool.max_size = 1;
                config.pool.wait_timeout = Duration::from_millis(50);
                let pool = Pool::with_config(config).unwrap();
                pool.checkout().unwrap().ping().unwrap();
                let port = $crate::observe::proxy_port(&proxy);
                $crate::observe::checks::pool_has_an_idle_connection(port, 1);
                let held = pool.checkout().unwrap();
                let err = pool.checkout().unwrap_err();
                assert!(matches!(err, $($client)::+::Error::PoolExhausted { .. }), "{err}");
                drop(held);
                $crate::observe::checks::pool_wait_ran_out(port);
            }
        }
    };
}
