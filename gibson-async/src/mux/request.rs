//! What callers queue ([`One`] command or a [`Batch`]) and what they get
//! back ([`Delivery`]).

use bytes::BytesMut;
use gibson_proto::{Command, Error, Limits, Opcode, Reply};

/// The outcome of one command.
pub type Outcome = Result<Reply, Error>;

/// What a [`Call`](super::Call) resolves to.
#[derive(Debug)]
pub enum Delivery {
    /// The reply to a single command, or the error that ended the connection.
    One(Outcome),
    /// One outcome per command of a pipeline, in order.
    Many(Vec<Outcome>),
    /// The request as a whole failed (its deadline passed).
    Failed(Error),
    /// The request never reached the driver: always safe to resend.
    NotSent,
}

impl Delivery {
    /// The reply to a single command (or to a batch of one); an error for a
    /// failed request (and, though it cannot happen, for a delivery of
    /// another shape).
    pub fn into_reply(self) -> Result<Reply, Error> {
        match self {
            Delivery::One(outcome) => outcome,
            Delivery::Many(mut outcomes) if outcomes.len() == 1 => outcomes
                .pop()
                .unwrap_or(Err(Error::ConnectionClosed { in_reply: false })),
            other => Err(other.into_error()),
        }
    }

    /// The outcomes of a pipeline's commands, in order.
    pub fn into_replies(self) -> Result<Vec<Outcome>, Error> {
        match self {
            Delivery::Many(outcomes) => Ok(outcomes),
            other => Err(other.into_error()),
        }
    }

    fn into_error(self) -> Error {
        match self {
            Delivery::Failed(e) => e,
            _ => Error::ConnectionClosed { in_reply: false },
        }
    }
}

/// Something that can be queued: [`One`] command or a [`Batch`].
pub trait Request {
    /// Commands (and so replies) in the request.
    fn count(&self) -> usize;
    /// Appends the frames to `out`; writes nothing on error.
    fn encode(&self, out: &mut BytesMut, limits: &Limits) -> Result<(), Error>;
    /// Queues one token per command.
    fn queue(&self, queued: &mut Vec<(Opcode, u32)>, slot: u32);
    /// Delivered as [`Delivery::Many`] (a pipeline, even of one command)
    /// rather than [`Delivery::One`].
    fn is_batch(&self) -> bool {
        false
    }
}

/// A single command.
#[derive(Debug)]
pub struct One<C>(pub C);

impl<C: Command> Request for One<C> {
    fn count(&self) -> usize {
        1
    }

    fn encode(&self, out: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        self.0.encode(out, limits)
    }

    fn queue(&self, queued: &mut Vec<(Opcode, u32)>, slot: u32) {
        queued.push((C::OPCODE, slot));
    }
}

/// An encoded pipeline (see [`Pipeline`](gibson_proto::Pipeline)).
#[derive(Debug)]
pub struct Batch<'a> {
    /// The opcode of each command, in order.
    pub ops: &'a [Opcode],
    /// The frames, already validated.
    pub frames: &'a [u8],
}

impl Request for Batch<'_> {
    fn count(&self) -> usize {
        self.ops.len()
    }

    fn encode(&self, out: &mut BytesMut, _limits: &Limits) -> Result<(), Error> {
        // Validated when the pipeline was built.
        out.extend_from_slice(self.frames);
        Ok(())
    }

    fn queue(&self, queued: &mut Vec<(Opcode, u32)>, slot: u32) {
        queued.extend(self.ops.iter().map(|&op| (op, slot)));
    }

    fn is_batch(&self) -> bool {
        true
    }
}

/// A single request encoded elsewhere (e.g. once for several servers):
/// sent and resent like [`One`].
pub struct Frame<'a> {
    /// Its opcode.
    pub op: Opcode,
    /// The whole request frame.
    pub frame: &'a [u8],
}

impl Request for Frame<'_> {
    fn count(&self) -> usize {
        1
    }

    fn encode(&self, out: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        if self.frame.len() > limits.max_request_size {
            return Err(Error::invalid(
                "request",
                format!(
                    "{} bytes, above the limit of {}",
                    self.frame.len(),
                    limits.max_request_size
                ),
            ));
        }
        out.extend_from_slice(self.frame);
        Ok(())
    }

    fn queue(&self, queued: &mut Vec<(Opcode, u32)>, slot: u32) {
        queued.push((self.op, slot));
    }
}
