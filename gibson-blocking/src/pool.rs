//! A pool of blocking connections with a bounded wait.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use gibson_observe::Server;
use gibson_policy::Config;
use gibson_proto::{Commands, Error};

use crate::connection::Connection;

/// A pool of blocking [`Connection`]s shared by threads.
///
/// [`checkout`](Pool::checkout) hands out an idle connection, opens a new one while
/// fewer than `max_size` exist, or waits at most `pool.wait_timeout` for one
/// to come back, then fails with [`Error::PoolExhausted`]. A connection
/// that broke (its socket closed after an error) is replaced on the next
/// use. Idle connections unused for `pool.health_check_interval` are
/// PINGed before being handed out.
///
/// ```no_run
/// use gibson_blocking::{Commands, Pool, Ttl};
/// let pool = Pool::connect("gibson://127.0.0.1:10128?pool_max=8")?;
/// let mut conn = pool.checkout()?;
/// conn.set("k", "v", Ttl::Never)?;
/// # Ok::<(), gibson_blocking::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pool {
    inner: Arc<PoolInner>,
}

#[derive(Debug)]
struct PoolInner {
    config: Config,
    /// The server as the pool gauges name it.
    server: Server,
    state: Mutex<State>,
    returned: Condvar,
}

#[derive(Debug)]
struct State {
    idle: Vec<(Connection, Instant)>,
    /// Connections in existence (idle or handed out).
    open: usize,
}

impl Pool {
    /// Builds a pool from a URL (see [`Config`]).
    ///
    /// ```no_run
    /// # use gibson_blocking::Commands;
    /// let pool = gibson_blocking::Pool::connect("gibson://127.0.0.1:10128?pool_max=8&pool_wait=500ms")?;
    /// pool.checkout()?.ping()?;
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn connect(url: &str) -> Result<Pool, Error> {
        Pool::with_config(url.parse()?)
    }

    /// Builds a pool and opens its `min_size` connections.
    ///
    /// ```no_run
    /// let mut config = gibson_blocking::Config::new("127.0.0.1:10128".parse()?);
    /// config.pool.max_size = 8;
    /// let pool = gibson_blocking::Pool::with_config(config)?;
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn with_config(config: Config) -> Result<Pool, Error> {
        let pool = Pool::lazy(config)?;
        for _ in 0..pool.inner.config.pool.min_size {
            let conn = Connection::with_config(pool.inner.config.clone())?;
            let mut state = pool.lock();
            state.idle.push((conn, Instant::now()));
            state.open += 1;
        }
        Ok(pool)
    }

    /// Builds a pool without opening any connection: the first
    /// [`checkout`](Pool::checkout)s open them (so an unreachable server is only
    /// found out then). The sharded client builds its pools this way.
    ///
    /// ```
    /// // Nothing listens on port 1: building the pool still succeeds.
    /// let pool = gibson_blocking::Pool::lazy("127.0.0.1:1".parse()?)?;
    /// assert_eq!(pool.open(), 0);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn lazy(config: Config) -> Result<Pool, Error> {
        config.validate()?;
        let idle = Vec::with_capacity(config.pool.max_size);
        Ok(Pool {
            inner: Arc::new(PoolInner {
                server: Server::new(&config.addr),
                config,
                state: Mutex::new(State { idle, open: 0 }),
                returned: Condvar::new(),
            }),
        })
    }

    /// The configuration.
    ///
    /// ```no_run
    /// # let pool = gibson_blocking::Pool::connect("127.0.0.1:10128")?;
    /// println!("up to {} connections", pool.config().pool.max_size);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Connections open now (idle or in use).
    ///
    /// ```no_run
    /// # let pool = gibson_blocking::Pool::connect("127.0.0.1:10128")?;
    /// println!("{} open, {} idle", pool.open(), pool.idle());
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn open(&self) -> usize {
        self.lock().open
    }

    /// Idle connections now.
    ///
    /// ```no_run
    /// # let pool = gibson_blocking::Pool::connect("127.0.0.1:10128")?;
    /// let busy = pool.open() - pool.idle();
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn idle(&self) -> usize {
        self.lock().idle.len()
    }

    /// Takes a connected connection, waiting at most `pool.wait_timeout`
    /// for one to be free. When the server cannot be reached, it fails at
    /// once with the connect error (naming the server), not at the first
    /// command.
    ///
    /// Named `checkout`, not `get`, because `get` is the GET command
    /// everywhere else, the async crates' pools included
    /// (`gibson_tokio::Pool::get(key)`).
    ///
    /// ```no_run
    /// # use gibson_blocking::Commands;
    /// # let pool = gibson_blocking::Pool::connect("127.0.0.1:10128")?;
    /// let mut conn = pool.checkout()?; // PoolExhausted after pool.wait_timeout
    /// conn.inc("hits")?;
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn checkout(&self) -> Result<PooledConnection, Error> {
        let wait = self.inner.config.pool.wait_timeout;
        let deadline = Instant::now() + wait;
        let mut state = self.lock();
        loop {
            if let Some((mut conn, since)) = state.idle.pop() {
                self.gauge(&state);
                drop(state);
                if since.elapsed() >= self.inner.config.pool.health_check_interval
                    && conn.ping().is_err()
                {
                    // The ping's failure closed its socket.
                    conn.disconnect();
                }
                return self.ready(conn).inspect_err(|_| self.forget());
            }
            if state.open < self.inner.config.pool.max_size {
                state.open += 1;
                self.gauge(&state);
                drop(state);
                return Connection::lazy(self.inner.config.clone())
                    .and_then(|conn| self.ready(conn))
                    .inspect_err(|_| self.forget());
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                gibson_observe::pool_timeout(&self.inner.server);
                return Err(Error::PoolExhausted { waited: wait });
            }
            state = self
                .inner
                .returned
                .wait_timeout(state, remaining)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// `conn`, connected (with the usual attempts and timeouts), for the
    /// caller: a checkout fails at once, with the connect error, when the
    /// server cannot be reached, rather than at the first command. On
    /// failure the connection is closed and no longer counted.
    fn ready(&self, mut conn: Connection) -> Result<PooledConnection, Error> {
        conn.ensure_connected()?;
        Ok(self.wrap(conn))
    }

    /// A connection counted as open was dropped: room for another.
    fn forget(&self) {
        let mut state = self.lock();
        state.open = state.open.saturating_sub(1);
        self.gauge(&state);
        drop(state);
        self.inner.returned.notify_one();
    }

    fn wrap(&self, conn: Connection) -> PooledConnection {
        PooledConnection {
            conn: Some(conn),
            pool: self.clone(),
        }
    }

    fn put_back(&self, conn: Connection) {
        let mut state = self.lock();
        state.idle.push((conn, Instant::now()));
        self.gauge(&state);
        drop(state);
        self.inner.returned.notify_one();
    }

    /// Reports `state`'s connections (the pool gauges; nothing without
    /// the `metrics` feature).
    #[inline]
    fn gauge(&self, state: &State) {
        let idle = state.idle.len();
        let used = state.open.saturating_sub(idle);
        let max = self.inner.config.pool.max_size;
        gibson_observe::pool_connections(&self.inner.server, idle, used, max);
    }
}

/// A connection borrowed from a [`Pool`]; goes back when dropped.
///
/// ```no_run
/// # use gibson_blocking::Commands;
/// # let pool = gibson_blocking::Pool::connect("127.0.0.1:10128")?;
/// {
///     let mut conn = pool.checkout()?;
///     conn.ping()?;
/// } // back in the pool here
/// # Ok::<(), gibson_blocking::Error>(())
/// ```
#[derive(Debug)]
pub struct PooledConnection {
    conn: Option<Connection>,
    pool: Pool,
}

impl Deref for PooledConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        // Always Some until drop.
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("taken only in drop"))
    }
}

impl DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .unwrap_or_else(|| unreachable!("taken only in drop"))
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.put_back(conn);
        }
    }
}
