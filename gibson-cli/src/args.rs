//! Command-line arguments (clap), and how they become a server address.

use std::ffi::OsString;
use std::time::Duration;

use clap::{Parser, Subcommand};
use gibson_cli::servers::ServerArgs;
use gibson_policy::{shard::ShardConfig, Config, HashRing};

/// Command-line client for the Gibson cache server.
///
/// With a command, runs it and prints the reply; with none, starts an
/// interactive shell. Commands follow the server's argument order:
/// `SET ttl key value`, `TTL key ttl`, `LOCK key seconds`,
/// `MGET prefix [limit]`, `META key field`… (names are case-insensitive).
/// A TTL is 1 to 32767 seconds, or 0 or `never` for no expiry, as in the
/// library (`Ttl::Seconds`, `Ttl::Never`): a negative TTL is refused.
/// `:help` in the shell lists the commands.
/// Benchmarks: the `gibson-bench` command.
#[derive(Debug, Parser)]
#[command(name = "gibson", version, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    /// The server or servers.
    #[command(flatten)]
    pub(crate) server: ServerArgs,
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
    /// A Gibson command and its arguments.
    #[command(subcommand)]
    pub(crate) command: Option<Sub>,
}

const AFTER_HELP: &str = "\
Examples:
  gibson set never greeting hello world     (TTL 0 or never: no expiry)
  gibson set 60 greeting hello     (1 to 32767 seconds; a negative TTL is refused)
  gibson get greeting
  gibson -a cache.local mget user: 10
  gibson -a 'gibson://[::1]:10128?response_timeout=2s' get greeting
  gibson -a h1:10128,h2:10128,h3:10128 count user:    (three servers, one cache)
  gibson -a h1:10128,h2:10128,h3:10128 route user:1    (the server of each key)
  gibson scan log: [--keys] [--json]     (every pair under a prefix of any size, one a line)
  gibson --json stats

Exit codes: 0 success (also for absent keys), 1 the server answered an error
(ERR, NAN, MEM, LOCKED), 2 invalid arguments, 3 connection or protocol error.";

/// A Gibson command.
#[derive(Debug, Subcommand)]
pub(crate) enum Sub {
    /// A Gibson command: `gibson get key`, `gibson set 0 key value`…
    #[command(external_subcommand)]
    Command(Vec<OsString>),
}

impl Cli {
    /// `-t`, if given.
    fn timeout(&self) -> Option<Duration> {
        self.timeout_ms.map(Duration::from_millis)
    }

    /// The configuration for one-shot mode and the shell (see
    /// [`ServerArgs::config`]).
    pub(crate) fn config(&self) -> Result<Config, gibson_proto::Error> {
        self.server.config(self.timeout())
    }

    /// The servers of a list in `-a` or `GIBSON_ADDR` (see
    /// [`ServerArgs::shards`]).
    pub(crate) fn shards(&self) -> Result<Option<ShardConfig>, gibson_proto::Error> {
        self.server.shards(self.timeout())
    }

    /// The ring of the servers named.
    pub(crate) fn ring(&self) -> Result<HashRing, gibson_proto::Error> {
        self.server.ring()
    }
}
