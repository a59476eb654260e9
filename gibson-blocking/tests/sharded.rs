//! The sharded blocking client over three embedded servers (always
//! embedded, also when `GIBSON_TEST_ADDR` names an external server: these
//! tests need three servers they can stop and restart).

use std::collections::BTreeMap;
use std::thread::sleep;
use std::time::Duration;

use bytes::Bytes;
use gibson_blocking::{cmd, Commands, Connection, Error, Sharded, Ttl, Value};
use gibson_test_support::shard::key_on;
use gibson_test_support::{unique_prefix, TestServer};

fn three() -> Vec<TestServer> {
    (0..3).map(|_| TestServer::embedded_tcp()).collect()
}

/// `gibson://a,b,c?opts`, with short timeouts so that a dead server is
/// found out fast.
fn url(servers: &[TestServer], opts: &str) -> String {
    let list: Vec<String> = servers.iter().map(|s| s.addr().to_string()).collect();
    format!(
        "gibson://{}?attempts=1&connect_timeout=500ms&response_timeout=2s{opts}",
        list.join(",")
    )
}

fn cache(servers: &[TestServer], opts: &str) -> Sharded {
    Sharded::connect(&url(servers, opts)).expect("a valid server list")
}

fn alone(server: &TestServer) -> Connection {
    Connection::with_config(server.config()).expect("connect to one server")
}

/// Three shards and, beside them, one server to compare them with; the
/// servers live as long as the first two values.
fn shards_beside_one() -> (Vec<TestServer>, TestServer, Sharded, Connection) {
    let servers = three();
    let single = TestServer::embedded_tcp();
    let (cache, one) = (cache(&servers, ""), alone(&single));
    (servers, single, cache, one)
}

fn text(v: &Value) -> String {
    String::from_utf8(v.as_bytes().expect("a string value").to_vec()).unwrap()
}

/// Index of the server of `key`, by the configuration's ring.
fn home(cache: &Sharded, key: &str) -> usize {
    cache.config().ring().index_for(key.as_bytes()).unwrap()
}

#[test]
fn keys_live_where_the_ring_says() {
    let servers = three();
    let mut cache = cache(&servers, "");
    let prefix = unique_prefix("place");
    let keys: Vec<String> = (0..90).map(|i| format!("{prefix}{i}")).collect();
    for k in &keys {
        cache.set(k.as_str(), k.as_str(), Ttl::Never).unwrap();
        assert_eq!(
            cache.get::<String>(k.as_str()).unwrap().as_deref(),
            Some(k.as_str())
        );
    }
    let mut per_server = [0; 3];
    for (i, server) in servers.iter().enumerate() {
        let mut conn = alone(server);
        for k in &keys {
            let here = conn.get::<String>(k.as_str()).unwrap().is_some();
            assert_eq!(here, home(&cache, k) == i, "{k} on server {i}");
            per_server[i] += usize::from(here);
        }
    }
    assert!(per_server.iter().all(|&n| n > 0), "{per_server:?}");
}

/// Three shards and one server holding the same data answer the prefix
/// commands alike.
#[test]
fn fan_out_equals_one_servers_view_of_the_union() {
    let (_servers, _single, mut cache, mut one) = shards_beside_one();
    let prefix = unique_prefix("union");
    for i in 0..40 {
        let (k, v) = (format!("{prefix}{i}"), i.to_string());
        cache.set(k.as_str(), v.as_str(), Ttl::Never).unwrap();
        one.set(k.as_str(), v.as_str(), Ttl::Never).unwrap();
    }
    let p = prefix.as_str();
    assert_eq!(cache.count(p).unwrap(), one.count(p).unwrap());
    assert_eq!(cache.count(p).unwrap(), 40);

    let sorted = |pairs: Vec<(String, String)>| pairs.into_iter().collect::<BTreeMap<_, _>>();
    let all: Vec<(String, String)> = cache.mget(p).unwrap();
    assert_eq!(sorted(all), sorted(one.mget(p).unwrap()));
    let limited: Vec<(String, String)> = cache.mget_limit(p, 7).unwrap();
    assert_eq!(
        limited.len(),
        one.mget_limit::<String, String>(p, 7).unwrap().len()
    );

    let names = |keys: Vec<Bytes>| {
        let mut keys: Vec<Bytes> = keys;
        keys.sort();
        keys
    };
    assert_eq!(names(cache.keys(p).unwrap()), names(one.keys(p).unwrap()));

    // Nothing anywhere: NOT_FOUND from every shard, as from one server.
    let absent = format!("{prefix}absent:");
    let (a, b) = (cache.count(absent.as_str()), one.count(absent.as_str()));
    assert_eq!(format!("{a:?}"), format!("{b:?}"));

    // The M* writes are summed.
    assert_eq!(cache.minc(p).unwrap(), one.minc(p).unwrap());
    assert_eq!(cache.mttl(p, Ttl::Never).unwrap(), 40);
    assert_eq!(cache.mdel(p).unwrap(), one.mdel(p).unwrap());
    assert_eq!(cache.count(p).ok(), one.count(p).ok());
    assert!(matches!(cache.ping(), Ok(())));
}

#[test]
fn multi_key_calls_keep_order_and_agree_with_one_server() {
    let (_servers, _single, mut cache, mut one) = shards_beside_one();
    let prefix = unique_prefix("multi");
    let pairs: Vec<(String, String)> = (0..30)
        .map(|i| (format!("{prefix}{i}"), format!("v{i}")))
        .collect();
    let set = cache.set_multi(pairs.clone(), Ttl::Never).unwrap();
    assert_eq!(set.len(), 30);
    assert!(set.iter().all(Result::is_ok), "{set:?}");
    one.set_multi(pairs.clone(), Ttl::Never).unwrap();

    let mut keys: Vec<String> = pairs.iter().map(|(k, _)| k.clone()).collect();
    keys.insert(5, format!("{prefix}absent"));
    keys.insert(9, "bad key".to_string()); // refused alone
    let got = cache
        .get_multi::<_, String>(keys.iter().map(String::as_str))
        .unwrap();
    let want = one
        .get_multi::<_, String>(keys.iter().map(String::as_str))
        .unwrap();
    assert_eq!(got.len(), keys.len());
    for ((k, g), w) in keys.iter().zip(&got).zip(&want) {
        assert_eq!(g.as_ref().ok(), w.as_ref().ok(), "{k}");
    }
    assert_eq!(got[0].as_ref().unwrap().as_deref(), Some("v0"));
    assert_eq!(got[5].as_ref().unwrap(), &None);
    assert!(matches!(got[9], Err(Error::InvalidArgument { .. })));
    assert_eq!(got[31].as_ref().unwrap().as_deref(), Some("v29"));

    let deleted = cache.delete_multi(keys.iter().map(String::as_str)).unwrap();
    assert_eq!(deleted[0].as_ref().ok(), Some(&true));
    assert_eq!(deleted[5].as_ref().ok(), Some(&false));
    assert!(deleted[9].is_err());
    let gone = one.delete_multi(keys.iter().map(String::as_str)).unwrap();
    for (d, g) in deleted.iter().zip(&gone) {
        assert_eq!(d.as_ref().ok(), g.as_ref().ok());
    }
    let (p, left) = (prefix.as_str(), cache.count(prefix.as_str()));
    assert_eq!(
        format!("{left:?}"),
        format!("{:?}", one.count(p)),
        "all gone"
    );
}

#[test]
fn pipelines_are_split_and_put_back_in_order() {
    let servers = three();
    let cache = cache(&servers, "");
    let prefix = unique_prefix("pipe");
    let mut p = cache.pipeline();
    let sets: Vec<_> = (0..12)
        .map(|i| p.set(format!("{prefix}{i}"), i.to_string(), Ttl::Never))
        .collect();
    let count = p.count(prefix.as_str());
    let gets: Vec<_> = (0..12)
        .map(|i| p.get::<i64>(format!("{prefix}{i}")))
        .collect();
    let mut results = cache.run(p).unwrap();
    for (i, h) in sets.into_iter().enumerate() {
        assert_eq!(text(&results.take(h).unwrap()), i.to_string());
    }
    assert_eq!(results.take(count).unwrap(), 12);
    for (i, h) in gets.into_iter().enumerate() {
        assert_eq!(results.take(h).unwrap(), Some(i as i64));
    }
}

#[test]
fn code_written_for_commands_runs_on_a_sharded_client() {
    fn visit(cache: &mut impl Commands, key: &str) -> Result<i64, Error> {
        cache.inc(key)
    }
    let servers = three();
    let mut cache = cache(&servers, "");
    let key = unique_prefix("visits");
    assert_eq!(visit(&mut cache, &key).unwrap(), 1);
    assert_eq!(visit(&mut cache, &key).unwrap(), 2);
    let per = cache.stats_per_server();
    assert!(per.is_complete());
    assert_eq!(per.value.unwrap().len(), 3);
}

/// One key of `prefix` per server: `keys[i]` lives on server i.
fn one_key_per_server(cache: &Sharded, prefix: &str) -> Vec<String> {
    (0..3).map(|i| key_on(&cache.config(), i, prefix)).collect()
}

#[test]
fn a_dead_server_fails_fast_then_comes_back() {
    let mut servers = three();
    let mut cache = cache(&servers, "&failure_limit=2&retry_timeout=300ms");
    let keys = one_key_per_server(&cache, &unique_prefix("dead"));
    for k in &keys {
        cache.set(k.as_str(), "x", Ttl::Never).unwrap();
    }
    assert!(servers[1].stop());
    let dead = keys[1].as_str();
    for _ in 0..2 {
        let err = cache.get::<String>(dead).unwrap_err();
        assert!(err.is_connection_broken(), "{err}");
    }
    assert!(!cache.is_live(1));
    let err = cache.get::<String>(dead).unwrap_err();
    assert!(
        matches!(err, Error::ServerDown { failures: 2, .. }),
        "{err}"
    );
    // The others' keys still work, and a fan-out fails (partial=false).
    assert_eq!(
        cache.get::<String>(keys[0].as_str()).unwrap().as_deref(),
        Some("x")
    );
    assert_eq!(
        cache.get::<String>(keys[2].as_str()).unwrap().as_deref(),
        Some("x")
    );
    assert!(matches!(cache.count("dead"), Err(Error::ServerDown { .. })));
    let per = cache.stats_per_server();
    assert_eq!(per.missing_servers().collect::<Vec<_>>(), [1]);
    // execute_partial says who is missing instead of failing.
    let count = cache.execute_partial(cmd::Count::new("dead"));
    assert_eq!(count.missing_servers().collect::<Vec<_>>(), [1]);
    assert!(count.value.is_ok(), "{:?}", count.value);
    assert!(matches!(
        cache.server_for(dead),
        Err(Error::ServerDown { .. })
    ));
    // A multi-key call: only the dead server's key fails.
    let got = cache
        .get_multi::<_, String>(keys.iter().map(String::as_str))
        .unwrap();
    assert!(got[0].is_ok() && got[2].is_ok(), "{got:?}");
    assert!(matches!(got[1], Err(Error::ServerDown { .. })));

    // Back after retry_timeout.
    assert!(servers[1].restart());
    sleep(Duration::from_millis(350));
    assert_eq!(cache.get::<String>(dead).unwrap(), None, "restarted empty");
    assert!(cache.is_live(1));
    cache.set(dead, "y", Ttl::Never).unwrap();
    assert_eq!(
        alone(&servers[1]).get::<String>(dead).unwrap().as_deref(),
        Some("y")
    );
}

#[test]
fn remove_failed_sends_a_dead_servers_keys_to_the_live_ones() {
    let mut servers = three();
    let mut cache = cache(
        &servers,
        "&failure_limit=1&retry_timeout=60s&remove_failed=true",
    );
    let keys = one_key_per_server(&cache, &unique_prefix("eject"));
    assert!(servers[2].stop());
    let moved = keys[2].as_str();
    // The request that finds it dead (its connection refused, so nothing
    // was written) goes to a live server in the same call.
    assert_eq!(cache.get::<String>(moved).unwrap(), None);
    assert!(!cache.is_live(2));
    let now = cache.server_for(moved).unwrap();
    assert_ne!(&now, servers[2].addr(), "{moved} moved to a live server");
    cache.set(moved, "moved", Ttl::Never).unwrap();
    assert_eq!(
        cache.get::<String>(moved).unwrap().as_deref(),
        Some("moved")
    );
    let found: Vec<bool> = servers[..2]
        .iter()
        .map(|s| alone(s).get::<String>(moved).unwrap().is_some())
        .collect();
    assert_eq!(found.iter().filter(|&&f| f).count(), 1, "{found:?}");
    // Pipelines too: the dead server's keyed requests go to the live ones.
    let got = cache
        .get_multi::<_, String>([moved, keys[0].as_str()])
        .unwrap();
    assert_eq!(got[0].as_ref().unwrap().as_deref(), Some("moved"));
    assert!(got[1].is_ok());
}

#[test]
fn partial_fan_out_answers_with_the_live_servers() {
    let mut servers = three();
    let mut cache = cache(&servers, "&failure_limit=1&retry_timeout=60s&partial=true");
    let prefix = unique_prefix("partial");
    let keys = one_key_per_server(&cache, &prefix);
    for k in &keys {
        cache.set(k.as_str(), "1", Ttl::Never).unwrap();
    }
    assert_eq!(cache.count(prefix.as_str()).unwrap(), 3);
    assert!(servers[0].stop());
    // The first fan-out finds it dead, the next ones skip it.
    assert_eq!(cache.count(prefix.as_str()).unwrap(), 2);
    assert!(!cache.is_live(0));
    assert_eq!(cache.count(prefix.as_str()).unwrap(), 2);
    let pairs: Vec<(String, String)> = cache.mget(prefix.as_str()).unwrap();
    assert_eq!(pairs.len(), 2);
}

#[test]
fn building_never_connects() {
    // Nothing listens on these ports.
    let mut cache = Sharded::connect("127.0.0.1:1,127.0.0.1:2?attempts=1&failure_limit=1").unwrap();
    assert!(cache.ping().is_err());
    assert!(matches!(cache.ping(), Err(Error::ServerDown { .. })));
}
