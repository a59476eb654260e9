//! The connection and the pool as [`AsyncCommands`], for code generic
//! over what it talks to the cache through.

use std::future::Future;

use gibson_proto::{AsyncCommands, Command, Error};

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
}

impl<R: Runtime> AsyncCommands for Pool<R> {
    fn execute<C>(&self, cmd: C) -> impl Future<Output = Result<C::Output, Error>> + Send
    where
        C: Command + Send,
        C::Output: Send,
    {
        Pool::execute(self, cmd)
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
}
