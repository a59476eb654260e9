//! The socket: TCP (with `TCP_NODELAY`) or a Unix socket, registered with
//! the `async-io` reactor.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_io::{Async, Timer};
use futures_io::{AsyncRead, AsyncWrite};
use gibson_proto::{Addr, Config, Error};

/// A connected socket.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(Async<TcpStream>),
    Unix(Async<UnixStream>),
}

impl Stream {
    /// One connection attempt, bounded by the connect timeout.
    pub(crate) async fn connect(config: &Config) -> Result<Stream, Error> {
        let attempt = async {
            match &config.addr {
                Addr::Tcp { host, port } => connect_tcp(host, *port).await.map(Stream::Tcp),
                Addr::Unix(path) => Ok(Stream::Unix(Async::<UnixStream>::connect(path).await?)),
            }
        };
        let timeout = config.connect_timeout;
        futures_lite::future::or(async { attempt.await.map_err(Error::from) }, async {
            Timer::after(timeout).await;
            Err(Error::Timeout {
                what: "connect",
                after: timeout,
            })
        })
        .await
    }
}

/// Resolves `host` (off the caller's thread unless it is an IP literal) and
/// tries each address in turn.
async fn connect_tcp(host: &str, port: u16) -> io::Result<Async<TcpStream>> {
    let addrs: Vec<SocketAddr> = match host.trim_matches(['[', ']']).parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            let host = host.to_owned();
            blocking::unblock(move || (host.as_str(), port).to_socket_addrs().map(Vec::from_iter))
                .await?
        }
    };
    let mut last = None;
    for addr in addrs {
        match Async::<TcpStream>::connect(addr).await {
            Ok(stream) => {
                stream.get_ref().set_nodelay(true)?;
                return Ok(stream);
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

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_close(cx),
            Stream::Unix(s) => Pin::new(s).poll_close(cx),
        }
    }
}
