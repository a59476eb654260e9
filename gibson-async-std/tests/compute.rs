//! The stampede guard's shared scenarios (gibson-test-support's
//! `compute`): stale-while-refresh and failing open, under async-std and
//! under smol (its drivers on smol's executor).

use gibson_async::Connection;
use gibson_async_std::{AsyncCommands, AsyncIo, SmolTasks};
use gibson_test_support::compute;
use gibson_test_support::runtime::{AsyncStd, Runtime, Smol};
use gibson_test_support::TestServer;

/// On executor `R`, with the clients of runtime `AR`.
fn stale_while_refresh<R: Runtime, AR: gibson_async::Runtime>() {
    let server = TestServer::start();
    R::block_on(async {
        let conn = Connection::<AR>::with_config(server.config())
            .await
            .unwrap();
        compute::stale_while_refresh::<R, AR, _>(conn).await;
    });
}

fn fails_open<R: Runtime, AR: gibson_async::Runtime>() {
    let server = TestServer::start();
    #[cfg(feature = "metrics")]
    let _turn = gibson_test_support::observe::install_recorder();
    let failed_open =
        || gibson_test_support::observe::counted(gibson_async_std::metrics::COMPUTE_FAIL_OPEN);
    let before = failed_open();
    let spans = gibson_test_support::observe::RecordSpans::start();
    let (proxy, config) = compute::through_proxy(&server);
    R::block_on(async move {
        let conn = Connection::<AR>::with_config(config).await.unwrap();
        conn.ping().await.unwrap();
        drop(proxy);
        compute::fails_open::<R, AR, _>(conn).await;
    });
    if cfg!(feature = "metrics") {
        assert_eq!(failed_open() - before, compute::FAILED_OPEN as u64);
    }
    if cfg!(feature = "tracing") {
        compute::fail_open_logged(&spans.events());
    }
}

#[test]
fn stale_while_refresh_serves_the_old_value_at_once_async_std() {
    stale_while_refresh::<AsyncStd, AsyncIo>();
}

#[test]
fn stale_while_refresh_serves_the_old_value_at_once_smol() {
    stale_while_refresh::<Smol, AsyncIo<SmolTasks>>();
}

#[test]
fn a_guard_fails_open_when_the_server_is_gone_async_std() {
    fails_open::<AsyncStd, AsyncIo>();
}

#[test]
fn a_guard_fails_open_when_the_server_is_gone_smol() {
    fails_open::<Smol, AsyncIo<SmolTasks>>();
}
