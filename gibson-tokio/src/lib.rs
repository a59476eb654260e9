//! Tokio client for the [Gibson](https://github.com/evilsocket/gibson) cache
//! server.
//!
//! * [`Connection`]: one multiplexed socket shared by any number of tasks,
//!   with timeouts on by default, reconnect with backoff, and every Gibson
//!   command as a method;
//! * [`Pool`]: several connections, requests sent to the least loaded one;
//! * explicit pipelines ([`Connection::pipeline`]): many commands, one write.
//!
//! The protocol itself lives in [`gibson_proto`]; this crate is the thin
//! tokio driver around it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), gibson_tokio::Error> {
//! use gibson_tokio::{Connection, Ttl};
//!
//! let conn = Connection::connect("gibson://127.0.0.1:10128").await?;
//! conn.set("user:1", "ada", Ttl::Never).await?;
//! conn.set("user:2", "grace", Ttl::Seconds(300)).await?;
//! let users: Vec<(String, String)> = conn.mget("user:").await?;
//! assert_eq!(users.len(), 2);
//! assert_eq!(conn.count("user:").await?, 2);
//! # Ok(()) }
//! ```

mod connection;
mod driver;
mod pool;
mod stream;

#[cfg(feature = "bb8")]
mod bb8_manager;

pub use connection::Connection;
pub use pool::Pool;

#[cfg(feature = "bb8")]
pub use bb8_manager::GibsonManager;

pub use gibson_proto::{
    cmd, Addr, Command, Config, Error, FromValue, Handle, LockTime, MetaField, Pipeline,
    PipelineResults, PoolConfig, RetryPolicy, Stats, ToArg, Ttl, Value,
};
