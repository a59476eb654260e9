//! Pipelines over several servers: split by server, one batch per server
//! sent at once, the replies put back in order.

use std::time::Instant;

use gibson_proto::{Error, Pipeline, PipelineResults};

use super::Sharded;

impl Sharded {
    /// A new, empty pipeline using the servers' limits.
    ///
    /// ```no_run
    /// use gibson_blocking::{Sharded, Ttl};
    /// let cache = Sharded::connect("10.0.0.1:10128,10.0.0.2:10128")?;
    /// let mut p = cache.pipeline();
    /// let set = p.set("a", "1", Ttl::Never);
    /// let count = p.count("a");
    /// let mut results = cache.run(p)?;
    /// results.take(set)?;
    /// assert_eq!(results.take(count)?, 1);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn pipeline(&self) -> Pipeline {
        Pipeline::new(self.now().servers.config.client.limits)
    }

    /// Runs `pipeline`: its requests are split by server
    /// ([`HashRing::split`](gibson_policy::HashRing::split)), each server's
    /// batch is sent in one write, all servers at once, and the results
    /// come back in the pipeline's order (the commands sent to every
    /// server merged). A server marked dead is not contacted: its requests
    /// fail with [`Error::ServerDown`], or with `remove_failed` its keyed
    /// requests go to the live servers (one more batch per server), as do
    /// those that found it dead before being written; one failed request
    /// never hides the others' results. With `replicas`, a write goes to
    /// every live copy of its key and a read to the first live one (one
    /// that fails there goes to the next live copy, one more batch per
    /// server); a COUNT fails the whole pipeline (see
    /// [`ShardConfig::replicas`](gibson_policy::shard::ShardConfig::replicas)).
    ///
    /// ```no_run
    /// let cache = gibson_blocking::Sharded::connect("10.0.0.1:10128,10.0.0.2:10128")?;
    /// let mut p = cache.pipeline();
    /// let a = p.get::<String>("a");
    /// let n = p.count("user:");
    /// let mut results = cache.run(p)?;
    /// println!("{:?} {}", results.take(a)?, results.take(n)?);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn run(&self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
        if pipeline.opcodes().is_empty() {
            return Ok(pipeline.finish(Vec::new()));
        }
        let now = self.now();
        let split = now.servers.router().split(&pipeline, Instant::now())?;
        let mut replies = now.call_batches(split.batches().to_vec());
        let reroute = now
            .servers
            .router()
            .reroute(split.batches(), &replies, Instant::now());
        if !reroute.is_empty() {
            let moved = now.call_batches(reroute.batches().to_vec());
            reroute.finish(&mut replies, moved);
        }
        Ok(split.finish(pipeline, replies, now.servers.config.on_missing))
    }
}
