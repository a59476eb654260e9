//! A store for the `cached` crate: its items live in one Gibson namespace.

use std::fmt::Display;
use std::marker::PhantomData;

use bytes::Bytes;
use cached::ConcurrentCached;
use gibson_policy::{
    namespace::Scope,
    values::{Codec, Lifespan},
};
use gibson_proto::{Commands, Error, Ttl, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Namespace, Pool};

/// A [`ConcurrentCached`] store (what `cached` 0.x called `IOCached`) over
/// a [`Pool`]: each item is the key's text under `prefix`, its value
/// encoded with the codec `F` (`Json`, `Postcard` or `MsgPack`), with the
/// store's lifespan as its TTL. Each call takes a connection from the pool,
/// so threads share the store. [`invalidate`](CacheStore::invalidate)
/// empties it with one MDEL of the namespace.
///
/// `cache_set` returns `None` (Gibson's SET does not answer with the previous
/// value); `cache_remove` is a GET then a DEL; a hit does not refresh the TTL.
///
/// ```no_run
/// use cached::ConcurrentCached;
/// use gibson_blocking::{CacheStore, Json, Pool, Ttl};
///
/// let pool = Pool::connect("gibson://127.0.0.1:10128")?;
/// let store = CacheStore::<Json>::new(pool, "profiles:", Ttl::Seconds(60))?;
/// store.cache_set(42u32, vec!["ada".to_string()])?;
/// let hit: Option<Vec<String>> = store.cache_get(&42)?;
/// assert_eq!(hit, Some(vec!["ada".to_string()]));
/// store.invalidate()?; // MDEL profiles:
/// # Ok::<(), gibson_blocking::Error>(())
/// ```
#[derive(Debug)]
pub struct CacheStore<F> {
    pool: Pool,
    scope: Scope,
    lifespan: Lifespan,
    codec: PhantomData<fn() -> F>,
}

impl<F: Codec> CacheStore<F> {
    /// A store in the namespace `prefix` (which must end with `:`) of
    /// `pool`'s server, its items living `ttl`.
    pub fn new(pool: Pool, prefix: impl AsRef<[u8]>, ttl: impl Into<Ttl>) -> Result<Self, Error> {
        Ok(CacheStore {
            pool,
            scope: Scope::new(prefix)?,
            lifespan: Lifespan::new(ttl),
            codec: PhantomData,
        })
    }

    /// Runs `f` on the namespace, over a pooled connection.
    pub fn with_namespace<T>(
        &self,
        f: impl FnOnce(&mut Namespace<&mut crate::PooledConnection>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut conn = self.pool.checkout()?;
        f(&mut Namespace::with_scope(&mut conn, self.scope.clone()))
    }

    /// Empties the store: one MDEL of its namespace; how many items went.
    pub fn invalidate(&self) -> Result<u64, Error> {
        self.with_namespace(|ns| ns.invalidate())
    }

    fn get<K: Display, V: DeserializeOwned>(&self, key: &K) -> Result<Option<V>, Error> {
        let key = key.to_string();
        match self.with_namespace(|ns| ns.get::<Value>(key.as_str()))? {
            None => Ok(None),
            Some(value) => F::decode(&value)
                .map(Some)
                .map_err(|e| e.for_key(&[self.scope.prefix(), key.as_bytes()].concat())),
        }
    }

    fn del<K: Display>(&self, key: &K) -> Result<bool, Error> {
        self.with_namespace(|ns| ns.del(key.to_string()))
    }
}

impl<F, K, V> ConcurrentCached<K, V> for CacheStore<F>
where
    F: Codec,
    K: Display + Clone,
    V: Serialize + DeserializeOwned,
{
    type Error = Error;

    fn cache_get(&self, k: &K) -> Result<Option<V>, Error> {
        self.get(k)
    }

    fn cache_set(&self, k: K, v: V) -> Result<Option<V>, Error> {
        let value = Bytes::from(F::encode(&v)?);
        let ttl = self.lifespan.ttl();
        self.with_namespace(|ns| ns.set(k.to_string(), value, ttl))?;
        Ok(None)
    }

    fn cache_remove(&self, k: &K) -> Result<Option<V>, Error> {
        let old = self.get(k)?;
        self.del(k)?;
        Ok(old)
    }

    fn cache_remove_entry(&self, k: &K) -> Result<Option<(K, V)>, Error> {
        let old = self.get(k)?;
        let deleted = self.del(k)?;
        Ok(old.filter(|_| deleted).map(|v| (k.clone(), v)))
    }

    fn cache_delete(&self, k: &K) -> Result<bool, Error> {
        self.del(k)
    }

    gibson_policy::__lifespan_methods!();
}
