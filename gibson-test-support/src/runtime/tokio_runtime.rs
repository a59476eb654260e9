//! Tokio's runtimes: current-thread and multi-thread.

use std::future::Future;
use std::time::Duration;

use super::{Runtime, Task};

/// Tokio's current-thread runtime: tasks share the caller's thread.
#[derive(Debug)]
pub struct Tokio;

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
#[derive(Debug)]
pub struct TokioMultiThread;

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
fn tokio_task<T: Send + 'static>(handle: tokio::task::JoinHandle<T>) -> Task<T> {
    Box::pin(async move {
        match handle.await {
            Ok(t) => t,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("task did not finish: {e}"),
        }
    })
}
