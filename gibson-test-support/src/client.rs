//! The clients the shared suites run on: [`SuiteClient`], what a suite asks
//! of a client beyond [`AsyncCommands`], implemented for the async
//! connection on any runtime and for the blocking connection behind
//! [`Blocking`], which gives a [`Commands`] client the [`AsyncCommands`]
//! methods (futures that complete when first polled), so that one `async
//! fn` tests every client. [`block_on`] runs such a function without an
//! async runtime.

use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

use gibson_policy::Config;
use gibson_proto::{
    AsyncCommands, Command, Commands, Error, Limits, LockTime, Pipeline, PipelineResults, Ttl,
};

use crate::runtime::Runtime;
use crate::TestServer;

/// What the shared suites ask of the client under test beyond its
/// commands.
pub trait SuiteClient: AsyncCommands + Sized {
    /// Whether requests made together (futures polled together on one
    /// task) are in flight together, as on a multiplexed async connection;
    /// a [`Blocking`] client runs them one after the other.
    const MULTIPLEXED: bool;
    /// Connects with `config`.
    fn connect(config: Config) -> impl Future<Output = Result<Self, Error>>;
    /// A client of `config` that connects on first use.
    fn lazy(config: Config) -> Result<Self, Error>;
    /// `true` while a socket is open.
    fn is_connected(&self) -> bool;
    /// Sockets opened so far (1 after the first connect, 2 after a
    /// reconnect…).
    fn connects(&self) -> u64;
    /// A PING from another task: a clone's, spawned on `R`, for an async
    /// client; the client's own, on this thread, for a [`Blocking`] one.
    fn ping_from_another_task<R: Runtime>(&self) -> impl Future<Output = Result<(), Error>>;
    /// The client's own namespace under `prefix` (which must end with `:`).
    fn namespace(&self, prefix: &str) -> Result<impl SuiteNamespace + '_, Error>;
}

/// An async client of `gibson-async` on its runtime: what names its pool
/// (`gibson_async::Pool<Self::Runtime>`) for the suites of async clients
/// only.
pub trait AsyncClient: SuiteClient {
    /// The runtime its drivers run on.
    type Runtime: gibson_async::Runtime;
}

/// A client's namespace ([`SuiteClient::namespace`]): its commands, and
/// its own methods over the whole prefix.
pub trait SuiteNamespace: AsyncCommands + Sized {
    /// The same namespace, its commands' metrics labelled
    /// `gibson.namespace = name`.
    fn with_metrics_label(self, name: &str) -> Self;
    /// COUNT of every key in the namespace.
    fn count_all(&self) -> impl Future<Output = Result<u64, Error>>;
    /// MTTL of every key in the namespace; how many.
    fn expire_all(&self, ttl: Ttl) -> impl Future<Output = Result<u64, Error>>;
    /// MLOCK of every key in the namespace; how many.
    fn lock_all(&self, time: impl Into<LockTime>) -> impl Future<Output = Result<u64, Error>>;
    /// MUNLOCK of every key in the namespace; how many.
    fn unlock_all(&self) -> impl Future<Output = Result<u64, Error>>;
    /// MDEL of every key in the namespace; how many.
    fn invalidate(&self) -> impl Future<Output = Result<u64, Error>>;
}

/// A client of `C` connected with `config`.
///
/// # Panics
///
/// When it does not connect.
pub async fn client<C: SuiteClient>(config: Config) -> C {
    C::connect(config).await.expect("connect")
}

/// The test server ([`TestServer::start`]) and a client of it; the server
/// must outlive the client.
pub async fn connected<C: SuiteClient>() -> (TestServer, C) {
    let server = TestServer::start();
    let c = client(server.config()).await;
    (server, c)
}

/// A client of `server` with `max_request_size` 1024: a SET of `key` with
/// 2000 bytes is refused before anything is written (`InvalidArgument` of
/// the request), and the connection stays as it was: it answers a PING
/// and has connected once.
///
/// # Panics
///
/// When it does not connect, or a check fails.
pub async fn refuses_a_request_over_the_limit<C: SuiteClient>(server: &TestServer, key: String) {
    let mut limits = Limits::default();
    limits.max_request_size = 1024;
    let tight: C = client(server.config().limits(limits)).await;
    let err = tight
        .set(key, &vec![b'x'; 2000][..], Ttl::Never)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { arg: "request", .. }),
        "{err}"
    );
    tight.ping().await.unwrap();
    assert_eq!(tight.connects(), 1);
}

impl<R: gibson_async::Runtime> SuiteClient for gibson_async::Connection<R> {
    const MULTIPLEXED: bool = true;

    fn connect(config: Config) -> impl Future<Output = Result<Self, Error>> {
        gibson_async::Connection::with_config(config)
    }

    fn lazy(config: Config) -> Result<Self, Error> {
        gibson_async::Connection::lazy(config)
    }

    fn is_connected(&self) -> bool {
        gibson_async::Connection::is_connected(self)
    }

    fn connects(&self) -> u64 {
        gibson_async::Connection::connects(self)
    }

    fn ping_from_another_task<T: Runtime>(&self) -> impl Future<Output = Result<(), Error>> {
        let clone = self.clone();
        T::spawn(async move { clone.ping().await })
    }

    fn namespace(&self, prefix: &str) -> Result<impl SuiteNamespace + '_, Error> {
        gibson_async::Connection::namespace(self, prefix)
    }
}

impl<R: gibson_async::Runtime> AsyncClient for gibson_async::Connection<R> {
    type Runtime = R;
}

impl<C: AsyncCommands> SuiteNamespace for gibson_async::Namespace<C> {
    fn with_metrics_label(self, name: &str) -> Self {
        gibson_async::Namespace::with_metrics_label(self, name)
    }

    fn count_all(&self) -> impl Future<Output = Result<u64, Error>> {
        gibson_async::Namespace::count_all(self)
    }

    fn expire_all(&self, ttl: Ttl) -> impl Future<Output = Result<u64, Error>> {
        gibson_async::Namespace::expire_all(self, ttl)
    }

    fn lock_all(&self, time: impl Into<LockTime>) -> impl Future<Output = Result<u64, Error>> {
        gibson_async::Namespace::lock_all(self, time)
    }

    fn unlock_all(&self) -> impl Future<Output = Result<u64, Error>> {
        gibson_async::Namespace::unlock_all(self)
    }

    fn invalidate(&self) -> impl Future<Output = Result<u64, Error>> {
        gibson_async::Namespace::invalidate(self)
    }
}

impl SuiteClient for Blocking<gibson_blocking::Connection> {
    const MULTIPLEXED: bool = false;

    async fn connect(config: Config) -> Result<Self, Error> {
        gibson_blocking::Connection::with_config(config).map(Blocking::new)
    }

    fn lazy(config: Config) -> Result<Self, Error> {
        gibson_blocking::Connection::lazy(config).map(Blocking::new)
    }

    fn is_connected(&self) -> bool {
        self.lock().is_connected()
    }

    fn connects(&self) -> u64 {
        self.lock().connects()
    }

    async fn ping_from_another_task<R: Runtime>(&self) -> Result<(), Error> {
        self.lock().ping()
    }

    fn namespace(&self, prefix: &str) -> Result<impl SuiteNamespace + '_, Error> {
        let ns = gibson_blocking::Namespace::new(Locked(&self.0), prefix)?;
        Ok(Blocking::new(ns))
    }
}

impl<C: Commands + Send> SuiteNamespace for Blocking<gibson_blocking::Namespace<C>> {
    fn with_metrics_label(self, name: &str) -> Self {
        let ns = self.0.into_inner().unwrap_or_else(PoisonError::into_inner);
        Blocking::new(ns.with_metrics_label(name))
    }

    async fn count_all(&self) -> Result<u64, Error> {
        self.lock().count_all()
    }

    async fn expire_all(&self, ttl: Ttl) -> Result<u64, Error> {
        self.lock().expire_all(ttl)
    }

    async fn lock_all(&self, time: impl Into<LockTime>) -> Result<u64, Error> {
        self.lock().lock_all(time)
    }

    async fn unlock_all(&self) -> Result<u64, Error> {
        self.lock().unlock_all()
    }

    async fn invalidate(&self) -> Result<u64, Error> {
        self.lock().invalidate()
    }
}

/// A blocking client ([`Commands`]) with the [`AsyncCommands`] methods:
/// each call runs on the calling thread when its future is first polled,
/// and completes then.
#[derive(Debug)]
pub struct Blocking<C>(Mutex<C>);

impl<C> Blocking<C> {
    /// Wraps `client`.
    pub fn new(client: C) -> Self {
        Blocking(Mutex::new(client))
    }

    /// The client (one call at a time).
    pub fn lock(&self) -> MutexGuard<'_, C> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<C: Commands + Send> AsyncCommands for Blocking<C> {
    async fn execute<Q>(&self, cmd: Q) -> Result<Q::Output, Error>
    where
        Q: Command + Send,
        Q::Output: Send,
    {
        self.lock().execute(cmd)
    }

    fn pipeline(&self) -> Pipeline {
        self.lock().pipeline()
    }

    async fn run(&self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
        self.lock().run(pipeline)
    }
}

/// The client of a [`Blocking`], locked for each call: what a blocking
/// namespace of it wraps.
#[derive(Debug)]
struct Locked<'a, C>(&'a Mutex<C>);

impl<C: Commands> Commands for Locked<'_, C> {
    fn execute<Q: Command>(&mut self, cmd: Q) -> Result<Q::Output, Error> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .execute(cmd)
    }

    fn pipeline(&self) -> Pipeline {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pipeline()
    }

    fn run(&mut self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .run(pipeline)
    }
}

/// Runs `f` to completion on the current thread, without an async runtime:
/// for the suites on a [`Blocking`] client.
pub fn block_on<F: Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}
