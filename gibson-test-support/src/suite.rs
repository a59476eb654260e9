//! [`suite!`](crate::suite): a runtime crate's test file in one line.
//!
//! ```ignore
//! // gibson-tokio/tests/faults.rs
//! gibson_test_support::suite!(faults, client: gibson_tokio, runtimes: [tokio]);
//! // gibson-async-std/tests/faults.rs
//! gibson_test_support::suite!(faults, client: gibson_async_std, runtimes: [async_std, smol]);
//! // gibson-blocking/tests/faults.rs
//! gibson_test_support::suite!(faults, client: gibson_blocking, runtimes: [blocking]);
//! ```
//!
//! Suites: `conformance`, `faults`, `bulk`, `resilience`. Runtimes:
//! `tokio` (current-thread), `tokio_multi_thread` (two workers), `async_std`,
//! `smol` (each a [`Runtime`](crate::runtime::Runtime), behind the feature of
//! its name), and `blocking` for a synchronous client. The client crate
//! must export `Connection` (and `Pool`, `Config`, … for `resilience`).
//! With one runtime the tests are at the top of the file; with several, in
//! one module per runtime, named `<runtime>_runtime`.

/// Expands a shared suite for a client crate on runtimes; see the
/// [module docs](crate::suite).
#[macro_export]
macro_rules! suite {
    ($suite:ident, client: $client:ident, runtimes: [$rt:ident $(,)?]) => {
        $crate::__suite!($suite, $client, $rt);
    };
    ($suite:ident, client: $client:ident, runtimes: [$($rt:ident),+ $(,)?]) => {
        $( $crate::__suite_module!($suite, $client, $rt); )+
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_module {
    ($suite:ident, $client:ident, tokio) => {
        /// Under tokio's current-thread runtime.
        mod tokio_runtime {
            $crate::__suite!($suite, $client, tokio);
        }
    };
    ($suite:ident, $client:ident, tokio_multi_thread) => {
        /// Under tokio's multi-thread runtime (two workers).
        mod tokio_multi_thread_runtime {
            $crate::__suite!($suite, $client, tokio_multi_thread);
        }
    };
    ($suite:ident, $client:ident, async_std) => {
        /// Under async-std's `block_on` (its executor and reactor).
        mod async_std_runtime {
            $crate::__suite!($suite, $client, async_std);
        }
    };
    ($suite:ident, $client:ident, smol) => {
        /// Under `smol::block_on`, tasks on smol's executor.
        mod smol_runtime {
            $crate::__suite!($suite, $client, smol);
        }
    };
}

/// The [`Runtime`](crate::runtime::Runtime) named `tokio`, `async_std`, ….
#[doc(hidden)]
#[macro_export]
macro_rules! __runtime {
    (tokio) => {
        $crate::runtime::Tokio
    };
    (tokio_multi_thread) => {
        $crate::runtime::TokioMultiThread
    };
    (async_std) => {
        $crate::runtime::AsyncStd
    };
    (smol) => {
        $crate::runtime::Smol
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite {
    (@call conformance ($($mode:tt)*) $($rest:tt)*) => { $crate::conformance_suite!($($mode)* $($rest)*); };
    (@call faults ($($mode:tt)*) $($rest:tt)*) => { $crate::fault_suite!($($mode)* $($rest)*); };
    (@call bulk ($($mode:tt)*) $($rest:tt)*) => { $crate::bulk_pipelining_test!($($mode)* $($rest)*); };
    (resilience, $client:ident, blocking) => {
        $crate::resilience_suite!(blocking, client: $client);
    };
    (resilience, $client:ident, $rt:ident) => {
        $crate::resilience_suite!(async, runtime: $crate::__runtime!($rt), client: $client);
    };
    ($suite:ident, $client:ident, blocking) => {
        $crate::__suite!(@call $suite (blocking,)
            connect: |config| $client::Connection::with_config(config));
    };
    ($suite:ident, $client:ident, $rt:ident) => {
        fn run<F: ::std::future::Future>(f: F) -> F::Output {
            <$crate::__runtime!($rt) as $crate::runtime::Runtime>::block_on(f)
        }
        $crate::__suite!(@call $suite (async, run: run,)
            connect: |config| $client::Connection::with_config(config).await);
    };
}
