//! Pipelines over several servers: split by server, one batch per server
//! sent at once, the replies put back in order.

use bytes::Bytes;
use gibson_proto::shard::{counts_as_failure, Route, Routed, ServerBatch};
use gibson_proto::{Error, Pipeline, PipelineResults, Reply};

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
        Pipeline::new(self.inner.config.client.limits)
    }

    /// Runs `pipeline`: its requests are split by server
    /// ([`HashRing::split`](gibson_proto::HashRing::split)), each server's
    /// batch is sent in one write, all servers at once, and the results
    /// come back in the pipeline's order (the commands sent to every
    /// server merged). A dead server's requests fail with
    /// [`Error::ServerDown`], or with `remove_failed` its keyed requests
    /// are sent one by one to the live servers; one failed request never
    /// hides the others' results.
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
        let split = self.inner.ring.split(&pipeline)?;
        let batches = split.batches();
        let outcomes = self.on_every(|i| match &batches[i] {
            batch if batch.is_empty() => Ok(Vec::new()),
            batch => self.on_server(
                i,
                |conn| conn.run_frames(&batch.frames, &batch.opcodes),
                |replies| {
                    replies
                        .iter()
                        .filter_map(|r| r.as_ref().err())
                        .find(|e| counts_as_failure(e))
                },
            ),
        });
        let replies = outcomes
            .into_iter()
            .zip(batches)
            .enumerate()
            .map(|(i, (outcome, batch))| match outcome {
                Ok(replies) => replies,
                Err(err) => self.without_server(i, batch, &err),
            })
            .collect();
        Ok(split.finish(pipeline, replies, self.inner.config.on_missing))
    }

    /// The replies of server `index`'s batch when it failed with `err`:
    /// `err` for each, except that with `remove_failed` a dead server's
    /// keyed requests go to the server the router gives their key now.
    fn without_server(
        &self,
        index: usize,
        batch: &ServerBatch,
        err: &Error,
    ) -> Vec<Result<Reply, Error>> {
        let remap = self.inner.config.remove_failed && matches!(err, Error::ServerDown { .. });
        let mut at = 0;
        batch
            .opcodes
            .iter()
            .map(|&op| {
                let frame = next_frame(&batch.frames, &mut at);
                if remap && !op.is_fan_out() {
                    self.send(&Routed {
                        opcode: op,
                        frame,
                        route: Route::Server(index),
                    })
                    .resolve(self.inner.config.on_missing)
                } else {
                    Err(err.clone())
                }
            })
            .collect()
    }
}

/// The request frame at `*at` in `frames` (a size prefix, then as many
/// bytes), moving `*at` past it; empty when `frames` ends first.
fn next_frame(frames: &Bytes, at: &mut usize) -> Bytes {
    let start = *at;
    let len = frames
        .get(start..start + 4)
        .map(|size| u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as usize + 4)
        .unwrap_or(0);
    let end = (start + len).min(frames.len());
    *at = end;
    frames.slice(start..end)
}
