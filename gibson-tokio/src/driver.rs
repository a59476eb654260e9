//! The task that owns a socket: it takes what callers queued, writes it
//! with as few syscalls as possible, reads into a large buffer and hands
//! replies back in order through the proto [`Session`].

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use gibson_proto::{Error, Session};
use tokio::io::AsyncWrite;
use tokio::time::{Instant, Sleep};

use crate::stream::Stream;
use gibson_proto::mux::{Mux, Outcome};

/// Read buffer: reserve this much spare room before each read.
const READ_CHUNK: usize = 64 * 1024;
/// Replies handed over per turn before the driver lets woken callers run.
const HAND_OVER_CHUNK: usize = 32;
/// Buffers above this are released when empty.
const KEEP_BUFFER: usize = 256 * 1024;

pub(crate) struct Driver {
    stream: Stream,
    mux: Arc<Mux>,
    /// Tokens are slot indices.
    session: Session<u32>,
    /// Fires at the earliest response deadline.
    timer: Pin<Box<Sleep>>,
    armed: Option<std::time::Instant>,
    /// Completions read but not yet handed over.
    done: VecDeque<(u32, Outcome)>,
    /// Callers to wake once the lock is released (reused buffer).
    wakers: Vec<Waker>,
    stopped: bool,
}

impl Driver {
    pub(crate) fn new(stream: Stream, mux: Arc<Mux>, session: Session<u32>) -> Driver {
        Driver {
            stream,
            mux,
            session,
            timer: Box::pin(tokio::time::sleep_until(Instant::now())),
            armed: None,
            done: VecDeque::new(),
            wakers: Vec::new(),
            stopped: false,
        }
    }

    /// Runs until the connection breaks or every handle is gone.
    pub(crate) async fn run(mut self) {
        poll_fn(|cx| self.poll(cx)).await;
        self.stop();
        let _ = poll_fn(|cx| Pin::new(&mut self.stream).poll_shutdown(cx)).await;
    }

    fn wake(&mut self) {
        for w in self.wakers.drain(..) {
            w.wake();
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let mut progress = false;

            // 1. Take what callers queued.
            let (took, earliest, stop) =
                self.mux
                    .take(&mut self.session, cx.waker(), &mut self.wakers);
            progress |= took;
            self.wake();

            // 2. Write.
            while !self.session.output().is_empty() && self.session.failure().is_none() {
                match Pin::new(&mut self.stream).poll_write(cx, self.session.output()) {
                    Poll::Ready(Ok(0)) => self
                        .session
                        .fail(Error::ConnectionClosed { in_reply: false }),
                    Poll::Ready(Ok(n)) => {
                        progress = true;
                        self.session.consume_output(n);
                    }
                    Poll::Ready(Err(e)) => self.session.fail(e.into()),
                    Poll::Pending => break,
                }
            }

            // 3. Read, then hand over what arrived.
            if self.session.failure().is_none() {
                let buf = self.session.read_buf();
                if buf.capacity() - buf.len() < READ_CHUNK / 4 {
                    buf.reserve(READ_CHUNK);
                }
                match tokio_util::io::poll_read_buf(
                    Pin::new(&mut self.stream),
                    cx,
                    self.session.read_buf(),
                ) {
                    Poll::Ready(Ok(0)) => self.session.close(),
                    Poll::Ready(Ok(_)) => progress = true,
                    Poll::Ready(Err(e)) => self.session.fail(e.into()),
                    Poll::Pending => {}
                }
            }
            let more = self.hand_over(true);

            // 4. Deadlines.
            if let Some(at) = earliest {
                if self.armed != Some(at) {
                    self.timer.as_mut().reset(Instant::from_std(at));
                    self.armed = Some(at);
                }
                if self.timer.as_mut().poll(cx).is_ready() {
                    self.armed = None;
                    self.mux.expire(
                        std::time::Instant::now(),
                        &mut self.session,
                        &mut self.wakers,
                    );
                    self.wake();
                    progress = true;
                }
            }

            if self.session.failure().is_some() {
                return Poll::Ready(());
            }
            if self.session.is_idle() {
                self.session.shrink_buffers(KEEP_BUFFER);
                if stop && self.session.output().is_empty() {
                    return Poll::Ready(());
                }
            }
            if more {
                // Let the callers just woken queue their next requests, so
                // that they are written while the rest of the replies are
                // handed over: the server works while we do.
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if !progress {
                return Poll::Pending;
            }
        }
    }

    /// Completes the requests whose reply (or failure) is known, at most
    /// `HAND_OVER_CHUNK` of them when `chunked`; `true` if some were kept
    /// for the next turn.
    ///
    /// Handing replies over a chunk at a time lets the callers woken by one
    /// chunk queue their next requests before the next chunk is handed
    /// over: those are written at once, and the server works on them while
    /// the rest are handed over instead of waiting for the whole batch.
    fn hand_over(&mut self, chunked: bool) -> bool {
        while let Some(done) = self.session.poll_reply() {
            self.done.push_back((done.token, done.result));
        }
        if self.done.is_empty() {
            return false;
        }
        let n = if chunked {
            self.done.len().min(HAND_OVER_CHUNK)
        } else {
            self.done.len()
        };
        self.mux.deliver(self.done.drain(..n), &mut self.wakers);
        self.wake();
        !self.done.is_empty()
    }

    /// Fails what is in flight, hands back what was never taken, and lets
    /// the next request reconnect.
    fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.session
            .fail(Error::ConnectionClosed { in_reply: false });
        self.hand_over(false);
        self.mux.stop(&mut self.wakers);
        self.wake();
    }
}

impl Drop for Driver {
    /// A driver dropped without finishing (its runtime shut down) still
    /// releases every caller.
    fn drop(&mut self) {
        self.stop();
    }
}
