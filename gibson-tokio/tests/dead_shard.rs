//! A server of the sharded client stops answering under multi-key calls:
//! the shared scenarios of `gibson_test_support::dead_shard`, those of
//! copies of keys and hedged reads (`gibson_test_support::replicas`) and,
//! in `server_list`, those of a server list that changes while the client
//! runs (`gibson_test_support::server_list`), on tokio. The model test of
//! prefix reads over copies is in `replicas_model.rs`.

use gibson_test_support::replicas::{self, Scenario as Replicas};
use gibson_test_support::runtime::Tokio;

gibson_test_support::suite!(dead_shard, client: gibson_tokio, runtimes: [tokio]);

/// The same reads without `hedge`, to compare the latencies printed
/// (`cargo test --release -p gibson-tokio --test dead_shard hedged -- --include-ignored --nocapture`).
#[test]
#[ignore = "a measurement: the slow server's reads take 100 ms each"]
fn unhedged_reads_for_comparison() {
    replicas::run_async::<Tokio, _, _>(Replicas::Unhedged, |url| async move {
        gibson_tokio::Sharded::connect(&url).await.unwrap()
    });
}
