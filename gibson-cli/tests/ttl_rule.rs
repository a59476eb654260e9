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
