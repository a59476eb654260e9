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

mod call;
mod driver_core;
mod request;
mod round_trip;
mod slots;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, Weak};
use std::task::Waker;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use gibson_proto::{Error, Limits, RequestId, Session};

pub use call::Call;
pub use driver_core::{DriverCore, Next, Turn, HAND_OVER_CHUNK};
pub use request::{Batch, Delivery, Frame, One, Outcome, Request};

use slots::{earlier, wake_blocked, Caller, State, NO_SLOT};

/// A driver that its callers may poll on their own task (see
/// [`Mux::set_inline`]). A caller that finds the connection idle drives
/// its request itself: it writes it, and the driver's wake-ups (socket,
/// timer) go to that caller, which reads its reply on its own task. At one
/// request in flight this saves two task wake-ups per round trip, which
/// cross threads whenever the caller and the driver's task run on
/// different ones.
pub trait InlineDriver: Send + Sync {
    /// Polls the driver on behalf of the caller whose waker is `caller`
    /// (unless another poll is under way, which then polls again); until
    /// the caller [`leave`](InlineDriver::leave)s, the driver's wake-ups
    /// go to it.
    fn drive(self: std::sync::Arc<Self>, caller: &Waker);
    /// The caller no longer drives: the driver's wake-ups go to its own
    /// task again, which is woken now if `work_left` or if a wake-up was
    /// sent to the caller meanwhile.
    fn leave(self: std::sync::Arc<Self>, caller: &Waker, work_left: bool);
}

/// Callers wait while this much output waits for the driver, and the
/// driver takes no more while this much is unwritten.
pub const WRITE_HIGH_WATER: usize = 1024 * 1024;

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
    /// let mux = gibson_async::mux::Mux::new(Default::default(), 4096);
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
                inline: None,
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
    /// let mux = gibson_async::mux::Mux::new(Default::default(), 4096);
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

    /// Lets callers poll the running driver on their own task (see
    /// [`InlineDriver`]) until it stops. The mux keeps a weak reference,
    /// so the driver's task alone keeps the driver alive.
    pub fn set_inline(&self, driver: Weak<dyn InlineDriver>) {
        let mut st = self.lock();
        if self.is_up() {
            st.inline = Some(driver);
        }
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
        Call::new(self, req, deadline, timeout)
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
        st.inline = None;
        wake_blocked(&mut st.blocked, wakers);
    }
}
