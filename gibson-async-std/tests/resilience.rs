//! The shared resilience suite (cancellation, timeouts, back-pressure,
//! restarts, resets, the pool), run twice: under async-std and under smol;
//! then a few of its scenarios with no executor at all.

use std::future::Future;

use futures_lite::future;
use gibson_test_support::runtime::{Runtime, Task};

gibson_test_support::suite!(
    resilience,
    runtimes: [async_std: gibson_async_std, smol: gibson_async_std::smol]
);

/// No executor at all: `futures_lite::future::block_on` drives neither
/// the `async-io` reactor nor tasks; the driver runs on its own.
struct Bare;

impl Runtime for Bare {
    fn block_on<F: Future>(f: F) -> F::Output {
        future::block_on(f)
    }
    fn spawn<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> Task<T> {
        // Runs `f` on a thread of its own, like a minimal executor would.
        let (tx, rx) = futures_channel::oneshot::channel();
        std::thread::spawn(move || {
            let _ = tx.send(future::block_on(f));
        });
        Box::pin(async move { rx.await.expect("spawned future panicked") })
    }
    fn sleep(d: std::time::Duration) -> Task<()> {
        Box::pin(async move {
            async_io::Timer::after(d).await;
        })
    }
}

#[test]
fn works_under_a_bare_block_on() {
    use gibson_async_std::Connection;
    use gibson_test_support::resilience::{common, in_flight};
    Bare::block_on(common::oversized_request_is_refused_before_writing::<
        Connection,
    >());
    Bare::block_on(
        in_flight::one_timeout_leaves_the_others_and_the_connection_healthy::<Bare, Connection>(),
    );
    Bare::block_on(common::lazy_connect_and_close_on_last_drop::<
        Bare,
        Connection,
    >());
}
