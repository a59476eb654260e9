//! The commands sent to every server, and STATS per server.

use gibson_proto::shard::{stats_per_server, FanOut, Partial};
use gibson_proto::{cmd, Error, Opcode, Reply, Stats};

use super::Sharded;

impl Sharded {
    /// Sends `frame` to every server at once and merges the replies as
    /// the configuration's `partial` option says.
    pub(super) fn fan_out(
        &self,
        fan_out: FanOut,
        frame: &[u8],
        op: Opcode,
    ) -> Result<Reply, Error> {
        fan_out
            .merge(self.on_every_server(frame, op))
            .resolve(self.inner.config.on_missing)
    }

    /// `frame`'s reply from each server, in the ring's order.
    fn on_every_server(&self, frame: &[u8], op: Opcode) -> Vec<Result<Reply, Error>> {
        self.on_every(|i| self.on_server(i, |conn| conn.execute_frame(frame, op), |_| None))
    }

    /// The statistics of every server, as `(server, stats)` in the ring's
    /// order, and the servers that could not answer (dead or failing).
    /// [`stats`](Sharded::stats) gives the first server's alone.
    ///
    /// ```no_run
    /// let cache = gibson_blocking::Sharded::connect("10.0.0.1:10128,10.0.0.2:10128")?;
    /// let per = cache.stats_per_server();
    /// for (server, stats) in per.value? {
    ///     println!("{server}: {} items", stats.raw.len());
    /// }
    /// for server in per.missing.iter().map(|(i, _)| *i) {
    ///     println!("{} did not answer", cache.servers()[server]);
    /// }
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn stats_per_server(&self) -> Partial<Vec<(String, Stats)>> {
        match self
            .inner
            .ring
            .route(&cmd::GetStats, &self.inner.config.client.limits)
        {
            Ok(routed) => stats_per_server(
                self.servers(),
                self.on_every_server(&routed.frame, routed.opcode),
            ),
            Err(e) => Partial::complete(Err(e)),
        }
    }
}
