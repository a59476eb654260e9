//! Bulk pipelining on one connection: tens of thousands of SETs of 700-byte
//! values and INCs of one counter, about 2 000 of them in flight at a time.
//!
//! This is the load under which a client's writes to the socket become
//! partial at arbitrary bytes. A Gibson 1.2.1 server that reads a request's
//! 4-byte size prefix in two parts misreads it and drops the connection with
//! everything in flight, so the workload checks that every request got its
//! own successful reply and that the connection was never rebuilt.
//!
//! [`Bulk`] describes the workload, [`Tally`] checks the outcomes, and
//! [`bulk_pipelining_on_one_connection`] is the test, an `async fn` generic
//! over the client ([`SuiteClient`]) that [`suite!`](crate::suite!) stamps
//! for a runtime crate:
//!
//! ```ignore
//! gibson_test_support::suite!(bulk, client: gibson_tokio, runtimes: [tokio]);
//! gibson_test_support::suite!(bulk, client: gibson_blocking, runtimes: [blocking]);
//! ```
//!
//! On a multiplexed (async) connection the window is kept full with single
//! requests polled together on one task; the blocking client sends explicit
//! pipelines of the window's size. `GIBSON_BULK_REQUESTS` changes the number of requests (default
//! 30 000).

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use bytes::Bytes;
use futures::stream::{FuturesUnordered, StreamExt};
use gibson_policy::{Config, RetryPolicy};
use gibson_proto::{Error, Ttl, Value};

use crate::client::{client, SuiteClient};
use crate::{unique_prefix, TestServer};

/// Bytes in every SET's value.
pub const VALUE_LEN: usize = 700;
/// Requests kept in flight on the connection.
pub const WINDOW: usize = 2_000;
/// Every this many requests, one is an INC of the counter.
const INC_EVERY: usize = 4;
/// Requests in total unless `GIBSON_BULK_REQUESTS` says otherwise.
const DEFAULT_REQUESTS: usize = 30_000;
/// Keys read back after the run: one every this many SETs.
const SPOT_EVERY: usize = 997;

/// One request of the workload.
#[derive(Debug)]
pub enum BulkOp {
    /// SET `key` to `value`, no TTL.
    Set {
        /// The key, unique to this request.
        key: String,
        /// [`VALUE_LEN`] bytes, unique to this request.
        value: Vec<u8>,
    },
    /// INC the workload's counter.
    Inc {
        /// The counter's key.
        key: String,
    },
}

/// The workload: which request is number `i`, and what must hold afterwards.
#[derive(Debug)]
pub struct Bulk {
    prefix: String,
    requests: usize,
}

impl Bulk {
    /// A workload under a fresh unique prefix.
    pub fn new() -> Bulk {
        let requests = std::env::var("GIBSON_BULK_REQUESTS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(DEFAULT_REQUESTS);
        Bulk {
            prefix: unique_prefix("bulk"),
            requests,
        }
    }

    /// The client configuration: never resend (so that a dropped connection
    /// shows as errors) and room for the whole window.
    pub fn config(&self, server: &TestServer) -> Config {
        let config = server.config().retry(RetryPolicy::Never);
        let room = config.max_in_flight.max(WINDOW);
        config.max_in_flight(room)
    }

    /// Requests in total.
    pub fn requests(&self) -> usize {
        self.requests
    }

    /// Requests kept in flight.
    pub fn window(&self) -> usize {
        WINDOW
    }

    /// Request number `i`.
    pub fn op(&self, i: usize) -> BulkOp {
        if is_inc(i) {
            BulkOp::Inc {
                key: self.counter_key(),
            }
        } else {
            BulkOp::Set {
                key: self.set_key(i),
                value: self.value(i),
            }
        }
    }

    /// The key the SET number `i` writes.
    fn set_key(&self, i: usize) -> String {
        format!("{}s:{i}", self.prefix)
    }

    /// The value the SET number `i` writes: its number, then filler.
    fn value(&self, i: usize) -> Vec<u8> {
        let mut v = format!("{i}:").into_bytes();
        v.resize(VALUE_LEN, b'a' + (i % 26) as u8);
        v
    }

    /// The counter every INC increments.
    pub fn counter_key(&self) -> String {
        format!("{}ctr", self.prefix)
    }

    /// The prefix under which every SET's key lies (and nothing else).
    pub fn set_prefix(&self) -> String {
        format!("{}s:", self.prefix)
    }

    /// The prefix of every key of the workload, for cleaning up.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Number of SETs in the workload.
    pub fn sets(&self) -> usize {
        self.requests - self.incs()
    }

    /// Number of INCs in the workload.
    pub fn incs(&self) -> usize {
        (0..self.requests).filter(|&i| is_inc(i)).count()
    }

    /// A sample of SET keys with the values they must hold afterwards.
    pub fn spot_checks(&self) -> Vec<(String, Vec<u8>)> {
        (0..self.requests)
            .filter(|&i| !is_inc(i))
            .step_by(SPOT_EVERY)
            .chain((0..self.requests).rev().find(|&i| !is_inc(i)))
            .map(|i| (self.set_key(i), self.value(i)))
            .collect()
    }
}

impl Default for Bulk {
    fn default() -> Bulk {
        Bulk::new()
    }
}

fn is_inc(i: usize) -> bool {
    i % INC_EVERY == INC_EVERY - 1
}

/// The outcomes of a [`Bulk`] run, recorded as replies arrive.
#[derive(Debug)]
pub struct Tally<'a> {
    bulk: &'a Bulk,
    answered: Vec<bool>,
    failures: usize,
    first_failures: Vec<String>,
    inc_replies: Vec<i64>,
}

/// Failures quoted in the final assertion.
const QUOTED: usize = 5;

impl<'a> Tally<'a> {
    /// An empty tally for `bulk`.
    pub fn new(bulk: &'a Bulk) -> Tally<'a> {
        Tally {
            bulk,
            answered: vec![false; bulk.requests()],
            failures: 0,
            first_failures: Vec::new(),
            inc_replies: Vec::new(),
        }
    }

    /// Records the outcome of request `i`, a SET.
    pub fn set<E: Display>(&mut self, i: usize, outcome: Result<Value, E>) {
        self.answer(i);
        match outcome {
            Ok(Value::Bytes(got)) if got[..] == self.bulk.value(i)[..] => {}
            Ok(other) => self.fail(i, format!("SET got another reply: {other:?}")),
            Err(e) => self.fail(i, format!("SET failed: {e}")),
        }
    }

    /// Records the outcome of request `i`, an INC.
    pub fn inc<E: Display>(&mut self, i: usize, outcome: Result<i64, E>) {
        self.answer(i);
        match outcome {
            Ok(n) => self.inc_replies.push(n),
            Err(e) => self.fail(i, format!("INC failed: {e}")),
        }
    }

    /// `true` once any request has failed.
    pub fn any_failed(&self) -> bool {
        self.failures > 0
    }

    fn answer(&mut self, i: usize) {
        match self.answered.get_mut(i) {
            Some(seen) if !*seen => *seen = true,
            _ => self.fail(i, "a second outcome (or no such request)".into()),
        }
    }

    fn fail(&mut self, i: usize, what: String) {
        self.failures += 1;
        if self.first_failures.len() < QUOTED {
            self.first_failures.push(format!("request {i}: {what}"));
        }
    }

    /// Panics unless every request was answered once and succeeded, and the
    /// INC replies were exactly 1, 2, …, n (each its own request's: on one
    /// connection the server runs them one after the other).
    pub fn assert_all_succeeded(mut self, connects: u64) {
        let unanswered = self.answered.iter().filter(|a| !**a).count();
        self.inc_replies.sort_unstable();
        let incs_in_order = self
            .inc_replies
            .iter()
            .zip(1..)
            .all(|(&got, want)| got == want);
        assert!(
            self.failures == 0 && unanswered == 0 && incs_in_order,
            "bulk pipelining: {} of {} requests failed, {unanswered} unanswered or not sent, \
             {} of {} INCs succeeded and their replies {} 1, 2, 3, …, \
             {connects} connect(s); first failures: {:#?}",
            self.failures,
            self.bulk.requests(),
            self.inc_replies.len(),
            self.bulk.incs(),
            if incs_in_order { "are" } else { "are NOT" },
            self.first_failures,
        );
        assert_eq!(
            self.inc_replies.len(),
            self.bulk.incs(),
            "one reply per INC"
        );
    }
}

/// Stamps the suite's `#[test]`, running it with `$run` (a `block_on`) on
/// the client type `$client`.
#[doc(hidden)]
#[macro_export]
macro_rules! __bulk_tests {
    ($run:expr, $client:ty) => {
        $crate::__tests!($run, [$client], bulk: bulk_pipelining_on_one_connection);
    };
}

/// The workload on one connection of `C`: requests kept in flight
/// together when `C` is [multiplexed](SuiteClient::MULTIPLEXED), explicit
/// pipelines of the window's size otherwise; then every outcome, and the
/// store itself on the same connection.
pub async fn bulk_pipelining_on_one_connection<C: SuiteClient>() {
    let server = TestServer::start();
    let bulk = Bulk::new();
    let conn: C = client(bulk.config(&server)).await;
    let started = Instant::now();
    let mut tally = Tally::new(&bulk);
    if C::MULTIPLEXED {
        in_flight(&conn, &bulk, &mut tally).await;
    } else {
        pipelined(&conn, &bulk, &mut tally).await;
    }
    eprintln!(
        "bulk: {} requests in {:?}",
        bulk.requests(),
        started.elapsed()
    );
    tally.assert_all_succeeded(conn.connects());
    for (k, v) in bulk.spot_checks() {
        assert_eq!(
            conn.get::<Bytes>(&k).await.unwrap().as_deref(),
            Some(&v[..]),
            "{k}"
        );
    }
    assert_eq!(
        conn.get::<i64>(bulk.counter_key()).await.unwrap(),
        Some(bulk.incs() as i64)
    );
    assert_eq!(
        conn.count(bulk.set_prefix()).await.unwrap(),
        bulk.sets() as u64
    );
    assert_eq!(conn.connects(), 1, "the connection was never rebuilt");
    conn.mdel(bulk.prefix()).await.unwrap();
}

/// The outcome of one request of the workload.
enum Outcome {
    Set(Result<Value, Error>),
    Inc(Result<i64, Error>),
}

/// A request of the workload in flight: its number and outcome.
type InFlight<'c> = Pin<Box<dyn Future<Output = (usize, Outcome)> + 'c>>;

/// Keeps the window full with single requests polled together on this
/// task.
async fn in_flight<C: SuiteClient>(c: &C, bulk: &Bulk, tally: &mut Tally<'_>) {
    let mut in_flight: FuturesUnordered<InFlight<'_>> = FuturesUnordered::new();
    let mut next = 0;
    loop {
        while next < bulk.requests() && in_flight.len() < bulk.window() {
            let i = next;
            next += 1;
            in_flight.push(match bulk.op(i) {
                BulkOp::Set { key, value } => {
                    Box::pin(
                        async move { (i, Outcome::Set(c.set(key, &value[..], Ttl::Never).await)) },
                    )
                }
                BulkOp::Inc { key } => Box::pin(async move { (i, Outcome::Inc(c.inc(key).await)) }),
            });
        }
        match in_flight.next().await {
            Some((i, Outcome::Set(r))) => tally.set(i, r),
            Some((i, Outcome::Inc(r))) => tally.inc(i, r),
            None => break,
        }
    }
}

/// Sends the workload in explicit pipelines of the window's size.
async fn pipelined<C: SuiteClient>(c: &C, bulk: &Bulk, tally: &mut Tally<'_>) {
    enum Handle<S, I> {
        Set(usize, S),
        Inc(usize, I),
    }

    let indices: Vec<usize> = (0..bulk.requests()).collect();
    for window in indices.chunks(bulk.window()) {
        let mut pipe = c.pipeline();
        let handles: Vec<_> = window
            .iter()
            .map(|&i| match bulk.op(i) {
                BulkOp::Set { key, value } => Handle::Set(i, pipe.set(key, &value[..], Ttl::Never)),
                BulkOp::Inc { key } => Handle::Inc(i, pipe.inc(key)),
            })
            .collect();
        match c.run(pipe).await {
            Ok(mut results) => {
                for h in handles {
                    match h {
                        Handle::Set(i, h) => tally.set(i, results.take(h)),
                        Handle::Inc(i, h) => tally.inc(i, results.take(h)),
                    }
                }
            }
            Err(e) => {
                for h in handles {
                    match h {
                        Handle::Set(i, _) => tally.set(i, Err(&e)),
                        Handle::Inc(i, _) => tally.inc(i, Err(&e)),
                    }
                }
            }
        }
        if tally.any_failed() {
            // Enough to fail; a stuck window costs a timeout each, so the
            // rest is not sent.
            break;
        }
    }
}
