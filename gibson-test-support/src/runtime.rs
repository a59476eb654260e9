//! The executors the shared suites run on, behind one small trait, and the
//! few async helpers the scenarios need whatever the executor: a timeout, a
//! guard against hangs, a yield.
//!
//! Each executor is behind the feature of its name (`tokio`, `async-std`,
//! `smol`), so that a crate's tests build only the runtimes it uses.

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{select, Either};

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

/// Tokio's current-thread runtime: tasks share the caller's thread.
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub struct Tokio;

#[cfg(feature = "tokio")]
impl Runtime for Tokio {
    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
            .block_on(f)
    }
    fn spawn<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> Task<T> {
        tokio_task(tokio::spawn(f))
    }
    fn sleep(d: Duration) -> Task<()> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// Tokio's multi-thread runtime with two workers.
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub struct TokioMultiThread;

#[cfg(feature = "tokio")]
impl Runtime for TokioMultiThread {
    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
            .block_on(f)
    }
    fn spawn<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> Task<T> {
        Tokio::spawn(f)
    }
    fn sleep(d: Duration) -> Task<()> {
        Tokio::sleep(d)
    }
}

/// A tokio task's output; its panic, resumed.
#[cfg(feature = "tokio")]
fn tokio_task<T: Send + 'static>(handle: tokio::task::JoinHandle<T>) -> Task<T> {
    Box::pin(async move {
        match handle.await {
            Ok(t) => t,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("task did not finish: {e}"),
        }
    })
}

/// async-std's executor and reactor.
#[cfg(feature = "async-std")]
#[derive(Debug)]
pub struct AsyncStd;

#[cfg(feature = "async-std")]
impl Runtime for AsyncStd {
    fn block_on<F: Future>(f: F) -> F::Output {
        async_std::task::block_on(f)
    }
    fn spawn<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> Task<T> {
        Box::pin(async_std::task::spawn(f))
    }
    fn sleep(d: Duration) -> Task<()> {
        Box::pin(async_std::task::sleep(d))
    }
}

/// `smol::block_on`, tasks on smol's global executor.
#[cfg(feature = "smol")]
#[derive(Debug)]
pub struct Smol;

#[cfg(feature = "smol")]
impl Runtime for Smol {
    fn block_on<F: Future>(f: F) -> F::Output {
        smol::block_on(f)
    }
    fn spawn<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> Task<T> {
        Box::pin(smol::spawn(f))
    }
    fn sleep(d: Duration) -> Task<()> {
        Box::pin(async move {
            smol::Timer::after(d).await;
        })
    }
}
