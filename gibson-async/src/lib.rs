//! The async engine of the [Gibson](https://github.com/evilsocket/gibson)
//! cache server clients, written once and generic over the runtime.
//!
//! Users use it through `gibson-tokio` or `gibson-async-std`, which name
//! [`Connection`] and [`Pool`] for their runtime. A runtime crate
//! implements [`Runtime`] (spawning, a timer, TCP and Unix sockets) and
//! nothing else.
//!
//! # How a request travels
//!
//! A caller encodes its command straight into the connection's shared
//! output buffer ([`mux`]) and waits on a slot. One [`Driver`] per socket
//! writes everything queued with one syscall, reads 64 KiB at a time, and
//! hands replies back 32 at a time, so that the next requests of the
//! callers it woke are written while it hands over the rest. Response
//! deadlines live in the slots and are enforced by the driver with one
//! timer per connection: a request costs no channel, no timer and (once
//! warm) no allocation; a pipeline is one slot and one wake-up however
//! many commands it holds. When the socket breaks, what was written fails,
//! what was not is sent again on a new socket, and a single command the
//! [`RetryPolicy`](gibson_proto::RetryPolicy) allows is resent once.
//!
//! ```no_run
//! # async fn demo() -> Result<(), gibson_tokio::Error> {
//! use gibson_tokio::{Connection, Ttl};
//!
//! let conn = Connection::connect("gibson://127.0.0.1:10128").await?;
//! conn.set("user:1", "ada", Ttl::Never).await?;
//! let users: Vec<(String, String)> = conn.mget("user:").await?;
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! Off by default unless marked otherwise:
#![doc = document_features::document_features!()]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "cached")]
mod cached_store;
mod commands;
mod compute;
mod connection;
mod deadline;
#[cfg(feature = "deadpool")]
mod deadpool_manager;
mod driver;
pub mod mux;
mod namespace;
mod pool;
mod prefix_methods;
mod runtime;
mod runtime_api;
mod scan;
mod sharded;
mod shared_driver;
mod stream;

#[cfg(feature = "cached")]
pub use cached_store::CacheStore;
pub use compute::Compute;
pub use connection::Connection;
#[cfg(feature = "deadpool")]
pub use deadpool_manager::DeadpoolManager;
pub use driver::Driver;
pub use gibson_observe::metrics;
pub use gibson_proto::compute::{ComputeOptions, OnCacheError};
pub use namespace::Namespace;
pub use pool::Pool;
pub use runtime::{Runtime, Socket, Timer};
pub use scan::{PrefixScan, DEFAULT_PAGE};
pub use sharded::Sharded;
pub use stream::Stream;
