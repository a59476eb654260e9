//! Several Gibson servers as one cache, blocking: [`Sharded`].
//!
//! * this file: the client, how it is built, and one command's way to its
//!   server or to every server;
//! * `servers.rs`: one server list as a call sees it, and running work on
//!   one server's pool (keeping its health) and on several servers at once;
//! * `server_list.rs`: changing the list while the client runs, and
//!   discovery by name;
//! * `workers.rs`: the threads that work runs on, kept between calls;
//! * `fan_out.rs`: STATS per server;
//! * `pipeline.rs`: pipelines split by server.

use std::sync::{mpsc, Arc, RwLock};
use std::time::Instant;

use gibson_policy::{
    shard::{first_answer, CopyRead, Partial, Plan, Routed, ShardConfig},
    Addr,
};
use gibson_proto::{Command, Error, Opcode, Reply};

use crate::pool::Pool;

mod fan_out;
mod hedge;
mod pipeline;
mod server_list;
mod servers;
mod workers;

use servers::{Servers, Snapshot};

/// A blocking client for several Gibson servers holding one cache: one
/// [`Pool`] per server, keys placed on a [`HashRing`](gibson_policy::HashRing) (libmemcached's
/// ketama by default, see [`ShardConfig`]).
///
/// * a keyed command (GET, SET, INC, …) goes to its key's server;
/// * a prefix command (MGET, COUNT, KEYS, MDEL, …), PING and END go to
///   every server at once (the calling thread and the client's worker
///   threads, which are kept between calls), and the replies are merged
///   into what one server holding all the data would answer
///   ([`FanOut`](gibson_policy::shard::FanOut) documents the rule); STATS
///   per server is [`stats_per_server`](Sharded::stats_per_server);
/// * a server is marked dead after `failure_limit` consecutive transport
///   failures; for `retry_timeout` it is not contacted (nor dialled) by
///   any call, and its keys fail fast with [`Error::ServerDown`], or with
///   `remove_failed=true` go to the live servers (with the request that
///   found it dead, when that was never written); a command sent to every
///   server fails when one is dead, or with `partial=true` returns what
///   the live ones answered;
/// * a transport failure names its server ([`Error::OnServer`]);
/// * the server list can change while the client runs
///   ([`set_servers`](Sharded::set_servers), [`add`](Sharded::add),
///   [`remove`](Sharded::remove), or discovery by name with
///   `discover=30s`): only the keys whose server changed move, the
///   requests already sent finish on their servers, and a removed
///   server's connections close once they are done;
/// * with `replicas=N`, each key has copies on the next `N` servers of
///   the ring: a write goes to every live copy at once (its reply is the
///   first copy's that answered), a read to the first live copy and, when
///   that fails, to the next one in the same call; MGET and KEYS keep each
///   key once, COUNT is refused. What holds for INC, DEC, locks and
///   readers after a failed write (no consistency guarantee, as in
///   libmemcached) is on [`ShardConfig::replicas`];
/// * with `hedge=5ms` too, a single-key read is sent from a worker
///   thread, and when it has not been answered within 5 ms to the next
///   live copy as well: the first answer wins, the other is read and
///   dropped by its worker (the connection stays in step);
///   [`hedge_stats`](Sharded::hedge_stats) counts the hedges sent and
///   won (and, with the `metrics` feature, `gibson.client.hedges.sent`
///   and `gibson.client.hedges.won`).
///
/// Nothing is connected when the client is built: a server that is down
/// at start only fails the requests that go to it. A `Sharded` is cheap
/// to clone and may be shared by threads (the clones share pools and
/// health). It implements [`Commands`](gibson_proto::Commands), which
/// gives it every command as a method, like [`Connection`](crate::Connection).
///
/// ```no_run
/// use gibson_blocking::{Commands, Sharded, Ttl};
///
/// let mut cache = Sharded::connect("gibson://10.0.0.1:10128,10.0.0.2:10128,10.0.0.3:10128?remove_failed=true")?;
/// cache.set("user:1", "ada", Ttl::Never)?; // on user:1's server
/// let n = cache.count("user:")?; // summed over the three
/// # Ok::<(), gibson_blocking::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sharded {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// The server list in use. A call takes it once and keeps it to its
    /// end; a change of the list replaces it for the calls that start
    /// after.
    current: RwLock<Arc<Servers>>,
    workers: Arc<workers::Workers>,
    hedges: Arc<gibson_policy::shard::HedgeCounter>,
    /// Dropped with the client: ends the discovery thread, if any.
    _stop_discovery: Option<mpsc::Sender<()>>,
}
impl Sharded {
    /// Builds the client from a URL: `gibson://h1:p1,h2:p2[/weight]…?options`
    /// (see [`ShardConfig`] for the options). Connects to nothing yet.
    ///
    /// ```
    /// // Nothing listens on these ports: building still succeeds.
    /// let cache = gibson_blocking::Sharded::connect("127.0.0.1:1,127.0.0.1:2?failure_limit=1")?;
    /// assert_eq!(cache.servers().len(), 2);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn connect(url: &str) -> Result<Sharded, Error> {
        Sharded::with_config(url.parse()?)
    }

    /// Builds the client from a full configuration: one lazy [`Pool`] per
    /// server, from [`ShardConfig::server_config`].
    ///
    /// ```
    /// use gibson_blocking::Sharded;
    /// use gibson_policy::shard::ShardConfig;
    ///
    /// let mut config: ShardConfig = "127.0.0.1:1,127.0.0.1:2".parse()?;
    /// config.remove_failed = true;
    /// let cache = Sharded::with_config(config)?;
    /// assert!(cache.config().remove_failed);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn with_config(config: ShardConfig) -> Result<Sharded, Error> {
        config.validate()?;
        let discovery = gibson_policy::shard::Discovery::new(&config);
        let config = match &discovery {
            Some(discovery) => server_list::discover(discovery)?,
            None => config,
        };
        let current = RwLock::new(Arc::new(Servers::new(config, None)?));
        let (stop, stopped) = discovery.as_ref().map(|_| mpsc::channel()).unzip();
        let sharded = Sharded {
            shared: Arc::new(Shared {
                current,
                workers: Arc::default(),
                hedges: Arc::default(),
                _stop_discovery: stop,
            }),
        };
        if let (Some(discovery), Some(stopped)) = (discovery, stopped) {
            server_list::spawn_discovery(&sharded, discovery, stopped)?;
        }
        Ok(sharded)
    }

    /// The server list in use and the workers, for one call.
    fn now(&self) -> Snapshot {
        Snapshot {
            // Nothing panics while holding the lock.
            servers: self
                .shared
                .current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            workers: self.shared.workers.clone(),
            hedges: self.shared.hedges.clone(),
        }
    }

    /// The hedged reads sent since the client was built (with `replicas`
    /// and `hedge`), and those the second copy answered first.
    ///
    /// ```
    /// let cache = gibson_blocking::Sharded::connect("127.0.0.1:1,127.0.0.1:2?replicas=1&hedge=5ms")?;
    /// let hedges = cache.hedge_stats();
    /// assert_eq!((hedges.sent, hedges.won), (0, 0));
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn hedge_stats(&self) -> gibson_policy::shard::HedgeStats {
        self.shared.hedges.stats()
    }

    /// The configuration.
    ///
    /// ```
    /// let cache = gibson_blocking::Sharded::connect("127.0.0.1:1,127.0.0.1:2")?;
    /// assert_eq!(cache.config().failure_limit, 2);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn config(&self) -> ShardConfig {
        self.now().servers.config.clone()
    }

    /// The servers in use, in the configured order (the ring's; it changes
    /// with [`set_servers`](Sharded::set_servers) and discovery).
    ///
    /// ```
    /// let cache = gibson_blocking::Sharded::connect("gibson://127.0.0.1:1,127.0.0.1:2")?;
    /// assert_eq!(cache.servers()[1].to_string(), "127.0.0.1:2");
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn servers(&self) -> Vec<Addr> {
        self.now().servers.config.servers().to_vec()
    }

    /// The server `key` lives on now (its place on the ring, or a live
    /// server's with `remove_failed` while its own is dead).
    ///
    /// ```
    /// let cache = gibson_blocking::Sharded::connect("127.0.0.1:1,127.0.0.1:2")?;
    /// let home = cache.server_for("user:42")?;
    /// assert!(cache.servers().contains(&home));
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn server_for(&self, key: impl AsRef<[u8]>) -> Result<Addr, Error> {
        let servers = self.now().servers;
        let index = servers.router().server_for(key.as_ref(), Instant::now())?;
        servers
            .config
            .servers()
            .get(index)
            .cloned()
            .ok_or_else(|| Error::invalid("servers", "the ring has no server"))
    }

    /// Server `index`'s pool (in the ring's order), to talk to that server
    /// alone.
    ///
    /// ```
    /// let cache = gibson_blocking::Sharded::connect("127.0.0.1:1,127.0.0.1:2")?;
    /// assert_eq!(cache.pool(1).unwrap().config().addr.to_string(), "127.0.0.1:2");
    /// assert!(cache.pool(2).is_none());
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn pool(&self, index: usize) -> Option<Pool> {
        self.now().servers.pools.get(index).cloned()
    }

    /// `true` unless server `index` is marked dead now.
    ///
    /// ```
    /// let cache = gibson_blocking::Sharded::connect("127.0.0.1:1,127.0.0.1:2")?;
    /// assert!(cache.is_live(0)); // nothing failed yet
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn is_live(&self, index: usize) -> bool {
        self.now().servers.router().is_live(index, Instant::now())
    }

    /// Runs any [`Command`]: on its key's server, or on every server with
    /// the replies merged (a dead server fails it, unless the
    /// configuration asks for partial results). Every command method is a
    /// call to this.
    ///
    /// ```no_run
    /// use gibson_blocking::{cmd, Sharded};
    /// let cache = Sharded::connect("10.0.0.1:10128,10.0.0.2:10128")?;
    /// let n: u64 = cache.execute(cmd::Count::new("user:"))?;
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn execute<C: Command>(&self, cmd: C) -> Result<C::Output, Error> {
        let now = self.now();
        let on_missing = now.servers.config.on_missing;
        now.execute_partial(cmd).resolve(on_missing)
    }

    /// Runs any [`Command`], and says which servers could not take part in
    /// a prefix command instead of failing it.
    ///
    /// ```no_run
    /// use gibson_blocking::{cmd, Sharded};
    /// let cache = Sharded::connect("10.0.0.1:10128,10.0.0.2:10128")?;
    /// let count = cache.execute_partial(cmd::Count::new("user:"));
    /// for server in count.missing_servers() {
    ///     eprintln!("not counted: server {server}");
    /// }
    /// let n = count.value?;
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn execute_partial<C: Command>(&self, cmd: C) -> Partial<C::Output> {
        self.now().execute_partial(cmd)
    }

    crate::prefix_methods::prefix_methods!("Sharded", |this| this.config().server_configs());
}

impl Snapshot {
    /// Runs `cmd` on the servers of this list.
    fn execute_partial<C: Command>(&self, cmd: C) -> Partial<C::Output> {
        match self
            .servers
            .ring
            .route(&cmd, &self.servers.config.client.limits)
        {
            Ok(routed) => self.send(&routed).and_then(|r| cmd.decode_reply(r)),
            Err(e) => Partial::complete(Err(e)),
        }
    }
    /// Sends a request where the router places it now: to its key's
    /// server (or, with `remove_failed`, the live one its key moved to),
    /// or to every server at once with the replies merged.
    fn send(&self, routed: &Routed) -> Partial<Reply> {
        // A statement of its own: the router is unlocked before sending.
        let plan = self.servers.router().plan(routed, Instant::now());
        let (frame, op) = (&routed.frame, routed.opcode);
        match plan {
            Err(e) => Partial::complete(Err(e)),
            Ok(Plan::One(i)) => Partial::complete(self.call_keyed(i, frame, op)),
            Ok(Plan::Read(copies)) => Partial::complete(match self.servers.config.hedge {
                Some(after) if copies.len() > 1 => self.call_hedged(&copies, frame, op, after),
                _ => self.call_read(&copies, frame, op),
            }),
            Ok(Plan::Write(copies)) => {
                Partial::complete(first_answer(self.call_on(&copies, frame.clone(), op)))
            }
            Ok(Plan::Every(fan_out)) => fan_out.merge(self.call_every(frame.clone(), op)),
        }
    }

    /// Sends a read to the first of `copies` (live copies of its key),
    /// and on a transport failure to the next.
    fn call_read(&self, copies: &[usize], frame: &[u8], op: Opcode) -> Result<Reply, Error> {
        let mut read = CopyRead::default();
        for &index in copies {
            if let Some(answer) = read.settle(self.call(index, frame, op)) {
                return answer;
            }
        }
        read.exhausted()
    }

    /// Sends a keyed request to server `index`; when that finds the server
    /// dead before the request was written and `remove_failed` moves its
    /// key, to the server it moved to.
    fn call_keyed(&self, index: usize, frame: &[u8], op: Opcode) -> Result<Reply, Error> {
        let reply = self.call(index, frame, op);
        let moved = match &reply {
            Err(e) => self
                .servers
                .router()
                .moved_to(index, frame, e, Instant::now()),
            Ok(_) => None,
        };
        moved.map_or(reply, |to| self.call(to, frame, op))
    }
}
