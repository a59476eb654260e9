//! What a runtime crate exports, written once: its client types on its
//! runtime, and the names it re-exports from gibson-proto, gibson-policy and
//! this crate.

/// Declares a runtime crate's client types on runtime `$rt` (described as
/// `$on`, e.g. `"on tokio"`): `Connection`, `Pool`, `Sharded`, `Compute`
/// and, with the crate's feature `deadpool`, `DeadpoolManager`. `$path` is
/// where they are named from (`"gibson_tokio"`, `"gibson_async_std::smol"`):
/// the examples of `Connection`, `Pool` and `Sharded` import from it, so
/// that each crate's documentation shows (and its doc tests compile) its
/// own code.
#[doc(hidden)]
#[macro_export]
macro_rules! __runtime_clients {
    ($rt:ty, $on:literal, $path:literal) => {
        #[doc = concat!("A multiplexed connection ", $on, ": see [`gibson_async::Connection`].")]
        ///
        /// ```no_run
        #[doc = concat!("# async fn demo() -> Result<(), ", $path, "::Error> {")]
        #[doc = concat!("use ", $path, "::{AsyncCommands, Connection, Ttl};")]
        ///
        /// let conn = Connection::connect("gibson://127.0.0.1:10128").await?;
        /// conn.set("greeting", "hello", Ttl::Seconds(60)).await?;
        /// let greeting: Option<String> = conn.get("greeting").await?;
        /// # Ok(()) }
        /// ```
        pub type Connection = $crate::Connection<$rt>;

        #[doc = concat!("A pool of connections ", $on, ": see [`gibson_async::Pool`].")]
        ///
        /// ```no_run
        #[doc = concat!("# async fn demo() -> Result<(), ", $path, "::Error> {")]
        #[doc = concat!("use ", $path, "::{AsyncCommands, Pool};")]
        ///
        /// let pool = Pool::connect("gibson://127.0.0.1:10128?pool_max=4").await?;
        /// let visits = pool.inc("visits").await?;
        /// # Ok(()) }
        /// ```
        pub type Pool = $crate::Pool<$rt>;

        #[doc = concat!("Several servers as one cache ", $on, ": see [`gibson_async::Sharded`].")]
        ///
        /// ```no_run
        #[doc = concat!("# async fn demo() -> Result<(), ", $path, "::Error> {")]
        #[doc = concat!("use ", $path, "::{AsyncCommands, Sharded, Ttl};")]
        ///
        /// let cache = Sharded::connect("gibson://10.0.0.1:10128,10.0.0.2:10128").await?;
        /// cache.set("user:1", "ada", Ttl::Never).await?; // on the key's server
        /// let users = cache.count("user:").await?; // on every server, summed
        /// # Ok(()) }
        /// ```
        pub type Sharded = $crate::Sharded<$rt>;

        #[doc = concat!("A stampede guard over any client ", $on, ": see [`gibson_async::Compute`].")]
        pub type Compute<C> = $crate::Compute<C, $rt>;

        #[doc = concat!("A prefix read a page at a time ", $on, " (what `mget_stream` and `keys_stream` return): see [`gibson_async::PrefixScan`].")]
        pub type PrefixScan<T> = $crate::PrefixScan<$rt, T>;

        #[doc = concat!("A `deadpool::managed::Manager` of [`Connection`]s ", $on)]
        /// (feature `deadpool`): see [`gibson_async::DeadpoolManager`].
        #[cfg(feature = "deadpool")]
        pub type DeadpoolManager = $crate::DeadpoolManager<$rt>;
    };
}

/// The names every async runtime crate re-exports (the features named are
/// the runtime crate's, which forward them).
#[doc(hidden)]
#[macro_export]
macro_rules! __runtime_reexports {
    () => {
        /// The metrics' names (feature `metrics`): see [`gibson_async::metrics`].
        pub use $crate::metrics;
        /// A handle on the keys under one prefix: see [`gibson_async::Namespace`].
        pub use $crate::Namespace;
        pub use $crate::{ComputeOptions, OnCacheError};

        #[cfg(feature = "zstd")]
        pub use gibson_policy::Compressed;
        #[cfg(feature = "json")]
        pub use gibson_policy::Json;
        #[cfg(feature = "msgpack")]
        pub use gibson_policy::MsgPack;
        #[cfg(feature = "postcard")]
        pub use gibson_policy::Postcard;
        pub use gibson_policy::{namespace, shard, Addr, Config, Lenient, PoolConfig, RetryPolicy};
        pub use gibson_proto::{
            cmd, AsyncCommands, Command, Error, FromValue, Handle, LockTime, MetaField, Opcode,
            Pipeline, PipelineResults, ProtocolError, ServerError, Stats, ToArg, Ttl, Value,
        };
        #[cfg(feature = "cached")]
        pub use $crate::CacheStore;
        #[cfg(feature = "near")]
        pub use $crate::{NearCache, NearConfig, NearStats};
    };
}
