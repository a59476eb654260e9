//! smol's runtime.

use std::future::Future;
use std::time::Duration;

use super::{Runtime, Task};

/// `smol::block_on`, tasks on smol's global executor.
#[derive(Debug)]
pub struct Smol;

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
