//! The failure suite (`gibson_test_support::failures`) on tokio.

use gibson_test_support::failures;
use gibson_test_support::runtime::{Runtime, Tokio};
use gibson_tokio::Tokio as Rt;

macro_rules! tests {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            Tokio::block_on(failures::$name::<Tokio, Rt>())
        }
    )*};
}

tests!(
    a_silent_peer_is_replaced,
    an_outage_fails_every_caller_with_the_address,
    incs_through_resets_each_have_one_outcome,
    a_peer_that_is_not_gibson_is_named,
    callers_beyond_max_waiting_are_refused_as_busy,
    small_requests_pass_a_big_set,
);
