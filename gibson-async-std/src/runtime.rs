//! The engine's [`Runtime`] on `async-io`: its reactor's sockets and
//! timers, and drivers spawned where the features say (see the [crate
//! docs](crate#where-the-driver-runs)).

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use async_io::Async;
use bytes::BytesMut;
use futures_io::{AsyncRead, AsyncWrite};
use gibson_async::{Runtime, Socket, Timer};

/// The `async-io` reactor, as the engine sees it. It needs no runtime to
/// be started: handles work under async-std, smol or a bare `block_on`.
#[derive(Debug, Clone, Copy)]
pub struct AsyncIo;

impl Runtime for AsyncIo {
    type Timer = AsyncTimer;
    type Unix = AsyncSocket<UnixStream>;
    type Tcp = AsyncSocket<TcpStream>;

    fn timer(at: Instant) -> AsyncTimer {
        AsyncTimer(async_io::Timer::at(at))
    }

    fn spawn<F: Future<Output = ()> + Send + 'static>(
        name: &'static str,
        fut: F,
    ) -> io::Result<()> {
        spawn(name, fut)
    }

    async fn connect_tcp(host: &str, port: u16) -> io::Result<Self::Tcp> {
        let addrs: Vec<SocketAddr> = match host.trim_matches(['[', ']']).parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => {
                // Name resolution blocks: off the caller's thread.
                let host = host.to_owned();
                blocking::unblock(move || {
                    (host.as_str(), port).to_socket_addrs().map(Vec::from_iter)
                })
                .await?
            }
        };
        let mut last = None;
        for addr in addrs {
            match Async::<TcpStream>::connect(addr).await {
                Ok(stream) => {
                    stream.get_ref().set_nodelay(true)?;
                    return Ok(AsyncSocket::new(stream));
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "the host name resolved to no address",
            )
        }))
    }

    async fn connect_unix(path: &Path) -> io::Result<Self::Unix> {
        Ok(AsyncSocket::new(Async::<UnixStream>::connect(path).await?))
    }
}

/// Size of the scratch buffer a socket reads into.
const READ_CHUNK: usize = 64 * 1024;

/// A socket registered with the `async-io` reactor.
#[derive(Debug)]
pub struct AsyncSocket<S> {
    io: Async<S>,
    /// `futures-io` reads into initialised memory: the socket reads here
    /// and appends what it read to the caller's buffer.
    scratch: Box<[u8]>,
}

impl<S> AsyncSocket<S> {
    /// Wraps a socket already registered with the reactor.
    pub fn new(io: Async<S>) -> AsyncSocket<S> {
        AsyncSocket {
            io,
            scratch: vec![0; READ_CHUNK].into_boxed_slice(),
        }
    }
}

impl<S> Socket for AsyncSocket<S>
where
    S: Send + Unpin + 'static,
    Async<S>: AsyncRead + AsyncWrite,
{
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        let n = ready!(Pin::new(&mut self.io).poll_read(cx, &mut self.scratch))?;
        match self.scratch.get(..n) {
            Some(data) => buf.extend_from_slice(data),
            None => return Poll::Ready(Err(io::ErrorKind::InvalidData.into())),
        }
        Poll::Ready(Ok(n))
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_close(cx)
    }
}

/// An `async_io::Timer` whose output is `()`.
#[derive(Debug)]
pub struct AsyncTimer(async_io::Timer);

impl Future for AsyncTimer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}

impl Timer for AsyncTimer {
    fn reset(&mut self, at: Instant) {
        self.0.set_at(at);
    }
}

/// Stack size of a driver thread: the driver keeps its buffers on the heap.
#[cfg(not(any(feature = "smol", feature = "async-std")))]
const STACK_SIZE: usize = 256 * 1024;

/// Runs `fut` on a small dedicated thread under `async_io::block_on`.
#[cfg(not(any(feature = "smol", feature = "async-std")))]
fn spawn<F>(name: &str, fut: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    std::thread::Builder::new()
        .name(name.to_owned())
        .stack_size(STACK_SIZE)
        .spawn(move || async_io::block_on(fut))
        .map(drop)
}

/// Runs `fut` on smol's global executor.
#[cfg(feature = "smol")]
fn spawn<F>(_name: &str, fut: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    smol::spawn(fut).detach();
    Ok(())
}

/// Runs `fut` as an async-std task.
#[cfg(all(feature = "async-std", not(feature = "smol")))]
fn spawn<F>(_name: &str, fut: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    drop(async_std::task::spawn(fut));
    Ok(())
}
