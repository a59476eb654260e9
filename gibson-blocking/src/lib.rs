//! Blocking client for the [Gibson](https://github.com/evilsocket/gibson)
//! cache server, on `std::net` and `std::os::unix::net`.
//!
//! * [`Connection`]: one request at a time, with connect, read and write
//!   timeouts on by default, a reconnect on the next call after a failure,
//!   and every Gibson command as a method;
//! * explicit pipelines ([`Connection::pipeline`]): many commands, one write;
//! * [`Pool`]: connections shared by threads, with a bounded wait;
//! * [`Sharded`]: several servers as one cache (consistent hashing, prefix
//!   commands sent to every server, dead servers handled);
//! * `get_multi`, `set_multi`, `delete_multi` ([`Commands`]) on every
//!   client: many keys in one pipelined round trip (per server);
//! * [`Namespace`]: keys relative to a prefix; [`PrefixScan`]: every key
//!   under a prefix of any size, a page at a time;
//! * [`transport`]: the socket under it all (TCP or Unix, timeouts, `TCP_NODELAY`).
//!
//! ```no_run
//! use gibson_blocking::{Connection, Ttl};
//!
//! let mut conn = Connection::connect("gibson://127.0.0.1:10128")?;
//! conn.set("user:1", "ada", Ttl::Never)?;
//! let users: Vec<(String, String)> = conn.mget("user:")?;
//! assert_eq!(conn.count("user:")?, users.len() as u64);
//! # Ok::<(), gibson_blocking::Error>(())
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
mod pool;
mod prefix_methods;
mod scan;
mod scoped;
mod sharded;
pub mod transport;

#[cfg(feature = "r2d2")]
mod r2d2_manager;

#[cfg(feature = "cached")]
pub use cached_store::CacheStore;
pub use compute::Compute;
pub use connection::Connection;
/// The metrics' names (feature `metrics`).
pub use gibson_observe::metrics;
pub use gibson_proto::compute::ComputeOptions;
pub use pool::{Pool, PooledConnection};
pub use scan::{PrefixScan, DEFAULT_PAGE};
pub use scoped::Namespace;
pub use sharded::Sharded;

#[cfg(feature = "r2d2")]
pub use r2d2_manager::GibsonManager;

#[cfg(feature = "json")]
pub use gibson_proto::Json;
#[cfg(feature = "msgpack")]
pub use gibson_proto::MsgPack;
#[cfg(feature = "postcard")]
pub use gibson_proto::Postcard;
pub use gibson_proto::{
    cmd, namespace, shard, Addr, Command, Commands, Config, Error, FromValue, Handle, Limits,
    LockTime, MetaField, Pipeline, PipelineResults, PoolConfig, RetryPolicy, Stats, ToArg, Ttl,
    Value,
};
