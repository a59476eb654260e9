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
//! * `in_flight`: many requests on one async connection: cancelled, timed
//!   out, queued behind a full socket or beyond `max_in_flight`;
//! * `reconnect`: server restarts, resets, resends, the socket's lifetime;
//! * `pools`: the async pool under load, exhausted, and its health check.

pub mod common;
mod in_flight;
mod pools;
mod reconnect;

use gibson_proto::Error;

/// `true` for [`Error::Timeout`] of a response.
pub fn is_response_timeout(e: &Error) -> bool {
    is_timeout_of(e, "response")
}

/// `true` for [`Error::Timeout`] of `what` (`"response"`, `"computation"`, …).
pub fn is_timeout_of(e: &Error, what: &str) -> bool {
    matches!(e, Error::Timeout { what: w, .. } if *w == what)
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
