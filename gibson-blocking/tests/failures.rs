//! The failure suite (`gibson_test_support::failures::blocking`).

use gibson_test_support::failures::blocking;

#[test]
fn checkout_fails_fast_when_the_server_is_down() {
    blocking::checkout_fails_fast_when_the_server_is_down();
}

#[test]
fn incs_through_resets_each_have_one_outcome() {
    blocking::incs_through_resets_each_have_one_outcome();
}

#[test]
fn a_peer_that_is_not_gibson_is_named() {
    blocking::a_peer_that_is_not_gibson_is_named();
}
