//! The rules of the "Corrections" to the protocol notes, each checked over
//! the wire. Every test here runs against the embedded server (manual
//! clock) by default and against `GIBSON_TEST_ADDR` when it is set (e.g.
//! the real Gibson 1.2.1), where time passes for real: the waits are one
//! second, and a test whose expired items the server's periodic sweep
//! removed first is run again (`with_expiry`). Tests that need settings of
//! their own run embedded only.

mod common;

use common::target::{args, with_expiry, Target};
use common::*;

#[test]
fn mdel_is_not_found_when_nothing_was_deleted() {
    with_expiry("mdel", |t| {
        let mut r = t.conn();
        let (a, b, c) = (t.key("a"), t.key("b"), t.key("c"));
        r.req(SET, &args(&[b"1", &a, b"1"]));
        r.req(SET, &args(&[b"1", &b, b"1"]));
        assert_eq!(r.req(LOCK, &args(&[&b, b"-1"])), ok());
        r.req(SET, &args(&[b"0", &c, b"1"]));
        assert_eq!(r.req(LOCK, &args(&[&c, b"-1"])), ok());
        assert_eq!(r.req(MDEL, &c), not_found(), "a locked match counts 0");
        t.wait(1);
        // a: expired, unlocked: deleted, counts 0. b: expired but locked: stays.
        assert_eq!(r.req(MDEL, &t.key("")), not_found());
        assert_eq!(r.req(KEYS, &t.key("")), keys_reply(&[&b, &c]));
        assert_eq!(r.req(UNLOCK, &c), ok());
        assert_eq!(r.req(MDEL, &t.key("")), num(1));
    });
}

#[test]
fn minc_and_mdec_count_compressed_items_without_changing_them() {
    let t = Target::start("mincz");
    let mut r = t.conn();
    let (a, b, c) = (t.key("a"), t.key("b"), t.key("c"));
    let big = vec![b'a'; 5000];
    assert_eq!(r.req(SET, &args(&[b"0", &a, &big])), val(&big));
    assert_eq!(r.req(META, &args(&[&a, b"encoding"])), num(1), "stored LZF");
    r.req(SET, &args(&[b"0", &b, b"5"]));
    r.req(SET, &args(&[b"0", &c, b"x"]));
    assert_eq!(r.req(MINC, &t.key("")), num(2), "LZF and the number");
    assert_eq!(r.req(GET, &a), val(&big), "LZF item unchanged");
    assert_eq!(r.req(GET, &b), num(6));
    assert_eq!(r.req(MDEC, &t.key("")), num(2));
    assert_eq!(r.req(GET, &b), num(5));
    assert_eq!(r.req(GET, &c), val(b"x"));
}

#[test]
fn minc_checks_the_lock_before_expiry() {
    with_expiry("minclock", |t| {
        let mut r = t.conn();
        let (a, b, c) = (t.key("a"), t.key("b"), t.key("c"));
        r.req(SET, &args(&[b"1", &a, b"5"]));
        r.req(SET, &args(&[b"1", &b, b"5"]));
        assert_eq!(r.req(LOCK, &args(&[&b, b"-1"])), ok());
        r.req(SET, &args(&[b"0", &c, b"5"]));
        t.wait(1);
        // a: expired, removed, counts 0; b: locked (and expired): left alone.
        assert_eq!(r.req(MINC, &t.key("")), num(1));
        assert_eq!(r.req(KEYS, &t.key("")), keys_reply(&[&b, &c]));
        assert_eq!(r.req(GET, &c), num(6));
    });
}

#[test]
fn multi_key_commands_see_keys_cut_at_nul() {
    let t = Target::start("nul");
    let mut r = t.conn();
    let a = t.key("a");
    let anul = [&a[..], b"\0b"].concat();
    r.req(SET, &args(&[b"0", &a, b"x"]));
    assert_eq!(r.req(LOCK, &args(&[&a, b"-1"])), ok());
    r.req(SET, &args(&[b"0", &anul, b"y"]));
    // `a` is locked and skipped; `a\0b` is not, and its value goes to `a`.
    assert_eq!(r.req(MSET, &args(&[&a, b"z"])), num(1));
    assert_eq!(r.req(GET, &a), val(b"z"), "written through the cut key");
    assert_eq!(r.req(GET, &anul), val(b"y"), "the NUL key unchanged");
    assert_eq!(r.req(KEYS, &a), keys_reply(&[&a, &a]));
}

#[test]
fn inc_on_an_expired_item_is_not_found_then_creates_1() {
    with_expiry("incexp", |t| {
        let mut r = t.conn();
        let (a, d) = (t.key("a"), t.key("d"));
        r.req(SET, &args(&[b"1", &a, b"5"]));
        r.req(SET, &args(&[b"1", &d, b"5"]));
        t.wait(1);
        assert_eq!(r.req(INC, &a), not_found());
        assert_eq!(r.req(INC, &a), num(1));
        assert_eq!(r.req(DEC, &d), not_found());
        assert_eq!(r.req(DEC, &d), num(1));
    });
}

#[test]
fn mget_with_a_trailing_space_is_err() {
    let t = Target::start("mgetsp");
    let mut r = t.conn();
    let a = t.key("a");
    r.req(SET, &args(&[b"0", &a, b"1"]));
    assert_eq!(r.req(MGET, &[&a[..], b" "].concat()), err());
    assert_eq!(r.req(MGET, &a), kval(&[(&a, V::P(b"1"))]));
    assert_eq!(r.req(MGET, &args(&[&a, b"x"])), nan());
}

#[test]
fn mget_over_expired_items_sends_a_short_kval() {
    with_expiry("mgetshort", |t| {
        let mut r = t.conn();
        let (a, b, c) = (t.key("a"), t.key("b"), t.key("c"));
        r.req(SET, &args(&[b"1", &a, b"1"]));
        r.req(SET, &args(&[b"0", &b, b"2"]));
        r.req(SET, &args(&[b"1", &c, b"3"]));
        t.wait(1);
        // Count 1 (b), but the entries stop at the first expired slot (a).
        assert_eq!(r.req(MGET, &t.key("")), [7, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0]);
        // The expired items are gone now: a full reply.
        assert_eq!(r.req(MGET, &t.key("")), kval(&[(&b, V::P(b"2"))]));

        // A live item before the expired one is sent; the limit counts
        // expired slots too.
        let (d, e, f) = (t.key("d"), t.key("e"), t.key("f"));
        r.req(SET, &args(&[b"0", &d, b"4"]));
        r.req(SET, &args(&[b"1", &e, b"5"]));
        r.req(SET, &args(&[b"0", &f, b"6"]));
        t.wait(1);
        let short = {
            let mut full = kval(&[(&b, V::P(b"2")), (&d, V::P(b"4"))]);
            full[7] = 3; // count: b, d, f are live
            full
        };
        assert_eq!(r.req(MGET, &t.key("")), short);
        let (g, h) = (t.key("g"), t.key("h"));
        r.req(SET, &args(&[b"1", &g, b"7"]));
        r.req(SET, &args(&[b"0", &h, b"8"]));
        t.wait(1);
        assert_eq!(r.req(MGET, &args(&[&g, b"1"])), not_found(), "g expired");
        assert_eq!(r.req(MGET, &args(&[&h, b"1"])), kval(&[(&h, V::P(b"8"))]));
    });
}

#[test]
fn ttls_are_stored_in_16_bits() {
    let t = Target::start("ttl16");
    let mut r = t.conn();
    let (a, b, c) = (t.key("a"), t.key("b"), t.key("c"));
    r.req(SET, &args(&[b"40000", &a, b"v"]));
    assert_eq!(r.req(META, &args(&[&a, b"ttl"])), num(-25_536));
    assert_eq!(r.req(META, &args(&[&a, b"left"])), num(-1), "never expires");
    assert_eq!(r.req(TTL, &args(&[&a, b"-1"])), ok());
    assert_eq!(r.req(META, &args(&[&a, b"ttl"])), num(-29_440));
    assert_eq!(r.req(TTL, &args(&[&a, b"0"])), ok());
    assert_eq!(r.req(META, &args(&[&a, b"ttl"])), num(0));
    r.req(SET, &args(&[b"0", &b, b"v"]));
    assert_eq!(r.req(MTTL, &args(&[&b, b"32768"])), num(1));
    assert_eq!(r.req(META, &args(&[&b, b"ttl"])), num(-32_768));
    assert_eq!(r.req(MTTL, &args(&[&b, b"65537"])), num(1));
    assert_eq!(r.req(META, &args(&[&b, b"ttl"])), num(1));
    r.req(SET, &args(&[b"65537", &c, b"v"]));
    assert_eq!(r.req(META, &args(&[&c, b"ttl"])), num(1));
    t.wait(1);
    assert_eq!(r.req(GET, &c), not_found(), "stored TTL 1: gone");
    assert_eq!(r.req(GET, &b), not_found(), "stored TTL 1: gone");
    assert_eq!(r.req(GET, &a), val(b"v"), "stored TTL 0: stays");
}

#[test]
fn lock_times_are_64_bits_and_not_capped() {
    let t = Target::start("lock64");
    let mut r = t.conn();
    let a = t.key("a");
    r.req(SET, &args(&[b"0", &a, b"v"]));
    assert_eq!(r.req(LOCK, &args(&[&a, b"4294967296"])), ok());
    assert_eq!(r.req(META, &args(&[&a, b"lock"])), num(4_294_967_296));
    assert_eq!(r.req(DEL, &a), locked());
    assert_eq!(
        r.req(MLOCK, &args(&[&a, b"5"])),
        not_found(),
        "already locked"
    );
    assert_eq!(r.req(UNLOCK, &a), ok());
    assert_eq!(r.req(MLOCK, &args(&[&a, b"9999999999"])), num(1));
    assert_eq!(r.req(META, &args(&[&a, b"lock"])), num(9_999_999_999));
    assert_eq!(r.req(UNLOCK, &a), ok());
}

#[test]
fn the_sweep_deletes_expired_items_even_locked() {
    let Some(t) = Target::start_with("sweep", "needs expired_cron 1", |b| {
        b.cron_period(std::time::Duration::from_millis(10))
            .expired_cron(std::time::Duration::from_secs(1))
    }) else {
        return;
    };
    let mut r = t.conn();
    let (a, b) = (t.key("a"), t.key("b"));
    r.req(SET, &args(&[b"1", &a, b"v"]));
    assert_eq!(r.req(LOCK, &args(&[&a, b"-1"])), ok());
    r.req(SET, &args(&[b"0", &b, b"v"]));
    t.wait(1);
    // KEYS does not check expiry: only the sweep makes `a` go.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while r.req(KEYS, &t.key("")) != keys_reply(&[&b]) {
        assert!(std::time::Instant::now() < deadline, "not swept");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn max_response_size_counts_kval_data_without_its_header() {
    // MGET p -> p1: v, p2: v is 4 + 2 * (4 + 2 + 1 + 4 + 1) = 28 data bytes
    // (35 with the header).
    for (max, fits) in [(28, true), (27, false)] {
        let Some(t) = Target::start_with("maxresp", "needs max_response_size 28", |b| {
            b.max_response_size(max)
        }) else {
            return;
        };
        let mut r = t.conn();
        r.req(SET, b"0 p1 v");
        r.req(SET, b"0 p2 v");
        r.send(&frame(MGET, b"p"));
        if fits {
            let reply = r.read_reply().expect("28 data bytes fit");
            assert_eq!(reply, kval(&[(b"p1", V::P(b"v")), (b"p2", V::P(b"v"))]));
        } else {
            assert!(r.closed(), "29 bytes over 27: dropped without a reply");
        }
    }
}
