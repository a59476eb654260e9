//! The executors the shared suites run on, behind one small trait, and the
//! few async helpers the scenarios need whatever the executor: a timeout, a
//! guard against hangs, a yield.
//!
//! Each executor is behind the feature of its name (`tokio`, `async-std`,
//! `smol`), so that a crate's tests build only the runtimes it uses;
//! [`Thread`] (no executor, for the blocking client) is always there.

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{select, Either};

#[cfg(feature = "async-std")]
mod async_std_runtime;
#[cfg(feature = "smol")]
mod smol_runtime;
#[cfg(feature = "tokio")]
mod tokio_runtime;

#[cfg(feature = "async-std")]
pub use async_std_runtime::AsyncStd;
#[cfg(feature = "smol")]
pub use smol_runtime::Smol;
#[cfg(feature = "tokio")]
pub use tokio_runtime::{Tokio, TokioMultiThread};

/// A future spawned or created by a [`Runtime`].
pub type Task<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// An executor to run async scenarios on.
pub trait Runtime: 'static {
    /// Runs `f` to completion on the current thread.
    fn block_on<F: Future>(f: F) -> F::Output;
    /// Runs `f` as a task of its own; the returned future is its output
    /// (a panic in the task is a panic where the output is awaited).
    fn spawn<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> Task<T>;
    /// A timer of `d`.
    fn sleep(d: Duration) -> Task<()>;
}

/// No async runtime, for a blocking client: [`block_on`](Runtime::block_on)
/// polls on the calling thread, [`spawn`](Runtime::spawn) runs on a thread
/// of its own, and [`sleep`](Runtime::sleep) blocks the thread that polls
/// it.
#[derive(Debug)]
pub struct Thread;

impl Runtime for Thread {
    fn block_on<F: Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }
    fn spawn<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> Task<T> {
        let (tx, rx) = futures::channel::oneshot::channel();
        std::thread::spawn(move || {
            let _ = tx.send(catch_unwind(AssertUnwindSafe(|| {
                futures::executor::block_on(f)
            })));
        });
        Box::pin(async move {
            match rx.await.expect("the spawned thread ends with a result") {
                Ok(t) => t,
                Err(panic) => resume_unwind(panic),
            }
        })
    }
    fn sleep(d: Duration) -> Task<()> {
        Box::pin(async move { std::thread::sleep(d) })
    }
}

/// A guard against hangs: a scenario step that takes this long is stuck.
pub const HANG: Duration = Duration::from_secs(60);

/// `f`'s output, or `None` after `after`.
pub async fn timeout<R: Runtime, T>(after: Duration, f: impl Future<Output = T>) -> Option<T> {
    match select(pin!(f), R::sleep(after)).await {
        Either::Left((t, _)) => Some(t),
        Either::Right(_) => None,
    }
}

/// `f`'s output, or a panic naming `what` after [`HANG`].
pub async fn no_hang<R: Runtime, T>(what: &str, f: impl Future<Output = T>) -> T {
    match timeout::<R, T>(HANG, f).await {
        Some(t) => t,
        None => panic!("{what} hung"),
    }
}

/// Returns `Pending` once (waking itself), so that other tasks run.
pub fn yield_now() -> impl Future<Output = ()> {
    YieldNow(false)
}

struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// `f`'s output if it is ready before the task yields once; otherwise `f`
/// is dropped (cancelled) and the result is `None`.
pub async fn unless_it_yields<F: Future>(f: F) -> Option<F::Output> {
    match select(pin!(f), pin!(yield_now())).await {
        Either::Left((t, _)) => Some(t),
        Either::Right(_) => None,
    }
}
