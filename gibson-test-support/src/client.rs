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
use gibson_proto::{AsyncCommands, Command, Commands, Error, Pipeline, PipelineResults};

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
    /// Sockets opened so far (1 after the first connect, 2 after a
    /// reconnect…).
    fn connects(&self) -> u64;
    /// The client's own namespace under `prefix` (which must end with `:`).
    fn namespace(&self, prefix: &str) -> Result<impl AsyncCommands + '_, Error>;
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

impl<R: gibson_async::Runtime> SuiteClient for gibson_async::Connection<R> {
    const MULTIPLEXED: bool = true;

    fn connect(config: Config) -> impl Future<Output = Result<Self, Error>> {
        gibson_async::Connection::with_config(config)
    }

    fn connects(&self) -> u64 {
        gibson_async::Connection::connects(self)
    }

    fn namespace(&self, prefix: &str) -> Result<impl AsyncCommands + '_, Error> {
        gibson_async::Connection::namespace(self, prefix)
    }
}

/// The runtime an async client type runs on, named from the client:
/// `<gibson_tokio::Connection as Engine>::Runtime` is `gibson_tokio::Tokio`.
pub trait Engine {
    /// The client's [`gibson_async::Runtime`].
    type Runtime: gibson_async::Runtime;
}

impl<R: gibson_async::Runtime> Engine for gibson_async::Connection<R> {
    type Runtime = R;
}

impl SuiteClient for Blocking<gibson_blocking::Connection> {
    const MULTIPLEXED: bool = false;

    async fn connect(config: Config) -> Result<Self, Error> {
        gibson_blocking::Connection::with_config(config).map(Blocking::new)
    }

    fn connects(&self) -> u64 {
        self.lock().connects()
    }

    fn namespace(&self, prefix: &str) -> Result<impl AsyncCommands + '_, Error> {
        let ns = gibson_blocking::Namespace::new(Locked(&self.0), prefix)?;
        Ok(Blocking::new(ns))
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
