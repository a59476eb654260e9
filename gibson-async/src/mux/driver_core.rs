//! The runtime-independent half of a driver.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use gibson_proto::{Error, Session};

use super::request::Outcome;
use super::Mux;

/// Replies a driver hands over per turn ([`DriverCore::hand_over`])
/// before it lets the callers just woken run.
///
/// A trade-off, measured with `gibson bench -t get -c 1 -P 128` against
/// gibson-server in its own process on a 2-core VM (medians of three
/// interleaved runs, ratios to the raw loop of the same run): handing 32
/// over at a time lets the woken callers' next requests reach the server
/// while the rest are handed over, so the server is never idle: 0.54 of
/// the raw loop's throughput at 5.1 × its CPU per request. Handing every
/// reply over at once (1024) writes once per batch: 4.1 × the CPU, but
/// only 0.44 of the throughput, as client and server take turns. On a
/// machine whose cores are busy with other work the second wins; 32 is
/// the default for a client that has a core of its own.
pub const HAND_OVER_CHUNK: usize = 32;

/// Session buffers larger than this are released when the connection is
/// idle, so one huge reply does not pin its buffer.
const KEEP_BUFFER: usize = 256 * 1024;

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
    /// holds [`WRITE_HIGH_WATER`](super::WRITE_HIGH_WATER) bytes already.
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
