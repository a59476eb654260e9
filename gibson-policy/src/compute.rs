//! The protocol of the stampede guard (`get_or_compute` in the runtime
//! crates), without I/O: its options, the keys it uses beside the user's,
//! and how it reads the server's answers.
//!
//! On a miss, a caller SETs `__gibson:lock:<key>` and LOCKs it for
//! `lock_for`: Gibson refuses a second locker (LOCKED), and the lock
//! expires if its holder dies. The holder looks once more, computes,
//! stores the value (and, with `serve_stale_for`, a copy under
//! `__gibson:stale:<key>` that outlives it), then unlocks and deletes the
//! lock key. The others poll for the value, or take the stale copy.
//!
//! With [`OnCacheError::ComputeWithoutCache`], a caller whose cache steps
//! fail because the server cannot be reached ([`is_outage`]) computes the
//! value itself and stores nothing.

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};

use gibson_proto::{Error, Ttl};

/// Where the locks of computations live: outside the key's own prefix, so
/// that they never show in its namespace.
pub const LOCK_PREFIX: &[u8] = b"__gibson:lock:";
/// Where stale copies live.
pub const STALE_PREFIX: &[u8] = b"__gibson:stale:";

/// How `get_or_compute` waits and locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComputeOptions {
    /// How long the computing caller holds the server-side lock: if it
    /// dies, another caller may compute once this has passed. Longer than
    /// any computation should take, by more than a second: Gibson counts
    /// lock times in whole seconds of its clock, so a lock may end up to a
    /// second early. Default 30 s.
    pub lock_for: Duration,
    /// How long a caller waits for another's computation before it fails
    /// with [`Error::Timeout`] (`what: "computation"`). Default 10 s.
    pub wait: Duration,
    /// How often a waiting caller looks for the value. Default 20 ms.
    pub poll: Duration,
    /// Keep a copy of each computed value this much longer than its TTL,
    /// and give it to waiting callers at once instead of making them wait
    /// (stale-while-revalidate). Default `None`: callers wait.
    pub serve_stale_for: Option<Duration>,
    /// What a caller does when the server cannot be reached. Default
    /// [`OnCacheError::Fail`].
    pub on_cache_error: OnCacheError,
}

/// What `get_or_compute` does when the server cannot be reached (an
/// [`is_outage`] error from any of its cache steps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnCacheError {
    /// Return the cache's error, computing nothing (the default).
    #[default]
    Fail,
    /// Fail open: compute the value and return it, storing nothing, as if
    /// there were no cache. Every caller computes while the outage lasts
    /// (there is no server-side lock to share), and each such computation
    /// is counted (`gibson.compute.fail_open` with the `metrics` feature).
    ComputeWithoutCache,
}

impl Default for ComputeOptions {
    fn default() -> Self {
        ComputeOptions {
            lock_for: Duration::from_secs(30),
            wait: Duration::from_secs(10),
            poll: Duration::from_millis(20),
            serve_stale_for: None,
            on_cache_error: OnCacheError::Fail,
        }
    }
}

/// `prefix` then `key`.
pub fn prefixed(prefix: &[u8], key: &[u8]) -> Bytes {
    let mut k = BytesMut::with_capacity(prefix.len() + key.len());
    k.put_slice(prefix);
    k.put_slice(key);
    k.freeze()
}

/// Whole seconds, at least 1 (a TTL or a lock time).
pub fn whole_seconds(d: Duration) -> u32 {
    u32::try_from(d.as_secs().max(1)).unwrap_or(u32::MAX)
}

impl ComputeOptions {
    /// The lock time, in seconds.
    pub fn lock_seconds(&self) -> u32 {
        whole_seconds(self.lock_for)
    }

    /// The TTL of the lock key: it vanishes a little after its lock,
    /// should nobody delete it.
    pub fn lock_key_ttl(&self) -> Ttl {
        Ttl::Seconds(self.lock_seconds().saturating_add(1))
    }

    /// The TTL of the stale copy of a value stored with `ttl`, if one is
    /// kept.
    pub fn stale_ttl(&self, ttl: Ttl) -> Option<Ttl> {
        match (self.serve_stale_for, ttl) {
            (Some(grace), Ttl::Seconds(s)) => {
                Some(Ttl::Seconds(s.saturating_add(whole_seconds(grace))))
            }
            _ => None,
        }
    }

    /// `true` when a caller that met `error` should compute without the
    /// cache: the options say to fail open and the error is an outage.
    pub fn fails_open_on(&self, error: &Error) -> bool {
        self.on_cache_error == OnCacheError::ComputeWithoutCache && is_outage(error)
    }

    /// The error of a caller that waited `wait` in vain.
    pub fn waited_in_vain(&self) -> Error {
        Error::Timeout {
            what: "computation",
            after: self.wait,
        }
    }
}

/// What the answer to the lock key's SET or LOCK says: `Ok(true)` to go
/// on, `Ok(false)` when another caller holds the lock, else the error.
pub fn lock_step<T>(
    answer: Result<T, Error>,
    went_on: impl FnOnce(T) -> bool,
) -> Result<bool, Error> {
    match answer {
        Ok(v) => Ok(went_on(v)),
        Err(e) if e.is_locked() => Ok(false),
        Err(e) => Err(e),
    }
}

/// `true` when `error` says the server cannot be reached or did not answer
/// (an I/O error, a closed or broken connection, a timeout, an exhausted
/// pool, a server marked dead, a protocol violation), as opposed to an
/// answer the server gave (LOCKED, MEM…) or a value that does not convert.
///
/// ```
/// use std::time::Duration;
/// use gibson_policy::compute::is_outage;
/// use gibson_proto::Error;
///
/// assert!(is_outage(&Error::ConnectionClosed { in_reply: false }));
/// assert!(is_outage(&Error::Timeout { what: "connect", after: Duration::from_secs(1) }));
/// assert!(!is_outage(&Error::invalid("key", "empty")));
/// ```
pub fn is_outage(error: &Error) -> bool {
    matches!(
        error,
        Error::Io(_)
            | Error::ConnectionClosed { .. }
            | Error::Broken { .. }
            | Error::Timeout { .. }
            | Error::Protocol(_)
            | Error::PoolExhausted { .. }
            | Error::ServerDown { .. }
    )
}
