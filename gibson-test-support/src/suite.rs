//! [`suite!`](crate::suite!): a runtime crate's test file in one line.
//!
//! ```ignore
//! // gibson-tokio/tests/faults.rs
//! gibson_test_support::suite!(faults, client: gibson_tokio, runtimes: [tokio]);
//! // gibson-async-std/tests/faults.rs
//! gibson_test_support::suite!(faults, client: gibson_async_std, runtimes: [async_std, smol]);
//! // or a client (a path) per runtime
//! gibson_test_support::suite!(faults, runtimes: [async_std: gibson_async_std, smol: gibson_async_std::smol]);
//! // gibson-blocking/tests/faults.rs
//! gibson_test_support::suite!(faults, client: gibson_blocking, runtimes: [blocking]);
//! ```
//!
//! Suites: `conformance`, `faults`, `bulk`, `resilience`, `values`, `cached`, `prefix` (async),
//! `observe` (feature `observe`; the client built with `tracing` and
//! `metrics`). Runtimes:
//! `tokio` (current-thread), `tokio_multi_thread` (two workers), `async_std`,
//! `smol` (each a [`Runtime`](crate::runtime::Runtime), behind the feature of
//! its name), and `blocking` for a synchronous client. The client crate
//! must export `Connection` (and what the suites still written as macros
//! name: `CacheStore`, `Pool`, `Json` for `cached`; `Compute`, `Sharded`…
//! for `prefix`).
//! With one runtime the tests are at the top of the file; with several, in
//! one module per runtime, named `<runtime>_runtime`.

/// Expands a shared suite for a client crate on runtimes; see the
/// [module docs](mod@crate::suite).
#[macro_export]
macro_rules! suite {
    ($suite:ident, client: $($client:ident)::+, runtimes: [$rt:ident $(,)?]) => {
        #[allow(unused_imports)]
        use $crate::__reexport::{AsyncCommands as _, Commands as _};
        $crate::__runtime!($rt, __suite!($suite, $($client)::+));
    };
    ($suite:ident, client: $($client:ident)::+, runtimes: [$($rt:ident),+ $(,)?]) => {
        $crate::suite!(@each $suite [$($client)::+] $($rt)+);
    };
    (@each $suite:ident [$($client:tt)*] $rt:ident $($rest:ident)*) => {
        $crate::__runtime!($rt, __suite_in_module!($suite, $($client)*));
        $crate::suite!(@each $suite [$($client)*] $($rest)*);
    };
    (@each $suite:ident [$($client:tt)*]) => {};
    ($suite:ident, runtimes: [$($rt:ident: $($client:ident)::+),+ $(,)?]) => {
        $( $crate::__runtime!($rt, __suite_in_module!($suite, $($client)::+)); )+
    };
}

/// The runtime named `$rt`: calls `$crate::$then!(module, runtime, …)`
/// with the module its tests go in (when a file runs several) and its
/// [`Runtime`](crate::runtime::Runtime) type, or `blocking`.
#[doc(hidden)]
#[macro_export]
macro_rules! __runtime {
    (tokio, $then:ident!($($args:tt)*)) => {
        $crate::$then!(tokio_runtime, $crate::runtime::Tokio, $($args)*);
    };
    (tokio_multi_thread, $then:ident!($($args:tt)*)) => {
        $crate::$then!(tokio_multi_thread_runtime, $crate::runtime::TokioMultiThread, $($args)*);
    };
    (async_std, $then:ident!($($args:tt)*)) => {
        $crate::$then!(async_std_runtime, $crate::runtime::AsyncStd, $($args)*);
    };
    (smol, $then:ident!($($args:tt)*)) => {
        $crate::$then!(smol_runtime, $crate::runtime::Smol, $($args)*);
    };
    (blocking, $then:ident!($($args:tt)*)) => {
        $crate::$then!(blocking_client, blocking, $($args)*);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_in_module {
    ($module:ident, $($args:tt)*) => {
        mod $module {
            #[allow(unused_imports)]
            use $crate::__reexport::{AsyncCommands as _, Commands as _};
            $crate::__suite!($module, $($args)*);
        }
    };
}

/// The suite `$suite` for the client crate `$client` on the runtime `$rt`
/// (or `blocking`). The suites written as functions (`conformance`,
/// `values`, `faults`, `bulk`, `observe`, `resilience`) are stamped by
/// their own `__…_tests!` with the runtime's `block_on` and the client
/// type: the crate's `Connection`, behind
/// [`Blocking`](crate::client::Blocking) for a blocking crate.
#[doc(hidden)]
#[macro_export]
macro_rules! __suite {
    ($module:ident, $rt:ty, prefix, $($client:ident)::+) => {
        $crate::prefix_suite!(async, runtime: $rt, client: $($client)::+);
    };
    ($module:ident, blocking, cached, $($client:ident)::+) => {
        $crate::__cached_store_tests!(blocking, $crate::client::block_on, $($client)::+);
    };
    ($module:ident, $rt:ty, cached, $($client:ident)::+) => {
        $crate::__cached_store_tests!(
            async,
            <$rt as $crate::runtime::Runtime>::block_on,
            $($client)::+
        );
    };
    ($module:ident, blocking, observe, $($client:ident)::+) => {
        $crate::__observe_tests!(
            blocking,
            $crate::client::block_on,
            $crate::client::Blocking<$($client)::+::Connection>
        );
    };
    ($module:ident, $rt:ty, observe, $($client:ident)::+) => {
        $crate::__observe_tests!(
            async $rt,
            <$rt as $crate::runtime::Runtime>::block_on,
            $($client)::+::Connection
        );
    };
    ($module:ident, blocking, resilience, $($client:ident)::+) => {
        $crate::__resilience_common_tests!(
            $crate::runtime::Thread,
            $crate::client::block_on,
            $crate::client::Blocking<$($client)::+::Connection>
        );
    };
    ($module:ident, $rt:ty, resilience, $($client:ident)::+) => {
        $crate::__resilience_common_tests!(
            $rt,
            <$rt as $crate::runtime::Runtime>::block_on,
            $($client)::+::Connection
        );
        $crate::__resilience_async_tests!(
            $rt,
            <$rt as $crate::runtime::Runtime>::block_on,
            $($client)::+::Connection
        );
    };
    ($module:ident, blocking, $suite:ident, $($client:ident)::+) => {
        $crate::__suite!(@fns $suite,
            $crate::client::block_on,
            $crate::client::Blocking<$($client)::+::Connection>);
    };
    ($module:ident, $rt:ty, $suite:ident, $($client:ident)::+) => {
        $crate::__suite!(@fns $suite,
            <$rt as $crate::runtime::Runtime>::block_on,
            $($client)::+::Connection);
    };
    (@fns conformance, $($args:tt)*) => { $crate::__conformance_tests!($($args)*); };
    (@fns values, $($args:tt)*) => { $crate::__values_tests!($($args)*); };
    (@fns faults, $($args:tt)*) => { $crate::__fault_tests!($($args)*); };
    (@fns bulk, $($args:tt)*) => { $crate::__bulk_tests!($($args)*); };
}

/// Stamps, for each function `$name` of the suite module `$suite` (a path
/// in this crate), a `#[test] fn $name` that runs
/// `$suite::$name::<$ty, …>()` (the types given, in their order) with
/// `$run` (a `block_on`), keeping the attributes given before the name (a
/// `cfg`). With `sync` instead of `$run` and types, the functions are
/// plain ones, called as they are.
#[doc(hidden)]
#[macro_export]
macro_rules! __tests {
    (sync, $($suite:ident)::+ : $($names:tt)+) => {
        $crate::__tests!(@each sync, [], [$($suite)::+], $($names)+);
    };
    (@each $run:tt, $types:tt, $suite:tt, $($(#[$attr:meta])* $name:ident),+ $(,)?) => {
        $( $crate::__tests!(@one $run, $types, $suite, $(#[$attr])* $name); )+
    };
    (@one sync, [], [$($suite:tt)+], $(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[test]
        fn $name() {
            $crate::$($suite)+::$name()
        }
    };
    (@one ($run:expr), [$($ty:tt)+], [$($suite:tt)+], $(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[test]
        fn $name() {
            $run($crate::$($suite)+::$name::<$($ty)+>())
        }
    };
    ($run:expr, $types:tt, $($suite:ident)::+ : $($names:tt)+) => {
        $crate::__tests!(@each ($run), $types, [$($suite)::+], $($names)+);
    };
}
