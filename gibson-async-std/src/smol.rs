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

gibson_async::__runtime_clients!(
    crate::AsyncIo<crate::SmolTasks>,
    "whose driver runs on smol's global executor",
    "gibson_async_std::smol"
);
