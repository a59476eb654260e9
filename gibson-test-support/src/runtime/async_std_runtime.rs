//! async-std's runtime.

use std::future::Future;
use std::time::Duration;

use super::{Runtime, Task};

/// async-std's executor and reactor.
#[derive(Debug)]
pub struct AsyncStd;

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
