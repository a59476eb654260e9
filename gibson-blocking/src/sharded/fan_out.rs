//! STATS per server.

use gibson_policy::shard::{stats_per_server, Partial};
use gibson_proto::{cmd, Stats};

use super::Sharded;

impl Sharded {
    /// The statistics of every server, as `(server, stats)` in the ring's
    /// order, and the servers that could not answer (dead or failing).
    /// [`stats`](gibson_proto::Commands::stats) gives the first server's alone.
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
                self.inner.ring.servers(),
                self.call_every(routed.frame, routed.opcode),
            ),
            Err(e) => Partial::complete(Err(e)),
        }
    }
}
