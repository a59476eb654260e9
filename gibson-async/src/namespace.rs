//! A handle whose keys all live under one prefix.

use std::future::Future;

use bytes::Bytes;
use gibson_observe::{labelled, Label};
use gibson_policy::namespace::Scope;
use gibson_proto::{AsyncCommands, Command, Error, LockTime, Pipeline, PipelineResults, Ttl};

/// Every command of `client`, with keys relative to a prefix: `get("name")`
/// on the namespace `user:42:` reads `user:42:name`, and `mget`/`keys`
/// return names without the prefix. Works on a `Connection`, a `Pool`, a
/// `Sharded` client or another namespace (namespaces nest), through
/// [`AsyncCommands`].
///
/// The prefix must end with its delimiter (`:` unless
/// [`with_scope`](Namespace::with_scope) says otherwise), so that
/// `user:1:` can never touch `user:10:…`.
///
/// ```no_run
/// # use gibson_proto::{AsyncCommands, Error, Ttl};
/// # async fn demo(conn: gibson_async::Connection<impl gibson_async::Runtime>) -> Result<(), Error> {
/// let user = conn.namespace("user:42:")?;
/// user.set("name", "ada", Ttl::Never).await?; // user:42:name
/// let sessions = user.namespace("sessions:")?;
/// sessions.set("s1", "token", Ttl::Seconds(3600)).await?; // user:42:sessions:s1
/// let pairs: Vec<(String, String)> = user.mget("sessions:").await?;
/// assert_eq!(pairs, [("sessions:s1".to_string(), "token".to_string())]);
/// assert_eq!(user.count_all().await?, 2);
/// user.invalidate().await?; // MDEL user:42: in one round trip
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Namespace<C> {
    client: C,
    scope: Scope,
    /// Its `gibson.namespace` metrics label, if given one.
    label: Label,
}

impl<C: AsyncCommands> Namespace<C> {
    /// `client` under `prefix`, which must end with `:`.
    pub fn new(client: C, prefix: impl AsRef<[u8]>) -> Result<Self, Error> {
        Ok(Namespace::with_scope(client, Scope::new(prefix)?))
    }

    /// `client` under a [`Scope`] (e.g. one with another delimiter).
    ///
    /// ```no_run
    /// # use gibson_async::{Connection, Namespace, Runtime};
    /// # use gibson_policy::namespace::Scope;
    /// # use gibson_proto::Error;
    /// # async fn demo(conn: Connection<impl Runtime>) -> Result<(), Error> {
    /// let v2 = Namespace::with_scope(&conn, Scope::with_delimiter("cache/v2/", b'/')?);
    /// # Ok(()) }
    /// ```
    pub fn with_scope(client: C, scope: Scope) -> Self {
        Namespace {
            client,
            scope,
            label: Label::default(),
        }
    }

    /// The same namespace, its commands' metrics labelled
    /// `gibson.namespace = name` (none by default: give names to a few
    /// namespaces, not one per user, to bound the metrics' cardinality).
    /// Without the `metrics` feature there are no metrics, and the label
    /// is dropped.
    ///
    /// ```no_run
    /// # use gibson_proto::AsyncCommands;
    /// # fn demo(conn: gibson_async::Connection<impl gibson_async::Runtime>) -> Result<(), gibson_proto::Error> {
    /// let sessions = conn.namespace("session:")?.with_metrics_label("sessions");
    /// # Ok(()) }
    /// ```
    pub fn with_metrics_label(self, name: &str) -> Self {
        Namespace {
            label: Label::new(name),
            ..self
        }
    }

    /// The prefix.
    pub fn prefix(&self) -> &[u8] {
        self.scope.prefix()
    }

    /// The client underneath.
    pub fn client(&self) -> &C {
        &self.client
    }

    /// The namespace `sub` inside this one (same delimiter rule).
    pub fn namespace(&self, sub: impl AsRef<[u8]>) -> Result<Namespace<&Self>, Error> {
        let sub = Scope::with_delimiter(sub, self.scope.delimiter())?;
        Ok(Namespace::with_scope(self, sub))
    }

    fn whole(&self) -> Bytes {
        Bytes::copy_from_slice(self.scope.prefix())
    }

    /// COUNT of every key in the namespace.
    pub async fn count_all(&self) -> Result<u64, Error> {
        labelled(&self.label, self.client.count(self.whole())).await
    }

    /// MTTL: sets the TTL of every key in the namespace; how many.
    pub async fn expire_all(&self, ttl: impl Into<Ttl>) -> Result<u64, Error> {
        let ttl: Ttl = ttl.into();
        labelled(&self.label, self.client.mttl(self.whole(), ttl)).await
    }

    /// MLOCK: locks every key in the namespace; how many.
    pub async fn lock_all(&self, time: impl Into<LockTime>) -> Result<u64, Error> {
        labelled(&self.label, self.client.mlock(self.whole(), time)).await
    }

    /// MUNLOCK: unlocks every key in the namespace; how many.
    pub async fn unlock_all(&self) -> Result<u64, Error> {
        labelled(&self.label, self.client.munlock(self.whole())).await
    }

    /// MDEL: deletes every unlocked key in the namespace in one round
    /// trip; how many.
    pub async fn invalidate(&self) -> Result<u64, Error> {
        labelled(&self.label, self.client.mdel(self.whole())).await
    }
}

impl<C: AsyncCommands> AsyncCommands for Namespace<C> {
    fn execute<Q>(&self, cmd: Q) -> impl Future<Output = Result<Q::Output, Error>> + Send
    where
        Q: Command + Send,
        Q::Output: Send,
    {
        labelled(&self.label, self.client.execute(self.scope.typed(cmd)))
    }

    fn pipeline(&self) -> Pipeline {
        self.client.pipeline()
    }

    fn run(
        &self,
        pipeline: Pipeline,
    ) -> impl Future<Output = Result<PipelineResults, Error>> + Send {
        let mut scoped = self.scope.pipeline(pipeline);
        let inner = scoped.pipeline();
        labelled(&self.label, async move {
            let results = self.client.run(inner).await?;
            Ok(scoped.finish(results))
        })
    }
}
