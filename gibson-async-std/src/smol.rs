//! The client for programs that run on smol (feature `smol`): the same
//! [`Connection`] and [`Pool`], with their drivers and health checks on
//! smol's global executor ([`SmolTasks`]). Everything
//! else is the crate's, re-exported.
//!
//! ```no_run
//! use gibson_async_std::smol::{AsyncCommands, Connection, Ttl};
//!
//! smol::block_on(async {
//!     let conn = Connection::connect("gibson://127.0.0.1:10128").await?;
//!     conn.set("greeting", "hello", Ttl::Never).await?;
//!     assert_eq!(conn.get::<String>("greeting").await?.as_deref(), Some("hello"));
//!     Ok::<(), gibson_async_std::Error>(())
//! })?;
//! # Ok::<(), gibson_async_std::Error>(())
//! ```

pub use crate::*;

/// A multiplexed connection whose driver runs on smol's global executor:
/// see [`gibson_async::Connection`].
pub type Connection = gibson_async::Connection<crate::AsyncIo<crate::SmolTasks>>;

/// A pool of connections whose drivers run on smol's global executor: see
/// [`gibson_async::Pool`].
pub type Pool = gibson_async::Pool<crate::AsyncIo<crate::SmolTasks>>;

/// Several servers as one cache, drivers on smol's global executor: see
/// [`gibson_async::Sharded`].
pub type Sharded = gibson_async::Sharded<crate::AsyncIo<crate::SmolTasks>>;

/// A `deadpool::managed::Manager` of smol [`Connection`]s (feature
/// `deadpool`): see [`gibson_async::DeadpoolManager`].
#[cfg(feature = "deadpool")]
pub type DeadpoolManager = gibson_async::DeadpoolManager<crate::AsyncIo<crate::SmolTasks>>;
