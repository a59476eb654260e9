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
//! Each connection has one state behind one lock: the sans-IO
//! [`Session`](gibson_proto::Session) (the one queue of requests awaiting
//! replies), the callers' slots and the driver's waker. A caller encodes
//! its command straight into the session's output and waits on a slot.
//! One driver per socket takes the bytes to write without copying them,
//! writes as many whole requests per syscall as the write window allows,
//! reads 64 KiB at a time, and delivers the replies to their slots.
//! Response deadlines live in the slots and are enforced by the driver
//! with one timer per connection: a request costs no channel, no timer and
//! (once warm) no allocation; a pipeline is one slot and one wake-up
//! however many commands it holds. When the socket breaks, what was
//! written fails as "may have executed", what was not is sent again on a
//! new socket, and a single command the
//! [`RetryPolicy`](gibson_policy::RetryPolicy) allows is resent once.
//!
//! ```no_run
//! # async fn demo() -> Result<(), gibson_tokio::Error> {
//! use gibson_tokio::{AsyncCommands, Connection, Ttl};
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
mod call;
mod commands;
mod compute;
mod connection;
mod deadline;
#[cfg(feature = "deadpool")]
mod deadpool_manager;
mod driver;
mod namespace;
mod pool;
mod prefix_methods;
mod runtime;
mod runtime_api;
mod scan;
mod sharded;
mod shared_driver;
mod state;

#[cfg(feature = "cached")]
pub use cached_store::CacheStore;
pub use compute::Compute;
pub use connection::Connection;
#[cfg(feature = "deadpool")]
pub use deadpool_manager::DeadpoolManager;
#[cfg(feature = "near")]
pub use gibson_near::{NearCache, NearConfig, NearStats};
pub use gibson_observe::metrics;
pub use gibson_policy::compute::{ComputeOptions, OnCacheError};
pub use namespace::Namespace;
pub use pool::Pool;
pub use runtime::{set_tcp_options, Runtime, Socket, Timer, KEEPALIVE_IDLE};
pub use scan::{PrefixScan, DEFAULT_PAGE};
pub use sharded::Sharded;
