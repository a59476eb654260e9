//! Copies of keys on several servers and hedged reads: the shared
//! scenarios of `gibson_test_support::replicas`, on tokio, and a model
//! test of the prefix reads over copies.

use std::sync::OnceLock;

use gibson_test_support::cluster::Cluster;
use gibson_test_support::dead_shard::AsyncClient;
use gibson_test_support::replicas::{check_prefix, options, run_async, Scenario};
use gibson_test_support::runtime::Tokio;
use gibson_test_support::unique_prefix;
use gibson_tokio::Sharded;
use proptest::prelude::*;

async fn connect(url: String) -> Sharded {
    Sharded::connect(&url).await.unwrap()
}

#[test]
fn every_key_reads_back_with_one_server_of_three_dead() {
    run_async::<Tokio, _, _>(Scenario::DeadServer, connect);
}

#[test]
fn mget_and_keys_answer_as_one_server_and_count_is_refused() {
    run_async::<Tokio, _, _>(Scenario::PrefixReads, connect);
}

#[test]
fn hedged_reads_are_right_and_hedges_are_sent_and_won() {
    run_async::<Tokio, _, _>(Scenario::Hedged, connect);
}

/// The same reads without `hedge`, to compare the latencies printed
/// (`cargo test --release -p gibson-tokio --test replicas -- --ignored --nocapture`).
#[test]
#[ignore = "a measurement: the slow server's reads take 100 ms each"]
fn unhedged_reads_for_comparison() {
    run_async::<Tokio, _, _>(Scenario::Unhedged, connect);
}

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
        let cache = AsyncClient::new(runtime.block_on(connect(url)));
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
