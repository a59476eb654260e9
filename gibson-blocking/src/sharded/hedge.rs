//! Hedged reads: a read sent from a worker thread, and to the next copy
//! of its key as well when the first has not answered in time; the first
//! answer wins.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use gibson_policy::shard::CopyRead;
use gibson_proto::{Error, Opcode, Reply};

use super::Snapshot;

impl Snapshot {
    /// Sends a read to the first of `copies` (live copies of its key) on
    /// a worker; when it has not answered `after` later, to the next copy
    /// too; on a transport failure, to the next copy. The first answer
    /// wins; a losing request finishes on its worker, which reads its
    /// reply and drops it.
    pub(super) fn call_hedged(
        &self,
        copies: &[usize],
        frame: &Bytes,
        op: Opcode,
        after: Duration,
    ) -> Result<Reply, Error> {
        let (done, outcomes) = mpsc::channel();
        // Held while another copy may still be asked: once the last one
        // is, only the workers hold senders, so a request that no worker
        // ran ends the wait instead of hanging it (before that, the wait
        // is bounded by how long a request may take at most).
        let mut done = Some(done);
        let client = &self.servers.config.client;
        let longest = client.pool.wait_timeout
            + client.connect_timeout * client.connect_attempts.max(1)
            + client.backoff_max * client.connect_attempts
            + client.response_timeout * 2
            + Duration::from_secs(1);
        let mut next = 0;
        let mut pending = 0;
        let mut hedge_at = None;
        let mut read = CopyRead::default();
        let mut send = |next: &mut usize, hedged: bool| {
            let (Some(&index), Some(tx)) = (copies.get(*next), done.as_ref()) else {
                return false;
            };
            *next += 1;
            let (this, tx, frame) = (self.clone(), tx.clone(), frame.clone());
            self.workers.run(
                move || this.call(index, &frame, op),
                move |outcome| drop(tx.send((hedged, outcome))),
            );
            if *next == copies.len() {
                done = None;
            }
            true
        };
        loop {
            if pending == 0 {
                if !send(&mut next, false) {
                    return read.exhausted();
                }
                pending += 1;
                hedge_at = (next < copies.len()).then(|| Instant::now() + after);
            }
            let event = match hedge_at {
                Some(at) => outcomes.recv_timeout(at.saturating_duration_since(Instant::now())),
                None => match outcomes.recv_timeout(longest) {
                    Err(RecvTimeoutError::Timeout) => Err(RecvTimeoutError::Disconnected),
                    event => event,
                },
            };
            match event {
                Err(RecvTimeoutError::Timeout) => {
                    hedge_at = None;
                    if send(&mut next, true) {
                        pending += 1;
                        self.hedges.sent();
                        gibson_observe::hedge_sent();
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(read.failure().unwrap_or_else(super::servers::lost));
                }
                Ok((hedged, outcome)) => {
                    pending -= 1;
                    if let Some(answer) = read.settle(outcome) {
                        if hedged {
                            self.hedges.won();
                            gibson_observe::hedge_won();
                        }
                        return answer;
                    }
                }
            }
        }
    }
}
