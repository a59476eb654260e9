//! The connection (and a connection taken from the pool) as
//! [`Commands`], for code generic over what it talks to the cache through.

use gibson_proto::{Command, Commands, Error};

use crate::{Connection, PooledConnection};

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
