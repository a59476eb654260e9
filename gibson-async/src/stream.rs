//! The socket a driver owns: TCP or Unix, whichever the address names.

use std::io;
use std::task::{Context, Poll};

use bytes::BytesMut;
use gibson_proto::{Addr, Config, Error};

use crate::deadline::within;
use crate::runtime::{Runtime, Socket};

/// A connected socket of runtime `R`.
pub enum Stream<R: Runtime> {
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
    pub async fn connect(config: &Config) -> Result<Stream<R>, Error> {
        let attempt = async {
            match &config.addr {
                Addr::Tcp { host, port } => R::connect_tcp(host, *port).await.map(Stream::Tcp),
                #[cfg(unix)]
                Addr::Unix(path) => R::connect_unix(path).await.map(Stream::Unix),
                #[cfg(not(unix))]
                Addr::Unix(path) => Err(gibson_proto::unix_sockets_unsupported(path)),
            }
            .map_err(Error::from)
        };
        within::<R, _>(config.connect_timeout, "connect", attempt).await
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
