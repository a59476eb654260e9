//! What the engine needs from an async runtime: spawning, a timer and
//! sockets. `gibson-tokio` and `gibson-async-std` each implement it in a
//! few dozen lines; everything else is written once, here.

use std::future::Future;
use std::io;
#[cfg(unix)]
use std::path::Path;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::BytesMut;

/// An async runtime the engine can run on.
///
/// The type is a marker (it is never instantiated): [`Connection`](crate::Connection)
/// and [`Pool`](crate::Pool) are generic over it.
pub trait Runtime: Send + Sync + 'static {
    /// A connected TCP socket (with `TCP_NODELAY` set).
    type Tcp: Socket;
    /// A connected Unix socket (Unix targets only).
    #[cfg(unix)]
    type Unix: Socket;
    /// A resettable timer.
    type Timer: Timer;

    /// Runs `fut` in the background until it completes (a connection's
    /// driver, a pool's health checks). `name` names the task or thread.
    fn spawn<F>(name: &'static str, fut: F) -> io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static;

    /// A timer that fires at `at`.
    fn timer(at: Instant) -> Self::Timer;

    /// Connects to `host:port` (resolving `host`, trying each address) and
    /// sets `TCP_NODELAY`. The engine bounds it with the connect timeout.
    fn connect_tcp(host: &str, port: u16) -> impl Future<Output = io::Result<Self::Tcp>> + Send;

    /// Connects to the Unix socket at `path` (Unix targets only).
    #[cfg(unix)]
    fn connect_unix(path: &Path) -> impl Future<Output = io::Result<Self::Unix>> + Send;
}

/// A connected, non-blocking socket as the driver uses it.
pub trait Socket: Send + Unpin + 'static {
    /// Reads what is available into the spare capacity of `buf` (which
    /// has some), appending to it; `Ok(0)` is the end of the stream.
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>>;

    /// Ready when a read is worth trying while no reply is owed: the
    /// driver reads then only to notice the server closing the connection.
    /// A socket whose reactor re-arms its interest after each event waits
    /// for readiness here, so that no read fails first; the default is
    /// always ready.
    fn poll_idle_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Writes some of `buf`; `Ok(n)` is how much.
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;

    /// Shuts the socket down for writing.
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// A timer: a future that completes at its instant, which can be moved.
pub trait Timer: Future<Output = ()> + Send + Unpin + 'static {
    /// Fires at `at` instead (and can fire again once moved).
    fn reset(&mut self, at: Instant);
}
