//! The prefix suite: reads of any size, an MGET too large for the server,
//! namespaces beside their neighbours, and the stampede guard, written
//! once for every async runtime crate (see [`suite!`](crate::suite!)):
//!
//! ```ignore
//! gibson_test_support::suite!(prefix, client: gibson_tokio, runtimes: [tokio]);
//! ```

/// Expands the prefix suite for an async client crate on runtime `$rt`.
#[macro_export]
macro_rules! prefix_suite {
    (async, runtime: $rt:ty, client: $($client:ident)::+) => {
        /// Prefix reads, namespaces and the stampede guard.
        pub(crate) mod prefix {
            use std::collections::BTreeMap;
            use std::sync::atomic::{AtomicUsize, Ordering};
            use std::sync::Arc;
            use std::time::Duration;

            use $crate::__reexport::Bytes;
            use $crate::runtime::{Runtime, Task};
            use $crate::{unique_prefix, TestServer};
            use $($client)::+::{AsyncCommands, Compute, Connection, Error, Sharded, Ttl};

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
                        .map(|i| (format!("{p}{i}"), Bytes::from(format!("{i:08}").repeat(size / 8))))
                        .collect();
                    let stored = cache
                        .set_multi(pairs.iter().map(|(k, v)| (k.as_str(), v.clone())), Ttl::Never)
                        .await
                        .unwrap();
                    assert!(stored.iter().all(Result::is_ok));
                    all.extend(pairs);
                }
                all
            }

            /// Stores "ok" at `{p}-probe`, then spawns `tasks` tasks that
            /// each GET it `rounds` times on `conn` and check every answer.
            async fn probes<R: Runtime>(conn: &Connection, p: &str, tasks: usize, rounds: usize) -> Vec<Task<()>> {
                let key = format!("{p}-probe");
                conn.set(key.as_str(), "ok", Ttl::Never).await.unwrap();
                (0..tasks)
                    .map(|_| {
                        let (conn, key) = (conn.clone(), key.clone());
                        R::spawn(async move {
                            for _ in 0..rounds {
                                let v = conn.get::<String>(key.as_str()).await.unwrap();
                                assert_eq!(v.as_deref(), Some("ok"));
                            }
                        })
                    })
                    .collect()
            }

            /// Reads `p` with `mget_stream` while other tasks keep sending
            /// GETs on the same connection; checks both.
            async fn read_while_busy<R: Runtime>(conn: &Connection, p: &str, want: &BTreeMap<String, Bytes>) {
                let busy = probes::<R>(conn, p, 4, 50).await;
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
                for task in busy {
                    task.await;
                }
                assert_eq!(conn.connects(), 1, "the client's connection was never dropped");
            }

            /// 40 MB under one prefix, the server's `max_response_size` at
            /// its default (15 MiB): read whole, no connection dropped. On
            /// the real binary too when `GIBSON_TEST_ADDR` names one.
            pub(crate) async fn forty_megabytes_under_one_prefix<R: Runtime>() {
                let server = TestServer::start();
                let conn = Connection::with_config(server.config()).await.unwrap();
                let p = unique_prefix("scan40");
                let want = fill(&conn, &p, 4_000, 10 * 1024).await;
                read_while_busy::<R>(&conn, &p, &want).await;
                assert_eq!(conn.mdel(p.as_str()).await.unwrap(), 4_001);
            }

            /// Ten times a server's reply limit: pages, names included.
            pub(crate) async fn ten_times_the_reply_limit_in_pages<R: Runtime>() {
                let server = TestServer::embedded_tcp_with(|b| b.max_response_size(64 * 1024));
                let conn = Connection::with_config(server.config()).await.unwrap();
                let p = unique_prefix("scan");
                let want = fill(&conn, &p, 640, 1024).await;
                read_while_busy::<R>(&conn, &p, &want).await;
                let mut names = Vec::new();
                let mut keys = conn.keys_stream::<String>(p.as_str()).unwrap().page(100);
                while let Some(name) = keys.next().await {
                    names.push(name.unwrap());
                }
                names.retain(|k| !k.ends_with("-probe"));
                names.sort();
                assert_eq!(names, want.keys().cloned().collect::<Vec<_>>());
            }

            /// A plain MGET too large for the server fails alone, with an
            /// error that points to the stream; requests in flight on the
            /// same connection meanwhile all succeed.
            pub(crate) async fn an_mget_too_large_for_the_server_fails_alone<R: Runtime>() {
                let server = TestServer::embedded_tcp_with(|b| b.max_response_size(32 * 1024));
                let conn = Connection::with_config(server.config()).await.unwrap();
                let p = unique_prefix("toolarge");
                fill(&conn, &p, 100, 1024).await;
                let others = probes::<R>(&conn, &p, 20, 20).await;
                for _ in 0..3 {
                    let err = conn.mget::<String, Bytes>(p.as_str()).await.unwrap_err();
                    assert!(matches!(err, Error::PrefixTooLarge { .. }), "{err}");
                    assert!(err.to_string().contains("mget_stream"), "{err}");
                }
                for task in others {
                    task.await;
                }
                assert_eq!(conn.connects(), 1, "the connection the GETs were on never closed");
                let small: Vec<(String, String)> = conn.mget(format!("{p}-probe")).await.unwrap();
                assert_eq!(small.len(), 1);
            }

            /// A scan over three servers reads every one.
            pub(crate) async fn a_sharded_scan_reads_every_server<R: Runtime>() {
                let servers: Vec<TestServer> = (0..3)
                    .map(|_| TestServer::embedded_tcp_with(|b| b.max_response_size(32 * 1024)))
                    .collect();
                let list: Vec<String> = servers.iter().map(|s| s.addr().to_string()).collect();
                let cache = Sharded::connect(&format!("gibson://{}", list.join(","))).await.unwrap();
                let p = unique_prefix("scanshard");
                let want = fill(&cache, &p, 300, 512).await;
                let mut got = BTreeMap::new();
                let mut scan = cache.mget_stream::<String, Bytes>(p.as_str()).unwrap().page(50);
                while let Some(pair) = scan.next().await {
                    let (k, v) = pair.unwrap();
                    got.insert(k, v);
                }
                assert!(got == want);
            }

            /// `user:1:` beside `user:10:` and `user:1:s:`: each namespace
            /// reads and changes its own keys only.
            pub(crate) async fn a_namespace_never_touches_its_neighbours<R: Runtime>() {
                let server = TestServer::start();
                let conn = Connection::with_config(server.config()).await.unwrap();
                let root = unique_prefix("nsiso");
                let names = ["user:1:", "user:10:", "user:1:s:"];
                for (i, n) in names.iter().enumerate() {
                    let ns = conn.namespace(format!("{root}{n}")).unwrap();
                    for k in ["a", "0:a", "s:b"] {
                        ns.set(k, i.to_string(), Ttl::Never).await.unwrap();
                    }
                }
                let one = conn.namespace(format!("{root}user:1:")).unwrap();
                let mut mine: Vec<(String, String)> = one.mget("a").await.unwrap();
                mine.sort();
                assert_eq!(mine, [("a".to_string(), "0".to_string())]);
                // user:1:s:b and user:1:s:{a,0:a,s:b} are user:1:'s keys too.
                assert_eq!(one.count_all().await.unwrap(), 6);
                assert_eq!(one.invalidate().await.unwrap(), 6);
                let mut all: Vec<String> = conn.keys(root.as_str()).await.unwrap();
                all.sort();
                let want: Vec<String> = ["0:a", "a", "s:b"].iter().map(|k| format!("{root}user:10:{k}")).collect();
                assert_eq!(all, want, "only user:10:'s keys are left");
            }

            /// Twenty tasks and two separate connections ask for one
            /// missing key at once: the computation runs once.
            pub(crate) async fn one_computation_for_many_callers<R: Runtime>() {
                let server = TestServer::start();
                let key = format!("{}page", unique_prefix("stampede"));
                let runs = Arc::new(AtomicUsize::new(0));
                let mut tasks = Vec::new();
                for _ in 0..2 {
                    let conn = Connection::with_config(server.config()).await.unwrap();
                    let guard = Arc::new(Compute::new(conn));
                    for _ in 0..10 {
                        let (guard, key, runs) = (guard.clone(), key.clone(), runs.clone());
                        tasks.push(R::spawn(async move {
                            guard
                                .get_or_compute(key.as_str(), Ttl::Seconds(60), || async {
                                    runs.fetch_add(1, Ordering::SeqCst);
                                    R::sleep(Duration::from_millis(200)).await;
                                    Ok::<_, Error>("v1".to_string())
                                })
                                .await
                        }));
                    }
                }
                for t in tasks {
                    assert_eq!(t.await.unwrap(), "v1");
                }
                assert_eq!(runs.load(Ordering::SeqCst), 1, "computed exactly once");
            }
        }

        $crate::__resilience_tests!(async $rt, prefix [
            forty_megabytes_under_one_prefix,
            ten_times_the_reply_limit_in_pages,
            an_mget_too_large_for_the_server_fails_alone,
            a_sharded_scan_reads_every_server,
            a_namespace_never_touches_its_neighbours,
            one_computation_for_many_callers,
        ]);
    };
}
