//! Prefix reads over copies of keys (`replicas=1`) answer as one server
//! holding the data: random data, random prefixes, MGET and KEYS compared
//! with what was written, COUNT refused. The scenarios of
//! `gibson_test_support::replicas` run in `dead_shard.rs`.

use std::sync::OnceLock;

use gibson_test_support::cluster::Cluster;
use gibson_test_support::dead_shard::AsyncClient;
use gibson_test_support::replicas::{check_prefix, options, Scenario};
use gibson_test_support::runtime::Tokio;
use gibson_test_support::unique_prefix;
use gibson_tokio::Sharded;
use proptest::prelude::*;

/// Three servers (proxies) with `replicas=1`, shared by every case.
struct World {
    _cluster: Cluster,
    runtime: tokio::runtime::Runtime,
    cache: AsyncClient<Sharded, Tokio>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let cluster = Cluster::from_env(3);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let url = cluster.url(options(Scenario::DeadServer));
        let cache = AsyncClient::new(runtime.block_on(Sharded::connect(&url)).unwrap());
        World {
            _cluster: cluster,
            runtime,
            cache,
        }
    })
}

fn sub_prefix() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", "a", "a:", "a:b", "b", "b:1", "c", "zz"]).prop_map(String::from)
}

fn data() -> impl Strategy<Value = Vec<(String, u8)>> {
    prop::collection::vec(("[ab](:[b1]?)?[0-9]{1,2}", any::<u8>()), 0..30)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Random data under a case's prefix, random sub-prefixes: MGET and
    /// KEYS over the copies give what one server holding the data gives.
    #[test]
    fn prefix_reads_over_copies_answer_as_one_server(
        data in data(),
        prefixes in prop::collection::vec(sub_prefix(), 1..6),
    ) {
        use gibson_test_support::replicas::ReplicaClient;
        let w = world();
        w.runtime.block_on(async {
            let p = unique_prefix("replicas-model");
            // The last value written to a key is the one held.
            let mut held = std::collections::BTreeMap::new();
            for (k, v) in &data {
                let key = format!("{p}{k}");
                w.cache.set_one(&key, &v.to_string()).await.unwrap();
                held.insert(key, v.to_string());
            }
            let held: Vec<(String, String)> = held.into_iter().collect();
            for s in &prefixes {
                check_prefix(&w.cache, &held, &format!("{p}{s}")).await;
            }
        });
    }
}
