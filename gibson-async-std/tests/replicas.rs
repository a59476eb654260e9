//! Copies of keys on several servers and hedged reads: the shared
//! scenarios of `gibson_test_support::replicas`, under async-std and
//! under smol.

use gibson_test_support::replicas::{run_async, Scenario};
use gibson_test_support::runtime::{AsyncStd, Smol};

async fn async_std_client(url: String) -> gibson_async_std::Sharded {
    gibson_async_std::Sharded::connect(&url).await.unwrap()
}

async fn smol_client(url: String) -> gibson_async_std::smol::Sharded {
    gibson_async_std::smol::Sharded::connect(&url)
        .await
        .unwrap()
}

#[test]
fn async_std_every_key_reads_back_with_one_server_of_three_dead() {
    run_async::<AsyncStd, _, _>(Scenario::DeadServer, async_std_client);
}

#[test]
fn async_std_mget_and_keys_answer_as_one_server_and_count_is_refused() {
    run_async::<AsyncStd, _, _>(Scenario::PrefixReads, async_std_client);
}

#[test]
fn async_std_hedged_reads_are_right_and_hedges_are_sent_and_won() {
    run_async::<AsyncStd, _, _>(Scenario::Hedged, async_std_client);
}

#[test]
fn smol_every_key_reads_back_with_one_server_of_three_dead() {
    run_async::<Smol, _, _>(Scenario::DeadServer, smol_client);
}

#[test]
fn smol_mget_and_keys_answer_as_one_server_and_count_is_refused() {
    run_async::<Smol, _, _>(Scenario::PrefixReads, smol_client);
}

#[test]
fn smol_hedged_reads_are_right_and_hedges_are_sent_and_won() {
    run_async::<Smol, _, _>(Scenario::Hedged, smol_client);
}
