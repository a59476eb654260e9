//! The quickstart example run as a user runs it, with `GIBSON_ADDR` holding
//! a URL with options (it used to fail at the pool step by appending a
//! second `?…`).

use std::process::Command;

use gibson_test_support::TestServer;

#[test]
fn quickstart_takes_a_url_with_options() {
    let server = TestServer::start();
    let url = server.addr().url();
    let with_options = format!("{url}?response_timeout=2s&attempts=2");
    let out = quickstart()
        .env("GIBSON_ADDR", &with_options)
        .output()
        .expect("run the quickstart");
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

/// The quickstart binary `cargo test` built beside this test's folder
/// (`target/debug/examples`), else `cargo run` of it.
fn quickstart() -> Command {
    let built = std::env::current_exe().ok().and_then(|test| {
        let examples = test.parent()?.parent()?.join("examples");
        Some(examples.join(format!("quickstart{}", std::env::consts::EXE_SUFFIX)))
    });
    match built.filter(|path| path.is_file()) {
        Some(path) => Command::new(path),
        None => {
            let mut cargo = Command::new(env!("CARGO"));
            cargo.args([
                "run",
                "--quiet",
                "-p",
                "gibson-tokio",
                "--example",
                "quickstart",
            ]);
            cargo
        }
    }
}
