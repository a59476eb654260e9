//! The future that owns a socket: the I/O and the timer around a
//! [`DriverCore`], which takes what callers queued and hands their replies
//! back.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use gibson_proto::Error;

use crate::mux::{DriverCore, Next, HAND_OVER_CHUNK};
use crate::runtime::{Runtime, Socket, Timer};
use crate::stream::Stream;

/// Spare room the read buffer has before each read.
const READ_CHUNK: usize = 64 * 1024;

/// Rounds of work (each up to one read of `READ_CHUNK`) before the driver
/// yields to its executor, so that a driver receiving a large reply does
/// not hold a shared executor thread (smol's global executor has one by
/// default) until the whole reply is in. Tokio's sockets have a budget of
/// their own; `async-io`'s do not.
const BUDGET: usize = 32;

/// A connection's driver: run it as a task ([`Driver::run`]).
pub struct Driver<R: Runtime> {
    stream: Stream<R>,
    core: DriverCore,
    /// Fires at the earliest response deadline.
    timer: R::Timer,
    armed: Option<Instant>,
}

impl<R: Runtime> std::fmt::Debug for Driver<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("stream", &self.stream)
            .field("core", &self.core)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Driver<R> {
    /// A driver for `stream`, serving the callers of `core`'s mux.
    pub fn new(stream: Stream<R>, core: DriverCore) -> Driver<R> {
        Driver {
            stream,
            core,
            timer: R::timer(Instant::now()),
            armed: None,
        }
    }

    /// Runs until the connection breaks or every handle is gone, then
    /// fails what is in flight and closes the socket.
    pub async fn run(mut self) {
        poll_fn(|cx| self.poll(cx)).await;
        self.finish().await;
    }

    /// After the run: fails what is in flight and closes the socket.
    pub(crate) async fn finish(mut self) {
        self.core.stop();
        let _ = poll_fn(|cx| self.stream.poll_close(cx)).await;
    }

    /// One poll of the run: ready once it has ended.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        for _ in 0..BUDGET {
            // 1. Take what callers queued.
            let turn = self.core.take(cx.waker());
            let mut progress = turn.took;
            let session = self.core.session();

            // 2. Write.
            while !session.writable().is_empty() && session.failure().is_none() {
                match self.stream.poll_write(cx, session.writable()) {
                    Poll::Ready(Ok(0)) => session.fail(Error::ConnectionClosed { in_reply: false }),
                    Poll::Ready(Ok(n)) => {
                        progress = true;
                        session.consume_output(n);
                    }
                    Poll::Ready(Err(e)) => session.fail(e.into()),
                    Poll::Pending => break,
                }
            }

            // 3. Read, then hand over what arrived.
            if session.failure().is_none() {
                let buf = session.read_buf();
                if buf.capacity() - buf.len() < READ_CHUNK / 4 {
                    buf.reserve(READ_CHUNK);
                }
                let read = match session.in_flight() {
                    0 => self.stream.poll_idle_ready(cx),
                    _ => Poll::Ready(Ok(())),
                };
                let read = match read {
                    Poll::Ready(Ok(())) => self.stream.poll_read_buf(cx, session.read_buf()),
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    Poll::Pending => Poll::Pending,
                };
                match read {
                    Poll::Ready(Ok(0)) => session.close(),
                    Poll::Ready(Ok(_)) => progress = true,
                    Poll::Ready(Err(e)) => session.fail(e.into()),
                    Poll::Pending => {}
                }
            }
            self.core.hand_over(HAND_OVER_CHUNK);

            // 4. Deadlines.
            if let Some(at) = turn.earliest {
                if self.armed != Some(at) {
                    self.timer.reset(at);
                    self.armed = Some(at);
                }
                if Pin::new(&mut self.timer).poll(cx).is_ready() {
                    self.armed = None;
                    self.core.expire(Instant::now());
                    progress = true;
                }
            }

            match self.core.end_turn(&turn, progress) {
                Next::Stop => return Poll::Ready(()),
                Next::Yield => {
                    // Let the callers just woken queue their next requests,
                    // so that they are written while the rest are handed
                    // over.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Next::Wait => return Poll::Pending,
                Next::Again => {}
            }
        }
        // Still busy: let other tasks run, and be polled again soon.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
