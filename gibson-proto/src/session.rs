//! The client session: the pipelining state machine every runtime drives.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::command::Command;
use crate::decode::Decoder;
use crate::error::{Error, ProtocolError};
use crate::limits::Limits;
use crate::reply::Reply;
use crate::window::{End, WriteWindow};
use crate::wire::Opcode;

/// Identifies a request sent through a [`Session`]; ids increase by one per
/// request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// A finished request: its token and its outcome.
#[derive(Debug)]
pub struct Completion<T> {
    /// The request.
    pub id: RequestId,
    /// The opcode it sent.
    pub opcode: Opcode,
    /// The token given to [`Session::send`].
    pub token: T,
    /// The reply, or the error that ended the connection.
    pub result: Result<Reply, Error>,
    /// The whole request had been written when it completed: `true` for
    /// every reply; for a failure, `false` means the server never received
    /// the request whole, so it did not run it and sending it again is
    /// safe, while `true` means it may have run.
    pub sent: bool,
}

/// A request waiting for its reply: the session's one record of it.
#[derive(Debug)]
struct Slot<T> {
    opcode: Opcode,
    /// `None` once abandoned.
    token: Option<T>,
    /// Where its bytes end in the request stream (see [`WriteWindow`]).
    end: u64,
}

impl<T> End for Slot<T> {
    fn end(&self) -> u64 {
        self.end
    }
}

/// The pipelining state machine.
///
/// Sans-IO: the session never touches a socket. The driver
/// 1. [`send`](Session::send)s commands, each with a token of its choosing
///    (a oneshot sender, an index…), which appends the request to the output
///    buffer;
/// 2. writes [`writable`](Session::writable) to the socket and calls
///    [`consume_output`](Session::consume_output) with what was written;
/// 3. reads into [`read_buf`](Session::read_buf) (or [`feed`](Session::feed)s
///    bytes) and calls [`poll_reply`](Session::poll_reply) until it returns
///    `None`; each completion hands back the token with the reply or error;
/// 4. on EOF or a read error calls [`close`](Session::close), after which
///    `poll_reply` fails every pending request with the same error.
///
/// Replies are matched to requests first-in first-out. A request whose
/// caller went away is [`abandon`](Session::abandon)ed: it keeps its slot and
/// its reply is read and dropped, so the stream never shifts.
///
/// ```
/// use gibson_proto::{cmd, Reply, Session};
///
/// let mut session = Session::new(Default::default());
/// session.send(&cmd::Ping, "first").unwrap();
/// session.send(&cmd::Ping, "second").unwrap();
/// assert_eq!(session.output(), b"\x02\x00\x00\x00\x13\x00\x02\x00\x00\x00\x13\x00");
/// let n = session.output().len();
/// session.consume_output(n);
///
/// session.feed(b"\x05\x00\x00\x01\x00\x00\x00\x00\x05\x00\x00\x01\x00");
/// let done = session.poll_reply().unwrap();
/// assert_eq!((done.token, done.result.unwrap()), ("first", Reply::Ok));
/// assert!(session.poll_reply().is_none()); // the second reply is incomplete
/// session.feed(b"\x00\x00\x00");
/// assert_eq!(session.poll_reply().unwrap().token, "second");
/// ```
#[derive(Debug)]
pub struct Session<T> {
    limits: Limits,
    decoder: Decoder,
    output: BytesMut,
    window: WriteWindow,
    input: BytesMut,
    pending: VecDeque<Slot<T>>,
    /// Id of `pending.front()`.
    front: u64,
    failed: Option<Error>,
    /// Set by [`close`](Session::close): fail once the buffered whole
    /// replies are delivered; the flag is `in_reply`.
    eof: Option<bool>,
}

impl<T> Session<T> {
    /// A session enforcing `limits` on requests and replies.
    pub fn new(limits: Limits) -> Session<T> {
        Session {
            limits,
            decoder: Decoder::new(limits.max_reply_size),
            output: BytesMut::new(),
            window: WriteWindow::new(limits.write_window),
            input: BytesMut::new(),
            pending: VecDeque::new(),
            front: 0,
            failed: None,
            eof: None,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Encodes `cmd` into the output buffer and queues `token` for its reply.
    ///
    /// An invalid argument is refused here and nothing is queued, so other
    /// requests in flight are unaffected. After the session has failed,
    /// every send returns that failure.
    pub fn send<C: Command>(&mut self, cmd: &C, token: T) -> Result<RequestId, Error> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if let Some(in_reply) = self.eof {
            return Err(Error::ConnectionClosed { in_reply });
        }
        cmd.encode(&mut self.output, &self.limits)?;
        Ok(self.push(C::OPCODE, token))
    }

    /// Queues `token` for a request the caller already appended to
    /// [`output_mut`](Session::output_mut) (for callers that encode
    /// elsewhere, e.g. a pipeline batch).
    pub fn push(&mut self, opcode: Opcode, token: T) -> RequestId {
        let end = self.window.end_of_new(&self.pending, &self.output);
        let id = RequestId(self.front + self.pending.len() as u64);
        self.pending.push_back(Slot {
            opcode,
            token: Some(token),
            end,
        });
        id
    }

    /// Bytes waiting to be written (all of them: write
    /// [`writable`](Session::writable)).
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    /// The bytes to write now: the head of [`output`](Session::output)
    /// that ends on a request boundary and keeps the request bytes written
    /// but not yet answered within [`Limits::write_window`]. Empty while
    /// the window is full; replies open it again. A request larger than the
    /// window is written alone once nothing else is in flight.
    ///
    /// Gibson 1.2.1 drops the connection when a request's size prefix
    /// reaches it in two pieces, which happens when a write is cut; writes
    /// that fit the socket's buffers are taken whole.
    pub fn writable(&self) -> &[u8] {
        &self.output[..self.window.writable(&self.pending, self.output.len())]
    }

    /// Takes [`writable`](Session::writable) out of the output without
    /// copying it, and counts it as written: the driver writes it (outside
    /// any lock) and, if the connection breaks before all of it is written,
    /// says how much was not with [`unwritten`](Session::unwritten).
    ///
    /// ```
    /// use gibson_proto::{cmd, Session};
    /// let mut session = Session::new(Default::default());
    /// session.send(&cmd::Ping, ()).unwrap();
    /// let bytes = session.take_writable();
    /// assert_eq!(&bytes[..], b"\x02\x00\x00\x00\x13\x00");
    /// assert!(session.output().is_empty());
    /// ```
    pub fn take_writable(&mut self) -> Bytes {
        let n = self.window.writable(&self.pending, self.output.len());
        if n == 0 {
            return Bytes::new();
        }
        self.window.consumed(n);
        self.output.split_to(n).freeze()
    }

    /// `n` bytes taken by [`take_writable`](Session::take_writable) were
    /// never written (the connection broke first): the requests they
    /// belong to fail as not sent.
    pub fn unwritten(&mut self, n: usize) {
        self.window.unwritten(n);
    }

    /// The output buffer itself, to encode into or write from.
    pub fn output_mut(&mut self) -> &mut BytesMut {
        &mut self.output
    }

    /// Marks `n` bytes of [`output`](Session::output) as written.
    pub fn consume_output(&mut self, n: usize) {
        let n = n.min(self.output.len());
        let _ = self.output.split_to(n);
        self.window.consumed(n);
        if self.output.is_empty() {
            self.output.clear();
        }
    }

    /// The buffer received bytes go into (for `read_buf`-style reads).
    pub fn read_buf(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    /// Appends received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        self.input.extend_from_slice(data);
    }

    /// How many more bytes the reply being received needs (at least 1 when
    /// a request is pending and no whole reply is buffered), for sizing reads.
    pub fn wanted(&self) -> usize {
        self.decoder.missing(&self.input).unwrap_or(0)
    }

    /// The next finished request, or `None` when the next reply is not
    /// complete yet (or nothing is pending).
    pub fn poll_reply(&mut self) -> Option<Completion<T>> {
        loop {
            if let Some(err) = &self.failed {
                let err = err.clone();
                return self.pop_with(Err(err));
            }
            if self.pending.is_empty() {
                if !self.input.is_empty() {
                    self.fail(ProtocolError::UnsolicitedReply.into());
                }
                return None;
            }
            match self.decoder.decode(&mut self.input) {
                Ok(None) => match self.eof {
                    Some(in_reply) => self.fail(Error::ConnectionClosed { in_reply }),
                    None => return None,
                },
                Ok(Some(reply)) => {
                    if let Some(done) = self.pop_with(Ok(reply)) {
                        return Some(done);
                    }
                    // Abandoned: the reply is dropped, keep going.
                }
                Err(e) => self.fail(e.into()),
            }
        }
    }

    /// Pops the front slot; `None` (and the slot gone) if it was abandoned
    /// or nothing is pending.
    fn pop_with(&mut self, result: Result<Reply, Error>) -> Option<Completion<T>> {
        loop {
            let slot = self.pending.pop_front()?;
            let sent = self.window.answered(slot.end);
            let id = RequestId(self.front);
            self.front += 1;
            match slot.token {
                Some(token) => {
                    return Some(Completion {
                        id,
                        opcode: slot.opcode,
                        token,
                        result,
                        sent,
                    })
                }
                None if result.is_ok() => return None,
                // Failing: skip abandoned slots without a completion.
                None => continue,
            }
        }
    }

    /// The caller of `id` went away: its reply will be read and dropped.
    /// Returns the token, or `None` if `id` is not pending.
    pub fn abandon(&mut self, id: RequestId) -> Option<T> {
        let index = id.0.checked_sub(self.front)?;
        self.pending
            .get_mut(usize::try_from(index).ok()?)?
            .token
            .take()
    }

    /// Fails the session: every pending request (and every later send)
    /// gets `err`. The first failure wins.
    pub fn fail(&mut self, err: Error) {
        if self.failed.is_none() {
            self.failed = Some(err);
        }
    }

    /// The peer closed the connection (EOF). Replies that arrived whole
    /// are still delivered by [`poll_reply`](Session::poll_reply); the
    /// requests still pending after them fail with
    /// [`Error::ConnectionClosed`], whose `in_reply` tells whether part of
    /// a reply had arrived.
    pub fn close(&mut self) {
        if self.failed.is_some() || self.eof.is_some() {
            return;
        }
        // Count the whole frames still buffered: they will be delivered.
        let mut probe = self.input.clone();
        let mut decoder = self.decoder;
        let mut whole = 0usize;
        let mut broken = false;
        loop {
            match decoder.decode(&mut probe) {
                Ok(Some(_)) => whole += 1,
                Ok(None) => break,
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        let in_reply = broken || !probe.is_empty();
        if whole == 0 || self.pending.is_empty() {
            self.fail(Error::ConnectionClosed { in_reply });
        } else {
            self.eof = Some(in_reply);
        }
    }

    /// `true` once the session has failed or seen EOF: no new request is
    /// accepted, though whole replies received before the EOF are still
    /// delivered.
    pub fn is_closed(&self) -> bool {
        self.failed.is_some() || self.eof.is_some()
    }

    /// The error the session failed with, if it has.
    pub fn failure(&self) -> Option<&Error> {
        self.failed.as_ref()
    }

    /// Requests sent and not yet completed, abandoned ones included.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// `true` when no request is waiting for a reply.
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty()
    }

    /// Releases buffer memory above `keep` bytes when the buffers are empty,
    /// so one huge reply does not pin its buffer for the connection's life.
    pub fn shrink_buffers(&mut self, keep: usize) {
        if self.input.is_empty() && self.input.capacity() > keep {
            self.input = BytesMut::with_capacity(keep);
        }
        if self.output.is_empty() && self.output.capacity() > keep {
            self.output = BytesMut::with_capacity(keep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd;

    const OK: &[u8] = b"\x05\x00\x00\x01\x00\x00\x00\x00";

    #[test]
    fn eof_delivers_whole_replies_first() {
        let mut s = Session::new(Limits::default());
        for token in 0..3 {
            s.send(&cmd::Ping, token).unwrap();
        }
        s.feed(OK);
        s.feed(OK);
        s.feed(&OK[..3]);
        s.close();
        assert!(
            s.failure().is_none(),
            "two whole replies are still to be delivered"
        );
        assert!(s.send(&cmd::Ping, 9).is_err(), "no new request after EOF");
        assert_eq!(s.poll_reply().unwrap().result.unwrap(), Reply::Ok);
        assert_eq!(s.poll_reply().unwrap().result.unwrap(), Reply::Ok);
        let last = s.poll_reply().unwrap();
        assert_eq!(last.token, 2);
        assert!(matches!(
            last.result,
            Err(Error::ConnectionClosed { in_reply: true })
        ));
        assert!(s.poll_reply().is_none());
        assert!(s.failure().is_some());
    }

    #[test]
    fn eof_when_idle_or_with_nothing_whole_fails_at_once() {
        let mut idle: Session<u8> = Session::new(Limits::default());
        idle.close();
        assert!(matches!(
            idle.failure(),
            Some(Error::ConnectionClosed { in_reply: false })
        ));

        let mut s = Session::new(Limits::default());
        s.send(&cmd::Ping, 1).unwrap();
        s.feed(&OK[..2]);
        s.close();
        assert!(matches!(
            s.failure(),
            Some(Error::ConnectionClosed { in_reply: true })
        ));
        assert!(s.poll_reply().unwrap().result.is_err());
    }
}
