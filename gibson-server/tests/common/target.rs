//! The server a wire-level test talks to: the embedded server with a
//! manual clock by default, or the external server named by
//! `GIBSON_TEST_ADDR` (e.g. the real Gibson 1.2.1), with the system clock.
//! Keys live under a unique prefix so a shared server is fine.

use std::time::Duration;

use gibson_proto::Addr;
use gibson_server::{Builder, ManualClock};
use gibson_test_support::{unique_prefix, TestServer};

use super::{Raw, T0};

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
        let server = TestServer::start();
        if server.is_external() {
            return Target {
                server,
                clock: None,
                prefix: unique_prefix(tag),
            };
        }
        Target::embedded(tag, |b| b)
    }

    /// An embedded server whose builder is adjusted by `f`; `None`, with a
    /// note on stderr, when testing an external server (its settings
    /// cannot be chosen here).
    pub fn start_with(tag: &str, why: &str, f: impl FnOnce(Builder) -> Builder) -> Option<Target> {
        if TestServer::start().is_external() {
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

    /// `true` when testing `GIBSON_TEST_ADDR`.
    pub fn is_external(&self) -> bool {
        self.server.is_external()
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

    /// The embedded server's clock, if any.
    pub fn clock(&self) -> Option<&ManualClock> {
        self.clock.as_ref()
    }
}

/// Joins request parts with single spaces.
pub fn args(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(&b' ')
}
