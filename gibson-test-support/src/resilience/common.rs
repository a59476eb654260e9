//! Resilience scenarios every client runs, the blocking one included: each
//! function is written once and spliced like the conformance suite's tests
//! (`async fn …<R: Runtime>` with `.await` for async clients, a plain `fn`
//! for the blocking one). Where an async client does two things at once,
//! the blocking one does them one after the other.

/// Expands the module `common` and its tests.
#[doc(hidden)]
#[macro_export]
macro_rules! __resilience_common {
    (async, $rt:ty, $($client:ident)::+) => {
        $crate::__resilience_common!(@ $($client)::+ (async) (<R: $crate::runtime::Runtime>) (.await) (R));
        $crate::__resilience_common!(@tests async $rt,);
    };
    (blocking, $($client:ident)::+) => {
        $crate::__resilience_common!(@ $($client)::+ () () () ());
        $crate::__resilience_common!(@tests blocking,);
    };
    (@tests $($mode:tt)*) => {
        $crate::__resilience_tests!($($mode)* common [
            oversized_request_is_refused_before_writing,
            eof_mid_reply_is_reported_and_recovered,
            lazy_connect_and_close_on_last_drop,
        ]);
    };
    (@ $($client:ident)::+ ($($async:tt)*) ($($generic:tt)*) ($($aw:tt)*) ($($r:tt)*)) => {
        /// The scenarios every client runs.
        pub(crate) mod common {
            #[allow(unused_imports)]
            use $crate::__reexport::{AsyncCommands, Commands};
            use std::time::Duration;
            use $($client)::+::{Config, Connection, Error, RetryPolicy, Ttl, Value};

            /// A value over the limit is refused before anything is written,
            /// and so is a request over the request limit.
            pub(crate) $($async)* fn oversized_request_is_refused_before_writing $($generic)* () {
                let server = $crate::TestServer::start();
                #[allow(unused_mut)]
                let mut conn = Connection::with_config(server.config())$($aw)*.unwrap();
                let p = $crate::unique_prefix("bigreq");
                let big = vec![b'x'; 3 * 1024 * 1024];
                let (small, huge) = $crate::__both!(($($r)*)
                    conn.set(format!("{p}small"), "ok", Ttl::Never),
                    conn.set(format!("{p}big"), &big[..], Ttl::Never)
                );
                assert_eq!(small.unwrap(), Value::from("ok"));
                match huge.unwrap_err() {
                    Error::InvalidArgument { arg, rule } => {
                        assert_eq!(arg, "value", "{rule}");
                    }
                    other => panic!("{other}"),
                }
                // A request that passes the value limit but not the request limit.
                let mut limits = $crate::__reexport::Limits::default();
                limits.max_request_size = 1024;
                #[allow(unused_mut)]
                let mut tight = Connection::with_config(server.config().limits(limits))$($aw)*.unwrap();
                let err = tight.set(format!("{p}mid"), &big[..2000], Ttl::Never)$($aw)*.unwrap_err();
                assert!(matches!(err, Error::InvalidArgument { arg: "request", .. }), "{err}");
                tight.ping()$($aw)*.unwrap();
                assert_eq!(conn.connects(), 1);
                assert_eq!(tight.connects(), 1);
                conn.mdel(&p)$($aw)*.unwrap();
            }

            /// The connection closes in the middle of a reply: that request
            /// fails, and the next one reconnects and gets its own reply.
            pub(crate) $($async)* fn eof_mid_reply_is_reported_and_recovered $($generic)* () {
                let server = $crate::TestServer::start();
                let proxy = $crate::Proxy::start(server.addr().clone());
                let config = Config::new(proxy.addr()).retry(RetryPolicy::Never);
                #[allow(unused_mut)]
                let mut conn = Connection::with_config(config)$($aw)*.unwrap();
                let p = $crate::unique_prefix("eof");
                conn.set(format!("{p}k"), "0123456789", Ttl::Never)$($aw)*.unwrap();
                // Cut the GET reply after 5 of its bytes.
                proxy.set_faults($crate::Faults {
                    close_after_reply_bytes: Some(5),
                    ..$crate::Faults::default()
                });
                let err = conn.get::<String>(format!("{p}k"))$($aw)*.unwrap_err();
                assert!(matches!(err.root(), Error::ConnectionClosed { in_reply: true }), "{err}");
                proxy.set_faults($crate::Faults::default());
                assert_eq!(
                    conn.get::<String>(format!("{p}k"))$($aw)*.unwrap().as_deref(),
                    Some("0123456789")
                );
                conn.del(format!("{p}k"))$($aw)*.unwrap();
            }

            /// A lazy handle connects on first use; dropping the last handle
            /// closes the socket. A proxy in front of the server counts the
            /// open connections, so that other clients of a shared server do
            /// not count.
            pub(crate) $($async)* fn lazy_connect_and_close_on_last_drop $($generic)* () {
                let server = $crate::TestServer::start();
                let proxy = $crate::Proxy::start(server.addr().clone());
                #[allow(unused_mut)]
                let mut lazy = Connection::lazy(Config::new(proxy.addr())).unwrap();
                assert!(!lazy.is_connected());
                assert_eq!(proxy.connections(), 0, "a lazy handle connects on first use");
                $crate::__ping_from_another_task!(($($r)*) lazy).unwrap();
                assert!(lazy.is_connected());
                assert_eq!(lazy.connects(), 1);
                assert_eq!((proxy.connections(), proxy.open_connections()), (1, 1));
                drop(lazy);
                let mut open = 1;
                for _ in 0..200 {
                    open = proxy.open_connections();
                    if open == 0 {
                        break;
                    }
                    $crate::__sleep!(($($r)*) Duration::from_millis(10));
                }
                assert_eq!(open, 0, "the dropped connection's socket is still open");
            }
        }
    };
}

/// Both results: polled together (async, runtime `R`) or one after the
/// other (blocking).
#[doc(hidden)]
#[macro_export]
macro_rules! __both {
    (() $a:expr, $b:expr) => {
        ($a, $b)
    };
    (($r:ident) $a:expr, $b:expr) => {
        $crate::__reexport::join($a, $b).await
    };
}

/// Sleeps `d`: on runtime `R`'s timer, or blocking the thread.
#[doc(hidden)]
#[macro_export]
macro_rules! __sleep {
    (() $d:expr) => {
        ::std::thread::sleep($d)
    };
    (($r:ident) $d:expr) => {
        <$r as $crate::runtime::Runtime>::sleep($d).await
    };
}

/// PINGs with `conn`: from a clone in a task of its own (async, runtime
/// `R`), or with `conn` itself (blocking).
#[doc(hidden)]
#[macro_export]
macro_rules! __ping_from_another_task {
    (() $conn:ident) => {
        $conn.ping()
    };
    (($r:ident) $conn:ident) => {{
        let clone = $conn.clone();
        <$r as $crate::runtime::Runtime>::spawn(async move { clone.ping().await }).await
    }};
}
