//! Which servers the command line names: `-a/-p/-u`, else `GIBSON_ADDR`,
//! else 127.0.0.1:10128. Shared by `gibson` and `gibson-bench`, so that
//! both read an address the same way.

use std::net::Ipv6Addr;
use std::time::Duration;

use clap::Args;
use gibson_policy::{shard::ShardConfig, Addr, Config, HashRing, DEFAULT_PORT};
use gibson_proto::Error;

/// The environment variable naming the server when no `-a/-p/-u` is given.
pub const ADDR_VAR: &str = "GIBSON_ADDR";

/// `-a/--host`, `-p/--port` and `-u/--socket`.
///
/// ```
/// use clap::Parser;
/// use gibson_cli::servers::ServerArgs;
///
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     server: ServerArgs,
/// }
///
/// let cli = Cli::parse_from(["tool", "-a", "cache.local:10200"]);
/// let config = cli.server.config(None)?;
/// assert_eq!(config.addr.to_string(), "cache.local:10200");
/// # Ok::<(), gibson_proto::Error>(())
/// ```
#[derive(Debug, Clone, Default, Args)]
pub struct ServerArgs {
    /// Server host or host:port (default 127.0.0.1, or GIBSON_ADDR); a URL with options,
    /// `gibson://host:port?response_timeout=2s` or `gibson+unix:///path.sock?…`; or several
    /// servers as one sharded cache: `h1:p1,h2:p2,…` or `gibson://h1:p1,h2:p2?opts`.
    #[arg(short = 'a', long = "host", global = true, value_name = "HOST")]
    pub host: Option<String>,
    /// Server TCP port (default 10128).
    #[arg(short = 'p', long = "port", global = true, value_name = "PORT")]
    pub port: Option<u16>,
    /// Server Unix socket path (instead of TCP).
    #[arg(
        short = 'u',
        long = "socket",
        global = true,
        value_name = "SOCKET",
        conflicts_with_all = ["host", "port"]
    )]
    pub socket: Option<String>,
}

impl ServerArgs {
    /// The address given by `-a/-p/-u`, else by `GIBSON_ADDR`, else `None`.
    ///
    /// ```
    /// # use gibson_cli::servers::ServerArgs;
    /// let args = ServerArgs { socket: Some("/tmp/gibson.sock".into()), ..ServerArgs::default() };
    /// assert_eq!(args.explicit_addr()?.unwrap().to_string(), "/tmp/gibson.sock");
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn explicit_addr(&self) -> Result<Option<Addr>, Error> {
        Ok(self.explicit_server()?.map(|(config, _)| config.addr))
    }

    /// The server given by `-a/-p/-u`, else by `GIBSON_ADDR`, else `None`:
    /// its settings (a URL's options applied) and the URL they came from.
    fn explicit_server(&self) -> Result<Option<(Config, Option<String>)>, Error> {
        if self.host.as_deref().is_some_and(is_server_list) {
            return Err(Error::invalid(
                "host",
                "a server list in -a is for commands and route, not here",
            ));
        }
        if let Some(path) = &self.socket {
            return Ok(Some((Config::new(Addr::Unix(path.into())), None)));
        }
        if let Some(url) = self.host.as_deref().filter(|h| h.contains("://")) {
            if self.port.is_some() {
                return Err(Error::invalid(
                    "port",
                    "-p cannot be combined with a URL in -a: put the port in the URL",
                ));
            }
            return Ok(Some((url.parse()?, Some(url.to_string()))));
        }
        let addr = self.explicit_host_port()?;
        if addr.is_some() {
            return Ok(addr.map(|addr| (Config::new(addr), None)));
        }
        match std::env::var(ADDR_VAR) {
            Ok(url) if !url.trim().is_empty() => {
                let url = url.trim().to_string();
                Ok(Some((url.parse()?, Some(url))))
            }
            _ => Ok(None),
        }
    }

    /// `-a` and `-p`, if given: `-a` alone is `host`, `host:port`,
    /// `[v6]:port` or a bare IP address; with `-p` it is a host or an IP
    /// address without a port. Anything else is refused, naming `host`.
    fn explicit_host_port(&self) -> Result<Option<Addr>, Error> {
        let not_an_address = |host: &str, why: &dyn std::fmt::Display| {
            Error::invalid(
                "host",
                format!("{host:?} is not host, host:port, [IPv6]:port or an IP address ({why})"),
            )
        };
        match (&self.host, self.port) {
            (None, None) => Ok(None),
            (None, Some(port)) => Ok(Some(Addr::Tcp {
                host: "127.0.0.1".into(),
                port,
            })),
            (Some(host), None) => match host.parse::<Addr>() {
                Ok(addr @ Addr::Tcp { .. }) => Ok(Some(addr)),
                Ok(Addr::Unix(_)) => Err(not_an_address(host, &"a socket path goes in -u")),
                Err(Error::InvalidArgument { rule, .. }) => {
                    // The rule quotes the text again after its own name.
                    let rule = rule.rsplit(": ").next().unwrap_or(&rule);
                    Err(not_an_address(host, &rule))
                }
                Err(e) => Err(not_an_address(host, &e)),
            },
            (Some(host), Some(port)) => {
                let bare = host
                    .strip_prefix('[')
                    .and_then(|h| h.strip_suffix(']'))
                    .unwrap_or(host);
                if bare.contains(':') && bare.parse::<Ipv6Addr>().is_err() {
                    return Err(not_an_address(
                        host,
                        &format_args!("with -p {port}, -a takes no port"),
                    ));
                }
                Ok(Some(Addr::Tcp {
                    host: bare.to_string(),
                    port,
                }))
            }
        }
    }

    /// The configuration of one server: the explicit one (a URL's options
    /// kept) or 127.0.0.1:10128, `timeout` (if given) as connect and
    /// response timeout, one connection attempt unless the URL says
    /// `attempts`.
    ///
    /// ```
    /// # use gibson_cli::servers::ServerArgs;
    /// let args = ServerArgs { host: Some("gibson://127.0.0.1:10300?attempts=3".into()), ..ServerArgs::default() };
    /// let config = args.config(Some(std::time::Duration::from_secs(2)))?;
    /// assert_eq!(config.response_timeout, std::time::Duration::from_secs(2));
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn config(&self, timeout: Option<Duration>) -> Result<Config, Error> {
        let (config, url) = self.explicit_server()?.unwrap_or_else(|| {
            let local = Addr::Tcp {
                host: "127.0.0.1".into(),
                port: DEFAULT_PORT,
            };
            (Config::new(local), None)
        });
        let config = cli_settings(config, timeout, url.as_deref());
        config.validate()?;
        Ok(config)
    }

    /// The servers when `-a` (or `GIBSON_ADDR`, without `-a/-p/-u`) is a
    /// list `h1:p1,h2:p2,…` or a `gibson://` URL of several, with `timeout`
    /// applied and one connection attempt; else `None`.
    ///
    /// ```
    /// # use gibson_cli::servers::ServerArgs;
    /// let args = ServerArgs { host: Some("h1:10128,h2:10128".into()), ..ServerArgs::default() };
    /// assert_eq!(args.shards(None)?.unwrap().servers().len(), 2);
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn shards(&self, timeout: Option<Duration>) -> Result<Option<ShardConfig>, Error> {
        let env = std::env::var(ADDR_VAR).ok();
        let list = match (&self.host, &self.socket, self.port) {
            (Some(host), _, port) if is_server_list(host) => {
                if port.is_some() {
                    return Err(Error::invalid(
                        "port",
                        "-p cannot be combined with a server list in -a",
                    ));
                }
                host.as_str()
            }
            (None, None, None) => match env.as_deref().map(str::trim) {
                Some(var) if var.contains(',') => var,
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        let mut shards: ShardConfig = list.parse()?;
        shards.client = cli_settings(shards.client.clone(), timeout, Some(list));
        shards.validate()?;
        Ok(Some(shards))
    }

    /// The ring of the servers named: [`shards`](ServerArgs::shards)'
    /// ring, or the one server's.
    ///
    /// ```
    /// # use gibson_cli::servers::ServerArgs;
    /// let args = ServerArgs { host: Some("h1:10128,h2:10128".into()), ..ServerArgs::default() };
    /// let server = args.ring()?.server_for(b"user:1").unwrap().to_string();
    /// assert!(server == "h1:10128" || server == "h2:10128");
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn ring(&self) -> Result<HashRing, Error> {
        match self.shards(None)? {
            Some(shards) => Ok(shards.ring()),
            None => Ok(HashRing::new([self.config(None)?.addr.to_string()])),
        }
    }
}

/// `config` with `timeout` (if given) as connect and response timeout.
///
/// ```
/// use std::time::Duration;
/// let config = gibson_policy::Config::new("127.0.0.1:10128".parse()?);
/// let config = gibson_cli::servers::with_timeout(config, Some(Duration::from_millis(300)));
/// assert_eq!(config.connect_timeout, Duration::from_millis(300));
/// # Ok::<(), gibson_proto::Error>(())
/// ```
pub fn with_timeout(config: Config, timeout: Option<Duration>) -> Config {
    match timeout {
        Some(t) => config.connect_timeout(t).response_timeout(t),
        None => config,
    }
}

/// `config` as the tools run it: `timeout` applied, and one connection
/// attempt (a down server is reported at once) unless `url` asks for more
/// with `attempts`.
fn cli_settings(config: Config, timeout: Option<Duration>, url: Option<&str>) -> Config {
    let config = with_timeout(config, timeout);
    if url.is_some_and(|u| names_option(u, "attempts")) {
        config
    } else {
        config.connect_attempts(1)
    }
}

/// Whether the query of `url` sets the option `name`.
fn names_option(url: &str, name: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some(name))
    })
}

/// `true` for an `-a` that names several servers rather than one: a list
/// `h1:p1,h2:p2`, or a `gibson://h1:p1,h2:p2` URL.
fn is_server_list(host: &str) -> bool {
    host.contains(',')
}
