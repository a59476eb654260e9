//! Namespaces: keys relative to a prefix, on a connection, a pool and a
//! sharded client, and a property test that a namespace never reads or
//! changes a key outside its prefix (`user:1:` beside `user:10:`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{AsyncCommands, Connection, Error, Namespace, Pool, Sharded, Ttl};
use proptest::prelude::*;

#[tokio::test]
async fn keys_are_relative_and_namespaces_nest() {
    let server = TestServer::start();
    let conn = Connection::with_config(server.config()).await.unwrap();
    let root = unique_prefix("ns");
    let user = conn.namespace(format!("{root}user:42:")).unwrap();
    user.set("name", "ada", Ttl::Never).await.unwrap();
    assert_eq!(
        conn.get::<String>(format!("{root}user:42:name"))
            .await
            .unwrap()
            .as_deref(),
        Some("ada")
    );
    let sessions = user.namespace("sessions:").unwrap();
    sessions.set("s1", "t1", Ttl::Never).await.unwrap();
    sessions.set("s2", "t2", Ttl::Never).await.unwrap();
    let mut pairs: Vec<(String, String)> = sessions.mget("s").await.unwrap();
    pairs.sort();
    assert_eq!(
        pairs,
        [("s1".into(), "t1".into()), ("s2".into(), "t2".into())]
    );
    let mut names: Vec<String> = user.keys("sessions:").await.unwrap();
    names.sort();
    assert_eq!(names, ["sessions:s1", "sessions:s2"]);
    assert_eq!(user.count_all().await.unwrap(), 3);
    assert_eq!(sessions.count_all().await.unwrap(), 2);
    assert_eq!(sessions.lock_all(60u32).await.unwrap(), 2);
    assert!(sessions.del("s1").await.unwrap_err().is_locked());
    assert_eq!(sessions.unlock_all().await.unwrap(), 2);
    assert_eq!(user.expire_all(Ttl::Seconds(300)).await.unwrap(), 3);

    // A pipeline under a namespace, a refused key failing alone.
    let mut p = user.pipeline();
    let a = p.get::<String>("name");
    let too_long = p.get::<String>("x".repeat(conn.config().limits.max_key_size));
    let n = p.count("sessions:");
    let mut results = user.run(p).await.unwrap();
    assert_eq!(results.take(a).unwrap().as_deref(), Some("ada"));
    let err = results.take(too_long).unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { arg: "key", .. }),
        "{err}"
    );
    assert_eq!(results.take(n).unwrap(), 2);

    assert_eq!(user.invalidate().await.unwrap(), 3);
    let left: Vec<String> = conn.keys(root.as_str()).await.unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    // The delimiter rule.
    let err = conn.namespace(format!("{root}user:1")).unwrap_err();
    assert!(err.to_string().contains("delimiter"), "{err}");
    assert!(user.namespace("nested").is_err());
}

#[tokio::test]
async fn a_namespace_works_on_a_pool_and_a_sharded_client() {
    let servers: Vec<TestServer> = (0..3).map(|_| TestServer::embedded_tcp()).collect();
    let list: Vec<String> = servers.iter().map(|s| s.addr().to_string()).collect();
    let sharded = Sharded::connect(&format!("gibson://{}", list.join(",")))
        .await
        .unwrap();
    let pool = Pool::with_config(servers[0].config()).await.unwrap();
    let root = unique_prefix("nsclients");
    for (ns, n) in [
        (Namespace::new(&sharded, format!("{root}s:")).unwrap(), 40),
        (Namespace::new(&sharded, format!("{root}t:")).unwrap(), 7),
    ] {
        for i in 0..n {
            ns.set(format!("k{i}"), "v", Ttl::Never).await.unwrap();
        }
        let names: Vec<String> = ns.keys("k").await.unwrap();
        assert_eq!(names.len(), n);
        assert!(names.iter().all(|k| k.starts_with('k')), "{names:?}");
        assert_eq!(ns.invalidate().await.unwrap(), n as u64);
    }
    let on_pool = pool.namespace(format!("{root}p:")).unwrap();
    assert_eq!(on_pool.inc("n").await.unwrap(), 1);
    assert_eq!(
        pool.get::<i64>(format!("{root}p:n")).await.unwrap(),
        Some(1)
    );
}

/// One server for every case (each case writes under its own root).
fn world() -> &'static (TestServer, tokio::runtime::Runtime, Connection) {
    static WORLD: OnceLock<(TestServer, tokio::runtime::Runtime, Connection)> = OnceLock::new();
    WORLD.get_or_init(|| {
        let server = TestServer::start();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let conn = rt
            .block_on(Connection::with_config(server.config()))
            .unwrap();
        (server, rt, conn)
    })
}

/// The namespaces under test, side by side: `user:1:` is a string prefix
/// of `user:10:` without its delimiter.
const SPACES: [&str; 3] = ["user:1:", "user:10:", "user:1:s:"];

#[derive(Debug, Clone)]
enum Op {
    Set(usize, String, u8),
    Del(usize, String),
    Inc(usize, String),
    Mset(usize, String, u8),
    Mdel(usize, String),
    Invalidate(usize),
    Get(usize, String),
    Mget(usize, String),
    Keys(usize, String),
    Count(usize, String),
}

fn rel() -> impl Strategy<Value = String> {
    // Relative keys that look like the neighbours' prefixes on purpose.
    prop::sample::select(vec!["a", "b", "0", "0:a", "s:a", "s:b", "1", "10:a"])
        .prop_map(String::from)
}

fn op() -> impl Strategy<Value = Op> {
    let ns = 0..SPACES.len();
    prop_oneof![
        (ns.clone(), rel(), any::<u8>()).prop_map(|(n, k, v)| Op::Set(n, k, v)),
        (ns.clone(), rel()).prop_map(|(n, k)| Op::Del(n, k)),
        (ns.clone(), rel()).prop_map(|(n, k)| Op::Inc(n, k)),
        (ns.clone(), rel(), any::<u8>()).prop_map(|(n, k, v)| Op::Mset(n, k, v)),
        (ns.clone(), rel()).prop_map(|(n, k)| Op::Mdel(n, k)),
        ns.clone().prop_map(Op::Invalidate),
        (ns.clone(), rel()).prop_map(|(n, k)| Op::Get(n, k)),
        (ns.clone(), rel()).prop_map(|(n, k)| Op::Mget(n, k)),
        (ns.clone(), rel()).prop_map(|(n, k)| Op::Keys(n, k)),
        (ns, rel()).prop_map(|(n, k)| Op::Count(n, k)),
    ]
}

/// The model's keys of namespace `full` under relative prefix `rel`.
fn under<'m>(
    model: &'m BTreeMap<String, String>,
    full: &str,
) -> impl Iterator<Item = (&'m String, &'m String)> + 'm {
    let full = full.to_string();
    model.iter().filter(move |(k, _)| k.starts_with(&full))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_namespace_never_touches_a_key_outside_its_prefix(ops in prop::collection::vec(op(), 1..25)) {
        let (_, rt, conn) = world();
        rt.block_on(async {
            let root = unique_prefix("nsprop");
            let spaces: Vec<Namespace<&Connection>> = SPACES
                .iter()
                .map(|s| conn.namespace(format!("{root}{s}")).unwrap())
                .collect();
            // Full keys to values, as the server should hold them.
            let mut model: BTreeMap<String, String> = BTreeMap::new();
            for op in &ops {
                match op {
                    Op::Set(n, k, v) => {
                        spaces[*n].set(k.as_str(), v.to_string(), Ttl::Never).await.unwrap();
                        model.insert(format!("{root}{}{k}", SPACES[*n]), v.to_string());
                    }
                    Op::Del(n, k) => {
                        let full = format!("{root}{}{k}", SPACES[*n]);
                        let existed = spaces[*n].del(k.as_str()).await.unwrap();
                        assert_eq!(existed, model.remove(&full).is_some(), "{op:?}");
                    }
                    Op::Inc(n, k) => {
                        let full = format!("{root}{}{k}", SPACES[*n]);
                        let got = spaces[*n].inc(k.as_str()).await;
                        let before = model.get(&full).map(|v| v.parse::<i64>());
                        match before {
                            None => { assert_eq!(got.unwrap(), 1); model.insert(full, "1".into()); }
                            Some(Ok(v)) => { assert_eq!(got.unwrap(), v + 1); model.insert(full, (v + 1).to_string()); }
                            Some(Err(_)) => prop_assert!(got.is_err()),
                        }
                    }
                    Op::Mset(n, k, v) => {
                        let full = format!("{root}{}{k}", SPACES[*n]);
                        let keys: Vec<String> = under(&model, &full).map(|(k, _)| k.clone()).collect();
                        let got = spaces[*n].mset(k.as_str(), v.to_string()).await;
                        if keys.is_empty() {
                            // Nothing there: 0 or NOT_FOUND, as the server says.
                            prop_assert!(matches!(got, Ok(0) | Err(_)), "{op:?}: {got:?}");
                        } else {
                            prop_assert_eq!(got.unwrap(), keys.len() as u64);
                        }
                        for key in keys { model.insert(key, v.to_string()); }
                    }
                    Op::Mdel(n, k) => {
                        let full = format!("{root}{}{k}", SPACES[*n]);
                        let keys: Vec<String> = under(&model, &full).map(|(k, _)| k.clone()).collect();
                        let got = spaces[*n].mdel(k.as_str()).await;
                        if keys.is_empty() {
                            // Nothing there: 0 or NOT_FOUND, as the server says.
                            prop_assert!(matches!(got, Ok(0) | Err(_)), "{op:?}: {got:?}");
                        } else {
                            prop_assert_eq!(got.unwrap(), keys.len() as u64);
                        }
                        for key in keys { model.remove(&key); }
                    }
                    Op::Invalidate(n) => {
                        let full = format!("{root}{}", SPACES[*n]);
                        let keys: Vec<String> = under(&model, &full).map(|(k, _)| k.clone()).collect();
                        let got = spaces[*n].invalidate().await;
                        if keys.is_empty() {
                            // Nothing there: 0 or NOT_FOUND, as the server says.
                            prop_assert!(matches!(got, Ok(0) | Err(_)), "{op:?}: {got:?}");
                        } else {
                            prop_assert_eq!(got.unwrap(), keys.len() as u64);
                        }
                        for key in keys { model.remove(&key); }
                    }
                    Op::Get(n, k) => {
                        let full = format!("{root}{}{k}", SPACES[*n]);
                        let got = spaces[*n].get::<String>(k.as_str()).await.unwrap();
                        prop_assert_eq!(got.as_ref(), model.get(&full));
                    }
                    Op::Mget(n, k) => {
                        let ns = format!("{root}{}", SPACES[*n]);
                        let full = format!("{ns}{k}");
                        let want: Vec<(String, String)> = under(&model, &full)
                            .map(|(key, v)| (key[ns.len()..].to_string(), v.clone()))
                            .collect();
                        let got = spaces[*n].mget::<String, String>(k.as_str()).await;
                        match got {
                            Ok(mut got) => { got.sort(); prop_assert_eq!(got, want); }
                            Err(e) => prop_assert!(want.is_empty(), "{op:?}: {e}"),
                        }
                    }
                    Op::Keys(n, k) => {
                        let ns = format!("{root}{}", SPACES[*n]);
                        let full = format!("{ns}{k}");
                        let want: Vec<String> = under(&model, &full).map(|(key, _)| key[ns.len()..].to_string()).collect();
                        match spaces[*n].keys::<String>(k.as_str()).await {
                            Ok(mut got) => { got.sort(); prop_assert_eq!(got, want); }
                            Err(e) => prop_assert!(want.is_empty(), "{op:?}: {e}"),
                        }
                    }
                    Op::Count(n, k) => {
                        let full = format!("{root}{}{k}", SPACES[*n]);
                        let want = under(&model, &full).count() as u64;
                        match spaces[*n].count(k.as_str()).await {
                            Ok(got) => prop_assert_eq!(got, want),
                            Err(e) => prop_assert!(want == 0, "{op:?}: {e}"),
                        }
                    }
                }
            }
            // Nothing outside the model changed: the whole root, read
            // without any namespace, is exactly the model.
            let mut all: Vec<(String, String)> = conn.mget(root.as_str()).await.unwrap_or_default();
            all.sort();
            let want: Vec<(String, String)> = model.into_iter().collect();
            prop_assert_eq!(all, want);
            Ok(())
        })?;
    }
}
