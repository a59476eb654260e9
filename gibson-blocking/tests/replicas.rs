//! Copies of keys on several servers: the shared scenarios of
//! `gibson_test_support::replicas`, blocking (which does not hedge).

use gibson_blocking::Sharded;
use gibson_test_support::replicas::{run_blocking, Scenario};

fn connect(url: String) -> Sharded {
    Sharded::connect(&url).unwrap()
}

#[test]
fn every_key_reads_back_with_one_server_of_three_dead() {
    run_blocking(Scenario::DeadServer, connect);
}

#[test]
fn mget_and_keys_answer_as_one_server_and_count_is_refused() {
    run_blocking(Scenario::PrefixReads, connect);
}
