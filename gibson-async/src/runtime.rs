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
use gibson_policy::{Addr, Config};
use gibson_proto::Error;

use crate::deadline::within;

/// How long a TCP connection may be idle before the kernel probes the
/// peer (TCP keepalive), so that a connection to a host that vanished is
/// found dead even while nothing is sent on it.
pub const KEEPALIVE_IDLE: std::time::Duration = std::time::Duration::from_secs(30);

/// Sets the options every TCP connection of the engine has: `TCP_NODELAY`
/// (requests are written whole, never held back) and keepalive probes
/// after [`KEEPALIVE_IDLE`]. For [`Runtime::connect_tcp`] implementations.
///
/// ```
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let stream = std::net::TcpStream::connect(listener.local_addr()?)?;
/// gibson_async::set_tcp_options(socket2::SockRef::from(&stream))?;
/// assert!(stream.nodelay()?);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn set_tcp_options(socket: socket2::SockRef<'_>) -> io::Result<()> {
    socket.set_tcp_nodelay(true)?;
    socket.set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(KEEPALIVE_IDLE))
}

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
    /// sets the engine's TCP options ([`set_tcp_options`]). The engine
    /// bounds it with the connect timeout.
    fn connect_tcp(host: &str, port: u16) -> impl Future<Output = io::Result<Self::Tcp>> + Send;

    /// Connects to the Unix socket at `path` (Unix targets only).
    #[cfg(unix)]
    fn connect_unix(path: &Path) -> impl Future<Output = io::Result<Self::Unix>> + Send;

    /// Every address `host` resolves to, on `port`, without blocking the
    /// caller's thread: a sharded client's discovery by name
    /// ([`ShardConfig::discover`](gibson_policy::shard::ShardConfig::discover)).
    fn resolve(
        host: &str,
        port: u16,
    ) -> impl Future<Output = io::Result<Vec<std::net::SocketAddr>>> + Send;
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

/// A connected socket of runtime `R`.
pub(crate) enum Stream<R: Runtime> {
    /// A TCP connection.
    Tcp(R::Tcp),
    /// A Unix socket connection.
    #[cfg(unix)]
    Unix(R::Unix),
}

impl<R: Runtime> std::fmt::Debug for Stream<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stream::Tcp(_) => "Stream::Tcp",
            #[cfg(unix)]
            Stream::Unix(_) => "Stream::Unix",
        })
    }
}

impl<R: Runtime> Stream<R> {
    /// One connection attempt to `config.addr`, bounded by the connect
    /// timeout.
    pub(crate) async fn connect(config: &Config) -> Result<Stream<R>, Error> {
        let attempt = async {
            match &config.addr {
                Addr::Tcp { host, port } => R::connect_tcp(host, *port).await.map(Stream::Tcp),
                #[cfg(unix)]
                Addr::Unix(path) => R::connect_unix(path).await.map(Stream::Unix),
                #[cfg(not(unix))]
                Addr::Unix(path) => Err(gibson_proto::unix_sockets_unsupported(path)),
            }
            .map_err(|e| Error::connecting(&config.addr, e))
        };
        within::<R, _>(config.connect_timeout, "connect", attempt)
            .await
            .map_err(|e| e.of_connect_to(&config.addr))
    }
}

impl<R: Runtime> Stream<R> {
    /// The socket, whichever kind it is.
    fn socket(&mut self) -> &mut dyn Socket {
        match self {
            Stream::Tcp(s) => s,
            #[cfg(unix)]
            Stream::Unix(s) => s,
        }
    }
}

impl<R: Runtime> Socket for Stream<R> {
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        self.socket().poll_read_buf(cx, buf)
    }

    fn poll_idle_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.socket().poll_idle_ready(cx)
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.socket().poll_write(cx, buf)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.socket().poll_close(cx)
    }
}
