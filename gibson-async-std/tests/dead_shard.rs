//! A server of the sharded client stops answering under multi-key calls:
//! the shared scenarios of `gibson_test_support::dead_shard`, under
//! async-std and under smol.

use gibson_test_support::dead_shard::{run_async, Scenario};
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
