//! The connection's state machine without any runtime: calls polled by
//! hand, a fake driver standing in for the socket, time passed in.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use gibson_policy::Config;
use gibson_proto::{cmd, Error, Limits, Opcode, Reply, Value};

use super::{Delivery, Shared, Turn};
use crate::call::{Batch, Call, One, Request};
use crate::driver::Read;
use crate::shared_driver::InlineDriver;

/// Counts its wake-ups.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> (Arc<Counter>, Waker) {
    let c = Arc::new(Counter::default());
    (c.clone(), Waker::from(c))
}

fn woken(c: &Counter) -> usize {
    c.0.load(Ordering::SeqCst)
}

fn poll<F: Future + Unpin>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(waker))
}

const LONG: Duration = Duration::from_secs(60);
/// A deadline the tests let pass (the driver's clock is theirs).
const SHORT: Duration = Duration::from_millis(10);
const OK: &[u8] = b"\x05\x00\x00\x01\x00\x00\x00\x00";

/// A VAL reply carrying `v` as plain bytes.
fn val(v: &[u8]) -> Vec<u8> {
    let mut f = vec![6, 0, 0];
    f.extend_from_slice(&(v.len() as u32).to_le_bytes());
    f.extend_from_slice(v);
    f
}

/// No driver to poll inline.
struct NoInline;

impl InlineDriver for NoInline {
    fn drive(self: Arc<Self>, _: &Waker) {}
    fn leave(self: Arc<Self>, _: &Waker, _: bool) {}
}

/// A driver without a socket: the tests write and read for it.
struct FakeDriver {
    shared: Arc<Shared>,
    generation: u64,
    input: BytesMut,
    /// Taken and not written yet.
    out: Bytes,
}

fn config(max_in_flight: usize) -> Config {
    Config::new("127.0.0.1:1".parse().unwrap())
        .max_in_flight(max_in_flight)
        .response_timeout(LONG)
}

/// A connection of at most `max_in_flight` requests (no second lane),
/// its driver and its state.
fn started(max_in_flight: usize) -> (FakeDriver, Arc<Shared>) {
    let driver = FakeDriver::start(&config(max_in_flight), None);
    let shared = driver.shared.clone();
    (driver, shared)
}

impl FakeDriver {
    /// A connection of at most `max_in_flight` requests, and its driver.
    fn start(config: &Config, lane_limit: Option<usize>) -> FakeDriver {
        let shared = Arc::new(Shared::new(config, lane_limit));
        FakeDriver::restart(shared)
    }

    fn restart(shared: Arc<Shared>) -> FakeDriver {
        let generation = shared.start();
        shared.set_inline(generation, Weak::<NoInline>::new());
        FakeDriver {
            shared,
            generation,
            input: BytesMut::new(),
            out: Bytes::new(),
        }
    }

    /// A turn that takes the bytes to write (kept in `out`).
    fn take(&mut self) -> Turn {
        let turn = self.shared.take(Waker::noop(), true, &mut self.input);
        let mut wakers = Vec::new();
        self.shared
            .received(&mut self.input, Read::Nothing, 0, &mut wakers);
        wakers.into_iter().for_each(Waker::wake);
        let mut out = self.out.to_vec();
        out.extend_from_slice(&turn.out);
        self.out = out.into();
        turn
    }

    /// Everything taken so far, as the server would read it.
    fn written(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out).to_vec()
    }

    fn receive(&mut self, bytes: &[u8]) -> bool {
        let _ = self.shared.take(Waker::noop(), false, &mut self.input);
        self.input.extend_from_slice(bytes);
        let mut wakers = Vec::new();
        let mut received = self
            .shared
            .received(&mut self.input, Read::Bytes, 0, &mut wakers);
        while received.more {
            received = self
                .shared
                .received(&mut self.input, Read::Nothing, 0, &mut wakers);
        }
        wakers.into_iter().for_each(Waker::wake);
        received.failed
    }

    fn expire(&mut self, now: Instant) -> Option<Error> {
        let mut wakers = Vec::new();
        let silent = self.shared.expire(now, &mut wakers);
        wakers.into_iter().for_each(Waker::wake);
        silent
    }

    /// The connection breaks with `unwritten` bytes of `out` not written.
    fn stop(&mut self, err: Error) {
        let mut wakers = Vec::new();
        self.shared
            .stop(self.generation, err, self.out.len(), &mut wakers);
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// The plain value a polled call delivered; panics on anything else.
fn value(polled: Poll<Result<Delivery, Error>>) -> Vec<u8> {
    match polled {
        Poll::Ready(Ok(Delivery::One(Ok(Reply::Value(Value::Bytes(b)))))) => b.to_vec(),
        other => panic!("expected a value, got {other:?}"),
    }
}

/// A GET of `key`, as one request.
/// A call of `req` with a long deadline, polled once (it waits) and its
/// request taken by `driver`.
fn taken<'a, Q: Request>(
    driver: &mut FakeDriver,
    shared: &'a Shared,
    req: &'a mut Q,
) -> Call<'a, Q> {
    let mut call = Call::new(shared, req, Instant::now() + LONG, LONG);
    assert!(poll(&mut call, Waker::noop()).is_pending());
    driver.take();
    call
}

fn get(key: &str) -> One<cmd::Get<&str>> {
    One(cmd::Get::new(key))
}

fn not_sent(polled: Poll<Result<Delivery, Error>>) -> bool {
    matches!(polled, Poll::Ready(Ok(Delivery::NotSent(_))))
}

#[test]
fn a_call_before_any_driver_is_not_sent() {
    let shared = Shared::new(&config(16), None);
    let mut req = One(cmd::Ping);
    let mut call = Call::new(&shared, &mut req, Instant::now() + LONG, LONG);
    assert!(not_sent(poll(&mut call, Waker::noop())));
}

#[test]
fn replies_reach_their_callers_in_order_and_wake_each_once() {
    let (mut driver, shared) = started(16);
    let deadline = Instant::now() + LONG;
    let mut reqs: Vec<_> = (0..3)
        .map(|i| One(cmd::Get::<_, Bytes>::new(format!("k{i}"))))
        .collect();
    let mut calls: Vec<_> = reqs
        .iter_mut()
        .map(|r| Call::new(&shared, r, deadline, LONG))
        .collect();
    let counters: Vec<_> = (0..3).map(|_| counter()).collect();
    for (call, (_, w)) in calls.iter_mut().zip(&counters) {
        assert!(poll(call, w).is_pending());
    }
    let turn = driver.take();
    assert!(!turn.stop);
    assert_eq!(turn.earliest, Some(deadline));
    let written = driver.written();
    assert_eq!(written.len(), 3 * (6 + 2), "three GET frames in one buffer");
    assert_eq!(&written[6..8], b"k0");

    driver.receive(&[val(b"zero"), val(b"one")].concat());
    assert_eq!(woken(&counters[0].0), 1);
    assert_eq!(woken(&counters[1].0), 1);
    assert_eq!(woken(&counters[2].0), 0);
    // Taken out of order: each still gets its own.
    assert_eq!(value(poll(&mut calls[1], &counters[1].1)), b"one");
    assert_eq!(value(poll(&mut calls[0], &counters[0].1)), b"zero");
    assert!(poll(&mut calls[2], &counters[2].1).is_pending());
    driver.receive(&val(b"two"));
    assert_eq!(value(poll(&mut calls[2], &counters[2].1)), b"two");
}

#[test]
fn a_dropped_call_keeps_its_place_and_its_slot_is_reused_only_after_the_reply() {
    let (mut driver, shared) = started(16);
    let deadline = Instant::now() + LONG;
    let mut a = get("a");
    let mut call_a = Call::new(&shared, &mut a, deadline, LONG);
    assert!(poll(&mut call_a, Waker::noop()).is_pending());
    driver.take();
    drop(call_a);
    // A new call while the abandoned reply is still owed.
    let mut b = get("b");
    let mut call_b = Call::new(&shared, &mut b, deadline, LONG);
    assert!(poll(&mut call_b, Waker::noop()).is_pending());
    driver.take();
    driver.receive(&val(b"for a"));
    assert!(
        poll(&mut call_b, Waker::noop()).is_pending(),
        "a's reply must not reach b"
    );
    driver.receive(&val(b"for b"));
    assert_eq!(value(poll(&mut call_b, Waker::noop())), b"for b");
}

#[test]
fn an_expired_call_fails_alone_and_its_late_reply_is_dropped() {
    let (mut driver, shared) = started(16);
    let now = Instant::now();
    let mut a = get("a");
    let mut b = get("b");
    let mut call_a = Call::new(&shared, &mut a, now + SHORT, SHORT);
    let mut call_b = Call::new(&shared, &mut b, now + LONG, LONG);
    let (ca, wa) = counter();
    assert!(poll(&mut call_a, &wa).is_pending());
    assert!(poll(&mut call_b, Waker::noop()).is_pending());
    let turn = driver.take();
    assert_eq!(turn.earliest, Some(now + SHORT), "the timer is armed for a");

    assert!(driver.expire(now + SHORT).is_none(), "not a silent peer");
    assert_eq!(woken(&ca), 1);
    match poll(&mut call_a, &wa) {
        Poll::Ready(Ok(Delivery::Failed(Error::Timeout { after, .. }))) => {
            assert_eq!(after, SHORT)
        }
        other => panic!("{other:?}"),
    }
    let turn = driver.take();
    assert_eq!(turn.earliest, Some(now + LONG), "re-armed for b");
    driver.receive(&[val(b"late a"), val(b"b")].concat());
    assert_eq!(value(poll(&mut call_b, Waker::noop())), b"b");
}

#[test]
fn callers_beyond_max_in_flight_wait_then_go_or_time_out() {
    let (mut driver, shared) = started(1);
    let now = Instant::now();
    let mut a = One(cmd::Ping);
    let mut b = One(cmd::Ping);
    let mut c = One(cmd::Ping);
    let mut call_a = Call::new(&shared, &mut a, now + LONG, LONG);
    let mut call_b = Call::new(&shared, &mut b, now + LONG, LONG);
    let mut call_c = Call::new(&shared, &mut c, now + SHORT, SHORT);
    let (cb, wb) = counter();
    let (cc, wc) = counter();
    assert!(poll(&mut call_a, Waker::noop()).is_pending());
    assert!(poll(&mut call_b, &wb).is_pending());
    assert!(poll(&mut call_c, &wc).is_pending());
    let turn = driver.take();
    assert_eq!(driver.written().len(), 6, "only one PING may be in flight");
    assert_eq!(
        turn.earliest,
        Some(now + SHORT),
        "a waiting caller's deadline counts"
    );

    // c's deadline passes while it waits for room.
    driver.expire(now + SHORT);
    assert_eq!(woken(&cc), 1);
    assert!(matches!(
        poll(&mut call_c, &wc),
        Poll::Ready(Ok(Delivery::Failed(Error::Timeout { .. })))
    ));

    // a's reply makes room for b.
    driver.receive(OK);
    assert!(woken(&cb) >= 1);
    assert!(matches!(
        poll(&mut call_a, Waker::noop()),
        Poll::Ready(Ok(Delivery::One(Ok(Reply::Ok))))
    ));
    assert!(poll(&mut call_b, &wb).is_pending());
    driver.take();
    assert_eq!(driver.written().len(), 6);
}

#[test]
fn a_pipeline_is_one_slot_with_one_wake_up() {
    let (mut driver, shared) = started(16);
    let mut p = gibson_proto::Pipeline::new(Limits::default());
    let _ = p.get::<String>("x");
    let _ = p.ping();
    let _ = p.get::<String>("y");
    let ops: Vec<Opcode> = p.opcodes().to_vec();
    let frames = p.take_frames();
    let mut batch = Batch {
        ops: &ops,
        frames: &frames,
    };
    let mut call = Call::new(&shared, &mut batch, Instant::now() + LONG, LONG);
    let (count, w) = counter();
    assert!(poll(&mut call, &w).is_pending());
    driver.take();
    assert_eq!(driver.written(), frames.to_vec());
    driver.receive(&val(b"X"));
    driver.receive(OK);
    assert_eq!(woken(&count), 0, "not before the last reply");
    driver.receive(b"\x01\x00\x00\x00\x00\x00\x00");
    assert_eq!(woken(&count), 1);
    match poll(&mut call, &w) {
        Poll::Ready(Ok(Delivery::Many(replies))) => {
            assert_eq!(replies.len(), 3);
            assert!(matches!(replies[1], Ok(Reply::Ok)));
        }
        other => panic!("{other:?}"),
    }
}

/// The outcome of each request when the connection breaks: written whole
/// is "may have executed" ([`Error::Broken`]); taken but not written, or
/// never taken, is not sent (and so safe to send again, even an INC).
#[test]
fn a_break_tells_written_requests_from_unsent_ones() {
    let (mut driver, shared) = started(16);
    let deadline = Instant::now() + LONG;
    let mut a = One(cmd::Inc::new("n"));
    let mut b = One(cmd::Inc::new("n"));
    let mut c = One(cmd::Inc::new("n"));
    let mut call_a = Call::new(&shared, &mut a, deadline, LONG);
    assert!(poll(&mut call_a, Waker::noop()).is_pending());
    driver.take();
    driver.written(); // a reached the socket
    let mut call_b = Call::new(&shared, &mut b, deadline, LONG);
    assert!(poll(&mut call_b, Waker::noop()).is_pending());
    driver.take(); // b taken, never written
    let mut call_c = Call::new(&shared, &mut c, deadline, LONG);
    assert!(poll(&mut call_c, Waker::noop()).is_pending()); // c never taken
    driver.stop(Error::ConnectionClosed { in_reply: false });
    assert!(!shared.is_up());
    match poll(&mut call_a, Waker::noop()) {
        Poll::Ready(Ok(Delivery::One(Err(e)))) => {
            assert!(e.may_have_executed(), "{e}");
            assert!(matches!(e, Error::Broken { .. }), "{e}");
            assert!(matches!(e.root(), Error::ConnectionClosed { .. }), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert!(not_sent(poll(&mut call_b, Waker::noop())));
    assert!(not_sent(poll(&mut call_c, Waker::noop())));
}

/// A pipeline cut by a break: each command says whether it was written.
#[test]
fn a_pipeline_cut_by_a_break_reports_each_command() {
    let (mut driver, shared) = started(16);
    let mut p = gibson_proto::Pipeline::new(Limits::default());
    let _ = p.inc("a");
    let _ = p.inc("b");
    let ops: Vec<Opcode> = p.opcodes().to_vec();
    let frames = p.take_frames();
    let mut batch = Batch {
        ops: &ops,
        frames: &frames,
    };
    let mut call = taken(&mut driver, &shared, &mut batch);
    // The first INC's frame went out, the second's did not.
    let first = frames.len() / 2;
    driver.out = driver.out.slice(first..);
    driver.stop(Error::ConnectionClosed { in_reply: false });
    match poll(&mut call, Waker::noop()) {
        Poll::Ready(Ok(Delivery::Many(outcomes))) => {
            assert!(matches!(outcomes[0], Err(Error::Broken { .. })));
            assert!(matches!(outcomes[1], Err(Error::NotSent { .. })));
        }
        other => panic!("{other:?}"),
    }
}

/// A peer that owes replies and sends nothing for the response timeout is
/// silent; one that keeps sending is only slow.
#[test]
fn a_silent_peer_is_found_by_the_timer() {
    let config = Config::new("127.0.0.1:1".parse().unwrap()).response_timeout(SHORT);
    let mut driver = FakeDriver::start(&config, None);
    let shared = driver.shared.clone();
    let start = Instant::now();
    let mut a = get("a");
    let mut call_a = Call::new(&shared, &mut a, start + LONG, LONG);
    assert!(poll(&mut call_a, Waker::noop()).is_pending());
    let turn = driver.take();
    driver.written();
    let due = turn.earliest.expect("the silent-peer check is armed");
    assert!(due <= start + LONG && due >= start + 2 * SHORT, "{due:?}");
    assert!(driver.expire(due - SHORT).is_none(), "not silent yet");
    let silent = driver
        .expire(due)
        .expect("silent after the response timeout");
    assert!(silent.is_timeout(), "{silent}");
    driver.stop(silent);
    match poll(&mut call_a, Waker::noop()) {
        Poll::Ready(Ok(Delivery::One(Err(e)))) => {
            assert!(e.may_have_executed() && e.is_timeout(), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // Idle, nothing is owed: never silent.
    drop(call_a);
    let mut driver = FakeDriver::restart(shared.clone());
    driver.take();
    assert!(driver.expire(Instant::now() + LONG).is_none());
}

#[test]
fn beyond_max_waiting_a_caller_is_refused_as_busy() {
    let mut driver = FakeDriver::start(&config(1).max_waiting(Some(2)), None);
    let shared = driver.shared.clone();
    let deadline = Instant::now() + LONG;
    let mut reqs: Vec<_> = (0..3).map(|_| One(cmd::Ping)).collect();
    let mut calls: Vec<_> = reqs
        .iter_mut()
        .map(|r| Call::new(&shared, r, deadline, LONG))
        .collect();
    assert!(poll(&mut calls[0], Waker::noop()).is_pending()); // in flight
    assert!(poll(&mut calls[1], Waker::noop()).is_pending()); // waits for room
    match poll(&mut calls[2], Waker::noop()) {
        Poll::Ready(Err(Error::Busy { waiting, server })) => {
            assert_eq!(waiting, 2);
            assert_eq!(server, "127.0.0.1:1");
        }
        other => panic!("{other:?}"),
    }
    driver.take();
    assert_eq!(driver.written().len(), 6);
}

#[test]
fn a_request_above_the_lane_limit_is_handed_to_the_other_lane() {
    let mut driver = FakeDriver::start(&config(16), Some(100));
    let shared = driver.shared.clone();
    let big = [b'x'; 200];
    let mut set = One(cmd::Set::new("k", &big[..], gibson_proto::Ttl::Never));
    let mut call = Call::new(&shared, &mut set, Instant::now() + LONG, LONG);
    assert!(matches!(
        poll(&mut call, Waker::noop()),
        Poll::Ready(Ok(Delivery::Big))
    ));
    let mut small = One(cmd::Set::new("k", "v", gibson_proto::Ttl::Never));
    let _call = taken(&mut driver, &shared, &mut small);
    assert_eq!(
        driver.written().len(),
        4 + 2 + "0 k v".len(),
        "only the small SET was written"
    );
}

#[test]
fn bytes_that_are_no_reply_before_any_reply_name_the_peer_as_not_gibson() {
    let (mut driver, shared) = started(16);
    let mut a = get("a");
    let mut call = taken(&mut driver, &shared, &mut a);
    driver.written();
    assert!(driver.receive(b"HTTP/1.1 400 Bad Request\r\n\r\n"));
    driver.stop(Error::ConnectionClosed { in_reply: false });
    match poll(&mut call, Waker::noop()) {
        Poll::Ready(Ok(Delivery::One(Err(e)))) => {
            let root = e.to_string();
            assert!(root.contains("does not answer like a Gibson server"), "{e}");
            assert!(root.contains("127.0.0.1:1"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

/// The read that fails the session also takes the connection down, under
/// the same lock: no caller finds a failed session on a connection that
/// looks up (it would spin instead of reconnecting); and the late stop of
/// the old socket's driver leaves the next socket's requests alone.
#[test]
fn a_session_that_fails_on_a_read_is_down_at_once_and_a_late_stop_is_harmless() {
    let (mut driver, shared) = started(16);
    let mut a = get("a");
    let _call = taken(&mut driver, &shared, &mut a);
    driver.written();
    assert!(
        driver.receive(b"\xff\xff\x00\x00\x00\x00\x00"),
        "garbage fails it"
    );
    assert!(!shared.is_up(), "down before its driver stops");
    let mut b = get("b");
    let mut call_b = Call::new(&shared, &mut b, Instant::now() + LONG, LONG);
    assert!(not_sent(poll(&mut call_b, Waker::noop())));
    // A new socket, then the old driver's stop.
    let old = FakeDriver::restart(shared.clone());
    let mut c = get("c");
    let mut call_c = Call::new(&shared, &mut c, Instant::now() + LONG, LONG);
    assert!(poll(&mut call_c, Waker::noop()).is_pending());
    driver.stop(Error::ConnectionClosed { in_reply: false });
    assert!(
        shared.is_up(),
        "the old driver's stop left the new socket up"
    );
    assert!(poll(&mut call_c, Waker::noop()).is_pending());
    drop(old);
}

#[test]
fn an_invalid_argument_queues_nothing() {
    let (mut driver, shared) = started(16);
    let mut bad = get("");
    let mut call = Call::new(&shared, &mut bad, Instant::now() + LONG, LONG);
    assert!(matches!(
        poll(&mut call, Waker::noop()),
        Poll::Ready(Err(Error::InvalidArgument { .. }))
    ));
    let turn = driver.take();
    assert!(turn.out.is_empty());
    assert_eq!(turn.earliest, None);
    assert!(driver.written().is_empty());
}

mod model {
    //! Random interleavings of callers, a driver, a server, the clock and
    //! broken connections, checked against what each caller may see.

    use std::collections::VecDeque;

    use proptest::prelude::*;

    use super::*;

    type Fut = Pin<Box<dyn Future<Output = Result<Delivery, Error>> + Send>>;

    #[derive(Debug, Clone)]
    enum Op {
        /// A caller starts a GET with this timeout (ms) and polls it once.
        Call(u8),
        /// A caller polls again.
        Poll(usize),
        /// A caller goes away.
        Drop(usize),
        /// The driver takes what was queued and writes this many bytes of it.
        Take(u16),
        /// The server answers this many of the requests it read.
        Reply(u8),
        /// Time passes and the driver's timer fires.
        Advance(u8),
        /// The connection breaks; a new driver starts.
        Break,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (1u8..60).prop_map(Op::Call),
            4 => any::<usize>().prop_map(Op::Poll),
            1 => any::<usize>().prop_map(Op::Drop),
            3 => any::<u16>().prop_map(Op::Take),
            3 => (1u8..8).prop_map(Op::Reply),
            1 => (1u8..30).prop_map(Op::Advance),
            1 => Just(Op::Break),
        ]
    }

    struct Caller {
        key: Vec<u8>,
        deadline: Instant,
        epoch: u32,
        fut: Fut,
    }

    /// The GET keys in whole frames at the head of `bytes`; the rest is
    /// left in it.
    fn keys(bytes: &mut Vec<u8>) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        let mut at = 0;
        while bytes.len() >= at + 6 {
            let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            if bytes.len() < at + 4 + len {
                break;
            }
            keys.push(bytes[at + 6..at + 4 + len].to_vec());
            at += 4 + len;
        }
        bytes.drain(..at);
        keys
    }

    /// Checks one delivery against what this caller may see.
    fn check(c: &Caller, now: Instant, epoch: u32, r: Result<Delivery, Error>) {
        match r {
            Ok(Delivery::One(Ok(Reply::Value(Value::Bytes(v))))) => {
                assert_eq!(
                    v.as_ref(),
                    c.key.as_slice(),
                    "a reply reached the wrong caller"
                )
            }
            Ok(Delivery::Failed(Error::Timeout { .. })) => {
                assert!(now >= c.deadline, "timed out before its deadline")
            }
            Ok(Delivery::One(Err(Error::Broken { .. }))) | Ok(Delivery::NotSent(_)) => {
                assert!(epoch > c.epoch, "failed without a broken connection")
            }
            other => panic!("unexpected delivery {other:?}"),
        }
    }

    fn run(ops: Vec<Op>) {
        let mut driver = FakeDriver::start(&config(1 << 20), None);
        let shared = driver.shared.clone();
        let mut now = Instant::now();
        let mut epoch = 0u32;
        // Bytes the server received, and the keys it owes replies for.
        let mut wire: Vec<u8> = Vec::new();
        let mut server: VecDeque<Vec<u8>> = VecDeque::new();
        let mut callers: Vec<Option<Caller>> = Vec::new();
        let waker = Waker::noop();
        let poll_caller = |callers: &mut Vec<Option<Caller>>, i: usize, now, epoch| {
            if let Some(c) = callers.get_mut(i).and_then(Option::as_mut) {
                if let Poll::Ready(r) = c.fut.as_mut().poll(&mut Context::from_waker(waker)) {
                    check(c, now, epoch, r);
                    callers[i] = None;
                }
            }
        };
        for op in ops {
            match op {
                Op::Call(ms) => {
                    let key = format!("k{}", callers.len()).into_bytes();
                    let timeout = Duration::from_millis(u64::from(ms));
                    let deadline = now + timeout;
                    let (s, k) = (shared.clone(), key.clone());
                    let fut: Fut = Box::pin(async move {
                        let mut req = One(cmd::Get::<_, Bytes>::new(k));
                        Call::new(&s, &mut req, deadline, timeout).await
                    });
                    callers.push(Some(Caller {
                        key,
                        deadline,
                        epoch,
                        fut,
                    }));
                    let i = callers.len() - 1;
                    poll_caller(&mut callers, i, now, epoch);
                }
                Op::Poll(i) if !callers.is_empty() => {
                    let i = i % callers.len();
                    poll_caller(&mut callers, i, now, epoch)
                }
                Op::Drop(i) if !callers.is_empty() => {
                    let n = callers.len();
                    callers[i % n] = None;
                }
                Op::Take(n) => {
                    driver.take();
                    let n = usize::from(n).min(driver.out.len());
                    wire.extend_from_slice(&driver.out.split_to(n));
                    server.extend(keys(&mut wire));
                }
                Op::Reply(n) => {
                    let mut bytes = Vec::new();
                    for _ in 0..n {
                        let Some(key) = server.pop_front() else { break };
                        bytes.extend(val(&key));
                    }
                    driver.receive(&bytes);
                }
                Op::Advance(ms) => {
                    now += Duration::from_millis(u64::from(ms));
                    if let Some(silent) = driver.expire(now) {
                        panic!("silent with a response timeout of a minute: {silent}");
                    }
                }
                Op::Break => {
                    driver.stop(Error::ConnectionClosed { in_reply: false });
                    epoch += 1;
                    server.clear();
                    wire.clear();
                    driver = FakeDriver::restart(shared.clone());
                }
                _ => {}
            }
        }
        // Drain: everything queued is written and answered, every caller
        // still waiting must then be resolved.
        driver.take();
        wire.extend_from_slice(&driver.written());
        server.extend(keys(&mut wire));
        let bytes: Vec<u8> = server.drain(..).flat_map(|k| val(&k)).collect();
        driver.receive(&bytes);
        for i in 0..callers.len() {
            poll_caller(&mut callers, i, now, epoch);
            assert!(
                callers[i].is_none(),
                "caller {i} still waits after every reply"
            );
        }
        assert!(
            shared.lock().session.is_idle(),
            "replies still owed after the drain"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn every_caller_gets_its_own_reply_or_a_justified_error(
            ops in proptest::collection::vec(op(), 1..120)
        ) {
            run(ops);
        }
    }
}
