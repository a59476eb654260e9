//! The connection (and a connection taken from the pool, and the sharded
//! client) as [`Commands`]: the trait gives them every command method
//! (from gibson-proto's command list), and code generic over what it talks
//! to the cache through takes any of them.

use gibson_proto::{Command, Commands, Error, Pipeline, PipelineResults};

use crate::{Connection, PooledConnection, Sharded};

/// `Commands` for each client type, through the inherent `execute`,
/// `pipeline` and `run` of `$via`.
macro_rules! commands {
    ($($client:ty => $via:ident),+) => {$(
        impl Commands for $client {
            fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error> {
                $via::execute(self, cmd)
            }

            fn pipeline(&self) -> Pipeline {
                $via::pipeline(self)
            }

            fn run(&mut self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
                $via::run(self, pipeline)
            }
        }
    )+};
}

commands!(Connection => Connection, PooledConnection => Connection, Sharded => Sharded);
