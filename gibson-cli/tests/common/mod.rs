//! Runs the built `gibson` binary against a test server.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::process::{Command, Stdio};

use gibson_policy::Addr;
use gibson_test_support::TestServer;

/// What one run of the binary printed and returned.
#[derive(Debug)]
pub struct Run {
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    /// stdout as text.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// `-a host -p port` or `-u path` for the server.
pub fn addr_args(server: &TestServer) -> Vec<String> {
    match server.addr() {
        Addr::Tcp { host, port } => vec!["-a".into(), host.clone(), "-p".into(), port.to_string()],
        Addr::Unix(path) => vec!["-u".into(), path.display().to_string()],
    }
}

/// Runs `gibson <addr> args…` with `stdin` piped in.
pub fn gibson_stdin(server: Option<&TestServer>, args: &[&str], stdin: &[u8]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gibson"));
    cmd.env_remove("GIBSON_ADDR")
        .env("HOME", std::env::temp_dir())
        .env_remove("XDG_STATE_HOME");
    if let Some(s) = server {
        cmd.args(addr_args(s));
    }
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run gibson");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait for gibson");
    Run {
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// Runs `gibson <addr> args…`.
pub fn gibson(server: &TestServer, args: &[&str]) -> Run {
    gibson_stdin(Some(server), args, b"")
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(server: &TestServer, args: &[&str]) -> String {
    let r = gibson(server, args);
    assert_eq!(r.code, 0, "gibson {args:?}: {r:?}");
    assert!(r.stderr.is_empty(), "gibson {args:?}: {r:?}");
    r.out()
}

/// Runs a command that must fail with `code`; returns its stderr (one line).
pub fn fails(server: &TestServer, args: &[&str], code: i32) -> String {
    let r = gibson(server, args);
    assert_eq!(r.code, code, "gibson {args:?}: {r:?}");
    assert!(r.stdout.is_empty(), "gibson {args:?}: {r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "one error line: {r:?}");
    assert!(r.stderr.starts_with("error: "), "{r:?}");
    r.stderr
}
