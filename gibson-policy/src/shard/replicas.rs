//! Copies of each key on the next servers of the ring (`replicas`): which
//! servers a write goes to, which one a read asks first, and which reply
//! of several copies is the answer.

use std::time::Instant;

use gibson_proto::{
    frame::{frame_key, frame_opcode},
    Error, Opcode, Pipeline, Reply,
};

use crate::ring::HashRing;

use super::split::{split_by, SplitPipeline, Target};
use super::{counts_as_failure, FanOut, Route, Routed, Router};

impl HashRing {
    /// The servers holding `key` with `replicas` copies: its server, then
    /// the next `replicas` distinct servers clockwise on the ring (fewer
    /// when the ring has fewer servers), as libmemcached places replicas.
    ///
    /// ```
    /// use gibson_policy::HashRing;
    /// let ring = HashRing::new(["a:1", "b:2", "c:3"]);
    /// let copies = ring.copies_for(b"user:42", 1);
    /// assert_eq!(copies.len(), 2);
    /// assert_eq!(copies[0], ring.index_for(b"user:42").unwrap());
    /// assert_ne!(copies[0], copies[1]);
    /// assert_eq!(ring.copies_for(b"user:42", 5).len(), 3);
    /// ```
    pub fn copies_for(&self, key: &[u8], replicas: usize) -> Vec<usize> {
        let points = self.points();
        if points.is_empty() {
            return Vec::new();
        }
        let want = replicas.saturating_add(1).min(self.servers().len());
        let hash = self.distribution().key_hash(key);
        let start = points.partition_point(|&(p, _)| p < hash);
        let mut copies = Vec::with_capacity(want);
        for step in 0..points.len() {
            let (_, index) = points[(start + step) % points.len()];
            if !copies.contains(&index) {
                copies.push(index);
                if copies.len() == want {
                    break;
                }
            }
        }
        copies
    }
}

/// Where a request goes at a given time, with copies of keys taken into
/// account (see [`Router::plan`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// To this server alone: no copies (`replicas=0`), or every copy of
    /// the key is dead and this is where the failure rules send it.
    One(usize),
    /// A read (GET, META): the live copies, in ring order. Ask the first;
    /// on a transport failure (or after the hedge delay) the next.
    Read(Vec<usize>),
    /// A write: to each of these live copies at once; the reply is the
    /// [`first_answer`] in this order.
    Write(Vec<usize>),
    /// To every server, the replies merged.
    Every(FanOut),
}

/// `true` for the keyed commands that only read: GET and META.
fn reads(opcode: Opcode) -> bool {
    matches!(opcode, Opcode::Get | Opcode::Meta)
}

/// The outcome of a request sent to several copies of a key, from their
/// outcomes in copy order: the first reply a copy answered (whatever it
/// says, a server error code included), or when none answered the first
/// failure. An empty list is an [`Error::InvalidArgument`] named
/// `replicas`.
///
/// ```
/// use gibson_policy::shard::first_answer;
/// use gibson_proto::{Error, Reply};
/// let closed = || Err(Error::ConnectionClosed { in_reply: false });
/// assert_eq!(first_answer([closed(), Ok(Reply::Ok)]).unwrap(), Reply::Ok);
/// assert!(first_answer([closed(), closed()]).unwrap_err().is_connection_broken());
/// ```
pub fn first_answer(
    outcomes: impl IntoIterator<Item = Result<Reply, Error>>,
) -> Result<Reply, Error> {
    let mut failure = None;
    for outcome in outcomes {
        match outcome {
            Ok(reply) => return Ok(reply),
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    Err(failure.unwrap_or_else(|| Error::invalid("replicas", "no copy to send the request to")))
}

/// A read asked of the copies of its key, one after another or raced:
/// which outcomes end it, and its outcome when every copy failed.
///
/// ```
/// use gibson_policy::shard::CopyRead;
/// use gibson_proto::{Error, Reply};
/// let mut read = CopyRead::default();
/// // The first copy's connection broke: ask the next one.
/// assert!(read.settle(Err(Error::ConnectionClosed { in_reply: false })).is_none());
/// // The next one answered: that ends the read.
/// assert_eq!(read.settle(Ok(Reply::Ok)).unwrap().unwrap(), Reply::Ok);
/// // Had none answered, the first failure would be the read's.
/// let mut read = CopyRead::default();
/// read.settle(Err(Error::ConnectionClosed { in_reply: false }));
/// assert!(read.exhausted().unwrap_err().is_connection_broken());
/// ```
#[derive(Debug, Default)]
pub struct CopyRead {
    failure: Option<Error>,
}

impl CopyRead {
    /// `Some(outcome)` when `outcome`, one copy's, ends the read (an
    /// answer, or an error of the server's own); `None` when the copy
    /// failed ([`counts_as_failure`](super::counts_as_failure), or it was
    /// known dead) and the next copy is to be asked.
    pub fn settle(&mut self, outcome: Result<Reply, Error>) -> Option<Result<Reply, Error>> {
        match outcome {
            Err(e) if super::counts_as_failure(&e) || matches!(e, Error::ServerDown { .. }) => {
                self.failure.get_or_insert(e);
                None
            }
            outcome => Some(outcome),
        }
    }

    /// The read's outcome when no copy is left to ask: the first failure.
    pub fn exhausted(self) -> Result<Reply, Error> {
        first_answer(self.failure.map(Err))
    }

    /// The first failure, if a copy failed.
    pub fn failure(self) -> Option<Error> {
        self.failure
    }
}

/// The error for COUNT with copies.
fn count_refused() -> Error {
    Error::invalid(
        "replicas",
        "COUNT would count every copy of a key; count the names KEYS returns instead",
    )
}

impl Router {
    /// Copies of each key besides its own server's.
    pub fn replicas(&self) -> usize {
        self.replicas
    }

    /// Where `routed` goes at `now`. Without replicas: as
    /// [`place`](Router::place) says ([`Plan::One`] or [`Plan::Every`]).
    /// With replicas, a keyed command goes to the live copies of its key
    /// ([`Plan::Read`] for GET and META, [`Plan::Write`] for the others),
    /// or where `place` says when every copy is dead; a prefix command to
    /// every server, MGET and KEYS keeping each key once
    /// ([`FanOut::with_copies`]); COUNT is refused with
    /// [`Error::InvalidArgument`] named `replicas` (it would count the
    /// copies).
    ///
    /// ```
    /// use std::time::Instant;
    /// use gibson_policy::shard::{Plan, Router, ShardConfig};
    /// use gibson_proto::{cmd, Limits, Ttl};
    ///
    /// let config: ShardConfig = "a:1,b:2,c:3?replicas=1".parse()?;
    /// let mut router = Router::new(&config);
    /// let ring = config.ring();
    /// let now = Instant::now();
    /// let set = ring.route(&cmd::Set::new("k", "v", Ttl::Never), &Limits::default())?;
    /// assert_eq!(router.plan(&set, now)?, Plan::Write(ring.copies_for(b"k", 1)));
    /// let get = ring.route(&cmd::Get::<_>::new("k"), &Limits::default())?;
    /// assert_eq!(router.plan(&get, now)?, Plan::Read(ring.copies_for(b"k", 1)));
    /// let count = ring.route(&cmd::Count::new("k"), &Limits::default())?;
    /// assert!(router.plan(&count, now).is_err());
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn plan(&mut self, routed: &Routed, now: Instant) -> Result<Plan, Error> {
        if self.replicas == 0 {
            return Ok(match self.place(routed, now)? {
                Route::Server(index) => Plan::One(index),
                Route::Every(fan_out) => Plan::Every(fan_out),
            });
        }
        match routed.route {
            Route::Every(fan_out) if fan_out.opcode() == Opcode::Count => Err(count_refused()),
            Route::Every(fan_out) => Ok(Plan::Every(fan_out.with_copies())),
            Route::Server(_) => match self.live_copies(&routed.frame, now) {
                Some(copies) if reads(routed.opcode) => Ok(Plan::Read(copies)),
                Some(copies) => Ok(Plan::Write(copies)),
                None => self.place(routed, now).map(|route| match route {
                    Route::Server(index) => Plan::One(index),
                    Route::Every(fan_out) => Plan::Every(fan_out),
                }),
            },
        }
    }

    /// With replicas, where the read `frame` that failed with `err` on
    /// server `index` goes next: the first live copy of its key other
    /// than `index`. `None` without replicas, for a write, for a failure
    /// that is the server's answer, and when no other copy is live.
    pub(super) fn next_copy(
        &self,
        index: usize,
        frame: &[u8],
        err: &Error,
        now: Instant,
    ) -> Option<usize> {
        let failed = counts_as_failure(err) || matches!(err, Error::ServerDown { .. });
        if self.replicas == 0 || !failed || !reads(frame_opcode(frame).ok()?) {
            return None;
        }
        self.live_copies(frame, now)?
            .into_iter()
            .find(|&to| to != index)
    }

    /// The live copies of the key of `frame` at `now`, in ring order;
    /// `None` when it has no key or no copy is live.
    fn live_copies(&self, frame: &[u8], now: Instant) -> Option<Vec<usize>> {
        let key = frame_key(frame)?;
        let copies: Vec<usize> = self
            .ring()
            .copies_for(key, self.replicas)
            .into_iter()
            .filter(|&i| self.is_live(i, now))
            .collect();
        (!copies.is_empty()).then_some(copies)
    }

    /// Splits `pipeline` by server at `now`. Without replicas, as
    /// [`HashRing::split`]. With replicas, a write goes to every live copy
    /// of its key (its reply the [`first_answer`]), a read to the first
    /// live copy (not hedged; when it fails there,
    /// [`reroute`](Router::reroute) sends it to the next), a request whose
    /// copies are all dead to its key's server (whose batch then fails it,
    /// or which [`reroute`](Router::reroute) moves), a prefix command to
    /// every server as [`plan`](Router::plan) says; a COUNT fails the
    /// split with [`Error::InvalidArgument`] named `replicas`.
    ///
    /// ```
    /// use std::time::Instant;
    /// use gibson_policy::shard::{Router, ShardConfig};
    /// use gibson_proto::{Limits, Pipeline, Ttl};
    ///
    /// let config: ShardConfig = "a:1,b:2,c:3?replicas=2".parse()?;
    /// let mut router = Router::new(&config);
    /// let mut p = Pipeline::new(Limits::default());
    /// let _ = p.set("k", "v", Ttl::Never);
    /// let _ = p.get::<String>("k");
    /// let split = router.split(&p, Instant::now())?;
    /// // The SET on each of the three servers, the GET on one.
    /// let sent: usize = split.batches().iter().map(|b| b.len()).sum();
    /// assert_eq!(sent, 4);
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn split(&mut self, pipeline: &Pipeline, now: Instant) -> Result<SplitPipeline, Error> {
        if self.replicas == 0 {
            return self.ring().split(pipeline);
        }
        let servers = self.ring().servers().len();
        split_by(servers, pipeline, |frame| {
            let route = self.ring().route_frame(frame)?;
            let opcode = frame_opcode(frame).map_err(|e| Error::invalid("frame", e))?;
            Ok(match route {
                Route::Every(fan_out) if fan_out.opcode() == Opcode::Count => {
                    return Err(count_refused())
                }
                Route::Every(fan_out) => Target::Every(fan_out.with_copies()),
                Route::Server(home) => match self.live_copies(frame, now) {
                    Some(copies) if reads(opcode) => Target::One(copies[0]),
                    Some(copies) => Target::Copies(copies),
                    None => Target::One(home),
                },
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::ShardConfig;
    use gibson_proto::{cmd, Limits, LockTime, Ttl};

    #[test]
    fn copies_are_distinct_and_start_at_the_keys_server() {
        let ring = HashRing::new((0..5).map(|i| format!("10.0.0.{i}:10128")));
        for i in 0..500 {
            let key = format!("k{i}");
            let copies = ring.copies_for(key.as_bytes(), 2);
            assert_eq!(copies.len(), 3);
            assert_eq!(Some(copies[0]), ring.index_for(key.as_bytes()));
            let mut sorted = copies.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), 3, "{copies:?}");
        }
        assert!(HashRing::default().copies_for(b"k", 1).is_empty());
    }

    /// The router and ring of `url`, and a time.
    fn setup(url: &str) -> (Router, HashRing, Instant) {
        let config: ShardConfig = url.parse().unwrap();
        (Router::new(&config), config.ring(), Instant::now())
    }

    #[test]
    fn zero_replicas_plans_as_before() {
        let (mut r, ring, t) = setup("a:1,b:2,c:3");
        for i in 0..100 {
            let k = format!("k{i}");
            let get = ring
                .route(&cmd::Get::<_>::new(k.as_str()), &Limits::default())
                .unwrap();
            let Route::Server(home) = get.route else {
                panic!()
            };
            assert_eq!(r.plan(&get, t).unwrap(), Plan::One(home));
        }
        let count = ring
            .route(&cmd::Count::new("k"), &Limits::default())
            .unwrap();
        assert!(matches!(r.plan(&count, t).unwrap(), Plan::Every(f) if !f.has_copies()));
    }

    #[test]
    fn dead_copies_are_skipped_and_every_write_is_a_write() {
        let (mut r, ring, t) = setup("a:1,b:2,c:3?replicas=1&failure_limit=1");
        let l = Limits::default();
        let copies = ring.copies_for(b"k", 1);
        let writes = [
            ring.route(&cmd::Set::new("k", "v", Ttl::Never), &l),
            ring.route(&cmd::SetTtl::new("k", Ttl::Never), &l),
            ring.route(&cmd::Del::new("k"), &l),
            ring.route(&cmd::Inc::new("k"), &l),
            ring.route(&cmd::Dec::new("k"), &l),
            ring.route(&cmd::Lock::new("k", LockTime::UntilUnlock), &l),
            ring.route(&cmd::Unlock::new("k"), &l),
        ];
        for w in &writes {
            let w = w.as_ref().unwrap();
            assert_eq!(r.plan(w, t).unwrap(), Plan::Write(copies.clone()));
        }
        let kill = |r: &mut Router, i: usize| {
            r.record(
                i,
                Err::<(), _>(&Error::ConnectionClosed { in_reply: false }),
                t,
            )
        };
        kill(&mut r, copies[0]);
        let get = ring.route(&cmd::Get::<_>::new("k"), &l).unwrap();
        assert_eq!(r.plan(&get, t).unwrap(), Plan::Read(vec![copies[1]]));
        // A read that failed on its first copy goes to the next; a write
        // does not move.
        let timeout = Error::Timeout {
            what: "response",
            after: std::time::Duration::from_millis(1),
        };
        assert_eq!(
            r.moved_to(copies[0], &get.frame, &timeout, t),
            Some(copies[1])
        );
        let del = writes[2].as_ref().unwrap();
        assert_eq!(r.moved_to(copies[0], &del.frame, &timeout, t), None);
        kill(&mut r, copies[1]);
        assert!(matches!(r.plan(&get, t), Err(Error::ServerDown { .. })));
        let mget = ring.route(&cmd::Mget::<_>::new("k"), &l).unwrap();
        assert!(matches!(r.plan(&mget, t).unwrap(), Plan::Every(f) if f.has_copies()));
    }
}
