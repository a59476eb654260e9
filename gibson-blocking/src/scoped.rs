//! A handle whose keys all live under one prefix.

use bytes::Bytes;
use gibson_observe::{with_label, Label};
use gibson_policy::namespace::Scope;
use gibson_proto::{Command, Commands, Error, LockTime, Pipeline, PipelineResults, Ttl};

/// Every command of `client`, with keys relative to a prefix: `get("name")`
/// on the namespace `user:42:` reads `user:42:name`, and `mget`/`keys`
/// return names without the prefix. Works on a `Connection`, a pooled
/// connection, a `Sharded` client or another namespace (namespaces nest),
/// through [`Commands`].
///
/// The prefix must end with its delimiter (`:` unless
/// [`with_scope`](Namespace::with_scope) says otherwise), so that
/// `user:1:` can never touch `user:10:…`.
///
/// ```no_run
/// # fn demo(mut conn: gibson_blocking::Connection) -> Result<(), gibson_blocking::Error> {
/// use gibson_blocking::{Commands, Ttl};
///
/// let mut user = conn.namespace("user:42:")?;
/// user.set("name", "ada", Ttl::Never)?; // user:42:name
/// let mut sessions = user.namespace("sessions:")?;
/// sessions.set("s1", "token", Ttl::Seconds(3600))?; // user:42:sessions:s1
/// assert_eq!(user.count_all()?, 2);
/// user.invalidate()?; // MDEL user:42: in one round trip
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Namespace<C> {
    client: C,
    scope: Scope,
    /// Its `gibson.namespace` metrics label, if given one.
    label: Label,
}

impl<C: Commands> Namespace<C> {
    /// `client` under `prefix`, which must end with `:`.
    pub fn new(client: C, prefix: impl AsRef<[u8]>) -> Result<Self, Error> {
        Ok(Namespace::with_scope(client, Scope::new(prefix)?))
    }

    /// `client` under a [`Scope`] (e.g. one with another delimiter).
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
    /// # fn demo(mut conn: gibson_blocking::Connection) -> Result<(), gibson_blocking::Error> {
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
    pub fn client(&mut self) -> &mut C {
        &mut self.client
    }

    /// The namespace `sub` inside this one (same delimiter rule).
    pub fn namespace(&mut self, sub: impl AsRef<[u8]>) -> Result<Namespace<&mut Self>, Error> {
        let sub = Scope::with_delimiter(sub, self.scope.delimiter())?;
        Ok(Namespace::with_scope(self, sub))
    }

    fn whole(&self) -> Bytes {
        Bytes::copy_from_slice(self.scope.prefix())
    }

    /// COUNT of every key in the namespace.
    pub fn count_all(&mut self) -> Result<u64, Error> {
        let whole = self.whole();
        with_label(&self.label, || self.client.count(whole))
    }

    /// MTTL: sets the TTL of every key in the namespace; how many.
    pub fn expire_all(&mut self, ttl: impl Into<Ttl>) -> Result<u64, Error> {
        let whole = self.whole();
        let ttl: Ttl = ttl.into();
        with_label(&self.label, || self.client.mttl(whole, ttl))
    }

    /// MLOCK: locks every key in the namespace; how many.
    pub fn lock_all(&mut self, time: impl Into<LockTime>) -> Result<u64, Error> {
        let whole = self.whole();
        with_label(&self.label, || self.client.mlock(whole, time))
    }

    /// MUNLOCK: unlocks every key in the namespace; how many.
    pub fn unlock_all(&mut self) -> Result<u64, Error> {
        let whole = self.whole();
        with_label(&self.label, || self.client.munlock(whole))
    }

    /// MDEL: deletes every unlocked key in the namespace in one round
    /// trip; how many.
    pub fn invalidate(&mut self) -> Result<u64, Error> {
        let whole = self.whole();
        with_label(&self.label, || self.client.mdel(whole))
    }
}

impl<C: Commands> Commands for Namespace<C> {
    fn execute<Q: Command>(&mut self, cmd: Q) -> Result<Q::Output, Error> {
        let scoped = self.scope.typed(cmd);
        with_label(&self.label, || self.client.execute(scoped))
    }

    fn pipeline(&self) -> Pipeline {
        self.client.pipeline()
    }

    fn run(&mut self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
        let mut scoped = self.scope.pipeline(pipeline);
        let inner = scoped.pipeline();
        let results = with_label(&self.label, || self.client.run(inner))?;
        Ok(scoped.finish(results))
    }
}
