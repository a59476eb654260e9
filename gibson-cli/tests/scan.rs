//! `gibson scan PREFIX [--keys] [--json]`: every pair under a prefix larger
//! than the server's reply limit, one a line.

mod common;

use common::{fails, gibson, ok};
use gibson_blocking::{Commands, Connection, Ttl};
use gibson_test_support::{unique_prefix, TestServer};

#[test]
fn scan_prints_every_pair_of_a_prefix_above_the_reply_limit() {
    let server = TestServer::embedded_tcp_with(|b| b.max_response_size(32 * 1024));
    let mut conn = Connection::with_config(server.config()).unwrap();
    let p = unique_prefix("cliscan");
    let value = "v".repeat(200);
    let keys: Vec<String> = (0..500).map(|i| format!("{p}{i:03}")).collect();
    conn.set_multi(
        keys.iter().map(|k| (k.as_str(), value.as_str())),
        Ttl::Never,
    )
    .unwrap();
    // A plain MGET is more than the server sends at once.
    let err = fails(&server, &["mget", p.as_str()], 3);
    assert!(!err.is_empty());

    let out = ok(&server, &["scan", p.as_str()]);
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    assert_eq!(lines.len(), 500);
    assert_eq!(lines[7], format!("{} \"{value}\"", keys[7]));

    let out = ok(&server, &["scan", p.as_str(), "--keys"]);
    let mut names: Vec<&str> = out.lines().collect();
    names.sort();
    assert_eq!(names, keys.iter().map(String::as_str).collect::<Vec<_>>());

    let out = ok(&server, &["--json", "scan", p.as_str()]);
    let mut seen = 0;
    for line in out.lines() {
        let obj: serde_json::Value = serde_json::from_str(line).unwrap();
        let map = obj.as_object().unwrap();
        assert_eq!(map.len(), 1);
        let (k, v) = map.iter().next().unwrap();
        assert!(k.starts_with(&p));
        assert_eq!(v, &serde_json::json!(value));
        seen += 1;
    }
    assert_eq!(seen, 500);

    let usage = gibson(&server, &["scan"]);
    assert_eq!(usage.code, 2, "{usage:?}");
    let empty = ok(&server, &["scan", "no-such-prefix:"]);
    assert!(empty.is_empty(), "{empty}");
}

/// 40 MB under one prefix, the server's reply limit at its default: read
/// whole by `gibson scan`. On the real binary too when `GIBSON_TEST_ADDR`
/// names one.
#[test]
fn forty_megabytes_through_gibson_scan() {
    let server = TestServer::start();
    let mut conn = Connection::with_config(server.config()).unwrap();
    let p = unique_prefix("cliscan40");
    let value = "x".repeat(10 * 1024);
    for chunk in (0..4_000).collect::<Vec<_>>().chunks(200) {
        let keys: Vec<String> = chunk.iter().map(|i| format!("{p}{i}")).collect();
        conn.set_multi(
            keys.iter().map(|k| (k.as_str(), value.as_str())),
            Ttl::Never,
        )
        .unwrap();
    }
    let run = gibson(&server, &["scan", p.as_str(), "--keys"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.out().lines().count(), 4_000);
    let run = gibson(&server, &["scan", p.as_str()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.out();
    let quoted = format!(" \"{value}\"");
    assert_eq!(out.lines().count(), 4_000);
    assert!(out
        .lines()
        .all(|l| l.starts_with(&p) && l.ends_with(&quoted)));
    assert_eq!(conn.mdel(p.as_str()).unwrap(), 4_000);
}

/// `--json` and `--raw` after `scan`, in the form `--help` shows
/// (`gibson scan log: --json`), as well as before it; an unknown flag is a
/// usage error that names it.
#[test]
fn flags_after_scan() {
    let server = TestServer::start();
    let mut conn = Connection::with_config(server.config()).unwrap();
    let p = unique_prefix("cliscanflags");
    conn.set_multi(
        [(format!("{p}a"), "v1"), (format!("{p}b"), "x y")],
        Ttl::Never,
    )
    .unwrap();
    let sorted = |out: String| {
        let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    let json = sorted(ok(&server, &["scan", p.as_str(), "--json"]));
    assert_eq!(
        json,
        [
            format!(r#"{{"{p}a":"v1"}}"#),
            format!(r#"{{"{p}b":"x y"}}"#)
        ]
    );
    assert_eq!(sorted(ok(&server, &["--json", "scan", p.as_str()])), json);
    let names = sorted(ok(&server, &["scan", "--json", p.as_str(), "--keys"]));
    assert_eq!(names, [format!(r#""{p}a""#), format!(r#""{p}b""#)]);
    let raw = sorted(ok(&server, &["scan", p.as_str(), "--raw"]));
    assert_eq!(raw, [format!("{p}a v1"), format!("{p}b x y")]);
    let e = fails(&server, &["scan", p.as_str(), "--jsn"], 2);
    assert!(e.contains("--jsn"), "{e}");
    conn.mdel(p.as_str()).unwrap();
}
