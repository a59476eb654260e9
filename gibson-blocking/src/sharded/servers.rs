//! One server list of a [`Sharded`](super::Sharded) client as a call
//! sees it from start to end, and work on one server's pool (keeping its
//! health) and on several servers at once.

use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::Instant;

use gibson_policy::{
    shard::{HedgeCounter, Router, ServerBatch, ShardConfig},
    HashRing,
};
use gibson_proto::{Error, Opcode, Reply};

use crate::pool::{Pool, PooledConnection};

use super::workers::Workers;

/// A server list and what goes with it: the configuration, the ring, a
/// pool per server and their health. A change of the list builds a new
/// one (keeping the pools and the health of the servers that stay); a
/// call keeps the one it started with, so that what it sent finishes on
/// the servers it was sent to, and a removed server's pool closes once
/// the last such call is done.
#[derive(Debug)]
pub(super) struct Servers {
    pub(super) config: ShardConfig,
    pub(super) ring: HashRing,
    pub(super) pools: Vec<Pool>,
    router: Mutex<Router>,
}

impl Servers {
    /// The servers of `config`, each server's pool taken from `before`
    /// when it was there (else a new, lazy one), and what `before` knew of
    /// their health.
    pub(super) fn new(config: ShardConfig, before: Option<&Servers>) -> Result<Servers, Error> {
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
}

/// What one call works with: the server list it started with, and the
/// client's workers (which end once the client and its calls are gone)
/// and hedge counters.
#[derive(Debug, Clone)]
pub(super) struct Snapshot {
    pub(super) servers: Arc<Servers>,
    pub(super) workers: Arc<Workers>,
    pub(super) hedges: Arc<HedgeCounter>,
}

impl Snapshot {
    /// A connection of server `index`, unless the server is marked dead
    /// now (then its [`Error::ServerDown`], without contacting it).
    fn checkout(&self, index: usize) -> Result<PooledConnection, Error> {
        self.servers.router().admit(index, Instant::now())?;
        self.servers
            .pools
            .get(index)
            .ok_or_else(|| Error::invalid("servers", "server index out of range"))?
            .checkout()
    }

    /// Sends `frame` to server `index` and records the outcome (a failure
    /// named after the server).
    pub(super) fn call(&self, index: usize, frame: &[u8], op: Opcode) -> Result<Reply, Error> {
        let outcome = self
            .checkout(index)
            .and_then(|mut conn| conn.execute_frame(frame, op));
        self.servers.router().settle(index, outcome, Instant::now())
    }

    /// Sends `batch` to server `index` in one write and records the
    /// outcome: one per request (failures named after the server).
    fn call_batch(&self, index: usize, batch: &ServerBatch) -> Vec<Result<Reply, Error>> {
        if batch.is_empty() {
            return Vec::new();
        }
        let outcome = self
            .checkout(index)
            .and_then(|mut conn| conn.run_frames(&batch.frames, &batch.opcodes));
        self.servers
            .router()
            .settle_batch(index, batch.len(), outcome, Instant::now())
    }

    /// Each server's batch (one per server of the ring), all at once:
    /// their outcomes, one list per server.
    pub(super) fn call_batches(&self, batches: Vec<ServerBatch>) -> Vec<Vec<Result<Reply, Error>>> {
        let batches = Arc::new(batches);
        let servers = batches.iter().enumerate();
        let busy: Vec<usize> = servers
            .filter(|(_, b)| !b.is_empty())
            .map(|(i, _)| i)
            .collect();
        let mut outcomes = self
            .on_each(&busy, {
                let batches = batches.clone();
                move |this, i| this.call_batch(i, &batches[i])
            })
            .into_iter();
        batches
            .iter()
            .map(|batch| match batch.is_empty() {
                true => Vec::new(),
                false => outcomes
                    .next()
                    .flatten()
                    .unwrap_or_else(|| vec![Err(lost()); batch.len()]),
            })
            .collect()
    }

    /// `frame` sent to every server at once: its reply from each, in the
    /// ring's order.
    pub(super) fn call_every(&self, frame: bytes::Bytes, op: Opcode) -> Vec<Result<Reply, Error>> {
        let every: Vec<usize> = (0..self.servers.pools.len()).collect();
        self.call_on(&every, frame, op)
    }

    /// `frame` sent to each of `servers` at once: its reply from each, in
    /// their order.
    pub(super) fn call_on(
        &self,
        servers: &[usize],
        frame: bytes::Bytes,
        op: Opcode,
    ) -> Vec<Result<Reply, Error>> {
        self.on_each(servers, move |this, i| this.call(i, &frame, op))
            .into_iter()
            .map(|reply| reply.unwrap_or_else(|| Err(lost())))
            .collect()
    }

    /// Runs `work(self, i)` for each server `i` of `servers`, all at once:
    /// the first live one on this thread, the other live ones on the
    /// client's [workers](super::workers) (no thread is started while one
    /// is idle), the dead ones (which fail at once) on this thread. Each
    /// one's output, in the order of `servers`; `None` where a worker
    /// could not run it.
    fn on_each<T: Send + 'static>(
        &self,
        servers: &[usize],
        work: impl Fn(&Snapshot, usize) -> T + Send + Sync + 'static,
    ) -> Vec<Option<T>> {
        let live: Vec<bool> = {
            let router = self.servers.router();
            let now = Instant::now();
            servers.iter().map(|&i| router.is_live(i, now)).collect()
        };
        let work = Arc::new(work);
        let (done, results) = mpsc::channel();
        let mut here = Vec::new();
        for (at, (&server, &live)) in servers.iter().zip(&live).enumerate() {
            let first_live = live && !here.iter().any(|&(_, l)| l);
            if !live || first_live {
                here.push((at, live));
                continue;
            }
            let (this, work, done) = (self.clone(), work.clone(), done.clone());
            self.workers.run(
                move || work(&this, server),
                move |out| drop(done.send((at, out))),
            );
        }
        drop(done);
        let mut out: Vec<Option<T>> = servers.iter().map(|_| None).collect();
        for (at, _) in here {
            out[at] = Some(work(self, servers[at]));
        }
        for (at, value) in results {
            out[at] = Some(value);
        }
        out
    }
}

/// The outcome of work a worker could not run.
pub(super) fn lost() -> Error {
    std::io::Error::other("a sharded client's worker thread could not run the request").into()
}
