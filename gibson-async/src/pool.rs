//! A pool of multiplexed connections.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use async_lock::{Semaphore, SemaphoreGuard};
use gibson_observe::Server;
use gibson_policy::Config;
use gibson_proto::{AsyncCommands, Command, Error, Opcode, Pipeline, PipelineResults, Reply};

use crate::connection::Connection;
use crate::deadline::until;
use crate::runtime::Runtime;

/// A pool of multiplexed [`Connection`]s.
///
/// Each request goes to the member with the fewest requests in flight, so
/// one large MGET does not stall small requests behind it. The pool opens
/// `min_size` connections at once and more, up to `max_size`, as load
/// grows. At most `max_size × max_in_flight` requests run at once; a caller
/// beyond that waits at most `pool.wait_timeout`, then gets
/// [`Error::PoolExhausted`]. A background task PINGs idle members every
/// `pool.health_check_interval`; a broken member reconnects on its next use
/// (the first `min_size` members are reopened by the check itself). The
/// check runs where the runtime spawns the connection drivers
/// ([`Runtime::spawn`]) and stops when the pool is dropped.
///
/// Every Gibson command is a method of the trait
/// [`AsyncCommands`](gibson_proto::AsyncCommands), which it implements:
/// `use gibson_tokio::AsyncCommands` (or `gibson_async_std::AsyncCommands`)
/// to call `pool.get(…)`.
///
/// ```no_run
/// # async fn demo() -> Result<(), gibson_tokio::Error> {
/// use gibson_tokio::{AsyncCommands, Pool, Ttl};
/// let pool = Pool::connect("gibson://127.0.0.1:10128?pool_min=2&pool_max=8").await?;
/// pool.set("k", "v", Ttl::Never).await?;
/// assert_eq!(pool.get::<String>("k").await?.as_deref(), Some("v"));
/// # Ok(()) }
/// ```
pub struct Pool<R: Runtime> {
    inner: Arc<PoolInner<R>>,
}

impl<R: Runtime> Clone for Pool<R> {
    fn clone(&self) -> Self {
        Pool {
            inner: self.inner.clone(),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for Pool<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("addr", &self.inner.config.addr)
            .field("members", &self.inner.members)
            .finish_non_exhaustive()
    }
}

struct PoolInner<R: Runtime> {
    config: Config,
    members: Vec<Connection<R>>,
    permits: Semaphore,
    /// The server as the pool gauges name it.
    server: Server,
    /// Dropped with the pool: ends the health-check task at once.
    _stop: async_channel::Sender<()>,
}

impl<R: Runtime> Pool<R> {
    /// Builds a pool from a URL (see [`Config`]; `pool_min`, `pool_max` and
    /// the other pool settings are query options).
    ///
    /// ```no_run
    /// # use gibson_tokio::{AsyncCommands, Error, Pool};
    /// # async fn demo() -> Result<(), Error> {
    /// let pool = Pool::connect("gibson://127.0.0.1:10128?pool_max=4").await?;
    /// pool.ping().await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Pool::with_config(url.parse()?).await
    }

    /// Builds a pool and opens its `min_size` connections.
    ///
    /// ```no_run
    /// # use gibson_tokio::{AsyncCommands, Config, Error, Pool};
    /// # async fn demo() -> Result<(), Error> {
    /// use std::time::Duration;
    /// let mut config = Config::new("127.0.0.1:10128".parse()?);
    /// config.pool.min_size = 1;
    /// config.pool.max_size = 4;
    /// config.pool.wait_timeout = Duration::from_millis(250);
    /// let pool = Pool::with_config(config).await?;
    /// pool.ping().await?;
    /// # Ok(()) }
    /// ```
    pub async fn with_config(config: Config) -> Result<Self, Error> {
        let pool = Pool::lazy(config)?;
        for member in pool
            .inner
            .members
            .iter()
            .take(pool.inner.config.pool.min_size)
        {
            member.ping().await?;
        }
        pool.inner.gauge();
        Ok(pool)
    }

    /// Builds a pool that opens its connections on first use (its health
    /// checks open the `min_size` first ones too): a server that is down
    /// now does not make this fail.
    ///
    /// ```no_run
    /// # use gibson_tokio::{AsyncCommands, Error, Pool};
    /// # async fn demo() -> Result<(), Error> {
    /// let pool = Pool::lazy("gibson://127.0.0.1:10128".parse()?)?;
    /// pool.ping().await?; // connects now
    /// # Ok(()) }
    /// ```
    pub fn lazy(config: Config) -> Result<Self, Error> {
        config.validate()?;
        let members = (0..config.pool.max_size)
            .map(|_| Connection::lazy(config.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let permits = config.pool.max_size.saturating_mul(config.max_in_flight);
        let (stop, stopped) = async_channel::bounded(1);
        let inner = Arc::new(PoolInner {
            members,
            permits: Semaphore::new(permits),
            server: Server::new(&config.addr),
            _stop: stop,
            config,
        });
        R::spawn(
            "gibson-pool-health",
            health_checks(Arc::downgrade(&inner), stopped),
        )?;
        Ok(Pool { inner })
    }

    /// The configuration.
    ///
    /// ```no_run
    /// # fn demo(pool: gibson_tokio::Pool) {
    /// println!("at most {} connections", pool.config().pool.max_size);
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
    /// println!("{open} open connections");
    /// # }
    /// ```
    pub fn members(&self) -> &[Connection<R>] {
        &self.inner.members
    }

    /// The least-loaded member: among those with the fewest requests in
    /// flight, a connected one first, so the pool grows only under load.
    ///
    /// ```no_run
    /// # use gibson_tokio::AsyncCommands;
    /// # async fn demo(pool: gibson_tokio::Pool) -> Result<(), gibson_tokio::Error> {
    /// // Several commands on one member, e.g. to keep them in order.
    /// let conn = pool.pick().clone();
    /// conn.ping().await?;
    /// # Ok(()) }
    /// ```
    pub fn pick(&self) -> &Connection<R> {
        let members = &self.inner.members;
        // `Config::validate` guarantees at least one member.
        members
            .iter()
            .min_by_key(|m| (m.in_flight(), !m.is_connected()))
            .unwrap_or(&members[0])
    }

    async fn permit(&self) -> Result<SemaphoreGuard<'_>, Error> {
        let wait = self.inner.config.pool.wait_timeout;
        if let Some(permit) = self.inner.permits.try_acquire() {
            return Ok(permit);
        }
        let acquire = async { Ok(self.inner.permits.acquire().await) };
        until::<R, _>(Instant::now() + wait, wait, "pool", acquire)
            .await
            .map_err(|_| {
                gibson_observe::pool_timeout(&self.inner.server);
                Error::PoolExhausted { waited: wait }
            })
    }

    /// Runs a command on the least-loaded member.
    ///
    /// ```no_run
    /// # use gibson_tokio::{cmd, Error, Pool};
    /// # async fn demo(pool: Pool) -> Result<(), Error> {
    /// let n: u64 = pool.execute(cmd::Count::new("user:")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn execute<C: Command>(&self, cmd: C) -> Result<C::Output, Error> {
        let _permit = self.permit().await?;
        self.pick().execute(cmd).await
    }

    /// [`Connection::run_frames`] on the least-loaded member.
    pub(crate) async fn run_batch(
        &self,
        ops: &[Opcode],
        frames: &bytes::Bytes,
    ) -> Result<Vec<Result<Reply, Error>>, Error> {
        let _permit = self.permit().await?;
        self.pick().run_frames(ops, frames).await
    }

    /// [`Connection::execute_frame`] on the least-loaded member.
    pub(crate) async fn execute_frame(&self, op: Opcode, frame: &[u8]) -> Result<Reply, Error> {
        let _permit = self.permit().await?;
        self.pick().execute_frame(op, frame).await
    }

    /// A new pipeline using the pool's limits.
    ///
    /// ```no_run
    /// # use gibson_tokio::{Error, Pool, Ttl};
    /// # async fn demo(pool: Pool) -> Result<(), Error> {
    /// let mut p = pool.pipeline();
    /// let set = p.set("a", "1", Ttl::Never);
    /// let mut results = pool.run(p).await?;
    /// results.take(set)?;
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
    /// let a = p.get::<String>("a");
    /// let mut results = pool.run(p).await?;
    /// println!("{:?}", results.take(a)?);
    /// # Ok(()) }
    /// ```
    pub async fn run(&self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
        let _permit = self.permit().await?;
        self.pick().run(pipeline).await
    }

    crate::prefix_methods::prefix_methods!("Pool", |this| vec![this.inner.config.clone()]);
}

/// PINGs idle, connected members; stops as soon as the pool is dropped.
async fn health_checks<R: Runtime>(pool: Weak<PoolInner<R>>, stopped: async_channel::Receiver<()>) {
    let interval = match pool.upgrade() {
        Some(p) => p.config.pool.health_check_interval,
        None => return,
    };
    loop {
        let tick = async {
            R::timer(Instant::now() + interval).await;
            true
        };
        // `recv` fails when the pool (the only sender) is dropped.
        let stop = async { stopped.recv().await.is_ok() };
        if !futures_lite::future::or(tick, stop).await {
            return;
        }
        let Some(pool) = pool.upgrade() else { return };
        for (i, member) in pool.members.iter().enumerate() {
            let keep_open = i < pool.config.pool.min_size;
            if member.in_flight() == 0 && (member.is_connected() || keep_open) {
                // A failure breaks the member's socket; it reconnects on next use.
                let ping = member.with_response_timeout(Duration::from_secs(5));
                let _ = ping.ping().await;
            }
        }
        pool.gauge();
    }
}

impl<R: Runtime> PoolInner<R> {
    /// Reports the members connected now, idle or with requests in
    /// flight (the pool gauges; nothing without the `metrics` feature).
    fn gauge(&self) {
        #[cfg(feature = "metrics")]
        {
            let open = self.members.iter().filter(|m| m.is_connected());
            let (used, idle) = open.fold((0, 0), |(used, idle), m| match m.in_flight() {
                0 => (used, idle + 1),
                _ => (used + 1, idle),
            });
            gibson_observe::pool_connections(&self.server, idle, used, self.members.len());
        }
    }
}
