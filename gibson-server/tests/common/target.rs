//! The server a wire-level test talks to: the embedded server with a
//! manual clock by default, or the external server named by
//! `GIBSON_TEST_ADDR` (e.g. the real Gibson 1.2.1), with the system clock.
//! Keys live under a unique prefix so a shared server is fine.

use std::time::Duration;

use gibson_policy::Addr;
use gibson_server::{Builder, ManualClock};
use gibson_test_support::{unique_prefix, TestServer, TEST_ADDR_VAR};

use super::{keys_reply, Raw, KEYS, SET, T0};

/// A server under test.
pub struct Target {
    server: TestServer,
    /// The embedded server's clock; `None` for an external server.
    clock: Option<ManualClock>,
    prefix: String,
}

impl Target {
    /// The external server if `GIBSON_TEST_ADDR` is set, else an embedded
    /// one with default settings and a manual clock.
    pub fn start(tag: &str) -> Target {
        if !external_wanted() {
            return Target::embedded(tag, |b| b);
        }
        Target {
            server: TestServer::start(),
            clock: None,
            prefix: unique_prefix(tag),
        }
    }

    /// An embedded server whose builder is adjusted by `f`; `None`, with a
    /// note on stderr, when testing an external server (its settings
    /// cannot be chosen here).
    pub fn start_with(tag: &str, why: &str, f: impl FnOnce(Builder) -> Builder) -> Option<Target> {
        if external_wanted() {
            eprintln!("skipped against an external server: {why}");
            return None;
        }
        Some(Target::embedded(tag, f))
    }

    fn embedded(tag: &str, f: impl FnOnce(Builder) -> Builder) -> Target {
        let clock = ManualClock::new(T0);
        let c = clock.clone();
        Target {
            server: TestServer::embedded_tcp_with(move |b| f(b.clock(c))),
            clock: Some(clock),
            prefix: unique_prefix(tag),
        }
    }

    /// A new raw connection.
    pub fn conn(&self) -> Raw {
        match self.server.addr() {
            Addr::Unix(path) => Raw::unix(path),
            tcp => Raw::tcp(&tcp.to_string()),
        }
    }

    /// `name` under this test's unique prefix.
    pub fn key(&self, name: &str) -> Vec<u8> {
        let mut k = self.prefix.clone().into_bytes();
        k.extend_from_slice(name.as_bytes());
        k
    }

    /// Lets `secs` seconds pass: the manual clock moves, or the test sleeps
    /// (a little longer: the real server reads its clock every cron tick).
    pub fn wait(&self, secs: i64) {
        match &self.clock {
            Some(clock) => clock.advance(secs),
            None => std::thread::sleep(
                Duration::from_secs(secs.unsigned_abs()) + Duration::from_millis(250),
            ),
        }
    }
}

/// Runs a test in which items expire, on a fresh [`Target`] each try, until
/// no expiry sweep of the server ran in the middle of it (at most 3
/// tries). The real server sweeps every 15 s, and a sweep that removes the
/// expired items first changes what the commands see. A sentinel item with
/// a TTL of 1 s, set before the test's items, tells: KEYS does not check
/// expiry, so the sentinel is still listed after the test exactly when no
/// sweep ran since it expired.
pub fn with_expiry(tag: &str, body: impl Fn(&Target)) {
    use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
    for attempt in 1..=3 {
        let t = Target::start(tag);
        let mut r = t.conn();
        let sentinel = unique_prefix(&format!("{tag}-sweep")).into_bytes();
        r.req(SET, &args(&[b"1", &sentinel, b"s"]));
        let outcome = catch_unwind(AssertUnwindSafe(|| body(&t)));
        let swept = r.req(KEYS, &sentinel) != keys_reply(&[&sentinel]);
        if !swept || attempt == 3 {
            if let Err(panic) = outcome {
                resume_unwind(panic);
            }
            return;
        }
        eprintln!("{tag}: the server's expiry sweep ran during try {attempt}; trying again");
    }
}

/// `true` when `GIBSON_TEST_ADDR` names a server.
fn external_wanted() -> bool {
    std::env::var(TEST_ADDR_VAR).is_ok_and(|a| !a.trim().is_empty())
}

/// Joins request parts with single spaces.
pub fn args(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(&b' ')
}
