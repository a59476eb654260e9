//! The engine's [`Runtime`] on tokio: tasks, `tokio::time` and
//! `tokio::net` sockets.

use std::future::Future;
use std::io;
#[cfg(unix)]
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::BytesMut;
use gibson_async::{Runtime, Socket, Timer};
use tokio::io::AsyncWrite;
use tokio::net::TcpStream;
#[cfg(unix)]
use tokio::net::UnixStream;
use tokio::time::Sleep;

/// The tokio runtime, as the engine sees it. Drivers and health checks
/// are spawned with `tokio::spawn`, so connections must be opened inside
/// a tokio runtime.
#[derive(Debug, Clone, Copy)]
pub struct Tokio;

impl Runtime for Tokio {
    type Tcp = TokioSocket<TcpStream>;
    #[cfg(unix)]
    type Unix = TokioSocket<UnixStream>;
    type Timer = TokioTimer;

    fn spawn<F>(_name: &'static str, fut: F) -> io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(fut));
        Ok(())
    }

    fn timer(at: Instant) -> TokioTimer {
        TokioTimer(Box::pin(tokio::time::sleep_until(at.into())))
    }

    async fn connect_tcp(host: &str, port: u16) -> io::Result<Self::Tcp> {
        let stream = TcpStream::connect((host, port)).await?;
        gibson_async::set_tcp_options(socket2::SockRef::from(&stream))?;
        Ok(TokioSocket(stream))
    }

    #[cfg(unix)]
    async fn connect_unix(path: &Path) -> io::Result<Self::Unix> {
        Ok(TokioSocket(UnixStream::connect(path).await?))
    }

    async fn resolve(host: &str, port: u16) -> io::Result<Vec<std::net::SocketAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }
}

/// A tokio socket as the engine drives it.
#[derive(Debug)]
pub struct TokioSocket<S>(S);

impl<S> Socket for TokioSocket<S>
where
    S: tokio::io::AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        tokio_util::io::poll_read_buf(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// A `tokio::time::Sleep` that can be moved.
#[derive(Debug)]
pub struct TokioTimer(Pin<Box<Sleep>>);

impl Future for TokioTimer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl Timer for TokioTimer {
    fn reset(&mut self, at: Instant) {
        self.0.as_mut().reset(at.into());
    }
}
