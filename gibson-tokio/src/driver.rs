//! The task that owns a socket: it takes queued requests, writes them with
//! as few syscalls as possible, reads into a large buffer and completes
//! requests in order through the proto [`Session`].

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use gibson_proto::{Error, Opcode, Reply, Session};
use tokio::io::AsyncWrite;
use tokio::sync::{mpsc, oneshot};

use crate::stream::Stream;

/// The outcome of one request.
pub(crate) type Outcome = Result<Reply, Error>;

/// Where a reply goes. If the receiver is gone (the caller timed out or was
/// cancelled), the reply is read and dropped: the slot is kept.
#[derive(Debug)]
pub(crate) enum Token {
    /// A single request.
    One(oneshot::Sender<Outcome>),
    /// One request of a pipeline: the batch completes when its last reply
    /// arrives, with one wake-up for the whole pipeline.
    Part(Arc<Batch>),
}

/// The replies of a pipeline, collected in order.
#[derive(Debug)]
pub(crate) struct Batch {
    state: Mutex<BatchState>,
}

#[derive(Debug)]
struct BatchState {
    replies: Vec<Outcome>,
    expected: usize,
    tx: Option<oneshot::Sender<Vec<Outcome>>>,
}

impl Batch {
    pub(crate) fn new(expected: usize, tx: oneshot::Sender<Vec<Outcome>>) -> Arc<Batch> {
        Arc::new(Batch {
            state: Mutex::new(BatchState {
                replies: Vec::with_capacity(expected),
                expected,
                tx: Some(tx),
            }),
        })
    }

    fn complete(&self, outcome: Outcome) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.replies.push(outcome);
        if state.replies.len() == state.expected {
            if let Some(tx) = state.tx.take() {
                let replies = std::mem::take(&mut state.replies);
                let _ = tx.send(replies);
            }
        }
    }
}

impl Token {
    fn complete(self, outcome: Outcome) {
        match self {
            Token::One(tx) => {
                let _ = tx.send(outcome);
            }
            Token::Part(batch) => batch.complete(outcome),
        }
    }
}

/// One or more encoded requests, with their tokens.
#[derive(Debug)]
pub(crate) struct Message {
    pub(crate) frames: Frames,
    pub(crate) slots: Slots,
}

/// Frames up to this size travel inside the message: no heap allocation.
const INLINE: usize = 64;

/// Encoded request bytes: small ones inline, others shared.
#[derive(Debug, Clone)]
pub(crate) enum Frames {
    Inline { len: u8, buf: [u8; INLINE] },
    Shared(Bytes),
}

impl Frames {
    /// Takes the encoded bytes out of `scratch` (which is left empty).
    pub(crate) fn take(scratch: &mut bytes::BytesMut) -> Frames {
        if scratch.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..scratch.len()].copy_from_slice(scratch);
            let len = scratch.len() as u8;
            scratch.clear();
            Frames::Inline { len, buf }
        } else {
            Frames::Shared(scratch.split().freeze())
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Frames::Inline { len, buf } => &buf[..usize::from(*len)],
            Frames::Shared(b) => b,
        }
    }
}

/// The tokens of a message: one for a single command, a batch for a pipeline.
#[derive(Debug)]
pub(crate) enum Slots {
    One(Opcode, oneshot::Sender<Outcome>),
    Batch(Vec<Opcode>, Arc<Batch>),
}

/// Read buffer: reserve this much spare room before each read.
const READ_CHUNK: usize = 64 * 1024;
/// Stop taking new requests while this much output is unwritten.
const WRITE_HIGH_WATER: usize = 1024 * 1024;
/// Buffers above this are released when empty.
const KEEP_BUFFER: usize = 256 * 1024;

pub(crate) struct Driver {
    stream: Stream,
    rx: mpsc::Receiver<Message>,
    rx_open: bool,
    session: Session<Token>,
}

impl Driver {
    pub(crate) fn new(
        stream: Stream,
        rx: mpsc::Receiver<Message>,
        session: Session<Token>,
    ) -> Driver {
        Driver {
            stream,
            rx,
            rx_open: true,
            session,
        }
    }

    /// Runs until the connection breaks or every handle is gone.
    pub(crate) async fn run(mut self) {
        poll_fn(|cx| self.poll(cx)).await;
        // Requests still queued were never written: dropping their tokens
        // tells the callers so (they may safely resend them).
        self.rx.close();
        while self.rx.try_recv().is_ok() {}
        let _ = poll_fn(|cx| Pin::new(&mut self.stream).poll_shutdown(cx)).await;
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let mut progress = false;

            // 1. Take queued requests.
            while self.rx_open && self.session.output().len() < WRITE_HIGH_WATER {
                match self.rx.poll_recv(cx) {
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
            while let Some(done) = self.session.poll_reply() {
                done.token.complete(done.result);
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
    }

    fn accept(&mut self, msg: Message) {
        if let Some(err) = self.session.failure() {
            match msg.slots {
                Slots::One(_, tx) => Token::One(tx).complete(Err(err.clone())),
                Slots::Batch(ops, batch) => {
                    for _ in ops {
                        batch.complete(Err(err.clone()));
                    }
                }
            }
            return;
        }
        self.session
            .output_mut()
            .extend_from_slice(msg.frames.as_bytes());
        match msg.slots {
            Slots::One(op, tx) => {
                self.session.push(op, Token::One(tx));
            }
            Slots::Batch(ops, batch) => {
                for op in ops {
                    self.session.push(op, Token::Part(batch.clone()));
                }
            }
        }
    }
}
