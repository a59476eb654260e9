//! A [`Sharded`] client's server list changing while it runs: set by the
//! application, or found by resolving names again (discovery).

use std::sync::{Arc, Weak};
use std::time::Instant;

use gibson_policy::{
    shard::{Change, Discovery, ShardConfig},
    Addr,
};
use gibson_proto::Error;

use crate::runtime::Runtime;

use super::{Servers, Sharded, Shared};

impl<R: Runtime> Sharded<R> {
    /// Replaces the server list: each server keeps its weight if it was
    /// listed (a new one has weight 1), and every other setting stays.
    /// Only the keys whose server changed move (about 1/N of them when
    /// one of N servers is added); calls that started before go on with
    /// the old list, so what they sent finishes on the servers it was
    /// sent to; a removed server's connections close once they are done.
    /// Returns what changed (it is also logged and counted: see the
    /// metrics `gibson.client.servers.*`). With discovery
    /// ([`ShardConfig::discover`]), the next resolution replaces the list
    /// again.
    ///
    /// ```no_run
    /// # async fn demo(cache: gibson_tokio::Sharded) -> Result<(), gibson_tokio::Error> {
    /// let change = cache.set_servers(["10.0.0.1:10128".parse()?, "10.0.0.4:10128".parse()?])?;
    /// println!("{change}"); // added 10.0.0.4:10128; removed …
    /// # Ok(()) }
    /// ```
    pub fn set_servers(&self, servers: impl IntoIterator<Item = Addr>) -> Result<Change, Error> {
        apply(&self.shared, |config| config.relisted(servers))
    }

    /// Adds `server` (of weight 1) to the list: see
    /// [`set_servers`](Sharded::set_servers).
    ///
    /// ```no_run
    /// # async fn demo(cache: gibson_tokio::Sharded) -> Result<(), gibson_tokio::Error> {
    /// cache.add("10.0.0.4:10128".parse()?)?;
    /// # Ok(()) }
    /// ```
    pub fn add(&self, server: Addr) -> Result<Change, Error> {
        apply(&self.shared, |config| config.adding(server, 1))
    }

    /// Removes `server` from the list: see
    /// [`set_servers`](Sharded::set_servers).
    ///
    /// ```no_run
    /// # async fn demo(cache: gibson_tokio::Sharded) -> Result<(), gibson_tokio::Error> {
    /// cache.remove(&"10.0.0.2:10128".parse()?)?;
    /// # Ok(()) }
    /// ```
    pub fn remove(&self, server: &Addr) -> Result<Change, Error> {
        apply(&self.shared, |config| config.removing(server))
    }
}

/// Replaces `shared`'s server list with the one `new` makes of it; the
/// lock is held throughout, so that changes apply one at a time.
fn apply<R: Runtime>(
    shared: &Shared<R>,
    new: impl FnOnce(&ShardConfig) -> Result<ShardConfig, Error>,
) -> Result<Change, Error> {
    let mut current = shared.current.write().unwrap_or_else(|e| e.into_inner());
    let config = new(&current.config)?;
    let Some(change) = current.config.change_to(&config) else {
        return Ok(Change::default());
    };
    *current = Arc::new(Servers::new(config, Some(&current))?);
    gibson_observe::server_list_changed(&change, current.config.servers().len());
    Ok(change)
}

/// The configuration over the servers `discovery`'s names resolve to now.
pub(super) async fn discover<R: Runtime>(discovery: &Discovery) -> Result<ShardConfig, Error> {
    let mut answers = Vec::new();
    for (name, port) in discovery.names() {
        answers.push(match discovery.resolver() {
            Some(resolver) => resolver.resolve(name, port),
            None => R::resolve(name, port).await,
        });
    }
    discovery.config(answers)
}

/// Resolves `discovery`'s names every interval and applies what changed
/// to `sharded`'s list, until the client is dropped (the task ends within
/// one interval of that).
pub(super) fn spawn_discovery<R: Runtime>(
    sharded: &Sharded<R>,
    discovery: Discovery,
) -> Result<(), Error> {
    let shared: Weak<Shared<R>> = Arc::downgrade(&sharded.shared);
    R::spawn("gibson-discovery", async move {
        loop {
            R::timer(Instant::now() + discovery.every()).await;
            if shared.strong_count() == 0 {
                return;
            }
            let found = discover::<R>(&discovery).await;
            let Some(shared) = shared.upgrade() else {
                return;
            };
            let applied = found.and_then(|config| apply(&shared, |_| Ok(config)));
            if let Err(e) = applied {
                gibson_observe::discovery_failed(&e);
            }
        }
    })
    .map_err(Error::from)
}
