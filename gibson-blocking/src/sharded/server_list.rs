//! A [`Sharded`] client's server list changing while it runs: set by the
//! application, or found by resolving names again on a thread of the
//! client's (discovery).

use std::net::ToSocketAddrs;
use std::sync::{mpsc, Arc, Weak};
use std::thread;

use gibson_policy::{
    shard::{Change, Discovery, ShardConfig},
    Addr,
};
use gibson_proto::Error;

use super::{Servers, Sharded, Shared};

impl Sharded {
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
    /// ```
    /// use gibson_blocking::Sharded;
    /// let cache = Sharded::connect("127.0.0.1:1,127.0.0.1:2")?;
    /// let change = cache.set_servers(["127.0.0.1:2".parse()?, "127.0.0.1:3".parse()?])?;
    /// assert_eq!(change.to_string(), "added 127.0.0.1:3; removed 127.0.0.1:1");
    /// assert_eq!(cache.servers().len(), 2);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn set_servers(&self, servers: impl IntoIterator<Item = Addr>) -> Result<Change, Error> {
        apply(&self.shared, |config| config.relisted(servers))
    }

    /// Adds `server` (of weight 1) to the list: see
    /// [`set_servers`](Sharded::set_servers).
    ///
    /// ```
    /// let cache = gibson_blocking::Sharded::connect("127.0.0.1:1,127.0.0.1:2")?;
    /// cache.add("127.0.0.1:3".parse()?)?;
    /// assert_eq!(cache.servers().len(), 3);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn add(&self, server: Addr) -> Result<Change, Error> {
        apply(&self.shared, |config| config.adding(server, 1))
    }

    /// Removes `server` from the list: see
    /// [`set_servers`](Sharded::set_servers).
    ///
    /// ```
    /// let cache = gibson_blocking::Sharded::connect("127.0.0.1:1,127.0.0.1:2")?;
    /// cache.remove(&"127.0.0.1:1".parse()?)?;
    /// assert_eq!(cache.servers()[0].to_string(), "127.0.0.1:2");
    /// assert!(cache.remove(&"127.0.0.1:2".parse()?).is_err()); // the last one
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn remove(&self, server: &Addr) -> Result<Change, Error> {
        apply(&self.shared, |config| config.removing(server))
    }
}

/// Replaces `shared`'s server list with the one `new` makes of it, under
/// the lock, so that changes apply one at a time.
fn apply(
    shared: &Shared,
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

/// The configuration over the servers `discovery`'s names resolve to now
/// (by the configuration's resolver, or the system's, on this thread).
pub(super) fn discover(discovery: &Discovery) -> Result<ShardConfig, Error> {
    let answers = discovery
        .names()
        .map(|(name, port)| match discovery.resolver() {
            Some(resolver) => resolver.resolve(name, port),
            None => (name, port).to_socket_addrs().map(Iterator::collect),
        })
        .collect::<Vec<_>>();
    discovery.config(answers)
}

/// Starts the thread that resolves `discovery`'s names every interval
/// and applies what changed to `sharded`'s list; it ends when the client
/// is dropped (`stopped` then disconnects).
pub(super) fn spawn_discovery(
    sharded: &Sharded,
    discovery: Discovery,
    stopped: mpsc::Receiver<()>,
) -> Result<(), Error> {
    let shared: Weak<Shared> = Arc::downgrade(&sharded.shared);
    thread::Builder::new()
        .name("gibson-discovery".into())
        .spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(discovery.every())
            {
                let found = discover(&discovery);
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                if let Err(e) = found.and_then(|config| apply(&shared, |_| Ok(config))) {
                    gibson_observe::discovery_failed(&e);
                }
            }
        })
        .map(drop)
        .map_err(Error::from)
}
