//! The `cached` suite: a `#[concurrent_cached]` function whose store is a
//! Gibson `CacheStore`, written once for every client (see
//! [`suite!`](crate::suite!)); the test crate depends on `cached` (with
//! `proc_macro`, and `async` for an async client):
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

use std::sync::OnceLock;

use gibson_policy::Config;

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

/// Expands the `cached` suite; see the [module docs](self).
#[macro_export]
macro_rules! cached_store_suite {
    (async, run: $run:path, client: $($client:ident)::+) => {
        use $($client)::+::{CacheStore, Connection};
        use ::cached::ConcurrentCachedAsync as Store;

        type GibsonStore = CacheStore<Connection, $($client)::+::Json>;

        async fn new_store() -> GibsonStore {
            let (config, prefix) = SETUP.get();
            let conn = Connection::with_config(config).await.expect("connect");
            CacheStore::new(conn, prefix, Ttl::Seconds(600)).expect("store")
        }

        $crate::__cached_store_tests!([$($client)::+] ($run) (async move) (.await) (async)
            "{ new_store().await }" PROFILE.get().expect("made on first use")
            ; |config| Connection::with_config(config).await);
    };
    (blocking, client: $($client:ident)::+) => {
        use $($client)::+::{CacheStore, Connection, Pool};
        use ::cached::ConcurrentCached as Store;

        type GibsonStore = CacheStore<$($client)::+::Json>;

        fn new_store() -> GibsonStore {
            let (config, prefix) = SETUP.get();
            let pool = Pool::with_config(config).expect("pool");
            CacheStore::new(pool, prefix, Ttl::Seconds(600)).expect("store")
        }

        $crate::__cached_store_tests!([$($client)::+] ($crate::conformance::run_blocking) () () ()
            "{ new_store() }" &*PROFILE
            ; |config| Connection::with_config(config));
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __cached_store_tests {
    ([$($client:ident)::+] ($run:path) ($($wrap:tt)*) ($($aw:tt)*) ($($asyncness:tt)?)
        $create:literal $store:expr; |$cfg:ident| $connect:expr) => {
        use std::sync::atomic::{AtomicUsize, Ordering};

        use $($client)::+::{Error, Json, MetaField, Ttl};
        use $crate::values::Profile;

        static SETUP: $crate::cached_store::Setup = $crate::cached_store::Setup::new();
        static CALLS: AtomicUsize = AtomicUsize::new(0);

        /// The cached function: one computation per id.
        #[::cached::concurrent_cached(
            ty = "GibsonStore",
            create = $create,
            map_error = r##"|e| e"##,
            key = "String",
            convert = r##"{ format!("user-{id}") }"##
        )]
        $($asyncness)? fn profile(id: usize) -> Result<Profile, Error> {
            CALLS.fetch_add(1, Ordering::SeqCst);
            Ok(Profile::nth(id))
        }

        $crate::__suite_clients!(($run) ($($wrap)*) |$cfg| $connect);

        suite_test!(fn a_cached_function_keeps_its_results_in_a_gibson_namespace() {
            let server = $crate::TestServer::start();
            let p = $crate::unique_prefix("cached");
            SETUP.set(server.config(), p.clone());
            #[allow(unused_mut)]
            let mut other = client!(server.config());

            assert_eq!(profile(1)$($aw)*.unwrap(), Profile::nth(1));
            assert_eq!(profile(1)$($aw)*.unwrap(), Profile::nth(1));
            assert_eq!(profile(2)$($aw)*.unwrap(), Profile::nth(2));
            assert_eq!(CALLS.load(Ordering::SeqCst), 2, "one computation per id");

            // The results live in the server, with the store's TTL.
            assert_eq!(other.count(p.as_str())$($aw)*.unwrap(), 2);
            let stored = other.get::<Json<Profile>>(format!("{p}user-2"))$($aw)*.unwrap();
            assert_eq!(stored.map(Json::into_inner), Some(Profile::nth(2)));
            let ttl = other.meta(format!("{p}user-2"), MetaField::Ttl)$($aw)*.unwrap();
            assert_eq!(ttl, Some(600));

            // Clearing the store is one MDEL of its namespace.
            let store: &GibsonStore = $store;
            assert_eq!(store.invalidate()$($aw)*.unwrap(), 2);
            assert_eq!(other.count(p.as_str())$($aw)*.unwrap(), 0);
            assert_eq!(profile(1)$($aw)*.unwrap(), Profile::nth(1));
            assert_eq!(CALLS.load(Ordering::SeqCst), 3, "computed again after the clear");

            // The store's own methods: lifespan, remove.
            assert_eq!(Store::<String, Profile>::ttl(store), Some(std::time::Duration::from_secs(600)));
            Store::<String, Profile>::set_ttl(store, std::time::Duration::from_secs(30));
            Store::cache_set(store, "direct".to_string(), Profile::nth(3))$($aw)*.unwrap();
            let ttl = other.meta(format!("{p}direct"), MetaField::Ttl)$($aw)*.unwrap();
            assert_eq!(ttl, Some(30));
            let removed: Option<Profile> = Store::cache_remove(store, &"direct".to_string())$($aw)*.unwrap();
            assert_eq!(removed, Some(Profile::nth(3)));
            let gone: Option<Profile> = Store::cache_get(store, &"direct".to_string())$($aw)*.unwrap();
            assert_eq!(gone, None);

            // A stored value that does not decode names its whole key.
            other.set(format!("{p}user-9"), "not json", Ttl::Seconds(600))$($aw)*.unwrap();
            let err = profile(9)$($aw)*.unwrap_err();
            let want = format!("{p}user-9");
            assert!(
                matches!(&err, Error::Decode { key: Some(k), codec: "JSON", .. } if *k == want),
                "{err}"
            );
            assert_eq!(store.invalidate()$($aw)*.unwrap(), 2);
            assert_eq!(other.count(p.as_str())$($aw)*.unwrap(), 0);
        });
    };
}
