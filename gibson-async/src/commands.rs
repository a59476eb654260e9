//! The connection, the pool and the sharded client as [`AsyncCommands`]:
//! the trait gives them every command method (from gibson-proto's command
//! list), and code generic over what it talks to the cache through takes
//! any of them.

use std::future::Future;

use gibson_proto::{AsyncCommands, Command, Error, Pipeline, PipelineResults};

use crate::runtime::Runtime;
use crate::{Connection, Pool, Sharded};

/// `AsyncCommands` for each client type, through its inherent `execute`,
/// `pipeline` and `run`.
macro_rules! async_commands {
    ($($client:ident),+) => {$(
        impl<R: Runtime> AsyncCommands for $client<R> {
            fn execute<C>(&self, cmd: C) -> impl Future<Output = Result<C::Output, Error>> + Send
            where
                C: Command + Send,
                C::Output: Send,
            {
                $client::execute(self, cmd)
            }

            fn pipeline(&self) -> Pipeline {
                $client::pipeline(self)
            }

            fn run(
                &self,
                pipeline: Pipeline,
            ) -> impl Future<Output = Result<PipelineResults, Error>> + Send {
                $client::run(self, pipeline)
            }
        }
    )+};
}

async_commands!(Connection, Pool, Sharded);
