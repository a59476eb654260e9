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
//! Each connection's socket is owned by a driver future. By default (feature
//! `async-std`) it is spawned as an async-std task, next to the tasks that
//! use it, so that handing a reply over costs no wake-up across threads.
//! With the `smol` feature drivers are spawned on smol's global executor
//! instead. With neither (`default-features = false`) each driver gets a
//! small dedicated thread (256 KiB stack) under `async_io::block_on`: that
//! works whatever executor (or none) the caller uses, and a caller that
//! blocks its executor cannot stall other users of the connection, at the
//! price of two thread wake-ups per round trip (measured with `gibson
//! bench -t get -c 1 -P 128`: 0.18–0.28 of a raw socket loop's throughput
//! and 9–15 × its CPU per request on a dedicated thread, against 0.38–0.42
//! and 5.3–5.5 × as async-std tasks, in one session on a busy 2-core VM).
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

mod runtime;

pub use runtime::{AsyncIo, AsyncSocket, AsyncTimer};

/// A multiplexed connection on `async-io`: see [`gibson_async::Connection`].
pub type Connection = gibson_async::Connection<AsyncIo>;

/// A pool of connections on `async-io`: see [`gibson_async::Pool`].
pub type Pool = gibson_async::Pool<AsyncIo>;

pub use gibson_proto::{
    cmd, Addr, AsyncCommands, Command, Config, Error, FromValue, Handle, LockTime, MetaField,
    Pipeline, PipelineResults, PoolConfig, RetryPolicy, Stats, ToArg, Ttl, Value,
};
