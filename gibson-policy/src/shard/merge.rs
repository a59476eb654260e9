//! Merging the replies of a fan-out into the one reply a single server
//! holding all the data would have sent.
//!
//! The rule is on [`FanOut`].

use gibson_proto::{Error, Opcode, Reply, ServerError, Value};

use super::pairs::{concat, reindex};
use super::Partial;

/// How the replies of a command sent to every server are merged. Made by
/// routing ([`HashRing::route`](crate::HashRing::route)), or with
/// [`FanOut::new`].
///
/// The rule, in order (the first that applies decides):
///
/// 1. A server whose outcome is an `Err` is *missing* (see [`Partial`]);
///    the others are merged, and [`OnMissing`](super::OnMissing) decides
///    whether a missing server fails the whole. If none answered, the
///    value is the first missing server's error. So transport failures and
///    timeouts win over anything the servers said.
/// 2. A reply of a kind the command cannot get (a KVAL to a COUNT, say) is
///    the merged reply, so that decoding it reports the protocol error.
/// 3. An error code other than NOT_FOUND is the merged reply, the most
///    serious first: ERR (malformed request), MEM (out of memory), NAN,
///    LOCKED. A merged count would hide that a server failed its part.
/// 4. NOT_FOUND when every server that answered said NOT_FOUND.
/// 5. Otherwise the values of the others (NOT_FOUND ones add nothing):
///    * COUNT, MSET, MTTL, MDEL, MINC, MDEC, MLOCK, MUNLOCK: the sum;
///    * MGET: the pairs in server order, at most the command's limit;
///    * KEYS: the names in server order, indexed again `0..n`;
///    * with copies ([`FanOut::with_copies`], a client with `replicas`):
///      MGET and KEYS keep each key once, the first server's copy (in
///      the ring's server order);
///    * PING, END: OK;
///    * STATS: the first server's (per server: [`stats_per_server`](super::stats_per_server)).
///
/// ```
/// use gibson_proto::{Opcode, Reply, ServerError, Value};
/// use gibson_policy::shard::FanOut;
///
/// let count = FanOut::new(Opcode::Count, None);
/// let merged = count.merge(vec![
///     Ok(Reply::Value(Value::Int(2))),
///     Ok(Reply::Error(ServerError::NotFound)),
///     Ok(Reply::Value(Value::Int(3))),
/// ]);
/// assert_eq!(merged.value.unwrap(), Reply::Value(Value::Int(5)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanOut {
    pub(super) opcode: Opcode,
    pub(super) limit: Option<u32>,
    /// A key may be on several servers: MGET and KEYS keep it once.
    pub(super) copies: bool,
}

impl FanOut {
    /// The fan-out of `opcode` (any opcode; see
    /// [`Opcode::is_fan_out`]) with, for MGET, the limit it was sent
    /// with (`None` for every match).
    pub fn new(opcode: Opcode, limit: Option<u32>) -> FanOut {
        FanOut {
            opcode,
            limit,
            copies: false,
        }
    }

    /// The same fan-out over servers that hold copies of keys (a client
    /// with `replicas`): MGET and KEYS keep each key once.
    ///
    /// ```
    /// use gibson_policy::shard::FanOut;
    /// use gibson_proto::Opcode;
    /// let keys = FanOut::new(Opcode::Keys, None);
    /// assert!(!keys.has_copies() && keys.with_copies().has_copies());
    /// ```
    pub fn with_copies(self) -> FanOut {
        FanOut {
            copies: true,
            ..self
        }
    }

    /// `true` when MGET and KEYS keep each key once
    /// ([`with_copies`](FanOut::with_copies)).
    pub fn has_copies(&self) -> bool {
        self.copies
    }

    /// The command's opcode.
    pub fn opcode(&self) -> Opcode {
        self.opcode
    }

    /// MGET's limit, `None` for every match (and for other commands).
    pub fn limit(&self) -> Option<u32> {
        self.limit
    }

    /// Merges one outcome per server, in the ring's server order.
    ///
    /// ```
    /// use gibson_policy::shard::{FanOut, OnMissing};
    /// use gibson_proto::{Error, Opcode, Reply, ServerError};
    ///
    /// let mdel = FanOut::new(Opcode::Mdel, None);
    /// let merged = mdel.merge(vec![
    ///     Ok(Reply::Error(ServerError::NotFound)),
    ///     Err(Error::ConnectionClosed { in_reply: false }),
    ///     Ok(Reply::Error(ServerError::NotFound)),
    /// ]);
    /// assert_eq!(merged.missing_servers().collect::<Vec<_>>(), [1]);
    /// assert_eq!(merged.clone().resolve(OnMissing::Partial).unwrap(), Reply::Error(ServerError::NotFound));
    /// assert!(merged.resolve(OnMissing::Fail).is_err());
    /// ```
    pub fn merge(&self, replies: Vec<Result<Reply, Error>>) -> Partial<Reply> {
        let mut answers = Vec::with_capacity(replies.len());
        let mut missing = Vec::new();
        for (index, outcome) in replies.into_iter().enumerate() {
            match outcome {
                Ok(reply) => answers.push(reply),
                Err(err) => missing.push((index, err)),
            }
        }
        let value = match missing.first() {
            Some((_, err)) if answers.is_empty() => Err(err.clone()),
            None if answers.is_empty() => Err(Error::invalid(
                "replies",
                "a fan-out over no server has nothing to merge",
            )),
            _ => self.merge_answers(answers),
        };
        Partial { value, missing }
    }

    /// Rules 2 to 5 over the replies of the servers that answered.
    fn merge_answers(&self, answers: Vec<Reply>) -> Result<Reply, Error> {
        if let Some(odd) = answers.iter().find(|r| !self.expects(r)) {
            return Ok(odd.clone());
        }
        if let Some(kind) = answers
            .iter()
            .filter_map(|r| match r {
                Reply::Error(kind) if *kind != ServerError::NotFound => Some(*kind),
                _ => None,
            })
            .min_by_key(|kind| seriousness(*kind))
        {
            return Ok(Reply::Error(kind));
        }
        let found: Vec<Reply> = answers
            .into_iter()
            .filter(|r| *r != Reply::Error(ServerError::NotFound))
            .collect();
        if found.is_empty() {
            return Ok(Reply::Error(ServerError::NotFound));
        }
        let pairs = || {
            found.iter().filter_map(|r| match r {
                Reply::Pairs(p) => Some(p.clone()),
                _ => None,
            })
        };
        match self.opcode {
            Opcode::Mget => concat(pairs(), self.limit, self.copies),
            Opcode::Keys => reindex(pairs(), self.copies),
            Opcode::Stats | Opcode::Ping | Opcode::End => {
                Ok(found.into_iter().next().unwrap_or(Reply::Ok))
            }
            _ => Ok(Reply::Value(Value::Int(
                found
                    .iter()
                    .filter_map(|r| match r {
                        Reply::Value(Value::Int(n)) => Some(*n),
                        _ => None,
                    })
                    .fold(0i64, i64::saturating_add),
            ))),
        }
    }

    /// `true` for a reply this command can get from one server: an error
    /// code, or the kind of its success.
    fn expects(&self, reply: &Reply) -> bool {
        match (self.opcode, reply) {
            (_, Reply::Error(_)) => true,
            (Opcode::Mget | Opcode::Keys | Opcode::Stats, Reply::Pairs(_)) => true,
            (Opcode::Ping | Opcode::End, Reply::Ok) => true,
            (Opcode::Mget | Opcode::Keys | Opcode::Stats | Opcode::Ping | Opcode::End, _) => false,
            // The counts, and any keyed command merged on purpose: a number.
            (_, reply) => matches!(reply, Reply::Value(Value::Int(_))),
        }
    }
}

/// Lower is more serious: ERR, MEM, NAN, LOCKED (NOT_FOUND is not an error
/// here).
fn seriousness(kind: ServerError) -> u8 {
    match kind {
        ServerError::Err => 0,
        ServerError::Mem => 1,
        ServerError::Nan => 2,
        ServerError::Locked => 3,
        ServerError::NotFound => 4,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::shard::OnMissing;

    fn int(n: i64) -> Result<Reply, Error> {
        Ok(Reply::Value(Value::Int(n)))
    }

    fn code(kind: ServerError) -> Result<Reply, Error> {
        Ok(Reply::Error(kind))
    }

    fn timeout() -> Error {
        Error::Timeout {
            what: "response",
            after: Duration::from_millis(5),
        }
    }

    #[test]
    fn counts_are_summed_and_not_found_needs_everyone() {
        use ServerError::NotFound;
        for op in [
            Opcode::Count,
            Opcode::Mset,
            Opcode::Mttl,
            Opcode::Mdel,
            Opcode::Minc,
            Opcode::Mdec,
            Opcode::Mlock,
            Opcode::Munlock,
        ] {
            let f = FanOut::new(op, None);
            let m = f.merge(vec![int(1), code(NotFound), int(4)]);
            assert!(m.is_complete());
            assert_eq!(m.value.unwrap(), Reply::Value(Value::Int(5)), "{op}");
            let none = f.merge(vec![code(NotFound), code(NotFound)]);
            assert_eq!(none.value.unwrap(), Reply::Error(NotFound), "{op}");
            assert_eq!(
                f.merge(vec![code(NotFound), int(0)]).value.unwrap(),
                Reply::Value(Value::Int(0))
            );
        }
    }

    #[test]
    fn which_error_wins() {
        use ServerError::*;
        let f = FanOut::new(Opcode::Mdel, None);
        // Server errors over NOT_FOUND and over values, most serious first.
        let m = f.merge(vec![int(3), code(Locked), code(NotFound), code(Mem)]);
        assert_eq!(m.value.unwrap(), Reply::Error(Mem));
        let m = f.merge(vec![code(Nan), code(Err), code(Locked)]);
        assert_eq!(m.value.unwrap(), Reply::Error(Err));
        // A reply of the wrong kind over the error codes.
        let m = f.merge(vec![code(Err), Ok(Reply::Ok)]);
        assert_eq!(m.value.unwrap(), Reply::Ok);
        // Transport failures: the server is missing; failing mode gives
        // its error over everything the others said.
        let m = f.merge(vec![code(Mem), Result::Err(timeout()), int(1)]);
        assert_eq!(m.missing_servers().collect::<Vec<_>>(), [1]);
        assert!(m.clone().resolve(OnMissing::Fail).unwrap_err().is_timeout());
        assert_eq!(m.resolve(OnMissing::Partial).unwrap(), Reply::Error(Mem));
        // Nobody answered: the first missing server's error either way.
        let m = f.merge(vec![
            Result::Err(timeout()),
            Result::Err(Error::ConnectionClosed { in_reply: false }),
        ]);
        assert!(m.value.unwrap_err().is_timeout());
        assert!(f.merge(Vec::new()).value.is_err());
    }

    #[test]
    fn ping_end_and_stats() {
        let ping = FanOut::new(Opcode::Ping, None);
        assert_eq!(
            ping.merge(vec![Ok(Reply::Ok), Ok(Reply::Ok)])
                .value
                .unwrap(),
            Reply::Ok
        );
        assert_eq!(
            ping.merge(vec![Ok(Reply::Ok), int(1)]).value.unwrap(),
            Reply::Value(Value::Int(1))
        );
        let end = FanOut::new(Opcode::End, None);
        let m = end.merge(vec![Ok(Reply::Ok), Result::Err(timeout())]);
        assert_eq!(m.value.unwrap(), Reply::Ok);
    }
}
