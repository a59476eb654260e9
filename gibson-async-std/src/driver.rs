//! The future that owns a socket: the I/O and the timer around the proto
//! [`DriverCore`], which takes what callers queued and hands their replies
//! back.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use async_io::Timer;
use futures_io::{AsyncRead, AsyncWrite};
use gibson_proto::mux::{DriverCore, Next, HAND_OVER_CHUNK};
use gibson_proto::Error;

use crate::stream::Stream;

/// Size of each read. `futures-io` reads into initialised memory, so the
/// driver reads into this scratch buffer and feeds the session from it.
const READ_CHUNK: usize = 64 * 1024;
/// Rounds of work (each up to one read of `READ_CHUNK`) before the driver
/// yields to its executor. `async-io` has no cooperative budget (tokio's
/// sockets do), so without this a driver receiving a large reply would
/// hold a shared executor thread (smol's global executor has one by default)
/// until the whole reply is in, stalling every other driver and task there.
const BUDGET: usize = 32;

pub(crate) struct Driver {
    stream: Stream,
    core: DriverCore,
    scratch: Box<[u8]>,
    /// Fires at the earliest response deadline.
    timer: Timer,
    armed: Option<Instant>,
}

impl Driver {
    pub(crate) fn new(stream: Stream, core: DriverCore) -> Driver {
        Driver {
            stream,
            core,
            scratch: vec![0; READ_CHUNK].into_boxed_slice(),
            timer: Timer::never(),
            armed: None,
        }
    }

    /// Runs until the connection breaks or every handle is gone.
    pub(crate) async fn run(mut self) {
        poll_fn(|cx| self.poll(cx)).await;
        self.core.stop();
        let _ = poll_fn(|cx| Pin::new(&mut self.stream).poll_close(cx)).await;
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        for _ in 0..BUDGET {
            // 1. Take what callers queued.
            let turn = self.core.take(cx.waker());
            let mut progress = turn.took;
            let session = self.core.session();

            // 2. Write.
            while !session.writable().is_empty() && session.failure().is_none() {
                match Pin::new(&mut self.stream).poll_write(cx, session.writable()) {
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
                match Pin::new(&mut self.stream).poll_read(cx, &mut self.scratch) {
                    Poll::Ready(Ok(0)) => session.close(),
                    Poll::Ready(Ok(n)) => {
                        progress = true;
                        match self.scratch.get(..n) {
                            Some(data) => session.feed(data),
                            None => session.fail(Error::ConnectionClosed { in_reply: true }),
                        }
                    }
                    Poll::Ready(Err(e)) => session.fail(e.into()),
                    Poll::Pending => {}
                }
            }
            self.core.hand_over(HAND_OVER_CHUNK);

            // 4. Deadlines.
            if let Some(at) = turn.earliest {
                if self.armed != Some(at) {
                    self.timer.set_at(at);
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

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixStream;
    use std::time::Duration;

    use async_io::{Async, Timer};
    use std::sync::Arc;

    use gibson_proto::mux::{Batch, Delivery, Mux, One, WRITE_HIGH_WATER};
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
            let driver = Driver::new(
                Stream::Unix(Async::new(ours).unwrap()),
                DriverCore::new(mux.clone()),
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
            match taken.unwrap().into_replies().unwrap().as_slice() {
                [Err(e)] => assert!(e.is_connection_broken(), "{e}"),
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
