//! Observability of the [Gibson](https://github.com/evilsocket/gibson)
//! cache server clients, written once for the async engine
//! (`gibson-async`) and the blocking client (`gibson-blocking`), following
//! OpenTelemetry's semantic conventions for database clients.
//!
//! Users turn it on through the `tracing` and `metrics` features of their
//! runtime crate (`gibson-tokio`, `gibson-async-std`, `gibson-blocking`).
//! With both features off, every type here is empty and every function
//! hands its argument back: the clients compile to what they were.
//!
//! # Spans (`tracing`)
//!
//! One span per operation, at `DEBUG` level with target `gibson`, named
//! after the command (`GET`, `SET`, …); a pipeline is `BATCH GET` when all
//! its commands are GETs, `PIPELINE` otherwise. The blocking client's
//! `run_all` (a stream of commands of one kind) is a batch too, `BATCH SET`
//! for SETs, its size recorded when it ends. Fields:
//!
//! | field | value |
//! |---|---|
//! | `db.system.name` | `"gibson"` |
//! | `db.operation.name` | the span's name |
//! | `db.operation.batch.size` | a pipeline's commands (pipelines of 2 or more; a stream's, also 0) |
//! | `gibson.batch.failures` | a batch's commands that failed, when some did ([`failed`]) |
//! | `server.address`, `server.port` | the server's host and port, or the socket path (no port) |
//! | `error.type` | on failure, the error's kind ([`error_type`]): `timeout`, `connection_closed`, … |
//! | `db.response.status_code` | on a server error: `NOT_FOUND`, `LOCKED`, … |
//! | `otel.kind`, `otel.status_code` | `client`; `ERROR` on failure (for `tracing-opentelemetry`) |
//!
//! A batch fails as a whole (`error.type`, `otel.status_code = ERROR`)
//! when the client returns an error for it instead of one result per
//! command. Some of its results being errors (a LOCKED SET among hits, or
//! the commands left when the connection broke mid-way) is no failure of
//! the operation, as OpenTelemetry means `error.type`: the span counts
//! them in `gibson.batch.failures` (one field, whatever their number; no
//! event per failure), and each command's error is in its result. A
//! NOT_FOUND is no failure: the commands take it for absence (`None`,
//! `false`, `0`).
//!
//! Each connection attempt is a span `gibson.connect` with the same server
//! fields, `gibson.connect.attempt` (1, 2, …) and `gibson.reconnect`
//! (`true` once the connection had been open before).
//!
//! # Metrics (`metrics`)
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `db.client.operation.duration` (seconds) | histogram | `db.system.name`, `db.operation.name`, `server.address`, `server.port`, `error.type` on failure, `gibson.namespace` when labelled |
//! | `gibson.client.timeouts` | counter | `db.operation.name` (or `CONNECT`), server |
//! | `gibson.client.reconnects` | counter | server |
//! | `db.client.connection.count` | gauge | `db.client.connection.state` (`idle`, `used`), `db.client.connection.pool.name` |
//! | `db.client.connection.max` | gauge | `db.client.connection.pool.name` |
//! | `db.client.connection.timeouts` | counter | `db.client.connection.pool.name` (a pool's bounded wait ran out) |
//! | `gibson.client.compute.fail_open` | counter | `error.type` (a `get_or_compute` that computed without the cache) |
//! | `gibson.client.undecodable` | counter | `gibson.codec` (a stored value `Lenient` read as a miss) |
//! | `gibson.client.hedges.sent` | counter | (a sharded client's read also sent to the next copy of its key) |
//! | `gibson.client.hedges.won` | counter | (such a read the next copy answered first) |
//! | `gibson.client.servers.changes` | counter | (a sharded client's server list changed: set, or discovered; also logged at INFO) |
//! | `gibson.client.servers` | gauge | (the servers of the sharded client whose list changed last) |
//! | `gibson.client.discovery.failures` | counter | (resolving the server names failed, the list was kept; also logged at WARN) |
//!
//! Install the recorder before the first request: a connection registers
//! its histograms with the recorder installed when it first uses them.
//!
//! Commands through a namespace given a metrics label (the runtime crates'
//! `Namespace::with_metrics_label`) carry it as `gibson.namespace`; there
//! is none by default, to bound the labels' cardinality.

mod compute;
mod error_type;
mod hedge;
mod label;
#[cfg(any(feature = "tracing", feature = "metrics"))]
mod names;
mod observed;
mod op;
mod pool;
mod server;
mod server_list;

pub mod metrics;
#[cfg(feature = "metrics")]
mod record;
#[cfg(feature = "tracing")]
mod spans;

pub use compute::compute_fail_open;
pub use error_type::error_type;
pub use hedge::{hedge_sent, hedge_won};
pub use label::{labelled, with_label, Label};
pub use observed::observe;
#[cfg(any(feature = "tracing", feature = "metrics"))]
pub use observed::Observed;
pub use op::{failed, Attempt, Op};
pub use pool::{pool_connections, pool_timeout};
pub use server::Server;
pub use server_list::{discovery_failed, server_list_changed};

/// `db.system.name` of every span and metric.
pub const SYSTEM: &str = "gibson";
