//! The conformance suite: behavioural tests written once and expanded for
//! every runtime crate, so that they cannot drift apart.
//!
//! ```ignore
//! // gibson-tokio/tests/conformance.rs
//! fn run<F: std::future::Future>(f: F) -> F::Output {
//!     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
//! }
//! gibson_test_support::conformance_suite!(async, run: run,
//!     connect: |config| gibson_tokio::Connection::with_config(config).await);
//!
//! // gibson-blocking/tests/conformance.rs
//! gibson_test_support::conformance_suite!(blocking,
//!     connect: |config| gibson_blocking::Connection::with_config(config));
//! ```
//!
//! The connection type must have the generated command methods, `connects()`,
//! `pipeline()` and `run(pipeline)`. Each test uses [`TestServer::start`]
//! (so `GIBSON_TEST_ADDR` is honoured) and unique key prefixes.
//!
//! [`TestServer::start`]: crate::TestServer::start

/// Identity: lets blocking tests share the async tests' shape.
pub fn run_blocking<T>(t: T) -> T {
    t
}

/// Expands the conformance tests; see the [module docs](self).
#[macro_export]
macro_rules! conformance_suite {
    (@tests ($run:path) ($($wrap:tt)*) ($($aw:tt)*) |$cfg:ident| $connect:expr) => {
        use $crate::__reexport::{Bytes, Error, LockTime, MetaField, ServerError, Ttl, Value};

        $crate::__suite_clients!(($run) ($($wrap)*) |$cfg| $connect);

        connected_test!(fn set_get_del(c) {
            let p = $crate::unique_prefix("sgd");
            let k = format!("{p}k");
            assert_eq!(c.set(&k, "hello world", Ttl::Never)$($aw)*.unwrap(), Value::from("hello world"));
            assert_eq!(c.get::<String>(&k)$($aw)*.unwrap().as_deref(), Some("hello world"));
            assert_eq!(c.get::<Bytes>(&k)$($aw)*.unwrap(), Some(Bytes::from_static(b"hello world")));
            assert_eq!(c.get::<Vec<u8>>(format!("{p}absent"))$($aw)*.unwrap(), None);
            assert!(c.del(&k)$($aw)*.unwrap());
            assert!(!c.del(&k)$($aw)*.unwrap());
            assert_eq!(c.get::<String>(&k)$($aw)*.unwrap(), None);
        });

        connected_test!(fn binary_values_round_trip(c) {
            let p = $crate::unique_prefix("bin");
            let value: Vec<u8> = (0..=255u8).chain([0, 32, 0]).collect();
            c.set(format!("{p}b"), &value[..], Ttl::Never)$($aw)*.unwrap();
            assert_eq!(c.get::<Vec<u8>>(format!("{p}b"))$($aw)*.unwrap(), Some(value));
            // Above the server's 4 KiB compression threshold.
            let big: Vec<u8> = (0..100_000u32).map(|i| (i % 7) as u8).collect();
            c.set(format!("{p}big"), &big[..], Ttl::Never)$($aw)*.unwrap();
            assert_eq!(c.get::<Vec<u8>>(format!("{p}big"))$($aw)*.unwrap(), Some(big));
            assert_eq!(c.meta(format!("{p}big"), MetaField::Encoding)$($aw)*.unwrap(), Some(1));
        });

        connected_test!(fn ttl_and_meta(c) {
            let p = $crate::unique_prefix("ttl");
            let k = format!("{p}k");
            c.set(&k, "v", Ttl::Seconds(100))$($aw)*.unwrap();
            assert_eq!(c.meta(&k, MetaField::Ttl)$($aw)*.unwrap(), Some(100));
            let left = c.meta(&k, MetaField::Left)$($aw)*.unwrap().unwrap();
            assert!((98..=100).contains(&left), "left {left}");
            assert!(c.ttl(&k, Ttl::Seconds(500))$($aw)*.unwrap());
            assert_eq!(c.meta(&k, MetaField::Ttl)$($aw)*.unwrap(), Some(500));
            assert!(!c.ttl(format!("{p}absent"), Ttl::Seconds(5))$($aw)*.unwrap());
            c.set(&k, "v", Ttl::Never)$($aw)*.unwrap();
            assert_eq!(c.meta(&k, MetaField::Ttl)$($aw)*.unwrap(), Some(-1));
            assert_eq!(c.meta(&k, MetaField::Size)$($aw)*.unwrap(), Some(1));
            assert_eq!(c.meta(&k, MetaField::Encoding)$($aw)*.unwrap(), Some(0));
            assert_eq!(c.meta(&k, MetaField::Lock)$($aw)*.unwrap(), Some(0));
            let created = c.meta(&k, MetaField::Created)$($aw)*.unwrap().unwrap();
            let access = c.meta(&k, MetaField::Access)$($aw)*.unwrap().unwrap();
            assert!(created > 1_600_000_000 && access >= created, "{created} {access}");
            assert_eq!(c.meta(format!("{p}absent"), MetaField::Size)$($aw)*.unwrap(), None);
        });

        connected_test!(fn ttls_the_server_stores_in_16_bits(c) {
            let p = $crate::unique_prefix("ttl16");
            let k = format!("{p}k");
            // Gibson 1.2.1 would store 65537 as 1 and 40000 as a negative
            // TTL: refused before anything is written.
            for secs in [65_537, 40_000, 32_768] {
                for err in [
                    c.set(&k, "v", Ttl::Seconds(secs))$($aw)*.unwrap_err(),
                    c.ttl(&k, Ttl::Seconds(secs))$($aw)*.unwrap_err(),
                    c.mttl(&p, Ttl::Seconds(secs))$($aw)*.unwrap_err(),
                ] {
                    assert!(
                        matches!(&err, Error::InvalidArgument { arg: "ttl", rule } if rule.contains("16 bits")),
                        "{err}"
                    );
                }
            }
            assert_eq!(c.get::<String>(&k)$($aw)*.unwrap(), None);
            c.set(&k, "v", Ttl::Seconds(32_767))$($aw)*.unwrap();
            assert_eq!(c.meta(&k, MetaField::Ttl)$($aw)*.unwrap(), Some(32_767));
            // Lock times are 64-bit on the server.
            assert!(c.lock(&k, LockTime::Seconds(4_294_967_296))$($aw)*.unwrap());
            assert_eq!(c.meta(&k, MetaField::Lock)$($aw)*.unwrap(), Some(4_294_967_296));
            assert!(c.unlock(&k)$($aw)*.unwrap());
            assert!(c.del(&k)$($aw)*.unwrap());
            assert_eq!(c.connects(), 1);
        });

        connected_test!(fn mget_over_just_expired_items_returns_the_live_ones(c) {
            let p = $crate::unique_prefix("short");
            // Gibson 1.2.1 answers an MGET that meets expired, unswept
            // items with a KVAL shorter than its count; the client
            // sends it again and returns the live pairs.
            for sub in ["alone:", "piped:"] {
                c.set(format!("{p}{sub}a"), "1", Ttl::Seconds(1))$($aw)*.unwrap();
                c.set(format!("{p}{sub}b"), "2", Ttl::Never)$($aw)*.unwrap();
                c.set(format!("{p}{sub}c"), "3", Ttl::Never)$($aw)*.unwrap();
            }
            std::thread::sleep(std::time::Duration::from_millis(2_200));
            let live = |sub: &str| vec![
                (format!("{p}{sub}b"), "2".to_string()),
                (format!("{p}{sub}c"), "3".to_string()),
            ];
            let mut got: Vec<(String, String)> = c.mget(format!("{p}alone:"))$($aw)*.unwrap();
            got.sort();
            assert_eq!(got, live("alone:"));
            // In the middle of a pipeline: the requests around it succeed.
            let mut pipe = c.pipeline();
            let before = pipe.get::<String>(format!("{p}alone:b"));
            let mget = pipe.mget::<String, String>(format!("{p}piped:"));
            let after = pipe.inc(format!("{p}n"));
            let mut results = c.run(pipe)$($aw)*.unwrap();
            assert_eq!(results.take(before).unwrap().as_deref(), Some("2"));
            let mut got = results.take(mget).unwrap();
            got.sort();
            assert_eq!(got, live("piped:"));
            assert_eq!(results.take(after).unwrap(), 1);
            assert_eq!(c.connects(), 1, "the connection was never reset");
        });

        connected_test!(fn counters(c) {
            let p = $crate::unique_prefix("ctr");
            // INC and DEC both create an absent key as 1 (server quirk).
            assert_eq!(c.inc(format!("{p}a"))$($aw)*.unwrap(), 1);
            assert_eq!(c.inc(format!("{p}a"))$($aw)*.unwrap(), 2);
            assert_eq!(c.dec(format!("{p}b"))$($aw)*.unwrap(), 1);
            assert_eq!(c.dec(format!("{p}b"))$($aw)*.unwrap(), 0);
            assert_eq!(c.get::<i64>(format!("{p}a"))$($aw)*.unwrap(), Some(2));
            assert_eq!(c.meta(format!("{p}a"), MetaField::Encoding)$($aw)*.unwrap(), Some(2));
            c.set(format!("{p}n"), "41", Ttl::Never)$($aw)*.unwrap();
            assert_eq!(c.inc(format!("{p}n"))$($aw)*.unwrap(), 42);
            c.set(format!("{p}t"), "text", Ttl::Never)$($aw)*.unwrap();
            let err = c.inc(format!("{p}t"))$($aw)*.unwrap_err();
            assert_eq!(err.server_error(), Some(ServerError::Nan), "{err}");
            c.ping()$($aw)*.unwrap();
        });

        connected_test!(fn locks(c) {
            let p = $crate::unique_prefix("lock");
            let k = format!("{p}k");
            c.set(&k, "v", Ttl::Never)$($aw)*.unwrap();
            assert!(c.lock(&k, 60)$($aw)*.unwrap());
            assert_eq!(c.meta(&k, MetaField::Lock)$($aw)*.unwrap(), Some(60));
            let errors = vec![
                c.set(&k, "w", Ttl::Never)$($aw)*.map(|_| ()).unwrap_err(),
                c.del(&k)$($aw)*.map(|_| ()).unwrap_err(),
                c.inc(&k)$($aw)*.map(|_| ()).unwrap_err(),
                c.lock(&k, 5)$($aw)*.map(|_| ()).unwrap_err(),
            ];
            for err in errors {
                assert!(err.is_locked(), "{err}");
            }
            assert_eq!(c.get::<String>(&k)$($aw)*.unwrap().as_deref(), Some("v"));
            assert!(c.unlock(&k)$($aw)*.unwrap());
            assert!(c.unlock(&k)$($aw)*.unwrap(), "UNLOCK of an unlocked item is OK");
            assert!(!c.unlock(format!("{p}absent"))$($aw)*.unwrap());
            assert!(!c.lock(format!("{p}absent"), 5)$($aw)*.unwrap());
            assert!(c.lock(&k, LockTime::UntilUnlock)$($aw)*.unwrap());
            assert_eq!(c.meta(&k, MetaField::Lock)$($aw)*.unwrap(), Some(-1));
            assert!(c.del(&k)$($aw)*.unwrap_err().is_locked());
            c.unlock(&k)$($aw)*.unwrap();
            assert!(c.del(&k)$($aw)*.unwrap());
        });

        connected_test!(fn multi_key_commands(c) {
            let p = $crate::unique_prefix("multi");
            for (k, v) in [("a", "1"), ("b", "2"), ("c", "x")] {
                c.set(format!("{p}{k}"), v, Ttl::Never)$($aw)*.unwrap();
            }
            assert_eq!(c.count(&p)$($aw)*.unwrap(), 3);
            assert_eq!(c.count(format!("{p}zzz"))$($aw)*.unwrap(), 0);
            let mut pairs: Vec<(String, String)> = c.mget(&p)$($aw)*.unwrap();
            pairs.sort();
            let want: Vec<(String, String)> = [("a", "1"), ("b", "2"), ("c", "x")]
                .iter()
                .map(|(k, v)| (format!("{p}{k}"), v.to_string()))
                .collect();
            assert_eq!(pairs, want);
            assert_eq!(c.mget_limit::<String, String>(&p, 2)$($aw)*.unwrap().len(), 2);
            assert!(c.mget::<Bytes, Bytes>(format!("{p}none"))$($aw)*.unwrap().is_empty());
            let mut keys: Vec<String> = c.keys(&p)$($aw)*.unwrap();
            keys.sort();
            assert_eq!(keys, want.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>());
            assert!(c.keys::<String>(format!("{p}none"))$($aw)*.unwrap().is_empty());
            // MINC / MDEC touch the numeric ones only.
            assert_eq!(c.minc(&p)$($aw)*.unwrap(), 2);
            assert_eq!(c.get::<i64>(format!("{p}b"))$($aw)*.unwrap(), Some(3));
            assert_eq!(c.mdec(&p)$($aw)*.unwrap(), 2);
            assert_eq!(c.get::<i64>(format!("{p}b"))$($aw)*.unwrap(), Some(2));
            assert_eq!(c.mttl(&p, Ttl::Seconds(1000))$($aw)*.unwrap(), 3);
            assert_eq!(c.meta(format!("{p}a"), MetaField::Ttl)$($aw)*.unwrap(), Some(1000));
            assert_eq!(c.mttl(format!("{p}none"), Ttl::Seconds(10))$($aw)*.unwrap(), 0);
            // Locked items are skipped by MSET and MDEL.
            assert_eq!(c.mlock(&p, 60)$($aw)*.unwrap(), 3);
            assert_eq!(c.mset(&p, "new")$($aw)*.unwrap(), 0);
            assert_eq!(c.mdel(&p)$($aw)*.unwrap(), 0);
            assert_eq!(c.munlock(&p)$($aw)*.unwrap(), 3);
            assert_eq!(c.mset(&p, "new")$($aw)*.unwrap(), 3);
            assert_eq!(c.get::<String>(format!("{p}c"))$($aw)*.unwrap().as_deref(), Some("new"));
            assert_eq!(c.mset(format!("{p}none"), "x")$($aw)*.unwrap(), 0);
            assert_eq!(c.mdel(&p)$($aw)*.unwrap(), 3);
            assert_eq!(c.count(&p)$($aw)*.unwrap(), 0);
            assert_eq!(c.mdel(&p)$($aw)*.unwrap(), 0);
        });

        connected_test!(fn stats_ping_end(c) {
            c.ping()$($aw)*.unwrap();
            let stats = c.stats()$($aw)*.unwrap();
            assert!(!stats.server_version.is_empty());
            assert!(stats.total_requests >= 1, "{stats:?}");
            assert!(stats.raw.len() >= 27, "{} pairs", stats.raw.len());
            // END: OK, then the server closes; the next request reconnects.
            c.end()$($aw)*.unwrap();
            c.ping()$($aw)*.unwrap();
            assert_eq!(c.connects(), 2);
        });

        connected_test!(fn invalid_arguments_never_touch_the_connection(c) {
            let p = $crate::unique_prefix("inval");
            let k = format!("{p}k");
            c.set(&k, "v", Ttl::Never)$($aw)*.unwrap();
            let errors = vec![
                (c.get::<String>("")$($aw)*.map(|_| ()).unwrap_err(), "key"),
                (c.get::<String>("a b")$($aw)*.map(|_| ()).unwrap_err(), "key"),
                (c.get::<String>("a\0b")$($aw)*.map(|_| ()).unwrap_err(), "key"),
                (c.set(&k, "", Ttl::Never)$($aw)*.map(|_| ()).unwrap_err(), "value"),
                (c.set(&k, "v", Ttl::Seconds(0))$($aw)*.map(|_| ()).unwrap_err(), "ttl"),
                (c.count("")$($aw)*.map(|_| ()).unwrap_err(), "prefix"),
                (c.mget_limit::<Bytes, Bytes>(&p, 0)$($aw)*.map(|_| ()).unwrap_err(), "limit"),
                (c.set(&k, &vec![b'x'; 3 << 20][..], Ttl::Never)$($aw)*.map(|_| ()).unwrap_err(), "value"),
            ];
            for (err, arg) in errors {
                match err {
                    Error::InvalidArgument { arg: got, .. } => assert_eq!(got, arg),
                    other => panic!("expected InvalidArgument({arg}), got {other}"),
                }
            }
            assert_eq!(c.get::<String>(&k)$($aw)*.unwrap().as_deref(), Some("v"));
            assert_eq!(c.connects(), 1);
        });

        suite_test!(fn request_over_max_request_size_is_refused() {
            let server = $crate::TestServer::start();
            let mut limits = $crate::__reexport::Limits::default();
            limits.max_request_size = 1024;
            #[allow(unused_mut)]
            let mut c = client!(server.config().limits(limits));
            let p = $crate::unique_prefix("bigreq");
            let err = c.set(format!("{p}k"), &vec![b'x'; 2000][..], Ttl::Never)$($aw)*.unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { arg: "request", .. }), "{err}");
            c.ping()$($aw)*.unwrap();
            assert_eq!(c.connects(), 1);
        });

        suite_test!(fn reply_over_the_client_limit_is_a_protocol_error_and_resets() {
            let server = $crate::TestServer::start();
            let p = $crate::unique_prefix("bigreply");
            let mut limits = $crate::__reexport::Limits::default();
            limits.max_reply_size = 1024;
            #[allow(unused_mut)]
            let mut plain = client!(server.config());
            plain.set(format!("{p}big"), &vec![b'y'; 4000][..], Ttl::Never)$($aw)*.unwrap();
            #[allow(unused_mut)]
            let mut c = client!(server.config().limits(limits).retry($crate::__reexport::RetryPolicy::Never));
            let err = c.get::<Vec<u8>>(format!("{p}big"))$($aw)*.unwrap_err();
            assert!(
                matches!(err.root(), Error::Protocol($crate::__reexport::ProtocolError::FrameTooLarge { .. })),
                "{err}"
            );
            c.ping()$($aw)*.unwrap();
            assert_eq!(c.connects(), 2);
            plain.mdel(&p)$($aw)*.unwrap();
        });

        connected_test!(fn pipeline_many_commands_one_write(c) {
            let p = $crate::unique_prefix("pipe");
            let mut pipe = c.pipeline();
            let set = pipe.set(format!("{p}a"), "1", Ttl::Never);
            let inc = pipe.inc(format!("{p}a"));
            let bad = pipe.get::<String>("bad key");
            let get = pipe.get::<i64>(format!("{p}a"));
            let missing = pipe.get::<String>(format!("{p}missing"));
            let del = pipe.del(format!("{p}missing"));
            let many: Vec<_> = (0..500).map(|i| pipe.set(format!("{p}m{i}"), i, Ttl::Never)).collect();
            let mut results = c.run(pipe)$($aw)*.unwrap();
            assert_eq!(results.take(set).unwrap(), Value::from("1"));
            assert_eq!(results.take(inc).unwrap(), 2);
            assert!(matches!(results.take(bad), Err(Error::InvalidArgument { .. })));
            assert_eq!(results.take(get).unwrap(), Some(2));
            assert_eq!(results.take(missing).unwrap(), None);
            assert!(!results.take(del).unwrap());
            for (i, h) in many.into_iter().enumerate() {
                assert_eq!(results.take(h).unwrap(), Value::Bytes(Bytes::from(i.to_string())));
            }
            assert_eq!(c.count(format!("{p}m"))$($aw)*.unwrap(), 500);
        });

        #[cfg(unix)]
        suite_test!(fn unix_socket() {
            let server = $crate::TestServer::start_unix();
            #[allow(unused_mut)]
            let mut c = client!(server.config());
            let p = $crate::unique_prefix("unix");
            c.set(format!("{p}k"), "v", Ttl::Never)$($aw)*.unwrap();
            assert_eq!(c.get::<String>(format!("{p}k"))$($aw)*.unwrap().as_deref(), Some("v"));
        });

        suite_test!(fn connection_refused_is_a_clear_io_error() {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let $cfg: $crate::__reexport::Config =
                format!("gibson://127.0.0.1:{port}?attempts=2&backoff=1ms").parse().unwrap();
            let err = $connect.map(|_| ()).unwrap_err();
            assert!(matches!(err, Error::Io(_)), "{err}");
            assert!(err.to_string().contains("refused"), "{err}");
        });

        #[test]
        fn server_restart_is_recovered_tcp_and_unix() {
            // Unix sockets on Unix targets only.
            for unix in [false, cfg!(unix)] {
                $run($($wrap)* {
                    let mut server = if unix { $crate::TestServer::start_unix() } else { $crate::TestServer::start() };
                    if server.is_external() {
                        return;
                    }
                    let $cfg = server.config();
                    #[allow(unused_mut)]
                    let mut c = $connect.expect("connect");
                    let p = $crate::unique_prefix("restart");
                    c.set(format!("{p}k"), "v", Ttl::Never)$($aw)*.unwrap();
                    assert!(server.stop());
                    // Down: a clear error, not a hang.
                    let err = c.ping()$($aw)*.unwrap_err();
                    assert!(matches!(err, Error::Io(_) | Error::ConnectionClosed { .. }), "{err}");
                    assert!(server.restart());
                    // Recovered without user action; the new server's store is empty.
                    c.ping()$($aw)*.unwrap();
                    assert_eq!(c.get::<String>(format!("{p}k"))$($aw)*.unwrap(), None);
                    assert!(c.connects() >= 2);
                })
            }
        }
    };
    ($($mode:tt)*) => {
        $crate::__suite_modes!(conformance_suite, $($mode)*);
    };
}
