//! Prefix reads of any size: more than the server's `max_response_size`
//! under one prefix, read whole by `mget_stream` / `keys_stream`, while
//! other requests on the client all succeed.

use std::collections::BTreeMap;

use bytes::Bytes;
use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{AsyncCommands, Connection, Sharded, Ttl};

/// Stores `n` values of `size` bytes under `p`, in pipelines.
async fn fill(
    cache: &impl AsyncCommands,
    p: &str,
    n: usize,
    size: usize,
) -> BTreeMap<String, Bytes> {
    let mut all = BTreeMap::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(200) {
        let pairs: Vec<(String, Bytes)> = chunk
            .iter()
            .map(|i| {
                let value = Bytes::from(format!("{i:08}").repeat(size / 8));
                (format!("{p}{i}"), value)
            })
            .collect();
        let stored = cache
            .set_multi(
                pairs.iter().map(|(k, v)| (k.as_str(), v.clone())),
                Ttl::Never,
            )
            .await
            .unwrap();
        assert!(stored.iter().all(Result::is_ok));
        all.extend(pairs);
    }
    all
}

/// Reads `p` with `mget_stream` on `conn` while another task keeps
/// sending GETs on the same connection; checks both.
async fn read_while_busy(conn: &Connection, p: &str, want: &BTreeMap<String, Bytes>) {
    conn.set(format!("{p}-probe"), "ok", Ttl::Never)
        .await
        .unwrap();
    let busy = {
        let (conn, key) = (conn.clone(), format!("{p}-probe"));
        tokio::spawn(async move {
            let mut n = 0;
            for _ in 0..200 {
                assert_eq!(
                    conn.get::<String>(key.as_str()).await.unwrap().as_deref(),
                    Some("ok")
                );
                n += 1;
                tokio::task::yield_now().await;
            }
            n
        })
    };
    let mut scan = conn.mget_stream::<String, Bytes>(p).unwrap();
    let mut got = BTreeMap::new();
    while let Some(pair) = scan.next().await {
        let (k, v) = pair.unwrap();
        if !k.ends_with("-probe") {
            assert!(got.insert(k, v).is_none(), "a key read twice");
        }
    }
    assert_eq!(got.len(), want.len());
    assert!(got == *want, "the pairs read differ from those stored");
    assert_eq!(
        busy.await.unwrap(),
        200,
        "every request in flight meanwhile succeeded"
    );
    assert_eq!(
        conn.connects(),
        1,
        "the client's connection was never dropped"
    );
}

#[tokio::test]
async fn ten_times_the_servers_reply_limit_in_pages() {
    let server = TestServer::embedded_tcp_with(|b| b.max_response_size(64 * 1024));
    let conn = Connection::with_config(server.config()).await.unwrap();
    let p = unique_prefix("scan");
    let want = fill(&conn, &p, 640, 1024).await;
    // A plain MGET of it is more than the server sends in one reply.
    let err = Connection::with_config(server.config())
        .await
        .unwrap()
        .mget::<String, Bytes>(p.as_str())
        .await
        .unwrap_err();
    assert!(
        matches!(err, gibson_tokio::Error::PrefixTooLarge { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("mget_stream"), "{err}");
    read_while_busy(&conn, &p, &want).await;
    let mut names: Vec<String> = Vec::new();
    let mut keys = conn.keys_stream::<String>(p.as_str()).unwrap().page(100);
    while let Some(name) = keys.next().await {
        names.push(name.unwrap());
    }
    names.retain(|k| !k.ends_with("-probe"));
    names.sort();
    assert_eq!(names, want.keys().cloned().collect::<Vec<_>>());
}

/// 40 MB under one prefix, the server's `max_response_size` at its default
/// (15 MiB): read whole, no connection dropped. Runs on the real binary
/// too when `GIBSON_TEST_ADDR` names one.
#[tokio::test]
async fn forty_megabytes_under_one_prefix() {
    let server = TestServer::start();
    let conn = Connection::with_config(server.config()).await.unwrap();
    let p = unique_prefix("scan40");
    let want = fill(&conn, &p, 4_000, 10 * 1024).await;
    read_while_busy(&conn, &p, &want).await;
    assert_eq!(conn.mdel(p.as_str()).await.unwrap(), 4_001);
}

#[tokio::test]
async fn a_sharded_scan_reads_every_server() {
    let servers: Vec<TestServer> = (0..3)
        .map(|_| TestServer::embedded_tcp_with(|b| b.max_response_size(32 * 1024)))
        .collect();
    let list: Vec<String> = servers.iter().map(|s| s.addr().to_string()).collect();
    let cache = Sharded::connect(&format!("gibson://{}", list.join(",")))
        .await
        .unwrap();
    let p = unique_prefix("scanshard");
    let want = fill(&cache, &p, 300, 512).await;
    let mut got = BTreeMap::new();
    let mut scan = cache
        .mget_stream::<String, Bytes>(p.as_str())
        .unwrap()
        .page(50);
    while let Some(pair) = scan.next().await {
        let (k, v) = pair.unwrap();
        got.insert(k, v);
    }
    assert!(got == want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mget_too_large_for_the_server_fails_alone() {
    let server = TestServer::embedded_tcp_with(|b| b.max_response_size(32 * 1024));
    let conn = Connection::with_config(server.config()).await.unwrap();
    let p = unique_prefix("toolarge");
    fill(&conn, &p, 100, 1024).await;
    conn.set(format!("{p}-probe"), "ok", Ttl::Never).await.unwrap();
    // Requests in flight on the same connection while the MGET fails.
    let others: Vec<_> = (0..50)
        .map(|_| {
            let (conn, key) = (conn.clone(), format!("{p}-probe"));
            tokio::spawn(async move {
                for _ in 0..20 {
                    let v = conn.get::<String>(key.as_str()).await.unwrap();
                    assert_eq!(v.as_deref(), Some("ok"));
                }
            })
        })
        .collect();
    for _ in 0..3 {
        let err = conn.mget::<String, Bytes>(p.as_str()).await.unwrap_err();
        assert!(matches!(err, gibson_tokio::Error::PrefixTooLarge { .. }), "{err}");
        let err = conn.keys::<String>(p.as_str()).await;
        // 100 names fit in the reply: KEYS is fine.
        assert_eq!(err.unwrap().len(), 101);
    }
    for t in others {
        t.await.unwrap();
    }
    assert_eq!(conn.connects(), 1, "the connection the GETs were on never closed");
    // A prefix that fits still works, on the same handle.
    let small: Vec<(String, String)> = conn.mget(format!("{p}-probe")).await.unwrap();
    assert_eq!(small.len(), 1);
}
