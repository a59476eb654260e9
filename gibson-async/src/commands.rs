//! The connection and the pool as [`AsyncCommands`], for code generic
//! over what it talks to the cache through.

use std::future::Future;

use gibson_proto::{AsyncCommands, Command, Error, Pipeline, PipelineResults};

use crate::runtime::Runtime;
use crate::{Connection, Pool, Sharded};

impl<R: Runtime> AsyncCommands for Connection<R> {
    fn execute<C>(&self, cmd: C) -> impl Future<Output = Result<C::Output, Error>> + Send
    where
        C: Command + Send,
        C::Output: Send,
    {
        Connection::execute(self, cmd)
    }

    fn pipeline(&self) -> Pipeline {
        Connection::pipeline(self)
    }

    fn run(
        &self,
        pipeline: Pipeline,
    ) -> impl Future<Output = Result<PipelineResults, Error>> + Send {
        Connection::run(self, pipeline)
    }
}

impl<R: Runtime> AsyncCommands for Pool<R> {
    fn execute<C>(&self, cmd: C) -> impl Future<Output = Result<C::Output, Error>> + Send
    where
        C: Command + Send,
        C::Output: Send,
    {
        Pool::execute(self, cmd)
    }

    fn pipeline(&self) -> Pipeline {
        Pool::pipeline(self)
    }

    fn run(
        &self,
        pipeline: Pipeline,
    ) -> impl Future<Output = Result<PipelineResults, Error>> + Send {
        Pool::run(self, pipeline)
    }
}

impl<R: Runtime> AsyncCommands for Sharded<R> {
    fn execute<C>(&self, cmd: C) -> impl Future<Output = Result<C::Output, Error>> + Send
    where
        C: Command + Send,
        C::Output: Send,
    {
        Sharded::execute(self, cmd)
    }

    fn pipeline(&self) -> Pipeline {
        Sharded::pipeline(self)
    }

    fn run(
        &self,
        pipeline: Pipeline,
    ) -> impl Future<Output = Result<PipelineResults, Error>> + Send {
        Sharded::run(self, pipeline)
    }
}
