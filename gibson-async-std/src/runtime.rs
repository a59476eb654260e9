//! The engine's [`Runtime`] on `async-io`: its reactor's sockets and
//! timers, and drivers spawned by a [`Spawner`] (see the [crate
//! docs](crate#where-the-driver-runs)).

use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::net::TcpStream;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
#[cfg(unix)]
use std::path::Path;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use async_io::Async;
use bytes::BytesMut;
use futures_io::{AsyncRead, AsyncWrite};
use gibson_async::{Runtime, Socket, Timer};

/// The `async-io` reactor, as the engine sees it, with connection drivers
/// and pool tasks spawned by `S`. It needs no runtime to be started:
/// handles work under async-std, smol or a bare `block_on`.
///
/// ```
/// use gibson_async_std::{AsyncIo, Threads};
/// // A connection whose driver runs on a dedicated thread.
/// type ThreadedConnection = gibson_async::Connection<AsyncIo<Threads>>;
/// ```
#[derive(Debug)]
pub struct AsyncIo<S = DefaultSpawner>(PhantomData<fn() -> S>);

/// Where [`AsyncIo`] runs a connection's driver and a pool's health checks.
pub trait Spawner: Send + Sync + 'static {
    /// Runs `fut` in the background until it completes; `name` names the
    /// task or thread.
    fn spawn<F>(name: &'static str, fut: F) -> io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static;
}

/// Declares the unit struct `$ty` (its attributes given first: docs, a
/// `cfg`, which the impl gets too) and its [`Spawner`] impl, whose `spawn`
/// is `$spawn` (an `io::Result<()>`) of the task's `$name` and `$fut`.
macro_rules! spawner {
    ($(#[$attr:meta])* $ty:ident: |$name:pat_param, $fut:ident| $spawn:expr) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy)]
        pub struct $ty;

        $(#[$attr])*
        impl Spawner for $ty {
            fn spawn<F>($name: &'static str, $fut: F) -> io::Result<()>
            where
                F: Future<Output = ()> + Send + 'static,
            {
                $spawn
            }
        }
    };
}

spawner! {
    /// Spawns as async-std tasks (feature `async-std`, on by default).
    #[cfg(feature = "async-std")]
    AsyncStdTasks: |_name, fut| {
        drop(async_std::task::spawn(fut));
        Ok(())
    }
}

spawner! {
    /// Spawns on smol's global executor (feature `smol`).
    #[cfg(feature = "smol")]
    SmolTasks: |_name, fut| {
        smol::spawn(fut).detach();
        Ok(())
    }
}

spawner! {
    /// Gives each future a small dedicated thread (256 KiB of stack) under
    /// `async_io::block_on`: works whatever executor (or none) the caller
    /// uses, at the price of a wake-up across threads each way per round trip.
    Threads: |name, fut| {
        std::thread::Builder::new()
            .name(name.to_owned())
            .stack_size(STACK_SIZE)
            .spawn(move || async_io::block_on(fut))
            .map(drop)
    }
}

/// Stack size of a driver thread: the driver keeps its buffers on the heap.
const STACK_SIZE: usize = 256 * 1024;

/// The spawner of [`Connection`](crate::Connection) and
/// [`Pool`](crate::Pool): [`AsyncStdTasks`] with the `async-std` feature
/// (the default), else [`Threads`].
#[cfg(feature = "async-std")]
pub type DefaultSpawner = AsyncStdTasks;

/// The spawner of [`Connection`](crate::Connection) and
/// [`Pool`](crate::Pool): [`AsyncStdTasks`] with the `async-std` feature
/// (the default), else [`Threads`].
#[cfg(not(feature = "async-std"))]
pub type DefaultSpawner = Threads;

impl<S: Spawner> Runtime for AsyncIo<S> {
    type Timer = AsyncTimer;
    #[cfg(unix)]
    type Unix = AsyncSocket<UnixStream>;
    type Tcp = AsyncSocket<TcpStream>;

    fn timer(at: Instant) -> AsyncTimer {
        AsyncTimer(async_io::Timer::at(at))
    }

    fn spawn<F: Future<Output = ()> + Send + 'static>(
        name: &'static str,
        fut: F,
    ) -> io::Result<()> {
        S::spawn(name, fut)
    }

    async fn resolve(host: &str, port: u16) -> io::Result<Vec<std::net::SocketAddr>> {
        async_net::resolve((host.trim_matches(['[', ']']), port)).await
    }

    async fn connect_tcp(host: &str, port: u16) -> io::Result<Self::Tcp> {
        // async-net answers an IP address at once and resolves a name on
        // its blocking thread pool, off the caller's thread.
        let addrs = async_net::resolve((host.trim_matches(['[', ']']), port)).await?;
        let mut last = None;
        for addr in addrs {
            match Async::<TcpStream>::connect(addr).await {
                Ok(stream) => {
                    gibson_async::set_tcp_options(socket2::SockRef::from(stream.get_ref()))?;
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

    #[cfg(unix)]
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
    /// `false` once a read found the socket empty: until the reactor says
    /// it is readable again, polls (after each write, at one request in
    /// flight) do not try a `recv` that would fail again.
    readable: bool,
}

impl<S> AsyncSocket<S> {
    /// Wraps a socket already registered with the reactor.
    pub fn new(io: Async<S>) -> AsyncSocket<S> {
        AsyncSocket {
            io,
            scratch: vec![0; READ_CHUNK].into_boxed_slice(),
            readable: true,
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
        if !self.readable {
            ready!(self.io.poll_readable(cx))?;
            self.readable = true;
        }
        let n = match Pin::new(&mut self.io).poll_read(cx, &mut self.scratch) {
            Poll::Ready(read) => read?,
            Poll::Pending => {
                // The reactor's readiness was stale; the read registered
                // this task for the next.
                self.readable = false;
                return Poll::Pending;
            }
        };
        match self.scratch.get(..n) {
            Some(data) => buf.extend_from_slice(data),
            None => return Poll::Ready(Err(io::ErrorKind::InvalidData.into())),
        }
        Poll::Ready(Ok(n))
    }

    fn poll_idle_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Nothing is owed: arm the reactor for the socket instead of trying
        // a read that would fail. A request written next finds it armed,
        // so its reply costs one read, and a server closing the idle
        // connection still wakes the driver.
        if self.readable && self.io.poll_readable(cx)?.is_pending() {
            self.readable = false;
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
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
