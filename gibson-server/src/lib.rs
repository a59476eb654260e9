//! A [Gibson](https://github.com/evilsocket/gibson) 1.2.1-compatible cache
//! server, quirks included (see docs/protocol.md of this workspace), except that
//! it never crashes: where the real server would, it answers ERR.
//!
//! It runs on its own thread with its own single-threaded tokio runtime, so
//! it can be started from any context: sync tests, async tests of any
//! runtime, blocking code.
//!
//! ```
//! use std::io::{Read, Write};
//! use gibson_server::{Server, ServerAddr};
//!
//! let server = Server::builder().bind_tcp("127.0.0.1:0").unwrap();
//! let ServerAddr::Tcp(addr) = server.addr().clone() else { unreachable!() };
//! let mut sock = std::net::TcpStream::connect(addr).unwrap();
//! sock.write_all(b"\x02\x00\x00\x00\x13\x00").unwrap(); // PING
//! let mut reply = [0u8; 8];
//! sock.read_exact(&mut reply).unwrap();
//! assert_eq!(reply, [5, 0, 0, 1, 0, 0, 0, 0]); // OK
//! server.shutdown();
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod clock;
mod conn;
mod cron;
mod engine;
mod pool;
mod settings;
mod trie;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::watch;

pub use clock::{Clock, ManualClock, SystemClock};
pub use settings::{parse_config, parse_duration, parse_size, Settings};

#[doc(hidden)]
pub use conn::fuzz_connection;

/// What STATS reports as `server_build_datetime`.
pub(crate) const BUILD_DATETIME: &str = concat!("gibson-server ", env!("CARGO_PKG_VERSION"));

/// The address a server listens on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServerAddr {
    /// A TCP address (port 0 already resolved to the bound port).
    Tcp(SocketAddr),
    /// A Unix socket path.
    Unix(PathBuf),
}

impl fmt::Display for ServerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerAddr::Tcp(addr) => write!(f, "{addr}"),
            ServerAddr::Unix(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Configures and starts a [`Server`].
///
/// ```
/// use std::time::Duration;
/// use gibson_server::{ManualClock, Server};
///
/// let clock = ManualClock::new(1_700_000_000);
/// let server = Server::builder()
///     .max_clients(8)
///     .max_request_size(64 * 1024)
///     .compression(1024)
///     .max_item_ttl(Duration::from_secs(3600))
///     .sweep_period(Duration::from_millis(50))
///     .clock(clock.clone())
///     .bind_tcp("127.0.0.1:0")
///     .unwrap();
/// println!("listening on {}", server.addr());
/// ```
#[derive(Clone)]
pub struct Builder {
    settings: Settings,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Default for Builder {
    fn default() -> Builder {
        Builder {
            settings: Settings::default(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl Builder {
    /// A builder with Gibson 1.2.1's defaults and the system clock.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The current settings.
    pub fn current_settings(&self) -> &Settings {
        &self.settings
    }

    gibson_proto::__setters! {
        /// Replaces every setting at once.
        settings(settings: Settings) => settings;
        /// Largest request frame (default 2 MiB); a larger one closes the
        /// connection without a reply.
        max_request_size(bytes: usize) => settings.max_request_size;
        /// Longest key (default 1024); longer keys are corrupted as the real
        /// server corrupts them.
        max_key_size(bytes: usize) => settings.max_key_size;
        /// Longest value (default 2 096 127); longer values are cut.
        max_value_size(bytes: usize) => settings.max_value_size;
        /// Largest multi-key reply data (default 15 MiB); a larger MGET or KEYS
        /// reply closes the connection without a reply.
        max_response_size(bytes: usize) => settings.max_response_size;
        /// Memory limit for items (default 1 GiB): over it SET and MSET answer MEM.
        max_memory(bytes: u64) => settings.max_memory;
        /// Maximum simultaneous connections (default 255); further ones are
        /// closed at once.
        max_clients(n: usize) => settings.max_clients;
        /// Values larger than this many bytes are stored LZF-compressed
        /// (default 4096).
        compression(bytes: usize) => settings.compression;
        /// How often expired items are deleted (`expired_cron`, default 15 s),
        /// locked ones included.
        expired_cron(period: Duration) => settings.expired_cron;
        /// How often `max_memory` is checked (`max_mem_cron`, default 15 s).
        max_mem_cron(period: Duration) => settings.max_mem_cron;
        /// Whether a request whose 4-byte size prefix arrives in more than one
        /// read breaks the connection (default `true`). The real server reads
        /// such a prefix into the wrong place and loses the connection with
        /// every request in flight on it; this server closes it. Turn it off
        /// for tests that deliberately cut requests into pieces.
        break_on_split_prefix(on: bool) => settings.break_on_split_prefix;
        /// Over `max_memory`, the cron drops items idle at least this long
        /// (default 15 minutes), locked ones included.
        gc_ratio(idle: Duration) => settings.gc_ratio;
    }

    /// Cap on TTLs (default 30 days); whole seconds.
    pub fn max_item_ttl(mut self, ttl: Duration) -> Builder {
        self.settings.max_item_ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// The cron's tick (`cron_period`, default 100 ms). STATS
    /// `total_cron_done` counts ticks; the jobs ([`expired_cron`](Builder::expired_cron),
    /// [`max_mem_cron`](Builder::max_mem_cron)) run on ticks.
    pub fn cron_period(mut self, period: Duration) -> Builder {
        self.settings.cron_period = period.max(Duration::from_millis(1));
        self
    }

    /// Runs both cron jobs (expiry and memory) every `period`, shortening
    /// the cron tick to `period` if it is longer: the shorthand for tests
    /// that want expired items gone quickly.
    pub fn sweep_period(mut self, period: Duration) -> Builder {
        let period = period.max(Duration::from_millis(1));
        self.settings.cron_period = self.settings.cron_period.min(period);
        self.settings.expired_cron = period;
        self.settings.max_mem_cron = period;
        self
    }

    /// The clock the server reads (unix seconds): the test hook. Use a
    /// [`ManualClock`] to expire TTLs and locks without sleeping.
    pub fn clock(mut self, clock: impl Clock) -> Builder {
        self.clock = Arc::new(clock);
        self
    }

    /// Binds a TCP address (`"127.0.0.1:0"` picks a free port) with
    /// `SO_REUSEADDR`, and starts serving.
    pub fn bind_tcp(self, addr: impl ToSocketAddrs) -> std::io::Result<Server> {
        let mut last_err = None;
        for addr in addr.to_socket_addrs()? {
            match bind_reuse(addr) {
                Ok(listener) => {
                    let local = listener.local_addr()?;
                    return self.start(conn::StdListener::Tcp(listener), ServerAddr::Tcp(local));
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to bind")
        }))
    }

    /// Binds a Unix socket at `path` (a stale socket file is removed first)
    /// and starts serving. The file is removed again at shutdown. On a
    /// target without Unix sockets this fails with
    /// [`ErrorKind::Unsupported`](std::io::ErrorKind::Unsupported).
    pub fn bind_unix(self, path: impl AsRef<Path>) -> std::io::Result<Server> {
        let path = path.as_ref().to_path_buf();
        let listener = conn::StdListener::bind_unix(&path)?;
        self.start(listener, ServerAddr::Unix(path))
    }

    fn start(self, listener: conn::StdListener, addr: ServerAddr) -> std::io::Result<Server> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = {
            let _guard = runtime.enter();
            listener.into_tokio()?
        };
        let (tx, rx) = watch::channel(false);
        let Builder { settings, clock } = self;
        let thread = std::thread::Builder::new()
            .name("gibson-server".into())
            .spawn(move || {
                let local = tokio::task::LocalSet::new();
                local.block_on(&runtime, serve(listener, settings, clock, rx));
                // Dropping the LocalSet drops every connection task: all
                // sockets close at once.
                drop(local);
                drop(runtime);
            })?;
        Ok(Server {
            addr,
            shutdown: tx,
            thread: Some(thread),
        })
    }
}

fn bind_reuse(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// The accept loop, the sweep, and the connections, on one thread.
async fn serve(
    listener: conn::Listener,
    settings: Settings,
    clock: Arc<dyn Clock>,
    mut shutdown: watch::Receiver<bool>,
) {
    let cron_period = settings.cron_period.max(Duration::from_millis(1));
    let max_clients = settings.max_clients;
    let engine = Rc::new(RefCell::new(engine::Engine::new(settings, clock.now())));
    let clients = Rc::new(Cell::new(0usize));

    {
        let engine = engine.clone();
        let clock = clock.clone();
        let mut shutdown = shutdown.clone();
        tokio::task::spawn_local(async move {
            let mut tick = tokio::time::interval(cron_period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        engine.borrow_mut().cron_tick(clock.now());
                    }
                    _ = shutdown.changed() => return,
                }
            }
        });
    }

    loop {
        let accepted = tokio::select! {
            biased;
            _ = shutdown.changed() => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok(stream) => stream,
            Err(_) => {
                // Out of descriptors or a reset before accept: keep serving.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        if clients.get() >= max_clients {
            drop(stream);
            continue;
        }
        clients.set(clients.get() + 1);
        {
            let mut e = engine.borrow_mut();
            e.stats.connections += 1;
            e.stats.clients = clients.get() as i64;
        }
        let engine = engine.clone();
        let clock = clock.clone();
        let clients = clients.clone();
        let shutdown = shutdown.clone();
        tokio::task::spawn_local(async move {
            let _guard = ClientGuard {
                clients,
                engine: engine.clone(),
            };
            conn::serve_stream(stream, engine, clock, shutdown).await;
        });
    }
}

/// Decrements the client count when a connection task ends or is dropped.
struct ClientGuard {
    clients: Rc<Cell<usize>>,
    engine: Rc<RefCell<engine::Engine>>,
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        let n = self.clients.get().saturating_sub(1);
        self.clients.set(n);
        if let Ok(mut e) = self.engine.try_borrow_mut() {
            e.stats.clients = n as i64;
        }
    }
}

/// A running server. Dropping it shuts it down like [`Server::shutdown`].
#[derive(Debug)]
pub struct Server {
    addr: ServerAddr,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// A [`Builder`] with Gibson 1.2.1's defaults.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The bound address (port 0 resolved).
    pub fn addr(&self) -> &ServerAddr {
        &self.addr
    }

    /// Stops serving: closes the listener and every client connection at
    /// once, and joins the server thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
            if let ServerAddr::Unix(path) = &self.addr {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
