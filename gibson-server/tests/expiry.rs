//! TTL expiry, lock expiry and the periodic sweep. The manual clock drives
//! the seconds; one test uses the real clock for about a second.

mod common;

use std::time::{Duration, Instant};

use common::*;
use gibson_server::Server;

/// Polls `f` until it returns true, for at most 5 s of real time.
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn ttl_expiry_on_a_one_second_clock() {
    let (_s, c, mut r) = start_raw(Server::builder());
    r.req(SET, b"2 k v");
    assert_eq!(r.req(GET, b"k"), val(b"v"));
    c.advance(1);
    assert_eq!(r.req(META, b"k left"), num(1));
    assert_eq!(r.req(GET, b"k"), val(b"v"));
    c.advance(1);
    assert_eq!(r.req(GET, b"k"), not_found());
    assert_eq!(r.req(META, b"k left"), not_found());
    assert_eq!(r.req(DEL, b"k"), not_found());
    assert_eq!(r.req(INC, b"k"), num(1), "an expired key reads as absent");
}

#[test]
fn lock_expiry() {
    let (_s, c, mut r) = start_raw(Server::builder());
    r.req(SET, b"0 k v");
    assert_eq!(r.req(LOCK, b"k 3"), ok());
    c.advance(2);
    assert_eq!(r.req(DEL, b"k"), locked());
    assert_eq!(r.req(MDEL, b"k"), not_found(), "nothing deleted");
    c.advance(1);
    assert_eq!(r.req(LOCK, b"k 3"), ok(), "the old lock ran out");
    c.advance(3);
    assert_eq!(r.req(DEL, b"k"), ok());
}

#[test]
fn sweep_removes_expired_items_locked_ones_too() {
    let (_s, c, mut r) = start_raw(Server::builder().sweep_period(Duration::from_millis(20)));
    r.req(SET, b"1 s:a v");
    r.req(SET, b"1 s:b v");
    r.req(SET, b"0 s:c v");
    r.req(SET, b"1 s:d v");
    assert_eq!(r.req(LOCK, b"s:d -1"), ok());
    c.advance(5);
    // KEYS does not check expiry: only the sweep makes the entries go.
    assert!(eventually(|| r.req(KEYS, b"s:") == keys_reply(&[b"s:c"])));
    let pairs = stats_pairs(&mut r);
    let get = |n: &str| stat(&pairs, n);
    assert!(get("total_cron_done").as_int().unwrap() > 0);
    assert_eq!(get("total_items").as_int(), Some(1));
    assert_eq!(r.req(GET, b"s:d"), not_found());
}

#[test]
fn without_sweep_expired_keys_stay_listed() {
    let (_s, c, mut r) = start_raw(Server::builder().sweep_period(Duration::from_secs(3600)));
    r.req(SET, b"1 k v");
    c.advance(10);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(r.req(KEYS, b"k"), keys_reply(&[b"k"]));
}

#[test]
fn real_clock_expiry() {
    let s = Server::builder()
        .sweep_period(Duration::from_millis(50))
        .bind_tcp("127.0.0.1:0")
        .unwrap();
    let mut r = Raw::connect(&s);
    r.req(SET, b"1 k v");
    let start = Instant::now();
    assert!(eventually(|| r.req(GET, b"k") == not_found()));
    // One-second resolution: gone within two seconds (slack for a loaded machine).
    assert!(start.elapsed() <= Duration::from_millis(3000));
    assert!(eventually(|| r.req(KEYS, b"k") == not_found()));
}

#[test]
fn over_max_memory_the_cron_collects_idle_items_even_locked() {
    let (_s, c, mut r) = start_raw(
        Server::builder()
            .max_memory(300)
            .gc_ratio(Duration::from_secs(10))
            .sweep_period(Duration::from_millis(20)),
    );
    r.req(SET, b"0 kept v");
    assert_eq!(r.req(LOCK, b"kept -1"), ok());
    let mut p = b"0 old ".to_vec();
    p.extend_from_slice(&[b'x'; 400]);
    r.req(SET, &p);
    assert_eq!(r.req(SET, b"0 new v"), mem());
    c.advance(10);
    assert!(eventually(|| r.req(SET, b"0 new v") == val(b"v")));
    assert_eq!(r.req(GET, b"old"), not_found(), "idle item collected");
    assert_eq!(
        r.req(GET, b"kept"),
        not_found(),
        "locked idle item collected too"
    );
}
