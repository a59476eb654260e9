//! Blocking client for the [Gibson](https://github.com/evilsocket/gibson)
//! cache server, on `std::net` and `std::os::unix::net`.
//!
//! * [`Connection`]: one request at a time, with connect, read and write
//!   timeouts on by default, a reconnect on the next call after a failure,
//!   and every Gibson command as a method of [`Commands`] (import the
//!   trait to call them);
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
//! use gibson_blocking::{Commands, Connection, Ttl};
//!
//! let mut conn = Connection::connect("gibson://127.0.0.1:10128")?;
//! conn.set("user:1", "ada", Ttl::Never)?;
//! let users: Vec<(String, String)> = conn.mget("user:")?;
//! assert_eq!(conn.count("user:")?, users.len() as u64);
//! # Ok::<(), gibson_blocking::Error>(())
//! ```
//!
//! # Computing a value once: [`Compute`]
//!
//! `Compute::get_or_compute(key, ttl, compute)` reads `key`; on a miss,
//! one caller computes the value and stores it, and the others get it.
//! What it promises (each thread uses a guard of its own, over its own connection; threads take turns through the server-side lock):
//!
//! * **One computation per miss**: the first caller to take a lock on the
//!   server (`__gibson:lock:<key>`) computes; the others, in this process
//!   or another, poll for the value every `poll` (20 ms), failing with
//!   [`Error::Timeout`] after `wait` (10 s).
//! * **Stale while refreshing**: with `serve_stale_for`, a copy of each
//!   value outlives it by that much; once the value has expired, every
//!   caller that does not compute gets the copy at once, in this process
//!   and others, while one computes.
//! * **A dead computer does not block the key**: its lock expires after
//!   `lock_for` (30 s), and the next caller computes. Set `lock_for` above
//!   the longest computation, or a second caller may compute meanwhile.
//! * **A failed computation** returns its error to its caller and
//!   releases the lock at once; a value that cannot be stored still goes
//!   to its caller.
//! * **An unreachable server** (an I/O error, a timeout, a closed
//!   connection…) fails the call by default. With
//!   `on_cache_error: OnCacheError::ComputeWithoutCache` the caller
//!   computes and returns the value without the cache (nothing is stored;
//!   every caller computes while the outage lasts), counted in
//!   `gibson.client.compute.fail_open` with the `metrics` feature.
//!
//! Values that must survive a change of their type read through
//! [`Lenient`] (a value that no longer decodes is a miss, so it is
//! recomputed); large ones can be stored through `Compressed` (feature
//! `zstd`).
//!
//! ```no_run
//! # fn demo(conn: gibson_blocking::Connection) -> Result<(), gibson_blocking::Error> {
//! use std::time::Duration;
//! use gibson_blocking::{Compute, ComputeOptions, OnCacheError, Ttl};
//!
//! let options = ComputeOptions {
//!     serve_stale_for: Some(Duration::from_secs(300)),
//!     on_cache_error: OnCacheError::ComputeWithoutCache,
//!     ..ComputeOptions::default()
//! };
//! let mut cache = Compute::with_options(conn, options);
//! let page: String = cache.get_or_compute("page:/home", Ttl::Seconds(60), || {
//!     Ok::<_, gibson_blocking::Error>("<html>…</html>".to_string()) // the expensive part
//! })?;
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
#[cfg(feature = "near")]
pub use gibson_near::{NearCache, NearConfig, NearStats};
/// The metrics' names (feature `metrics`).
pub use gibson_observe::metrics;
pub use gibson_policy::compute::{ComputeOptions, OnCacheError};
pub use pool::{Pool, PooledConnection};
pub use scan::{PrefixScan, DEFAULT_PAGE};
pub use scoped::Namespace;
pub use sharded::Sharded;

#[cfg(feature = "r2d2")]
pub use r2d2_manager::GibsonManager;

#[cfg(feature = "zstd")]
pub use gibson_policy::Compressed;
#[cfg(feature = "json")]
pub use gibson_policy::Json;
#[cfg(feature = "msgpack")]
pub use gibson_policy::MsgPack;
#[cfg(feature = "postcard")]
pub use gibson_policy::Postcard;
pub use gibson_policy::{namespace, shard, Addr, Config, Lenient, PoolConfig, RetryPolicy};
pub use gibson_proto::{
    cmd, Command, Commands, Error, FromValue, Handle, Limits, LockTime, MetaField, Pipeline,
    PipelineResults, Stats, ToArg, Ttl, Value,
};
