//! Discovery by name: a configuration whose server names each stand for
//! every address they resolve to (`discover`), turned into the list of
//! servers once the names are resolved. Resolving is the caller's (it is
//! I/O); this part only decides what the answers mean.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gibson_proto::Error;

use crate::config::Addr;

use super::config::ShardConfig;

/// The names to resolve for a configuration with
/// [`discover`](ShardConfig::discover), and the server list their
/// addresses make.
///
/// Each name's addresses become servers on the name's port and with its
/// weight, sorted (so that every client that resolves the same addresses
/// builds the same list, whatever order the resolver answered in) and
/// each listed once.
///
/// ```
/// use std::time::Duration;
/// use gibson_policy::shard::{Discovery, ShardConfig};
///
/// let config: ShardConfig = "gibson://cache.svc:10128?discover=30s".parse()?;
/// let discovery = Discovery::new(&config).expect("discover is set");
/// assert_eq!(discovery.every(), Duration::from_secs(30));
/// assert_eq!(discovery.names().collect::<Vec<_>>(), [("cache.svc", 10128)]);
/// // What the resolver answered for each name, in order.
/// let answers = vec![Ok(vec!["10.0.0.2:10128".parse().unwrap(), "10.0.0.1:10128".parse().unwrap()])];
/// let servers = discovery.config(answers)?;
/// assert_eq!(servers.servers()[0].to_string(), "10.0.0.1:10128");
/// assert_eq!(servers.servers().len(), 2);
/// # Ok::<(), gibson_proto::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Discovery {
    template: ShardConfig,
    every: Duration,
}

impl Discovery {
    /// The discovery `config` asks for, `None` when it lists its servers
    /// ([`discover`](ShardConfig::discover) unset).
    pub fn new(config: &ShardConfig) -> Option<Discovery> {
        Some(Discovery {
            every: config.discover?,
            template: config.clone(),
        })
    }

    /// How often the names are resolved again.
    pub fn every(&self) -> Duration {
        self.every
    }

    /// The resolver the configuration names, if not the system's.
    pub fn resolver(&self) -> Option<&Resolver> {
        self.template.resolver.as_ref()
    }

    /// The names to resolve, each with its port (socket paths are refused
    /// by [`ShardConfig::validate`]).
    pub fn names(&self) -> impl Iterator<Item = (&str, u16)> {
        self.template.servers().iter().filter_map(|s| match s {
            Addr::Tcp { host, port } => Some((host.as_str(), *port)),
            Addr::Unix(_) => None,
        })
    }

    /// The configuration over the servers the names resolved to, given
    /// the resolver's answer for each name of [`names`](Discovery::names),
    /// in order. Fails, naming the name, when a name did not resolve or
    /// resolved to nothing (the list in use is then kept: a name that
    /// vanishes for a moment must not move a third of the keys), and when
    /// the addresses are too few for the configuration's replicas.
    pub fn config(
        &self,
        answers: impl IntoIterator<Item = io::Result<Vec<SocketAddr>>>,
    ) -> Result<ShardConfig, Error> {
        let mut answers = answers.into_iter();
        let mut servers: Vec<(Addr, u32)> = Vec::new();
        for ((name, port), &weight) in self.names().zip(self.template.weights()) {
            let unresolved = |why: String| {
                Error::from(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("discovering servers: {name}:{port} {why}"),
                ))
            };
            let answer = answers
                .next()
                .ok_or_else(|| unresolved("was not resolved".into()))?;
            let addresses = answer.map_err(|e| unresolved(format!("did not resolve: {e}")))?;
            if addresses.is_empty() {
                return Err(unresolved("resolved to no address".into()));
            }
            for address in addresses {
                let server = Addr::Tcp {
                    host: address.ip().to_string(),
                    port: address.port(),
                };
                if !servers.iter().any(|(s, _)| *s == server) {
                    servers.push((server, weight));
                }
            }
        }
        servers.sort_by_key(|(s, _)| match s {
            Addr::Tcp { host, port } => (host.parse::<std::net::IpAddr>().ok(), *port),
            Addr::Unix(_) => (None, 0),
        });
        self.template.with_servers(servers)
    }
}

/// Resolves a server name and port to addresses in place of the
/// system's resolver ([`ShardConfig::resolver`]): for servers an
/// application learns of from a registry of its own, or a test. It is
/// called on the client's discovery task or thread, every
/// [`discover`](ShardConfig::discover) interval: it should answer from
/// memory, not block.
///
/// ```
/// use std::time::Duration;
/// use gibson_policy::shard::{Resolver, ShardConfig};
///
/// let mut config: ShardConfig = "gibson://cache.internal:10128?discover=10s".parse()?;
/// config.resolver = Some(Resolver::new(|_name, port| {
///     Ok(vec![([10, 0, 0, 1], port).into(), ([10, 0, 0, 2], port).into()])
/// }));
/// let answer = config.resolver.as_ref().unwrap().resolve("cache.internal", 10128)?;
/// assert_eq!(answer.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Resolver(Arc<ResolveFn>);

type ResolveFn = dyn Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync;

impl Resolver {
    /// A resolver calling `resolve(name, port)`.
    pub fn new(
        resolve: impl Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync + 'static,
    ) -> Resolver {
        Resolver(Arc::new(resolve))
    }

    /// The addresses of `name`, on `port`.
    pub fn resolve(&self, name: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        (self.0)(name, port)
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resolver(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discovery(url: &str) -> Discovery {
        Discovery::new(&url.parse().unwrap()).unwrap()
    }

    fn at(addresses: &[&str]) -> io::Result<Vec<SocketAddr>> {
        Ok(addresses.iter().map(|a| a.parse().unwrap()).collect())
    }

    #[test]
    fn the_same_addresses_in_any_order_make_the_same_list() {
        let d = discovery("a:1,b:2/3?discover=1s");
        let one = d
            .config([
                at(&["10.0.0.2:1", "10.0.0.1:1"]),
                at(&["[::1]:2", "10.0.0.1:2"]),
            ])
            .unwrap();
        let other = d
            .config([
                at(&["10.0.0.1:1", "10.0.0.2:1", "10.0.0.1:1"]),
                at(&["10.0.0.1:2", "[::1]:2"]),
            ])
            .unwrap();
        let names: Vec<String> = one.servers().iter().map(Addr::to_string).collect();
        assert_eq!(names, ["10.0.0.1:1", "10.0.0.1:2", "10.0.0.2:1", "[::1]:2"]);
        assert_eq!(one.weights(), &[1, 3, 1, 3]);
        assert_eq!(one.servers(), other.servers());
        assert_eq!(one.discover, Some(Duration::from_secs(1)));
    }

    #[test]
    fn a_name_that_fails_fails_the_whole_list() {
        let d = discovery("a:1,b:2?discover=1s");
        let failed = io::Error::other("no such host");
        let err = d.config([at(&["10.0.0.1:1"]), Err(failed)]).unwrap_err();
        assert!(err.to_string().contains("b:2 did not resolve"), "{err}");
        let err = d.config([at(&["10.0.0.1:1"]), at(&[])]).unwrap_err();
        assert!(
            err.to_string().contains("b:2 resolved to no address"),
            "{err}"
        );
        let err = d.config([at(&["10.0.0.1:1"])]).unwrap_err();
        assert!(err.to_string().contains("b:2 was not resolved"), "{err}");
    }

    #[test]
    fn too_few_addresses_for_the_copies_are_refused() {
        let d = discovery("a:1?discover=1s&replicas=1");
        let err = d.config([at(&["10.0.0.1:1"])]).unwrap_err();
        assert!(err.to_string().contains("replicas"), "{err}");
        assert_eq!(
            d.config([at(&["10.0.0.1:1", "10.0.0.2:1"])])
                .unwrap()
                .servers()
                .len(),
            2
        );
    }
}
