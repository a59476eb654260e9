//! Tokio client for the [Gibson](https://github.com/evilsocket/gibson) cache
//! server.
//!
//! * [`Connection`]: one multiplexed socket shared by any number of tasks,
//!   with timeouts on by default, reconnect with backoff, and every Gibson
//!   command as a method;
//! * [`Pool`]: several connections, requests sent to the least loaded one;
//! * explicit pipelines ([`Connection::pipeline`]): many commands, one write.
//!
//! The protocol lives in [`gibson_proto`] and the engine (multiplexer,
//! driver, reconnects) in [`gibson_async`]; this crate is their binding to
//! tokio ([`Tokio`]). A connection's driver runs as a tokio task, so
//! connect from inside a tokio runtime.
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
