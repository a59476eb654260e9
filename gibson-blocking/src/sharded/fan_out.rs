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
    ///     println!("server {server} did not answer");
    /// }
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn stats_per_server(&self) -> Partial<Vec<(String, Stats)>> {
        let now = self.now();
        match now
            .servers
            .ring
            .route(&cmd::GetStats, &now.servers.config.client.limits)
        {
            Ok(routed) => stats_per_server(
                now.servers.ring.servers(),
                now.call_every(routed.frame, routed.opcode),
            ),
            Err(e) => Partial::complete(Err(e)),
        }
    }
}
