//! A stampede guard: on a miss, one caller computes the value and the
//! others wait for it (or take a stale copy), within a process and across
//! processes (see [`gibson_policy::compute`] for the protocol).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_lock::MutexGuardArc;
use bytes::Bytes;
use gibson_policy::compute::{lock_step, prefixed, ComputeOptions, LOCK_PREFIX, STALE_PREFIX};
use gibson_proto::{AsyncCommands, Error, FromValue, ToArg, Ttl};

use crate::runtime::Runtime;

/// A stampede guard over any client ([`AsyncCommands`]: a connection, a
/// pool, a sharded client, a namespace).
///
/// On a miss, exactly one caller computes the value and stores it; the
/// others wait for it, or take the stale copy if asked. The guarantees:
///
/// * Within one `Compute`, concurrent callers for a key queue behind the
///   first: once it has stored its value, they read it.
/// * With [`serve_stale_for`](ComputeOptions::serve_stale_for), a caller
///   that finds the value expired while another computes it (in this
///   process or another) gets the stale copy at once, without waiting for
///   the computation; it waits only when there is no stale copy (the first
///   computation of a key, or one whose copy has expired too).
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
/// * When the server cannot be reached, a caller fails with the cache's
///   error, or, with [`OnCacheError::ComputeWithoutCache`], computes the
///   value itself and returns it (storing nothing; counted in
///   `gibson.client.compute.fail_open`).
///
/// [`OnCacheError::ComputeWithoutCache`]: gibson_policy::compute::OnCacheError::ComputeWithoutCache
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
    local: Queues,
    runtime: std::marker::PhantomData<fn() -> R>,
}

type Queues = Mutex<HashMap<Bytes, Arc<async_lock::Mutex<()>>>>;

impl<C: std::fmt::Debug, R: Runtime> std::fmt::Debug for Compute<C, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compute")
            .field("cache", &self.cache)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// What the cache told a caller.
enum Found<'a, V> {
    /// The value (fresh, another caller's, or a stale copy).
    Value(V),
    /// This caller computes: it holds its turn in the process and the
    /// server-side lock (the key of the lock).
    Compute(Turn<'a>, Bytes),
    /// Another caller held the lock for all of `wait`.
    WaitedInVain,
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
        match self.look_up::<V>(&key).await {
            Ok(Found::Value(v)) => Ok(v),
            Ok(Found::Compute(turn, lock)) => {
                let outcome = compute().await;
                if let Ok(v) = &outcome {
                    self.store(&key, v, ttl).await;
                }
                self.unlock(&lock).await;
                drop(turn);
                outcome
            }
            Ok(Found::WaitedInVain) => Err(E::from(self.options.waited_in_vain())),
            Err(e) if self.options.fails_open_on(&e) => {
                gibson_observe::compute_fail_open(&key, &e);
                compute().await
            }
            Err(e) => Err(E::from(e)),
        }
    }

    /// Everything up to the computation: the value if there is one to
    /// give, else this caller's turn and lock.
    async fn look_up<V: FromValue>(&self, key: &Bytes) -> Result<Found<'_, V>, Error> {
        if let Some(v) = self.cache.get::<V>(key).await? {
            return Ok(Found::Value(v));
        }
        let mut turn = Turn::join(&self.local, key);
        if !turn.try_take() {
            // Another caller of this process is computing it.
            if let Some(v) = self.stale::<V>(key).await? {
                return Ok(Found::Value(v));
            }
            turn.take().await;
        }
        // A caller ahead of us in this process may have stored it.
        if let Some(v) = self.cache.get::<V>(key).await? {
            return Ok(Found::Value(v));
        }
        let lock = prefixed(LOCK_PREFIX, key);
        if !self.try_lock(&lock).await? {
            return Ok(match self.wait_for(key).await? {
                Some(v) => Found::Value(v),
                None => Found::WaitedInVain,
            });
        }
        // Locked: look once more (a computation may have ended in between).
        let found = self.cache.get::<V>(key).await;
        if !matches!(found, Ok(None)) {
            self.unlock(&lock).await;
        }
        Ok(match found? {
            Some(v) => Found::Value(v),
            None => Found::Compute(turn, lock),
        })
    }

    /// The stale copy of `key`, if one is kept and there.
    async fn stale<V: FromValue>(&self, key: &Bytes) -> Result<Option<V>, Error> {
        if self.options.serve_stale_for.is_none() {
            return Ok(None);
        }
        self.cache.get::<V>(prefixed(STALE_PREFIX, key)).await
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

    /// Waits for another caller's value: gives the stale copy at once if
    /// asked, else polls every `poll`; `None` after `wait`.
    async fn wait_for<V: FromValue>(&self, key: &Bytes) -> Result<Option<V>, Error> {
        if let Some(v) = self.stale::<V>(key).await? {
            return Ok(Some(v));
        }
        let deadline = Instant::now() + self.options.wait;
        loop {
            if let Some(v) = self.cache.get::<V>(key).await? {
                return Ok(Some(v));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            R::timer((now + self.options.poll).min(deadline)).await;
        }
    }
}

/// A caller's place in the queue of a key's computations in this process,
/// and its turn once taken. Leaving (on drop, also when cancelled), the
/// last one out removes the queue.
struct Turn<'a> {
    queues: &'a Queues,
    key: Bytes,
    queue: Arc<async_lock::Mutex<()>>,
    taken: Option<MutexGuardArc<()>>,
}

impl<'a> Turn<'a> {
    /// Joins the queue of `key`.
    fn join(queues: &'a Queues, key: &Bytes) -> Turn<'a> {
        let mut map = queues.lock().unwrap_or_else(|e| e.into_inner());
        let queue = map.entry(key.clone()).or_default().clone();
        Turn {
            queues,
            key: key.clone(),
            queue,
            taken: None,
        }
    }

    /// Takes the turn if nobody holds it; `false` if somebody does.
    fn try_take(&mut self) -> bool {
        self.taken = self.queue.try_lock_arc();
        self.taken.is_some()
    }

    /// Waits for the turn.
    async fn take(&mut self) {
        self.taken = Some(self.queue.lock_arc().await);
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.taken = None;
        let mut map = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        // Held by the map and by this place only: nobody else waits.
        let last = Arc::strong_count(&self.queue) == 2
            && map
                .get(&self.key)
                .is_some_and(|q| Arc::ptr_eq(q, &self.queue));
        if last {
            map.remove(&self.key);
        }
    }
}
