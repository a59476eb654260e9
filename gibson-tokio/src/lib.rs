//! Tokio client for the [Gibson](https://github.com/evilsocket/gibson) cache
//! server.
//!
//! * [`Connection`]: one multiplexed socket shared by any number of tasks,
//!   with timeouts on by default, reconnect with backoff, and every Gibson
//!   command as a method of [`AsyncCommands`] (import the trait to call
//!   them);
//! * [`Pool`]: several connections, requests sent to the least loaded one;
//! * explicit pipelines ([`Connection::pipeline`]): many commands, one write.
//!
//! The protocol lives in [`gibson_proto`], the client policy
//! (configuration, sharding, namespaces, codecs) in [`gibson_policy`] and
//! the engine (multiplexer, driver, reconnects) in [`gibson_async`]; this crate is their binding to
//! tokio ([`Tokio`]). A connection's driver runs as a tokio task, so
//! connect from inside a tokio runtime.
//!
//! ```no_run
//! # async fn demo() -> Result<(), gibson_tokio::Error> {
//! use gibson_tokio::{AsyncCommands, Connection, Ttl};
//!
//! let conn = Connection::connect("gibson://127.0.0.1:10128").await?;
//! conn.set("user:1", "ada", Ttl::Never).await?;
//! conn.set("user:2", "grace", Ttl::Seconds(300)).await?;
//! let users: Vec<(String, String)> = conn.mget("user:").await?;
//! assert_eq!(users.len(), 2);
//! assert_eq!(conn.count("user:").await?, 2);
//! # Ok(()) }
//! ```
//!
//! # Computing a value once: [`Compute`]
//!
//! `Compute::get_or_compute(key, ttl, compute)` reads `key`; on a miss,
//! one caller computes the value and stores it, and the others get it.
//! What it promises (share one guard between tasks, e.g. in an `Arc`):
//!
//! * **One computation per miss**: the callers of one guard queue behind
//!   the one computing and then read its value; callers in other
//!   processes (or of other guards) are kept out by a lock on the server
//!   (`__gibson:lock:<key>`) and poll for the value every `poll` (20 ms),
//!   failing with [`Error::Timeout`] after `wait` (10 s).
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
//! # async fn demo(conn: gibson_tokio::Connection) -> Result<(), gibson_tokio::Error> {
//! use std::time::Duration;
//! use gibson_tokio::{Compute, ComputeOptions, OnCacheError, Ttl};
//!
//! let options = ComputeOptions {
//!     serve_stale_for: Some(Duration::from_secs(300)),
//!     on_cache_error: OnCacheError::ComputeWithoutCache,
//!     ..ComputeOptions::default()
//! };
//! let cache = Compute::with_options(conn, options);
//! let page: String = cache
//!     .get_or_compute("page:/home", Ttl::Seconds(60), || async {
//!         Ok::<_, gibson_tokio::Error>("<html>…</html>".to_string()) // the expensive part
//!     })
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! Off by default unless marked otherwise:
#![doc = document_features::document_features!()]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod runtime;

#[cfg(feature = "bb8")]
mod bb8_manager;

pub use runtime::{Tokio, TokioSocket, TokioTimer};

gibson_async::__runtime_clients!(Tokio, "on tokio", "gibson_tokio");
gibson_async::__runtime_reexports!();

#[cfg(feature = "bb8")]
pub use bb8_manager::GibsonManager;
