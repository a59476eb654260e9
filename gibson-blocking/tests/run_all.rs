//! `Connection::run_all`: many commands through a sliding window, each
//! result handed back once, in order, whatever happens to the connection.

use std::cell::Cell;
use std::time::{Duration, Instant};

use bytes::Bytes;
use gibson_blocking::{cmd, Commands, Config, Connection, Error, Ttl};
use gibson_test_support::{unique_prefix, Behavior, HostileServer, TestServer};

/// A connection to the test server, which lives as long as the first
/// value, and a fresh key prefix named after `tag`.
fn connected(tag: &str) -> (TestServer, Connection, String) {
    let server = TestServer::start();
    let conn = Connection::with_config(server.config()).expect("connect");
    (server, conn, unique_prefix(tag))
}

#[test]
fn results_come_back_once_each_in_order() {
    let (_server, mut conn, p) = connected("runall");
    // INC answers with the counter's new value, so the order of the
    // results is checked by value: key k's j-th INC answers j.
    let keys = 7;
    let n = 5_000;
    let incs = (0..n).map(|i| cmd::Inc::new(format!("{p}{}", i % keys)));
    let mut seen = 0usize;
    let mut per_key = vec![0i64; keys];
    let ran = conn
        .run_all(incs, 64, |i, result| {
            assert_eq!(i, seen, "results in order, each once");
            seen += 1;
            per_key[i % keys] += 1;
            assert_eq!(result.expect("INC"), per_key[i % keys], "result {i}");
        })
        .expect("run_all");
    assert_eq!((ran, seen), (n, n));
    assert_eq!(conn.connects(), 1);
}

#[test]
fn depth_one_and_an_empty_iterator() {
    let (_server, mut conn, p) = connected("runall1");
    let mut got = Vec::new();
    let sets = (0..20).map(|i| cmd::Set::new(format!("{p}{i}"), i.to_string(), Ttl::Never));
    assert_eq!(
        conn.run_all(sets, 1, |i, r| got.push((i, r.is_ok())))
            .unwrap(),
        20
    );
    assert_eq!(got, (0..20).map(|i| (i, true)).collect::<Vec<_>>());
    let none = std::iter::empty::<cmd::Ping>();
    assert_eq!(
        conn.run_all(none, 8, |_, _| panic!("no command")).unwrap(),
        0
    );
    assert_eq!(
        conn.get::<String>(format!("{p}19")).unwrap().as_deref(),
        Some("19")
    );
}

#[test]
fn an_invalid_command_gets_its_own_error() {
    let (_server, mut conn, p) = connected("runallbad");
    // TTLs above 32 767 s are refused before a byte is written.
    let sets = (0..300u32).map(|i| {
        let ttl = if i == 150 { 40_000 } else { 60 };
        cmd::Set::new(format!("{p}{i}"), "v", Ttl::Seconds(ttl))
    });
    let mut failed = Vec::new();
    let ran = conn
        .run_all(sets, 32, |i, r| {
            if let Err(e) = r {
                assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
                failed.push(i);
            }
        })
        .unwrap();
    assert_eq!((ran, failed), (300, vec![150]));
    assert_eq!(conn.count(p.as_str()).unwrap(), 299);
    assert_eq!(conn.connects(), 1);
}

#[test]
fn short_mget_replies_are_sent_again() {
    let (_server, mut conn, p) = connected("runallshort");
    // Gibson 1.2.1 answers an MGET over expired, unswept items with a
    // short KVAL; run_all sends it again and keeps the others in order.
    let groups = 5;
    for g in 0..groups {
        conn.set(format!("{p}{g}:a"), "gone", Ttl::Seconds(1))
            .unwrap();
        conn.set(format!("{p}{g}:b"), "live", Ttl::Never).unwrap();
    }
    std::thread::sleep(Duration::from_millis(2_200));
    let mgets = (0..groups).map(|g| cmd::Mget::<_, String, String>::new(format!("{p}{g}:")));
    let mut order = Vec::new();
    conn.run_all(mgets, 8, |i, r| {
        let pairs = r.expect("MGET");
        assert_eq!(pairs, vec![(format!("{p}{i}:b"), "live".to_string())]);
        order.push(i);
    })
    .unwrap();
    assert_eq!(order, (0..groups).collect::<Vec<_>>());
    assert_eq!(conn.connects(), 1, "the connection was never reset");
}

#[test]
fn a_large_window_of_large_requests() {
    let (_server, mut conn, p) = connected("runallbig");
    // 2 000 requests of 700 bytes in flight at most: far beyond the write
    // window, which bounds what is written and not answered.
    let value = Bytes::from(vec![b'x'; 700]);
    let sets = (0..2_000).map(|i| cmd::Set::new(format!("{p}{i}"), value.clone(), Ttl::Never));
    let mut ok = 0;
    conn.run_all(sets, 2_000, |_, r| ok += r.map(|_| 1).expect("SET"))
        .unwrap();
    assert_eq!(ok, 2_000);
    assert_eq!(conn.count(p.as_str()).unwrap(), 2_000);
    assert_eq!(conn.get::<Bytes>(format!("{p}1999")).unwrap(), Some(value));
}

#[test]
fn a_failure_ends_every_taken_command_and_takes_no_more() {
    let hostile = HostileServer::start(Behavior::Silent);
    let config = Config::new(hostile.addr()).response_timeout(Duration::from_millis(150));
    let mut conn = Connection::with_config(config).expect("connect");
    let taken = Cell::new(0);
    let mut pings = (0..1_000).map(|_| {
        taken.set(taken.get() + 1);
        cmd::Ping
    });
    let mut failed = 0;
    let started = Instant::now();
    let err = conn
        .run_all(pings.by_ref(), 16, |i, r| {
            assert_eq!(i, failed);
            assert!(r.unwrap_err().is_timeout());
            failed += 1;
        })
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        (taken.get(), failed),
        (16, 16),
        "every taken command answered"
    );
    assert_eq!(
        pings.count(),
        1_000 - 16,
        "the rest were left in the iterator"
    );
    assert!(!conn.is_connected(), "a timed-out socket is closed");
}

#[test]
fn a_truncated_reply_fails_the_rest_with_connection_closed() {
    let hostile = HostileServer::start(Behavior::Truncate);
    let mut conn = Connection::with_config(Config::new(hostile.addr())).expect("connect");
    let gets = (0..10).map(|i| cmd::Get::<_, Bytes>::new(format!("k{i}")));
    let mut failed = 0;
    let err = conn
        .run_all(gets, 4, |_, r| {
            assert!(matches!(r, Err(Error::ConnectionClosed { .. })), "{r:?}");
            failed += 1;
        })
        .unwrap_err();
    assert!(
        matches!(err, Error::ConnectionClosed { in_reply: true }),
        "{err}"
    );
    assert_eq!(failed, 4);
}

#[test]
fn a_value_that_does_not_decode_names_its_key() {
    use gibson_blocking::Json;
    let (_server, mut conn, p) = connected("runallbad");
    let (bad, good) = (format!("{p}bad"), format!("{p}good"));
    conn.set(&bad, "not json", Ttl::Seconds(600)).expect("SET");
    conn.set(&good, "7", Ttl::Seconds(600)).expect("SET");
    let gets = [&bad, &good].map(|key| cmd::Get::<_, Json<u32>>::new(key.as_str()));
    let mut results = Vec::new();
    conn.run_all(gets, 8, |_, result| results.push(result))
        .expect("run_all");
    match &results[..] {
        [Err(Error::Decode { key, .. }), Ok(Some(seven))] => {
            assert_eq!(key.as_deref(), Some(bad.as_str()));
            assert_eq!(seven.0, 7);
        }
        other => panic!("expected a decode error naming {bad}, then 7: {other:?}"),
    }
    // The connection goes on.
    assert_eq!(
        conn.get::<String>(&bad).expect("GET").as_deref(),
        Some("not json")
    );
}
