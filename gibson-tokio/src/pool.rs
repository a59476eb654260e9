//! A pool of multiplexed connections.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use gibson_proto::{Command, Config, Error, Pipeline, PipelineResults};
use tokio::sync::Semaphore;

use crate::connection::Connection;

/// A pool of multiplexed [`Connection`]s.
///
/// Each request goes to the member with the fewest requests in flight, so
/// one large MGET does not stall small requests behind it. The pool opens
/// `min_size` connections at once and more, up to `max_size`, as load
/// grows. At most `max_size × max_in_flight` requests run at once; a caller
/// beyond that waits at most `pool.wait_timeout`, then gets
/// [`Error::PoolExhausted`]. A background task PINGs idle members every
/// `pool.health_check_interval`; a broken member reconnects on its next use.
///
/// ```no_run
/// # async fn demo() -> Result<(), gibson_tokio::Error> {
/// use gibson_tokio::{Pool, Ttl};
/// let pool = Pool::connect("gibson://127.0.0.1:10128?pool_min=2&pool_max=8").await?;
/// pool.set("k", "v", Ttl::Never).await?;
/// assert_eq!(pool.get::<String>("k").await?.as_deref(), Some("v"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Pool {
    inner: Arc<PoolInner>,
}

#[derive(Debug)]
struct PoolInner {
    config: Config,
    members: Vec<Connection>,
    permits: Semaphore,
    closed: AtomicBool,
}

impl Pool {
    /// Builds a pool from a URL (see [`Config`]).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), gibson_tokio::Error> {
    /// let pool = gibson_tokio::Pool::connect("gibson://127.0.0.1:10128?pool_max=8&pool_wait=500ms").await?;
    /// pool.ping().await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Pool, Error> {
        Pool::with_config(url.parse()?).await
    }

    /// Builds a pool and opens its `min_size` connections.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), gibson_tokio::Error> {
    /// let mut config = gibson_tokio::Config::new("127.0.0.1:10128".parse()?);
    /// config.pool.min_size = 2;
    /// config.pool.max_size = 8;
    /// let pool = gibson_tokio::Pool::with_config(config).await?;
    /// # Ok(()) }
    /// ```
    pub async fn with_config(config: Config) -> Result<Pool, Error> {
        config.validate()?;
        let members = (0..config.pool.max_size)
            .map(|_| Connection::lazy(config.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        for member in &members[..config.pool.min_size] {
            member.ping().await?;
        }
        let permits = config
            .pool
            .max_size
            .saturating_mul(config.max_in_flight)
            .min(Semaphore::MAX_PERMITS);
        let inner = Arc::new(PoolInner {
            members,
            permits: Semaphore::new(permits),
            closed: AtomicBool::new(false),
            config,
        });
        tokio::spawn(health_checks(Arc::downgrade(&inner)));
        Ok(Pool { inner })
    }

    /// The configuration.
    ///
    /// ```no_run
    /// # fn demo(pool: gibson_tokio::Pool) {
    /// println!("up to {} connections", pool.config().pool.max_size);
    /// # }
    /// ```
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The members (connected or not yet).
    ///
    /// ```no_run
    /// # fn demo(pool: gibson_tokio::Pool) {
    /// let open = pool.members().iter().filter(|m| m.is_connected()).count();
    /// println!("{open} connections open");
    /// # }
    /// ```
    pub fn members(&self) -> &[Connection] {
        &self.inner.members
    }

    /// The least-loaded member: among those with the fewest requests in
    /// flight, a connected one first, so the pool grows only under load.
    ///
    /// ```no_run
    /// # async fn demo(pool: gibson_tokio::Pool) -> Result<(), gibson_tokio::Error> {
    /// // Pin a sequence of requests to one connection.
    /// let conn = pool.pick().clone();
    /// conn.set("a", "1", gibson_tokio::Ttl::Never).await?;
    /// # Ok(()) }
    /// ```
    pub fn pick(&self) -> &Connection {
        let members = &self.inner.members;
        // `Config::validate` guarantees at least one member.
        members
            .iter()
            .min_by_key(|m| (m.in_flight(), !m.is_connected()))
            .unwrap_or(&members[0])
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, Error> {
        // Uncontended: no timer.
        if let Ok(permit) = self.inner.permits.try_acquire() {
            return Ok(permit);
        }
        let wait = self.inner.config.pool.wait_timeout;
        match tokio::time::timeout(wait, self.inner.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(Error::ConnectionClosed { in_reply: false }),
            Err(_) => Err(Error::PoolExhausted { waited: wait }),
        }
    }

    /// Runs a command on the least-loaded member.
    ///
    /// ```no_run
    /// # async fn demo(pool: gibson_tokio::Pool) -> Result<(), gibson_tokio::Error> {
    /// let n: u64 = pool.execute(gibson_tokio::cmd::Count::new("user:")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn execute<C: Command>(&self, cmd: C) -> Result<C::Output, Error> {
        let _permit = self.permit().await?;
        self.pick().execute(cmd).await
    }

    /// A new pipeline using the pool's limits.
    ///
    /// ```no_run
    /// # async fn demo(pool: gibson_tokio::Pool) -> Result<(), gibson_tokio::Error> {
    /// let mut p = pool.pipeline();
    /// let ping = p.ping();
    /// pool.run(p).await?.take(ping)?;
    /// # Ok(()) }
    /// ```
    pub fn pipeline(&self) -> Pipeline {
        Pipeline::new(self.inner.config.limits)
    }

    /// Runs a pipeline on the least-loaded member.
    ///
    /// ```no_run
    /// # async fn demo(pool: gibson_tokio::Pool) -> Result<(), gibson_tokio::Error> {
    /// let mut p = pool.pipeline();
    /// let inc = p.inc("hits");
    /// assert!(pool.run(p).await?.take(inc)? >= 1);
    /// # Ok(()) }
    /// ```
    pub async fn run(&self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
        let _permit = self.permit().await?;
        self.pick().run(pipeline).await
    }

    gibson_proto::implement_commands!(async, "gibson_tokio", "Pool");
}

impl Drop for PoolInner {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Relaxed);
    }
}

/// PINGs idle, connected members; stops when the pool is dropped.
async fn health_checks(pool: Weak<PoolInner>) {
    let interval = match pool.upgrade() {
        Some(p) => p.config.pool.health_check_interval,
        None => return,
    };
    loop {
        tokio::time::sleep(interval).await;
        let Some(pool) = pool.upgrade() else { return };
        if pool.closed.load(Ordering::Relaxed) {
            return;
        }
        for (i, member) in pool.members.iter().enumerate() {
            let keep_open = i < pool.config.pool.min_size;
            if member.in_flight() == 0 && (member.is_connected() || keep_open) {
                // A failure breaks the member's socket; it reconnects on next use.
                let _ = tokio::time::timeout(Duration::from_secs(5), member.ping()).await;
            }
        }
    }
}
