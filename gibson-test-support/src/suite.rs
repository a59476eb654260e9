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
//! `failures`, `compute` (the stampede guard's shared scenarios), `dead_shard` (the sharded client's `Sharded`: the scenarios
//! of `dead_shard`, `replicas` and, in a module `server_list`, `server_list`),
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
    ($module:ident, blocking, failures, $($client:ident)::+) => {
        $crate::__tests!(sync, failures::blocking:
            checkout_fails_fast_when_the_server_is_down,
            incs_through_resets_each_have_one_outcome,
            a_peer_that_is_not_gibson_is_named,
        );
    };
    ($module:ident, $rt:ty, failures, $($client:ident)::+) => {
        $crate::__suite!(@async $rt, [$($client)::+], failures:
            a_silent_peer_is_replaced,
            an_outage_fails_every_caller_with_the_address,
            incs_through_resets_each_have_one_outcome,
            a_peer_that_is_not_gibson_is_named,
            callers_beyond_max_waiting_are_refused_as_busy,
            small_requests_pass_a_big_set,
        );
    };
    ($module:ident, blocking, compute, $($client:ident)::+) => {
        $crate::__tests!(sync, compute::blocking: stale_while_refresh_serves_the_old_value_at_once);
        $crate::__tests!(sync, compute::blocking($crate::built!()):
            a_guard_fails_open_when_the_server_is_gone);
    };
    ($module:ident, $rt:ty, compute, $($client:ident)::+) => {
        $crate::__suite!(@async $rt, [$($client)::+], compute:
            stale_while_refresh_serves_the_old_value_at_once);
        $crate::__suite!(@async $rt, [$($client)::+], compute($crate::built!()):
            a_guard_fails_open_when_the_server_is_gone);
    };
    ($module:ident, blocking, dead_shard, $($client:ident)::+) => {
        $crate::__dead_shard_tests!(blocking, [$($client)::+]);
    };
    ($module:ident, $rt:ty, dead_shard, $($client:ident)::+) => {
        $crate::__dead_shard_tests!($rt, [$($client)::+]);
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
    (@async $rt:ty, [$($client:tt)+], $($tests:tt)+) => {
        $crate::__tests!(
            <$rt as $crate::runtime::Runtime>::block_on,
            [$rt, <$($client)+::Connection as $crate::client::AsyncClient>::Runtime],
            $($tests)+
        );
    };
    (@fns conformance, $($args:tt)*) => { $crate::__conformance_tests!($($args)*); };
    (@fns values, $($args:tt)*) => { $crate::__values_tests!($($args)*); };
    (@fns faults, $($args:tt)*) => { $crate::__fault_tests!($($args)*); };
    (@fns bulk, $($args:tt)*) => { $crate::__bulk_tests!($($args)*); };
}

/// Stamps, for each function `$name` of the suite module `$suite` (a path
/// in this crate), a `#[test] fn $name` that runs
/// `$suite::$name::<$ty, …>(…)` (the types given, in their order; the
/// arguments given in parentheses after the path, none by default) with
/// `$run` (a `block_on`), keeping the attributes given before the name (a
/// `cfg`). With `sync` instead of `$run` and types, the functions are
/// plain ones, called as they are.
#[doc(hidden)]
#[macro_export]
macro_rules! __tests {
    (sync, $($suite:ident)::+ : $($names:tt)+) => {
        $crate::__tests!(@each sync, [], [$($suite)::+], (), $($names)+);
    };
    (sync, $($suite:ident)::+ ($($args:tt)*): $($names:tt)+) => {
        $crate::__tests!(@each sync, [], [$($suite)::+], ($($args)*), $($names)+);
    };
    (@each $run:tt, $types:tt, $suite:tt, $args:tt, $($(#[$attr:meta])* $name:ident),+ $(,)?) => {
        $( $crate::__tests!(@one $run, $types, $suite, $args, $(#[$attr])* $name); )+
    };
    (@one sync, [], [$($suite:tt)+], $args:tt, $(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[test]
        fn $name() {
            $crate::$($suite)+::$name $args
        }
    };
    (@one ($run:expr), [$($ty:tt)+], [$($suite:tt)+], $args:tt, $(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[test]
        fn $name() {
            $run($crate::$($suite)+::$name::<$($ty)+> $args)
        }
    };
    ($run:expr, $types:tt, $($suite:ident)::+ : $($names:tt)+) => {
        $crate::__tests!(@each ($run), $types, [$($suite)::+], (), $($names)+);
    };
    ($run:expr, $types:tt, $($suite:ident)::+ ($($args:tt)*): $($names:tt)+) => {
        $crate::__tests!(@each ($run), $types, [$($suite)::+], ($($args)*), $($names)+);
    };
}

/// Stamps, for each `$name: $scenario` of the sharded-client module
/// `$suite` (`dead_shard`, `replicas`, `server_list`), a `#[test] fn
/// $name` that runs `$suite::Scenario::$scenario` with its `run_blocking`
/// (`$rt` is `blocking`) or its `run_async` on the runtime `$rt`, the
/// client `$client::Sharded` built by `$connect` from the runner's
/// argument `$arg`.
#[doc(hidden)]
#[macro_export]
macro_rules! __scenario_tests {
    (@one blocking, [$($client:tt)+], $suite:ident, |$arg:ident| $connect:ident $call:tt,
        $(#[$attr:meta])* $name:ident: $scenario:ident) => {
        $(#[$attr])*
        #[test]
        fn $name() {
            $crate::$suite::run_blocking($crate::$suite::Scenario::$scenario, |$arg| {
                $($client)+::Sharded::$connect $call.unwrap()
            });
        }
    };
    (@one $rt:ty, [$($client:tt)+], $suite:ident, |$arg:ident| $connect:ident $call:tt,
        $(#[$attr:meta])* $name:ident: $scenario:ident) => {
        $(#[$attr])*
        #[test]
        fn $name() {
            $crate::$suite::run_async::<$rt, _, _>(
                $crate::$suite::Scenario::$scenario,
                |$arg| async move { $($client)+::Sharded::$connect $call.await.unwrap() },
            );
        }
    };
    ($rt:tt, $client:tt, $suite:ident, |$arg:ident| $connect:ident $call:tt:
        $($(#[$attr:meta])* $name:ident: $scenario:ident),+ $(,)?) => {$(
        $crate::__scenario_tests!(@one $rt, $client, $suite, |$arg| $connect $call,
            $(#[$attr])* $name: $scenario);
    )+};
}
