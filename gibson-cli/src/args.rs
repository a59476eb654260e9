//! Command-line arguments (clap), and how they become a server address.

use std::ffi::OsString;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use gibson_proto::shard::ShardConfig;
use gibson_proto::{Addr, Config, HashRing, DEFAULT_PORT};

/// The environment variable naming the server when no `-a/-p/-u` is given.
pub(crate) const ADDR_VAR: &str = "GIBSON_ADDR";

/// Command-line client for the Gibson cache server.
///
/// With a command, runs it and prints the reply; with none, starts an
/// interactive shell. Commands follow the server's argument order:
/// `SET ttl key value`, `TTL key ttl`, `LOCK key seconds`,
/// `MGET prefix [limit]`, `META key field`… (names are case-insensitive).
/// A TTL of 0 or less means "no expiry". `:help` in the shell lists them all.
#[derive(Debug, Parser)]
#[command(name = "gibson", version, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    /// Server host or host:port (default 127.0.0.1, or GIBSON_ADDR); a URL with options,
    /// `gibson://host:port?response_timeout=2s` or `gibson+unix:///path.sock?…`; or several
    /// servers as one sharded cache: `h1:p1,h2:p2,…` or `gibson://h1:p1,h2:p2?opts`.
    #[arg(short = 'a', long = "host", global = true, value_name = "HOST")]
    pub(crate) host: Option<String>,
    /// Server TCP port (default 10128).
    #[arg(short = 'p', long = "port", global = true, value_name = "PORT")]
    pub(crate) port: Option<u16>,
    /// Server Unix socket path (instead of TCP).
    #[arg(
        short = 'u',
        long = "socket",
        global = true,
        value_name = "SOCKET",
        conflicts_with_all = ["host", "port"]
    )]
    pub(crate) socket: Option<String>,
    /// Connect and response timeout, in milliseconds (default 5000, or the URL's
    /// connect_timeout and response_timeout).
    #[arg(short = 't', long = "timeout", value_name = "TIMEOUT_MS")]
    pub(crate) timeout_ms: Option<u64>,
    /// Print each reply as one JSON value.
    #[arg(long, conflicts_with = "raw")]
    pub(crate) json: bool,
    /// Print values as raw bytes, unquoted and unescaped.
    #[arg(long)]
    pub(crate) raw: bool,
    /// What to do: `bench`, or a Gibson command and its arguments.
    #[command(subcommand)]
    pub(crate) command: Option<Sub>,
}

const AFTER_HELP: &str = "\
Examples:
  gibson set 0 greeting hello world     (TTL 0 or less: no expiry)
  gibson get greeting
  gibson -a cache.local mget user: 10
  gibson -a 'gibson://[::1]:10128?response_timeout=2s' get greeting
  gibson -a h1:10128,h2:10128,h3:10128 count user:    (three servers, one cache)
  gibson -a h1:10128,h2:10128,h3:10128 route user:1    (the server of each key)
  gibson scan log: [--keys] [--json]     (every pair under a prefix of any size, one a line)
  gibson --json stats
  gibson bench -n 100000 -c 4 -P 16 -t get,set --runtime tokio,blocking --raw

Exit codes: 0 success (also for absent keys), 1 the server answered an error
(ERR, NAN, MEM, LOCKED), 2 invalid arguments, 3 connection or protocol error.";

/// `bench` or a Gibson command.
#[derive(Debug, Subcommand)]
pub(crate) enum Sub {
    /// Measure throughput and latency, like redis-benchmark.
    ///
    /// Without -a/-p/-u (or GIBSON_ADDR) it starts an embedded gibson-server
    /// on a free loopback port. Every test of -t runs for every runtime of
    /// --runtime, and with --raw through a hand-written socket loop too.
    Bench(BenchArgs),
    /// A Gibson command: `gibson get key`, `gibson set 0 key value`…
    #[command(external_subcommand)]
    Command(Vec<OsString>),
}

/// Which client library a benchmark drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Runtime {
    /// gibson-tokio: one multiplexed connection per client, `-P` tasks each.
    Tokio,
    /// gibson-async-std on async-std: one multiplexed connection per client, `-P` tasks each.
    AsyncStd,
    /// gibson-async-std on smol (`gibson_async_std::smol`): one multiplexed connection per client, `-P` tasks each.
    Smol,
    /// gibson-blocking: one thread and connection per client, pipelines of `-P`.
    Blocking,
}

impl Runtime {
    /// The name used in tables.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Runtime::Tokio => "tokio",
            Runtime::AsyncStd => "async-std",
            Runtime::Smol => "smol",
            Runtime::Blocking => "blocking",
        }
    }
}

/// `gibson bench` options.
#[derive(Debug, Clone, Args)]
pub(crate) struct BenchArgs {
    /// Total requests per test.
    #[arg(short = 'n', long = "requests", default_value_t = 100_000)]
    pub(crate) requests: u64,
    /// Concurrent clients, each on its own connection.
    #[arg(short = 'c', long = "clients", default_value_t = 4)]
    pub(crate) clients: usize,
    /// Requests in flight per client (async: tasks sharing the connection;
    /// blocking and raw: pipeline depth).
    #[arg(short = 'P', long = "pipeline", default_value_t = 16)]
    pub(crate) pipeline: usize,
    /// Value size in bytes for SET and MSET.
    #[arg(short = 'd', long = "data-size", default_value_t = 16)]
    pub(crate) data_size: usize,
    /// Keyspace: distinct keys used by the single-key tests.
    #[arg(short = 'r', long = "keyspace", default_value_t = 1000)]
    pub(crate) keyspace: usize,
    /// Tests to run, comma-separated (default all).
    #[arg(short = 't', long = "tests", value_delimiter = ',', value_enum)]
    pub(crate) tests: Vec<crate::bench::Test>,
    /// Client libraries to drive, comma-separated.
    #[arg(long = "runtime", value_delimiter = ',', value_enum, default_values_t = [Runtime::Tokio])]
    pub(crate) runtimes: Vec<Runtime>,
    /// Executor threads of the async runtimes (tokio: 1 is a current-thread
    /// runtime; async-std and smol: their thread counts). Blocking and raw use one
    /// thread per client.
    #[arg(long = "threads", default_value_t = 1)]
    pub(crate) threads: usize,
    /// Also run each test through a minimal hand-written socket loop, and
    /// show each library's throughput as a ratio of it.
    #[arg(long)]
    pub(crate) raw: bool,
    /// Run every test this many rounds and keep each client's fastest run
    /// (for noisy machines).
    #[arg(long = "repeat", default_value_t = 1)]
    pub(crate) repeat: usize,
    /// Request bytes each connection (library or raw) keeps written but not yet
    /// answered (the client's `write_window`; writes end on request
    /// boundaries within it, so that Gibson 1.2.1 never reads a size prefix
    /// in two pieces).
    #[arg(long = "write-window", default_value_t = gibson_proto::DEFAULT_WRITE_WINDOW)]
    pub(crate) write_window: usize,
    /// Print CSV instead of a table.
    #[arg(long)]
    pub(crate) csv: bool,
    /// No progress bar.
    #[arg(short = 'q', long)]
    pub(crate) quiet: bool,
}

impl Cli {
    /// The address given by `-a/-p/-u`, else by `GIBSON_ADDR`, else `None`.
    pub(crate) fn explicit_addr(&self) -> Result<Option<Addr>, gibson_proto::Error> {
        Ok(self.explicit_server()?.map(|(config, _)| config.addr))
    }

    /// The server given by `-a/-p/-u`, else by `GIBSON_ADDR`, else `None`:
    /// its settings (a URL's options applied) and the URL they came from.
    fn explicit_server(&self) -> Result<Option<(Config, Option<String>)>, gibson_proto::Error> {
        if self.host.as_deref().is_some_and(is_server_list) {
            return Err(gibson_proto::Error::invalid(
                "host",
                "a server list in -a is for commands and route, not here",
            ));
        }
        if let Some(path) = &self.socket {
            return Ok(Some((Config::new(Addr::Unix(path.into())), None)));
        }
        if let Some(url) = self.host.as_deref().filter(|h| h.contains("://")) {
            if self.port.is_some() {
                return Err(gibson_proto::Error::invalid(
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

    /// `-a host[:port]` and `-p port`, if given.
    fn explicit_host_port(&self) -> Result<Option<Addr>, gibson_proto::Error> {
        // `-a host:port` (one colon: not a bare IPv6 address).
        if let (Some(host), None) = (&self.host, self.port) {
            if host.matches(':').count() == 1 {
                return Ok(Some(host.parse::<Addr>()?));
            }
        }
        if self.host.is_some() || self.port.is_some() {
            return Ok(Some(Addr::Tcp {
                host: self.host.clone().unwrap_or_else(|| "127.0.0.1".into()),
                port: self.port.unwrap_or(DEFAULT_PORT),
            }));
        }
        Ok(None)
    }

    /// The configuration for one-shot mode and the shell: the explicit
    /// server (a URL's options kept) or 127.0.0.1:10128, `-t` (if given) as
    /// connect and response timeout, one connection attempt unless the URL
    /// says `attempts`.
    pub(crate) fn config(&self) -> Result<Config, gibson_proto::Error> {
        let (config, url) = self.explicit_server()?.unwrap_or_else(|| {
            let local = Addr::Tcp {
                host: "127.0.0.1".into(),
                port: DEFAULT_PORT,
            };
            (Config::new(local), None)
        });
        let config = self.cli_settings(config, url.as_deref());
        config.validate()?;
        Ok(config)
    }

    /// The servers when `-a` (or `GIBSON_ADDR`, without `-a/-p/-u`) is a
    /// list `h1:p1,h2:p2,…` or a `gibson://` URL, with `-t` applied and one
    /// connection attempt; else `None`.
    pub(crate) fn shards(&self) -> Result<Option<ShardConfig>, gibson_proto::Error> {
        let env = std::env::var(ADDR_VAR).ok();
        let list = match (&self.host, &self.socket, self.port) {
            (Some(host), _, port) if is_server_list(host) => {
                if port.is_some() {
                    return Err(gibson_proto::Error::invalid(
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
        shards.client = self.cli_settings(shards.client.clone(), Some(list));
        shards.validate()?;
        Ok(Some(shards))
    }

    /// The ring of the servers named: [`shards`](Cli::shards)' ring, or
    /// the one server's.
    pub(crate) fn ring(&self) -> Result<HashRing, gibson_proto::Error> {
        match self.shards()? {
            Some(shards) => Ok(shards.ring()),
            None => Ok(HashRing::new([self.config()?.addr.to_string()])),
        }
    }

    /// `config` with `-t` applied, if given.
    pub(crate) fn with_timeouts(&self, config: Config) -> Config {
        match self.timeout_ms {
            Some(ms) => {
                let t = Duration::from_millis(ms);
                config.connect_timeout(t).response_timeout(t)
            }
            None => config,
        }
    }

    /// `config` as the CLI runs it: `-t` applied, and one connection
    /// attempt (it reports a down server at once) unless `url` asks for
    /// more with `attempts`.
    fn cli_settings(&self, config: Config, url: Option<&str>) -> Config {
        let config = self.with_timeouts(config);
        if url.is_some_and(|u| names_option(u, "attempts")) {
            config
        } else {
            config.connect_attempts(1)
        }
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
