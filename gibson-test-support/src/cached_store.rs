//! The `cached` suite: a `#[concurrent_cached]` function whose store is a
//! Gibson `CacheStore`, written once as an `async fn` generic over the
//! client ([`SuiteClient`]) and the cached function ([`CachedProfile`]),
//! and stamped for every client by [`suite!`](crate::suite!); the test
//! crate depends on `cached` (with `proc_macro`, and `async` for an async
//! client), whose attribute defines the function (and its store) there:
//!
//! ```ignore
//! gibson_test_support::suite!(cached, client: gibson_tokio, runtimes: [tokio]);
//! ```
//!
//! The function computes once per key, its results live in the server
//! (another connection reads them, with the store's TTL), clearing the
//! store is one MDEL (COUNT is 0 after it, and the function computes
//! again), and a stored value that does not decode is an error naming its
//! key.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use cached::{ConcurrentCached, ConcurrentCachedAsync};
use gibson_policy::{Config, Json};
use gibson_proto::{AsyncCommands, Error, MetaField, Ttl};

use crate::client::{client, SuiteClient};
use crate::values::Profile;
use crate::{unique_prefix, TestServer};

/// The server and key prefix of one expansion of the suite, set by its test
/// before the cached function first runs (the store is made on first use).
#[derive(Debug, Default)]
pub struct Setup(OnceLock<(Config, String)>);

impl Setup {
    /// An empty setup, for a `static`.
    pub const fn new() -> Setup {
        Setup(OnceLock::new())
    }

    /// Records the server and the prefix.
    ///
    /// # Panics
    ///
    /// When called twice.
    pub fn set(&self, config: Config, prefix: String) {
        assert!(
            self.0.set((config, prefix)).is_ok(),
            "the suite's store is set up once"
        );
    }

    /// The server's configuration and the prefix.
    ///
    /// # Panics
    ///
    /// Before [`set`](Setup::set).
    pub fn get(&self) -> (Config, &str) {
        let (config, prefix) = self.0.get().expect("the test sets the store up first");
        (config.clone(), prefix)
    }
}

/// A `#[concurrent_cached]` function of a test crate (`profile(id)`:
/// [`Profile::nth`], counted) and its store, made on first use in the
/// server and under the prefix of [`setup`](CachedProfile::setup).
#[allow(async_fn_in_trait)] // awaited on the test's thread only
pub trait CachedProfile {
    /// The function's store.
    type Store: SuiteStore + 'static;
    /// Where the store is made.
    fn setup() -> &'static Setup;
    /// How many times the function computed.
    fn calls() -> &'static AtomicUsize;
    /// Calls the function.
    async fn profile(id: usize) -> Result<Profile, Error>;
    /// The store, once made.
    fn store() -> &'static Self::Store;
}

/// What the suite does with a Gibson `CacheStore` (a `JSON` one), async or
/// blocking: its own methods and those of `cached`'s store traits.
#[allow(async_fn_in_trait)] // awaited on the test's thread only
pub trait SuiteStore {
    /// `invalidate`: one MDEL of the namespace.
    async fn invalidate(&self) -> Result<u64, Error>;
    /// `ttl`: the lifespan.
    fn ttl(&self) -> Option<Duration>;
    /// `set_ttl`.
    fn set_ttl(&self, ttl: Duration) -> Option<Duration>;
    /// `cache_set`.
    async fn cache_set(&self, k: String, v: Profile) -> Result<Option<Profile>, Error>;
    /// `cache_remove`.
    async fn cache_remove(&self, k: &str) -> Result<Option<Profile>, Error>;
    /// `cache_get`.
    async fn cache_get(&self, k: &str) -> Result<Option<Profile>, Error>;
}

impl<C: AsyncCommands + Send> SuiteStore for gibson_async::CacheStore<C, Json> {
    async fn invalidate(&self) -> Result<u64, Error> {
        gibson_async::CacheStore::invalidate(self).await
    }
    fn ttl(&self) -> Option<Duration> {
        ConcurrentCachedAsync::<String, Profile>::ttl(self)
    }
    fn set_ttl(&self, ttl: Duration) -> Option<Duration> {
        ConcurrentCachedAsync::<String, Profile>::set_ttl(self, ttl)
    }
    async fn cache_set(&self, k: String, v: Profile) -> Result<Option<Profile>, Error> {
        ConcurrentCachedAsync::cache_set(self, k, v).await
    }
    async fn cache_remove(&self, k: &str) -> Result<Option<Profile>, Error> {
        ConcurrentCachedAsync::cache_remove(self, &k.to_string()).await
    }
    async fn cache_get(&self, k: &str) -> Result<Option<Profile>, Error> {
        ConcurrentCachedAsync::cache_get(self, &k.to_string()).await
    }
}

impl SuiteStore for gibson_blocking::CacheStore<Json> {
    async fn invalidate(&self) -> Result<u64, Error> {
        gibson_blocking::CacheStore::invalidate(self)
    }
    fn ttl(&self) -> Option<Duration> {
        ConcurrentCached::<String, Profile>::ttl(self)
    }
    fn set_ttl(&self, ttl: Duration) -> Option<Duration> {
        ConcurrentCached::<String, Profile>::set_ttl(self, ttl)
    }
    async fn cache_set(&self, k: String, v: Profile) -> Result<Option<Profile>, Error> {
        ConcurrentCached::cache_set(self, k, v)
    }
    async fn cache_remove(&self, k: &str) -> Result<Option<Profile>, Error> {
        ConcurrentCached::cache_remove(self, &k.to_string())
    }
    async fn cache_get(&self, k: &str) -> Result<Option<Profile>, Error> {
        ConcurrentCached::cache_get(self, &k.to_string())
    }
}

/// Defines, where the suite is stamped, the cached function `profile` and
/// its store (for the client crate `$client`, async or blocking), the
/// [`CachedProfile`] `Profiles` that calls them, and the suite's `#[test]`
/// (run by `$run`, a `block_on`, with the crate's connection). Only the
/// fixture is here, because `cached`'s attribute must expand in the test
/// crate; the test is [`a_cached_function_keeps_its_results_in_a_gibson_namespace`].
#[doc(hidden)]
#[macro_export]
macro_rules! __cached_store_tests {
    (async, $run:expr, $($client:ident)::+) => {
        type GibsonStore = $($client)::+::CacheStore<$($client)::+::Connection, $($client)::+::Json>;

        async fn new_store() -> GibsonStore {
            let (config, prefix) = SETUP.get();
            let conn = $($client)::+::Connection::with_config(config).await.expect("connect");
            $($client)::+::CacheStore::new(conn, prefix, $crate::__reexport::Ttl::Seconds(600))
                .expect("store")
        }

        $crate::__cached_store_tests!(@fn (async) "{ new_store().await }");

        impl $crate::cached_store::CachedProfile for Profiles {
            $crate::__cached_store_tests!(@impl);
            async fn profile(
                id: usize,
            ) -> Result<$crate::values::Profile, $crate::__reexport::Error> {
                profile(id).await
            }
            fn store() -> &'static GibsonStore {
                PROFILE.get().expect("made on first use")
            }
        }

        $crate::__tests!($run, [$($client)::+::Connection, Profiles], cached_store:
            a_cached_function_keeps_its_results_in_a_gibson_namespace);
    };
    (blocking, $run:expr, $($client:ident)::+) => {
        type GibsonStore = $($client)::+::CacheStore<$($client)::+::Json>;

        fn new_store() -> GibsonStore {
            let (config, prefix) = SETUP.get();
            let pool = $($client)::+::Pool::with_config(config).expect("pool");
            $($client)::+::CacheStore::new(pool, prefix, $crate::__reexport::Ttl::Seconds(600))
                .expect("store")
        }

        $crate::__cached_store_tests!(@fn () "{ new_store() }");

        impl $crate::cached_store::CachedProfile for Profiles {
            $crate::__cached_store_tests!(@impl);
            async fn profile(
                id: usize,
            ) -> Result<$crate::values::Profile, $crate::__reexport::Error> {
                profile(id)
            }
            fn store() -> &'static GibsonStore {
                &*PROFILE
            }
        }

        $crate::__tests!(
            $run,
            [$crate::client::Blocking<$($client)::+::Connection>, Profiles],
            cached_store: a_cached_function_keeps_its_results_in_a_gibson_namespace
        );
    };
    (@fn ($($asyncness:tt)?) $create:literal) => {
        static SETUP: $crate::cached_store::Setup = $crate::cached_store::Setup::new();
        static CALLS: ::std::sync::atomic::AtomicUsize = ::std::sync::atomic::AtomicUsize::new(0);

        /// The cached function: one computation per id.
        #[::cached::concurrent_cached(
            ty = "GibsonStore",
            create = $create,
            map_error = r##"|e| e"##,
            key = "String",
            convert = r##"{ format!("user-{id}") }"##
        )]
        $($asyncness)? fn profile(
            id: usize,
        ) -> Result<$crate::values::Profile, $crate::__reexport::Error> {
            CALLS.fetch_add(1, ::std::sync::atomic::Ordering::SeqCst);
            Ok($crate::values::Profile::nth(id))
        }

        /// `profile` and its store, for the suite.
        struct Profiles;
    };
    (@impl) => {
        type Store = GibsonStore;
        fn setup() -> &'static $crate::cached_store::Setup {
            &SETUP
        }
        fn calls() -> &'static ::std::sync::atomic::AtomicUsize {
            &CALLS
        }
    };
}

/// A cached function keeps its results in a Gibson namespace: it computes
/// once per key, another client reads them (with the store's TTL), one
/// MDEL clears them, the store's own methods work, and a stored value that
/// does not decode is an error naming its whole key.
pub async fn a_cached_function_keeps_its_results_in_a_gibson_namespace<
    C: SuiteClient,
    F: CachedProfile,
>() {
    let server = TestServer::start();
    let p = unique_prefix("cached");
    F::setup().set(server.config(), p.clone());
    let other: C = client(server.config()).await;

    assert_eq!(F::profile(1).await.unwrap(), Profile::nth(1));
    assert_eq!(F::profile(1).await.unwrap(), Profile::nth(1));
    assert_eq!(F::profile(2).await.unwrap(), Profile::nth(2));
    assert_eq!(
        F::calls().load(Ordering::SeqCst),
        2,
        "one computation per id"
    );

    // The results live in the server, with the store's TTL.
    assert_eq!(other.count(p.as_str()).await.unwrap(), 2);
    let stored = other
        .get::<Json<Profile>>(format!("{p}user-2"))
        .await
        .unwrap();
    assert_eq!(stored.map(Json::into_inner), Some(Profile::nth(2)));
    let ttl = other
        .meta(format!("{p}user-2"), MetaField::Ttl)
        .await
        .unwrap();
    assert_eq!(ttl, Some(600));

    // Clearing the store is one MDEL of its namespace.
    let store = F::store();
    assert_eq!(store.invalidate().await.unwrap(), 2);
    assert_eq!(other.count(p.as_str()).await.unwrap(), 0);
    assert_eq!(F::profile(1).await.unwrap(), Profile::nth(1));
    assert_eq!(
        F::calls().load(Ordering::SeqCst),
        3,
        "computed again after the clear"
    );

    // The store's own methods: lifespan, remove.
    assert_eq!(store.ttl(), Some(Duration::from_secs(600)));
    store.set_ttl(Duration::from_secs(30));
    store
        .cache_set("direct".to_string(), Profile::nth(3))
        .await
        .unwrap();
    let ttl = other
        .meta(format!("{p}direct"), MetaField::Ttl)
        .await
        .unwrap();
    assert_eq!(ttl, Some(30));
    let removed: Option<Profile> = store.cache_remove("direct").await.unwrap();
    assert_eq!(removed, Some(Profile::nth(3)));
    let gone: Option<Profile> = store.cache_get("direct").await.unwrap();
    assert_eq!(gone, None);

    // A stored value that does not decode names its whole key.
    other
        .set(format!("{p}user-9"), "not json", Ttl::Seconds(600))
        .await
        .unwrap();
    let err = F::profile(9).await.unwrap_err();
    let want = format!("{p}user-9");
    assert!(
        matches!(&err, Error::Decode { key: Some(k), codec: "JSON", .. } if *k == want),
        "{err}"
    );
    assert_eq!(store.invalidate().await.unwrap(), 2);
    assert_eq!(other.count(p.as_str()).await.unwrap(), 0);
}
