//! The connection (and a connection taken from the pool, and the sharded
//! client) as
//! [`Commands`], for code generic over what it talks to the cache through.

use gibson_proto::{Command, Commands, Error};

use crate::{Connection, PooledConnection, Sharded};

impl Commands for Connection {
    fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error> {
        Connection::execute(self, cmd)
    }
}

impl Commands for PooledConnection {
    fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error> {
        Connection::execute(self, cmd)
    }
}

impl Commands for Sharded {
    fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error> {
        Sharded::execute(self, cmd)
    }
}
