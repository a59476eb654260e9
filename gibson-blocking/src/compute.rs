//! A stampede guard: on a miss, one caller computes the value and the
//! others wait for it, across threads and processes (see
//! [`gibson_proto::compute`] for the protocol).

use std::time::Instant;

use bytes::Bytes;
use gibson_proto::compute::{lock_step, prefixed, ComputeOptions, LOCK_PREFIX, STALE_PREFIX};
use gibson_proto::{Commands, Error, FromValue, ToArg, Ttl};

/// A stampede guard over a blocking client ([`Commands`]: a connection, a
/// pooled connection, a sharded client, a namespace).
///
/// On a miss, exactly one caller computes the value and stores it; the
/// others wait for it (or take the stale copy, if asked). Each thread uses
/// a guard of its own over its own connection; threads and processes take
/// turns through the same server-side lock:
///
/// * the first caller to lock `__gibson:lock:<key>` on the server computes
///   (Gibson's LOCK refuses a second locker); the others poll for the
///   value every `poll`;
/// * if the computing caller dies, its lock expires on the server after
///   `lock_for`; then the next caller computes;
/// * if the computation outlasts `lock_for`, the lock expires and another
///   caller may compute too: set `lock_for` above the longest computation;
/// * if the computation fails, its caller gets the error, the lock is
///   released at once, and the next caller computes;
/// * if the value cannot be stored, the computing caller still gets it;
///   the waiters time out after `wait` unless a later caller stores it;
/// * waiting callers fail with [`Error::Timeout`] after `wait`.
///
/// ```no_run
/// # fn demo(conn: gibson_blocking::Connection) -> Result<(), gibson_blocking::Error> {
/// use gibson_blocking::{Compute, Ttl};
///
/// let mut cache = Compute::new(conn);
/// let page: String = cache.get_or_compute("page:/home", Ttl::Seconds(60), || {
///     Ok::<_, gibson_blocking::Error>("<html>…</html>".to_string()) // the expensive part
/// })?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Compute<C> {
    cache: C,
    options: ComputeOptions,
}

impl<C: Commands> Compute<C> {
    /// A guard with the default [`ComputeOptions`].
    pub fn new(cache: C) -> Self {
        Compute::with_options(cache, ComputeOptions::default())
    }

    /// A guard with `options`.
    pub fn with_options(cache: C, options: ComputeOptions) -> Self {
        Compute { cache, options }
    }

    /// The client underneath.
    pub fn cache(&mut self) -> &mut C {
        &mut self.cache
    }

    /// The value of `key`; on a miss, the value `compute` makes, stored
    /// with `ttl`, computed by one caller only (see [`Compute`]).
    pub fn get_or_compute<V, E, F>(
        &mut self,
        key: impl AsRef<[u8]>,
        ttl: Ttl,
        compute: F,
    ) -> Result<V, E>
    where
        V: FromValue + ToArg + Sync,
        E: From<Error>,
        F: FnOnce() -> Result<V, E>,
    {
        let key = Bytes::copy_from_slice(key.as_ref());
        if let Some(v) = self.cache.get::<V>(&key)? {
            return Ok(v);
        }
        let lock = prefixed(LOCK_PREFIX, &key);
        if !self.try_lock(&lock)? {
            return self.wait_for(&key).map_err(E::from);
        }
        // Locked: look once more (a computation may have ended in between).
        let outcome = match self.cache.get::<V>(&key) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => compute().inspect(|v| self.store(&key, v, ttl)),
            Err(e) => Err(E::from(e)),
        };
        // Best effort: a lock that stays expires after `lock_for`.
        if self.cache.unlock(&lock).is_ok() {
            let _ = self.cache.del(&lock);
        }
        outcome
    }

    /// Creates and locks the lock key; `false` if another caller holds it.
    fn try_lock(&mut self, lock: &Bytes) -> Result<bool, Error> {
        let o = self.options;
        if !lock_step(self.cache.set(lock, "1", o.lock_key_ttl()), |_| true)? {
            return Ok(false);
        }
        lock_step(self.cache.lock(lock, o.lock_seconds()), |locked| locked)
    }

    fn store<V: ToArg + Sync>(&mut self, key: &Bytes, value: &V, ttl: Ttl) {
        // A value that cannot be stored is still the caller's.
        let _ = self.cache.set(key, value, ttl);
        if let Some(stale) = self.options.stale_ttl(ttl) {
            let _ = self.cache.set(prefixed(STALE_PREFIX, key), value, stale);
        }
    }

    /// Waits for another caller's value: polls every `poll`, gives the
    /// stale copy at once if asked, fails after `wait`.
    fn wait_for<V: FromValue>(&mut self, key: &Bytes) -> Result<V, Error> {
        if self.options.serve_stale_for.is_some() {
            if let Some(v) = self.cache.get::<V>(prefixed(STALE_PREFIX, key))? {
                return Ok(v);
            }
        }
        let deadline = Instant::now() + self.options.wait;
        loop {
            if let Some(v) = self.cache.get::<V>(key)? {
                return Ok(v);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(self.options.waited_in_vain());
            }
            std::thread::sleep(self.options.poll.min(deadline - now));
        }
    }
}
