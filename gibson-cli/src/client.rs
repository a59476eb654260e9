//! What the tool talks to: one server, or several servers as one sharded
//! cache (`-a h1:p1,h2:p2,…` or `-a gibson://h1:p1,h2:p2?…`).

use gibson_blocking::{Command, Commands, Connection, Error, Pipeline, PipelineResults, Sharded};

use crate::args::Cli;
use crate::exec;
use crate::output::Output;
use crate::parse::Request;

/// A connection to one server, or a sharded client over several.
pub(crate) enum Client {
    /// One server.
    One(Box<Connection>),
    /// Several servers: keys placed by the ring, prefix commands sent to
    /// every server and merged.
    Sharded(Sharded),
}

impl Client {
    /// The client for the servers `-a/-p/-u` (or `GIBSON_ADDR`) name,
    /// connecting on first use, and how to name them in messages.
    pub(crate) fn from_cli(cli: &Cli) -> Result<(Client, String), Error> {
        let (config, label) = match cli.shards()? {
            Some(shards) if shards.servers().len() > 1 => {
                let names: Vec<String> = shards.servers().iter().map(|s| s.to_string()).collect();
                let label = names.join(",");
                return Ok((Client::Sharded(Sharded::with_config(shards)?), label));
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
            Client::Sharded(cache) => exec::dispatch(cache, req),
        }
    }
}

impl Commands for Client {
    fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error> {
        match self {
            Client::One(conn) => conn.execute(cmd),
            Client::Sharded(cache) => cache.execute(cmd),
        }
    }

    fn pipeline(&self) -> Pipeline {
        match self {
            Client::One(conn) => conn.pipeline(),
            Client::Sharded(cache) => cache.pipeline(),
        }
    }

    fn run(&mut self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
        match self {
            Client::One(conn) => conn.run(pipeline),
            Client::Sharded(cache) => cache.run(pipeline),
        }
    }
}
