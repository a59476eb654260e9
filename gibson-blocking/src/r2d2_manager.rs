//! An [`r2d2`] connection manager.

use gibson_policy::Config;
use gibson_proto::{Commands, Error};

use crate::connection::Connection;

/// Opens [`Connection`]s for an `r2d2::Pool`.
///
/// ```no_run
/// use gibson_blocking::{Commands, GibsonManager};
/// let manager = GibsonManager::new("gibson://127.0.0.1:10128".parse()?);
/// let pool = r2d2::Pool::builder().max_size(4).build(manager)?;
/// pool.get()?.ping()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct GibsonManager {
    config: Config,
}

impl GibsonManager {
    /// A manager connecting with `config`.
    ///
    /// ```no_run
    /// let manager = gibson_blocking::GibsonManager::new("gibson://127.0.0.1:10128".parse()?);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn new(config: Config) -> GibsonManager {
        GibsonManager { config }
    }
}

impl r2d2::ManageConnection for GibsonManager {
    type Connection = Connection;
    type Error = Error;

    fn connect(&self) -> Result<Connection, Error> {
        Connection::with_config(self.config.clone())
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), Error> {
        conn.ping()
    }

    fn has_broken(&self, conn: &mut Connection) -> bool {
        !conn.is_connected()
    }
}
