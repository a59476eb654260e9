//! The future that owns a socket: each turn it takes the bytes callers
//! queued (without copying them), writes them, reads what arrived and
//! hands it to the connection's [`Shared`] state, which delivers the
//! replies; one timer enforces the response deadlines and the silent-peer
//! rule.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use gibson_proto::Error;

use crate::runtime::{Runtime, Socket, Stream, Timer};
use crate::state::Shared;

/// Spare room the read buffer has before each read.
const READ_CHUNK: usize = 64 * 1024;

/// Rounds of work (each up to one read of `READ_CHUNK`) before the driver
/// yields to its executor, so that a driver receiving a large reply does
/// not hold a shared executor thread (smol's global executor has one by
/// default) until the whole reply is in. Tokio's sockets have a budget of
/// their own; `async-io`'s do not.
const BUDGET: usize = 32;

/// A connection's driver; [`SharedDriver`](crate::shared_driver::SharedDriver)
/// runs it.
pub(crate) struct Driver<R: Runtime> {
    stream: Stream<R>,
    shared: Arc<Shared>,
    /// The socket's number (see [`Shared::start`]).
    generation: u64,
    /// Fires at the earliest response deadline.
    timer: R::Timer,
    armed: Option<Instant>,
    /// Taken from the session, not yet written.
    out: Bytes,
    /// The session's read buffer, while a read is under way.
    input: BytesMut,
    wakers: Vec<Waker>,
    /// Why the connection ends, once it does.
    failure: Option<Error>,
    stopped: bool,
}

impl<R: Runtime> Driver<R> {
    /// A driver for `stream`, serving the callers of `shared`, which
    /// was [`start`](Shared::start)ed for it as `generation`.
    pub(crate) fn new(stream: Stream<R>, shared: Arc<Shared>, generation: u64) -> Driver<R> {
        Driver {
            stream,
            shared,
            generation,
            timer: R::timer(Instant::now()),
            armed: None,
            out: Bytes::new(),
            input: BytesMut::new(),
            wakers: Vec::new(),
            failure: None,
            stopped: false,
        }
    }

    fn wake(&mut self) {
        for w in self.wakers.drain(..) {
            w.wake();
        }
    }

    /// After the run: fails what is in flight and closes the socket.
    pub(crate) async fn finish(mut self) {
        self.stop();
        let _ = poll_fn(|cx| self.stream.poll_close(cx)).await;
    }

    /// Fails what is in flight (each request as written or not) and lets
    /// the next request reconnect. Idempotent.
    fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let err = self
            .failure
            .take()
            .unwrap_or(Error::ConnectionClosed { in_reply: false });
        self.shared
            .stop(self.generation, err, self.out.len(), &mut self.wakers);
        self.out.clear();
        self.wake();
    }

    /// One poll of the run: ready once it has ended.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        for _ in 0..BUDGET {
            // 1. Take what callers queued, and the read buffer.
            let turn = self
                .shared
                .take(cx.waker(), self.out.is_empty(), &mut self.input);
            let mut progress = false;
            if !turn.out.is_empty() {
                self.out = turn.out;
            }

            // 2. Write.
            while !self.out.is_empty() && self.failure.is_none() {
                match self.stream.poll_write(cx, &self.out) {
                    Poll::Ready(Ok(0)) => {
                        self.failure = Some(Error::ConnectionClosed { in_reply: false })
                    }
                    Poll::Ready(Ok(n)) => {
                        progress = true;
                        self.out.advance(n);
                    }
                    Poll::Ready(Err(e)) => self.failure = Some(e.into()),
                    Poll::Pending => break,
                }
            }

            // 3. Read, then hand over what arrived.
            let mut read = Read::Nothing;
            if self.failure.is_none() {
                let buf = &mut self.input;
                if buf.capacity() - buf.len() < READ_CHUNK / 4 {
                    buf.reserve(READ_CHUNK);
                }
                let ready = match turn.busy {
                    false => self.stream.poll_idle_ready(cx),
                    true => Poll::Ready(Ok(())),
                };
                let polled = match ready {
                    Poll::Ready(Ok(())) => self.stream.poll_read_buf(cx, &mut self.input),
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    Poll::Pending => Poll::Pending,
                };
                match polled {
                    Poll::Ready(Ok(0)) => read = Read::Eof,
                    Poll::Ready(Ok(_)) => {
                        progress = true;
                        read = Read::Bytes;
                    }
                    Poll::Ready(Err(e)) => self.failure = Some(e.into()),
                    Poll::Pending => {}
                }
            }
            let received =
                self.shared
                    .received(&mut self.input, read, self.out.len(), &mut self.wakers);
            self.wake();

            // 4. Deadlines, and the silent-peer rule.
            if let Some(at) = turn.earliest {
                if self.armed != Some(at) {
                    self.timer.reset(at);
                    self.armed = Some(at);
                }
                if Pin::new(&mut self.timer).poll(cx).is_ready() {
                    self.armed = None;
                    if let Some(silent) = self.shared.expire(Instant::now(), &mut self.wakers) {
                        self.failure.get_or_insert(silent);
                    }
                    self.wake();
                    progress = true;
                }
            }

            if received.failed || self.failure.is_some() || (turn.stop && self.out.is_empty()) {
                self.stop();
                return Poll::Ready(());
            }
            if received.more {
                // Let the callers just woken queue their next requests, so
                // that they are written while the rest are handed over.
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if !progress {
                return Poll::Pending;
            }
        }
        // Still busy: let other tasks run, and be polled again soon.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<R: Runtime> Drop for Driver<R> {
    fn drop(&mut self) {
        // A driver dropped before its end (its runtime went away) fails
        // what is in flight, so that no caller is left waiting.
        self.stop();
    }
}

/// What a turn's read brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// Nothing (or the read was not tried).
    Nothing,
    /// Some bytes.
    Bytes,
    /// The end of the stream: the peer closed the connection.
    Eof,
}
