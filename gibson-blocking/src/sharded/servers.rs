//! Work on one server's pool, keeping its health, and on every server at
//! once.

use std::time::Instant;

use gibson_proto::Error;

use crate::connection::Connection;

use super::Sharded;

impl Sharded {
    /// Runs `work` on a connection of server `index`'s pool and records
    /// the outcome with the router: the error of `work` (or of taking a
    /// connection), else the one `failed` finds in its value (a batch's
    /// transport failure).
    pub(super) fn on_server<T>(
        &self,
        index: usize,
        work: impl FnOnce(&mut Connection) -> Result<T, Error>,
        failed: impl FnOnce(&T) -> Option<&Error>,
    ) -> Result<T, Error> {
        let outcome = match self.inner.pools.get(index) {
            Some(pool) => pool.checkout().and_then(|mut conn| work(&mut conn)),
            None => Err(Error::invalid("servers", "server index out of range")),
        };
        let health = match &outcome {
            Ok(value) => failed(value).map_or(Ok(()), Err),
            Err(e) => Err(e),
        };
        self.router().record(index, health, Instant::now());
        outcome
    }

    /// Runs `work(i)` for every server `i`, each live server on its own
    /// thread, all at once; a server marked dead gets its
    /// [`Error::ServerDown`] without being contacted. One outcome per
    /// server, in the ring's order.
    pub(super) fn on_every<T: Send>(
        &self,
        work: impl Fn(usize) -> Result<T, Error> + Sync,
    ) -> Vec<Result<T, Error>> {
        let now = Instant::now();
        let down: Vec<Option<Error>> = {
            let router = self.router();
            (0..self.inner.pools.len())
                .map(|i| (!router.is_live(i, now)).then(|| router.down(i, now)))
                .collect()
        };
        let work = &work;
        std::thread::scope(|scope| {
            let running: Vec<_> = down
                .into_iter()
                .enumerate()
                .map(|(i, down)| match down {
                    Some(err) => Err(err),
                    None => Ok(scope.spawn(move || work(i))),
                })
                .collect();
            running
                .into_iter()
                .map(|thread| {
                    thread?.join().unwrap_or_else(|_| {
                        Err(std::io::Error::other("a sharded client's thread panicked").into())
                    })
                })
                .collect()
        })
    }
}
