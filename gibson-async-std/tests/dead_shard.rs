//! A server of the sharded client stops answering under multi-key calls:
//! the shared scenarios of `gibson_test_support::dead_shard`, and those of
//! copies of keys and hedged reads (`gibson_test_support::replicas`),
//! under async-std and under smol.

use gibson_test_support::dead_shard::{run_async, Scenario};
use gibson_test_support::replicas::{self, Scenario as Replicas};
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
fn async_std_remove_failed_serves_every_key_from_the_call_after_the_limit() {
    run_async::<AsyncStd, _, _>(Scenario::Remapped, async_std_client);
}

#[test]
fn async_std_without_remove_failed_a_dead_server_fails_fast_until_retry_timeout() {
    run_async::<AsyncStd, _, _>(Scenario::FailFast, async_std_client);
}

#[test]
fn async_std_a_request_never_written_to_a_dead_server_goes_to_a_live_one() {
    run_async::<AsyncStd, _, _>(Scenario::UnsentRemapped, async_std_client);
}

#[test]
fn smol_remove_failed_serves_every_key_from_the_call_after_the_limit() {
    run_async::<Smol, _, _>(Scenario::Remapped, smol_client);
}

#[test]
fn smol_without_remove_failed_a_dead_server_fails_fast_until_retry_timeout() {
    run_async::<Smol, _, _>(Scenario::FailFast, smol_client);
}

#[test]
fn smol_a_request_never_written_to_a_dead_server_goes_to_a_live_one() {
    run_async::<Smol, _, _>(Scenario::UnsentRemapped, smol_client);
}

#[test]
fn async_std_every_key_reads_back_with_one_server_of_three_dead() {
    replicas::run_async::<AsyncStd, _, _>(Replicas::DeadServer, async_std_client);
}

#[test]
fn async_std_every_key_reads_back_when_multi_key_calls_meet_the_dead_server_first() {
    replicas::run_async::<AsyncStd, _, _>(Replicas::DeadServerMulti, async_std_client);
}

#[test]
fn async_std_mget_and_keys_over_copies_answer_as_one_server_and_count_is_refused() {
    replicas::run_async::<AsyncStd, _, _>(Replicas::PrefixReads, async_std_client);
}

#[test]
fn async_std_hedged_reads_are_right_and_hedges_are_sent_and_won() {
    replicas::run_async::<AsyncStd, _, _>(Replicas::Hedged, async_std_client);
}

#[test]
fn smol_every_key_reads_back_with_one_server_of_three_dead() {
    replicas::run_async::<Smol, _, _>(Replicas::DeadServer, smol_client);
}

#[test]
fn smol_every_key_reads_back_when_multi_key_calls_meet_the_dead_server_first() {
    replicas::run_async::<Smol, _, _>(Replicas::DeadServerMulti, smol_client);
}

#[test]
fn smol_mget_and_keys_over_copies_answer_as_one_server_and_count_is_refused() {
    replicas::run_async::<Smol, _, _>(Replicas::PrefixReads, smol_client);
}

#[test]
fn smol_hedged_reads_are_right_and_hedges_are_sent_and_won() {
    replicas::run_async::<Smol, _, _>(Replicas::Hedged, smol_client);
}

mod server_list {
    //! The server list changing while the client runs: the shared
    //! scenarios of `gibson_test_support::server_list`, under async-std
    //! and under smol.

    use gibson_async_std::shard::ShardConfig;
    use gibson_test_support::runtime::{AsyncStd, Smol};
    use gibson_test_support::server_list::{run_async, Scenario};

    async fn async_std_client(config: ShardConfig) -> gibson_async_std::Sharded {
        gibson_async_std::Sharded::with_config(config)
            .await
            .unwrap()
    }

    async fn smol_client(config: ShardConfig) -> gibson_async_std::smol::Sharded {
        gibson_async_std::smol::Sharded::with_config(config)
            .await
            .unwrap()
    }

    #[test]
    fn async_std_a_fourth_server_joins_under_a_workload_and_only_its_keys_move() {
        run_async::<AsyncStd, _, _>(Scenario::Grows, async_std_client);
    }

    #[test]
    fn async_std_a_removed_server_gets_nothing_more_and_its_connections_close() {
        run_async::<AsyncStd, _, _>(Scenario::Removed, async_std_client);
    }

    #[test]
    fn async_std_discovery_follows_the_addresses_of_a_name() {
        run_async::<AsyncStd, _, _>(Scenario::Discovery, async_std_client);
    }

    #[test]
    fn smol_a_fourth_server_joins_under_a_workload_and_only_its_keys_move() {
        run_async::<Smol, _, _>(Scenario::Grows, smol_client);
    }

    #[test]
    fn smol_a_removed_server_gets_nothing_more_and_its_connections_close() {
        run_async::<Smol, _, _>(Scenario::Removed, smol_client);
    }

    #[test]
    fn smol_discovery_follows_the_addresses_of_a_name() {
        run_async::<Smol, _, _>(Scenario::Discovery, smol_client);
    }

    #[test]
    fn async_std_discovery_asks_the_system_resolver_by_default() {
        run_async::<AsyncStd, _, _>(Scenario::SystemResolver, async_std_client);
    }

    #[test]
    fn smol_discovery_asks_the_system_resolver_by_default() {
        run_async::<Smol, _, _>(Scenario::SystemResolver, smol_client);
    }
}
