//! Several servers as one cache: placement, merged prefix commands, dead
//! servers. Always three embedded servers (a run against one external
//! server cannot show placement); one of them is stopped to play dead.

use std::time::Duration;

use gibson_policy::shard::Router;
use gibson_test_support::shard::key_on;
use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{AsyncCommands, Config, Connection, Error, Sharded, Ttl};

fn three() -> Vec<TestServer> {
    (0..3).map(|_| TestServer::embedded_tcp()).collect()
}

fn url(servers: &[TestServer], options: &str) -> String {
    let list: Vec<String> = servers.iter().map(|s| s.addr().to_string()).collect();
    format!("gibson://{}?{options}", list.join(","))
}

async fn alone(server: &TestServer) -> Connection {
    Connection::with_config(server.config()).await.unwrap()
}

#[tokio::test]
async fn keys_live_where_the_ring_says_and_prefix_commands_see_them_all() {
    let servers = three();
    let cache = Sharded::connect(&url(&servers, "")).await.unwrap();
    let ring = cache.config().ring();
    let p = unique_prefix("shard");
    let keys: Vec<String> = (0..300).map(|i| format!("{p}{i:03}")).collect();
    for (i, k) in keys.iter().enumerate() {
        cache
            .set(k.as_str(), i.to_string(), Ttl::Never)
            .await
            .unwrap();
    }
    let conns = [
        alone(&servers[0]).await,
        alone(&servers[1]).await,
        alone(&servers[2]).await,
    ];
    let mut per_server = [0u64; 3];
    for k in &keys {
        let home = ring.index_for(k.as_bytes()).unwrap();
        for (s, conn) in conns.iter().enumerate() {
            let there = conn.get::<String>(k.as_str()).await.unwrap().is_some();
            assert_eq!(there, s == home, "{k} on server {s}, ring says {home}");
        }
        per_server[home] += 1;
        assert_eq!(cache.server_for(k).unwrap(), cache.servers()[home]);
    }
    assert!(per_server.iter().all(|&n| n > 50), "spread: {per_server:?}");

    // Prefix commands merge the three servers' answers.
    assert_eq!(cache.count(p.as_str()).await.unwrap(), 300);
    let mut pairs: Vec<(String, String)> = cache.mget(p.as_str()).await.unwrap();
    pairs.sort();
    assert_eq!(pairs.len(), 300);
    assert_eq!(pairs[7], (keys[7].clone(), "7".to_string()));
    let limited: Vec<(String, String)> = cache
        .execute(gibson_tokio::cmd::Mget::new(p.as_str()).limit(10))
        .await
        .unwrap();
    assert_eq!(limited.len(), 10, "the limit holds across servers");
    let mut names: Vec<String> = cache.keys(p.as_str()).await.unwrap();
    names.sort();
    assert_eq!(names, keys);
    assert_eq!(cache.minc(format!("{p}00").as_str()).await.unwrap(), 10);
    assert_eq!(cache.mdel(p.as_str()).await.unwrap(), 300);
    // Absent everywhere: the same answer as one server gives.
    let one = conns[0].count(p.as_str()).await;
    let all = cache.count(p.as_str()).await;
    assert_eq!(format!("{one:?}"), format!("{all:?}"));
    let per = cache.stats_per_server().await;
    assert_eq!(per.value.unwrap().len(), 3);
}

/// Code written once against the commands trait runs on a sharded client.
async fn visit(cache: &impl AsyncCommands, page: &str) -> Result<i64, Error> {
    let n = cache.inc(page).await?;
    cache.ttl(page, Ttl::Seconds(60)).await?;
    Ok(n)
}

#[tokio::test]
async fn generic_code_and_pipelines_run_on_it() {
    let servers = three();
    let cache = Sharded::connect(&url(&servers, "")).await.unwrap();
    let p = unique_prefix("shardpipe");
    for _ in 0..3 {
        visit(&cache, &format!("{p}home")).await.unwrap();
    }
    assert_eq!(visit(&cache, &format!("{p}home")).await.unwrap(), 4);

    let mut pipe = cache.pipeline();
    let sets: Vec<_> = (0..30)
        .map(|i| pipe.set(format!("{p}k{i}"), format!("v{i}"), Ttl::Never))
        .collect();
    let count = pipe.count(format!("{p}k"));
    let gets: Vec<_> = (0..30)
        .map(|i| pipe.get::<String>(format!("{p}k{i}")))
        .collect();
    let mut results = cache.run(pipe).await.unwrap();
    for h in sets {
        results.take(h).unwrap();
    }
    assert_eq!(results.take(count).unwrap(), 30);
    for (i, h) in gets.into_iter().enumerate() {
        assert_eq!(results.take(h).unwrap(), Some(format!("v{i}")));
    }
}

/// The value of `key` on `cache`, read as text.
async fn text(cache: &Sharded, key: &str) -> Option<String> {
    cache.get::<String>(key).await.unwrap()
}

/// Fast failure detection: short timeouts, one connect attempt.
const FAST: &str =
    "failure_limit=1&retry_timeout=400ms&connect_timeout=200ms&response_timeout=500ms&attempts=1";

#[tokio::test]
async fn a_dead_server_fails_fast_then_comes_back() {
    let mut servers = three();
    let cache = Sharded::connect(&url(&servers, FAST)).await.unwrap();
    let p = unique_prefix("sharddead");
    let (dead_key, live_key) = (
        key_on(&cache.config(), 1, &p),
        key_on(&cache.config(), 0, &p),
    );
    cache
        .set(live_key.as_str(), "ok", Ttl::Never)
        .await
        .unwrap();
    servers[1].stop();

    // The first failure marks it dead (failure_limit=1) …
    let first = cache.get::<String>(dead_key.as_str()).await.unwrap_err();
    assert!(first.is_retryable(), "{first}");
    // … then its keys fail fast, and the others work.
    let err = cache.get::<String>(dead_key.as_str()).await.unwrap_err();
    assert!(matches!(err, Error::ServerDown { .. }), "{err}");
    assert!(
        err.to_string().contains(&cache.servers()[1].to_string()),
        "{err}"
    );
    assert_eq!(text(&cache, &live_key).await.as_deref(), Some("ok"));
    // A prefix command fails, unless partial results are asked for.
    assert!(cache.count(p.as_str()).await.is_err());
    let partial = cache
        .execute_partial(gibson_tokio::cmd::Count::new(p.as_str()))
        .await;
    assert_eq!(partial.missing_servers().collect::<Vec<_>>(), vec![1]);
    assert_eq!(partial.value.unwrap(), 1);

    // Back after retry_timeout.
    servers[1].restart();
    tokio::time::sleep(Duration::from_millis(450)).await;
    cache
        .set(dead_key.as_str(), "back", Ttl::Never)
        .await
        .unwrap();
    assert_eq!(cache.count(p.as_str()).await.unwrap(), 2);
}

#[tokio::test]
async fn remove_failed_moves_a_dead_servers_keys_to_the_live_ones() {
    let mut servers = three();
    let options = format!("{FAST}&remove_failed=true&partial=true");
    let cache = Sharded::connect(&url(&servers, &options)).await.unwrap();
    let p = unique_prefix("shardeject");
    let dead_key = key_on(&cache.config(), 2, &p);
    servers[2].stop();
    let _ = cache.get::<String>(dead_key.as_str()).await; // marks it dead
    cache
        .set(dead_key.as_str(), "moved", Ttl::Never)
        .await
        .unwrap();
    let now_on = cache.server_for(&dead_key).unwrap().clone();
    assert_ne!(now_on, cache.servers()[2]);
    // Where the live servers' own ring puts it.
    let mut router = Router::new(&cache.config());
    router.record(
        2,
        Err::<(), _>(&Error::ConnectionClosed { in_reply: false }),
        std::time::Instant::now(),
    );
    let want = router
        .server_for(dead_key.as_bytes(), std::time::Instant::now())
        .unwrap();
    assert_eq!(now_on, cache.servers()[want]);
    assert_eq!(text(&cache, &dead_key).await.as_deref(), Some("moved"));
    // partial=true: the prefix command answers with the live servers.
    assert_eq!(cache.count(p.as_str()).await.unwrap(), 1);
    // A server that is down at start does not make construction fail.
    let config: Config = servers[0].config();
    assert!(
        Sharded::connect(&format!("gibson://{},127.0.0.1:1?{FAST}", config.addr))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn multi_key_calls_one_round_trip_per_server_and_a_dead_one_fails_alone() {
    let mut servers = three();
    let cache = Sharded::connect(&url(&servers, FAST)).await.unwrap();
    let p = unique_prefix("shardmulti");
    let keys: Vec<String> = (0..60).map(|i| format!("{p}{i}")).collect();
    let stored = cache
        .set_multi(keys.iter().map(|k| (k.as_str(), "v")), Ttl::Never)
        .await
        .unwrap();
    assert!(stored.iter().all(Result::is_ok));
    assert_eq!(cache.count(p.as_str()).await.unwrap(), 60);
    servers[0].stop();
    let ring = cache.config().ring();
    let values = cache
        .get_multi::<_, String>(keys.iter().map(String::as_str))
        .await
        .unwrap();
    for (k, v) in keys.iter().zip(&values) {
        if ring.index_for(k.as_bytes()) == Some(0) {
            assert!(v.as_ref().unwrap_err().is_retryable(), "{k}: {v:?}");
        } else {
            assert_eq!(v.as_ref().unwrap().as_deref(), Some("v"), "{k}");
        }
    }
}

/// A change of the server list is counted and the list's size set
/// (`gibson.client.servers.changes`, `gibson.client.servers`); a discovery
/// that fails is counted (`gibson.client.discovery.failures`) and keeps
/// the list.
#[cfg(feature = "metrics")]
#[test]
fn server_list_changes_and_failed_discoveries_are_counted() {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};

    use gibson_test_support::observe::{counted, install_recorder, series};
    use gibson_tokio::metrics::{DISCOVERY_FAILURES, SERVERS, SERVER_LIST_CHANGES};
    use gibson_tokio::shard::{Resolver, ShardConfig};

    let _turn = install_recorder();
    let servers = three();
    let port = |s: &TestServer| match s.addr() {
        gibson_tokio::Addr::Tcp { port, .. } => *port,
        addr => panic!("{addr} is not TCP"),
    };
    // One name per server, each answering its own address, or nothing.
    let failing = Arc::new(Mutex::new(false));
    let mut config: ShardConfig = format!(
        "gibson://one.test:{},two.test:{}?discover=20ms",
        port(&servers[0]),
        port(&servers[1])
    )
    .parse()
    .unwrap();
    let fail = failing.clone();
    config.resolver = Some(Resolver::new(move |_, port| match *fail.lock().unwrap() {
        true => Err(std::io::Error::other("no answer")),
        false => Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))]),
    }));
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let cache = Sharded::with_config(config).await.unwrap();
            let (changes, failures) = (counted(SERVER_LIST_CHANGES), counted(DISCOVERY_FAILURES));
            *failing.lock().unwrap() = true;
            let began = std::time::Instant::now();
            while counted(DISCOVERY_FAILURES) == failures {
                assert!(
                    began.elapsed() < Duration::from_secs(10),
                    "no failed discovery counted"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert_eq!(
                cache.servers().len(),
                2,
                "a failed discovery changed the list"
            );
            cache.add(servers[2].addr().clone()).unwrap();
            assert_eq!(counted(SERVER_LIST_CHANGES), changes + 1);
            let size = series(SERVERS, &[]);
            assert_eq!(
                size.first().and_then(|s| s.gauges.last()),
                Some(&3.0),
                "{size:?}"
            );
        });
}
