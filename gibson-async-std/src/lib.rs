//! Client for the [Gibson](https://github.com/evilsocket/gibson) cache server
//! on `futures-io` / `async-io`: it runs under async-std, under smol, and
//! under any executor, with no runtime of its own to start.
//!
//! * [`Connection`]: one multiplexed socket shared by any number of tasks,
//!   with timeouts on by default, reconnect with backoff, and every Gibson
//!   command as a method;
//! * [`Pool`]: several connections, requests sent to the least loaded one;
//! * explicit pipelines ([`Connection::pipeline`]): many commands, one write.
//!
//! The protocol lives in [`gibson_proto`] and the engine (multiplexer,
//! driver, reconnects) in [`gibson_async`]; this crate is their binding to
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
//!   async-std tasks in `gibson bench` on a 2-core VM).
//!
//! The features only add: enabling `smol` changes nothing for code that
//! uses [`Connection`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), gibson_async_std::Error> {
//! use gibson_async_std::{Connection, Ttl};
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
