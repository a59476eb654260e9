//! The prefix patterns on the blocking client: namespaces (relative keys,
//! nesting, the delimiter rule, pipelines) and prefix reads larger than
//! the server's reply limit, a page at a time.

use std::collections::BTreeMap;

use bytes::Bytes;
use gibson_blocking::{Commands, Connection, Error, Sharded, Ttl};
use gibson_test_support::{unique_prefix, TestServer};

#[test]
fn namespaces_scope_every_command() {
    let server = TestServer::start();
    let mut conn = Connection::with_config(server.config()).unwrap();
    let root = unique_prefix("bns");
    {
        let mut user = conn.namespace(format!("{root}user:1:")).unwrap();
        user.set("name", "ada", Ttl::Never).unwrap();
        let mut sessions = user.namespace("s:").unwrap();
        sessions.set("a", "1", Ttl::Never).unwrap();
        sessions.set("b", "2", Ttl::Never).unwrap();
        let pairs: Vec<(String, String)> = sessions.mget("a").unwrap();
        assert_eq!(pairs, [("a".to_string(), "1".to_string())]);
        let mut names: Vec<String> = user.keys("s:").unwrap();
        names.sort();
        assert_eq!(names, ["s:a", "s:b"]);
        let mut p = user.pipeline();
        let name = p.get::<String>("name");
        let n = p.count("s:");
        let mut results = user.run(p).unwrap();
        assert_eq!(results.take(name).unwrap().as_deref(), Some("ada"));
        assert_eq!(results.take(n).unwrap(), 2);
        assert_eq!(user.count_all().unwrap(), 3);
    }
    // A neighbour whose name extends ours is never touched.
    conn.set(format!("{root}user:10:name"), "grace", Ttl::Never)
        .unwrap();
    let mut user = conn.namespace(format!("{root}user:1:")).unwrap();
    assert_eq!(user.invalidate().unwrap(), 3);
    assert_eq!(
        conn.get::<String>(format!("{root}user:10:name"))
            .unwrap()
            .as_deref(),
        Some("grace")
    );
    let err = conn.namespace(format!("{root}user:1")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                arg: "namespace",
                ..
            }
        ),
        "{err}"
    );
}

/// Stores `n` values of `size` bytes under `p`, in pipelines.
fn fill(cache: &mut impl Commands, p: &str, n: usize, size: usize) -> BTreeMap<String, Bytes> {
    let mut all = BTreeMap::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(200) {
        let pairs: Vec<(String, Bytes)> = chunk
            .iter()
            .map(|i| {
                (
                    format!("{p}{i}"),
                    Bytes::from(format!("{i:08}").repeat(size / 8)),
                )
            })
            .collect();
        let stored = cache.set_multi(pairs.clone(), Ttl::Never).unwrap();
        assert!(stored.iter().all(Result::is_ok));
        all.extend(pairs);
    }
    all
}

/// Every pair a prefix read yields, each unwrapped.
fn read_all(
    pairs: impl Iterator<Item = Result<(String, Bytes), Error>>,
) -> BTreeMap<String, Bytes> {
    pairs.map(Result::unwrap).collect()
}

#[test]
fn a_prefix_ten_times_the_reply_limit_is_read_in_pages() {
    let server = TestServer::embedded_tcp_with(|b| b.max_response_size(64 * 1024));
    let mut conn = Connection::with_config(server.config()).unwrap();
    let p = unique_prefix("bscan");
    let want = fill(&mut conn, &p, 640, 1024);
    let got = read_all(conn.mget_stream(p.as_str()).unwrap());
    assert!(got == want, "{} pairs read of {}", got.len(), want.len());
    let mut names: Vec<String> = conn
        .keys_stream::<String>(p.as_str())
        .unwrap()
        .page(50)
        .map(Result::unwrap)
        .collect();
    names.sort();
    assert_eq!(names, want.keys().cloned().collect::<Vec<_>>());
    // The client's own connection was never involved, so never dropped.
    assert_eq!(
        conn.get::<Bytes>(format!("{p}7")).unwrap(),
        want.get(&format!("{p}7")).cloned()
    );
    assert_eq!(conn.connects(), 1);
}

/// 40 MB under one prefix, the server's limit at its default (15 MiB):
/// read whole. Runs on the real binary too when `GIBSON_TEST_ADDR` names
/// one.
#[test]
fn forty_megabytes_under_one_prefix() {
    let server = TestServer::start();
    let mut conn = Connection::with_config(server.config()).unwrap();
    let p = unique_prefix("bscan40");
    let want = fill(&mut conn, &p, 4_000, 10 * 1024);
    let mut read = 0;
    for pair in conn.mget_stream::<String, Bytes>(p.as_str()).unwrap() {
        let (k, v) = pair.unwrap();
        assert_eq!(want.get(&k), Some(&v));
        read += 1;
    }
    assert_eq!(read, 4_000);
    assert_eq!(conn.mdel(p.as_str()).unwrap(), 4_000);
}

#[test]
fn a_sharded_scan_and_namespace() {
    let servers: Vec<TestServer> = (0..3)
        .map(|_| TestServer::embedded_tcp_with(|b| b.max_response_size(16 * 1024)))
        .collect();
    let list: Vec<String> = servers.iter().map(|s| s.addr().to_string()).collect();
    let mut cache = Sharded::connect(&format!("gibson://{}", list.join(","))).unwrap();
    let p = unique_prefix("bscanshard");
    let want = fill(&mut cache, &p, 200, 512);
    let got = read_all(cache.mget_stream(p.as_str()).unwrap());
    assert!(got == want);
    let mut ns = cache.namespace(p.as_str()).unwrap();
    assert_eq!(ns.count_all().unwrap(), 200);
    assert_eq!(
        ns.get::<Bytes>("3").unwrap(),
        want.get(&format!("{p}3")).cloned()
    );
}
