//! One connection's state, behind one lock: the sans-IO [`Session`] (the
//! one queue of requests awaiting replies, whose tokens are slot numbers:
//! one id space), the callers' slots, and the driver's waker.
//!
//! Callers encode their requests straight into the session's output
//! ([`Call`](crate::call::Call)); the driver takes the writable bytes out
//! without copying them, writes them outside the lock, and hands what it
//! read back here, where replies are decoded and delivered to their slots.
//! A caller that leaves (dropped, timed out) marks its slot
//! [`Caller::Gone`]: its replies are still read, and dropped here, so the
//! stream never shifts and a late reply never lands in a reused slot.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, Weak};
use std::task::Waker;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use gibson_policy::Config;
use gibson_proto::{Completion, Error, Limits, Reply, Session};

use crate::driver::Read;
use crate::shared_driver::InlineDriver;

/// The outcome of one command.
pub(crate) type Outcome = Result<Reply, Error>;

/// What a caller's request came to.
#[derive(Debug)]
pub(crate) enum Delivery {
    /// The reply to a single command, or why it has none.
    One(Outcome),
    /// One outcome per command of a pipeline, in order.
    Many(Vec<Outcome>),
    /// The request as a whole failed (its deadline passed).
    Failed(Error),
    /// No byte of the request reached the server (no connection, or it
    /// broke first), with why if known: always safe to send again.
    NotSent(Option<Error>),
    /// Nothing was sent: the request is larger than the connection's
    /// `lane_limit`, and goes on the lane for big requests.
    Big,
}

/// Replies a driver hands over per turn before it lets the callers just
/// woken run: their next requests are written while it hands over the
/// rest, so the server works while the client does. A turn covers a whole
/// read at the usual depths (a write per few requests costs more, in
/// system calls on both sides, than the overlap gains).
pub(crate) const HAND_OVER: usize = 128;

/// What a driver's turn delivered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Received {
    /// The session has failed: the driver stops.
    pub(crate) failed: bool,
    /// Whole replies may be left to hand over: yield, then go on.
    pub(crate) more: bool,
}

/// Callers wait while this much output waits for the driver.
pub(crate) const WRITE_HIGH_WATER: usize = 1024 * 1024;

/// Session buffers larger than this are released when the connection is
/// idle, so one huge reply does not pin its buffer.
const KEEP_BUFFER: usize = 256 * 1024;

/// Marks the end of the free list.
pub(crate) const NO_SLOT: u32 = u32::MAX;

/// The state shared by one connection's handles and its driver. It
/// outlives sockets: after a reconnect a new driver serves the same one.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// A driver is running. Written only under the lock, so a read under
    /// the lock agrees with the rest of the state.
    up: AtomicBool,
    pub(crate) limits: Limits,
    pub(crate) max_in_flight: usize,
    /// Requests that may wait (in flight or for room) before callers get
    /// [`Error::Busy`].
    pub(crate) max_waiting: Option<usize>,
    /// The server, as errors name it.
    pub(crate) server: String,
    /// Requests larger than this go on the lane of big requests instead.
    pub(crate) lane_limit: Option<usize>,
    /// A connection owed replies that hears nothing for this long is
    /// silent, and dropped: twice the configured response timeout, so
    /// that the requests waiting time out on their own first.
    pub(crate) silent_after: Duration,
}

pub(crate) struct State {
    /// The requests written or to write, and the replies read.
    pub(crate) session: Session<u32>,
    pub(crate) slots: Vec<Slot>,
    pub(crate) free: u32,
    /// Callers waiting for room, with their deadlines.
    pub(crate) blocked: Vec<(Waker, Instant)>,
    /// No deadline of a waiting slot is earlier than this.
    pub(crate) earliest: Option<Instant>,
    pub(crate) driver: Option<Waker>,
    /// Every handle is gone: the driver stops once idle.
    pub(crate) handles_gone: bool,
    /// The time of the driver's last expiry pass.
    pub(crate) now: Option<Instant>,
    /// The running driver, if callers may poll it themselves.
    pub(crate) inline: Option<Weak<dyn InlineDriver>>,
    /// The driver's last turn woke several callers, which have not all
    /// run: their requests wait for the driver's next write, all in one,
    /// instead of the first one's being written alone (inline).
    pub(crate) handing_over: bool,
    /// When bytes last arrived, or the connection last went from idle to
    /// owing replies: the clock of the silent-peer rule.
    pub(crate) heard: Instant,
    /// A reply ever arrived on this socket: the peer speaks Gibson.
    answered: bool,
    /// Sockets started so far: the current one's number.
    generation: u64,
}

pub(crate) struct Slot {
    /// Replies the session still owes this slot.
    pub(crate) owed: u32,
    pub(crate) caller: Caller,
    pub(crate) next_free: u32,
}

pub(crate) enum Caller {
    Free,
    Waiting {
        waker: Waker,
        deadline: Instant,
        timeout: Duration,
        /// `Some` for a pipeline: the outcomes so far.
        replies: Option<Vec<Outcome>>,
        /// Commands that failed unsent, for a pipeline.
        unsent: u32,
    },
    Ready(Delivery),
    /// The caller took its result or went away.
    Gone,
}

/// What the driver found when it took its turn.
#[derive(Debug)]
pub(crate) struct Turn {
    /// The bytes to write next (empty if none, or not asked for).
    pub(crate) out: Bytes,
    /// Replies are owed.
    pub(crate) busy: bool,
    /// The earliest deadline: the driver's timer fires then.
    pub(crate) earliest: Option<Instant>,
    /// Every handle is gone: stop once idle.
    pub(crate) stop: bool,
}

impl Shared {
    /// The state of a connection configured by `config`, which sends
    /// requests above `lane_limit` bytes to another lane.
    pub(crate) fn new(config: &Config, lane_limit: Option<usize>) -> Shared {
        let limits = config.limits;
        Shared {
            state: Mutex::new(State {
                session: Session::new(limits),
                slots: Vec::new(),
                free: NO_SLOT,
                blocked: Vec::new(),
                earliest: None,
                driver: None,
                handles_gone: false,
                now: None,
                inline: None,
                handing_over: false,
                heard: Instant::now(),
                answered: false,
                generation: 0,
            }),
            up: AtomicBool::new(false),
            limits,
            max_in_flight: config.max_in_flight.max(1),
            max_waiting: config.max_waiting,
            server: config.addr.to_string(),
            silent_after: config.response_timeout.saturating_mul(2),
            lane_limit,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; if something ever did,
        // the state is still consistent slot by slot.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `true` while a driver runs.
    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// A new socket is open: requests go to a fresh session.
    ///
    /// Returns the socket's generation, which its driver gives back to
    /// [`stop`](Shared::stop): a late stop of an older socket's driver
    /// never touches a newer socket's requests.
    pub(crate) fn start(&self) -> u64 {
        let mut st = self.lock();
        st.session = Session::new(self.limits);
        st.heard = Instant::now();
        st.answered = false;
        st.generation += 1;
        self.up.store(true, Ordering::Release);
        st.generation
    }

    /// Lets callers poll the driver of socket `generation` on their own
    /// task (see [`InlineDriver`]) while it runs.
    pub(crate) fn set_inline(&self, generation: u64, inline: Weak<dyn InlineDriver>) {
        let mut st = self.lock();
        if st.generation == generation && self.is_up() {
            st.inline = Some(inline);
        }
    }

    /// Every handle is gone: the driver stops once nothing is in flight.
    pub(crate) fn close(&self) {
        let driver = {
            let mut st = self.lock();
            st.handles_gone = true;
            st.driver.take()
        };
        if let Some(w) = driver {
            w.wake();
        }
    }

    // ---- the driver's side ----

    /// Registers the driver's waker, takes the bytes to write next (if
    /// `take_out`), without copying them, and swaps the session's read
    /// buffer with `input`: the driver reads into it outside the lock and
    /// gives it back with [`received`](Shared::received).
    pub(crate) fn take(&self, waker: &Waker, take_out: bool, input: &mut BytesMut) -> Turn {
        let mut st = self.lock();
        if !st.driver.as_ref().is_some_and(|w| w.will_wake(waker)) {
            st.driver = Some(waker.clone());
        }
        let out = if take_out {
            st.handing_over = false;
            st.session.take_writable()
        } else {
            Bytes::new()
        };
        std::mem::swap(st.session.read_buf(), input);
        let busy = !st.session.is_idle();
        let mut earliest = st.earliest;
        if busy {
            // The silent-peer check is due then.
            earliest = earlier(earliest, st.heard + self.silent_after);
        }
        Turn {
            out,
            earliest,
            stop: st.handles_gone && !busy,
            busy,
        }
    }

    /// Puts back the read buffer (see [`take`](Shared::take)) after a
    /// read that brought `read`, and delivers the whole replies, at most
    /// [`HAND_OVER`] of them; callers to wake are appended to `wakers`.
    pub(crate) fn received(
        &self,
        buf: &mut BytesMut,
        read: Read,
        unwritten: usize,
        wakers: &mut Vec<Waker>,
    ) -> Received {
        let mut st = self.lock();
        let st = &mut *st;
        std::mem::swap(st.session.read_buf(), buf);
        match read {
            Read::Nothing => {}
            Read::Bytes => st.heard = Instant::now(),
            Read::Eof => {
                // The driver's `unwritten` bytes will never be written.
                st.session.unwritten(unwritten);
                st.session.close();
            }
        }
        let before = wakers.len();
        let more = st.deliver(&self.server, HAND_OVER, wakers);
        st.handing_over |= wakers.len() - before > 1;
        if st.session.failure().is_some() && self.is_up() {
            self.end(st, wakers);
        }
        if st.session.in_flight() < self.max_in_flight {
            wakers.extend(st.blocked.drain(..).map(|(w, _)| w));
        }
        if st.session.is_idle() {
            st.session.shrink_buffers(KEEP_BUFFER);
        }
        Received {
            failed: st.session.failure().is_some(),
            more,
        }
    }

    /// The timer fired: fails the requests whose deadline is not after
    /// `now` (their replies will be read and dropped) and wakes callers that
    /// waited for room past theirs. The error to drop the connection with
    /// when the peer is silent: it owes replies and has sent nothing for
    /// the configured response timeout (a frozen host, a dead NAT entry);
    /// the next request then opens a new connection.
    pub(crate) fn expire(&self, now: Instant, wakers: &mut Vec<Waker>) -> Option<Error> {
        let mut st = self.lock();
        let st = &mut *st;
        st.now = Some(now);
        let mut earliest = None;
        let silent = !st.session.is_idle() && st.heard + self.silent_after <= now;
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
            let after = *timeout;
            slot.resolve(
                Delivery::Failed(Error::Timeout {
                    what: "response",
                    after,
                }),
                wakers,
            );
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
        silent.then_some(Error::Timeout {
            what: "response",
            after: self.silent_after,
        })
    }

    /// The driver is done (the connection failed with `err`, or every
    /// handle is gone): each request in flight gets its outcome (written:
    /// [`Error::Broken`]; not written whole: not sent), and requests are
    /// refused until a new driver starts. `unwritten` bytes the driver had
    /// taken were never written.
    pub(crate) fn stop(
        &self,
        generation: u64,
        err: Error,
        unwritten: usize,
        wakers: &mut Vec<Waker>,
    ) {
        let mut st = self.lock();
        if st.generation != generation || !self.is_up() {
            // Ended already (see `received`), or a newer socket runs.
            return;
        }
        st.session.unwritten(unwritten);
        st.session.fail(err);
        self.end(&mut st, wakers);
    }

    /// The socket's session has failed: every request in it gets its
    /// outcome, and new requests wait for a new socket. Done under the
    /// same lock as the failure, so that no caller ever finds a failed
    /// session on a connection that looks up.
    fn end(&self, st: &mut State, wakers: &mut Vec<Waker>) {
        self.up.store(false, Ordering::Release);
        st.deliver(&self.server, usize::MAX, wakers);
        st.earliest = None;
        st.driver = None;
        st.inline = None;
        wakers.extend(st.blocked.drain(..).map(|(w, _)| w));
    }
}

impl State {
    /// Makes sure the driver's timer fires by `deadline`; `true` if that
    /// moved it earlier.
    pub(crate) fn lower_earliest(&mut self, deadline: Instant) -> bool {
        let lower = self.earliest.is_none_or(|e| deadline < e);
        if lower {
            self.earliest = Some(deadline);
        }
        lower
    }

    /// Requests waiting on this connection: in flight, or for room.
    pub(crate) fn waiting(&self) -> usize {
        self.session.in_flight() + self.blocked.len()
    }

    pub(crate) fn alloc(&mut self, slot: Slot) -> u32 {
        if self.free != NO_SLOT {
            let index = self.free;
            if let Some(s) = self.slots.get_mut(index as usize) {
                self.free = s.next_free;
                *s = slot;
                return index;
            }
        }
        self.slots.push(slot);
        (self.slots.len() - 1) as u32
    }

    pub(crate) fn release(&mut self, index: u32) {
        if let Some(s) = self.slots.get_mut(index as usize) {
            s.caller = Caller::Free;
            s.next_free = self.free;
            self.free = index;
        }
    }

    /// Hands the completions the session has to their slots, at most
    /// `limit` of them; `true` if it stopped there (more may be ready).
    fn deliver(&mut self, server: &str, limit: usize, wakers: &mut Vec<Waker>) -> bool {
        for _ in 0..limit {
            let Some(mut done) = self.session.poll_reply() else {
                return false;
            };
            match done.result {
                Ok(_) => self.answered = true,
                // A peer that sends bytes that are no reply before it ever
                // sent one that is, is not a Gibson server.
                Err(Error::Protocol(e)) if !self.answered => {
                    done.result = Err(Error::NotGibson {
                        server: server.to_string(),
                        cause: Error::Protocol(e).into(),
                    })
                }
                Err(_) => {}
            }
            self.complete(done, wakers);
        }
        true
    }

    /// Hands one completion to its slot.
    fn complete(&mut self, done: Completion<u32>, wakers: &mut Vec<Waker>) {
        let index = done.token;
        let Some(slot) = self.slots.get_mut(index as usize) else {
            return;
        };
        if slot.owed == 0 {
            return;
        }
        slot.owed -= 1;
        let outcome = match done.result {
            Ok(reply) => Ok(reply),
            Err(cause) if done.sent => Err(Error::Broken {
                cause: cause.into(),
            }),
            Err(cause) => Err(Error::NotSent {
                cause: cause.into(),
            }),
        };
        match &mut slot.caller {
            Caller::Waiting {
                replies: Some(replies),
                unsent,
                ..
            } => {
                if !done.sent {
                    *unsent += 1;
                }
                replies.push(outcome);
                if slot.owed == 0 {
                    let delivery = if *unsent as usize == replies.len() {
                        // No command of the pipeline left: send it again.
                        Delivery::NotSent(replies.pop().and_then(Result::err))
                    } else {
                        Delivery::Many(std::mem::take(replies))
                    };
                    slot.resolve(delivery, wakers);
                }
            }
            Caller::Waiting { replies: None, .. } => {
                let delivery = match outcome {
                    Err(e @ Error::NotSent { .. }) => Delivery::NotSent(Some(e)),
                    outcome => Delivery::One(outcome),
                };
                slot.resolve(delivery, wakers);
            }
            Caller::Gone if slot.owed == 0 => self.release(index),
            // Timed out or gone: the reply is dropped.
            _ => {}
        }
    }
}

impl Slot {
    /// A waiting caller's result is `delivery`: it is woken (through
    /// `wakers`). Does nothing for a slot whose caller is not waiting.
    pub(crate) fn resolve(&mut self, delivery: Delivery, wakers: &mut Vec<Waker>) {
        if let Caller::Waiting { .. } = self.caller {
            if let Caller::Waiting { waker, .. } =
                std::mem::replace(&mut self.caller, Caller::Ready(delivery))
            {
                wakers.push(waker);
            }
        }
    }
}

/// The earlier of an optional deadline and another.
fn earlier(a: Option<Instant>, b: Instant) -> Option<Instant> {
    Some(a.map_or(b, |a| a.min(b)))
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
