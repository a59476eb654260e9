//! `gibson-bench`'s options (clap).

use std::time::Duration;

use clap::{Args, Parser, ValueEnum};
use gibson_cli::servers::ServerArgs;

use crate::workload::Test;

/// Measure throughput and latency, like redis-benchmark.
///
/// Without -a/-p/-u (or GIBSON_ADDR) it starts an embedded gibson-server
/// on a free loopback port. Every test of -t runs for every runtime of
/// --runtime, and with --raw through a hand-written socket loop too.
#[derive(Debug, Parser)]
#[command(name = "gibson-bench", version)]
pub(crate) struct Cli {
    /// The server or servers.
    #[command(flatten)]
    pub(crate) server: ServerArgs,
    /// Connect and response timeout, in milliseconds (default 5000, or the URL's
    /// connect_timeout and response_timeout).
    #[arg(long = "timeout", value_name = "TIMEOUT_MS")]
    pub(crate) timeout_ms: Option<u64>,
    /// What to measure.
    #[command(flatten)]
    pub(crate) bench: BenchArgs,
}

impl Cli {
    /// `--timeout`, if given.
    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.timeout_ms.map(Duration::from_millis)
    }
}

/// Which client library a benchmark drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Library {
    /// gibson-tokio: one multiplexed connection per client, `-P` tasks each.
    Tokio,
    /// gibson-async-std on async-std: one multiplexed connection per client, `-P` tasks each.
    AsyncStd,
    /// gibson-async-std on smol (`gibson_async_std::smol`): one multiplexed connection per client, `-P` tasks each.
    Smol,
    /// gibson-blocking: one thread and connection per client, pipelines of `-P`.
    Blocking,
}

impl Library {
    /// The name used in tables.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Library::Tokio => "tokio",
            Library::AsyncStd => "async-std",
            Library::Smol => "smol",
            Library::Blocking => "blocking",
        }
    }
}

/// What to measure, and how.
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
    pub(crate) tests: Vec<Test>,
    /// Client libraries to drive, comma-separated.
    #[arg(long = "runtime", value_name = "RUNTIMES", value_delimiter = ',', value_enum, default_values_t = [Library::Tokio])]
    pub(crate) libraries: Vec<Library>,
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
