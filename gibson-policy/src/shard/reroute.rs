//! The requests of a dead server sent to the live ones instead: with
//! `remove_failed`, a keyed request that was never written to its server
//! goes, in the same call, to the server its key moved to; with
//! `replicas`, a read that failed goes to the next live copy of its key.

use std::time::Instant;

use bytes::BytesMut;

use gibson_proto::{
    frame::{frame_key, frame_opcode},
    Error, Reply,
};

use super::split::into_batches;
use super::{Router, ServerBatch};

/// Requests moved off the servers that failed them: one
/// [`ServerBatch`] per server to send, and where each reply goes back.
///
/// ```
/// use std::time::Instant;
/// use gibson_policy::shard::{Router, ShardConfig};
/// use gibson_proto::{Error, Limits, Pipeline, Reply, Value};
///
/// let config: ShardConfig = "a:1,b:2?failure_limit=1&remove_failed=true".parse()?;
/// let mut router = Router::new(&config);
/// let now = Instant::now();
/// let mut p = Pipeline::new(Limits::default());
/// let get = p.get::<String>("k");
/// let split = config.ring().split(&p)?;
/// let home = config.ring().index_for(b"k").unwrap();
/// // The key's server refused the connection: nothing was written.
/// let refused = Error::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
/// let mut replies: Vec<_> = split.batches().iter().enumerate()
///     .map(|(i, batch)| match i == home {
///         true => router.settle_batch(i, batch.len(), Err(refused.clone()), now),
///         false => Vec::new(),
///     })
///     .collect();
/// let reroute = router.reroute(split.batches(), &replies, now);
/// assert_eq!(reroute.batches()[1 - home].len(), 1); // to the live server
/// // The live server answers the moved GET.
/// let answers = (0..2)
///     .map(|i| match i == home {
///         true => Vec::new(),
///         false => vec![Ok(Reply::Value(Value::from("v")))],
///     })
///     .collect();
/// reroute.finish(&mut replies, answers);
/// let mut results = split.finish(p, replies, Default::default());
/// assert_eq!(results.take(get)?.as_deref(), Some("v"));
/// # Ok::<(), gibson_proto::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Reroute {
    batches: Vec<ServerBatch>,
    /// For each moved request: (its server, its place there), then
    /// (its new server, its place in that batch).
    moved: Vec<((usize, usize), (usize, usize))>,
}

impl Router {
    /// The requests of `batches` (one per server, as sent) whose outcome in
    /// `replies` is a failure that [`moves`](Router::moves) them at `now`:
    /// each goes to the server [`server_for`](Router::server_for) gives its
    /// key now. A prefix command's part stays failed (its merge leaves the
    /// server out or fails, as configured); so does a request with nowhere
    /// else to go.
    pub fn reroute(
        &mut self,
        batches: &[ServerBatch],
        replies: &[Vec<Result<Reply, Error>>],
        now: Instant,
    ) -> Reroute {
        let servers = batches.len();
        let mut frames = vec![BytesMut::new(); servers];
        let mut opcodes = vec![Vec::new(); servers];
        let mut moved = Vec::new();
        for (from, (batch, outcomes)) in batches.iter().zip(replies).enumerate() {
            for (at, ((op, frame), outcome)) in batch.requests().zip(outcomes).enumerate() {
                let Err(err) = outcome else { continue };
                let Some(to) = self.moved_to(from, frame, err, now) else {
                    continue;
                };
                if to >= servers {
                    continue;
                }
                moved.push(((from, at), (to, opcodes[to].len())));
                frames[to].extend_from_slice(frame);
                opcodes[to].push(op);
            }
        }
        let batches = into_batches(frames, opcodes);
        Reroute { batches, moved }
    }
}

impl Router {
    /// Where the request `frame`, which failed with `err` on server
    /// `index`, goes now: with `replicas`, a read (GET, META) that failed
    /// on a transport failure goes to the next live copy of its key;
    /// otherwise `Some` when it [`moves`](Router::moves) and has a
    /// key, whose server is another one now; `None` for a prefix command
    /// (its merge leaves the server out, or fails, as configured) and a
    /// request with nowhere else to go.
    ///
    /// ```
    /// use std::time::Instant;
    /// use gibson_policy::shard::{Router, ShardConfig};
    /// use gibson_proto::{cmd, Error, Limits, Reply};
    ///
    /// let config: ShardConfig = "a:1,b:2?failure_limit=1&remove_failed=true".parse()?;
    /// let mut router = Router::new(&config);
    /// let get = config.ring().route(&cmd::Get::<_>::new("k"), &Limits::default())?;
    /// let home = config.ring().index_for(b"k").unwrap();
    /// let now = Instant::now();
    /// let refused = Error::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
    /// let err = router.settle(home, Err::<Reply, _>(refused), now).unwrap_err();
    /// assert_eq!(router.moved_to(home, &get.frame, &err, now), Some(1 - home));
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn moved_to(
        &mut self,
        index: usize,
        frame: &[u8],
        err: &Error,
        now: Instant,
    ) -> Option<usize> {
        if let Some(to) = self.next_copy(index, frame, err, now) {
            return Some(to);
        }
        if !self.moves(index, err, now) {
            return None;
        }
        let key = frame_key(frame)?;
        if frame_opcode(frame).ok()?.is_fan_out() {
            return None;
        }
        self.server_for(key, now).ok().filter(|&to| to != index)
    }
}

impl Reroute {
    /// `true` when no request moved: nothing more to send.
    pub fn is_empty(&self) -> bool {
        self.moved.is_empty()
    }

    /// The moved requests, one batch per server (empty for most).
    pub fn batches(&self) -> &[ServerBatch] {
        &self.batches
    }

    /// Puts the outcomes of the moved requests (`rerouted`: one list per
    /// batch of [`batches`](Reroute::batches)) in `replies` (one list per
    /// original batch), where their first outcomes were. A missing outcome
    /// leaves the first one.
    pub fn finish(
        self,
        replies: &mut [Vec<Result<Reply, Error>>],
        rerouted: Vec<Vec<Result<Reply, Error>>>,
    ) {
        let mut rerouted: Vec<Vec<Option<Result<Reply, Error>>>> = rerouted
            .into_iter()
            .map(|list| list.into_iter().map(Some).collect())
            .collect();
        for ((from, at), (to, there)) in self.moved {
            let outcome = rerouted
                .get_mut(to)
                .and_then(|list| list.get_mut(there))
                .and_then(Option::take);
            if let (Some(outcome), Some(slot)) =
                (outcome, replies.get_mut(from).and_then(|l| l.get_mut(at)))
            {
                *slot = outcome;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::ShardConfig;

    #[test]
    fn only_requests_never_written_move() {
        use gibson_proto::{Limits, Pipeline};
        let config: ShardConfig = "a:1,b:2,c:3?failure_limit=1&remove_failed=true"
            .parse()
            .unwrap();
        let ring = config.ring();
        let mut r = Router::new(&config);
        let t = Instant::now();
        let keys: Vec<String> = (0..60).map(|i| format!("k{i}")).collect();
        let mut p = Pipeline::new(Limits::default());
        for k in &keys {
            let _ = p.get::<String>(k.as_str());
        }
        let _ = p.count("k");
        let split = ring.split(&p).unwrap();
        let refused = Error::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let timeout = Error::Timeout {
            what: "response",
            after: std::time::Duration::from_secs(1),
        };
        // Server 0 refused (never written), server 2 timed out (written).
        let replies: Vec<_> = split
            .batches()
            .iter()
            .enumerate()
            .map(|(i, b)| match i {
                0 => r.settle_batch(0, b.len(), Err(refused.clone()), t),
                2 => r.settle_batch(2, b.len(), Err(timeout.clone()), t),
                _ => vec![Ok(Reply::Ok); b.len()],
            })
            .collect();
        assert!(!r.is_live(0, t) && !r.is_live(2, t));
        let reroute = r.reroute(split.batches(), &replies, t);
        let on_zero = keys
            .iter()
            .filter(|k| ring.index_for(k.as_bytes()) == Some(0))
            .count();
        // Server 0's GETs go to server 1; its COUNT part and server 2's
        // written requests stay failed.
        assert_eq!(reroute.batches()[1].len(), on_zero);
        assert!(reroute.batches()[0].is_empty() && reroute.batches()[2].is_empty());
        let mut replies = replies;
        let answers = vec![Vec::new(), vec![Ok(Reply::Ok); on_zero], Vec::new()];
        reroute.finish(&mut replies, answers);
        let zero = &replies[0];
        assert_eq!(zero.iter().filter(|r| r.is_ok()).count(), on_zero);
        assert!(zero.last().unwrap().is_err(), "COUNT's part stays failed");
        assert!(replies[2].iter().all(Result::is_err));
    }
}
