//! The future that owns a socket: it takes queued requests, writes them with
//! as few syscalls as possible, reads into a large buffer and completes
//! requests in order through the proto [`Session`].

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::Stream as _;
use gibson_proto::{Error, Opcode, Reply, Session};

use crate::stream::Stream;

/// Where a reply goes. If the receiver is gone (the caller timed out or was
/// cancelled), the reply is read and dropped: the slot is kept.
pub(crate) type Token = futures_channel::oneshot::Sender<Result<Reply, Error>>;

/// One or more encoded requests, with a token per request.
#[derive(Debug)]
pub(crate) struct Message {
    pub(crate) frames: Bytes,
    pub(crate) slots: Slots,
}

/// The tokens of a message: one for a single command, many for a pipeline.
#[derive(Debug)]
pub(crate) enum Slots {
    One(Opcode, Token),
    Many(Vec<(Opcode, Token)>),
}

/// Size of each read. `futures-io` reads into initialised memory, so the
/// driver reads into this scratch buffer and feeds the session from it.
const READ_CHUNK: usize = 64 * 1024;
/// Stop taking new requests while this much output is unwritten.
const WRITE_HIGH_WATER: usize = 1024 * 1024;
/// Buffers above this are released when empty.
const KEEP_BUFFER: usize = 256 * 1024;
/// Rounds of work (each up to one read of `READ_CHUNK`) before the driver
/// yields to its executor. `async-io` has no cooperative budget (tokio's
/// sockets do), so without this a driver receiving a large reply would
/// hold a shared executor thread (smol's global executor has one by default)
/// until the whole reply is in, stalling every other driver and task there.
const BUDGET: usize = 32;

pub(crate) struct Driver {
    stream: Stream,
    /// Pinned: the receiver holds its event listener in place.
    rx: Pin<Box<async_channel::Receiver<Message>>>,
    rx_open: bool,
    session: Session<Token>,
    scratch: Box<[u8]>,
}

impl Driver {
    pub(crate) fn new(
        stream: Stream,
        rx: async_channel::Receiver<Message>,
        session: Session<Token>,
    ) -> Driver {
        Driver {
            stream,
            rx: Box::pin(rx),
            rx_open: true,
            session,
            scratch: vec![0; READ_CHUNK].into_boxed_slice(),
        }
    }

    /// Runs until the connection breaks or every handle is gone.
    pub(crate) async fn run(mut self) {
        poll_fn(|cx| self.poll(cx)).await;
        // Requests still queued were never written: dropping their tokens
        // tells the callers so (they may safely resend them).
        self.rx.close();
        while self.rx.try_recv().is_ok() {}
        let _ = poll_fn(|cx| Pin::new(&mut self.stream).poll_close(cx)).await;
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        for _ in 0..BUDGET {
            let mut progress = false;

            // 1. Take queued requests.
            while self.rx_open && self.session.output().len() < WRITE_HIGH_WATER {
                match self.rx.as_mut().poll_next(cx) {
                    Poll::Ready(Some(msg)) => {
                        progress = true;
                        self.accept(msg);
                    }
                    Poll::Ready(None) => self.rx_open = false,
                    Poll::Pending => break,
                }
            }

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

            // 3. Read, then complete what arrived.
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
            while let Some(done) = self.session.poll_reply() {
                let _ = done.token.send(done.result);
            }

            if self.session.failure().is_some() {
                return Poll::Ready(());
            }
            if self.session.is_idle() {
                self.session.shrink_buffers(KEEP_BUFFER);
                if !self.rx_open {
                    return Poll::Ready(());
                }
            }
            if !progress {
                return Poll::Pending;
            }
        }
        // Still busy: let other tasks run, and be polled again soon.
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    fn accept(&mut self, msg: Message) {
        if let Some(err) = self.session.failure() {
            let err = err.clone();
            for (_, token) in msg.slots.into_tokens() {
                let _ = token.send(Err(err.clone()));
            }
            return;
        }
        self.session.output_mut().extend_from_slice(&msg.frames);
        match msg.slots {
            Slots::One(op, token) => {
                self.session.push(op, token);
            }
            Slots::Many(slots) => {
                for (op, token) in slots {
                    self.session.push(op, token);
                }
            }
        }
    }
}

impl Slots {
    fn into_tokens(self) -> Vec<(Opcode, Token)> {
        match self {
            Slots::One(op, t) => vec![(op, t)],
            Slots::Many(v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixStream;
    use std::time::Duration;

    use async_io::{Async, Timer};
    use futures_channel::oneshot;
    use gibson_proto::Limits;

    use super::*;

    /// A request the driver took is failed with the connection's error; one
    /// still queued when the driver dies was never written, and its caller
    /// learns so (the sender is dropped: `Canceled`), which is what lets the
    /// connection resend it, even a non-idempotent INC.
    #[test]
    fn queued_requests_are_dropped_unsent_when_the_driver_dies() {
        async_io::block_on(async {
            let (ours, peer) = UnixStream::pair().unwrap();
            let (tx, rx) = async_channel::bounded(8);
            let driver = Driver::new(
                Stream::Unix(Async::new(ours).unwrap()),
                rx,
                Session::new(Limits::default()),
            );
            let (taken_tx, taken) = oneshot::channel();
            let (queued_tx, queued) = oneshot::channel();
            // More than the high-water mark: the driver stops taking requests
            // until it is written, which the silent peer never lets happen.
            let big = Message {
                frames: Bytes::from(vec![0u8; 2 * WRITE_HIGH_WATER]),
                slots: Slots::One(Opcode::Ping, taken_tx),
            };
            let inc = Message {
                frames: Bytes::from_static(b"\x07\x00\x00\x00\x05\x00counter"),
                slots: Slots::One(Opcode::Inc, queued_tx),
            };
            tx.send(big).await.unwrap();
            tx.send(inc).await.unwrap();
            futures_lite::future::zip(driver.run(), async move {
                Timer::after(Duration::from_millis(50)).await;
                drop(peer);
            })
            .await;
            let taken = taken.await.expect("the taken request gets a result");
            assert!(taken.unwrap_err().is_connection_broken());
            // Without the drain it would sit in the channel (the test holds a
            // sender) and this would wait forever.
            let unsent = futures_lite::future::or(async { queued.await.is_err() }, async {
                Timer::after(Duration::from_secs(10)).await;
                false
            });
            assert!(unsent.await, "the queued request must be dropped unsent");
            assert!(tx.is_closed());
        });
    }
}
