//! The quickstart example run as a user runs it, with `GIBSON_ADDR` holding
//! a URL with options (it used to fail at the pool step by appending a
//! second `?…`). Builds the example with the cargo running this test.

use std::process::Command;

use gibson_test_support::TestServer;

#[test]
fn quickstart_takes_a_url_with_options() {
    let server = TestServer::start();
    let url = server.addr().url();
    let with_options = format!("{url}?response_timeout=2s&attempts=2");
    let out = Command::new(env!("CARGO"))
        .args([
            "run",
            "--quiet",
            "-p",
            "gibson-tokio",
            "--example",
            "quickstart",
        ])
        .env("GIBSON_ADDR", &with_options)
        .output()
        .expect("run cargo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("connected to {with_options}")),
        "{stdout}"
    );
    assert!(stdout.contains("-- a pool shared by 8 tasks"), "{stdout}");
    assert!(stdout.contains("mget qs:pool:          -> [("), "{stdout}");
    assert!(stdout.contains("del  -> true"), "{stdout}");
}
