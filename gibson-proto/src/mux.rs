//! The multiplexer: where the callers of an async connection meet the one
//! task (the *driver*) that owns its socket. Runtime-neutral: it knows
//! wakers and instants, never sockets, tasks or timers, so each async
//! runtime crate is a short driver loop around it and a [`Session`].
//!
//! A caller's [`Call`] (or [`Mux::round_trip`], which adds reconnects and
//! resends) encodes its request straight into the shared output buffer and
//! takes a slot; the driver's [`DriverCore::take`] moves the buffer as a
//! whole into its session, the driver writes it, and
//! [`DriverCore::hand_over`] delivers replies to the slots as they arrive,
//! waking each caller once. A pipeline is one slot however many commands
//! it holds. Response deadlines live in the slots; the driver keeps one
//! timer at [`Turn::earliest`] and calls [`DriverCore::expire`] when it
//! fires. So a request costs no timer of its own, no channel and, once the
//! slots are warm, no allocation.
//!
//! A slot lives until both sides are done with it: the caller has taken
//! its result (or gone away) and the driver owes it no more replies, so a
//! late reply can never land in a reused slot. A caller that goes away
//! leaves its requests in the session; their replies are read and dropped.
//!
//! Most users never touch this module: it is the engine of
//! `gibson-tokio`'s and `gibson-async-std`'s `Connection`.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::BytesMut;

use crate::command::Command;
use crate::config::RetryPolicy;
use crate::error::Error;
use crate::limits::Limits;
use crate::reply::Reply;
use crate::session::{RequestId, Session};
use crate::wire::Opcode;

/// The outcome of one command.
pub type Outcome = Result<Reply, Error>;

/// Callers wait while this much output waits for the driver, and the
/// driver takes no more while this much is unwritten.
pub const WRITE_HIGH_WATER: usize = 1024 * 1024;

/// Replies a driver hands over per turn ([`DriverCore::hand_over`])
/// before it lets the callers just woken run.
pub const HAND_OVER_CHUNK: usize = 32;

/// Session buffers larger than this are released when the connection is
/// idle, so one huge reply does not pin its buffer.
const KEEP_BUFFER: usize = 256 * 1024;

/// What a [`Call`] resolves to.
#[derive(Debug)]
pub enum Delivery {
    /// The reply to a single command, or the error that ended the connection.
    One(Outcome),
    /// One outcome per command of a pipeline, in order.
    Many(Vec<Outcome>),
    /// The request as a whole failed (its deadline passed).
    Failed(Error),
    /// The request never reached the driver: always safe to resend.
    NotSent,
}

impl Delivery {
    /// The reply to a single command (or to a batch of one); an error for a
    /// failed request (and, though it cannot happen, for a delivery of
    /// another shape).
    pub fn into_reply(self) -> Result<Reply, Error> {
        match self {
            Delivery::One(outcome) => outcome,
            Delivery::Many(mut outcomes) if outcomes.len() == 1 => outcomes
                .pop()
                .unwrap_or(Err(Error::ConnectionClosed { in_reply: false })),
            other => Err(other.into_error()),
        }
    }

    /// The outcomes of a pipeline's commands, in order.
    pub fn into_replies(self) -> Result<Vec<Outcome>, Error> {
        match self {
            Delivery::Many(outcomes) => Ok(outcomes),
            other => Err(other.into_error()),
        }
    }

    fn into_error(self) -> Error {
        match self {
            Delivery::Failed(e) => e,
            _ => Error::ConnectionClosed { in_reply: false },
        }
    }
}

/// Something that can be queued: [`One`] command or a [`Batch`].
pub trait Request {
    /// Commands (and so replies) in the request.
    fn count(&self) -> usize;
    /// Appends the frames to `out`; writes nothing on error.
    fn encode(&self, out: &mut BytesMut, limits: &Limits) -> Result<(), Error>;
    /// Queues one token per command.
    fn queue(&self, queued: &mut Vec<(Opcode, u32)>, slot: u32);
    /// Delivered as [`Delivery::Many`] (a pipeline, even of one command)
    /// rather than [`Delivery::One`].
    fn is_batch(&self) -> bool {
        false
    }
}

/// A single command.
#[derive(Debug)]
pub struct One<C>(pub C);

impl<C: Command> Request for One<C> {
    fn count(&self) -> usize {
        1
    }

    fn encode(&self, out: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        self.0.encode(out, limits)
    }

    fn queue(&self, queued: &mut Vec<(Opcode, u32)>, slot: u32) {
        queued.push((C::OPCODE, slot));
    }
}

/// An encoded pipeline (see [`Pipeline`](crate::Pipeline)).
#[derive(Debug)]
pub struct Batch<'a> {
    /// The opcode of each command, in order.
    pub ops: &'a [Opcode],
    /// The frames, already validated.
    pub frames: &'a [u8],
}

impl Request for Batch<'_> {
    fn count(&self) -> usize {
        self.ops.len()
    }

    fn encode(&self, out: &mut BytesMut, _limits: &Limits) -> Result<(), Error> {
        // Validated when the pipeline was built.
        out.extend_from_slice(self.frames);
        Ok(())
    }

    fn queue(&self, queued: &mut Vec<(Opcode, u32)>, slot: u32) {
        queued.extend(self.ops.iter().map(|&op| (op, slot)));
    }

    fn is_batch(&self) -> bool {
        true
    }
}

/// The state shared by one connection's handles and its driver; it
/// outlives drivers: after a reconnect a new [`DriverCore`] starts on the
/// same `Mux`.
pub struct Mux {
    state: Mutex<State>,
    /// A driver is running. Written only under the state's lock, so a
    /// read under the lock agrees with the rest of the state.
    up: AtomicBool,
    limits: Limits,
    max_in_flight: usize,
}

const NO_SLOT: u32 = u32::MAX;

struct State {
    /// Encoded requests the driver has not taken yet.
    out: BytesMut,
    /// Their tokens, in order.
    queued: Vec<(Opcode, u32)>,
    slots: Vec<Slot>,
    free: u32,
    /// Replies owed over all slots: the requests in flight.
    owed: usize,
    /// No deadline of a waiting slot is earlier than this.
    earliest: Option<Instant>,
    driver: Option<Waker>,
    /// Callers waiting for room, with their deadlines.
    blocked: Vec<(Waker, Instant)>,
    /// Every handle is gone: the driver stops once idle.
    handles_gone: bool,
    /// The time of the driver's last [`Mux::expire`].
    now: Option<Instant>,
}

struct Slot {
    /// Replies the driver still owes this slot.
    owed: u32,
    /// Commands in the request.
    count: u32,
    /// The session id of its first command, once the driver took it.
    first: Option<RequestId>,
    caller: Caller,
    next_free: u32,
}

enum Caller {
    Free,
    Waiting {
        waker: Waker,
        deadline: Instant,
        timeout: Duration,
        /// Replies so far, for a pipeline.
        replies: Option<Vec<Outcome>>,
    },
    Ready(Delivery),
    /// The caller took its result or went away.
    Gone,
}

/// What an attempt to queue a request came to; each may carry the driver's
/// waker, to be woken once the lock is released.
enum Queued {
    Slot(u32, Option<Waker>),
    Full(Option<Waker>),
    Down,
    /// Waited for room past the deadline.
    Expired,
}

impl std::fmt::Debug for Mux {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mux")
            .field("up", &self.is_up())
            .field("max_in_flight", &self.max_in_flight)
            .finish_non_exhaustive()
    }
}

impl Mux {
    /// A multiplexer enforcing `limits` on encoded requests and letting at
    /// most `max_in_flight` requests wait for replies (a larger pipeline
    /// still goes, alone).
    ///
    /// ```
    /// let mux = gibson_proto::mux::Mux::new(Default::default(), 4096);
    /// assert!(!mux.is_up()); // no driver yet: calls resolve to `NotSent`
    /// ```
    pub fn new(limits: Limits, max_in_flight: usize) -> Mux {
        Mux {
            state: Mutex::new(State {
                out: BytesMut::new(),
                queued: Vec::new(),
                slots: Vec::new(),
                free: NO_SLOT,
                owed: 0,
                earliest: None,
                driver: None,
                blocked: Vec::new(),
                handles_gone: false,
                now: None,
            }),
            up: AtomicBool::new(false),
            limits,
            max_in_flight: max_in_flight.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; if something ever did,
        // the state is still consistent slot by slot.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `true` while a driver runs.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Requests queued or written whose replies have not all arrived,
    /// abandoned ones included: what the server still owes.
    ///
    /// ```
    /// let mux = gibson_proto::mux::Mux::new(Default::default(), 4096);
    /// assert_eq!(mux.in_flight(), 0);
    /// ```
    pub fn in_flight(&self) -> usize {
        self.lock().owed
    }

    /// A new driver is about to run: requests may be queued again.
    fn start(&self) {
        let _st = self.lock();
        self.up.store(true, Ordering::Release);
    }

    /// Every handle is gone: the driver stops once nothing is in flight.
    pub fn close(&self) {
        let driver = {
            let mut st = self.lock();
            st.handles_gone = true;
            st.driver.take()
        };
        if let Some(w) = driver {
            w.wake();
        }
    }

    /// A future that queues `req` on first poll and resolves to its
    /// delivery; `Err` is an invalid argument, and then nothing was queued.
    /// The driver fails it once `deadline` passes (`timeout` is what the
    /// error reports). Dropping it abandons the request without
    /// desynchronising the connection.
    pub fn call<'a, R: Request>(
        &'a self,
        req: &'a mut R,
        deadline: Instant,
        timeout: Duration,
    ) -> Call<'a, R> {
        Call {
            mux: self,
            req,
            deadline,
            timeout,
            slot: None,
            blocked: false,
            finished: false,
        }
    }

    /// Sends `req` and waits for its delivery, before `deadline`:
    /// * whenever no driver runs, awaits `link()` (which connects and
    ///   starts one, or fails);
    /// * resends what never reached a driver;
    /// * resends once a single command (`op`) whose connection broke, when
    ///   `retry` allows it for that command.
    ///
    /// A server that keeps dropping connections ends it after 8 attempts.
    #[allow(clippy::too_many_arguments)]
    pub async fn round_trip<R, L, F>(
        &self,
        req: &mut R,
        op: Option<Opcode>,
        retry: RetryPolicy,
        deadline: Instant,
        timeout: Duration,
        mut link: L,
    ) -> Result<Delivery, Error>
    where
        R: Request,
        L: FnMut() -> F,
        F: Future<Output = Result<(), Error>>,
    {
        let mut retried = false;
        for _ in 0..8 {
            if !self.is_up() {
                link().await?;
            }
            match self.call(req, deadline, timeout).await? {
                Delivery::NotSent => continue,
                Delivery::One(Err(ref e))
                    if !retried && op.is_some_and(|op| retry.allows_resend(op, e)) =>
                {
                    retried = true;
                }
                Delivery::Failed(e) => return Err(e),
                delivery => return Ok(delivery),
            }
        }
        Err(Error::ConnectionClosed { in_reply: false })
    }

    // ---- the driver's side, through `DriverCore` ----

    /// For the driver: registers its waker and moves the queued requests
    /// into `session` (unless its output is at [`WRITE_HIGH_WATER`]).
    /// Callers to wake are appended to `wakers`: wake them after this
    /// returns.
    fn take(&self, session: &mut Session<u32>, waker: &Waker, wakers: &mut Vec<Waker>) -> Turn {
        let mut st = self.lock();
        if !st.driver.as_ref().is_some_and(|w| w.will_wake(waker)) {
            st.driver = Some(waker.clone());
        }
        let mut took = false;
        if !st.queued.is_empty() && session.output().len() < WRITE_HIGH_WATER {
            took = true;
            let st = &mut *st;
            if session.output().is_empty() {
                std::mem::swap(&mut st.out, session.output_mut());
            } else {
                session.output_mut().extend_from_slice(&st.out);
                st.out.clear();
            }
            for (op, slot) in st.queued.drain(..) {
                let id = session.push(op, slot);
                if let Some(s) = st.slots.get_mut(slot as usize) {
                    s.first.get_or_insert(id);
                }
            }
            wake_blocked(&mut st.blocked, wakers);
        }
        Turn {
            took,
            earliest: st.earliest,
            stop: st.handles_gone && st.queued.is_empty(),
        }
    }

    /// For the driver: hands completions (from
    /// [`Session::poll_reply`]) to their slots.
    fn deliver(&self, done: impl Iterator<Item = (u32, Outcome)>, wakers: &mut Vec<Waker>) {
        let mut st = self.lock();
        for (slot, outcome) in done {
            st.deliver(slot, outcome, wakers);
        }
        if st.owed < self.max_in_flight {
            wake_blocked(&mut st.blocked, wakers);
        }
    }

    /// For the driver, when its timer fires: fails the requests whose
    /// deadline is past `now` (their replies will be read and dropped) and
    /// wakes the callers waiting for room past theirs.
    fn expire(&self, now: Instant, session: &mut Session<u32>, wakers: &mut Vec<Waker>) {
        let mut st = self.lock();
        let st = &mut *st;
        st.now = Some(now);
        let mut earliest = None;
        for slot in st.slots.iter_mut() {
            let Caller::Waiting {
                deadline, timeout, ..
            } = &slot.caller
            else {
                continue;
            };
            if *deadline > now {
                earliest = earlier(earliest, *deadline);
                continue;
            }
            let err = Error::Timeout {
                what: "response",
                after: *timeout,
            };
            slot.resolve(Delivery::Failed(err), wakers);
            // Commands already in the session are abandoned there (their
            // replies are dropped without a completion); commands not yet
            // taken will be, and their replies are dropped on delivery.
            if let Some(first) = slot.first {
                for k in 0..u64::from(slot.count) {
                    if session.abandon(RequestId(first.0 + k)).is_some() {
                        slot.owed = slot.owed.saturating_sub(1);
                        st.owed = st.owed.saturating_sub(1);
                    }
                }
            }
        }
        let mut i = 0;
        while i < st.blocked.len() {
            let deadline = st.blocked[i].1;
            if deadline <= now {
                wakers.push(st.blocked.swap_remove(i).0);
            } else {
                earliest = earlier(earliest, deadline);
                i += 1;
            }
        }
        st.earliest = earliest;
        if st.owed < self.max_in_flight {
            wake_blocked(&mut st.blocked, wakers);
        }
    }

    /// For the driver, once it has failed its session and delivered every
    /// completion: requests it never took are handed back unsent, and none
    /// are queued until a new [`DriverCore`] starts.
    fn stop(&self, wakers: &mut Vec<Waker>) {
        let mut st = self.lock();
        let st = &mut *st;
        self.up.store(false, Ordering::Release);
        st.out.clear();
        for (_, slot) in std::mem::take(&mut st.queued) {
            st.owed = st.owed.saturating_sub(1);
            let Some(s) = st.slots.get_mut(slot as usize) else {
                continue;
            };
            s.owed = s.owed.saturating_sub(1);
            s.resolve(Delivery::NotSent, wakers);
            if s.owed == 0 && matches!(s.caller, Caller::Gone) {
                st.release(slot);
            }
        }
        st.earliest = None;
        st.driver = None;
        wake_blocked(&mut st.blocked, wakers);
    }
}

/// What [`DriverCore::take`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Turn {
    /// Requests were moved into the session's output: write them.
    pub took: bool,
    /// The earliest deadline: arm the timer for it, and call
    /// [`DriverCore::expire`] when it fires.
    pub earliest: Option<Instant>,
    /// Every handle is gone: stop once the session is idle.
    pub stop: bool,
}

/// What a driver does after a turn ([`DriverCore::end_turn`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The connection failed or every handle is gone: call
    /// [`DriverCore::stop`] and close the socket.
    Stop,
    /// Replies are left to hand over: wake the driver's own task and
    /// return, so that the callers just woken run first.
    Yield,
    /// Something happened: take another turn now.
    Again,
    /// Nothing to do until a waker fires.
    Wait,
}

/// The runtime-independent half of a driver: the [`Session`] (the socket's
/// bytes go in and out through [`session`](DriverCore::session)), the
/// completions not yet handed over, and the callers to wake. A runtime
/// crate's driver owns one and adds the socket and one timer.
///
/// Dropping it (a driver whose runtime went away) [`stop`](DriverCore::stop)s
/// it, so no caller is left waiting.
pub struct DriverCore {
    mux: Arc<Mux>,
    session: Session<u32>,
    done: VecDeque<(u32, Outcome)>,
    wakers: Vec<Waker>,
    stopped: bool,
}

impl std::fmt::Debug for DriverCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriverCore")
            .field("in_flight", &self.session.in_flight())
            .field("undelivered", &self.done.len())
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

impl DriverCore {
    /// The core of a new driver for `mux`, whose session enforces the
    /// mux's limits. From now on requests may be queued on `mux` again.
    pub fn new(mux: Arc<Mux>) -> DriverCore {
        mux.start();
        DriverCore {
            session: Session::new(mux.limits),
            mux,
            done: VecDeque::new(),
            wakers: Vec::new(),
            stopped: false,
        }
    }

    /// The session: write its output, feed it what is read, `close` it on
    /// EOF, `fail` it on an error.
    pub fn session(&mut self) -> &mut Session<u32> {
        &mut self.session
    }

    fn wake(&mut self) {
        for w in self.wakers.drain(..) {
            w.wake();
        }
    }

    /// Registers the driver's `waker` with the mux (new requests wake it)
    /// and moves the queued requests into the session's output, unless it
    /// holds [`WRITE_HIGH_WATER`] bytes already.
    pub fn take(&mut self, waker: &Waker) -> Turn {
        let turn = self.mux.take(&mut self.session, waker, &mut self.wakers);
        self.wake();
        turn
    }

    /// Hands every decodable reply (or the failure) to its caller, at most
    /// `limit` of them; `true` if some are left for the next turn.
    ///
    /// Handing replies over a chunk at a time lets the callers woken by one
    /// chunk queue their next requests before the next chunk: the driver
    /// writes those at once, and the server works on them while it hands
    /// over the rest.
    pub fn hand_over(&mut self, limit: usize) -> bool {
        while let Some(done) = self.session.poll_reply() {
            self.done.push_back((done.token, done.result));
        }
        if self.done.is_empty() {
            return false;
        }
        let n = self.done.len().min(limit);
        self.mux.deliver(self.done.drain(..n), &mut self.wakers);
        self.wake();
        !self.done.is_empty()
    }

    /// What the driver does once a turn (take, write, read, hand over,
    /// deadlines) is done; `progress` says whether any of it did
    /// something. Releases oversized buffers when idle.
    pub fn end_turn(&mut self, turn: &Turn, progress: bool) -> Next {
        if self.session.failure().is_some() {
            return Next::Stop;
        }
        if self.session.is_idle() {
            self.session.shrink_buffers(KEEP_BUFFER);
            if turn.stop && self.session.output().is_empty() {
                return Next::Stop;
            }
        }
        if !self.done.is_empty() {
            Next::Yield
        } else if progress {
            Next::Again
        } else {
            Next::Wait
        }
    }

    /// The timer fired: fails the requests whose deadline is not after
    /// `now` (their replies will be read and dropped) and wakes callers
    /// that waited for room past theirs.
    pub fn expire(&mut self, now: Instant) {
        self.mux.expire(now, &mut self.session, &mut self.wakers);
        self.wake();
    }

    /// The driver is done (its session failed, or every handle is gone):
    /// fails what is in flight, hands back unsent what was never taken, and
    /// lets the next request reconnect. Idempotent.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.session
            .fail(Error::ConnectionClosed { in_reply: false });
        self.hand_over(usize::MAX);
        self.mux.stop(&mut self.wakers);
        self.wake();
    }
}

impl Drop for DriverCore {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The earlier of an optional deadline and another.
fn earlier(a: Option<Instant>, b: Instant) -> Option<Instant> {
    Some(a.map_or(b, |a| a.min(b)))
}

fn wake_blocked(blocked: &mut Vec<(Waker, Instant)>, wakers: &mut Vec<Waker>) {
    wakers.extend(blocked.drain(..).map(|(w, _)| w));
}

impl State {
    /// Makes sure the driver's timer fires by `deadline`; `true` if that
    /// moved it earlier.
    fn lower_earliest(&mut self, deadline: Instant) -> bool {
        let lower = self.earliest.is_none_or(|e| deadline < e);
        if lower {
            self.earliest = Some(deadline);
        }
        lower
    }

    fn alloc(&mut self, slot: Slot) -> u32 {
        if self.free != NO_SLOT {
            let index = self.free;
            let s = &mut self.slots[index as usize];
            self.free = s.next_free;
            *s = slot;
            index
        } else {
            self.slots.push(slot);
            (self.slots.len() - 1) as u32
        }
    }

    fn release(&mut self, index: u32) {
        if let Some(s) = self.slots.get_mut(index as usize) {
            s.caller = Caller::Free;
            s.first = None;
            s.next_free = self.free;
            self.free = index;
        }
    }

    fn deliver(&mut self, index: u32, outcome: Outcome, wakers: &mut Vec<Waker>) {
        let Some(slot) = self.slots.get_mut(index as usize) else {
            return;
        };
        if slot.owed == 0 {
            return;
        }
        slot.owed -= 1;
        self.owed -= 1;
        match &mut slot.caller {
            Caller::Waiting {
                replies: Some(replies),
                ..
            } => {
                replies.push(outcome);
                if slot.owed == 0 {
                    let replies = std::mem::take(replies);
                    slot.resolve(Delivery::Many(replies), wakers);
                }
            }
            Caller::Waiting { replies: None, .. } => slot.resolve(Delivery::One(outcome), wakers),
            Caller::Gone if slot.owed == 0 => self.release(index),
            // Timed out or gone: the reply is dropped.
            _ => {}
        }
    }
}

impl Slot {
    /// A waiting caller's result is `delivery`: it is woken (through
    /// `wakers`). Does nothing for a slot whose caller is not waiting.
    fn resolve(&mut self, delivery: Delivery, wakers: &mut Vec<Waker>) {
        if let Caller::Waiting { .. } = self.caller {
            if let Caller::Waiting { waker, .. } =
                std::mem::replace(&mut self.caller, Caller::Ready(delivery))
            {
                wakers.push(waker);
            }
        }
    }
}

/// A request on its way: queues on first poll, then waits for its slot.
/// Made by [`Mux::call`].
#[must_use = "a call does nothing unless polled"]
pub struct Call<'a, R> {
    mux: &'a Mux,
    // `&mut` only so that the future is `Send` whenever `R` is, without
    // requiring `R: Sync`.
    req: &'a mut R,
    deadline: Instant,
    timeout: Duration,
    slot: Option<u32>,
    /// Waited for room at least once.
    blocked: bool,
    /// Resolved: polling again does not queue again.
    finished: bool,
}

impl<R: Request> Call<'_, R> {
    fn queue(&mut self, st: &mut State, waker: &Waker) -> Result<Queued, Error> {
        if !self.mux.is_up() {
            return Ok(Queued::Down);
        }
        if self.blocked && st.now.is_some_and(|now| now >= self.deadline) {
            return Ok(Queued::Expired);
        }
        let count = self.req.count();
        if (st.owed > 0 && st.owed + count > self.mux.max_in_flight)
            || st.out.len() >= WRITE_HIGH_WATER
        {
            st.blocked.push((waker.clone(), self.deadline));
            // The driver's timer must fire by this caller's deadline too.
            let driver = st.lower_earliest(self.deadline).then(|| st.driver.take());
            return Ok(Queued::Full(driver.flatten()));
        }
        self.req.encode(&mut st.out, &self.mux.limits)?;
        let slot = st.alloc(Slot {
            owed: count as u32,
            count: count as u32,
            first: None,
            caller: Caller::Waiting {
                waker: waker.clone(),
                deadline: self.deadline,
                timeout: self.timeout,
                replies: self.req.is_batch().then(|| Vec::with_capacity(count)),
            },
            next_free: NO_SLOT,
        });
        self.req.queue(&mut st.queued, slot);
        st.owed += count;
        st.lower_earliest(self.deadline);
        Ok(Queued::Slot(slot, st.driver.take()))
    }
}

impl<R: Request> Future for Call<'_, R> {
    type Output = Result<Delivery, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(Ok(Delivery::NotSent));
        }
        let Some(index) = this.slot else {
            let queued = {
                let mut st = this.mux.lock();
                this.queue(&mut st, cx.waker())
            };
            let queued = match queued {
                Ok(queued) => queued,
                Err(e) => {
                    this.finished = true;
                    return Poll::Ready(Err(e));
                }
            };
            return match queued {
                Queued::Slot(index, driver) => {
                    this.slot = Some(index);
                    if let Some(w) = driver {
                        w.wake();
                    }
                    Poll::Pending
                }
                Queued::Down => {
                    this.finished = true;
                    Poll::Ready(Ok(Delivery::NotSent))
                }
                Queued::Expired => {
                    this.finished = true;
                    Poll::Ready(Ok(Delivery::Failed(Error::Timeout {
                        what: "response",
                        after: this.timeout,
                    })))
                }
                Queued::Full(driver) => {
                    this.blocked = true;
                    if let Some(w) = driver {
                        w.wake();
                    }
                    Poll::Pending
                }
            };
        };
        let mut st = this.mux.lock();
        let st = &mut *st;
        let Some(slot) = st.slots.get_mut(index as usize) else {
            return Poll::Ready(Ok(Delivery::NotSent));
        };
        if let Caller::Waiting { waker, .. } = &mut slot.caller {
            if !waker.will_wake(cx.waker()) {
                *waker = cx.waker().clone();
            }
            return Poll::Pending;
        }
        let delivery = match std::mem::replace(&mut slot.caller, Caller::Gone) {
            Caller::Ready(delivery) => delivery,
            // Not reachable: a slot stays ours until we take its result.
            _ => Delivery::NotSent,
        };
        if slot.owed == 0 {
            st.release(index);
        }
        this.slot = None;
        this.finished = true;
        Poll::Ready(Ok(delivery))
    }
}

impl<R> Drop for Call<'_, R> {
    fn drop(&mut self) {
        let Some(index) = self.slot else { return };
        let mut st = self.mux.lock();
        if let Some(slot) = st.slots.get_mut(index as usize) {
            slot.caller = Caller::Gone;
            if slot.owed == 0 {
                st.release(index);
            }
        }
    }
}
