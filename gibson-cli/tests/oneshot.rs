//! `gibson COMMAND ARGS…`: printed output and exit code of every command,
//! error cases, binary values and `--json`, against the test server
//! (`GIBSON_TEST_ADDR` or an embedded one).

mod common;

use common::{fails, gibson, ok};
use gibson_test_support::{unique_prefix, TestServer};

#[test]
fn single_key_commands() {
    let s = TestServer::start();
    let p = unique_prefix("cli-key");
    let k = format!("{p}k");
    let k = k.as_str();
    assert_eq!(ok(&s, &["PING"]), "OK\n");
    // SET echoes the stored value; the value is the rest of the arguments.
    assert_eq!(
        ok(&s, &["set", "0", k, "hello", "big world"]),
        "\"hello big world\"\n"
    );
    assert_eq!(ok(&s, &["GET", k]), "\"hello big world\"\n");
    assert_eq!(ok(&s, &["get", &format!("{p}absent")]), "(nil)\n");
    // TTL 0: no expiry.
    assert_eq!(ok(&s, &["meta", k, "ttl"]), "-1\n");
    assert_eq!(ok(&s, &["ttl", k, "100"]), "OK\n");
    assert_eq!(ok(&s, &["meta", k, "TTL"]), "100\n");
    // TTL `never` (or 0) removes the expiry (the server then reports ttl
    // 0, left -1).
    assert_eq!(ok(&s, &["ttl", k, "never"]), "OK\n");
    assert_eq!(ok(&s, &["meta", k, "ttl"]), "0\n");
    assert_eq!(ok(&s, &["meta", k, "left"]), "-1\n");
    assert_eq!(
        ok(&s, &["ttl", &format!("{p}absent"), "10"]),
        "(not found)\n"
    );
    assert_eq!(ok(&s, &["meta", k, "size"]), "15\n");
    assert_eq!(ok(&s, &["meta", k, "encoding"]), "0\n");
    assert_eq!(ok(&s, &["meta", k, "lock"]), "0\n");
    assert_eq!(ok(&s, &["meta", &format!("{p}absent"), "size"]), "(nil)\n");
    // Numbers print bare; strings quoted.
    let n = format!("{p}n");
    assert_eq!(ok(&s, &["inc", &n]), "1\n");
    assert_eq!(ok(&s, &["INC", &n]), "2\n");
    assert_eq!(ok(&s, &["dec", &n]), "1\n");
    assert_eq!(ok(&s, &["get", &n]), "1\n");
    // LOCK / UNLOCK.
    assert_eq!(ok(&s, &["lock", k, "-1"]), "OK\n");
    assert_eq!(ok(&s, &["meta", k, "lock"]), "-1\n");
    let err = fails(&s, &["set", "0", k, "other"], 1);
    assert!(err.contains("LOCKED"), "{err}");
    let err = fails(&s, &["del", k], 1);
    assert!(err.contains("LOCKED"), "{err}");
    assert_eq!(ok(&s, &["unlock", k]), "OK\n");
    assert_eq!(
        ok(&s, &["lock", &format!("{p}absent"), "5"]),
        "(not found)\n"
    );
    assert_eq!(ok(&s, &["unlock", &format!("{p}absent")]), "(not found)\n");
    // DEL.
    assert_eq!(ok(&s, &["del", k]), "OK\n");
    assert_eq!(ok(&s, &["del", k]), "(not found)\n");
    assert_eq!(ok(&s, &["get", k]), "(nil)\n");
}

#[test]
fn multi_key_commands() {
    let s = TestServer::start();
    let p = unique_prefix("cli-multi");
    let key = |n: &str| format!("{p}{n}");
    ok(&s, &["set", "0", &key("a"), "x"]);
    ok(&s, &["set", "0", &key("b"), "7"]);
    ok(&s, &["inc", &key("c")]);
    assert_eq!(ok(&s, &["count", &p]), "3\n");
    assert_eq!(
        ok(&s, &["mget", &p]),
        format!("{p}a \"x\"\n{p}b \"7\"\n{p}c 1\n")
    );
    assert_eq!(ok(&s, &["mget", &p, "1"]).lines().count(), 1);
    assert_eq!(ok(&s, &["keys", &p]), format!("{p}a\n{p}b\n{p}c\n"));
    assert_eq!(ok(&s, &["minc", &p]), "2\n");
    assert_eq!(ok(&s, &["get", &key("b")]), "8\n");
    assert_eq!(ok(&s, &["mdec", &p]), "2\n");
    assert_eq!(ok(&s, &["mttl", &p, "60"]), "3\n");
    assert_eq!(ok(&s, &["meta", &key("a"), "ttl"]), "60\n");
    assert_eq!(ok(&s, &["mlock", &p, "-1"]), "3\n");
    assert_eq!(ok(&s, &["mset", &p, "new value"]), "0\n");
    assert_eq!(ok(&s, &["munlock", &p]), "3\n");
    assert_eq!(ok(&s, &["mset", &p, "new value"]), "3\n");
    assert_eq!(ok(&s, &["get", &key("c")]), "\"new value\"\n");
    assert_eq!(ok(&s, &["mdel", &p]), "3\n");
    // Nothing left: counts are 0, lists empty, exit code 0.
    assert_eq!(ok(&s, &["count", &p]), "0\n");
    assert_eq!(ok(&s, &["mget", &p]), "(empty)\n");
    assert_eq!(ok(&s, &["keys", &p]), "(empty)\n");
    assert_eq!(ok(&s, &["mdel", &p]), "0\n");
}

#[test]
fn stats_and_end() {
    let s = TestServer::start();
    let stats = ok(&s, &["stats"]);
    assert!(
        stats.lines().any(|l| l.starts_with("server_version \"")),
        "{stats}"
    );
    assert!(
        stats.lines().any(|l| l.starts_with("total_items ")),
        "{stats}"
    );
    let json: serde_json::Value = serde_json::from_str(&ok(&s, &["--json", "stats"])).unwrap();
    assert!(json["server_version"].is_string(), "{json}");
    assert!(json["total_requests"].is_i64(), "{json}");
    assert_eq!(ok(&s, &["end"]), "OK\n");
}

#[test]
fn binary_values() {
    let s = TestServer::start();
    let k = format!("{}bin", unique_prefix("cli-bin"));
    // A quoted argument is unescaped: NUL, 0xff, a newline and a quote.
    assert_eq!(
        ok(&s, &["set", "0", &k, r#""a\x00b\xff\n\"""#]),
        "\"a\\x00b\\xff\\n\\\"\"\n"
    );
    assert_eq!(ok(&s, &["get", &k]), "\"a\\x00b\\xff\\n\\\"\"\n");
    assert_eq!(ok(&s, &["meta", &k, "size"]), "6\n");
    let raw = gibson(&s, &["--raw", "get", &k]);
    assert_eq!(raw.code, 0);
    assert_eq!(raw.stdout, b"a\x00b\xff\n\"\n");
    assert_eq!(
        ok(&s, &["--json", "get", &k]),
        "{\"hex\":\"610062ff0a22\"}\n"
    );
    // UTF-8 stays readable.
    ok(&s, &["set", "0", &k, "héllo"]);
    assert_eq!(ok(&s, &["get", &k]), "\"héllo\"\n");
    assert_eq!(ok(&s, &["--json", "get", &k]), "\"héllo\"\n");
}

#[test]
fn json_output() {
    let s = TestServer::start();
    let p = unique_prefix("cli-json");
    let k = format!("{p}k");
    assert_eq!(ok(&s, &["--json", "ping"]), "\"OK\"\n");
    assert_eq!(ok(&s, &["--json", "set", "0", &k, "v 1"]), "\"v 1\"\n");
    assert_eq!(ok(&s, &["--json", "get", &format!("{p}nope")]), "null\n");
    assert_eq!(ok(&s, &["--json", "del", &format!("{p}nope")]), "null\n");
    assert_eq!(ok(&s, &["--json", "inc", &format!("{p}n")]), "1\n");
    assert_eq!(ok(&s, &["--json", "count", &p]), "2\n");
    assert_eq!(
        ok(&s, &["--json", "mget", &p]),
        format!("{{\"{p}k\":\"v 1\",\"{p}n\":1}}\n")
    );
    assert_eq!(
        ok(&s, &["--json", "keys", &p]),
        format!("[\"{p}k\",\"{p}n\"]\n")
    );
    assert_eq!(ok(&s, &["--json", "meta", &k, "ttl"]), "-1\n");
    assert_eq!(ok(&s, &["--json", "mget", &format!("{p}zz")]), "{}\n");
}

#[test]
fn errors_are_one_line_and_non_zero() {
    let s = TestServer::start();
    let p = unique_prefix("cli-err");
    let k = format!("{p}k");
    ok(&s, &["set", "0", &k, "not a number"]);
    // Server errors: exit 1.
    let e = fails(&s, &["inc", &k], 1);
    assert!(e.contains("NAN"), "{e}");
    // Invalid arguments, refused before sending: exit 2, naming the argument.
    let e = fails(&s, &["get", "a key"], 2);
    assert!(e.contains("`key`"), "{e}");
    let e = fails(&s, &["set", "soon", &k, "v"], 2);
    assert!(e.contains("`ttl`"), "{e}");
    let e = fails(&s, &["lock", &k, "0"], 2);
    assert!(e.contains("`seconds`"), "{e}");
    let e = fails(&s, &["mget", &p, "0"], 2);
    assert!(e.contains("`limit`"), "{e}");
    let e = fails(&s, &["meta", &k, "colour"], 2);
    assert!(e.contains("`field`"), "{e}");
    let e = fails(&s, &["set", "0", &k], 2);
    assert!(e.contains("missing argument `value`"), "{e}");
    let e = fails(&s, &["get", &k, "extra"], 2);
    assert!(e.contains("too many arguments"), "{e}");
    let e = fails(&s, &["count", ""], 2);
    assert!(e.contains("`prefix`"), "{e}");
    let e = fails(&s, &["frobnicate", &k], 2);
    assert!(e.contains("unknown command"), "{e}");
    // The value was not touched by any of them.
    assert_eq!(ok(&s, &["get", &k]), "\"not a number\"\n");
}

#[test]
fn an_unknown_command_names_the_nearest_one() {
    let s = TestServer::start();
    for (typed, near) in [
        ("gett", "GET"),
        ("MGTE", "MGET"),
        ("stat", "STATS"),
        ("rote", "ROUTE"),
    ] {
        let e = fails(&s, &[typed, "k"], 2);
        assert!(e.contains(&format!("did you mean {near}?")), "{typed}: {e}");
    }
    // Nothing near: the list only.
    let e = fails(&s, &["frobnicate", "k"], 2);
    assert!(!e.contains("did you mean"), "{e}");
    assert!(e.contains("MGET"), "{e}");
    // The benchmark moved to its own command.
    let e = fails(&s, &["bench", "-n", "10"], 2);
    assert!(e.contains("gibson-bench"), "{e}");
}

#[test]
fn connection_errors_exit_3() {
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = common::gibson_stdin(None, &["-p", &port.to_string(), "-t", "500", "ping"], b"");
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
    assert!(r.stderr.contains(&format!("127.0.0.1:{port}")), "{r:?}");
    // Invalid arguments are refused even without a server.
    let r = common::gibson_stdin(None, &["-p", &port.to_string(), "get", "a b"], b"");
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn gibson_addr_names_the_server() {
    let s = TestServer::start();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gibson"))
        .env("GIBSON_ADDR", s.url())
        .arg("ping")
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"OK\n", "{out:?}");
    assert!(out.status.success());
}

#[test]
#[cfg(unix)]
fn unix_socket() {
    let s = TestServer::start_unix();
    let k = format!("{}k", unique_prefix("cli-unix"));
    assert_eq!(
        ok(&s, &["set", "0", &k, "over a socket"]),
        "\"over a socket\"\n"
    );
    assert_eq!(ok(&s, &["get", &k]), "\"over a socket\"\n");
}
