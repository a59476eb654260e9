//! The future that owns a socket: it takes what callers queued on the
//! [`Mux`], writes it with as few syscalls as possible, reads into a large
//! buffer and hands replies back in order through the proto [`Session`].

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use async_io::Timer;
use futures_io::{AsyncRead, AsyncWrite};
use gibson_proto::mux::{Mux, Outcome};
use gibson_proto::{Error, Session};

use crate::stream::Stream;

/// Size of each read. `futures-io` reads into initialised memory, so the
/// driver reads into this scratch buffer and feeds the session from it.
const READ_CHUNK: usize = 64 * 1024;
/// Buffers above this are released when empty.
const KEEP_BUFFER: usize = 256 * 1024;
/// Rounds of work (each up to one read of `READ_CHUNK`) before the driver
/// yields to its executor. `async-io` has no cooperative budget (tokio's
/// sockets do), so without this a driver receiving a large reply would
/// hold a shared executor thread (smol's global executor has one by default)
/// until the whole reply is in, stalling every other driver and task there.
const BUDGET: usize = 32;
/// Replies handed over per turn before the driver lets woken callers run.
const HAND_OVER_CHUNK: usize = 32;

pub(crate) struct Driver {
    stream: Stream,
    mux: Arc<Mux>,
    /// Tokens are the mux's slot indices.
    session: Session<u32>,
    scratch: Box<[u8]>,
    /// Fires at the earliest response deadline.
    timer: Timer,
    armed: Option<Instant>,
    /// Completions read but not yet handed over.
    done: VecDeque<(u32, Outcome)>,
    /// Callers to wake once the mux's lock is released (reused buffer).
    wakers: Vec<Waker>,
    stopped: bool,
}

impl Driver {
    pub(crate) fn new(stream: Stream, mux: Arc<Mux>, session: Session<u32>) -> Driver {
        Driver {
            stream,
            mux,
            session,
            scratch: vec![0; READ_CHUNK].into_boxed_slice(),
            timer: Timer::never(),
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
        let _ = poll_fn(|cx| Pin::new(&mut self.stream).poll_close(cx)).await;
    }

    fn wake(&mut self) {
        for w in self.wakers.drain(..) {
            w.wake();
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        for _ in 0..BUDGET {
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
                match Pin::new(&mut self.stream).poll_read(cx, &mut self.scratch) {
                    Poll::Ready(Ok(0)) => self.session.close(),
                    Poll::Ready(Ok(n)) => {
                        progress = true;
                        match self.scratch.get(..n) {
                            Some(data) => self.session.feed(data),
                            None => self
                                .session
                                .fail(Error::ConnectionClosed { in_reply: true }),
                        }
                    }
                    Poll::Ready(Err(e)) => self.session.fail(e.into()),
                    Poll::Pending => {}
                }
            }
            let more = self.hand_over(true);

            // 4. Deadlines.
            if let Some(at) = earliest {
                if self.armed != Some(at) {
                    self.timer.set_at(at);
                    self.armed = Some(at);
                }
                if Pin::new(&mut self.timer).poll(cx).is_ready() {
                    self.armed = None;
                    self.mux
                        .expire(Instant::now(), &mut self.session, &mut self.wakers);
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

    /// Completes the requests whose reply (or failure) is known, at most
    /// `HAND_OVER_CHUNK` of them when `chunked`; `true` if some were kept
    /// for the next turn (see the tokio driver for why).
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
    /// A driver dropped without finishing (its executor went away) still
    /// releases every caller.
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixStream;
    use std::time::Duration;

    use async_io::{Async, Timer};
    use gibson_proto::mux::{Batch, Delivery, One, WRITE_HIGH_WATER};
    use gibson_proto::{cmd, Limits, Opcode};

    use super::*;

    /// A request the driver took is failed with the connection's error; one
    /// still queued when the driver dies was never written, and its caller
    /// learns so (`NotSent`), which is what lets the connection resend it,
    /// even a non-idempotent INC.
    #[test]
    fn queued_requests_are_handed_back_unsent_when_the_driver_dies() {
        async_io::block_on(async {
            let (ours, peer) = UnixStream::pair().unwrap();
            let mux = Arc::new(Mux::new(Limits::default(), 64));
            mux.start();
            let driver = Driver::new(
                Stream::Unix(Async::new(ours).unwrap()),
                mux.clone(),
                Session::new(Limits::default()),
            );
            let deadline = Instant::now() + Duration::from_secs(30);
            // More than the high-water mark: the driver takes no more
            // requests until it is written, which the silent peer never
            // lets happen.
            let frames = vec![0u8; 2 * WRITE_HIGH_WATER];
            let mut big = Batch {
                ops: &[Opcode::Ping],
                frames: &frames,
            };
            let mut inc = One(cmd::Inc::new("counter"));
            let taken = mux.call(&mut big, deadline, Duration::from_secs(30));
            let queued = async {
                // Queued once the big one is in the driver's hands.
                Timer::after(Duration::from_millis(20)).await;
                mux.call(&mut inc, deadline, Duration::from_secs(30)).await
            };
            let killer = async {
                Timer::after(Duration::from_millis(60)).await;
                drop(peer);
            };
            let run = futures_lite::future::zip(driver.run(), killer);
            let ((taken, queued), _) =
                futures_lite::future::zip(futures_lite::future::zip(taken, queued), run).await;
            match taken.unwrap() {
                Delivery::One(Err(e)) => assert!(e.is_connection_broken(), "{e}"),
                other => panic!("{other:?}"),
            }
            assert!(
                matches!(queued.unwrap(), Delivery::NotSent),
                "the queued request must be handed back unsent"
            );
            assert!(!mux.is_up());
        });
    }
}
