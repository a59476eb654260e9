//! Every command against the embedded server, or `GIBSON_TEST_ADDR`.
//! Keys use unique prefixes; foreign keys on a shared server are tolerated.

use bytes::Bytes;
use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{Connection, Error, LockTime, MetaField, Ttl, Value};

async fn setup(tag: &str) -> (TestServer, Connection, String) {
    let server = TestServer::start();
    let conn = Connection::with_config(server.config())
        .await
        .expect("connect");
    (server, conn, unique_prefix(tag))
}

fn server_error(e: &Error) -> Option<gibson_proto::ServerError> {
    e.server_error()
}

#[tokio::test]
async fn set_get_del() {
    let (_s, c, p) = setup("sgd").await;
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

#[tokio::test]
async fn binary_values_round_trip() {
    let (_s, c, p) = setup("bin").await;
    let value: Vec<u8> = (0..=255u8).chain([0, 32, 0]).collect();
    c.set(format!("{p}b"), &value[..], Ttl::Never)
        .await
        .unwrap();
    assert_eq!(
        c.get::<Vec<u8>>(format!("{p}b")).await.unwrap(),
        Some(value)
    );
}

#[tokio::test]
async fn ttl_and_meta() {
    let (_s, c, p) = setup("ttl").await;
    let k = format!("{p}k");
    c.set(&k, "v", Ttl::Seconds(100)).await.unwrap();
    let ttl = c.meta(&k, MetaField::Ttl).await.unwrap();
    assert_eq!(ttl, Some(100));
    let left = c.meta(&k, MetaField::Left).await.unwrap().unwrap();
    assert!((98..=100).contains(&left), "left {left}");
    assert!(c.ttl(&k, Ttl::Seconds(500)).await.unwrap());
    assert_eq!(c.meta(&k, MetaField::Ttl).await.unwrap(), Some(500));
    assert!(!c.ttl(format!("{p}absent"), 5).await.unwrap());
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

#[tokio::test]
async fn counters() {
    let (_s, c, p) = setup("ctr").await;
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
    assert_eq!(
        server_error(&err),
        Some(gibson_proto::ServerError::Nan),
        "{err}"
    );
    // The connection is fine after a server error.
    c.ping().await.unwrap();
}

#[tokio::test]
async fn locks() {
    let (_s, c, p) = setup("lock").await;
    let k = format!("{p}k");
    c.set(&k, "v", Ttl::Never).await.unwrap();
    assert!(c.lock(&k, 60).await.unwrap());
    assert_eq!(c.meta(&k, MetaField::Lock).await.unwrap(), Some(60));
    for err in [
        c.set(&k, "w", Ttl::Never).await.unwrap_err(),
        c.del(&k).await.map(|_| ()).unwrap_err(),
        c.inc(&k).await.map(|_| ()).unwrap_err(),
        c.lock(&k, 5).await.map(|_| ()).unwrap_err(),
    ] {
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

#[tokio::test]
async fn multi_key_commands() {
    let (_s, c, p) = setup("multi").await;
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

    assert_eq!(c.mttl(&p, 1000).await.unwrap(), 3);
    assert_eq!(
        c.meta(format!("{p}a"), MetaField::Ttl).await.unwrap(),
        Some(1000)
    );
    assert_eq!(c.mttl(format!("{p}none"), 10).await.unwrap(), 0);

    // MLOCK skips nothing here; locked items are skipped by MSET and MDEL.
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

#[tokio::test]
async fn stats_ping_end() {
    let (_s, c, _p) = setup("stats").await;
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

#[tokio::test]
async fn invalid_arguments_are_refused_without_touching_the_connection() {
    let (_s, c, p) = setup("inval").await;
    let k = format!("{p}k");
    c.set(&k, "v", Ttl::Never).await.unwrap();
    for (err, arg) in [
        (c.get::<String>("").await.unwrap_err(), "key"),
        (c.get::<String>("a b").await.unwrap_err(), "key"),
        (c.get::<String>("a\0b").await.unwrap_err(), "key"),
        (c.set(&k, "", Ttl::Never).await.unwrap_err(), "value"),
        (c.set(&k, "v", Ttl::Seconds(0)).await.unwrap_err(), "ttl"),
        (c.count("").await.map(|_| ()).unwrap_err(), "prefix"),
        (
            c.mget_limit::<Bytes, Bytes>(&p, 0)
                .await
                .map(|_| ())
                .unwrap_err(),
            "limit",
        ),
    ] {
        match err {
            Error::InvalidArgument { arg: got, .. } => assert_eq!(got, arg),
            other => panic!("expected InvalidArgument({arg}), got {other}"),
        }
    }
    assert_eq!(c.get::<String>(&k).await.unwrap().as_deref(), Some("v"));
    assert_eq!(c.connects(), 1);
}

#[tokio::test]
async fn pipeline_many_commands_one_write() {
    let (_s, c, p) = setup("pipe").await;
    let mut pipe = c.pipeline();
    let set = pipe.set(format!("{p}a"), "1", Ttl::Never);
    let inc = pipe.inc(format!("{p}a"));
    let bad = pipe.get::<String>("bad key");
    let get = pipe.get::<i64>(format!("{p}a"));
    let missing = pipe.get::<String>(format!("{p}missing"));
    let del = pipe.del(format!("{p}missing"));
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
}

#[tokio::test]
async fn unix_socket() {
    let server = TestServer::start_unix();
    let c = Connection::connect(&server.url()).await.unwrap();
    let p = unique_prefix("unix");
    c.set(format!("{p}k"), "v", Ttl::Never).await.unwrap();
    assert_eq!(
        c.get::<String>(format!("{p}k")).await.unwrap().as_deref(),
        Some("v")
    );
}

#[tokio::test]
async fn connect_errors_are_clear() {
    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config: gibson_tokio::Config = format!("gibson://127.0.0.1:{port}?attempts=2&backoff=1ms")
        .parse()
        .unwrap();
    let err = Connection::with_config(config).await.unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err}");
    assert!(err.to_string().contains("refused"), "{err}");
}
