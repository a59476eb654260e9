//! Client for the [Gibson](https://github.com/evilsocket/gibson) cache server
//! on `futures-io` / `async-io`: it runs under async-std, under smol, and
//! under any executor, with no runtime of its own to start.
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
//! `async-io` ([`AsyncIo`]): sockets are `async_io::Async<TcpStream>` /
//! `Async<UnixStream>`, timers `async_io::Timer`.
//!
//! # Where the driver runs
//!
//! Each connection's socket is owned by a driver future, spawned by the
//! [`Spawner`] of its [`AsyncIo`] runtime:
//!
//! * [`Connection`] and [`Pool`] spawn it as an async-std task
//!   ([`AsyncStdTasks`], feature `async-std`, on by default), next to the
//!   tasks that use it, so that handing a reply over costs no wake-up
//!   across threads;
//! * [`smol::Connection`] and [`smol::Pool`] (feature `smol`) spawn it on
//!   smol's global executor ([`SmolTasks`]), for programs that run on smol;
//! * with `default-features = false`, [`Connection`] and [`Pool`] give it
//!   a small dedicated thread ([`Threads`]: 256 KiB of stack, under
//!   `async_io::block_on`). That works whatever executor (or none) the
//!   caller uses, and a caller that blocks its executor cannot stall other
//!   users of the connection, at the price of two thread wake-ups per
//!   round trip (at 128 requests in flight, about half the throughput of
//!   async-std tasks in `gibson-bench` on a 2-core VM).
//!
//! The features only add: enabling `smol` changes nothing for code that
//! uses [`Connection`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), gibson_async_std::Error> {
//! use gibson_async_std::{AsyncCommands, Connection, Ttl};
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
//! # async fn demo(conn: gibson_async_std::Connection) -> Result<(), gibson_async_std::Error> {
//! use std::time::Duration;
//! use gibson_async_std::{Compute, ComputeOptions, OnCacheError, Ttl};
//!
//! let options = ComputeOptions {
//!     serve_stale_for: Some(Duration::from_secs(300)),
//!     on_cache_error: OnCacheError::ComputeWithoutCache,
//!     ..ComputeOptions::default()
//! };
//! let cache = Compute::with_options(conn, options);
//! let page: String = cache
//!     .get_or_compute("page:/home", Ttl::Seconds(60), || async {
//!         Ok::<_, gibson_async_std::Error>("<html>…</html>".to_string()) // the expensive part
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
#[cfg(feature = "smol")]
pub mod smol;

#[cfg(feature = "async-std")]
pub use runtime::AsyncStdTasks;
#[cfg(feature = "smol")]
pub use runtime::SmolTasks;
pub use runtime::{AsyncIo, AsyncSocket, AsyncTimer, DefaultSpawner, Spawner, Threads};

gibson_async::__runtime_clients!(AsyncIo, "on `async-io`", "gibson_async_std");
gibson_async::__runtime_reexports!();
