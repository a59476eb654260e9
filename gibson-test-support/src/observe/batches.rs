//! The observability scenarios of batches: a pipeline some of whose
//! commands fail, and the blocking client's `run_all` stream.

/// The batch scenarios, for an async client or the blocking one.
#[doc(hidden)]
#[macro_export]
macro_rules! __observe_batches {
    (async, $($client:ident)::+) => {
        $crate::__observe_batches!(@ $($client)::+ (async) (<R: $crate::runtime::Runtime>) (.await) AsyncCommands);
    };
    (blocking, $($client:ident)::+) => {
        $crate::__observe_batches!(@ $($client)::+ () () () Commands);
        $crate::__observe_stream!($($client)::+);
    };
    (@ $($client:ident)::+ ($($async:tt)*) ($($generic:tt)*) ($($aw:tt)*) $commands:ident) => {
        /// The spans of pipelines.
        pub(crate) mod observe_batches {
            use $crate::observe::{checks, RecordSpans};
            use $($client)::+::{Connection, Error, Ttl, $commands as _};

            /// A pipeline of a hit, a miss, a SET of a locked key and a hit
            /// (one failure: a miss is no failure), then one of two hits.
            pub(crate) $($async)* fn a_pipeline_counts_its_failed_commands $($generic)* () {
                let server = $crate::TestServer::start();
                #[allow(unused_mut)]
                let mut conn = Connection::with_config(server.config())$($aw)*.unwrap();
                let p = $crate::unique_prefix("obs-failed");
                let (hit, locked) = (format!("{p}hit"), format!("{p}locked"));
                conn.set(&hit, "1", Ttl::Never)$($aw)*.unwrap();
                conn.set(&locked, "1", Ttl::Never)$($aw)*.unwrap();
                assert!(conn.lock(&locked, 30)$($aw)*.unwrap());
                let spans = RecordSpans::start();
                let mut mixed = conn.pipeline();
                let first = mixed.get::<String>(&hit);
                let missing = mixed.get::<String>(format!("{p}missing"));
                let refused = mixed.set(&locked, "2", Ttl::Never);
                let second = mixed.get::<String>(&hit);
                let mut hits = conn.pipeline();
                let third = hits.get::<String>(&hit);
                let fourth = hits.get::<String>(&hit);
                let mut results = conn.run(mixed)$($aw)*.unwrap();
                assert_eq!(results.take(first).unwrap().as_deref(), Some("1"));
                assert_eq!(results.take(missing).unwrap(), None);
                let err = results.take(refused).unwrap_err();
                assert!(matches!(err, Error::Server { .. }), "{err}");
                assert_eq!(results.take(second).unwrap().as_deref(), Some("1"));
                let mut results = conn.run(hits)$($aw)*.unwrap();
                assert_eq!(results.take(third).unwrap().as_deref(), Some("1"));
                assert_eq!(results.take(fourth).unwrap().as_deref(), Some("1"));
                checks::failed_commands_are_counted(&spans.spans(), server.addr());
                conn.unlock(&locked)$($aw)*.unwrap();
                conn.mdel(&p)$($aw)*.unwrap();
            }
        }
    };
}

/// The `run_all` scenario of the blocking client.
#[doc(hidden)]
#[macro_export]
macro_rules! __observe_stream {
    ($($client:ident)::+) => {
        /// The span and metrics of `run_all`.
        pub(crate) mod observe_stream {
            use $crate::observe::{checks, RecordSpans};
            use $($client)::+::{cmd, Commands as _, Config, Connection, Ttl};

            /// Through a proxy (series of its own): three SETs, one of a
            /// locked key; one GET; no command at all.
            pub(crate) fn a_stream_is_a_batch() {
                let _turn = $crate::observe::install_recorder();
                let server = $crate::TestServer::start();
                let proxy = $crate::Proxy::start(server.addr().clone());
                let mut conn = Connection::with_config(Config::new(proxy.addr())).unwrap();
                let p = $crate::unique_prefix("obs-stream");
                let locked = format!("{p}c");
                conn.set(&locked, "0", Ttl::Never).unwrap();
                assert!(conn.lock(&locked, 30).unwrap());
                let spans = RecordSpans::start();
                let sets = ["a", "b", "c"].map(|k| cmd::Set::new(format!("{p}{k}"), "1", Ttl::Never));
                let mut failed = 0;
                let ran = conn.run_all(sets, 2, |_, r| failed += usize::from(r.is_err()));
                assert_eq!((ran.unwrap(), failed), (3, 1));
                let get = [cmd::Get::<String, String>::new(format!("{p}a"))];
                let mut got = None;
                conn.run_all(get, 2, |_, r| got = r.unwrap()).unwrap();
                assert_eq!(got.as_deref(), Some("1"));
                let none = conn.run_all(std::iter::empty::<cmd::Ping>(), 2, |_, _| {});
                assert_eq!(none.unwrap(), 0);
                checks::streams_are_batches(&spans.spans(), &proxy.addr());
                checks::streams_have_metrics($crate::observe::proxy_port(&proxy));
                conn.unlock(&locked).unwrap();
                conn.mdel(&p).unwrap();
            }
        }
    };
}
