//! Several servers as one cache: one pool per server, keys placed by a
//! consistent hash ring, prefix commands sent to every server at once.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::Instant;

use gibson_policy::{
    shard::{
        counts_as_failure, first_answer, stats_per_server, HedgeStats, Partial, Plan, Router,
        ServerBatch, ShardConfig,
    },
    Addr, HashRing,
};
use gibson_proto::{Command, Error, Opcode, Pipeline, PipelineResults, Reply, Stats};

use crate::pool::Pool;
use crate::runtime::Runtime;

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
    inner: Arc<Inner<R>>,
}

struct Inner<R: Runtime> {
    config: ShardConfig,
    /// The ring of every server; it never changes, so routing and
    /// splitting need no lock (the router's copy serves remapping).
    ring: HashRing,
    pools: Vec<Pool<R>>,
    router: Mutex<Router>,
    /// Hedged reads sent, and won.
    hedges: [AtomicU64; 2],
}

impl<R: Runtime> Clone for Sharded<R> {
    fn clone(&self) -> Self {
        Sharded {
            inner: self.inner.clone(),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for Sharded<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sharded")
            .field("servers", &self.inner.config.servers())
            .finish_non_exhaustive()
    }
}

/// Polls every future at once; their outputs in order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
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
    /// [`Pool`] per server.
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
        let pools = config
            .server_configs()
            .into_iter()
            .map(Pool::lazy)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Sharded {
            inner: Arc::new(Inner {
                ring: config.ring(),
                router: Mutex::new(Router::new(&config)),
                hedges: Default::default(),
                pools,
                config,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ShardConfig {
        &self.inner.config
    }

    /// The servers, in the configured order.
    pub fn servers(&self) -> &[Addr] {
        self.inner.config.servers()
    }

    /// The pool of server `index` (in [`servers`](Sharded::servers) order),
    /// to talk to that server alone.
    pub fn pool(&self, index: usize) -> Option<&Pool<R>> {
        self.inner.pools.get(index)
    }

    /// The server `key` lives on now (its place on the ring, or a live
    /// server's with `remove_failed` while its own is dead).
    ///
    /// ```no_run
    /// # async fn demo(cache: gibson_tokio::Sharded) -> Result<(), gibson_tokio::Error> {
    /// println!("user:42 lives on {}", cache.server_for("user:42")?);
    /// # Ok(()) }
    /// ```
    pub fn server_for(&self, key: impl AsRef<[u8]>) -> Result<&Addr, Error> {
        let index = self.router().server_for(key.as_ref(), Instant::now())?;
        self.servers()
            .get(index)
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
        let [sent, won] = &self.inner.hedges;
        HedgeStats {
            sent: sent.load(Ordering::Relaxed),
            won: won.load(Ordering::Relaxed),
        }
    }

    fn router(&self) -> MutexGuard<'_, Router> {
        // Nothing panics while holding the lock.
        self.inner.router.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Server `index`'s pool, unless the server is marked dead now.
    fn admitted(&self, index: usize) -> Result<&Pool<R>, Error> {
        self.router().admit(index, Instant::now())?;
        self.inner
            .pools
            .get(index)
            .ok_or_else(|| Error::invalid("servers", "no such server"))
    }

    /// Sends `frame` to server `index`, or fails fast if it is dead, and
    /// records the outcome (a failure named after the server).
    async fn send(&self, index: usize, op: Opcode, frame: &[u8]) -> Result<Reply, Error> {
        let outcome = match self.admitted(index) {
            Ok(pool) => pool.execute_frame(op, frame).await,
            Err(e) => Err(e),
        };
        self.router().settle(index, outcome, Instant::now())
    }

    /// Sends a keyed request to server `index`; when that finds the server
    /// dead before the request was written and `remove_failed` moves its
    /// key, to the server it moved to.
    async fn send_keyed(&self, index: usize, op: Opcode, frame: &[u8]) -> Result<Reply, Error> {
        let reply = self.send(index, op, frame).await;
        let moved = match &reply {
            Err(e) => self.router().moved_to(index, frame, e, Instant::now()),
            Ok(_) => None,
        };
        match moved {
            Some(to) => self.send(to, op, frame).await,
            None => reply,
        }
    }

    /// Sends a read to the first of `copies` (live copies of its key); on
    /// a transport failure to the next; and with `hedge`, when the first
    /// has not answered in time, to the next too, the first answer
    /// winning (the other request is dropped: its connection reads its
    /// reply and throws it away).
    async fn send_read(&self, copies: &[usize], op: Opcode, frame: &[u8]) -> Result<Reply, Error> {
        let hedge = self.inner.config.hedge;
        let mut next = 0;
        // The requests in flight: whether each is a hedge, and its future.
        let mut inflight = Vec::with_capacity(2);
        let mut timer: Option<R::Timer> = None;
        let mut failure = None;
        loop {
            if inflight.is_empty() {
                let Some(&index) = copies.get(next) else {
                    return first_answer(failure.map(Err));
                };
                next += 1;
                inflight.push((false, Box::pin(self.send(index, op, frame))));
                timer = hedge
                    .filter(|_| next < copies.len())
                    .map(|after| R::timer(Instant::now() + after));
            }
            let event = poll_fn(|cx| {
                for (at, (_, request)) in inflight.iter_mut().enumerate() {
                    if let Poll::Ready(outcome) = request.as_mut().poll(cx) {
                        return Poll::Ready(Some((at, outcome)));
                    }
                }
                match timer.as_mut().map(|t| Pin::new(t).poll(cx)) {
                    Some(Poll::Ready(())) => Poll::Ready(None),
                    _ => Poll::Pending,
                }
            })
            .await;
            match event {
                // The hedge: the next copy too.
                None => {
                    timer = None;
                    if let Some(&index) = copies.get(next) {
                        next += 1;
                        self.inner.hedges[0].fetch_add(1, Ordering::Relaxed);
                        gibson_observe::hedge_sent();
                        inflight.push((true, Box::pin(self.send(index, op, frame))));
                    }
                }
                Some((at, outcome)) => {
                    let (hedged, _) = inflight.swap_remove(at);
                    match outcome {
                        Err(e)
                            if counts_as_failure(&e) || matches!(e, Error::ServerDown { .. }) =>
                        {
                            failure.get_or_insert(e);
                        }
                        answer => {
                            if hedged {
                                self.inner.hedges[1].fetch_add(1, Ordering::Relaxed);
                                gibson_observe::hedge_won();
                            }
                            return answer;
                        }
                    }
                }
            }
        }
    }

    /// Sends a write to every one of `copies` at once: the first copy's
    /// answer, in their order.
    async fn send_write(&self, copies: &[usize], op: Opcode, frame: &[u8]) -> Result<Reply, Error> {
        let sends = copies.iter().map(|&i| self.send(i, op, frame)).collect();
        first_answer(join_all(sends).await)
    }

    /// Sends `frame` to every server at once.
    async fn send_to_all(&self, op: Opcode, frame: &[u8]) -> Vec<Result<Reply, Error>> {
        join_all(
            (0..self.inner.pools.len())
                .map(|i| self.send(i, op, frame))
                .collect(),
        )
        .await
    }

    /// Sends each server its batch (none to a server marked dead), all at
    /// once: one outcome per request, in each batch's order.
    async fn send_batches(&self, batches: &[ServerBatch]) -> Vec<Vec<Result<Reply, Error>>> {
        let sends = batches.iter().enumerate().map(|(index, batch)| async move {
            if batch.is_empty() {
                return Vec::new();
            }
            let outcome = match self.admitted(index) {
                Ok(pool) => pool.run_batch(&batch.opcodes, &batch.frames).await,
                Err(e) => Err(e),
            };
            self.router()
                .settle_batch(index, batch.len(), outcome, Instant::now())
        });
        join_all(sends.collect()).await
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
        self.execute_partial(cmd)
            .await
            .resolve(self.inner.config.on_missing)
    }

    /// Runs any [`Command`], and says which servers could not take part in
    /// a prefix command instead of failing it.
    ///
    /// ```no_run
    /// # use gibson_tokio::{cmd, Error, Sharded};
    /// # async fn demo(cache: Sharded) -> Result<(), Error> {
    /// let count = cache.execute_partial(cmd::Count::new("user:")).await;
    /// for server in count.missing_servers() {
    ///     eprintln!("not counted: {}", cache.servers()[server]);
    /// }
    /// let n = count.value?;
    /// # Ok(()) }
    /// ```
    pub async fn execute_partial<C: Command>(&self, cmd: C) -> Partial<C::Output> {
        let routed = match self
            .inner
            .ring
            .route(&cmd, &self.inner.config.client.limits)
        {
            Ok(routed) => routed,
            Err(e) => return Partial::complete(Err(e)),
        };
        let plan = self.router().plan(&routed, Instant::now());
        let (op, frame) = (routed.opcode, &routed.frame[..]);
        let reply = match plan {
            Err(e) => Err(e),
            Ok(Plan::One(index)) => self.send_keyed(index, op, frame).await,
            Ok(Plan::Read(copies)) => self.send_read(&copies, op, frame).await,
            Ok(Plan::Write(copies)) => self.send_write(&copies, op, frame).await,
            Ok(Plan::Every(fan_out)) => {
                let replies = self.send_to_all(op, frame).await;
                return fan_out.merge(replies).and_then(|r| cmd.decode_reply(r));
            }
        };
        Partial::complete(reply.and_then(|r| cmd.decode_reply(r)))
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
        let frame = [2, 0, 0, 0, Opcode::Stats.code() as u8, 0];
        let replies = self.send_to_all(Opcode::Stats, &frame).await;
        stats_per_server(self.inner.ring.servers(), replies)
    }

    /// A new pipeline using the servers' limits.
    pub fn pipeline(&self) -> Pipeline {
        Pipeline::new(self.inner.config.client.limits)
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
        let split = self.router().split(&pipeline, Instant::now())?;
        let mut replies = self.send_batches(split.batches()).await;
        let reroute = self
            .router()
            .reroute(split.batches(), &replies, Instant::now());
        if !reroute.is_empty() {
            let moved = self.send_batches(reroute.batches()).await;
            reroute.finish(&mut replies, moved);
        }
        Ok(split.finish(pipeline, replies, self.inner.config.on_missing))
    }

    crate::prefix_methods::prefix_methods!("Sharded", |this| this.inner.config.server_configs());
}
