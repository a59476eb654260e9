//! A [`bb8`] connection manager, for users who already run bb8 pools.

use gibson_policy::Config;
use gibson_proto::{AsyncCommands, Error};

use crate::Connection;

/// Opens [`Connection`]s for a `bb8::Pool`.
///
/// A multiplexed connection serves many tasks at once, so most users want
/// [`Pool`](crate::Pool) instead; this manager is for code built around bb8.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use gibson_tokio::{AsyncCommands, GibsonManager};
/// let manager = GibsonManager::new("gibson://127.0.0.1:10128".parse()?);
/// let pool = bb8::Pool::builder().max_size(4).build(manager).await?;
/// let conn = pool.get().await?;
/// conn.ping().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct GibsonManager {
    config: Config,
}

impl GibsonManager {
    /// A manager connecting with `config`.
    ///
    /// ```no_run
    /// # fn demo() -> Result<(), gibson_tokio::Error> {
    /// let manager = gibson_tokio::GibsonManager::new("gibson://127.0.0.1:10128".parse()?);
    /// # Ok(()) }
    /// ```
    pub fn new(config: Config) -> GibsonManager {
        GibsonManager { config }
    }
}

impl bb8::ManageConnection for GibsonManager {
    type Connection = Connection;
    type Error = Error;

    async fn connect(&self) -> Result<Connection, Error> {
        Connection::with_config(self.config.clone()).await
    }

    async fn is_valid(&self, conn: &mut Connection) -> Result<(), Error> {
        conn.ping().await
    }

    fn has_broken(&self, conn: &mut Connection) -> bool {
        !conn.is_connected()
    }
}
