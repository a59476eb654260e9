//! The multiplexer without any runtime: calls polled by hand, a session
//! standing in for the socket, time passed in.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use gibson_async::mux::{Batch, Delivery, DriverCore, Mux, One, Turn};
use gibson_proto::{cmd, Error, Limits, Opcode, Reply, Value};

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

fn poll<F: Future + Unpin>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(waker))
}

const LONG: Duration = Duration::from_secs(60);
/// A deadline the tests let pass (the driver's clock is theirs).
const SHORT: Duration = Duration::from_millis(10);

/// A VAL reply carrying `v` as plain bytes.
fn val(v: &[u8]) -> Vec<u8> {
    let mut f = vec![6, 0, 0];
    f.extend_from_slice(&(v.len() as u32).to_le_bytes());
    f.extend_from_slice(v);
    f
}

/// A driver without a socket: the tests write and read for it.
struct FakeDriver {
    core: DriverCore,
}

impl FakeDriver {
    /// A multiplexer of at most `max_in_flight` requests, and its driver.
    fn start(max_in_flight: usize) -> (Arc<Mux>, FakeDriver) {
        let mux = Arc::new(Mux::new(Limits::default(), max_in_flight));
        let core = DriverCore::new(mux.clone());
        (mux, FakeDriver { core })
    }

    fn take(&mut self) -> Turn {
        self.core.take(Waker::noop())
    }

    /// Everything written so far, as the server would read it.
    fn written(&mut self) -> Vec<u8> {
        written(&mut self.core)
    }

    fn receive(&mut self, bytes: &[u8]) {
        self.core.session().feed(bytes);
        self.core.hand_over(usize::MAX);
    }
}

/// Takes everything the session wrote, as the server would read it.
fn written(core: &mut DriverCore) -> Vec<u8> {
    let session = core.session();
    let out = session.output().to_vec();
    session.consume_output(out.len());
    out
}

/// The plain value a polled call delivered; panics on anything else.
fn value(polled: Poll<Result<Delivery, Error>>) -> Vec<u8> {
    match polled {
        Poll::Ready(Ok(Delivery::One(Ok(Reply::Value(Value::Bytes(b)))))) => b.to_vec(),
        other => panic!("expected a value, got {other:?}"),
    }
}

/// A GET of `key`, as one request.
fn get(key: &str) -> One<cmd::Get<&str>> {
    One(cmd::Get::new(key))
}

/// `true` when a polled call was handed back unsent.
fn not_sent(polled: Poll<Result<Delivery, Error>>) -> bool {
    matches!(polled, Poll::Ready(Ok(Delivery::NotSent)))
}

#[test]
fn a_call_before_any_driver_is_not_sent() {
    let mux = Arc::new(Mux::new(Limits::default(), 16));
    let mut req = One(cmd::Ping);
    let mut call = mux.call(&mut req, Instant::now() + LONG, LONG);
    assert!(not_sent(poll(&mut call, Waker::noop())));
}

#[test]
fn replies_reach_their_callers_in_order_and_wake_each_once() {
    let (mux, mut driver) = FakeDriver::start(16);
    let deadline = Instant::now() + LONG;
    let mut reqs: Vec<_> = (0..3)
        .map(|i| One(cmd::Get::<_, bytes::Bytes>::new(format!("k{i}"))))
        .collect();
    let mut calls: Vec<_> = reqs
        .iter_mut()
        .map(|r| mux.call(r, deadline, LONG))
        .collect();
    let counters: Vec<_> = (0..3).map(|_| counter()).collect();
    for (call, (_, w)) in calls.iter_mut().zip(&counters) {
        assert!(poll(call, w).is_pending());
    }
    let turn = driver.take();
    assert!(turn.took && !turn.stop);
    assert_eq!(turn.earliest, Some(deadline));
    let written = driver.written();
    assert_eq!(written.len(), 3 * (6 + 2), "three GET frames in one buffer");
    assert_eq!(&written[6..8], b"k0");

    driver.receive(&[val(b"zero"), val(b"one")].concat());
    assert_eq!(counters[0].0 .0.load(Ordering::SeqCst), 1);
    assert_eq!(counters[1].0 .0.load(Ordering::SeqCst), 1);
    assert_eq!(counters[2].0 .0.load(Ordering::SeqCst), 0);
    // Taken out of order: each still gets its own.
    assert_eq!(value(poll(&mut calls[1], &counters[1].1)), b"one");
    assert_eq!(value(poll(&mut calls[0], &counters[0].1)), b"zero");
    assert!(poll(&mut calls[2], &counters[2].1).is_pending());
    driver.receive(&val(b"two"));
    assert_eq!(value(poll(&mut calls[2], &counters[2].1)), b"two");
}

#[test]
fn a_dropped_call_keeps_its_place_and_its_slot_is_reused_only_after_the_reply() {
    let (mux, mut driver) = FakeDriver::start(16);
    let deadline = Instant::now() + LONG;
    let mut a = get("a");
    let mut call_a = mux.call(&mut a, deadline, LONG);
    assert!(poll(&mut call_a, Waker::noop()).is_pending());
    driver.take();
    drop(call_a);
    // A new call while the abandoned reply is still owed.
    let mut b = get("b");
    let mut call_b = mux.call(&mut b, deadline, LONG);
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
    let (mux, mut driver) = FakeDriver::start(16);
    let now = Instant::now();
    let mut a = get("a");
    let mut b = get("b");
    let mut call_a = mux.call(&mut a, now + SHORT, SHORT);
    let mut call_b = mux.call(&mut b, now + LONG, LONG);
    let (ca, wa) = counter();
    assert!(poll(&mut call_a, &wa).is_pending());
    assert!(poll(&mut call_b, Waker::noop()).is_pending());
    let turn = driver.take();
    assert_eq!(turn.earliest, Some(now + SHORT), "the timer is armed for a");

    driver.core.expire(now + SHORT);
    assert_eq!(ca.0.load(Ordering::SeqCst), 1);
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
    let (mux, mut driver) = FakeDriver::start(1);
    let now = Instant::now();
    let mut a = One(cmd::Ping);
    let mut b = One(cmd::Ping);
    let mut c = One(cmd::Ping);
    let mut call_a = mux.call(&mut a, now + LONG, LONG);
    let mut call_b = mux.call(&mut b, now + LONG, LONG);
    let mut call_c = mux.call(&mut c, now + SHORT, SHORT);
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
    driver.core.expire(now + SHORT);
    assert_eq!(cc.0.load(Ordering::SeqCst), 1);
    assert!(matches!(
        poll(&mut call_c, &wc),
        Poll::Ready(Ok(Delivery::Failed(Error::Timeout { .. })))
    ));

    // a's reply makes room for b.
    driver.receive(b"\x05\x00\x00\x01\x00\x00\x00\x00");
    assert!(cb.0.load(Ordering::SeqCst) >= 1);
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
    let (mux, mut driver) = FakeDriver::start(16);
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
    let mut call = mux.call(&mut batch, Instant::now() + LONG, LONG);
    let (count, w) = counter();
    assert!(poll(&mut call, &w).is_pending());
    driver.take();
    assert_eq!(driver.written(), frames.to_vec());
    driver.receive(&val(b"X"));
    driver.receive(b"\x05\x00\x00\x01\x00\x00\x00\x00");
    assert_eq!(
        count.0.load(Ordering::SeqCst),
        0,
        "not before the last reply"
    );
    driver.receive(b"\x01\x00\x00\x00\x00\x00\x00");
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    match poll(&mut call, &w) {
        Poll::Ready(Ok(Delivery::Many(replies))) => {
            assert_eq!(replies.len(), 3);
            assert!(matches!(replies[1], Ok(Reply::Ok)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn stopping_fails_what_was_taken_and_hands_back_what_was_not() {
    let (mux, mut driver) = FakeDriver::start(16);
    let deadline = Instant::now() + LONG;
    let mut a = One(cmd::Inc::new("n"));
    let mut b = One(cmd::Inc::new("n"));
    let mut call_a = mux.call(&mut a, deadline, LONG);
    assert!(poll(&mut call_a, Waker::noop()).is_pending());
    driver.take();
    let mut call_b = mux.call(&mut b, deadline, LONG);
    assert!(poll(&mut call_b, Waker::noop()).is_pending());
    // The connection breaks before b was taken.
    driver
        .core
        .session()
        .fail(Error::ConnectionClosed { in_reply: false });
    driver.core.stop();
    assert!(!mux.is_up());
    assert!(matches!(
        poll(&mut call_a, Waker::noop()),
        Poll::Ready(Ok(Delivery::One(Err(Error::ConnectionClosed { .. }))))
    ));
    assert!(not_sent(poll(&mut call_b, Waker::noop())));
}

#[test]
fn an_invalid_argument_queues_nothing() {
    let (mux, mut driver) = FakeDriver::start(16);
    let mut bad = get("");
    let mut call = mux.call(&mut bad, Instant::now() + LONG, LONG);
    assert!(matches!(
        poll(&mut call, Waker::noop()),
        Poll::Ready(Err(Error::InvalidArgument { .. }))
    ));
    let turn = driver.take();
    assert!(!turn.took);
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
        /// The driver takes what was queued and writes it.
        Take,
        /// The server answers this many of the requests it read; the
        /// driver hands over at most `chunk` per turn.
        Reply(u8, u8),
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
            3 => Just(Op::Take),
            3 => (1u8..8, 1u8..5).prop_map(|(n, c)| Op::Reply(n, c)),
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

    /// The GET keys in the frames the driver wrote.
    fn keys(mut bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        while bytes.len() >= 6 {
            let len = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
            keys.push(bytes[6..4 + len].to_vec());
            bytes = &bytes[4 + len..];
        }
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
            Ok(Delivery::One(Err(Error::ConnectionClosed { .. }))) | Ok(Delivery::NotSent) => {
                assert!(epoch > c.epoch, "failed without a broken connection")
            }
            other => panic!("unexpected delivery {other:?}"),
        }
    }

    fn run(ops: Vec<Op>) {
        let mux = Arc::new(Mux::new(Limits::default(), 1 << 20));
        let mut core = DriverCore::new(mux.clone());
        let start = Instant::now();
        let mut now = start;
        let mut epoch = 0u32;
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
                    let (m, k) = (mux.clone(), key.clone());
                    let fut: Fut = Box::pin(async move {
                        let mut req = One(cmd::Get::<_, bytes::Bytes>::new(k));
                        m.call(&mut req, deadline, timeout).await
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
                Op::Take => {
                    core.take(waker);
                    server.extend(keys(&written(&mut core)));
                }
                Op::Reply(n, chunk) => {
                    let mut bytes = Vec::new();
                    for _ in 0..n {
                        let Some(key) = server.pop_front() else { break };
                        bytes.extend(val(&key));
                    }
                    core.session().feed(&bytes);
                    while core.hand_over(usize::from(chunk)) {}
                }
                Op::Advance(ms) => {
                    now += Duration::from_millis(u64::from(ms));
                    core.expire(now);
                }
                Op::Break => {
                    core.session()
                        .fail(Error::ConnectionClosed { in_reply: false });
                    core.stop();
                    epoch += 1;
                    server.clear();
                    core = DriverCore::new(mux.clone());
                }
                _ => {}
            }
        }
        // Drain: everything queued is written and answered, every caller
        // still waiting must then be resolved.
        core.take(waker);
        server.extend(keys(&written(&mut core)));
        let bytes: Vec<u8> = server.drain(..).flat_map(|k| val(&k)).collect();
        core.session().feed(&bytes);
        core.hand_over(usize::MAX);
        for i in 0..callers.len() {
            poll_caller(&mut callers, i, now, epoch);
            assert!(
                callers[i].is_none(),
                "caller {i} still waits after every reply"
            );
        }
        assert_eq!(mux.in_flight(), 0, "replies still owed after the drain");
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
