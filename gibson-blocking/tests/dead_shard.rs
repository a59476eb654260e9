//! A server of the sharded client stops answering under multi-key calls:
//! the shared scenarios of `gibson_test_support::dead_shard`, and those of
//! copies of keys and hedged reads (`gibson_test_support::replicas`),
//! blocking.

use gibson_blocking::Sharded;
use gibson_test_support::dead_shard::{run_blocking, Scenario};
use gibson_test_support::replicas::{self, Scenario as Replicas};

fn connect(url: String) -> Sharded {
    Sharded::connect(&url).unwrap()
}

#[test]
fn remove_failed_serves_every_key_from_the_call_after_the_limit() {
    run_blocking(Scenario::Remapped, connect);
}

#[test]
fn without_remove_failed_a_dead_server_fails_fast_until_retry_timeout() {
    run_blocking(Scenario::FailFast, connect);
}

#[test]
fn a_request_never_written_to_a_dead_server_goes_to_a_live_one() {
    run_blocking(Scenario::UnsentRemapped, connect);
}

#[test]
fn every_key_reads_back_with_one_server_of_three_dead() {
    replicas::run_blocking(Replicas::DeadServer, connect);
}

#[test]
fn every_key_reads_back_when_multi_key_calls_meet_the_dead_server_first() {
    replicas::run_blocking(Replicas::DeadServerMulti, connect);
}

#[test]
fn mget_and_keys_over_copies_answer_as_one_server_and_count_is_refused() {
    replicas::run_blocking(Replicas::PrefixReads, connect);
}

#[test]
fn hedged_reads_are_right_and_hedges_are_sent_and_won() {
    replicas::run_blocking(Replicas::Hedged, connect);
}

mod server_list {
    //! The server list changing while the client runs: the shared
    //! scenarios of `gibson_test_support::server_list`.

    use gibson_blocking::Sharded;
    use gibson_test_support::server_list::{run_blocking, Scenario};

    fn connect(config: gibson_blocking::shard::ShardConfig) -> Sharded {
        Sharded::with_config(config).unwrap()
    }

    #[test]
    fn a_fourth_server_joins_under_a_workload_and_only_its_keys_move() {
        run_blocking(Scenario::Grows, connect);
    }

    #[test]
    fn a_removed_server_gets_nothing_more_and_its_connections_close() {
        run_blocking(Scenario::Removed, connect);
    }

    #[test]
    fn discovery_follows_the_addresses_of_a_name() {
        run_blocking(Scenario::Discovery, connect);
    }

    #[test]
    fn discovery_asks_the_system_resolver_by_default() {
        run_blocking(Scenario::SystemResolver, connect);
    }
}
