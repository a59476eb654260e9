//! What a runtime crate exports, written once: its client types on its
//! runtime, and the names it re-exports from gibson-proto and this crate.

/// Declares a runtime crate's client types on runtime `$rt` (described as
/// `$on`, e.g. `"on tokio"`): `Connection`, `Pool`, `Sharded`, `Compute`
/// and, with the crate's feature `deadpool`, `DeadpoolManager`.
#[doc(hidden)]
#[macro_export]
macro_rules! __runtime_clients {
    ($rt:ty, $on:literal) => {
        #[doc = concat!("A multiplexed connection ", $on, ": see [`gibson_async::Connection`].")]
        pub type Connection = $crate::Connection<$rt>;

        #[doc = concat!("A pool of connections ", $on, ": see [`gibson_async::Pool`].")]
        pub type Pool = $crate::Pool<$rt>;

        #[doc = concat!("Several servers as one cache ", $on, ": see [`gibson_async::Sharded`].")]
        pub type Sharded = $crate::Sharded<$rt>;

        #[doc = concat!("A stampede guard over any client ", $on, ": see [`gibson_async::Compute`].")]
        pub type Compute<C> = $crate::Compute<C, $rt>;

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
        pub use $crate::ComputeOptions;
        /// A handle on the keys under one prefix: see [`gibson_async::Namespace`].
        pub use $crate::Namespace;

        #[cfg(feature = "json")]
        pub use gibson_proto::Json;
        #[cfg(feature = "msgpack")]
        pub use gibson_proto::MsgPack;
        #[cfg(feature = "postcard")]
        pub use gibson_proto::Postcard;
        pub use gibson_proto::{
            cmd, namespace, shard, Addr, AsyncCommands, Command, Config, Error, FromValue, Handle,
            LockTime, MetaField, Pipeline, PipelineResults, PoolConfig, RetryPolicy, Stats, ToArg,
            Ttl, Value,
        };
        #[cfg(feature = "cached")]
        pub use $crate::CacheStore;
    };
}
