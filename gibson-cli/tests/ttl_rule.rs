//! Gibson 1.2.1 stores TTLs in 16 bits: `gibson set 65537 k v` would store
//! a TTL of 1 and `set 40000` a negative one (never expires). The command
//! refuses both before sending (exit 2, naming the rule) and keeps 32767.

mod common;

use common::{fails, ok};
use gibson_test_support::{unique_prefix, TestServer};

#[test]
fn ttls_the_server_would_change_exit_2() {
    let s = TestServer::start();
    let p = unique_prefix("cli-ttl");
    let k = format!("{p}k");
    for ttl in ["65537", "40000", "32768"] {
        let e = fails(&s, &["set", ttl, &k, "v"], 2);
        assert!(e.contains("`ttl`") && e.contains("16 bits"), "{e}");
        let e = fails(&s, &["ttl", &k, ttl], 2);
        assert!(e.contains("16 bits"), "{e}");
        let e = fails(&s, &["mttl", &p, ttl], 2);
        assert!(e.contains("16 bits"), "{e}");
    }
    // Nothing was stored by the refused SETs.
    assert_eq!(ok(&s, &["get", &k]), "(nil)\n");
    assert_eq!(ok(&s, &["set", "32767", &k, "v"]), "\"v\"\n");
    assert_eq!(ok(&s, &["meta", &k, "ttl"]), "32767\n");
    // Lock times are 64-bit on the server: sent as they are.
    assert_eq!(ok(&s, &["lock", &k, "4294967296"]), "OK\n");
    assert_eq!(ok(&s, &["meta", &k, "lock"]), "4294967296\n");
    ok(&s, &["unlock", &k]);
    ok(&s, &["del", &k]);
}

/// The library's rule: a TTL is 1 to 32767 seconds or no expiry (`0` or
/// `never`, as `Ttl::Never` is sent); a negative one is refused, not
/// stored without expiry. A 0-second lock is refused in words, not with
/// the library's Rust name for "until UNLOCK".
#[test]
fn negative_ttls_and_zero_second_locks_are_refused_in_words() {
    let s = TestServer::start();
    let p = unique_prefix("cli-ttlrule");
    let k = format!("{p}k");
    for args in [
        &["set", "-1", k.as_str(), "v"][..],
        &["ttl", &k, "-1"],
        &["mttl", &p, "-30"],
    ] {
        let e = fails(&s, args, 2);
        assert!(e.contains("`ttl`") && e.contains("never"), "{args:?}: {e}");
    }
    assert_eq!(ok(&s, &["get", &k]), "(nil)\n");
    // `never` and 0 store the same: no expiry.
    assert_eq!(ok(&s, &["set", "never", &k, "v"]), "\"v\"\n");
    let left_never = ok(&s, &["meta", &k, "left"]);
    assert_eq!(ok(&s, &["set", "0", &k, "v"]), "\"v\"\n");
    assert_eq!(ok(&s, &["meta", &k, "left"]), left_never);
    for args in [&["lock", k.as_str(), "0"][..], &["mlock", &p, "0"]] {
        let e = fails(&s, args, 2);
        assert!(e.contains("0 does not lock"), "{args:?}: {e}");
        assert!(e.contains("-1 until UNLOCK"), "{args:?}: {e}");
        assert!(!e.contains("LockTime"), "{args:?}: {e}");
    }
    ok(&s, &["del", &k]);
}
