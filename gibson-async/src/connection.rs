//! The multiplexed connection handle.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use gibson_observe::{observe, Attempt, Op, Server};
use gibson_policy::Config;
use gibson_proto::{
    is_short_reply, BatchRepeats, Command, Error, Opcode, Pipeline, PipelineResults, Reply,
};

use crate::call::{round_trip, Batch, Frame, One, Request};
use crate::deadline::until;
use crate::driver::Driver;
use crate::runtime::{Runtime, Stream};
use crate::shared_driver::{InlineDriver, SharedDriver};
use crate::state::{Delivery, Shared};

/// A cheap-to-clone handle to one multiplexed connection, on runtime `R`
/// (`gibson_tokio::Connection` and `gibson_async_std::Connection` name it
/// for theirs).
///
/// Every Gibson command is a method of the trait
/// [`AsyncCommands`](gibson_proto::AsyncCommands), which it implements
/// (see *Trait Implementations* below): `use gibson_tokio::AsyncCommands`
/// (or `gibson_async_std::AsyncCommands`) to call `conn.get(…)`.
///
/// Any number of tasks may use it at once: their requests are pipelined on
/// one socket and their replies matched in order. MGET, KEYS and requests
/// above [`Config::lane_threshold`] (big SETs) go on a second socket, the
/// *bulk lane*, opened on first use: small requests never queue behind
/// megabytes, and a reply larger than the server's `max_response_size`,
/// which makes the server close the connection
/// ([`Error::PrefixTooLarge`]), does not fail the other requests. Dropping
/// or timing out a request future never desynchronises the connection.
///
/// # Every request has one outcome
///
/// * a reply (a value, or a server error such as LOCKED);
/// * **not sent**: no whole request reached the server, so it did not run.
///   A single command is sent again on a new connection by the handle
///   itself; connection failures say so ([`Error::Io`] when connecting
///   failed, [`Error::NotSent`] for a pipeline's command);
/// * **may have executed**: the request was written and the connection
///   broke, or the response timeout passed, before its reply
///   ([`Error::Broken`], a response [`Error::Timeout`]; see
///   [`Error::may_have_executed`]). Only commands the
///   [`RetryPolicy`](gibson_policy::RetryPolicy) allows (idempotent ones)
///   are sent again, once.
///
/// # Failures it survives
///
/// * A broken connection is replaced by the next request (with backoff).
///   While the server is down, the callers waiting share one reconnect
///   and all get its error as soon as it fails; errors name the server.
/// * A peer that owes replies and sends nothing for twice the response
///   timeout (a frozen host, a dead NAT entry) is dropped, so the next
///   request opens a new connection; TCP keepalive is on as well.
/// * A peer that answers with bytes that are no Gibson reply is named
///   ([`Error::NotGibson`]).
/// * With [`Config::max_waiting`] set, a request beyond that many waiting
///   on the connection fails at once with [`Error::Busy`].
///
/// ```no_run
/// # async fn demo() -> Result<(), gibson_proto::Error> {
/// use gibson_tokio::{AsyncCommands, Connection, Ttl};
///
/// let conn = Connection::connect("gibson://127.0.0.1:10128").await?;
/// conn.set("greeting", "hello", Ttl::Seconds(60)).await?;
/// let value: Option<String> = conn.get("greeting").await?;
/// assert_eq!(value.as_deref(), Some("hello"));
/// # Ok(()) }
/// ```
pub struct Connection<R: Runtime> {
    inner: Arc<Inner>,
    response_timeout: Duration,
    runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime> Clone for Connection<R> {
    fn clone(&self) -> Self {
        Connection {
            inner: self.inner.clone(),
            response_timeout: self.response_timeout,
            runtime: PhantomData,
        }
    }
}

struct Inner {
    config: Config,
    /// The connection's state, shared with the driver of the current socket.
    shared: Arc<Shared>,
    /// Serialises reconnects so that a burst of callers opens one socket.
    reconnect: async_lock::Mutex<()>,
    /// When the last reconnect failed, and why: callers that waited for it
    /// get its error instead of trying again themselves.
    failed: Mutex<Option<(Instant, Error)>>,
    /// Requests started and not yet finished, for least-loaded choice.
    in_flight: AtomicUsize,
    /// Connections opened so far.
    connects: AtomicU64,
    /// The bulk lane, where MGET, KEYS and big requests go, opened on
    /// first use: an MGET's reply may be larger than the server sends, and
    /// the server then closes the connection; it should be this one, not
    /// the one other requests are on; and small requests should not wait
    /// behind megabytes. `None` for that connection itself.
    bulk: Option<OnceLock<Arc<Inner>>>,
    /// The server as spans and metrics name it.
    server: Server,
}

impl Inner {
    fn new(config: Config, with_bulk: bool) -> Inner {
        let lane_limit = with_bulk.then_some(config.lane_threshold);
        Inner {
            shared: Arc::new(Shared::new(&config, lane_limit)),
            reconnect: async_lock::Mutex::new(()),
            failed: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            connects: AtomicU64::new(0),
            bulk: with_bulk.then(OnceLock::new),
            server: Server::new(&config.addr),
            config,
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The driver finishes what is in flight, then closes the socket.
        self.shared.close();
    }
}

impl<R: Runtime> std::fmt::Debug for Connection<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("addr", &self.inner.config.addr)
            .field("connected", &self.is_connected())
            .field("in_flight", &self.in_flight())
            .finish()
    }
}

/// Decrements the in-flight count when a request ends, however it ends.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<R: Runtime> Connection<R> {
    /// Connects to `url` (see [`Config`]'s `FromStr`: `gibson://host:port`,
    /// `gibson+unix:///path`, or a bare `host:port` / path).
    ///
    /// ```no_run
    /// # use gibson_tokio::{AsyncCommands, Connection, Error};
    /// # async fn demo() -> Result<(), Error> {
    /// let conn = Connection::connect("gibson+unix:///var/run/gibson.sock").await?;
    /// conn.ping().await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Connection::with_config(url.parse()?).await
    }

    /// Connects with a full configuration.
    ///
    /// ```no_run
    /// # use gibson_tokio::{AsyncCommands, Config, Connection, Error};
    /// # async fn demo() -> Result<(), Error> {
    /// use std::time::Duration;
    /// let config = Config::new("127.0.0.1:10128".parse()?).response_timeout(Duration::from_millis(200));
    /// let conn = Connection::with_config(config).await?;
    /// conn.ping().await?;
    /// # Ok(()) }
    /// ```
    pub async fn with_config(config: Config) -> Result<Self, Error> {
        let conn = Connection::lazy(config)?;
        conn.link().await?;
        Ok(conn)
    }

    /// A handle that connects on first use.
    ///
    /// ```no_run
    /// # use gibson_tokio::{AsyncCommands, Connection, Error};
    /// # async fn demo() -> Result<(), Error> {
    /// let conn = Connection::lazy("gibson://127.0.0.1:10128".parse()?)?;
    /// assert!(!conn.is_connected());
    /// conn.ping().await?; // connects now
    /// # Ok(()) }
    /// ```
    pub fn lazy(config: Config) -> Result<Self, Error> {
        config.validate()?;
        Ok(Connection {
            runtime: PhantomData,
            response_timeout: config.response_timeout,
            inner: Arc::new(Inner::new(config, true)),
        })
    }

    /// The configuration.
    ///
    /// ```no_run
    /// # fn demo(conn: gibson_tokio::Connection) {
    /// println!("talking to {}", conn.config().addr);
    /// # }
    /// ```
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// A handle to the same connection whose requests time out after
    /// `timeout` instead of the configured response timeout.
    ///
    /// ```no_run
    /// # use gibson_tokio::AsyncCommands;
    /// # async fn demo(conn: gibson_tokio::Connection) -> Result<(), gibson_proto::Error> {
    /// use std::time::Duration;
    /// let impatient = conn.with_response_timeout(Duration::from_millis(20));
    /// let _ = impatient.get::<String>("maybe-slow").await; // may time out
    /// conn.ping().await?; // same socket, still healthy
    /// # Ok(()) }
    /// ```
    pub fn with_response_timeout(&self, timeout: Duration) -> Self {
        Connection {
            inner: self.inner.clone(),
            response_timeout: timeout,
            runtime: PhantomData,
        }
    }

    /// `true` while a socket is open.
    ///
    /// ```no_run
    /// # async fn demo(conn: gibson_tokio::Connection) {
    /// if !conn.is_connected() {
    ///     eprintln!("the next request will reconnect");
    /// }
    /// # }
    /// ```
    pub fn is_connected(&self) -> bool {
        self.inner.shared.is_up()
    }

    /// Requests started on this handle (and its clones) and not finished,
    /// those on the bulk lane included.
    ///
    /// ```no_run
    /// # fn demo(conn: gibson_tokio::Connection) {
    /// println!("{} requests waiting for replies", conn.in_flight());
    /// # }
    /// ```
    pub fn in_flight(&self) -> usize {
        let bulk = self.inner.bulk.as_ref().and_then(OnceLock::get);
        self.inner.in_flight.load(Ordering::Relaxed)
            + bulk.map_or(0, |b| b.in_flight.load(Ordering::Relaxed))
    }

    /// How many times a socket was opened (1 after the first connect; more
    /// after reconnects).
    ///
    /// ```no_run
    /// # fn demo(conn: gibson_tokio::Connection) {
    /// println!("reconnected {} times", conn.connects().saturating_sub(1));
    /// # }
    /// ```
    pub fn connects(&self) -> u64 {
        self.inner.connects.load(Ordering::Relaxed)
    }

    /// Makes sure a driver runs, connecting (with attempts and backoff)
    /// if needed. Callers that find a reconnect under way wait for it and
    /// share its outcome: its error, at once, if it failed.
    async fn link(&self) -> Result<(), Error> {
        if self.inner.shared.is_up() {
            return Ok(());
        }
        let asked = Instant::now();
        let _one_at_a_time = self.inner.reconnect.lock().await;
        if self.inner.shared.is_up() {
            return Ok(());
        }
        let failed = |inner: &Inner| {
            inner
                .failed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        };
        if let Some((at, err)) = failed(&self.inner) {
            if at >= asked {
                return Err(err);
            }
        }
        let err = match self.open().await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        *self.inner.failed.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), err.clone()));
        Err(err)
    }

    /// Opens a socket and starts its driver, with the configured attempts
    /// and backoff.
    async fn open(&self) -> Result<(), Error> {
        let config = &self.inner.config;
        let reconnect = self.connects() > 0;
        let mut last = None;
        for attempt in 0..config.connect_attempts {
            let delay = config.backoff_jittered(attempt, fastrand::u64(..));
            if !delay.is_zero() {
                R::timer(Instant::now() + delay).await;
            }
            let observed = Attempt::start(&self.inner.server, attempt + 1, reconnect);
            let stream = observed.instrument(Stream::<R>::connect(config)).await;
            observed.finish(&self.inner.server, &stream);
            match stream {
                Ok(stream) => {
                    let generation = self.inner.shared.start();
                    let driver = Driver::<R>::new(stream, self.inner.shared.clone(), generation);
                    let shared = SharedDriver::new(driver);
                    let inline: Weak<dyn InlineDriver> = Arc::downgrade(&shared) as _;
                    self.inner.shared.set_inline(generation, inline);
                    if let Err(e) = R::spawn("gibson-driver", shared.task()) {
                        last = Some(e.into());
                        continue;
                    }
                    self.inner.connects.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(Error::ConnectionClosed { in_reply: false }))
    }

    /// Runs any [`Command`] and returns its typed result. Every command
    /// method (`get`, `set`, `mget`, …) is a call to this.
    ///
    /// ```no_run
    /// # use gibson_tokio::{cmd, Connection, Error};
    /// # async fn demo(conn: Connection) -> Result<(), Error> {
    /// let n: u64 = conn.execute(cmd::Count::new("user:")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn execute<C: Command>(&self, cmd: C) -> Result<C::Output, Error> {
        let server = &self.inner.server;
        let op = Op::command(server, C::OPCODE);
        observe(op, server, async {
            let mut one = One(cmd);
            // Only prefix reads look for the bulk lane (a GET clones no handle).
            let bulk = matches!(C::OPCODE, Opcode::Mget | Opcode::Keys)
                .then(|| self.bulk_lane())
                .flatten();
            let reply = match bulk {
                Some(bulk) => bulk
                    .reply(&mut one, C::OPCODE)
                    .await
                    .map_err(|e| e.of_prefix_read(C::OPCODE))?,
                None => self.reply(&mut one, C::OPCODE).await?,
            };
            one.0.decode_reply(reply)
        })
        .await
    }

    /// The bulk lane (see the type's docs), opened on first use; `None`
    /// for the bulk lane itself.
    fn bulk_lane(&self) -> Option<Connection<R>> {
        let bulk = self.inner.bulk.as_ref()?;
        Some(Connection {
            inner: bulk
                .get_or_init(|| Arc::new(Inner::new(self.inner.config.clone(), false)))
                .clone(),
            response_timeout: self.response_timeout,
            runtime: PhantomData,
        })
    }

    /// Sends a request frame encoded elsewhere (by
    /// [`HashRing::route`](gibson_policy::HashRing::route), once for several
    /// servers) and returns its reply, as [`execute`](Connection::execute)
    /// would before decoding.
    pub(crate) async fn execute_frame(&self, op: Opcode, frame: &[u8]) -> Result<Reply, Error> {
        let server = &self.inner.server;
        let mut frame = Frame { op, frame };
        observe(Op::command(server, op), server, self.reply(&mut frame, op)).await
    }

    /// The reply to a single request, sent again while it comes back short
    /// (see [`is_short_reply`]).
    async fn reply<Q: Request>(&self, req: &mut Q, op: Opcode) -> Result<Reply, Error> {
        let mut attempts = 1;
        loop {
            let delivery = match self.call(req, Some(op)).await? {
                Delivery::Big => match self.bulk_lane() {
                    Some(bulk) => bulk.call(req, Some(op)).await?,
                    None => Delivery::Big,
                },
                delivery => delivery,
            };
            let reply = delivery.into_reply();
            if !is_short_reply(&reply, attempts) {
                return reply;
            }
            attempts += 1;
        }
    }

    /// [`round_trip`] within the response timeout, reconnecting through
    /// [`link`](Connection::link) (boxed: a request that finds its
    /// connection up, as nearly all do, carries no connect future).
    async fn call<Q: Request>(&self, req: &mut Q, op: Option<Opcode>) -> Result<Delivery, Error> {
        self.inner.in_flight.fetch_add(1, Ordering::Relaxed);
        let _guard = InFlight(&self.inner.in_flight);
        let timeout = self.response_timeout;
        let deadline = Instant::now() + timeout;
        let link = || -> Pin<Box<dyn Future<Output = Result<(), Error>> + Send + '_>> {
            Box::pin(until::<R, ()>(deadline, timeout, "response", self.link()))
        };
        let retry = self.inner.config.retry;
        round_trip(&self.inner.shared, req, op, retry, deadline, timeout, link).await
    }

    /// A new, empty pipeline using this connection's limits.
    ///
    /// ```no_run
    /// # use gibson_tokio::{Connection, Error, Ttl};
    /// # async fn demo(conn: Connection) -> Result<(), Error> {
    /// let mut p = conn.pipeline();
    /// let set = p.set("a", "1", Ttl::Never);
    /// let inc = p.inc("a");
    /// let mut results = conn.run(p).await?;
    /// results.take(set)?;
    /// assert_eq!(results.take(inc)?, 2);
    /// # Ok(()) }
    /// ```
    pub fn pipeline(&self) -> Pipeline {
        Pipeline::new(self.inner.config.limits)
    }

    /// Sends every command of `pipeline` in one write and collects one
    /// result per command, in order. The pipeline's commands are not
    /// resent after a broken connection; each gets its own error.
    ///
    /// ```no_run
    /// # async fn demo(conn: gibson_tokio::Connection) -> Result<(), gibson_tokio::Error> {
    /// let mut p = conn.pipeline();
    /// let a = p.get::<String>("a");
    /// let n = p.count("user:");
    /// let mut results = conn.run(p).await?;
    /// println!("{:?} {}", results.take(a)?, results.take(n)?);
    /// # Ok(()) }
    /// ```
    pub async fn run(&self, mut pipeline: Pipeline) -> Result<PipelineResults, Error> {
        let ops = pipeline.opcodes().to_vec();
        if ops.is_empty() {
            return Ok(pipeline.finish(Vec::new()));
        }
        let frames = pipeline.take_frames();
        let replies = self.run_frames(&ops, &frames).await?;
        Ok(pipeline.finish(replies))
    }

    /// The replies to pipelined `frames` (one request per opcode of
    /// `ops`), short MGET replies sent again.
    pub(crate) async fn run_frames(
        &self,
        ops: &[Opcode],
        frames: &bytes::Bytes,
    ) -> Result<Vec<Result<Reply, Error>>, Error> {
        let server = &self.inner.server;
        let op = Op::batch(server, ops);
        let replies = op.instrument(self.batch_replies(ops, frames)).await;
        op.finish_batch(server, &replies);
        replies
    }

    /// [`run_frames`](Connection::run_frames), unobserved.
    async fn batch_replies(
        &self,
        ops: &[Opcode],
        frames: &bytes::Bytes,
    ) -> Result<Vec<Result<Reply, Error>>, Error> {
        let mut req = Batch { ops, frames };
        let mut replies = self.call(&mut req, None).await?.into_replies()?;
        let mut repeats = BatchRepeats::default();
        while let Some(again) = repeats.next(frames, &replies) {
            for (i, frame) in again {
                let mut req = Batch {
                    ops: &ops[i..=i],
                    frames: &frame,
                };
                let reply = self.call(&mut req, None).await;
                replies[i] = reply.and_then(Delivery::into_reply);
            }
        }
        Ok(replies)
    }

    crate::prefix_methods::prefix_methods!("Connection", |this| vec![this.inner.config.clone()]);
}
