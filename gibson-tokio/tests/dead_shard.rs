//! A server of the sharded client stops answering under multi-key calls:
//! the shared scenarios of `gibson_test_support::dead_shard`, and those of
//! copies of keys and hedged reads (`gibson_test_support::replicas`), on
//! tokio. The model test of prefix reads over copies is in
//! `replicas_model.rs`.

use gibson_test_support::dead_shard::{run_async, Scenario};
use gibson_test_support::replicas::{self, Scenario as Replicas};
use gibson_test_support::runtime::Tokio;
use gibson_tokio::Sharded;

async fn connect(url: String) -> Sharded {
    Sharded::connect(&url).await.unwrap()
}

#[test]
fn remove_failed_serves_every_key_from_the_call_after_the_limit() {
    run_async::<Tokio, _, _>(Scenario::Remapped, connect);
}

#[test]
fn without_remove_failed_a_dead_server_fails_fast_until_retry_timeout() {
    run_async::<Tokio, _, _>(Scenario::FailFast, connect);
}

#[test]
fn a_request_never_written_to_a_dead_server_goes_to_a_live_one() {
    run_async::<Tokio, _, _>(Scenario::UnsentRemapped, connect);
}

#[test]
fn every_key_reads_back_with_one_server_of_three_dead() {
    replicas::run_async::<Tokio, _, _>(Replicas::DeadServer, connect);
}

#[test]
fn every_key_reads_back_when_multi_key_calls_meet_the_dead_server_first() {
    replicas::run_async::<Tokio, _, _>(Replicas::DeadServerMulti, connect);
}

#[test]
fn mget_and_keys_over_copies_answer_as_one_server_and_count_is_refused() {
    replicas::run_async::<Tokio, _, _>(Replicas::PrefixReads, connect);
}

#[test]
fn hedged_reads_are_right_and_hedges_are_sent_and_won() {
    replicas::run_async::<Tokio, _, _>(Replicas::Hedged, connect);
}

/// The same reads without `hedge`, to compare the latencies printed
/// (`cargo test --release -p gibson-tokio --test dead_shard hedged -- --include-ignored --nocapture`).
#[test]
#[ignore = "a measurement: the slow server's reads take 100 ms each"]
fn unhedged_reads_for_comparison() {
    replicas::run_async::<Tokio, _, _>(Replicas::Unhedged, connect);
}
