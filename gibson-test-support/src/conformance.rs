//! The conformance suite: behavioural tests written once, as `async fn`s
//! generic over the client ([`SuiteClient`]), and run for every runtime
//! crate, so that they cannot drift apart. A runtime crate's test file
//! stamps one `#[test]` per function with [`suite!`](crate::suite!):
//!
//! ```ignore
//! // gibson-tokio/tests/conformance.rs
//! gibson_test_support::suite!(conformance, client: gibson_tokio, runtimes: [tokio]);
//! // gibson-blocking/tests/conformance.rs (the client behind `Blocking`)
//! gibson_test_support::suite!(conformance, client: gibson_blocking, runtimes: [blocking]);
//! ```
//!
//! Each test uses [`TestServer::start`] (so `GIBSON_TEST_ADDR` is honoured)
//! and unique key prefixes.

use bytes::Bytes;
use gibson_policy::{Config, RetryPolicy};
use gibson_proto::{Error, Limits, LockTime, MetaField, ProtocolError, ServerError, Ttl, Value};

use crate::client::{client, connected, refuses_a_request_over_the_limit, SuiteClient};
use crate::{unique_prefix, TestServer};

/// Stamps a `#[test]` per function of the suite, each running it with
/// `$run` (a `block_on`) on the client type `$client`.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($run:expr, $client:ty) => {
        $crate::__tests!($run, [$client], conformance:
            set_get_del,
            binary_values_round_trip,
            ttl_and_meta,
            ttls_the_server_stores_in_16_bits,
            mget_over_just_expired_items_returns_the_live_ones,
            counters,
            locks,
            multi_key_commands,
            stats_ping_end,
            invalid_arguments_never_touch_the_connection,
            request_over_max_request_size_is_refused,
            reply_over_the_client_limit_is_a_protocol_error_and_resets,
            pipeline_many_commands_one_write,
            #[cfg(unix)] unix_socket,
            connection_refused_is_a_clear_io_error,
            server_restart_is_recovered_tcp_and_unix,
        );
    };
}

/// SET, GET as text, bytes and absent, DEL twice.
pub async fn set_get_del<C: SuiteClient>() {
    let (_server, c) = connected::<C>().await;
    let p = unique_prefix("sgd");
    let k = format!("{p}k");
    assert_eq!(
        c.set(&k, "hello world", Ttl::Never).await.unwrap(),
        Value::from("hello world")
    );
    assert_eq!(
        c.get::<String>(&k).await.unwrap().as_deref(),
        Some("hello world")
    );
    assert_eq!(
        c.get::<Bytes>(&k).await.unwrap(),
        Some(Bytes::from_static(b"hello world"))
    );
    assert_eq!(c.get::<Vec<u8>>(format!("{p}absent")).await.unwrap(), None);
    assert!(c.del(&k).await.unwrap());
    assert!(!c.del(&k).await.unwrap());
    assert_eq!(c.get::<String>(&k).await.unwrap(), None);
}

/// SETs `key` to `value`, which GET reads back.
async fn round_trip(c: &impl SuiteClient, key: String, value: Vec<u8>) {
    c.set(key.as_str(), &value[..], Ttl::Never).await.unwrap();
    assert_eq!(c.get::<Vec<u8>>(key.as_str()).await.unwrap(), Some(value));
}

/// Every byte value, and a value above the server's compression threshold.
pub async fn binary_values_round_trip<C: SuiteClient>() {
    let (_server, c) = connected::<C>().await;
    let p = unique_prefix("bin");
    let value: Vec<u8> = (0..=255u8).chain([0, 32, 0]).collect();
    round_trip(&c, format!("{p}b"), value).await;
    // Above the server's 4 KiB compression threshold.
    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 7) as u8).collect();
    round_trip(&c, format!("{p}big"), big).await;
    assert_eq!(
        c.meta(format!("{p}big"), MetaField::Encoding)
            .await
            .unwrap(),
        Some(1)
    );
}

/// TTL and every META field.
pub async fn ttl_and_meta<C: SuiteClient>() {
    let (_server, c) = connected::<C>().await;
    let p = unique_prefix("ttl");
    let k = format!("{p}k");
    c.set(&k, "v", Ttl::Seconds(100)).await.unwrap();
    assert_eq!(c.meta(&k, MetaField::Ttl).await.unwrap(), Some(100));
    let left = c.meta(&k, MetaField::Left).await.unwrap().unwrap();
    assert!((98..=100).contains(&left), "left {left}");
    assert!(c.ttl(&k, Ttl::Seconds(500)).await.unwrap());
    assert_eq!(c.meta(&k, MetaField::Ttl).await.unwrap(), Some(500));
    assert!(!c.ttl(format!("{p}absent"), Ttl::Seconds(5)).await.unwrap());
    c.set(&k, "v", Ttl::Never).await.unwrap();
    assert_eq!(c.meta(&k, MetaField::Ttl).await.unwrap(), Some(-1));
    assert_eq!(c.meta(&k, MetaField::Size).await.unwrap(), Some(1));
    assert_eq!(c.meta(&k, MetaField::Encoding).await.unwrap(), Some(0));
    assert_eq!(c.meta(&k, MetaField::Lock).await.unwrap(), Some(0));
    let created = c.meta(&k, MetaField::Created).await.unwrap().unwrap();
    let access = c.meta(&k, MetaField::Access).await.unwrap().unwrap();
    assert!(
        created > 1_600_000_000 && access >= created,
        "{created} {access}"
    );
    assert_eq!(
        c.meta(format!("{p}absent"), MetaField::Size).await.unwrap(),
        None
    );
}

/// TTLs over 16 bits are refused before anything is sent; lock times are 64-bit.
pub async fn ttls_the_server_stores_in_16_bits<C: SuiteClient>() {
    let (_server, c) = connected::<C>().await;
    let p = unique_prefix("ttl16");
    let k = format!("{p}k");
    // Gibson 1.2.1 would store 65537 as 1 and 40000 as a negative
    // TTL: refused before anything is written.
    for secs in [65_537, 40_000, 32_768] {
        for err in [
            c.set(&k, "v", Ttl::Seconds(secs)).await.unwrap_err(),
            c.ttl(&k, Ttl::Seconds(secs)).await.unwrap_err(),
            c.mttl(&p, Ttl::Seconds(secs)).await.unwrap_err(),
        ] {
            assert!(
                matches!(&err, Error::InvalidArgument { arg: "ttl", rule } if rule.contains("16 bits")),
                "{err}"
            );
        }
    }
    assert_eq!(c.get::<String>(&k).await.unwrap(), None);
    c.set(&k, "v", Ttl::Seconds(32_767)).await.unwrap();
    assert_eq!(c.meta(&k, MetaField::Ttl).await.unwrap(), Some(32_767));
    // Lock times are 64-bit on the server.
    assert!(c.lock(&k, LockTime::Seconds(4_294_967_296)).await.unwrap());
    assert_eq!(
        c.meta(&k, MetaField::Lock).await.unwrap(),
        Some(4_294_967_296)
    );
    assert!(c.unlock(&k).await.unwrap());
    assert!(c.del(&k).await.unwrap());
    assert_eq!(c.connects(), 1);
}

/// An MGET over just-expired items returns the live pairs, alone and in a pipeline.
pub async fn mget_over_just_expired_items_returns_the_live_ones<C: SuiteClient>() {
    let (_server, c) = connected::<C>().await;
    let p = unique_prefix("short");
    // Gibson 1.2.1 answers an MGET that meets expired, unswept
    // items with a KVAL shorter than its count; the client
    // sends it again and returns the live pairs.
    for sub in ["alone:", "piped:"] {
        c.set(format!("{p}{sub}a"), "1", Ttl::Seconds(1))
            .await
            .unwrap();
        c.set(format!("{p}{sub}b"), "2", Ttl::Never).await.unwrap();
        c.set(format!("{p}{sub}c"), "3", Ttl::Never).await.unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(2_200));
    let live = |sub: &str| {
        vec![
            (format!("{p}{sub}b"), "2".to_string()),
            (format!("{p}{sub}c"), "3".to_string()),
        ]
    };
    let mut got: Vec<(String, String)> = c.mget(format!("{p}alone:")).await.unwrap();
    got.sort();
    assert_eq!(got, live("alone:"));
    // In the middle of a pipeline: the requests around it succeed.
    let mut pipe = c.pipeline();
    let before = pipe.get::<String>(format!("{p}alone:b"));
    let mget = pipe.mget::<String, String>(format!("{p}piped:"));
    let after = pipe.inc(format!("{p}n"));
    let mut results = c.run(pipe).await.unwrap();
    assert_eq!(results.take(before).unwrap().as_deref(), Some("2"));
    let mut got = results.take(mget).unwrap();
    got.sort();
    assert_eq!(got, live("piped:"));
    assert_eq!(results.take(after).unwrap(), 1);
    assert_eq!(c.connects(), 1, "the connection was never reset");
}

/// INC, DEC, and INC of a value that is not a number.
pub async fn counters<C: SuiteClient>() {
    let (_server, c) = connected::<C>().await;
    let p = unique_prefix("ctr");
    // INC and DEC both create an absent key as 1 (server quirk).
    assert_eq!(c.inc(format!("{p}a")).await.unwrap(), 1);
    assert_eq!(c.inc(format!("{p}a")).await.unwrap(), 2);
    assert_eq!(c.dec(format!("{p}b")).await.unwrap(), 1);
    assert_eq!(c.dec(format!("{p}b")).await.unwrap(), 0);
    assert_eq!(c.get::<i64>(format!("{p}a")).await.unwrap(), Some(2));
    assert_eq!(
        c.meta(format!("{p}a"), MetaField::Encoding).await.unwrap(),
        Some(2)
    );
    c.set(format!("{p}n"), "41", Ttl::Never).await.unwrap();
    assert_eq!(c.inc(format!("{p}n")).await.unwrap(), 42);
    c.set(format!("{p}t"), "text", Ttl::Never).await.unwrap();
    let err = c.inc(format!("{p}t")).await.unwrap_err();
    assert_eq!(err.server_error(), Some(ServerError::Nan), "{err}");
    c.ping().await.unwrap();
}

/// LOCK, what a lock refuses, UNLOCK.
pub async fn locks<C: SuiteClient>() {
    let (_server, c) = connected::<C>().await;
    let p = unique_prefix("lock");
    let k = format!("{p}k");
    c.set(&k, "v", Ttl::Never).await.unwrap();
    assert!(c.lock(&k, 60).await.unwrap());
    assert_eq!(c.meta(&k, MetaField::Lock).await.unwrap(), Some(60));
    let errors = vec![
        c.set(&k, "w", Ttl::Never).await.map(|_| ()).unwrap_err(),
        c.del(&k).await.map(|_| ()).unwrap_err(),
        c.inc(&k).await.map(|_| ()).unwrap_err(),
        c.lock(&k, 5).await.map(|_| ()).unwrap_err(),
    ];
    for err in errors {
        assert!(err.is_locked(), "{err}");
    }
    assert_eq!(c.get::<String>(&k).await.unwrap().as_deref(), Some("v"));
    assert!(c.unlock(&k).await.unwrap());
    assert!(
        c.unlock(&k).await.unwrap(),
        "UNLOCK of an unlocked item is OK"
    );
    assert!(!c.unlock(format!("{p}absent")).await.unwrap());
    assert!(!c.lock(format!("{p}absent"), 5).await.unwrap());
    assert!(c.lock(&k, LockTime::UntilUnlock).await.unwrap());
    assert_eq!(c.meta(&k, MetaField::Lock).await.unwrap(), Some(-1));
    assert!(c.del(&k).await.unwrap_err().is_locked());
    c.unlock(&k).await.unwrap();
    assert!(c.del(&k).await.unwrap());
}

/// COUNT, MGET, KEYS, MINC, MDEC, MTTL, MLOCK, MSET, MDEL, MUNLOCK.
pub async fn multi_key_commands<C: SuiteClient>() {
    let (_server, c) = connected::<C>().await;
    let p = unique_prefix("multi");
    for (k, v) in [("a", "1"), ("b", "2"), ("c", "x")] {
        c.set(format!("{p}{k}"), v, Ttl::Never).await.unwrap();
    }
    assert_eq!(c.count(&p).await.unwrap(), 3);
    assert_eq!(c.count(format!("{p}zzz")).await.unwrap(), 0);
    let mut pairs: Vec<(String, String)> = c.mget(&p).await.unwrap();
    pairs.sort();
    let want: Vec<(String, String)> = [("a", "1"), ("b", "2"), ("c", "x")]
        .iter()
        .map(|(k, v)| (format!("{p}{k}"), v.to_string()))
        .collect();
    assert_eq!(pairs, want);
    assert_eq!(
        c.mget_limit::<String, String>(&p, 2).await.unwrap().len(),
        2
    );
    assert!(c
        .mget::<Bytes, Bytes>(format!("{p}none"))
        .await
        .unwrap()
        .is_empty());
    let mut keys: Vec<String> = c.keys(&p).await.unwrap();
    keys.sort();
    assert_eq!(
        keys,
        want.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>()
    );
    assert!(c
        .keys::<String>(format!("{p}none"))
        .await
        .unwrap()
        .is_empty());
    // MINC / MDEC touch the numeric ones only.
    assert_eq!(c.minc(&p).await.unwrap(), 2);
    assert_eq!(c.get::<i64>(format!("{p}b")).await.unwrap(), Some(3));
    assert_eq!(c.mdec(&p).await.unwrap(), 2);
    assert_eq!(c.get::<i64>(format!("{p}b")).await.unwrap(), Some(2));
    assert_eq!(c.mttl(&p, Ttl::Seconds(1000)).await.unwrap(), 3);
    assert_eq!(
        c.meta(format!("{p}a"), MetaField::Ttl).await.unwrap(),
        Some(1000)
    );
    assert_eq!(
        c.mttl(format!("{p}none"), Ttl::Seconds(10)).await.unwrap(),
        0
    );
    // Locked items are skipped by MSET and MDEL.
    assert_eq!(c.mlock(&p, 60).await.unwrap(), 3);
    assert_eq!(c.mset(&p, "new").await.unwrap(), 0);
    assert_eq!(c.mdel(&p).await.unwrap(), 0);
    assert_eq!(c.munlock(&p).await.unwrap(), 3);
    assert_eq!(c.mset(&p, "new").await.unwrap(), 3);
    assert_eq!(
        c.get::<String>(format!("{p}c")).await.unwrap().as_deref(),
        Some("new")
    );
    assert_eq!(c.mset(format!("{p}none"), "x").await.unwrap(), 0);
    assert_eq!(c.mdel(&p).await.unwrap(), 3);
    assert_eq!(c.count(&p).await.unwrap(), 0);
    assert_eq!(c.mdel(&p).await.unwrap(), 0);
}

/// STATS, PING, and END (the next request reconnects).
pub async fn stats_ping_end<C: SuiteClient>() {
    let (_server, c) = connected::<C>().await;
    c.ping().await.unwrap();
    let stats = c.stats().await.unwrap();
    assert!(!stats.server_version.is_empty());
    assert!(stats.total_requests >= 1, "{stats:?}");
    assert!(stats.raw.len() >= 27, "{} pairs", stats.raw.len());
    // END: OK, then the server closes; the next request reconnects.
    c.end().await.unwrap();
    c.ping().await.unwrap();
    assert_eq!(c.connects(), 2);
}

/// Invalid arguments fail before anything is sent.
pub async fn invalid_arguments_never_touch_the_connection<C: SuiteClient>() {
    let (_server, c) = connected::<C>().await;
    let p = unique_prefix("inval");
    let k = format!("{p}k");
    c.set(&k, "v", Ttl::Never).await.unwrap();
    let errors = vec![
        (c.get::<String>("").await.map(|_| ()).unwrap_err(), "key"),
        (c.get::<String>("a b").await.map(|_| ()).unwrap_err(), "key"),
        (
            c.get::<String>("a\0b").await.map(|_| ()).unwrap_err(),
            "key",
        ),
        (
            c.set(&k, "", Ttl::Never).await.map(|_| ()).unwrap_err(),
            "value",
        ),
        (
            c.set(&k, "v", Ttl::Seconds(0))
                .await
                .map(|_| ())
                .unwrap_err(),
            "ttl",
        ),
        (c.count("").await.map(|_| ()).unwrap_err(), "prefix"),
        (
            c.mget_limit::<Bytes, Bytes>(&p, 0)
                .await
                .map(|_| ())
                .unwrap_err(),
            "limit",
        ),
        (
            c.set(&k, &vec![b'x'; 3 << 20][..], Ttl::Never)
                .await
                .map(|_| ())
                .unwrap_err(),
            "value",
        ),
    ];
    for (err, arg) in errors {
        match err {
            Error::InvalidArgument { arg: got, .. } => assert_eq!(got, arg),
            other => panic!("expected InvalidArgument({arg}), got {other}"),
        }
    }
    assert_eq!(c.get::<String>(&k).await.unwrap().as_deref(), Some("v"));
    assert_eq!(c.connects(), 1);
}

/// A request over `max_request_size` is refused before it is sent.
pub async fn request_over_max_request_size_is_refused<C: SuiteClient>() {
    let server = TestServer::start();
    let p = unique_prefix("bigreq");
    refuses_a_request_over_the_limit::<C>(&server, format!("{p}k")).await;
}

/// A reply over `max_reply_size` is a protocol error and the connection is rebuilt.
pub async fn reply_over_the_client_limit_is_a_protocol_error_and_resets<C: SuiteClient>() {
    let server = TestServer::start();
    let p = unique_prefix("bigreply");
    let mut limits = Limits::default();
    limits.max_reply_size = 1024;
    let plain: C = client(server.config()).await;
    plain
        .set(format!("{p}big"), &vec![b'y'; 4000][..], Ttl::Never)
        .await
        .unwrap();
    let c: C = client(server.config().limits(limits).retry(RetryPolicy::Never)).await;
    let err = c.get::<Vec<u8>>(format!("{p}big")).await.unwrap_err();
    assert!(
        matches!(
            err.root(),
            Error::Protocol(ProtocolError::FrameTooLarge { .. })
        ),
        "{err}"
    );
    c.ping().await.unwrap();
    assert_eq!(c.connects(), 2);
    plain.mdel(&p).await.unwrap();
}

/// A pipeline of 506 commands, one of them invalid.
pub async fn pipeline_many_commands_one_write<C: SuiteClient>() {
    let (_server, c) = connected::<C>().await;
    let p = unique_prefix("pipe");
    let mut pipe = c.pipeline();
    let set = pipe.set(format!("{p}a"), "1", Ttl::Never);
    let inc = pipe.inc(format!("{p}a"));
    let bad = pipe.get::<String>("bad key");
    let get = pipe.get::<i64>(format!("{p}a"));
    let missing = pipe.get::<String>(format!("{p}missing"));
    let del = pipe.del(format!("{p}missing"));
    let many: Vec<_> = (0..500)
        .map(|i| pipe.set(format!("{p}m{i}"), i, Ttl::Never))
        .collect();
    let mut results = c.run(pipe).await.unwrap();
    assert_eq!(results.take(set).unwrap(), Value::from("1"));
    assert_eq!(results.take(inc).unwrap(), 2);
    assert!(matches!(
        results.take(bad),
        Err(Error::InvalidArgument { .. })
    ));
    assert_eq!(results.take(get).unwrap(), Some(2));
    assert_eq!(results.take(missing).unwrap(), None);
    assert!(!results.take(del).unwrap());
    for (i, h) in many.into_iter().enumerate() {
        assert_eq!(
            results.take(h).unwrap(),
            Value::Bytes(Bytes::from(i.to_string()))
        );
    }
    assert_eq!(c.count(format!("{p}m")).await.unwrap(), 500);
}

/// A Unix socket server.
#[cfg(unix)]
pub async fn unix_socket<C: SuiteClient>() {
    let server = TestServer::start_unix();
    let c: C = client(server.config()).await;
    let p = unique_prefix("unix");
    c.set(format!("{p}k"), "v", Ttl::Never).await.unwrap();
    assert_eq!(
        c.get::<String>(format!("{p}k")).await.unwrap().as_deref(),
        Some("v")
    );
}

/// A refused connection is an I/O error that says so.
pub async fn connection_refused_is_a_clear_io_error<C: SuiteClient>() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config: Config = format!("gibson://127.0.0.1:{port}?attempts=2&backoff=1ms")
        .parse()
        .unwrap();
    let err = C::connect(config).await.map(|_| ()).unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err}");
    assert!(err.to_string().contains("refused"), "{err}");
}

/// A server that stops and starts again on the same address (TCP, then a
/// Unix socket on Unix targets) is recovered without user action; skipped
/// against an external server.
pub async fn server_restart_is_recovered_tcp_and_unix<C: SuiteClient>() {
    // Unix sockets on Unix targets only.
    for unix in [false, cfg!(unix)] {
        let mut server = if unix {
            TestServer::start_unix()
        } else {
            TestServer::start()
        };
        if server.is_external() {
            return;
        }
        let c: C = client(server.config()).await;
        let p = unique_prefix("restart");
        c.set(format!("{p}k"), "v", Ttl::Never).await.unwrap();
        assert!(server.stop());
        // Down: a clear error, not a hang.
        let err = c.ping().await.unwrap_err();
        assert!(
            matches!(err, Error::Io(_) | Error::ConnectionClosed { .. }),
            "{err}"
        );
        assert!(server.restart());
        // Recovered without user action; the new server's store is empty.
        c.ping().await.unwrap();
        assert_eq!(c.get::<String>(format!("{p}k")).await.unwrap(), None);
        assert!(c.connects() >= 2);
    }
}
