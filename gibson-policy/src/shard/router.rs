//! Which server a key goes to when servers fail: each server's health
//! (consecutive failures, dead until when), and the ring of the live ones
//! when a dead server's keys are remapped.
//!
//! Pure: the caller passes the time and reports each outcome.

use std::time::Instant;

use gibson_proto::{frame::frame_key, Error};

use crate::ring::HashRing;

use super::config::ShardConfig;
use super::route::{Route, Routed};

/// One server's health.
#[derive(Debug, Clone, Default)]
struct Health {
    /// Failures since the last success.
    failures: u32,
    /// Marked dead until then.
    dead_until: Option<Instant>,
}

/// Routes keys to servers and keeps their health (libmemcached's
/// `server_failure_limit`, `retry_timeout` and `remove_failed`).
///
/// A server is marked dead after `failure_limit` consecutive failures
/// ([`counts_as_failure`]); for `retry_timeout` its keys then fail fast
/// with [`Error::ServerDown`] or, with `remove_failed`, go to the live
/// servers (placed as if the dead ones were not on the ring, so that only
/// their keys move). Once the time is up, requests try it again: one
/// success makes it live, one failure dead again.
///
/// ```
/// use std::time::{Duration, Instant};
/// use gibson_policy::shard::{Router, ShardConfig};
/// use gibson_proto::Error;
///
/// let config: ShardConfig = "a:1,b:2?failure_limit=1&retry_timeout=5s".parse()?;
/// let mut router = Router::new(&config);
/// let now = Instant::now();
/// let key = b"user:42";
/// let home = router.server_for(key, now)?;
/// router.record(home, Err::<(), _>(&Error::ConnectionClosed { in_reply: false }), now);
/// assert!(matches!(router.server_for(key, now), Err(Error::ServerDown { .. })));
/// // Five seconds later, the server is tried again.
/// assert_eq!(router.server_for(key, now + Duration::from_secs(5))?, home);
/// # Ok::<(), gibson_proto::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Router {
    ring: HashRing,
    health: Vec<Health>,
    failure_limit: u32,
    retry_timeout: std::time::Duration,
    remove_failed: bool,
    /// Copies of each key besides its own server's.
    pub(super) replicas: usize,
    /// The ring of the live servers (their indexes on the full ring), for
    /// the set of dead ones it was built for.
    live: Option<(Vec<bool>, HashRing, Vec<usize>)>,
}

/// `true` for the errors that count against a server's health: the
/// transport's (I/O, closed connections, timeouts, a broken protocol, no
/// connection free), never the server's answers.
///
/// ```
/// use gibson_policy::shard::counts_as_failure;
/// use gibson_proto::Error;
/// assert!(counts_as_failure(&Error::ConnectionClosed { in_reply: false }));
/// assert!(!counts_as_failure(&Error::invalid("key", "too long")));
/// ```
pub fn counts_as_failure(err: &Error) -> bool {
    err.is_connection_broken() || matches!(err.root(), Error::PoolExhausted { .. })
}

/// `true` for the failures that prove a request was never written to its
/// server (so that it may go to another one): a server known to be dead,
/// a connection refused, a connect that timed out. A request that was
/// written may have run; it is never sent elsewhere.
///
/// ```
/// use gibson_policy::shard::never_sent;
/// use gibson_proto::Error;
/// let refused = Error::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
/// assert!(never_sent(&refused));
/// assert!(!never_sent(&Error::ConnectionClosed { in_reply: false }));
/// ```
pub fn never_sent(err: &Error) -> bool {
    if let Error::NotSent { .. } = err {
        return true;
    }
    if let Error::OnServer { cause, .. } = err {
        return never_sent(cause);
    }
    match err.root() {
        Error::ServerDown { .. }
        | Error::Timeout {
            what: "connect", ..
        } => true,
        Error::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
        ),
        _ => false,
    }
}

impl Router {
    /// Every server live.
    pub fn new(config: &ShardConfig) -> Router {
        let ring = config.ring();
        Router {
            health: vec![Health::default(); ring.servers().len()],
            ring,
            failure_limit: config.failure_limit.max(1),
            retry_timeout: config.retry_timeout,
            remove_failed: config.remove_failed,
            replicas: config.replicas as usize,
            live: None,
        }
    }

    /// A router for `config` that keeps what `before` (the router of the
    /// server list before a change, if any) knew of the servers both
    /// have: [`carry_health`](Router::carry_health).
    pub fn carried(config: &ShardConfig, before: Option<&Router>) -> Router {
        let mut router = Router::new(config);
        if let Some(before) = before {
            router.carry_health(before);
        }
        router
    }

    /// Keeps what `old` (the router of the server list before a change)
    /// knew of the servers this one has too, by name: a server that was
    /// dead stays dead until its time is up, whatever the list became.
    ///
    /// ```
    /// use std::time::Instant;
    /// use gibson_policy::shard::{Router, ShardConfig};
    /// use gibson_proto::Error;
    ///
    /// let config: ShardConfig = "a:1,b:2?failure_limit=1".parse()?;
    /// let mut old = Router::new(&config);
    /// let now = Instant::now();
    /// old.record(1, Err::<(), _>(&Error::ConnectionClosed { in_reply: false }), now);
    /// // c:3 joins; b:2 is now server 2 of the list, still dead.
    /// let mut new = Router::new(&config.adding("c:3".parse()?, 1)?.removing(&"a:1".parse()?)?.adding("a:1".parse()?, 1)?);
    /// new.carry_health(&old);
    /// assert_eq!(new.name(0), "b:2");
    /// assert!(!new.is_live(0, now) && new.is_live(1, now) && new.is_live(2, now));
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn carry_health(&mut self, old: &Router) {
        for (index, health) in self.health.iter_mut().enumerate() {
            let name = self.ring.servers().get(index);
            let was = old.ring.servers().iter().position(|n| Some(n) == name);
            if let Some(was) = was.and_then(|i| old.health.get(i)) {
                *health = was.clone();
            }
        }
    }

    /// The ring over every server.
    pub fn ring(&self) -> &HashRing {
        &self.ring
    }

    /// `true` unless server `index` is marked dead at `now`.
    pub fn is_live(&self, index: usize, now: Instant) -> bool {
        self.health
            .get(index)
            .and_then(|h| h.dead_until)
            .is_none_or(|until| now >= until)
    }

    /// `Ok` when server `index` may be sent requests at `now`, else its
    /// [`Error::ServerDown`]: a dead server is not contacted (nor dialled)
    /// until its `retry_timeout` is up.
    ///
    /// ```
    /// use std::time::Instant;
    /// use gibson_policy::shard::{Router, ShardConfig};
    /// let router = Router::new(&"a:1,b:2".parse::<ShardConfig>()?);
    /// assert!(router.admit(1, Instant::now()).is_ok());
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn admit(&self, index: usize, now: Instant) -> Result<(), Error> {
        if self.is_live(index, now) {
            Ok(())
        } else {
            Err(self.down(index, now))
        }
    }

    /// The name of server `index` (`host:port` or socket path).
    pub fn name(&self, index: usize) -> &str {
        self.ring.servers().get(index).map_or("", String::as_str)
    }

    /// The error for a request to dead server `index`.
    pub fn down(&self, index: usize, now: Instant) -> Error {
        let health = self.health.get(index);
        Error::ServerDown {
            server: self.name(index).to_string(),
            failures: health.map_or(0, |h| h.failures),
            retry_in: health
                .and_then(|h| h.dead_until)
                .map(|until| until.saturating_duration_since(now))
                .unwrap_or_default(),
        }
    }

    /// The server for `key` at `now`: its place on the ring, or, when that
    /// server is dead, [`Error::ServerDown`] (or with `remove_failed` its
    /// place among the live servers, and `ServerDown` when none is live).
    pub fn server_for(&mut self, key: &[u8], now: Instant) -> Result<usize, Error> {
        let Some(home) = self.ring.index_for(key) else {
            return Err(Error::invalid("servers", "the ring has no server"));
        };
        if self.is_live(home, now) {
            return Ok(home);
        }
        if !self.remove_failed {
            return Err(self.down(home, now));
        }
        let alive: Vec<bool> = (0..self.health.len())
            .map(|i| self.is_live(i, now))
            .collect();
        if self.live.as_ref().is_none_or(|(built, ..)| *built != alive) {
            let (names, indexes): (Vec<(String, u32)>, Vec<usize>) = (0..alive.len())
                .filter(|&i| alive[i])
                .map(|i| {
                    let name = self.ring.servers()[i].clone();
                    ((name, self.ring.weight(i).unwrap_or(1)), i)
                })
                .unzip();
            let ring = HashRing::weighted(self.ring.distribution(), names);
            self.live = Some((alive, ring, indexes));
        }
        let (_, ring, indexes) = self.live.as_ref().expect("built above");
        ring.index_for(key)
            .and_then(|i| indexes.get(i).copied())
            .ok_or_else(|| self.down(home, now))
    }

    /// Where `routed` goes at `now`: every server for a fan-out, else its
    /// key's server as [`server_for`](Router::server_for) says.
    ///
    /// ```
    /// use std::time::Instant;
    /// use gibson_policy::shard::{Route, Router, ShardConfig};
    /// use gibson_proto::{cmd, Limits};
    ///
    /// let config: ShardConfig = "a:1,b:2".parse()?;
    /// let mut router = Router::new(&config);
    /// let get = router.ring().route(&cmd::Get::<_>::new("k"), &Limits::default())?;
    /// assert_eq!(router.place(&get, Instant::now())?, get.route);
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn place(&mut self, routed: &Routed, now: Instant) -> Result<Route, Error> {
        match routed.route {
            Route::Server(home) if !self.is_live(home, now) => match frame_key(&routed.frame) {
                Some(key) => self.server_for(key, now).map(Route::Server),
                None => Err(self.down(home, now)),
            },
            route => Ok(route),
        }
    }

    /// Records the outcome of a request to server `index` at `now`: a
    /// success makes it live; a failure that
    /// [`counts_as_failure`] counts towards its limit; an
    /// [`Error::ServerDown`] (the server was not contacted) changes
    /// nothing; other errors (the server's own answers) say it is alive.
    pub fn record<T>(&mut self, index: usize, outcome: Result<T, &Error>, now: Instant) {
        let Some(health) = self.health.get_mut(index) else {
            return;
        };
        match outcome {
            Err(Error::ServerDown { .. }) => {}
            Err(e) if counts_as_failure(e) => {
                health.failures = health.failures.saturating_add(1);
                if health.failures >= self.failure_limit {
                    health.dead_until = Some(now + self.retry_timeout);
                }
            }
            _ => *health = Health::default(),
        }
    }

    /// `true` when a request that failed with `err` on server `index` goes
    /// to another server now: with `remove_failed`, when the server is
    /// dead at `now` and the request [was never sent](never_sent).
    pub fn moves(&self, index: usize, err: &Error, now: Instant) -> bool {
        self.remove_failed && !self.is_live(index, now) && never_sent(err)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn broken() -> Error {
        Error::ConnectionClosed { in_reply: false }
    }

    /// A router of the servers and options of `url`, and the time now.
    fn router(url: &str) -> (Router, Instant) {
        let config: ShardConfig = url.parse().unwrap();
        (Router::new(&config), Instant::now())
    }

    #[test]
    fn dead_after_the_limit_then_retried() {
        let (mut r, t) = router("a:1,b:2,c:3?failure_limit=2&retry_timeout=1s");
        let key = b"k";
        let home = r.server_for(key, t).unwrap();
        r.record(home, Err::<(), _>(&broken()), t);
        assert_eq!(
            r.server_for(key, t).unwrap(),
            home,
            "one failure is not enough"
        );
        r.record(home, Err::<(), _>(&Error::invalid("key", "x")), t);
        r.record(home, Err::<(), _>(&broken()), t);
        assert_eq!(
            r.server_for(key, t).unwrap(),
            home,
            "a server's answer resets the count"
        );
        r.record(home, Err::<(), _>(&broken()), t);
        let err = r.server_for(key, t).unwrap_err();
        assert!(
            matches!(err, Error::ServerDown { failures: 2, .. }),
            "{err}"
        );
        assert!(err.is_retryable());
        let later = t + Duration::from_secs(1);
        assert_eq!(r.server_for(key, later).unwrap(), home);
        r.record(home, Err::<(), _>(&broken()), later);
        assert!(
            r.server_for(key, later).is_err(),
            "one failure after the wait kills it again"
        );
        r.record(home, Ok::<(), &Error>(()), later);
        assert_eq!(r.server_for(key, later).unwrap(), home);
    }

    #[test]
    fn a_server_down_outcome_leaves_a_dead_server_dead() {
        let (mut r, t) = router("a:1,b:2?failure_limit=1&retry_timeout=1s");
        r.record(1, Err::<(), _>(&broken()), t);
        let down = r.admit(1, t).unwrap_err();
        // What a batch to a dead server settles with: it was not contacted.
        let replies = r.settle_batch(1, 3, Err(down), t);
        assert!(replies
            .iter()
            .all(|e| matches!(e, Err(Error::ServerDown { .. }))));
        assert!(!r.is_live(1, t), "ServerDown revived the server");
        assert!(r.settle(1, Err::<(), _>(r.down(1, t)), t).is_err());
        assert!(!r.is_live(1, t));
    }

    #[test]
    fn without_remove_failed_nothing_moves() {
        let (mut r, t) = router("a:1,b:2?failure_limit=1");
        let refused = Error::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let err = r.settle(0, Err::<(), _>(refused), t).unwrap_err();
        assert!(!r.moves(0, &err, t));
        assert!(!r.moves(0, &r.down(0, t), t));
    }

    #[test]
    fn remove_failed_moves_only_the_dead_servers_keys() {
        let (mut r, t) = router("a:1,b:2,c:3?failure_limit=1&remove_failed=true");
        let keys: Vec<String> = (0..3000).map(|i| format!("key:{i}")).collect();
        let before: Vec<usize> = keys
            .iter()
            .map(|k| r.server_for(k.as_bytes(), t).unwrap())
            .collect();
        r.record(1, Err::<(), _>(&broken()), t);
        for (k, &was) in keys.iter().zip(&before) {
            let now = r.server_for(k.as_bytes(), t).unwrap();
            assert_ne!(now, 1, "no key goes to the dead server");
            if was != 1 {
                assert_eq!(now, was, "{k} moved though its server lives");
            }
        }
        r.record(0, Err::<(), _>(&broken()), t);
        r.record(2, Err::<(), _>(&broken()), t);
        assert!(matches!(
            r.server_for(b"x", t),
            Err(Error::ServerDown { .. })
        ));
    }
}
