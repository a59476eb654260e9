//! A [`deadpool`] manager (feature `deadpool`), for users who already run
//! deadpool pools; the runtime crates name it `DeadpoolManager`.

use std::marker::PhantomData;

use deadpool::managed::{Manager, Metrics, RecycleError, RecycleResult};
use gibson_policy::Config;
use gibson_proto::{AsyncCommands, Error};

use crate::connection::Connection;
use crate::runtime::Runtime;

/// Opens [`Connection`]s for a `deadpool::managed::Pool`, and PINGs one
/// before handing it out again.
///
/// A multiplexed connection serves many tasks at once, so most users want
/// [`Pool`](crate::Pool) instead; this manager is for code built around
/// deadpool. `gibson_tokio::DeadpoolManager` and
/// `gibson_async_std::DeadpoolManager` are this type on their runtime.
///
/// ```no_run
/// # use gibson_tokio::AsyncCommands;
/// # type DeadpoolManager = gibson_async::DeadpoolManager<gibson_tokio::Tokio>;
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use deadpool::managed::Pool;
/// let manager = DeadpoolManager::new("gibson://127.0.0.1:10128".parse()?);
/// let pool = Pool::<DeadpoolManager>::builder(manager).max_size(4).build()?;
/// let conn = pool.get().await.map_err(|e| e.to_string())?;
/// conn.ping().await?;
/// # Ok(()) }
/// ```
pub struct DeadpoolManager<R: Runtime> {
    config: Config,
    runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime> DeadpoolManager<R> {
    /// A manager connecting with `config`.
    ///
    /// ```
    /// # type DeadpoolManager = gibson_async::DeadpoolManager<gibson_tokio::Tokio>;
    /// let manager = DeadpoolManager::new("gibson://127.0.0.1:10128".parse()?);
    /// assert_eq!(manager.config().addr.to_string(), "127.0.0.1:10128");
    /// # Ok::<(), gibson_tokio::Error>(())
    /// ```
    pub fn new(config: Config) -> Self {
        DeadpoolManager {
            config,
            runtime: PhantomData,
        }
    }

    /// The settings of the connections it opens.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl<R: Runtime> std::fmt::Debug for DeadpoolManager<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadpoolManager")
            .field("addr", &self.config.addr)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Manager for DeadpoolManager<R> {
    type Type = Connection<R>;
    type Error = Error;

    async fn create(&self) -> Result<Connection<R>, Error> {
        Connection::with_config(self.config.clone()).await
    }

    async fn recycle(&self, conn: &mut Connection<R>, _: &Metrics) -> RecycleResult<Error> {
        if !conn.is_connected() {
            return Err(RecycleError::message("the connection closed"));
        }
        conn.ping().await.map_err(RecycleError::Backend)
    }
}
