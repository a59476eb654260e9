//! Where background futures (connection drivers, pool health checks) run.
//!
//! The crate assumes no executor. By default each background future gets a
//! small dedicated thread running [`async_io::block_on`]: it works under
//! async-std, smol, a bare `block_on`, or any other executor, and a caller
//! that blocks its own executor cannot stall the socket. With the `smol`
//! feature the future is spawned on smol's global executor instead; with
//! `async-std` (and not `smol`), as an async-std task.

use std::future::Future;
use std::io;

/// Stack size of a driver thread: the driver keeps its buffers on the heap.
#[cfg(not(any(feature = "smol", feature = "async-std")))]
const STACK_SIZE: usize = 256 * 1024;

/// Runs `fut` in the background until it completes.
#[cfg(not(any(feature = "smol", feature = "async-std")))]
pub(crate) fn spawn<F>(name: &str, fut: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    std::thread::Builder::new()
        .name(name.to_owned())
        .stack_size(STACK_SIZE)
        .spawn(move || async_io::block_on(fut))
        .map(drop)
}

/// Runs `fut` in the background until it completes.
#[cfg(feature = "smol")]
pub(crate) fn spawn<F>(_name: &str, fut: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    smol::spawn(fut).detach();
    Ok(())
}

/// Runs `fut` in the background until it completes.
#[cfg(all(feature = "async-std", not(feature = "smol")))]
pub(crate) fn spawn<F>(_name: &str, fut: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    drop(async_std::task::spawn(fut));
    Ok(())
}
