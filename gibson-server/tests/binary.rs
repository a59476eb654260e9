//! The `gibson-server` binary: `-c FILE` with the real server's shipped
//! configuration file, flags overriding it.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use common::*;

#[cfg(unix)] // its one test starts the binary on a Unix socket too
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gibson.conf");

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str]) -> (Kill, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gibson-server"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn gibson-server");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    (Kill(child), line)
}

#[test]
#[cfg(unix)]
fn shipped_config_file_is_accepted_unchanged() {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let entries = gibson_server::parse_config(&text).unwrap();
    let names: Vec<&str> = entries.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "logfile",
            "loglevel",
            "logflushrate",
            "unix_socket",
            "daemonize",
            "pidfile",
            "max_memory",
            "max_item_ttl",
            "max_idletime",
            "max_clients",
            "max_request_size",
            "max_key_size",
            "max_value_size",
            "max_response_size",
            "gc_ration",
            "compression",
            "cron_period",
        ]
    );

    let sock = std::env::temp_dir().join(format!("gibson-bin-{}.sock", std::process::id()));
    let sock_s = sock.to_str().unwrap().to_string();
    let (mut child, line) = spawn(&["-c", FIXTURE, "--unix_socket", &sock_s]);
    assert_eq!(line.trim(), format!("gibson-server listening on {sock_s}"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o777, "socket mode {mode:o}");
    let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    use std::io::Write;
    s.write_all(&frame(PING, b"")).unwrap();
    let mut reply = [0u8; 8];
    s.read_exact(&mut reply).unwrap();
    assert_eq!(reply.to_vec(), ok());
    // The key-size limit of the file (1K) is in force.
    let mut p = b"0 ".to_vec();
    p.extend(std::iter::repeat_n(b'K', 1030));
    p.extend_from_slice(b" value");
    s.write_all(&frame(SET, &p)).unwrap();
    let mut reply = vec![0u8; 7 + 13];
    s.read_exact(&mut reply).unwrap();
    assert_eq!(reply, val(b"KKKKKKK value"));

    let _ = child.0.kill();
    let _ = child.0.wait();
    let mut err = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("ignoring setting `daemonize 1`"), "{err}");
    assert!(
        err.contains("ignoring setting `pidfile /var/run/gibson.pid`"),
        "{err}"
    );
    assert!(
        err.contains("ignoring unknown setting `gc_ration 15m`"),
        "{err}"
    );
}

#[test]
fn tcp_flags_and_port_zero() {
    let (_child, line) = spawn(&[
        "--address",
        "127.0.0.1",
        "--port",
        "0",
        "--max_request_size",
        "1K",
    ]);
    let addr = line
        .trim()
        .strip_prefix("gibson-server listening on ")
        .unwrap()
        .to_string();
    assert!(!addr.ends_with(":0"), "{addr}");
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    use std::io::Write;
    s.write_all(&frame(GET, &[b'k'; 1022])).unwrap();
    let mut reply = [0u8; 8];
    s.read_exact(&mut reply).unwrap();
    assert_eq!(reply.to_vec(), not_found());
    s.write_all(&frame(GET, &[b'k'; 1023])).unwrap();
    assert_eq!(
        s.read(&mut reply).unwrap_or(0),
        0,
        "over max_request_size: closed"
    );
}

#[test]
fn bad_config_is_refused() {
    let dir = std::env::temp_dir().join(format!("gibson-badconf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.conf");
    std::fs::write(&path, "port\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gibson-server"))
        .args(["-c", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"));
}

#[test]
fn every_long_option_of_the_real_binary_is_accepted() {
    let (mut child, line) = spawn(&[
        "--logfile",
        "/dev/stdout",
        "--loglevel",
        "1",
        "--logflushrate",
        "1",
        "--address",
        "127.0.0.1",
        "--port",
        "0",
        "--max_idletime",
        "30",
        "--max_clients",
        "255",
        "--max_request_size",
        "2M",
        "--max_item_ttl",
        "2592000",
        "--max_memory",
        "1G",
        "--max_key_size",
        "1K",
        "--max_value_size",
        "2096127",
        "--max_response_size",
        "15M",
        "--compression",
        "4K",
        "--daemonize",
        "0",
        "--cron_period",
        "10",
        "--pidfile",
        "/nonexistent/gibson.pid",
        "--gc_ratio",
        "15m",
        "--max_mem_cron",
        "15s",
        "--expired_cron",
        "1",
    ]);
    let addr = line
        .trim()
        .strip_prefix("gibson-server listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    let mut r = Raw::tcp(&addr);
    // expired_cron 1: an expired, locked item is deleted within a couple
    // of seconds (KEYS does not check expiry, only the sweep removes it).
    assert_eq!(r.req(SET, b"1 k v"), val(b"v"));
    assert_eq!(r.req(LOCK, b"k -1"), ok());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(4);
    while r.req(KEYS, b"k") != not_found() {
        assert!(std::time::Instant::now() < deadline, "not swept");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.0.kill();
}

#[test]
#[cfg(unix)]
fn unix_socket_mode_0777_and_sigterm_exits_0() {
    use std::os::unix::fs::PermissionsExt;
    let sock = std::env::temp_dir().join(format!("gibson-bin-term-{}.sock", std::process::id()));
    let sock_s = sock.to_str().unwrap().to_string();
    let (mut child, line) = spawn(&["--unix_socket", &sock_s]);
    assert_eq!(line.trim(), format!("gibson-server listening on {sock_s}"));
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o777, "mode {mode:o}");
    let pid = child.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = child.0.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
}
