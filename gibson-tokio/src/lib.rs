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
//! # How a request travels
//!
//! A caller encodes its command straight into the connection's shared
//! output buffer ([`gibson_proto::mux`]) and waits on a slot. One driver
//! task per socket writes everything queued with one syscall, reads 64 KiB
//! at a time, and hands replies back 32 at a time, so that the next
//! requests of the callers it woke are written while it hands over the
//! rest. Response deadlines live in the slots and are enforced by the
//! driver with one timer per connection: a request costs no channel, no
//! timer and (once warm) no allocation; a pipeline is one slot and one
//! wake-up however many commands it holds.
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
