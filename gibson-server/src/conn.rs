//! Connections: read ahead into a large buffer, answer every complete
//! request in order, write all replies with one write.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use bytes::BytesMut;
use gibson_proto::server::RequestDecoder;
use gibson_proto::ProtocolError;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::engine::{Engine, Flow};

/// Read buffer granularity.
const READ_CHUNK: usize = 64 * 1024;
/// Replies are flushed once this many bytes are pending, so a client that
/// pipelines many large requests cannot make the server buffer unboundedly.
const FLUSH_AT: usize = 1024 * 1024;

/// A bound listener before it joins the runtime.
pub(crate) enum StdListener {
    Tcp(std::net::TcpListener),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixListener),
}

impl StdListener {
    /// Binds a Unix socket at `path` (a stale socket file is removed first),
    /// with mode 0777 as the real server: anyone on the machine may connect.
    #[cfg(unix)]
    pub(crate) fn bind_unix(path: &std::path::Path) -> std::io::Result<StdListener> {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let listener = std::os::unix::net::UnixListener::bind(path)?;
        std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o777))?;
        Ok(StdListener::Unix(listener))
    }

    /// No Unix sockets on this target: the server listens on TCP only.
    #[cfg(not(unix))]
    pub(crate) fn bind_unix(path: &std::path::Path) -> std::io::Result<StdListener> {
        Err(gibson_proto::unix_sockets_unsupported(path))
    }

    /// Registers with the runtime; must run inside its context.
    pub(crate) fn into_tokio(self) -> std::io::Result<Listener> {
        Ok(match self {
            StdListener::Tcp(l) => {
                l.set_nonblocking(true)?;
                Listener::Tcp(tokio::net::TcpListener::from_std(l)?)
            }
            #[cfg(unix)]
            StdListener::Unix(l) => {
                l.set_nonblocking(true)?;
                Listener::Unix(tokio::net::UnixListener::from_std(l)?)
            }
        })
    }
}

pub(crate) enum Listener {
    Tcp(tokio::net::TcpListener),
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
}

pub(crate) enum Stream {
    Tcp(tokio::net::TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

impl Listener {
    pub(crate) async fn accept(&self) -> std::io::Result<Stream> {
        match self {
            Listener::Tcp(l) => {
                let (s, _) = l.accept().await?;
                let _ = s.set_nodelay(true);
                Ok(Stream::Tcp(s))
            }
            #[cfg(unix)]
            Listener::Unix(l) => Ok(Stream::Unix(l.accept().await?.0)),
        }
    }
}

/// What [`process`] stopped on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Every complete request is answered; read more.
    NeedMore,
    /// Replies piled up: write them, then call again.
    Flush,
    /// Write what is pending, then close the connection.
    Close,
}

/// Answers the complete requests at the front of `rbuf`, appending replies
/// to `wbuf`. Sans-IO: the connection task and the fuzz target share it.
pub(crate) fn process(
    engine: &mut Engine,
    rbuf: &mut BytesMut,
    wbuf: &mut BytesMut,
    now: i64,
) -> Step {
    let decoder = RequestDecoder::new(engine.settings().max_request_size);
    while wbuf.len() < FLUSH_AT {
        match decoder.decode(rbuf) {
            Ok(Some(req)) => match engine.execute(req.opcode, &req.payload, now, wbuf) {
                Flow::Continue => {}
                Flow::Close | Flow::Kill => return Step::Close,
            },
            Ok(None) => return Step::NeedMore,
            // An unknown opcode: the real server reads the whole frame and
            // counts the request before it drops the connection.
            Err(ProtocolError::UnknownOpcode(_)) => {
                let size = u32::from_le_bytes([rbuf[0], rbuf[1], rbuf[2], rbuf[3]]) as usize;
                if rbuf.len() < 4 + size {
                    return Step::NeedMore;
                }
                engine.count_dropped_request();
                return Step::Close;
            }
            // Bad size: dropped without a reply.
            Err(_) => return Step::Close,
        }
    }
    Step::Flush
}

async fn serve_io<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    engine: Rc<RefCell<Engine>>,
    clock: Arc<dyn Clock>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut rbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut wbuf = BytesMut::with_capacity(READ_CHUNK);
    let break_on_split = match engine.try_borrow() {
        Ok(engine) => engine.settings().break_on_split_prefix,
        Err(_) => return,
    };
    loop {
        if rbuf.capacity() - rbuf.len() < READ_CHUNK / 4 {
            rbuf.reserve(READ_CHUNK);
        }
        let read = tokio::select! {
            biased;
            _ = shutdown.changed() => return,
            read = stream.read_buf(&mut rbuf) => read,
        };
        match read {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        loop {
            let step = {
                let Ok(mut engine) = engine.try_borrow_mut() else {
                    return;
                };
                process(&mut engine, &mut rbuf, &mut wbuf, clock.now())
            };
            if !wbuf.is_empty() {
                let written = tokio::select! {
                    biased;
                    _ = shutdown.changed() => return,
                    w = stream.write_all(&wbuf) => w,
                };
                if written.is_err() {
                    return;
                }
                wbuf.clear();
            }
            match step {
                Step::NeedMore if split_prefix(&rbuf, break_on_split) => {
                    // Part of a size prefix is here, the rest is not: the
                    // real server would now read the prefix in two parts.
                    // Take what has arrived meanwhile before deciding.
                    match read_now(&mut stream, &mut rbuf).await {
                        ReadNow::Got => continue,
                        ReadNow::Nothing | ReadNow::Closed => {
                            let _ = stream.shutdown().await;
                            return;
                        }
                    }
                }
                Step::NeedMore => break,
                Step::Flush => continue,
                Step::Close => {
                    let _ = stream.shutdown().await;
                    return;
                }
            }
        }
    }
}

/// `true` when `rbuf` holds only part of a request size prefix.
fn split_prefix(rbuf: &BytesMut, detect: bool) -> bool {
    detect && (1..4).contains(&rbuf.len())
}

/// What an immediate read found.
enum ReadNow {
    /// Bytes were appended.
    Got,
    /// Nothing has arrived.
    Nothing,
    /// The peer closed or the read failed.
    Closed,
}

/// Reads whatever has already arrived, without waiting.
async fn read_now<S: AsyncRead + Unpin>(stream: &mut S, rbuf: &mut BytesMut) -> ReadNow {
    rbuf.reserve(READ_CHUNK);
    match tokio::time::timeout(std::time::Duration::ZERO, stream.read_buf(rbuf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => ReadNow::Closed,
        Ok(Ok(_)) => ReadNow::Got,
        Err(_) => ReadNow::Nothing,
    }
}

/// Serves one accepted connection until it closes or the server stops.
pub(crate) async fn serve_stream(
    stream: Stream,
    engine: Rc<RefCell<Engine>>,
    clock: Arc<dyn Clock>,
    shutdown: watch::Receiver<bool>,
) {
    match stream {
        Stream::Tcp(s) => serve_io(s, engine, clock, shutdown).await,
        #[cfg(unix)]
        Stream::Unix(s) => serve_io(s, engine, clock, shutdown).await,
    }
}

/// Fuzzing entry point (not a stable API): feeds `data` to one connection
/// handler in chunks whose sizes come from the data itself, with small
/// limits, and checks that memory stays bounded. Panics only if an
/// invariant breaks.
#[doc(hidden)]
pub fn fuzz_connection(data: &[u8]) {
    use crate::settings::Settings;
    let settings = Settings {
        max_request_size: 4096,
        max_key_size: 64,
        max_value_size: 1024,
        max_response_size: 16 * 1024,
        max_memory: 1 << 20,
        compression: 64,
        ..Settings::default()
    };
    let (chunk, data) = match data.split_first() {
        Some((&c, rest)) => (usize::from(c).max(1), rest),
        None => return,
    };
    let mut engine = Engine::new(settings, 1_000_000);
    let mut rbuf = BytesMut::new();
    let mut wbuf = BytesMut::new();
    let mut now = 1_000_000;
    for piece in data.chunks(chunk) {
        rbuf.extend_from_slice(piece);
        now += i64::from(piece[0] & 1);
        loop {
            let step = process(&mut engine, &mut rbuf, &mut wbuf, now);
            assert!(
                wbuf.len() <= FLUSH_AT + 64 * 1024,
                "reply buffer grew to {}",
                wbuf.len()
            );
            wbuf.clear();
            match step {
                Step::Flush => continue,
                Step::NeedMore => break,
                Step::Close => return,
            }
        }
        assert!(
            rbuf.len() <= 4096 + 6 + chunk,
            "read buffer kept {}",
            rbuf.len()
        );
        if piece[0] == 0xff {
            engine.cron_tick(now);
        }
    }
    assert!(engine.node_count() <= data.len() + 1);
}
