//! [`NearCache`]: the near cache in front of a client, async or blocking.

use std::sync::Arc;

use gibson_proto::Error;

use crate::{Near, NearConfig, NearStats};

/// A near cache in front of a client (a connection, a pool, a sharded
/// client, a namespace; async or blocking): GETs of keys under the
/// prefixes it is told to cache are answered from local memory, no more
/// than `max_staleness` out of date; everything else goes to the client as
/// it is. In front of an [`AsyncCommands`](gibson_proto::AsyncCommands) it
/// is one, and in front of a [`Commands`](gibson_proto::Commands) it is
/// one, so every method (`get`, `get_multi`, `set`, `mdel`, namespaces,
/// `get_or_compute`…) works through it; `get_multi` answers held keys from
/// memory and reads the rest in one pipeline.
///
/// Writes through it (SET, TTL, DEL, INC, DEC, MSET, MTTL, MDEL, MINC,
/// MDEC, alone or in a pipeline) bump the version keys of the prefixes
/// they touch, so that near caches in other processes drop their copies
/// within `max_staleness`; they return once the bump is acknowledged. The
/// exact guarantee, and what it cannot see, is on the
/// [crate's front page](crate#what-it-promises).
///
/// Put it in front of the client and a namespace over it
/// (`Namespace::new(near, "user:")`), not the other way round: in front of
/// a namespace its version keys would live inside the namespace. In front
/// of a sharded client, a prefix's version key lives on one server: while
/// that server is down, reads of the prefix past their bound go to the
/// servers holding their keys.
///
/// Clones share the local memory; [`with_client`](NearCache::with_client)
/// puts the same memory in front of another client (another thread's
/// connection, say).
///
/// ```
/// use std::time::Duration;
/// use gibson_near::{NearCache, NearConfig};
/// use gibson_proto::{AsyncCommands, Error, Ttl};
///
/// async fn profiles(client: impl AsyncCommands) -> Result<(), Error> {
///     let near = NearCache::new(
///         client,
///         NearConfig::new(["user:"]).max_staleness(Duration::from_millis(200)),
///     )?;
///     near.set("user:1", "ada", Ttl::Seconds(60)).await?;
///     let name: Option<String> = near.get("user:1").await?; // from the server, kept
///     let again: Option<String> = near.get("user:1").await?; // from memory
///     assert_eq!(name, again);
///     println!("{:?}", near.near_stats());
///     Ok(())
/// }
/// ```
///
/// Blocking threads share one memory, each with a connection of its own:
///
/// ```
/// use gibson_near::NearCache;
/// use gibson_proto::Commands;
///
/// fn readers<C: Commands + Send>(near: &NearCache<C>, conns: Vec<C>) {
///     std::thread::scope(|s| {
///         for conn in conns {
///             let mut mine = near.with_client(conn);
///             s.spawn(move || mine.get::<String>("user:1"));
///         }
///     });
/// }
/// ```
#[derive(Debug, Clone)]
pub struct NearCache<C> {
    pub(crate) client: C,
    pub(crate) near: Arc<Near>,
}

impl<C> NearCache<C> {
    /// A near cache in front of `client`; refuses a configuration that
    /// cannot keep its promise, naming the setting.
    pub fn new(client: C, config: NearConfig) -> Result<NearCache<C>, Error> {
        Ok(NearCache {
            client,
            near: Arc::new(Near::new(config)?),
        })
    }

    /// The same local memory in front of another client.
    pub fn with_client<D>(&self, client: D) -> NearCache<D> {
        NearCache {
            client,
            near: self.near.clone(),
        }
    }

    /// The client behind.
    pub fn client(&self) -> &C {
        &self.client
    }

    /// The client behind, to change (a blocking client's own methods take
    /// `&mut self`).
    pub fn client_mut(&mut self) -> &mut C {
        &mut self.client
    }

    /// Hits, misses, evictions, version checks… so far.
    pub fn near_stats(&self) -> NearStats {
        self.near.stats()
    }

    /// The rules and the local memory (entries held, bytes held).
    pub fn near(&self) -> &Near {
        &self.near
    }
}
