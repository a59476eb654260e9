//! The task that owns a socket: the I/O and the timer around the proto
//! [`DriverCore`], which takes what callers queued and hands their replies
//! back.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};

use gibson_proto::mux::{DriverCore, Next, HAND_OVER_CHUNK};
use gibson_proto::Error;
use tokio::io::AsyncWrite;
use tokio::time::{Instant, Sleep};

use crate::stream::Stream;

/// Read buffer: reserve this much spare room before each read.
const READ_CHUNK: usize = 64 * 1024;

pub(crate) struct Driver {
    stream: Stream,
    core: DriverCore,
    /// Fires at the earliest response deadline.
    timer: Pin<Box<Sleep>>,
    armed: Option<std::time::Instant>,
}

impl Driver {
    pub(crate) fn new(stream: Stream, core: DriverCore) -> Driver {
        Driver {
            stream,
            core,
            timer: Box::pin(tokio::time::sleep_until(Instant::now())),
            armed: None,
        }
    }

    /// Runs until the connection breaks or every handle is gone.
    pub(crate) async fn run(mut self) {
        poll_fn(|cx| self.poll(cx)).await;
        self.core.stop();
        let _ = poll_fn(|cx| Pin::new(&mut self.stream).poll_shutdown(cx)).await;
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
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
                let buf = session.read_buf();
                if buf.capacity() - buf.len() < READ_CHUNK / 4 {
                    buf.reserve(READ_CHUNK);
                }
                match tokio_util::io::poll_read_buf(
                    Pin::new(&mut self.stream),
                    cx,
                    session.read_buf(),
                ) {
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
                    self.timer.as_mut().reset(Instant::from_std(at));
                    self.armed = Some(at);
                }
                if self.timer.as_mut().poll(cx).is_ready() {
                    self.armed = None;
                    self.core.expire(std::time::Instant::now());
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
    }
}
