//! A server named by a URL, in `-a` or in `GIBSON_ADDR`: its IPv6 or
//! socket address and its options are honoured, not dropped.

mod common;

use std::process::Command;

use common::{gibson_stdin, Run};
use gibson_test_support::{unique_prefix, TestServer};

/// Runs `gibson args…` with `GIBSON_ADDR` set to `env` (or unset).
fn gibson_env(env: Option<&str>, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gibson"));
    cmd.env_remove("GIBSON_ADDR")
        .env("HOME", std::env::temp_dir());
    if let Some(value) = env {
        cmd.env("GIBSON_ADDR", value);
    }
    let out = cmd.args(args).output().expect("run gibson");
    Run {
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

#[test]
fn a_url_in_dash_a_reaches_the_server_with_its_options() {
    let s = TestServer::start();
    let url = format!("{}?response_timeout=2s&attempts=2", s.addr().url());
    let p = unique_prefix("cli-url");
    let k = format!("{p}k");
    let set = gibson_stdin(None, &["-a", &url, "set", "0", &k, "v"], b"");
    assert_eq!((set.code, set.out()), (0, "\"v\"\n".to_string()), "{set:?}");
    let get = gibson_stdin(None, &["-a", &url, "get", &k], b"");
    assert_eq!((get.code, get.out()), (0, "\"v\"\n".to_string()), "{get:?}");
    // An option that changes what the client accepts: a 4-byte key limit.
    let small = format!("{}?max_key_size=4", s.addr().url());
    let refused = gibson_stdin(None, &["-a", &small, "get", &k], b"");
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("key"), "{refused:?}");
    gibson_stdin(None, &["-a", &url, "del", &k], b"");
}

#[test]
fn gibson_addr_holding_a_url_with_options() {
    let s = TestServer::start();
    let url = format!("{}?response_timeout=2s", s.addr().url());
    let ping = gibson_env(Some(&url), &["ping"]);
    assert_eq!((ping.code, ping.out()), (0, "OK\n".to_string()), "{ping:?}");
    let bad = format!("{}?response_timeout=5", s.addr().url());
    let refused = gibson_env(Some(&bad), &["ping"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("response_timeout"), "{refused:?}");
    assert!(refused.stderr.contains("no unit"), "{refused:?}");
}

#[test]
fn ipv6_urls_parse_and_a_port_beside_a_url_is_refused() {
    // Nothing listens on [::1]:1: the URL parses, the connection fails (3),
    // rather than a lookup of the text "gibson" or "[" (2).
    let down = gibson_env(None, &["-a", "gibson://[::1]:1?connect_timeout=1s", "ping"]);
    assert_eq!(down.code, 3, "{down:?}");
    let both = gibson_env(None, &["-a", "gibson://127.0.0.1:1", "-p", "2", "ping"]);
    assert_eq!(both.code, 2, "{both:?}");
    assert!(both.stderr.contains("-p"), "{both:?}");
}

#[test]
fn dash_a_is_a_host_a_host_and_port_or_an_ip_address() {
    // Two colons and no brackets: not an IPv6 address, and no host:port
    // either. Refused (2), naming `host`, rather than dialled as
    // "[127.0.0.1:18128:99]:10128" (3).
    let bad = gibson_env(None, &["-a", "127.0.0.1:18128:99", "ping"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(
        bad.stderr.contains("`host`") && bad.stderr.contains("\"127.0.0.1:18128:99\""),
        "{bad:?}"
    );
    assert!(!bad.stderr.contains("[127"), "{bad:?}");
    // A port in -a and in -p.
    let both = gibson_env(None, &["-a", "127.0.0.1:1", "-p", "2", "ping"]);
    assert_eq!(both.code, 2, "{both:?}");
    assert!(both.stderr.contains("-p 2"), "{both:?}");
    // A socket path belongs in -u.
    let path = gibson_env(None, &["-a", "/tmp/gibson.sock", "ping"]);
    assert_eq!(path.code, 2, "{path:?}");
    assert!(path.stderr.contains("-u"), "{path:?}");
    // IPv6, bare, bracketed with a port, or with -p: parsed, then the
    // connection fails (nothing listens on port 1).
    for args in [
        &["-a", "[::1]:1", "ping"][..],
        &["-a", "::1", "-p", "1", "ping"],
        &["-a", "[::1]", "-p", "1", "ping"],
    ] {
        let down = gibson_env(None, args);
        assert_eq!(down.code, 3, "{args:?}: {down:?}");
        assert!(down.stderr.contains("[::1]:1:"), "{args:?}: {down:?}");
    }
    // A host and port that work.
    let s = TestServer::start();
    if let gibson_policy::Addr::Tcp { host, port } = s.addr() {
        let addr = format!("{host}:{port}");
        let ok = gibson_env(None, &["-a", &addr, "ping"]);
        assert_eq!(ok.code, 0, "{ok:?}");
    }
}
