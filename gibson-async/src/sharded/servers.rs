//! One server list of a [`Sharded`](super::Sharded) client, as a call
//! sees it from start to end: the configuration, the ring, a pool per
//! server and their health, and how a request goes to one server, to the
//! copies of its key, or to every server.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::Poll;
use std::time::Instant;

use gibson_policy::{
    shard::{
        first_answer, CopyRead, HedgeCounter, Partial, Plan, Router, ServerBatch, ShardConfig,
    },
    HashRing,
};
use gibson_proto::{Command, Error, Opcode, Pipeline, PipelineResults, Reply};

use crate::pool::Pool;
use crate::runtime::Runtime;

/// A server list and what goes with it. A change of the list builds a
/// new one (keeping the pools and the health of the servers that stay);
/// a call keeps the one it started with, so that what it sent finishes on
/// the servers it was sent to, and a removed server's pool closes once
/// the last such call is done.
pub(super) struct Servers<R: Runtime> {
    pub(super) config: ShardConfig,
    /// The ring of every server of this list; routing and splitting need
    /// no lock (the router's copy serves remapping).
    pub(super) ring: HashRing,
    pub(super) pools: Vec<Pool<R>>,
    router: Mutex<Router>,
}

/// Polls every future at once; their outputs in order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

impl<R: Runtime> Servers<R> {
    /// The servers of `config`, each server's pool taken from `before`
    /// when it was there (else a new, lazy one), and what `before` knew of
    /// their health.
    pub(super) fn new(config: ShardConfig, before: Option<&Servers<R>>) -> Result<Self, Error> {
        let pools = config.carried_over(before.map(|b| (&b.config, &b.pools[..])), Pool::lazy)?;
        let router = Router::carried(&config, before.map(|b| b.router()).as_deref());
        let (ring, router) = (config.ring(), Mutex::new(router));
        Ok(Servers {
            config,
            ring,
            pools,
            router,
        })
    }

    pub(super) fn router(&self) -> MutexGuard<'_, Router> {
        // Nothing panics while holding the lock.
        self.router.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Server `index`'s pool, unless the server is marked dead now.
    fn admitted(&self, index: usize) -> Result<&Pool<R>, Error> {
        self.router().admit(index, Instant::now())?;
        self.pools
            .get(index)
            .ok_or_else(|| Error::invalid("servers", "no such server"))
    }

    /// Sends `frame` to server `index`, or fails fast if it is dead, and
    /// records the outcome (a failure named after the server).
    async fn send(&self, index: usize, op: Opcode, frame: &[u8]) -> Result<Reply, Error> {
        let outcome = match self.admitted(index) {
            Ok(pool) => pool.execute_frame(op, frame).await,
            Err(e) => Err(e),
        };
        self.router().settle(index, outcome, Instant::now())
    }

    /// Sends a keyed request to server `index`; when that finds the server
    /// dead before the request was written and `remove_failed` moves its
    /// key, to the server it moved to.
    async fn send_keyed(&self, index: usize, op: Opcode, frame: &[u8]) -> Result<Reply, Error> {
        let reply = self.send(index, op, frame).await;
        let moved = match &reply {
            Err(e) => self.router().moved_to(index, frame, e, Instant::now()),
            Ok(_) => None,
        };
        match moved {
            Some(to) => self.send(to, op, frame).await,
            None => reply,
        }
    }

    /// Sends a read to the first of `copies` (live copies of its key); on
    /// a transport failure to the next; and with `hedge`, when the first
    /// has not answered in time, to the next too, the first answer
    /// winning (the other request is dropped: its connection reads its
    /// reply and throws it away).
    async fn send_read(
        &self,
        copies: &[usize],
        op: Opcode,
        frame: &[u8],
        hedges: &HedgeCounter,
    ) -> Result<Reply, Error> {
        let hedge = self.config.hedge;
        let mut next = 0;
        // The requests in flight: whether each is a hedge, and its future.
        let mut inflight = Vec::with_capacity(2);
        let mut timer: Option<R::Timer> = None;
        let mut read = CopyRead::default();
        loop {
            if inflight.is_empty() {
                let Some(&index) = copies.get(next) else {
                    return read.exhausted();
                };
                next += 1;
                inflight.push((false, Box::pin(self.send(index, op, frame))));
                timer = hedge
                    .filter(|_| next < copies.len())
                    .map(|after| R::timer(Instant::now() + after));
            }
            let event = poll_fn(|cx| {
                for (at, (_, request)) in inflight.iter_mut().enumerate() {
                    if let Poll::Ready(outcome) = request.as_mut().poll(cx) {
                        return Poll::Ready(Some((at, outcome)));
                    }
                }
                match timer.as_mut().map(|t| Pin::new(t).poll(cx)) {
                    Some(Poll::Ready(())) => Poll::Ready(None),
                    _ => Poll::Pending,
                }
            })
            .await;
            match event {
                // The hedge: the next copy too.
                None => {
                    timer = None;
                    if let Some(&index) = copies.get(next) {
                        next += 1;
                        hedges.sent();
                        gibson_observe::hedge_sent();
                        inflight.push((true, Box::pin(self.send(index, op, frame))));
                    }
                }
                Some((at, outcome)) => {
                    let (hedged, _) = inflight.swap_remove(at);
                    if let Some(answer) = read.settle(outcome) {
                        if hedged {
                            hedges.won();
                            gibson_observe::hedge_won();
                        }
                        return answer;
                    }
                }
            }
        }
    }

    /// Sends a write to every one of `copies` at once: the first copy's
    /// answer, in their order.
    async fn send_write(&self, copies: &[usize], op: Opcode, frame: &[u8]) -> Result<Reply, Error> {
        let sends = copies.iter().map(|&i| self.send(i, op, frame)).collect();
        first_answer(join_all(sends).await)
    }

    /// Sends `frame` to every server at once.
    pub(super) async fn send_to_all(&self, op: Opcode, frame: &[u8]) -> Vec<Result<Reply, Error>> {
        join_all(
            (0..self.pools.len())
                .map(|i| self.send(i, op, frame))
                .collect(),
        )
        .await
    }

    /// Sends each server its batch (none to a server marked dead), all at
    /// once: one outcome per request, in each batch's order.
    async fn send_batches(&self, batches: &[ServerBatch]) -> Vec<Vec<Result<Reply, Error>>> {
        let sends = batches.iter().enumerate().map(|(index, batch)| async move {
            if batch.is_empty() {
                return Vec::new();
            }
            let outcome = match self.admitted(index) {
                Ok(pool) => pool.run_batch(&batch.opcodes, &batch.frames).await,
                Err(e) => Err(e),
            };
            self.router()
                .settle_batch(index, batch.len(), outcome, Instant::now())
        });
        join_all(sends.collect()).await
    }

    /// Runs `cmd` on its key's server (or the copies of its key), or on
    /// every server with the replies merged.
    pub(super) async fn execute_partial<C: Command>(
        &self,
        cmd: C,
        hedges: &HedgeCounter,
    ) -> Partial<C::Output> {
        let routed = match self.ring.route(&cmd, &self.config.client.limits) {
            Ok(routed) => routed,
            Err(e) => return Partial::complete(Err(e)),
        };
        let plan = self.router().plan(&routed, Instant::now());
        let (op, frame) = (routed.opcode, &routed.frame[..]);
        let reply = match plan {
            Err(e) => Err(e),
            Ok(Plan::One(index)) => self.send_keyed(index, op, frame).await,
            Ok(Plan::Read(copies)) => self.send_read(&copies, op, frame, hedges).await,
            Ok(Plan::Write(copies)) => self.send_write(&copies, op, frame).await,
            Ok(Plan::Every(fan_out)) => {
                let replies = self.send_to_all(op, frame).await;
                return fan_out.merge(replies).and_then(|r| cmd.decode_reply(r));
            }
        };
        Partial::complete(reply.and_then(|r| cmd.decode_reply(r)))
    }

    /// Runs a pipeline split by server, moving what a dead server's
    /// requests were not written to with `remove_failed`.
    pub(super) async fn run(&self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
        let split = self.router().split(&pipeline, Instant::now())?;
        let mut replies = self.send_batches(split.batches()).await;
        let reroute = self
            .router()
            .reroute(split.batches(), &replies, Instant::now());
        if !reroute.is_empty() {
            let moved = self.send_batches(reroute.batches()).await;
            reroute.finish(&mut replies, moved);
        }
        Ok(split.finish(pipeline, replies, self.config.on_missing))
    }
}
