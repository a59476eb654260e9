//! What the tool talks to: one server, or several servers as one sharded
//! cache (`-a h1:p1,h2:p2,…` or `-a gibson://h1:p1,h2:p2?…`).

use gibson_blocking::{Command, Commands, Connection, Error, Pipeline, PipelineResults, Sharded};
use gibson_policy::{shard::Route, HashRing};

use crate::args::Cli;
use crate::commands::{self, Request};
use crate::exec;
use crate::output::Output;

/// A connection to one server, or a sharded client over several.
pub(crate) enum Client {
    /// One server.
    One(Box<Connection>),
    /// Several servers: keys placed by the ring, prefix commands sent to
    /// every server and merged.
    Sharded {
        /// The client.
        cache: Sharded,
        /// Its ring, to tell the server of a failed key.
        ring: HashRing,
        /// The server the last failed command failed on, when known.
        failed: Option<String>,
    },
}

impl Client {
    /// The client for the servers `-a/-p/-u` (or `GIBSON_ADDR`) name,
    /// connecting on first use, and how to name them in messages.
    pub(crate) fn from_cli(cli: &Cli) -> Result<(Client, String), Error> {
        let (config, label) = match cli.shards()? {
            Some(shards) if shards.servers().len() > 1 => {
                let names: Vec<String> = shards.servers().iter().map(|s| s.to_string()).collect();
                let label = names.join(",");
                let ring = shards.ring();
                let cache = Sharded::with_config(shards)?;
                let client = Client::Sharded {
                    cache,
                    ring,
                    failed: None,
                };
                return Ok((client, label));
            }
            Some(shards) => {
                let config = shards
                    .server_config(0)
                    .ok_or_else(|| Error::invalid("servers", "no server"))?;
                let label = config.addr.to_string();
                (config, label)
            }
            None => {
                let config = cli.config()?;
                let label = config.addr.to_string();
                (config, label)
            }
        };
        Ok((Client::One(Box::new(Connection::lazy(config)?)), label))
    }

    /// Runs `req` and maps the typed result to what is printed.
    pub(crate) fn execute(&mut self, req: Request) -> Result<Output, Error> {
        match self {
            Client::One(conn) => exec::execute(conn, req),
            Client::Sharded { .. } => commands::dispatch(self, req),
        }
    }

    /// The server the last failed command failed on, over several
    /// servers: its key's server, or the first server a prefix command
    /// missed. `None` for one server (its address names it) or when no
    /// single server was at fault.
    pub(crate) fn failed_server(&self) -> Option<&str> {
        match self {
            Client::One(_) => None,
            Client::Sharded { failed, .. } => failed.as_deref(),
        }
    }
}

impl Commands for Client {
    fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error> {
        match self {
            Client::One(conn) => conn.execute(cmd),
            Client::Sharded {
                cache,
                ring,
                failed,
            } => {
                let config = cache.config();
                let home = match ring.route(&cmd, &config.client.limits).map(|r| r.route) {
                    Ok(Route::Server(i)) => Some(i),
                    _ => None,
                };
                let partial = cache.execute_partial(cmd);
                let missed = partial.missing.first().map(|(i, _)| *i);
                let result = partial.resolve(config.on_missing);
                *failed = match &result {
                    Ok(_) => None,
                    Err(_) => missed
                        .or(home)
                        .and_then(|i| config.servers().get(i))
                        .map(ToString::to_string),
                };
                result
            }
        }
    }

    fn pipeline(&self) -> Pipeline {
        match self {
            Client::One(conn) => conn.pipeline(),
            Client::Sharded { cache, .. } => cache.pipeline(),
        }
    }

    fn run(&mut self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
        match self {
            Client::One(conn) => conn.run(pipeline),
            Client::Sharded { cache, .. } => cache.run(pipeline),
        }
    }
}
