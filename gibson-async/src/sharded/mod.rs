//! Several servers as one cache: one pool per server, keys placed by a
//! consistent hash ring, prefix commands sent to every server at once.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use gibson_policy::{
    shard::{stats_per_server, HedgeCounter, HedgeStats, Partial, ShardConfig},
    Addr,
};
use gibson_proto::{Command, Error, Opcode, Pipeline, PipelineResults, Stats};

use crate::pool::Pool;
use crate::runtime::Runtime;

mod server_list;
mod servers;

use servers::Servers;

/// Several Gibson servers as one cache, the way libmemcached users spread
/// keys over memcached servers.
///
/// * A command with a key goes to the server the key lives on: the same
///   server libmemcached (pylibmc with `ketama: True`) would pick for the
///   same list of `host:port` names (see
///   [`ShardConfig`]).
/// * A prefix command (MGET, COUNT, KEYS, the M* writes), whose keys live
///   on every server, goes to every server at once, and their replies are
///   merged as one server holding all the data would have answered
///   ([`FanOut::merge`](gibson_policy::shard::FanOut::merge): counts summed,
///   MGET pairs joined within the limit, KEYS renumbered, NOT_FOUND only
///   when every server says so).
/// * A server that fails `failure_limit` times in a row (I/O errors,
///   timeouts, closed connections) is marked dead for `retry_timeout`, in
///   every call (single keys, multi-key calls, pipelines, prefix
///   commands): it is not contacted, nor dialled, until then. Its keys
///   fail fast with [`Error::ServerDown`], or go to the live servers with
///   `remove_failed` (a request that found it dead goes there too when it
///   was never written); a prefix command fails, or with `partial`
///   returns what the live servers answered
///   ([`execute_partial`](Sharded::execute_partial) always does).
/// * A transport failure names its server ([`Error::OnServer`]).
/// * With `replicas=N` each key has copies on the next `N` servers of the
///   ring: a write goes to every live copy at once (its reply is the first
///   copy's that answered), a read to the first live copy and, when that
///   fails, to the next one in the same call; MGET and KEYS keep each key
///   once, COUNT is refused. What holds for INC, DEC, locks and readers
///   after a failed write (no consistency guarantee, as in libmemcached)
///   is on [`ShardConfig::replicas`].
/// * The server list can change while the client runs
///   ([`set_servers`](Sharded::set_servers), [`add`](Sharded::add),
///   [`remove`](Sharded::remove), or discovery by name with
///   `discover=30s`): only the keys whose server changed move, the
///   requests already sent finish on their servers, and a removed
///   server's connections close once they are done.
/// * With `hedge=5ms` too, a single-key read not answered within 5 ms is
///   also sent to the next live copy; the first answer wins and the other
///   is read and dropped (the connection stays in step).
///   [`hedge_stats`](Sharded::hedge_stats) counts the hedges sent and won
///   (and, with the `metrics` feature, `gibson.client.hedges.sent` and
///   `gibson.client.hedges.won`).
///
/// Every command is a method of [`AsyncCommands`](gibson_proto::AsyncCommands),
/// which it implements like a `Connection` or a `Pool`, so code written for
/// them runs unchanged.
///
/// ```no_run
/// # async fn demo() -> Result<(), gibson_tokio::Error> {
/// use gibson_tokio::{AsyncCommands, Sharded, Ttl};
///
/// let cache = Sharded::connect("gibson://10.0.0.1:10128,10.0.0.2:10128,10.0.0.3:10128").await?;
/// cache.set("user:1", "ada", Ttl::Never).await?; // on the server of "user:1"
/// let users: Vec<(String, String)> = cache.mget("user:").await?; // from all three
/// assert_eq!(cache.count("user:").await?, users.len() as u64);
/// # Ok(()) }
/// ```
pub struct Sharded<R: Runtime> {
    shared: Arc<Shared<R>>,
}

struct Shared<R: Runtime> {
    /// The server list in use. A call takes it once and keeps it to its
    /// end; a change of the list replaces it for the calls that start
    /// after.
    current: RwLock<Arc<Servers<R>>>,
    hedges: HedgeCounter,
}

impl<R: Runtime> Clone for Sharded<R> {
    fn clone(&self) -> Self {
        Sharded {
            shared: self.shared.clone(),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for Sharded<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sharded")
            .field("servers", &self.servers())
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Sharded<R> {
    /// Builds a sharded client from a URL (see [`ShardConfig`]:
    /// `gibson://h1:p1,h2:p2/weight?opts`). Connections open on first use,
    /// so a server that is down now does not make this fail.
    ///
    /// ```no_run
    /// # use gibson_tokio::{AsyncCommands, Error, Sharded};
    /// # async fn demo() -> Result<(), Error> {
    /// let cache = Sharded::connect("gibson://a:10128,b:10128?remove_failed=true").await?;
    /// cache.ping().await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Sharded::with_config(url.parse()?).await
    }

    /// Builds a sharded client from a configuration: one lazy
    /// [`Pool`] per server. With [`discover`](ShardConfig::discover), the
    /// names are resolved first (it fails when one does not resolve) and
    /// then again in the background, every `discover`, for as long as a
    /// clone of the client lives.
    ///
    /// ```no_run
    /// # use gibson_tokio::{shard::ShardConfig, Error, Sharded};
    /// # async fn demo() -> Result<(), Error> {
    /// use std::time::Duration;
    /// let mut config = ShardConfig::new(["10.0.0.1:10128".parse()?, "10.0.0.2:10128".parse()?])?;
    /// config.client.response_timeout = Duration::from_millis(200);
    /// config.failure_limit = 3;
    /// let cache = Sharded::with_config(config).await?;
    /// # Ok(()) }
    /// ```
    pub async fn with_config(config: ShardConfig) -> Result<Self, Error> {
        config.validate()?;
        let discovery = gibson_policy::shard::Discovery::new(&config);
        let config = match &discovery {
            Some(discovery) => server_list::discover::<R>(discovery).await?,
            None => config,
        };
        let sharded = Sharded {
            shared: Arc::new(Shared {
                current: RwLock::new(Arc::new(Servers::new(config, None)?)),
                hedges: Default::default(),
            }),
        };
        if let Some(discovery) = discovery {
            server_list::spawn_discovery(&sharded, discovery)?;
        }
        Ok(sharded)
    }

    /// The server list in use, for one call.
    fn now(&self) -> Arc<Servers<R>> {
        // Nothing panics while holding the lock.
        self.shared
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The configuration, with the server list in use.
    pub fn config(&self) -> ShardConfig {
        self.now().config.clone()
    }

    /// The servers in use, in the configured order (which changes with
    /// [`set_servers`](Sharded::set_servers) and discovery).
    pub fn servers(&self) -> Vec<Addr> {
        self.now().config.servers().to_vec()
    }

    /// The pool of server `index` (in [`servers`](Sharded::servers) order),
    /// to talk to that server alone.
    pub fn pool(&self, index: usize) -> Option<Pool<R>> {
        self.now().pools.get(index).cloned()
    }

    /// The server `key` lives on now (its place on the ring, or a live
    /// server's with `remove_failed` while its own is dead).
    ///
    /// ```no_run
    /// # async fn demo(cache: gibson_tokio::Sharded) -> Result<(), gibson_tokio::Error> {
    /// println!("user:42 lives on {}", cache.server_for("user:42")?);
    /// # Ok(()) }
    /// ```
    pub fn server_for(&self, key: impl AsRef<[u8]>) -> Result<Addr, Error> {
        let servers = self.now();
        let index = servers.router().server_for(key.as_ref(), Instant::now())?;
        servers
            .config
            .servers()
            .get(index)
            .cloned()
            .ok_or_else(|| Error::invalid("servers", "the ring has no server"))
    }

    /// The hedged reads sent since the client was built (with `replicas`
    /// and `hedge`), and those the second copy answered first.
    ///
    /// ```no_run
    /// # async fn demo(cache: gibson_tokio::Sharded) {
    /// let hedges = cache.hedge_stats();
    /// println!("{} hedges, {} won", hedges.sent, hedges.won);
    /// # }
    /// ```
    pub fn hedge_stats(&self) -> HedgeStats {
        self.shared.hedges.stats()
    }

    /// Runs any [`Command`]: on its key's server, or on every server with
    /// the replies merged (a dead server fails it, unless the
    /// configuration asks for partial results).
    ///
    /// ```no_run
    /// # use gibson_tokio::{cmd, Error, Sharded};
    /// # async fn demo(cache: Sharded) -> Result<(), Error> {
    /// let n: u64 = cache.execute(cmd::Count::new("user:")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn execute<C: Command>(&self, cmd: C) -> Result<C::Output, Error> {
        let servers = self.now();
        let on_missing = servers.config.on_missing;
        servers
            .execute_partial(cmd, &self.shared.hedges)
            .await
            .resolve(on_missing)
    }

    /// Runs any [`Command`], and says which servers could not take part in
    /// a prefix command instead of failing it.
    ///
    /// ```no_run
    /// # use gibson_tokio::{cmd, Error, Sharded};
    /// # async fn demo(cache: Sharded) -> Result<(), Error> {
    /// let count = cache.execute_partial(cmd::Count::new("user:")).await;
    /// for server in count.missing_servers() {
    ///     eprintln!("not counted: server {server}");
    /// }
    /// let n = count.value?;
    /// # Ok(()) }
    /// ```
    pub async fn execute_partial<C: Command>(&self, cmd: C) -> Partial<C::Output> {
        self.now().execute_partial(cmd, &self.shared.hedges).await
    }

    /// STATS of every server, server by server.
    ///
    /// ```no_run
    /// # async fn demo(cache: gibson_tokio::Sharded) -> Result<(), gibson_proto::Error> {
    /// for (server, stats) in cache.stats_per_server().await.value? {
    ///     println!("{server}: {stats:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn stats_per_server(&self) -> Partial<Vec<(String, Stats)>> {
        let servers = self.now();
        let frame = [2, 0, 0, 0, Opcode::Stats.code() as u8, 0];
        let replies = servers.send_to_all(Opcode::Stats, &frame).await;
        stats_per_server(servers.ring.servers(), replies)
    }

    /// A new pipeline using the servers' limits.
    pub fn pipeline(&self) -> Pipeline {
        Pipeline::new(self.now().config.client.limits)
    }

    /// Runs a pipeline: its commands split by server (prefix commands to
    /// every server), one pipeline per server sent at once, the results
    /// put back in order. A server marked dead is not contacted: its
    /// commands get its [`Error::ServerDown`] (in a prefix command, it is
    /// left out when the configuration asks for partial results). With
    /// `remove_failed`, the keyed commands of a dead server that were not
    /// written to it go to the live servers in the same call, one more
    /// pipeline per server. With `replicas`, a write goes to every live
    /// copy of its key and a read to the first live one (not hedged; one
    /// that fails there goes to the next live copy, one more pipeline per
    /// server); a COUNT fails the whole pipeline (see
    /// [`ShardConfig::replicas`]).
    ///
    /// ```no_run
    /// # async fn demo(cache: gibson_tokio::Sharded) -> Result<(), gibson_tokio::Error> {
    /// let mut p = cache.pipeline();
    /// let a = p.get::<String>("a");
    /// let n = p.count("user:");
    /// let mut results = cache.run(p).await?;
    /// println!("{:?} {}", results.take(a)?, results.take(n)?);
    /// # Ok(()) }
    /// ```
    pub async fn run(&self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
        self.now().run(pipeline).await
    }

    crate::prefix_methods::prefix_methods!("Sharded", |this| this.now().config.server_configs());
}
