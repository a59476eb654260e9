//! Wire-level tests: raw request frames in, raw reply bytes checked, one
//! test (or more) per rule and example of docs/protocol.md "How the server reads
//! arguments" and "Semantics". Time is a manual clock: no sleeping.

mod common;

use std::time::Duration;

use common::*;
use gibson_server::Server;

fn server() -> (Server, gibson_server::ManualClock, Raw) {
    start_raw(Server::builder())
}

// ---- Reply frame examples -------------------------------------------------

#[test]
fn protocol_md_example_replies() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(PING, b""), [0x05, 0, 0, 0x01, 0, 0, 0, 0]);
    assert_eq!(r.req(GET, b"nope"), [0x01, 0, 0, 0x01, 0, 0, 0, 0]);
    assert_eq!(
        r.req(SET, b"0 foo bar"),
        [0x06, 0, 0, 0x03, 0, 0, 0, 0x62, 0x61, 0x72]
    );
    r.req(SET, b"0 n 76");
    assert_eq!(
        r.req(INC, b"n"),
        [0x06, 0, 0x02, 0x08, 0, 0, 0, 0x4d, 0, 0, 0, 0, 0, 0, 0]
    );
    // The request example of docs/protocol.md, byte for byte.
    let mut f = vec![0x0f, 0, 0, 0, 0x01, 0];
    f.extend_from_slice(b"3600 foo 3.14");
    r.send(&f);
    assert_eq!(r.read_reply().unwrap(), val(b"3.14"));
}

// ---- How the server reads arguments ---------------------------------------

#[test]
fn key_ends_at_first_space_value_runs_to_the_end() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(SET, b"0 k a b\0c "), val(b"a b\0c "));
    assert_eq!(r.req(GET, b"k"), val(b"a b\0c "));
    assert_eq!(r.req(MSET, b"k x y\0"), num(1));
    assert_eq!(r.req(GET, b"k"), val(b"x y\0"));
}

#[test]
fn key_with_nul_is_stored_but_reported_cut() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(SET, b"0 a\0b v"), val(b"v"));
    assert_eq!(r.req(GET, b"a\0b"), val(b"v"));
    assert_eq!(r.req(GET, b"a"), not_found());
    assert_eq!(r.req(KEYS, b"a"), keys_reply(&[b"a"]));
    assert_eq!(r.req(MGET, b"a"), kval(&[(b"a", V::P(b"v"))]));
}

#[test]
fn key_with_space_cannot_be_addressed() {
    let (_s, _c, mut r) = server();
    // "a b" is read as key "a" and value "b v".
    assert_eq!(r.req(SET, b"0 a b v"), val(b"b v"));
    assert_eq!(r.req(GET, b"a b"), val(b"b v"));
    assert_eq!(r.req(KEYS, b"a"), keys_reply(&[b"a"]));
}

#[test]
fn leading_space_and_empty_key_give_err() {
    let (_s, _c, mut r) = server();
    r.req(SET, b"0 a v");
    for op in [
        GET, DEL, INC, DEC, UNLOCK, MDEL, MINC, MDEC, MUNLOCK, COUNT, KEYS,
    ] {
        assert_eq!(r.req(op, b" a"), err(), "op {op} leading space");
        assert_eq!(r.req(op, b""), err(), "op {op} empty");
    }
    for op in [TTL, LOCK, MSET, MTTL, MLOCK, MGET, META] {
        assert_eq!(r.req(op, b" a 1"), err(), "op {op}");
        assert_eq!(r.req(op, b""), err(), "op {op}");
    }
    assert_eq!(r.req(SET, b" 0 a v"), err());
    assert_eq!(r.req(SET, b"0  v"), err());
    assert_eq!(r.req(SET, b""), err());
    assert_eq!(r.req(GET, b"a"), val(b"v"));
}

fn long_key_case(ttl: &str, fill: u8, key_len: usize, value: &[u8]) {
    let (_s, _c, mut r) = server();
    let mut p = format!("{ttl} ").into_bytes();
    p.extend(std::iter::repeat_n(fill, 1030));
    p.extend_from_slice(b" value");
    assert_eq!(r.req(SET, &p), val(value));
    let key = vec![fill; key_len];
    assert_eq!(r.req(KEYS, &[fill]), keys_reply(&[&key]));
    assert_eq!(r.req(GET, &key), val(value));
}

#[test]
fn long_keys_are_corrupted_as_observed() {
    long_key_case("0", b'K', 1022, b"KKKKKKK value");
    long_key_case("100", b'R', 1020, b"RRRRRRRRR value");
}

#[test]
fn largest_intact_key() {
    let (_s, _c, mut r) = server();
    let key = vec![b'k'; 1022];
    let mut p = b"0 ".to_vec();
    p.extend_from_slice(&key);
    p.extend_from_slice(b" v");
    assert_eq!(r.req(SET, &p), val(b"v"));
    assert_eq!(r.req(GET, &key), val(b"v"));
}

#[test]
fn empty_or_missing_value() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(SET, b"0 k "), err());
    // The real server crashes on these two; this one answers ERR.
    assert_eq!(r.req(SET, b"0 k"), err());
    assert_eq!(r.req(MSET, b"nothing"), not_found());
    r.req(SET, b"0 k v");
    assert_eq!(r.req(MSET, b"k"), err());
    assert_eq!(r.req(MSET, b"k "), err());
    assert_eq!(r.req(GET, b"k"), val(b"v"));
    assert_eq!(r.req(PING, b""), ok(), "still alive");
}

#[test]
fn missing_number() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(MTTL, b"p"), nan());
    assert_eq!(r.req(MLOCK, b"p"), nan());
    assert_eq!(r.req(TTL, b"k"), not_found());
    assert_eq!(r.req(LOCK, b"k"), not_found());
    assert_eq!(r.req(META, b"k"), not_found());
    r.req(SET, b"0 k v");
    assert_eq!(r.req(TTL, b"k"), nan());
    assert_eq!(r.req(LOCK, b"k"), nan());
    assert_eq!(r.req(META, b"k"), err());
    assert_eq!(r.req(TTL, b"k x"), nan());
    assert_eq!(r.req(LOCK, b"k 1.5"), nan());
}

#[test]
fn extra_arguments_are_ignored() {
    let (_s, _c, mut r) = server();
    r.req(SET, b"0 a v");
    assert_eq!(r.req(GET, b"a b"), val(b"v"));
    assert_eq!(r.req(COUNT, b"a b c"), num(1));
    assert_eq!(r.req(PING, b"whatever"), ok());
}

#[test]
fn quirky_integer_parser() {
    let (_s, _c, mut r) = server();
    r.req(SET, b"0 k v");
    assert_eq!(r.req(TTL, b"k 007"), ok());
    assert_eq!(r.req(META, b"k ttl"), num(0));
    assert_eq!(r.req(TTL, b"k 0x"), ok());
    assert_eq!(r.req(META, b"k ttl"), num(0));
    assert_eq!(r.req(TTL, b"k 12a"), nan());
    assert_eq!(r.req(TTL, b"k +5"), nan());
    assert_eq!(r.req(TTL, b"k -7"), ok());
    // A negative TTL is capped (as unsigned) to max_item_ttl, then cut to 16 bits.
    assert_eq!(r.req(META, b"k ttl"), num(-29_440));
    assert_eq!(r.req(SET, b"0x k v"), val(b"v"));
    assert_eq!(r.req(META, b"k ttl"), num(-1));
    assert_eq!(r.req(SET, b"1x k v"), nan());
    assert_eq!(r.req(SET, b"-5 k v"), val(b"v"));
    assert_eq!(r.req(META, b"k ttl"), num(-1));
    // INC reads plain values with the same parser.
    r.req(SET, b"0 z 007");
    assert_eq!(r.req(INC, b"z"), num(1));
}

#[test]
fn lock_times_are_64_bits_and_ttls_16_bits() {
    let (_s, c, mut r) = server();
    r.req(SET, b"0 k v");
    // Lock times are not capped nor cut.
    assert_eq!(r.req(LOCK, b"k 4294967295"), ok());
    assert_eq!(r.req(META, b"k lock"), num(4_294_967_295));
    c.advance(1_000_000);
    assert_eq!(r.req(DEL, b"k"), locked());
    assert_eq!(r.req(UNLOCK, b"k"), ok());
    // TTLs: capped at max_item_ttl as unsigned, stored in 16 bits.
    r.req(SET, b"0 t v");
    assert_eq!(r.req(TTL, b"t -2147483649"), ok());
    assert_eq!(r.req(META, b"t ttl"), num(-29_440));
}

#[test]
fn meta_field_names_match_by_prefix() {
    let (_s, _c, mut r) = server();
    r.req(SET, b"0 k hello");
    for f in ["s", "si", "size", "sizexx"] {
        assert_eq!(r.req(META, format!("k {f}").as_bytes()), num(5), "{f}");
    }
    assert_eq!(r.req(META, b"k e"), num(0));
    assert_eq!(r.req(META, b"k l"), num(-1), "l reads left");
    assert_eq!(r.req(META, b"k lo"), num(0), "lo reads lock");
    assert_eq!(r.req(META, b"k bogus"), err());
    assert_eq!(r.req(META, b"k sx"), err());
}

// ---- Semantics, command by command ----------------------------------------

#[test]
fn set_replies_value_replaces_value_and_lock() {
    let (_s, c, mut r) = server();
    assert_eq!(r.req(SET, b"0 k one"), val(b"one"));
    assert_eq!(r.req(SET, b"0 k two"), val(b"two"));
    assert_eq!(r.req(GET, b"k"), val(b"two"));
    assert_eq!(r.req(LOCK, b"k 5"), ok());
    assert_eq!(r.req(SET, b"0 k three"), locked());
    c.advance(5);
    assert_eq!(r.req(SET, b"0 k three"), val(b"three"));
    assert_eq!(r.req(META, b"k lock"), num(0));
    assert_eq!(r.req(SET, b"nan k v"), nan());
}

#[test]
fn set_ttl_expires_and_is_capped() {
    let (_s, c, mut r) = start_raw(Server::builder().max_item_ttl(Duration::from_secs(100)));
    assert_eq!(r.req(SET, b"10 k v"), val(b"v"));
    assert_eq!(r.req(META, b"k ttl"), num(10));
    assert_eq!(r.req(META, b"k left"), num(10));
    assert_eq!(r.req(META, b"k created"), num(T0));
    c.advance(9);
    assert_eq!(r.req(META, b"k left"), num(1));
    assert_eq!(r.req(GET, b"k"), val(b"v"));
    assert_eq!(r.req(META, b"k access"), num(T0 + 9));
    c.advance(1);
    assert_eq!(r.req(GET, b"k"), not_found());
    assert_eq!(r.req(SET, b"100000 big v"), val(b"v"));
    assert_eq!(r.req(META, b"big ttl"), num(100));
    assert_eq!(r.req(SET, b"0 forever v"), val(b"v"));
    assert_eq!(r.req(META, b"forever ttl"), num(-1));
    assert_eq!(r.req(META, b"forever left"), num(-1));
}

#[test]
fn set_compresses_large_values() {
    let (_s, _c, mut r) = start_raw(Server::builder().compression(100));
    let big = b"abcdefgh".repeat(64); // 512 bytes, compressible
    let mut p = b"0 big ".to_vec();
    p.extend_from_slice(&big);
    assert_eq!(r.req(SET, &p), val(&big));
    assert_eq!(r.req(GET, b"big"), val(&big));
    assert_eq!(r.req(META, b"big encoding"), num(1));
    let size = r.req(META, b"big size");
    let n = i64::from_le_bytes(size[7..15].try_into().unwrap());
    assert!(n > 0 && n < 512, "stored size {n}");
    assert_eq!(r.req(MGET, b"bi"), kval(&[(b"big", V::P(&big))]));
    // Small values stay plain.
    r.req(SET, b"0 small hello");
    assert_eq!(r.req(META, b"small encoding"), num(0));
    // A compressed number string is not a number.
    let mut p = b"0 digits ".to_vec();
    p.extend_from_slice(&b"1".repeat(300));
    r.req(SET, &p);
    assert_eq!(r.req(INC, b"digits"), nan());
}

#[test]
fn set_and_mset_answer_mem_over_max_memory() {
    let (_s, _c, mut r) = start_raw(Server::builder().max_memory(300));
    r.req(SET, b"0 a v");
    let mut p = b"0 big ".to_vec();
    p.extend_from_slice(&[b'x'; 400]);
    assert_eq!(r.req(SET, &p), val(&[b'x'; 400]));
    assert_eq!(r.req(SET, b"0 b v"), mem());
    assert_eq!(r.req(MSET, b"a w"), mem());
    assert_eq!(r.req(GET, b"a"), val(b"v"));
    // Freeing memory lifts the refusal.
    assert_eq!(r.req(DEL, b"big"), ok());
    assert_eq!(r.req(SET, b"0 b v"), val(b"v"));
}

#[test]
fn get_plain_number_absent() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(GET, b"k"), not_found());
    r.req(SET, b"0 k 41");
    assert_eq!(r.req(GET, b"k"), val(b"41"));
    r.req(INC, b"k");
    assert_eq!(r.req(GET, b"k"), num(42));
    assert_eq!(r.req(META, b"k encoding"), num(2));
    assert_eq!(r.req(META, b"k size"), num(8));
}

#[test]
fn del() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(DEL, b"k"), not_found());
    r.req(SET, b"0 k v");
    assert_eq!(r.req(DEL, b"k"), ok());
    assert_eq!(r.req(DEL, b"k"), not_found());
    r.req(SET, b"0 k v");
    r.req(LOCK, b"k -1");
    assert_eq!(r.req(DEL, b"k"), locked());
    assert_eq!(r.req(GET, b"k"), val(b"v"));
}

#[test]
fn ttl_command() {
    let (_s, c, mut r) = server();
    assert_eq!(r.req(TTL, b"k 5"), not_found());
    r.req(SET, b"5 k v");
    c.advance(4);
    // Restarts the clock: 5 more seconds from now.
    assert_eq!(r.req(TTL, b"k 5"), ok());
    assert_eq!(r.req(META, b"k created"), num(T0 + 4));
    c.advance(4);
    assert_eq!(r.req(GET, b"k"), val(b"v"));
    assert_eq!(r.req(TTL, b"k nope"), nan());
    // Works on locked items.
    assert_eq!(r.req(LOCK, b"k -1"), ok());
    assert_eq!(r.req(TTL, b"k 100"), ok());
    assert_eq!(r.req(META, b"k ttl"), num(100));
    c.advance(100);
    assert_eq!(r.req(GET, b"k"), not_found());
}

#[test]
fn inc_dec() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(INC, b"i"), num(1));
    assert_eq!(r.req(INC, b"i"), num(2));
    assert_eq!(r.req(DEC, b"d"), num(1), "DEC creates 1 too");
    assert_eq!(r.req(DEC, b"d"), num(0));
    assert_eq!(r.req(DEC, b"d"), num(-1));
    r.req(SET, b"0 p -10");
    assert_eq!(r.req(INC, b"p"), num(-9));
    r.req(SET, b"0 s abc");
    assert_eq!(r.req(INC, b"s"), nan());
    assert_eq!(r.req(DEC, b"s"), nan());
    assert_eq!(r.req(GET, b"s"), val(b"abc"));
    r.req(LOCK, b"i 10");
    assert_eq!(r.req(INC, b"i"), locked());
    assert_eq!(r.req(DEC, b"i"), locked());
    assert_eq!(r.req(GET, b"i"), num(2));
}

#[test]
fn lock_semantics() {
    let (_s, c, mut r) = server();
    assert_eq!(r.req(LOCK, b"k 5"), not_found());
    r.req(SET, b"10 k v");
    assert_eq!(r.req(LOCK, b"k x"), nan());
    c.advance(3);
    assert_eq!(r.req(LOCK, b"k 5"), ok());
    // LOCK restarted the TTL clock.
    assert_eq!(r.req(META, b"k left"), num(10));
    assert_eq!(r.req(META, b"k lock"), num(5));
    assert_eq!(r.req(LOCK, b"k 5"), locked());
    c.advance(4);
    assert_eq!(r.req(SET, b"0 k w"), locked());
    c.advance(1);
    assert_eq!(r.req(SET, b"0 k w"), val(b"w"));
    // 0 does not lock.
    assert_eq!(r.req(LOCK, b"k 0"), ok());
    assert_eq!(r.req(DEL, b"k"), ok());
    // -1 locks until UNLOCK.
    r.req(SET, b"0 k v");
    assert_eq!(r.req(LOCK, b"k -1"), ok());
    c.advance(10_000_000);
    assert_eq!(r.req(DEL, b"k"), locked());
    assert_eq!(r.req(UNLOCK, b"k"), ok());
    assert_eq!(r.req(DEL, b"k"), ok());
}

#[test]
fn unlock() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(UNLOCK, b"k"), not_found());
    r.req(SET, b"0 k v");
    assert_eq!(r.req(UNLOCK, b"k"), ok(), "unlocked item");
    r.req(LOCK, b"k 100");
    assert_eq!(r.req(UNLOCK, b"k"), ok());
    assert_eq!(r.req(META, b"k lock"), num(0));
    assert_eq!(r.req(SET, b"0 k w"), val(b"w"));
}

#[test]
fn locked_item_refuses_and_is_skipped_but_is_seen() {
    let (_s, _c, mut r) = server();
    r.req(SET, b"0 p:a 1");
    r.req(SET, b"0 p:b 2");
    assert_eq!(r.req(LOCK, b"p:a -1"), ok());
    // Refused.
    assert_eq!(r.req(SET, b"0 p:a x"), locked());
    assert_eq!(r.req(DEL, b"p:a"), locked());
    assert_eq!(r.req(INC, b"p:a"), locked());
    assert_eq!(r.req(DEC, b"p:a"), locked());
    assert_eq!(r.req(LOCK, b"p:a 5"), locked());
    // Skipped.
    assert_eq!(r.req(MSET, b"p: 7"), num(1));
    assert_eq!(r.req(MINC, b"p:"), num(1));
    assert_eq!(r.req(MDEC, b"p:"), num(1));
    assert_eq!(r.req(MLOCK, b"p: 5"), num(1));
    assert_eq!(r.req(MUNLOCK, b"p:b"), num(1));
    assert_eq!(r.req(MDEL, b"p:"), num(1));
    assert_eq!(r.req(GET, b"p:a"), val(b"1"));
    // Seen.
    assert_eq!(r.req(MGET, b"p:"), kval(&[(b"p:a", V::P(b"1"))]));
    assert_eq!(r.req(COUNT, b"p:"), num(1));
    assert_eq!(r.req(KEYS, b"p:"), keys_reply(&[b"p:a"]));
    assert_eq!(r.req(META, b"p:a lock"), num(-1));
    assert_eq!(r.req(TTL, b"p:a 0"), ok());
    assert_eq!(r.req(MTTL, b"p: 0"), num(1));
    assert_eq!(r.req(MUNLOCK, b"p:"), num(1));
    assert_eq!(r.req(DEL, b"p:a"), ok());
}

#[test]
fn mset() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(MSET, b"m: v"), not_found());
    r.req(SET, b"100 m:a 1");
    r.req(SET, b"0 m:b 2");
    r.req(SET, b"0 other 3");
    assert_eq!(r.req(MSET, b"m: new value"), num(2));
    assert_eq!(r.req(GET, b"m:a"), val(b"new value"));
    assert_eq!(r.req(GET, b"m:c"), not_found(), "creates nothing");
    assert_eq!(r.req(GET, b"other"), val(b"3"));
    // As on the real server MSET stores fresh items: the TTL is gone.
    assert_eq!(r.req(META, b"m:a ttl"), num(-1));
    r.req(MLOCK, b"m: -1");
    assert_eq!(r.req(MSET, b"m: x"), not_found(), "count 0");
}

#[test]
fn mttl() {
    let (_s, c, mut r) = server();
    assert_eq!(r.req(MTTL, b"t: 5"), not_found());
    assert_eq!(r.req(MTTL, b"t: x"), nan());
    r.req(SET, b"0 t:a 1");
    r.req(SET, b"0 t:b 2");
    assert_eq!(r.req(MTTL, b"t: 5"), num(2));
    c.advance(5);
    assert_eq!(r.req(COUNT, b"t:"), num(0));
}

#[test]
fn mget_and_limit() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(MGET, b"g:"), not_found());
    r.req(SET, b"0 g:a A");
    r.req(INC, b"g:n");
    r.req(SET, b"0 g:b B");
    let all = kval(&[
        (b"g:a", V::P(b"A")),
        (b"g:n", V::N(1)),
        (b"g:b", V::P(b"B")),
    ]);
    assert_eq!(r.req(MGET, b"g:"), all);
    assert_eq!(r.req(MGET, b"g: 0"), all);
    assert_eq!(r.req(MGET, b"g: -3"), all);
    assert_eq!(r.req(MGET, b"g: 10"), all);
    assert_eq!(
        r.req(MGET, b"g: 2"),
        kval(&[(b"g:a", V::P(b"A")), (b"g:n", V::N(1))])
    );
    assert_eq!(r.req(MGET, b"g: two"), nan());
}

#[test]
fn mdel() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(MDEL, b"d:"), not_found());
    r.req(SET, b"0 d:a 1");
    r.req(SET, b"0 d:b 2");
    assert_eq!(r.req(MDEL, b"d:"), num(2));
    assert_eq!(r.req(MDEL, b"d:"), not_found());
    assert_eq!(r.req(COUNT, b"d:"), num(0));
}

#[test]
fn minc_mdec() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(MINC, b"n:"), not_found());
    r.req(SET, b"0 n:a 10");
    r.req(INC, b"n:b");
    r.req(SET, b"0 n:c text");
    assert_eq!(r.req(MINC, b"n:"), num(2));
    assert_eq!(r.req(GET, b"n:a"), num(11));
    assert_eq!(r.req(GET, b"n:b"), num(2));
    assert_eq!(r.req(GET, b"n:c"), val(b"text"));
    assert_eq!(r.req(MDEC, b"n:"), num(2));
    assert_eq!(r.req(GET, b"n:a"), num(10));
    assert_eq!(r.req(MINC, b"n:c"), not_found(), "0 changed");
}

#[test]
fn mlock_munlock() {
    let (_s, c, mut r) = server();
    assert_eq!(r.req(MLOCK, b"l: 5"), not_found());
    assert_eq!(r.req(MLOCK, b"l: x"), nan());
    assert_eq!(r.req(MUNLOCK, b"l:"), not_found());
    r.req(SET, b"0 l:a 1");
    r.req(SET, b"0 l:b 2");
    assert_eq!(r.req(MLOCK, b"l: 5"), num(2));
    assert_eq!(r.req(MLOCK, b"l: 5"), not_found(), "all already locked");
    assert_eq!(r.req(DEL, b"l:a"), locked());
    c.advance(5);
    assert_eq!(r.req(MLOCK, b"l:a -1"), num(1));
    assert_eq!(r.req(MUNLOCK, b"l:"), num(2));
    assert_eq!(r.req(MDEL, b"l:"), num(2));
}

#[test]
fn count_and_empty_prefixes() {
    let (_s, _c, mut r) = server();
    assert_eq!(r.req(COUNT, b"c:"), num(0));
    r.req(SET, b"0 c:a 1");
    r.req(SET, b"0 c:b 1");
    r.req(SET, b"0 c 1");
    assert_eq!(r.req(COUNT, b"c:"), num(2));
    assert_eq!(
        r.req(COUNT, b"c"),
        num(3),
        "the key equal to the prefix matches"
    );
    assert_eq!(r.req(COUNT, b""), err());
    for op in [MDEL, MINC, MDEC, MUNLOCK, KEYS, MGET] {
        assert_eq!(r.req(op, b""), err(), "op {op}");
    }
}

#[test]
fn keys_and_expiry() {
    let (_s, c, mut r) = server();
    assert_eq!(r.req(KEYS, b"k"), not_found());
    r.req(SET, b"1 k:a 1");
    r.req(SET, b"0 k:b 1");
    assert_eq!(r.req(KEYS, b"k:"), keys_reply(&[b"k:a", b"k:b"]));
    c.advance(1);
    // Expired, not yet swept: KEYS still lists it, the rest does not.
    assert_eq!(r.req(KEYS, b"k:"), keys_reply(&[b"k:a", b"k:b"]));
    // The short reply: the live count, entries stopping at the expired slot.
    assert_eq!(r.req(MGET, b"k:"), [7, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(r.req(KEYS, b"k:"), keys_reply(&[b"k:b"]), "MGET removed it");
    assert_eq!(r.req(MGET, b"k:"), kval(&[(b"k:b", V::P(b"1"))]));
}

#[test]
fn trie_order_and_surviving_branches() {
    let (_s, _c, mut r) = server();
    for k in ["o:b", "o:a", "o:ab", "o:B", "o:aa"] {
        r.req(SET, format!("0 {k} v").as_bytes());
    }
    let order: [&[u8]; 5] = [b"o:b", b"o:a", b"o:ab", b"o:aa", b"o:B"];
    assert_eq!(r.req(KEYS, b"o:"), keys_reply(&order));
    assert_eq!(r.req(DEL, b"o:b"), ok());
    assert_eq!(r.req(DEL, b"o:a"), ok());
    assert_eq!(r.req(KEYS, b"o:"), keys_reply(&[b"o:ab", b"o:aa", b"o:B"]));
    r.req(SET, b"0 o:a v");
    r.req(SET, b"0 o:b v");
    assert_eq!(r.req(KEYS, b"o:"), keys_reply(&order));
}

#[test]
fn stats_names_order_and_kinds() {
    let (_s, _c, mut r) = server();
    r.req(SET, b"0 a v");
    let pairs = stats_pairs(&mut r);
    let text = [
        "server_version",
        "server_build_datetime",
        "server_allocator",
        "server_arch",
        "memory_fragmentation",
        "reqs_per_client_avg",
    ];
    let names: Vec<String> = pairs
        .iter()
        .map(|(k, _)| String::from_utf8(k.to_vec()).unwrap())
        .collect();
    let expected = gibson_proto::Stats::NAMES;
    assert_eq!(names, expected);
    for (k, v) in pairs.iter() {
        let name = std::str::from_utf8(&k).unwrap();
        assert_eq!(
            v.as_bytes().is_some(),
            text.contains(&name),
            "kind of {name}"
        );
    }
    let get = |n: &str| stat(&pairs, n);
    assert_eq!(get("server_version").as_bytes().unwrap(), "1.2.1");
    assert_eq!(get("server_arch").as_bytes().unwrap(), "64");
    assert_eq!(get("total_items").as_int(), Some(1));
    assert_eq!(get("total_requests").as_int(), Some(2));
    assert_eq!(get("server_time").as_int(), Some(T0));
    assert_eq!(get("reqs_per_client_avg").as_bytes().unwrap(), "2.000000");
}

#[test]
fn end_answers_ok_then_closes() {
    let (_s, _c, mut r) = server();
    r.send(&[frame(END, b""), frame(PING, b"")].concat());
    assert_eq!(r.read_reply().unwrap(), ok());
    assert!(r.closed());
}

// ---- Frames the server drops ------------------------------------------------

#[test]
fn bad_frames_close_without_reply_after_earlier_replies() {
    let (s, _c) = start(Server::builder().max_request_size(64));
    for bad in [
        vec![1, 0, 0, 0, 3],                // size 1
        vec![0, 0, 0, 0],                   // size 0
        frame(GET, &[b'k'; 63]),            // size 65 > 64
        vec![2, 0, 0, 0, 22, 0],            // unknown opcode
        vec![0xff, 0xff, 0xff, 0xff, 1, 0], // 4 GiB
    ] {
        let mut r = Raw::connect(&s);
        r.send(&[frame(PING, b""), bad.clone(), frame(PING, b"")].concat());
        assert_eq!(r.read_reply().unwrap(), ok(), "{bad:?}");
        assert!(r.closed(), "{bad:?}");
    }
    let mut r = Raw::connect(&s);
    assert_eq!(r.req(GET, &[b'k'; 62]), not_found(), "size 64 is fine");
}

#[test]
fn reply_over_max_response_size_closes() {
    let (s, _c, mut r) = start_raw(Server::builder().max_response_size(1000));
    for i in 0..20 {
        let mut p = format!("0 r:{i:02} ").into_bytes();
        p.extend_from_slice(&[b'v'; 60]);
        r.req(SET, &p);
    }
    assert_eq!(r.req(MGET, b"r:0").len(), 7 + 4 + 10 * (4 + 4 + 5 + 60));
    r.send(&[frame(MGET, b"r:"), frame(PING, b"")].concat());
    assert!(r.closed());
    let mut r = Raw::connect(&s);
    r.send(&frame(KEYS, b"r:"));
    assert_eq!(r.read_reply().unwrap()[0], 7, "KEYS is small enough");
}

#[test]
fn max_clients_is_enforced() {
    let (s, _c) = start(Server::builder().max_clients(2));
    let mut a = Raw::connect(&s);
    let mut b = Raw::connect(&s);
    assert_eq!(a.req(PING, b""), ok());
    assert_eq!(b.req(PING, b""), ok());
    let mut c = Raw::connect(&s);
    c.send(&frame(PING, b""));
    assert!(c.closed(), "third client dropped");
    drop(a);
    // The slot frees once the server notices the close.
    let mut ok_seen = false;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(10));
        let mut d = Raw::connect(&s);
        d.send(&frame(PING, b""));
        if d.read_reply_or_eof() == Some(ok()) {
            ok_seen = true;
            break;
        }
    }
    assert!(ok_seen);
}

trait ReadOrEof {
    fn read_reply_or_eof(&mut self) -> Option<Vec<u8>>;
}

impl ReadOrEof for Raw {
    fn read_reply_or_eof(&mut self) -> Option<Vec<u8>> {
        let mut b = [0u8; 8];
        use std::io::Read;
        match self.s.read_exact(&mut b) {
            Ok(()) => Some(b.to_vec()),
            Err(_) => None,
        }
    }
}

#[test]
#[cfg(unix)]
fn shutdown_closes_connections_and_unix_sockets_work() {
    let dir = std::env::temp_dir().join(format!("gibson-server-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("g.sock");
    std::fs::write(&path, b"stale").unwrap();
    let server = Server::builder().bind_unix(&path).unwrap();
    assert_eq!(server.addr().to_string(), path.display().to_string());
    let mut s = std::os::unix::net::UnixStream::connect(&path).unwrap();
    use std::io::{Read, Write};
    s.write_all(&frame(SET, b"0 k v")).unwrap();
    let mut reply = vec![0u8; 8];
    s.read_exact(&mut reply).unwrap();
    assert_eq!(reply, val(b"v"));
    server.shutdown();
    let mut b = [0u8; 1];
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(s.read(&mut b).unwrap_or(0), 0, "closed at shutdown");
    assert!(!path.exists());
}

#[test]
fn restart_on_the_same_port() {
    let first = Server::builder().bind_tcp("127.0.0.1:0").unwrap();
    let addr = first.addr().to_string();
    let mut r = Raw::connect(&first);
    assert_eq!(r.req(PING, b""), ok());
    drop(first);
    assert!(r.closed());
    let second = Server::builder().bind_tcp(addr.as_str()).unwrap();
    assert_eq!(second.addr().to_string(), addr);
    let mut r = Raw::connect(&second);
    assert_eq!(r.req(PING, b""), ok());
}
