//! The shell with piped input: one line at a time, no prompts, the same
//! output as one-shot mode, errors on stderr, `:help`, `:quit`.

mod common;

use common::gibson_stdin;
use gibson_test_support::{unique_prefix, TestServer};

#[test]
fn piped_lines_run_one_by_one() {
    let s = TestServer::start();
    let p = unique_prefix("cli-shell");
    let script = format!(
        "ping\n\
         SET 0 {p}k hello   spaced world\n\
         get {p}k\n\
         \n\
         set 0 {p}bin \"a\\x00b\"\n\
         get {p}bin\n\
         inc {p}n\n\
         mget {p}b\n\
         get {p}missing\n\
         get\n\
         inc {p}k\n\
         count {p}\n"
    );
    let r = gibson_stdin(Some(&s), &[], script.as_bytes());
    assert_eq!(
        r.out(),
        format!(
            "OK\n\"hello   spaced world\"\n\"hello   spaced world\"\n\
             \"a\\x00b\"\n\"a\\x00b\"\n1\n\
             {p}bin \"a\\x00b\"\n\
             (nil)\n3\n"
        )
    );
    let errors: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{r:?}");
    assert!(errors[0].contains("missing argument `key`"), "{r:?}");
    assert!(errors[1].contains("NAN"), "{r:?}");
    // The last failure decides the exit code (NAN: a server error).
    assert_eq!(r.code, 1, "{r:?}");
}

#[test]
fn help_quit_and_json() {
    let s = TestServer::start();
    let r = gibson_stdin(Some(&s), &[], b":help\nping\n:quit\nping\n");
    assert_eq!(r.code, 0, "{r:?}");
    let out = r.out();
    assert!(out.contains("SET ttl key value"), "{out}");
    assert!(out.contains("MGET prefix [limit]"), "{out}");
    // Nothing runs after :quit.
    assert_eq!(
        out.matches("\nOK\n").count() + usize::from(out.starts_with("OK\n")),
        1,
        "{out}"
    );
    let r = gibson_stdin(Some(&s), &["--json"], b"ping\nget nope-nope-nope\n");
    assert_eq!(r.out(), "\"OK\"\nnull\n");
    let r = gibson_stdin(Some(&s), &[], b":nope\n");
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn a_down_server_is_one_error_per_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = gibson_stdin(None, &["-p", &port.to_string()], b"ping\nping\n");
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.stderr.lines().count(), 2, "{r:?}");
}
