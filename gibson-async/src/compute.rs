//! A stampede guard: on a miss, one caller computes the value and the
//! others wait for it, within a process and across processes.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use gibson_proto::compute::{lock_step, prefixed, ComputeOptions, LOCK_PREFIX, STALE_PREFIX};
use gibson_proto::{AsyncCommands, Error, FromValue, ToArg, Ttl};

use crate::runtime::Runtime;

/// A stampede guard over any client ([`AsyncCommands`]: a connection, a
/// pool, a sharded client, a namespace).
///
/// On a miss, exactly one caller computes the value and stores it; the
/// others wait for it (or take the stale copy, if asked). The guarantees:
///
/// * Within one `Compute`, concurrent callers for a key queue behind the
///   first: once it has stored its value, they read it.
/// * Across processes (or several `Compute`s), the first caller to lock
///   `__gibson:lock:<key>` on the server computes (Gibson's LOCK refuses a
///   second locker); the others poll for the value every `poll`.
/// * If the computing caller dies or is cancelled, its lock expires on the
///   server after `lock_for`; then the next caller computes.
/// * If the computation outlasts `lock_for`, the lock expires and another
///   caller may compute too: set `lock_for` above the longest computation.
/// * If the computation fails, its caller gets the error, the lock is
///   released at once, and the next caller computes.
/// * If the value cannot be stored (too large, server down), the computing
///   caller still gets it; the waiters time out after `wait` unless a
///   later caller stores it.
/// * Waiting callers fail with [`Error::Timeout`] after `wait`.
///
/// ```no_run
/// # async fn demo(conn: gibson_tokio::Connection) -> Result<(), gibson_tokio::Error> {
/// use gibson_tokio::{Compute, Ttl};
///
/// let cache = Compute::new(conn);
/// let page: String = cache
///     .get_or_compute("page:/home", Ttl::Seconds(60), || async {
///         Ok::<_, gibson_tokio::Error>("<html>…</html>".to_string()) // the expensive part
///     })
///     .await?;
/// # Ok(()) }
/// ```
pub struct Compute<C, R: Runtime> {
    cache: C,
    options: ComputeOptions,
    /// One queue per key being computed in this process.
    local: Mutex<HashMap<Bytes, Arc<async_lock::Mutex<()>>>>,
    runtime: std::marker::PhantomData<fn() -> R>,
}

impl<C: std::fmt::Debug, R: Runtime> std::fmt::Debug for Compute<C, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compute")
            .field("cache", &self.cache)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<C: AsyncCommands, R: Runtime> Compute<C, R> {
    /// A guard with the default [`ComputeOptions`].
    pub fn new(cache: C) -> Self {
        Compute::with_options(cache, ComputeOptions::default())
    }

    /// A guard with `options`.
    pub fn with_options(cache: C, options: ComputeOptions) -> Self {
        Compute {
            cache,
            options,
            local: Mutex::new(HashMap::new()),
            runtime: std::marker::PhantomData,
        }
    }

    /// The client underneath.
    pub fn cache(&self) -> &C {
        &self.cache
    }

    /// The value of `key`; on a miss, the value `compute` makes, stored
    /// with `ttl`, computed by one caller only (see [`Compute`]).
    pub async fn get_or_compute<V, E, F, Fut>(
        &self,
        key: impl AsRef<[u8]>,
        ttl: Ttl,
        compute: F,
    ) -> Result<V, E>
    where
        V: FromValue + ToArg + Sync,
        E: From<Error>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let key = Bytes::copy_from_slice(key.as_ref());
        if let Some(v) = self.cache.get::<V>(&key).await? {
            return Ok(v);
        }
        let queue = {
            let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
            local.entry(key.clone()).or_default().clone()
        };
        let turn = queue.lock().await;
        let result = self.compute_once(&key, ttl, compute).await;
        drop(turn);
        {
            // The last one out removes the queue.
            let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
            if Arc::strong_count(&queue) == 2 {
                local.remove(&key);
            }
        }
        result
    }

    /// The value, computed here if this caller wins the server-side lock,
    /// else waited for.
    async fn compute_once<V, E, F, Fut>(&self, key: &Bytes, ttl: Ttl, compute: F) -> Result<V, E>
    where
        V: FromValue + ToArg + Sync,
        E: From<Error>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        // A caller ahead of us in this process may have stored it.
        if let Some(v) = self.cache.get::<V>(key).await? {
            return Ok(v);
        }
        let lock = prefixed(LOCK_PREFIX, key);
        if !self.try_lock(&lock).await? {
            return self.wait_for(key).await.map_err(E::from);
        }
        // Locked: look once more (a computation may have ended in between).
        let hit = self.cache.get::<V>(key).await;
        let outcome = match hit {
            Ok(Some(v)) => Ok(v),
            Ok(None) => match compute().await {
                Ok(v) => {
                    self.store(key, &v, ttl).await;
                    Ok(v)
                }
                Err(e) => Err(e),
            },
            Err(e) => Err(E::from(e)),
        };
        self.unlock(&lock).await;
        outcome
    }

    /// Creates and locks the lock key; `false` if another caller holds it.
    async fn try_lock(&self, lock: &Bytes) -> Result<bool, Error> {
        let o = &self.options;
        let set = self.cache.set(lock, "1", o.lock_key_ttl()).await;
        if !lock_step(set, |_| true)? {
            return Ok(false);
        }
        lock_step(self.cache.lock(lock, o.lock_seconds()).await, |locked| {
            locked
        })
    }

    async fn unlock(&self, lock: &Bytes) {
        // Best effort: a lock that stays expires after `lock_for`.
        if self.cache.unlock(lock).await.is_ok() {
            let _ = self.cache.del(lock).await;
        }
    }

    async fn store<V: ToArg + Sync>(&self, key: &Bytes, value: &V, ttl: Ttl) {
        // A value that cannot be stored is still the caller's (see the
        // type's docs); the next caller computes again.
        let _ = self.cache.set(key, value, ttl).await;
        if let Some(stale) = self.options.stale_ttl(ttl) {
            let _ = self
                .cache
                .set(prefixed(STALE_PREFIX, key), value, stale)
                .await;
        }
    }

    /// Waits for another caller's value: polls every `poll`, gives the
    /// stale copy at once if asked, fails after `wait`.
    async fn wait_for<V: FromValue>(&self, key: &Bytes) -> Result<V, Error> {
        if self.options.serve_stale_for.is_some() {
            if let Some(v) = self.cache.get::<V>(prefixed(STALE_PREFIX, key)).await? {
                return Ok(v);
            }
        }
        let deadline = Instant::now() + self.options.wait;
        loop {
            if let Some(v) = self.cache.get::<V>(key).await? {
                return Ok(v);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(self.options.waited_in_vain());
            }
            R::timer((now + self.options.poll).min(deadline)).await;
        }
    }
}
