//! Helpers shared by the integration tests of every runtime crate.
//!
//! [`TestServer::start`] gives the server to test against: the one named by
//! `GIBSON_TEST_ADDR` (`host:port` or a socket path) when set, otherwise an
//! embedded `gibson-server` on a free loopback port. Tests must use
//! [`unique_prefix`] for their keys and tolerate foreign keys, so that they
//! pass against a shared external server too.
//!
//! The benchmarks (gibson-bench's, with `GIBSON_BENCH_ADDR`) and the
//! examples ([`example_server`]) find their server the same way.
//!
//! The behavioural suites every runtime crate runs are written once here
//! ([`conformance`], [`faults`], [`bulk`], [`resilience`], [`values`], [`cached_store`]) and expanded in a
//! crate's test file by [`suite!`], on the executors of [`runtime`].

#[cfg(feature = "observe")]
pub mod built;
pub mod bulk;
pub mod cached_store;
mod chunking;
pub mod client;
pub mod cluster;
pub mod compute;
pub mod conformance;
pub mod dead_shard;
pub mod failures;
pub mod faults;
pub mod hostile;
pub mod near;
#[cfg(feature = "observe")]
pub mod observe;
pub mod prefix;
pub mod proxy;
pub mod replicas;
pub mod resilience;
mod rng;
pub mod runtime;
pub mod server_list;
pub mod shard;
pub mod skew;
pub mod suite;
pub mod values;

#[doc(hidden)]
pub mod __reexport {
    pub use bytes::Bytes;
    pub use futures::channel::oneshot;
    pub use futures::future::join;
    pub use futures::stream::{FuturesUnordered, StreamExt};
    pub use futures::FutureExt;
    pub use gibson_policy::{Config, Json, MsgPack, Postcard, RetryPolicy};
    pub use gibson_proto::{
        AsyncCommands, Commands, Error, Limits, LockTime, MetaField, ProtocolError, ServerError,
        Ttl, Value,
    };
}

pub use client::{Blocking, SuiteClient};
pub use hostile::{Behavior, HostileServer};
pub use proxy::{Faults, Proxy};
pub use rng::Rng;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use gibson_policy::{Addr, Config};
use gibson_server::{Builder, Server, ServerAddr};

/// The environment variable naming an external server for the tests.
pub const TEST_ADDR_VAR: &str = "GIBSON_TEST_ADDR";
/// The environment variable naming an external server for the benchmarks.
pub const BENCH_ADDR_VAR: &str = "GIBSON_BENCH_ADDR";
/// The environment variable naming an external server for the examples.
pub const EXAMPLE_ADDR_VAR: &str = "GIBSON_ADDR";

/// A server to test against.
#[derive(Debug)]
pub struct TestServer {
    embedded: Option<Server>,
    /// The address, with the options of a URL given in the environment.
    config: Config,
    /// The URL or address given in the environment, as written.
    given: Option<String>,
    /// Set for embedded servers: how to start them again.
    rebind: Option<Rebind>,
}

#[derive(Debug, Clone)]
enum Rebind {
    Tcp(std::net::SocketAddr),
    Unix(PathBuf),
}

impl TestServer {
    /// `GIBSON_TEST_ADDR` if set, else an embedded server on TCP loopback.
    pub fn start() -> TestServer {
        TestServer::from_env(TEST_ADDR_VAR)
    }

    /// `GIBSON_TEST_ADDR` if set, else an embedded server on a Unix socket.
    pub fn start_unix() -> TestServer {
        match env_addr(TEST_ADDR_VAR) {
            Some(addr) => TestServer::named_by(TEST_ADDR_VAR, &addr),
            None => TestServer::embedded_unix(),
        }
    }

    /// The server named by the environment variable `var` when it is set
    /// and not blank, else an embedded server on TCP loopback: for tests
    /// ([`TEST_ADDR_VAR`]), benchmarks ([`BENCH_ADDR_VAR`]) and examples
    /// ([`example_server`]). The variable holds an address (`host:port`, a
    /// socket path) or a URL (`gibson://…`, `gibson+unix://…`), whose
    /// options [`config`](TestServer::config) and [`url`](TestServer::url)
    /// keep.
    ///
    /// # Panics
    ///
    /// When the variable holds something else.
    pub fn from_env(var: &str) -> TestServer {
        match env_addr(var) {
            Some(addr) => TestServer::named_by(var, &addr),
            None => TestServer::embedded_tcp(),
        }
    }

    /// An external server at `addr`.
    pub fn external(addr: &str) -> TestServer {
        TestServer::named_by(TEST_ADDR_VAR, addr)
    }

    /// An external server at `addr`, read from the variable `var`.
    fn named_by(var: &str, addr: &str) -> TestServer {
        let config: Config = addr
            .parse()
            .unwrap_or_else(|e| panic!("{var}={addr:?} is not an address: {e}"));
        TestServer {
            embedded: None,
            config,
            given: Some(addr.to_string()),
            rebind: None,
        }
    }

    /// An embedded server with default settings on `127.0.0.1:0`.
    pub fn embedded_tcp() -> TestServer {
        TestServer::embedded_tcp_with(|b| b)
    }

    /// An embedded server on `127.0.0.1:0`, its builder adjusted by `f`.
    pub fn embedded_tcp_with(f: impl FnOnce(Builder) -> Builder) -> TestServer {
        let server = f(Server::builder())
            .bind_tcp("127.0.0.1:0")
            .expect("start embedded gibson-server on TCP");
        TestServer::from_server(server)
    }

    /// An embedded server with default settings on a fresh Unix socket.
    pub fn embedded_unix() -> TestServer {
        TestServer::embedded_unix_with(|b| b)
    }

    /// An embedded server on a fresh Unix socket, its builder adjusted by `f`.
    pub fn embedded_unix_with(f: impl FnOnce(Builder) -> Builder) -> TestServer {
        let path = temp_socket_path();
        let server = f(Server::builder())
            .bind_unix(&path)
            .expect("start embedded gibson-server on a Unix socket");
        TestServer::from_server(server)
    }

    fn from_server(server: Server) -> TestServer {
        let (addr, rebind) = match server.addr() {
            ServerAddr::Tcp(sa) => (
                Addr::Tcp {
                    host: sa.ip().to_string(),
                    port: sa.port(),
                },
                Rebind::Tcp(*sa),
            ),
            ServerAddr::Unix(p) => (Addr::Unix(p.clone()), Rebind::Unix(p.clone())),
        };
        TestServer {
            embedded: Some(server),
            config: Config::new(addr),
            given: None,
            rebind: Some(rebind),
        }
    }

    /// `true` when testing against `GIBSON_TEST_ADDR`.
    pub fn is_external(&self) -> bool {
        self.rebind.is_none()
    }

    /// The server's address.
    pub fn addr(&self) -> &Addr {
        &self.config.addr
    }

    /// A client configuration for this server: default settings, or the
    /// options of the URL given in the environment.
    pub fn config(&self) -> Config {
        self.config.clone()
    }

    /// The URL or address given in the environment, options included, or
    /// the embedded server's URL (`gibson://…` or `gibson+unix://…`). It
    /// may already hold a query: change settings through
    /// [`config`](TestServer::config), not by appending `?…`.
    pub fn url(&self) -> String {
        self.given.clone().unwrap_or_else(|| self.config.addr.url())
    }

    /// Stops an embedded server: closes the listener and every connection.
    /// Returns `false` (and does nothing) for an external server.
    pub fn stop(&mut self) -> bool {
        match self.embedded.take() {
            Some(server) => {
                server.shutdown();
                true
            }
            None => false,
        }
    }

    /// Starts a stopped embedded server again on the same address, with
    /// default settings. Returns `false` for an external server.
    pub fn restart(&mut self) -> bool {
        self.restart_with(|b| b)
    }

    /// Like [`restart`](TestServer::restart), adjusting the builder.
    pub fn restart_with(&mut self, f: impl FnOnce(Builder) -> Builder) -> bool {
        let Some(rebind) = self.rebind.clone() else {
            return false;
        };
        self.stop();
        let server = match rebind {
            Rebind::Tcp(sa) => f(Server::builder()).bind_tcp(sa),
            Rebind::Unix(p) => f(Server::builder()).bind_unix(p),
        }
        .expect("restart embedded gibson-server on the same address");
        self.embedded = Some(server);
        true
    }
}

/// The server of an example: `GIBSON_ADDR` if set, else an embedded
/// server, announced on stdout. Keep it alive while the example runs.
pub fn example_server() -> TestServer {
    let server = TestServer::from_env(EXAMPLE_ADDR_VAR);
    if !server.is_external() {
        println!(
            "(no {EXAMPLE_ADDR_VAR}: using an embedded server at {})",
            server.url()
        );
    }
    server
}

/// An embedded server with a fault-injecting [`Proxy`] in front of it
/// (keep the server alive as long as the proxy is used).
pub fn proxied() -> (TestServer, Proxy) {
    let server = TestServer::start();
    let proxy = Proxy::start(server.addr().clone());
    (server, proxy)
}

/// The value of the variable `var`, trimmed, unless unset or blank.
fn env_addr(var: &str) -> Option<String> {
    let value = std::env::var(var).ok()?;
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// A fresh socket path in the temp directory.
pub fn temp_socket_path() -> PathBuf {
    std::env::temp_dir().join(format!("gibson-test-{}.sock", unique_suffix()))
}

fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{n}-{nanos:x}", std::process::id())
}

/// A key prefix no other test (in this run or another) uses:
/// `t:{tag}:{pid}-{n}-{nanos}:`.
pub fn unique_prefix(tag: &str) -> String {
    format!("t:{tag}:{}:", unique_suffix())
}
