//! The resilience suite: cancellation, timeouts, back-pressure, restarts,
//! resets, oversized requests and the pool, written once and expanded for
//! every runtime crate (see [`suite!`](crate::suite!)):
//!
//! ```ignore
//! gibson_test_support::suite!(resilience, client: gibson_tokio, runtimes: [tokio, tokio_multi_thread]);
//! gibson_test_support::suite!(resilience, client: gibson_blocking, runtimes: [blocking]);
//! ```
//!
//! Every scenario is a function of a module named after its concern,
//! generic over the [`Runtime`](crate::runtime::Runtime) where it needs
//! one (so that a crate can also run one on an executor of its own), with
//! a `#[test]` of the same name that runs it:
//!
//! * [`common`]: what every client does, the blocking one included:
//!   `async fn`s generic over the client, like the conformance suite's;
//! * [`in_flight`]: many requests on one async connection: cancelled, timed
//!   out, queued behind a full socket or beyond `max_in_flight`;
//! * [`reconnect`]: server restarts, resets, resends, the socket's lifetime;
//! * [`pools`]: the async pool under load, exhausted, and its health check.
//!
//! The scenarios of async clients only take the runtime and the client
//! ([`AsyncClient`](crate::client::AsyncClient)), whose connection
//! (`gibson_async::Connection<C::Runtime>`, that is `C`) and pool they use.

pub mod common;
pub mod in_flight;
pub mod pools;
pub mod reconnect;

use gibson_proto::Error;

/// `true` for [`Error::Timeout`] of a response.
pub fn is_response_timeout(e: &Error) -> bool {
    is_timeout_of(e, "response")
}

/// `true` for [`Error::Timeout`] of `what` (`"response"`, `"computation"`, …).
pub fn is_timeout_of(e: &Error, what: &str) -> bool {
    matches!(e, Error::Timeout { what: w, .. } if *w == what)
}

/// Stamps a `#[test]` per scenario of async clients ([`in_flight`],
/// [`reconnect`], [`pools`]), each running it with `$run` (a `block_on`)
/// on the runtime `$rt` and the client type `$client`.
#[doc(hidden)]
#[macro_export]
macro_rules! __resilience_async_tests {
    ($rt:ty, $run:expr, $client:ty) => {
        $crate::__tests!($run, [$rt, $client], resilience::in_flight:
            cancelled_requests_never_shift_replies,
            one_timeout_leaves_the_others_and_the_connection_healthy,
            a_pipeline_timeout_leaves_the_connection_in_step,
            abandoned_pipeline_keeps_the_connection_in_step,
            requests_stuck_behind_a_full_socket_time_out,
            callers_beyond_max_in_flight_wait_and_all_complete,
        );
        $crate::__tests!($run, [$rt, $client], resilience::reconnect:
            server_restart_tcp,
            #[cfg(unix)]
            server_restart_unix,
            only_idempotent_requests_are_retried,
            dropping_every_handle_closes_the_socket,
        );
        $crate::__tests!($run, [$rt, $client], resilience::pools:
            pool_small_requests_pass_a_big_mget,
            pool_exhausted_waits_then_errors,
            pool_health_check_reopens_a_broken_member,
        );
    };
}

/// One `#[test]` per scenario of the async module `$module`, running
/// `module::name` on runtime `$rt`; attributes before a name
/// (`#[cfg(unix)] name`) go on its test.
#[doc(hidden)]
#[macro_export]
macro_rules! __resilience_tests {
    (async $rt:ty, $module:ident [$($(#[$attr:meta])* $name:ident),* $(,)?]) => {
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                <$rt as $crate::runtime::Runtime>::block_on($module::$name::<$rt>())
            }
        )*
    };
}
