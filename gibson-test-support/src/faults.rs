//! The fault-scenario suite: what every runtime crate must do when the
//! network or the server misbehaves. Expanded like the conformance suite:
//!
//! ```ignore
//! gibson_test_support::fault_suite!(blocking,
//!     connect: |config| gibson_blocking::Connection::with_config(config));
//! ```
//!
//! Every scenario sends requests whose keys and values are unique and checks
//! that each request got exactly one outcome, and that every reply is the
//! one its own request asked for.

/// Expands the fault scenarios; see the [module docs](self).
#[macro_export]
macro_rules! fault_suite {
    (@tests ($run:path) ($($wrap:tt)*) ($($aw:tt)*) |$cfg:ident| $connect:expr) => {
        use $crate::__reexport::{Bytes, Config, Error, ProtocolError, RetryPolicy, Ttl};
        use std::time::{Duration, Instant};

        $crate::__suite_clients!(($run) ($($wrap)*) |$cfg| $connect);

        /// Generous bound on any scenario step: failing it means a hang.
        const HANG: Duration = Duration::from_secs(20);

        /// Sets `n` keys with unique values of `size` bytes; returns them.
        fn values(p: &str, n: usize, size: usize) -> Vec<(String, Vec<u8>)> {
            (0..n)
                .map(|i| {
                    let mut v = format!("{p}{i}:").into_bytes();
                    v.resize(size, b'a' + (i % 26) as u8);
                    (format!("{p}{i}"), v)
                })
                .collect()
        }

        /// The test server behind a fault-injecting proxy.
        fn proxied() -> ($crate::TestServer, $crate::Proxy) {
            let server = $crate::TestServer::start();
            let proxy = $crate::Proxy::start(server.addr().clone());
            (server, proxy)
        }

        /// SETs every pair of `kv` on `c`, no TTL.
        macro_rules! store {
            ($c:ident, $kv:expr) => {
                for (k, v) in $kv {
                    $c.set(k, &v[..], Ttl::Never)$($aw)*.unwrap();
                }
            };
        }

        /// Through a proxy, a client that never resends and ten values of
        /// 100 bytes it stored under a fresh prefix named after `tag`, then
        /// `faults` on the proxy: the server, the proxy, the client, the
        /// prefix and the pairs.
        macro_rules! ten_stored {
            ($tag:expr, $faults:expr) => {{
                let (server, proxy) = proxied();
                #[allow(unused_mut)]
                let mut c = client!(Config::new(proxy.addr()).retry(RetryPolicy::Never));
                let p = $crate::unique_prefix($tag);
                let kv = values(&p, 10, 100);
                store!(c, &kv);
                proxy.set_faults($faults);
                (server, proxy, c, p, kv)
            }};
        }

        /// Runs a pipeline of GETs over `kv`; checks one outcome each and that
        /// every delivered value is the key's own; returns (ok, failed).
        macro_rules! checked_gets {
            ($c:ident, $kv:expr) => {{
                let kv = $kv;
                let mut pipe = $c.pipeline();
                let handles: Vec<_> = kv.iter().map(|(k, _)| pipe.get::<Bytes>(k)).collect();
                let results = $c.run(pipe)$($aw)*;
                let mut ok = 0usize;
                let mut failed = Vec::new();
                match results {
                    Ok(mut results) => {
                        assert_eq!(results.len(), kv.len(), "one outcome per request");
                        for (h, (k, v)) in handles.into_iter().zip(kv.iter()) {
                            match results.take(h) {
                                Ok(Some(got)) => {
                                    assert_eq!(&got[..], &v[..], "reply for {k} went to the wrong request");
                                    ok += 1;
                                }
                                Ok(None) => panic!("{k} vanished"),
                                Err(e) => failed.push(e),
                            }
                        }
                    }
                    Err(e) => failed.push(e),
                }
                (ok, failed)
            }};
        }

        suite_test!(fn rst_mid_reply() {
            // Each reply is 107 bytes: reset in the middle of the third.
            let faults = $crate::Faults { reset_after_reply_bytes: Some(250), ..Default::default() };
            #[allow(unused_mut)]
            let (_server, proxy, mut c, p, kv) = ten_stored!("rst", faults);
            let started = Instant::now();
            let (ok, failed) = checked_gets!(c, &kv);
            assert!(started.elapsed() < HANG);
            // An RST may discard bytes already received, so at most 2 arrive.
            assert!(ok <= 2 && ok + failed.len() == kv.len(), "{ok} ok, {} failed", failed.len());
            for e in &failed {
                assert!(e.is_connection_broken(), "{e}");
            }
            proxy.set_faults($crate::Faults::default());
            assert_eq!(c.get::<Bytes>(&kv[9].0)$($aw)*.unwrap().as_deref(), Some(&kv[9].1[..]));
            assert_eq!(c.connects(), 2);
            c.mdel(&p)$($aw)*.unwrap();
        });

        suite_test!(fn close_mid_reply() {
            let faults = $crate::Faults { close_after_reply_bytes: Some(250), ..Default::default() };
            #[allow(unused_mut)]
            let (_server, proxy, mut c, p, kv) = ten_stored!("fin", faults);
            let (ok, failed) = checked_gets!(c, &kv);
            assert_eq!(ok, 2, "the two whole replies before the close are delivered");
            assert_eq!(failed.len(), 8);
            for e in &failed {
                assert!(matches!(e.root(), Error::ConnectionClosed { in_reply: true }), "{e}");
            }
            proxy.set_faults($crate::Faults::default());
            assert_eq!(c.get::<Bytes>(&kv[0].0)$($aw)*.unwrap().as_deref(), Some(&kv[0].1[..]));
            c.mdel(&p)$($aw)*.unwrap();
        });

        suite_test!(fn blackhole_times_out() {
            let (_server, proxy) = proxied();
            proxy.set_faults($crate::Faults { blackhole: true, ..Default::default() });
            #[allow(unused_mut)]
            let mut c = client!(Config::new(proxy.addr()).response_timeout(Duration::from_millis(200)));
            let started = Instant::now();
            let err = c.ping()$($aw)*.unwrap_err();
            assert!(matches!(err, Error::Timeout { what: "response", .. }), "{err}");
            let err = c.get::<Bytes>("k")$($aw)*.unwrap_err();
            assert!(err.is_timeout(), "{err}");
            assert!(started.elapsed() < HANG);
        });

        suite_test!(fn garbage_reply_is_a_protocol_error_and_the_connection_is_rebuilt() {
            let hostile = $crate::HostileServer::start($crate::Behavior::Garbage);
            #[allow(unused_mut)]
            let mut c = client!(Config::new(hostile.addr()).retry(RetryPolicy::Never));
            let kv = values("g:", 5, 10);
            let (ok, failed) = checked_gets!(c, &kv);
            assert_eq!((ok, failed.len()), (0, 5));
            for e in &failed {
                assert!(matches!(e.root(), Error::Protocol(ProtocolError::UnknownReplyCode(_))), "{e}");
            }
            let err = c.ping()$($aw)*.unwrap_err();
            assert!(matches!(err.root(), Error::Protocol(_)), "{err}");
            assert_eq!(c.connects(), 2, "the broken connection is replaced");
        });

        suite_test!(fn announced_4_gib_reply_fails_before_allocating() {
            let hostile = $crate::HostileServer::start($crate::Behavior::HugeAnnounce);
            #[allow(unused_mut)]
            let mut c = client!(Config::new(hostile.addr()).retry(RetryPolicy::Never));
            let err = c.get::<Bytes>("k")$($aw)*.unwrap_err();
            match err.root().clone() {
                Error::Protocol(ProtocolError::FrameTooLarge { size, .. }) => assert_eq!(size, 7 + u64::from(u32::MAX)),
                other => panic!("{other}"),
            }
        });

        suite_test!(fn truncated_reply_then_close() {
            let hostile = $crate::HostileServer::start($crate::Behavior::Truncate);
            #[allow(unused_mut)]
            let mut c = client!(Config::new(hostile.addr()).retry(RetryPolicy::Never));
            let err = c.get::<Bytes>("k")$($aw)*.unwrap_err();
            assert!(matches!(err.root(), Error::ConnectionClosed { in_reply: true }), "{err}");
        });

        suite_test!(fn silent_server_times_out() {
            let hostile = $crate::HostileServer::start($crate::Behavior::Silent);
            #[allow(unused_mut)]
            let mut c = client!(Config::new(hostile.addr()).response_timeout(Duration::from_millis(150)));
            let started = Instant::now();
            let err = c.count("p:")$($aw)*.unwrap_err();
            assert!(err.is_timeout(), "{err}");
            assert!(started.elapsed() < HANG);
            assert!(hostile.requests() >= 1);
        });

        suite_test!(fn one_byte_chunks_both_ways() {
            let (_server, proxy) = proxied();
            proxy.set_faults($crate::Faults { chunk: Some(1), ..Default::default() });
            #[allow(unused_mut)]
            let mut c = client!(Config::new(proxy.addr()));
            let p = $crate::unique_prefix("chunk1");
            let kv = values(&p, 30, 40);
            store!(c, &kv);
            let (ok, failed) = checked_gets!(c, &kv);
            assert_eq!((ok, failed.len()), (30, 0), "{failed:?}");
            let pairs: Vec<(String, Bytes)> = c.mget(&p)$($aw)*.unwrap();
            assert_eq!(pairs.len(), 30);
            assert_eq!(c.mdel(&p)$($aw)*.unwrap(), 30);
            assert_eq!(c.connects(), 1);
        });

        suite_test!(fn slow_link_timeouts_hold() {
            let (_server, proxy) = proxied();
            #[allow(unused_mut)]
            let mut c = client!(Config::new(proxy.addr()).response_timeout(Duration::from_millis(300)));
            let p = $crate::unique_prefix("slow");
            let big = vec![b's'; 200 * 1024];
            c.set(format!("{p}big"), &big[..], Ttl::Never)$($aw)*.unwrap();
            c.set(format!("{p}small"), "mine", Ttl::Never)$($aw)*.unwrap();
            // 200 KiB at 100 KB/s: two seconds, far over the timeout.
            proxy.set_faults($crate::Faults {
                latency: Duration::from_millis(10),
                bytes_per_sec: Some(100_000),
                chunk: Some(4096),
                ..Default::default()
            });
            let started = Instant::now();
            let err = c.get::<Bytes>(format!("{p}big"))$($aw)*.unwrap_err();
            assert!(err.is_timeout(), "{err}");
            assert!(started.elapsed() < Duration::from_secs(2), "the timeout did not hold");
            proxy.set_faults($crate::Faults::default());
            // Afterwards every reply is still its own request's. A
            // multiplexed connection stays up after a timeout, so the
            // next request may wait behind the rest of the slow reply
            // and time out too, but it never gets that reply.
            let mut attempts = 0;
            loop {
                attempts += 1;
                match c.get::<String>(format!("{p}small"))$($aw)* {
                    Ok(v) => {
                        assert_eq!(v.as_deref(), Some("mine"));
                        break;
                    }
                    Err(e) => assert!(e.is_timeout() && attempts < 20, "{e}"),
                }
            }
            c.mdel(&p)$($aw)*.unwrap();
        });

        suite_test!(fn max_clients_refusal() {
            let server = $crate::TestServer::embedded_tcp_with(|b| b.max_clients(2));
            #[allow(unused_mut)]
            let mut first = client!(server.config().response_timeout(Duration::from_secs(2)));
            first.ping()$($aw)*.unwrap();
            #[allow(unused_mut)]
            let mut second = client!(server.config().response_timeout(Duration::from_secs(2)));
            second.ping()$($aw)*.unwrap();
            let $cfg = server.config().response_timeout(Duration::from_secs(2)).connect_attempts(1);
            let started = Instant::now();
            // The third is accepted and closed at once (or refused).
            let third = $connect;
            let outcome = match third {
                Err(e) => Err(e),
                #[allow(unused_mut)]
                Ok(mut third) => third.ping()$($aw)*.map(|_| third),
            };
            let err = outcome.map(|_| ()).unwrap_err();
            assert!(matches!(err.root(), Error::ConnectionClosed { .. } | Error::Io(_)), "{err}");
            assert!(started.elapsed() < HANG);
            drop(second);
            // A slot is free again once the server has seen the close:
            // a new client gets in (a loaded machine may take a while).
            let freed = Instant::now();
            loop {
                std::thread::sleep(Duration::from_millis(50));
                let $cfg = server.config().connect_attempts(1);
                let fourth = match $connect {
                    #[allow(unused_mut)]
                    Ok(mut fourth) => fourth.ping()$($aw)*,
                    Err(e) => Err(e),
                };
                match fourth {
                    Ok(()) => break,
                    Err(e) if freed.elapsed() < HANG => {
                        assert!(matches!(e.root(), Error::ConnectionClosed { .. } | Error::Io(_)), "{e}");
                    }
                    Err(e) => panic!("no client got in after a slot freed: {e}"),
                }
            }
            first.ping()$($aw)*.unwrap();
        });
    };
    ($($mode:tt)*) => {
        $crate::__suite_modes!(fault_suite, $($mode)*);
    };
}
