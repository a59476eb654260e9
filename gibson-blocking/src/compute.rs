//! A stampede guard: on a miss, one caller computes the value and the
//! others wait for it, across threads and processes (see
//! [`gibson_policy::compute`] for the protocol).

use std::time::Instant;

use bytes::Bytes;
use gibson_policy::compute::{lock_step, prefixed, ComputeOptions, LOCK_PREFIX, STALE_PREFIX};
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
/// * waiting callers fail with [`Error::Timeout`] after `wait`;
/// * with [`serve_stale_for`](ComputeOptions::serve_stale_for), a caller
///   that finds the value expired while another thread or process
///   computes it gets the stale copy at once, without waiting; it waits
///   only when there is no stale copy (a key's first computation);
/// * when the server cannot be reached, a caller fails with the cache's
///   error, or, with [`OnCacheError::ComputeWithoutCache`], computes the
///   value itself and returns it (storing nothing; counted in
///   `gibson.client.compute.fail_open`).
///
/// [`OnCacheError::ComputeWithoutCache`]: gibson_policy::compute::OnCacheError::ComputeWithoutCache
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

/// What the cache told a caller.
enum Found<V> {
    /// The value (fresh, another caller's, or a stale copy).
    Value(V),
    /// This caller computes: it holds the lock (this key).
    Compute(Bytes),
    /// Another caller held the lock for all of `wait`.
    WaitedInVain,
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
        match self.look_up::<V>(&key) {
            Ok(Found::Value(v)) => Ok(v),
            Ok(Found::Compute(lock)) => {
                let outcome = compute().inspect(|v| self.store(&key, v, ttl));
                self.unlock(&lock);
                outcome
            }
            Ok(Found::WaitedInVain) => Err(E::from(self.options.waited_in_vain())),
            Err(e) if self.options.fails_open_on(&e) => {
                gibson_observe::compute_fail_open(&key, &e);
                compute()
            }
            Err(e) => Err(E::from(e)),
        }
    }

    /// Everything up to the computation: the value if there is one to
    /// give, else the key of the lock this caller now holds.
    fn look_up<V: FromValue>(&mut self, key: &Bytes) -> Result<Found<V>, Error> {
        if let Some(v) = self.cache.get::<V>(key)? {
            return Ok(Found::Value(v));
        }
        let lock = prefixed(LOCK_PREFIX, key);
        if !self.try_lock(&lock)? {
            return Ok(match self.wait_for(key)? {
                Some(v) => Found::Value(v),
                None => Found::WaitedInVain,
            });
        }
        // Locked: look once more (a computation may have ended in between).
        let found = self.cache.get::<V>(key);
        if !matches!(found, Ok(None)) {
            self.unlock(&lock);
        }
        Ok(match found? {
            Some(v) => Found::Value(v),
            None => Found::Compute(lock),
        })
    }

    fn unlock(&mut self, lock: &Bytes) {
        // Best effort: a lock that stays expires after `lock_for`.
        if self.cache.unlock(lock).is_ok() {
            let _ = self.cache.del(lock);
        }
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

    /// Waits for another caller's value: gives the stale copy at once if
    /// asked, else polls every `poll`; `None` after `wait`.
    fn wait_for<V: FromValue>(&mut self, key: &Bytes) -> Result<Option<V>, Error> {
        if self.options.serve_stale_for.is_some() {
            if let Some(v) = self.cache.get::<V>(prefixed(STALE_PREFIX, key))? {
                return Ok(Some(v));
            }
        }
        let deadline = Instant::now() + self.options.wait;
        loop {
            if let Some(v) = self.cache.get::<V>(key)? {
                return Ok(Some(v));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            std::thread::sleep(self.options.poll.min(deadline - now));
        }
    }
}
