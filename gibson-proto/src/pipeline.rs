//! Explicit pipelines: many commands, one write, results in order.

use std::marker::PhantomData;

use bytes::{Bytes, BytesMut};

use crate::args::{IntoTtl, LockTime, MetaField};
use crate::cmd;
use crate::command::Command;
use crate::convert::{FromValue, ToArg};
use crate::error::Error;
use crate::frame::{frame_key, nth_frame};
use crate::limits::Limits;
use crate::reply::Reply;
use crate::reply::Value;
use crate::stats::Stats;
use crate::wire::Opcode;

/// A batch of commands to send together.
///
/// A [`Pipeline`] encodes commands into one buffer as they are added and
/// hands back a typed [`Handle`] for each. A runtime sends
/// [`Pipeline::frames`] in one write, collects one reply per
/// [`Pipeline::opcodes`] entry, and builds [`PipelineResults`], from which
/// each handle takes its own typed result. A command refused by validation
/// is not sent; its handle yields the validation error and the others are
/// unaffected.
///
/// ```
/// use gibson_proto::{Pipeline, PipelineResults, Reply, Value, Ttl};
///
/// let mut p = Pipeline::new(Default::default());
/// let set = p.set("k", "v", Ttl::Never);
/// let bad = p.get::<String>("a key with spaces"); // refused, not sent
/// let get = p.get::<String>("k");
/// assert_eq!(p.opcodes().len(), 2);
///
/// // A runtime writes p.frames() and reads one reply per opcode:
/// let replies = vec![Ok(Reply::Value(Value::from("v"))), Ok(Reply::Value(Value::from("v")))];
/// let mut results = p.finish(replies);
/// assert_eq!(results.take(get).unwrap(), Some("v".to_string()));
/// assert!(results.take(bad).is_err());
/// assert_eq!(results.take(set).unwrap(), Value::from("v"));
/// ```
#[derive(Debug)]
pub struct Pipeline {
    limits: Limits,
    buf: BytesMut,
    /// The frames [`take_frames`](Pipeline::take_frames) took out, kept
    /// (shared, not copied) to name a key in an error.
    sent: Bytes,
    opcodes: Vec<Opcode>,
    /// Per command: `Ok(index into opcodes)` if sent, `Err` if refused.
    entries: Vec<Result<usize, Error>>,
}

/// A typed ticket for one command's result in a [`PipelineResults`].
#[derive(Debug)]
#[must_use = "a handle is the only way to get the command's result"]
pub struct Handle<O> {
    index: usize,
    decode: fn(Reply) -> Result<O, Error>,
    out: PhantomData<fn() -> O>,
}

impl Pipeline {
    /// An empty pipeline enforcing `limits`.
    pub fn new(limits: Limits) -> Pipeline {
        Pipeline {
            limits,
            buf: BytesMut::new(),
            sent: Bytes::new(),
            opcodes: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Adds a command; returns the handle for its result.
    pub fn add<C: Command>(&mut self, cmd: C) -> Handle<C::Output> {
        let entry = cmd.encode(&mut self.buf, &self.limits).map(|()| {
            self.opcodes.push(C::OPCODE);
            self.opcodes.len() - 1
        });
        self.entries.push(entry);
        Handle {
            index: self.entries.len() - 1,
            decode: C::decode,
            out: PhantomData,
        }
    }

    /// A pipeline of requests already encoded (`frames`, one per opcode,
    /// back to back), none refused: what a namespace builds when it puts
    /// its prefix into another pipeline's frames.
    pub fn from_frames(limits: Limits, frames: BytesMut, opcodes: Vec<Opcode>) -> Pipeline {
        Pipeline {
            limits,
            buf: frames,
            sent: Bytes::new(),
            entries: (0..opcodes.len()).map(Ok).collect(),
            opcodes,
        }
    }

    /// The limits it enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Number of commands added (sent or refused).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` if no command was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The encoded frames of the commands to send, back to back.
    pub fn frames(&self) -> &[u8] {
        &self.buf
    }

    /// Takes the encoded frames out (for sending without a copy).
    pub fn take_frames(&mut self) -> Bytes {
        self.sent = self.buf.split().freeze();
        self.sent.clone()
    }

    /// The opcodes of the commands to send, in order: one reply is expected
    /// for each.
    pub fn opcodes(&self) -> &[Opcode] {
        &self.opcodes
    }

    /// Builds the results from one outcome per [`opcodes`](Pipeline::opcodes)
    /// entry, in order. Missing outcomes become
    /// [`Error::ConnectionClosed`].
    pub fn finish(self, replies: Vec<Result<Reply, Error>>) -> PipelineResults {
        let mut replies: Vec<Option<Result<Reply, Error>>> =
            replies.into_iter().map(Some).collect();
        let mut refused = Vec::new();
        let results = self
            .entries
            .into_iter()
            .enumerate()
            .map(|(at, entry)| match entry {
                Ok(i) => replies
                    .get_mut(i)
                    .and_then(Option::take)
                    .unwrap_or(Err(Error::ConnectionClosed { in_reply: false })),
                Err(e) => {
                    refused.push(at);
                    Err(e)
                }
            })
            .map(Some)
            .collect();
        let frames = if self.buf.is_empty() {
            self.sent
        } else {
            self.buf.freeze()
        };
        PipelineResults {
            results,
            frames,
            refused,
        }
    }

    crate::methods::command_methods!(pipeline_methods);
}

/// The outcomes of a pipeline, taken out one by one with their handles.
#[derive(Debug)]
pub struct PipelineResults {
    results: Vec<Option<Result<Reply, Error>>>,
    /// The frames sent, one per reply.
    frames: Bytes,
    /// The commands refused before sending (they have no frame), in order.
    refused: Vec<usize>,
}

impl PipelineResults {
    /// The typed result of the command `handle` was given for.
    ///
    /// A handle from another pipeline, or one already taken, yields an
    /// [`Error::InvalidArgument`] naming `handle`.
    pub fn take<O>(&mut self, handle: Handle<O>) -> Result<O, Error> {
        match self.results.get_mut(handle.index).and_then(Option::take) {
            Some(Ok(reply)) => (handle.decode)(reply).map_err(|e| self.name_key(handle.index, e)),
            Some(Err(e)) => Err(e),
            None => Err(Error::invalid(
                "handle",
                "belongs to another pipeline or was already taken",
            )),
        }
    }

    /// `e` naming the key of command `index` if it is an [`Error::Decode`]
    /// without one (the handle decodes by type alone; the key is read back
    /// from the frame sent, only on this error).
    fn name_key(&self, index: usize, e: Error) -> Error {
        if !matches!(e, Error::Decode { key: None, .. }) {
            return e;
        }
        let sent = index - self.refused.partition_point(|&r| r < index);
        match nth_frame(&self.frames, sent).and_then(frame_key) {
            Some(key) => e.for_key(key),
            None => e,
        }
    }

    /// Number of results (taken or not).
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// `true` for an empty pipeline's results.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }

    /// The raw outcomes not yet taken, in order (`None` for taken ones).
    pub fn into_raw(self) -> Vec<Option<Result<Reply, Error>>> {
        self.results
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ServerError, Value};

    #[test]
    fn frames_are_the_commands_back_to_back() {
        let mut p = Pipeline::new(Limits::default());
        let a = p.ping();
        let b = p.del("x");
        let c = p.count("");
        let d = p.inc("n");
        assert_eq!(p.len(), 4);
        assert_eq!(p.opcodes(), &[Opcode::Ping, Opcode::Del, Opcode::Inc]);
        assert_eq!(
            p.frames(),
            b"\x02\x00\x00\x00\x13\x00\x03\x00\x00\x00\x04\x00x\x03\x00\x00\x00\x05\x00n"
        );
        let mut r = p.finish(vec![
            Ok(Reply::Ok),
            Ok(Reply::Error(ServerError::Locked)),
            Ok(Reply::Value(Value::Int(3))),
        ]);
        r.take(a).unwrap();
        assert!(r.take(b).unwrap_err().is_locked());
        let err = r.take(c).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { arg: "prefix", .. }),
            "{err}"
        );
        assert_eq!(r.take(d).unwrap(), 3);
    }

    #[test]
    fn missing_replies_fail_and_handles_take_once() {
        let mut p = Pipeline::new(Limits::default());
        let a = p.ping();
        let b = p.ping();
        let mut r = p.finish(vec![Ok(Reply::Ok)]);
        assert!(r.take(b).is_err());
        r.take(a).unwrap();
        let mut other = Pipeline::new(Limits::default());
        let stray = other.ping();
        let _ = other.ping();
        let stray2 = other.ping();
        assert!(r.take(stray).is_err());
        assert!(matches!(
            r.take(stray2),
            Err(Error::InvalidArgument { arg: "handle", .. })
        ));
    }
}
