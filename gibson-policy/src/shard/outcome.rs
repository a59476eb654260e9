//! What a sharded client does with the outcome of a request to one
//! server: record it as that server's health, and name the server in a
//! transport failure.

use std::sync::Arc;
use std::time::Instant;

use gibson_proto::{Error, Reply};

use super::{counts_as_failure, Router};

impl Router {
    /// Records the outcome of one request to server `index` (see
    /// [`record`](Router::record)) and returns it, a transport failure
    /// named after the server ([`Error::OnServer`]).
    ///
    /// ```
    /// use std::time::Instant;
    /// use gibson_policy::shard::{Router, ShardConfig};
    /// use gibson_proto::{Error, Reply};
    /// let mut router = Router::new(&"a:1,b:2?failure_limit=1".parse::<ShardConfig>()?);
    /// let now = Instant::now();
    /// let err = router.settle(1, Err::<Reply, _>(Error::ConnectionClosed { in_reply: false }), now);
    /// assert_eq!(err.unwrap_err().server(), Some("b:2"));
    /// assert!(!router.is_live(1, now));
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn settle<T>(
        &mut self,
        index: usize,
        outcome: Result<T, Error>,
        now: Instant,
    ) -> Result<T, Error> {
        self.record(index, outcome.as_ref().map(drop), now);
        outcome.map_err(|e| self.named(index, e))
    }

    /// Records the outcome of a batch of `len` requests to server `index`
    /// (failed when it could not run, or when a reply is a transport
    /// failure) and returns one outcome per request, transport failures
    /// named after the server.
    ///
    /// ```
    /// use std::time::Instant;
    /// use gibson_policy::shard::{Router, ShardConfig};
    /// use gibson_proto::{Error, Reply};
    /// let mut router = Router::new(&"a:1,b:2".parse::<ShardConfig>()?);
    /// let replies = router.settle_batch(0, 2, Err(Error::ConnectionClosed { in_reply: false }), Instant::now());
    /// assert_eq!(replies.len(), 2);
    /// assert!(replies.iter().all(|r| r.as_ref().unwrap_err().server() == Some("a:1")));
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn settle_batch(
        &mut self,
        index: usize,
        len: usize,
        outcome: Result<Vec<Result<Reply, Error>>, Error>,
        now: Instant,
    ) -> Vec<Result<Reply, Error>> {
        let health = match &outcome {
            Ok(replies) => replies
                .iter()
                .filter_map(|r| r.as_ref().err())
                .find(|e| counts_as_failure(e))
                .map_or(Ok(()), Err),
            Err(e) => Err(e),
        };
        self.record(index, health, now);
        match outcome {
            Ok(replies) => replies
                .into_iter()
                .map(|r| r.map_err(|e| self.named(index, e)))
                .collect(),
            Err(e) => vec![Err(self.named(index, e)); len],
        }
    }

    /// `err` from server `index`, named after it when it is a transport
    /// failure that does not name a server yet.
    fn named(&self, index: usize, err: Error) -> Error {
        if counts_as_failure(&err) && err.server().is_none() {
            Error::OnServer {
                server: self.name(index).to_string(),
                cause: Arc::new(err),
            }
        } else {
            err
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::ShardConfig;

    const CLOSED: Error = Error::ConnectionClosed { in_reply: false };

    #[test]
    fn transport_failures_name_their_server_and_answers_do_not() {
        let config: ShardConfig = "a:1,b:2".parse().unwrap();
        let mut r = Router::new(&config);
        let t = Instant::now();
        let err = r.settle(1, Err::<(), _>(CLOSED), t).unwrap_err();
        assert_eq!(err.server(), Some("b:2"));
        assert!(err.is_connection_broken() && err.is_retryable());
        assert_eq!(err.to_string(), "server b:2: connection closed");
        let answer = Error::Server {
            command: gibson_proto::Opcode::Get,
            kind: gibson_proto::ServerError::Locked,
        };
        let err = r.settle(0, Err::<(), _>(answer), t).unwrap_err();
        assert!(err.is_locked() && err.server().is_none(), "{err}");
        // A batch that ran: its transport failures counted and named.
        let replies = vec![Ok(Reply::Ok), Err(CLOSED)];
        let out = r.settle_batch(0, 2, Ok(replies), t);
        assert!(out[0].is_ok());
        assert_eq!(out[1].as_ref().unwrap_err().server(), Some("a:1"));
    }
}
