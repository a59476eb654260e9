//! A store for the `cached` crate: its items live in one Gibson namespace.

use std::fmt::Display;
use std::marker::PhantomData;

use bytes::Bytes;
use cached::ConcurrentCachedAsync;
use gibson_policy::values::{Codec, Lifespan};
use gibson_proto::{AsyncCommands, Error, Ttl};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Namespace;

/// A [`ConcurrentCachedAsync`] store (what `cached` 0.x called
/// `IOCachedAsync`) over any async client (connection, pool, sharded
/// client): each item is the key's text under `prefix`, its value encoded
/// with the codec `F` (`Json`, `Postcard` or `MsgPack`), with the store's
/// lifespan as its TTL. [`invalidate`](CacheStore::invalidate) empties the
/// store with one MDEL of the namespace.
///
/// `cache_set` returns `None` (Gibson's SET does not answer with the previous
/// value); `cache_remove` is a GET then a DEL; a hit does not refresh the TTL.
///
/// With the runtime crate's features `cached` and `json`:
///
/// ```no_run
/// # use gibson_tokio::{CacheStore, Connection, Error, Json, Ttl};
/// # async fn demo(conn: Connection) -> Result<(), Error> {
/// use cached::ConcurrentCachedAsync;
///
/// let store = CacheStore::<_, Json>::new(conn, "profiles:", Ttl::Seconds(60))?;
/// ConcurrentCachedAsync::cache_set(&store, 42u32, vec!["ada".to_string()]).await?;
/// let hit: Option<Vec<String>> = ConcurrentCachedAsync::cache_get(&store, &42).await?;
/// assert_eq!(hit, Some(vec!["ada".to_string()]));
/// store.invalidate().await?; // MDEL profiles:
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct CacheStore<C, F> {
    namespace: Namespace<C>,
    lifespan: Lifespan,
    codec: PhantomData<fn() -> F>,
}

impl<C: AsyncCommands, F: Codec> CacheStore<C, F> {
    /// A store in the namespace `prefix` of `client` (the prefix must end
    /// with `:`), its items living `ttl`.
    pub fn new(client: C, prefix: impl AsRef<[u8]>, ttl: impl Into<Ttl>) -> Result<Self, Error> {
        Ok(CacheStore {
            namespace: Namespace::new(client, prefix)?,
            lifespan: Lifespan::new(ttl),
            codec: PhantomData,
        })
    }

    /// The namespace the items live in.
    pub fn namespace(&self) -> &Namespace<C> {
        &self.namespace
    }

    /// Empties the store: one MDEL of its namespace; how many items went.
    pub async fn invalidate(&self) -> Result<u64, Error> {
        self.namespace.invalidate().await
    }

    async fn get<K: Display, V: DeserializeOwned>(&self, key: &K) -> Result<Option<V>, Error> {
        let key = key.to_string();
        match self
            .namespace
            .get::<gibson_proto::Value>(key.as_str())
            .await?
        {
            None => Ok(None),
            Some(value) => F::decode(&value)
                .map(Some)
                .map_err(|e| e.for_key(&[self.namespace.prefix(), key.as_bytes()].concat())),
        }
    }

    async fn del<K: Display>(&self, key: &K) -> Result<bool, Error> {
        self.namespace.del(key.to_string()).await
    }
}

impl<C, F, K, V> ConcurrentCachedAsync<K, V> for CacheStore<C, F>
where
    C: AsyncCommands + Send,
    F: Codec,
    K: Display + Clone + Send + Sync,
    V: Serialize + DeserializeOwned + Send + Sync,
{
    type Error = Error;

    async fn cache_get(&self, k: &K) -> Result<Option<V>, Error> {
        self.get(k).await
    }

    async fn cache_set(&self, k: K, v: V) -> Result<Option<V>, Error> {
        let value = Bytes::from(F::encode(&v)?);
        let ttl = self.lifespan.ttl();
        self.namespace.set(k.to_string(), value, ttl).await?;
        Ok(None)
    }

    async fn cache_remove(&self, k: &K) -> Result<Option<V>, Error> {
        let old = self.get(k).await?;
        self.del(k).await?;
        Ok(old)
    }

    async fn cache_remove_entry(&self, k: &K) -> Result<Option<(K, V)>, Error> {
        let old = self.get(k).await?;
        let deleted = self.del(k).await?;
        Ok(old.filter(|_| deleted).map(|v| (k.clone(), v)))
    }

    async fn cache_delete(&self, k: &K) -> Result<bool, Error>
    where
        Self: Sync,
        K: Sync,
    {
        self.del(k).await
    }

    gibson_policy::__lifespan_methods!();
}
