//! The blocking socket: TCP or Unix, opened within a connect timeout, with
//! `TCP_NODELAY` and read/write timeouts set, read and written through
//! [`Read`] and [`Write`].
//!
//! [`Connection`](crate::Connection) talks through it; so do gibson-bench's
//! raw measuring loop, the CLI and the test proxy, so that every std socket
//! of the workspace is opened the same way.
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use std::time::Duration;
//! use gibson_blocking::transport;
//!
//! let addr = "127.0.0.1:10128".parse()?;
//! let mut stream = transport::connect(&addr, Duration::from_secs(1), Some(Duration::from_secs(1)))?;
//! stream.write_all(b"\x02\x00\x00\x00\x13\x00")?; // PING
//! let mut header = [0u8; 7];
//! stream.read_exact(&mut header)?;
//! assert_eq!(header[0], 5); // OK
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::time::Duration;

use gibson_policy::Addr;
use gibson_proto::Error;

/// A connected blocking socket.
#[derive(Debug)]
pub enum Stream {
    /// A TCP connection, `TCP_NODELAY` on.
    Tcp(TcpStream),
    /// A Unix-domain socket connection (Unix targets only).
    #[cfg(unix)]
    Unix(UnixStream),
}

/// Connects to `addr` and sets the read and write timeouts to `io_timeout`
/// (`None`: block as long as it takes).
///
/// A TCP host name is resolved and each of its addresses tried in turn,
/// each within `connect_timeout`; the last failure is returned, naming
/// the address (a timeout as an [`Error::Timeout`] (`"connect"`) inside an
/// [`Error::OnServer`]). A Unix socket is connected
/// directly: std offers no connect timeout for it, and a local connect
/// does not wait for a network.
///
/// ```no_run
/// use std::time::Duration;
/// let addr = "/var/run/gibson.sock".parse()?;
/// let stream = gibson_blocking::transport::connect(&addr, Duration::from_secs(1), None)?;
/// # Ok::<(), gibson_blocking::Error>(())
/// ```
pub fn connect(
    addr: &Addr,
    connect_timeout: Duration,
    io_timeout: Option<Duration>,
) -> Result<Stream, Error> {
    let stream = match addr {
        Addr::Tcp { host, port } => {
            connect_tcp(host, *port, connect_timeout).map_err(|e| match e {
                Error::Io(io) => Error::connecting(addr, io::Error::new(io.kind(), io.to_string())),
                other => other.of_connect_to(addr),
            })?
        }
        #[cfg(unix)]
        Addr::Unix(path) => {
            Stream::Unix(UnixStream::connect(path).map_err(|e| Error::connecting(addr, e))?)
        }
        #[cfg(not(unix))]
        Addr::Unix(path) => return Err(gibson_proto::unix_sockets_unsupported(path).into()),
    };
    stream.set_timeouts(io_timeout)?;
    Ok(stream)
}

/// Tries each address `host` resolves to.
fn connect_tcp(host: &str, port: u16, timeout: Duration) -> Result<Stream, Error> {
    let mut last = None;
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                s.set_nodelay(true)?;
                return Ok(Stream::Tcp(s));
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                last = Some(Error::Timeout {
                    what: "connect",
                    after: timeout,
                })
            }
            Err(e) => last = Some(e.into()),
        }
    }
    Err(last
        .unwrap_or_else(|| Error::invalid("address", format!("{host}:{port} resolves to nothing"))))
}

impl Stream {
    /// Sets the read and the write timeout (`None`: no timeout).
    ///
    /// ```no_run
    /// # let addr = "127.0.0.1:10128".parse()?;
    /// # let stream = gibson_blocking::transport::connect(&addr, std::time::Duration::from_secs(1), None)?;
    /// stream.set_timeouts(Some(std::time::Duration::from_millis(250)))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_timeouts(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => {
                s.set_read_timeout(timeout)?;
                s.set_write_timeout(timeout)
            }
            #[cfg(unix)]
            Stream::Unix(s) => {
                s.set_read_timeout(timeout)?;
                s.set_write_timeout(timeout)
            }
        }
    }

    /// A second handle on the same socket (to read on one thread and write
    /// on another).
    ///
    /// ```no_run
    /// # let addr = "127.0.0.1:10128".parse()?;
    /// # let stream = gibson_blocking::transport::connect(&addr, std::time::Duration::from_secs(1), None)?;
    /// let writer = stream.try_clone()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            #[cfg(unix)]
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
        })
    }

    /// Shuts down the reading half, the writing half or both.
    ///
    /// ```no_run
    /// # let addr = "127.0.0.1:10128".parse()?;
    /// # let stream = gibson_blocking::transport::connect(&addr, std::time::Duration::from_secs(1), None)?;
    /// stream.shutdown(std::net::Shutdown::Write)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.shutdown(how),
            #[cfg(unix)]
            Stream::Unix(s) => s.shutdown(how),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            #[cfg(unix)]
            Stream::Unix(s) => s.flush(),
        }
    }
}
