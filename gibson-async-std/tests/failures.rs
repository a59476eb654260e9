//! The failure suite (`gibson_test_support::failures`) under async-std
//! and under smol.

use gibson_async_std::{AsyncIo, SmolTasks};
use gibson_test_support::failures;
use gibson_test_support::runtime::{AsyncStd, Runtime, Smol};

macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        mod async_std_runtime {
            use super::*;
            $(
                #[test]
                fn $name() {
                    AsyncStd::block_on(failures::$name::<AsyncStd, AsyncIo>())
                }
            )*
        }
        mod smol_runtime {
            use super::*;
            $(
                #[test]
                fn $name() {
                    Smol::block_on(failures::$name::<Smol, AsyncIo<SmolTasks>>())
                }
            )*
        }
    };
}

tests!(
    a_silent_peer_is_replaced,
    an_outage_fails_every_caller_with_the_address,
    incs_through_resets_each_have_one_outcome,
    a_peer_that_is_not_gibson_is_named,
    callers_beyond_max_waiting_are_refused_as_busy,
    small_requests_pass_a_big_set,
);
