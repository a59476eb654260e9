//! A pipeline split into one batch per server, and its replies put back in
//! the pipeline's order.

use bytes::{Bytes, BytesMut};
use gibson_proto::{frame::frame_len, Error, Opcode, Pipeline, PipelineResults, Reply};

use crate::ring::HashRing;

use super::{first_answer, FanOut, OnMissing, Route};

/// The requests of a split pipeline that go to one server: frames to send
/// in one write, and one reply expected per opcode.
///
/// ```
/// use gibson_policy::HashRing;
/// use gibson_proto::{Limits, Opcode, Pipeline};
///
/// let ring = HashRing::new(["a:1", "b:2"]);
/// let mut p = Pipeline::new(Limits::default());
/// let _ = p.get::<String>("k");
/// let split = ring.split(&p).unwrap();
/// let home = ring.index_for(b"k").unwrap();
/// assert_eq!(split.batches()[home].opcodes, [Opcode::Get]);
/// assert_eq!(&split.batches()[home].frames[..], p.frames());
/// assert!(split.batches()[1 - home].is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerBatch {
    /// The request frames, back to back.
    pub frames: Bytes,
    /// Their opcodes, in order.
    pub opcodes: Vec<Opcode>,
}

impl ServerBatch {
    /// `true` when nothing goes to this server.
    pub fn is_empty(&self) -> bool {
        self.opcodes.is_empty()
    }

    /// How many requests go to this server.
    pub fn len(&self) -> usize {
        self.opcodes.len()
    }

    /// Each request: its opcode and its frame.
    ///
    /// ```
    /// use gibson_policy::HashRing;
    /// use gibson_proto::{Limits, Pipeline};
    ///
    /// let ring = HashRing::new(["a:1"]);
    /// let mut p = Pipeline::new(Limits::default());
    /// let _ = p.get::<String>("k");
    /// let _ = p.del("k");
    /// let split = ring.split(&p).unwrap();
    /// let frames: Vec<_> = split.batches()[0].requests().map(|(_, f)| f.len()).collect();
    /// assert_eq!(frames, [7, 7]);
    /// ```
    pub fn requests(&self) -> impl Iterator<Item = (Opcode, &[u8])> + '_ {
        let mut at = 0;
        self.opcodes.iter().map(move |&op| {
            let len = frame_len(&self.frames, at).unwrap_or(0);
            let frame = &self.frames[at..at + len];
            at += len;
            (op, frame)
        })
    }
}

/// Where the reply of one request of the pipeline comes from.
#[derive(Debug, Clone)]
enum Slot {
    /// Position `at` in the batch of `server`.
    One { server: usize, at: usize },
    /// Position `at[s]` in the batch of every server `s`.
    Every { fan_out: FanOut, at: Vec<usize> },
    /// Each `(server, position)`: copies of one key, the first that
    /// answered gives the reply.
    Copies { at: Vec<(usize, usize)> },
}

/// A [`Pipeline`] split by server: one [`ServerBatch`] per server of the
/// ring (empty for a server nothing goes to), and how to put the replies
/// back in order. Keyed commands go to their key's server; fan-out
/// commands to every server, their replies merged by [`FanOut::merge`].
///
/// ```
/// use gibson_policy::shard::OnMissing;
/// use gibson_policy::HashRing;
/// use gibson_proto::{Limits, Pipeline, Reply, Ttl, Value};
///
/// let ring = HashRing::new(["10.0.0.1:10128", "10.0.0.2:10128"]);
/// let mut p = Pipeline::new(Limits::default());
/// let set = p.set("k", "v", Ttl::Never);
/// let count = p.count("k");
/// let split = ring.split(&p).unwrap();
///
/// // Each server answers its batch (here: SET echoes, COUNT says 1).
/// let replies = split
///     .batches()
///     .iter()
///     .map(|batch| {
///         batch.opcodes.iter().map(|op| match op.name() {
///             "SET" => Ok(Reply::Value(Value::from("v"))),
///             _ => Ok(Reply::Value(Value::Int(1))),
///         }).collect()
///     })
///     .collect();
/// let mut results = split.finish(p, replies, OnMissing::Fail);
/// assert_eq!(results.take(set).unwrap(), Value::from("v"));
/// assert_eq!(results.take(count).unwrap(), 2); // one per server
/// ```
#[derive(Debug, Clone)]
pub struct SplitPipeline {
    batches: Vec<ServerBatch>,
    slots: Vec<Slot>,
}

impl HashRing {
    /// Splits the requests of `pipeline` (those it will send, one per
    /// [`Pipeline::opcodes`] entry) by server. Fails like
    /// [`route_frame`](HashRing::route_frame): on an empty ring.
    pub fn split(&self, pipeline: &Pipeline) -> Result<SplitPipeline, Error> {
        split_by(self.servers().len(), pipeline, |frame| {
            Ok(match self.route_frame(frame)? {
                Route::Server(server) => Target::One(server),
                Route::Every(fan_out) => Target::Every(fan_out),
            })
        })
    }
}

/// Where one request of a pipeline goes.
#[derive(Debug, Clone)]
pub(super) enum Target {
    /// To this server.
    One(usize),
    /// To each of these servers (copies of its key): the first that
    /// answers gives the reply.
    Copies(Vec<usize>),
    /// To every server, the replies merged.
    Every(FanOut),
}

/// Splits `pipeline` over `servers` servers, each request where `target`
/// says.
pub(super) fn split_by(
    servers: usize,
    pipeline: &Pipeline,
    mut target: impl FnMut(&[u8]) -> Result<Target, Error>,
) -> Result<SplitPipeline, Error> {
    let frames = pipeline.frames();
    let mut bufs = vec![BytesMut::new(); servers];
    let mut opcodes = vec![Vec::new(); servers];
    let mut slots = Vec::with_capacity(pipeline.opcodes().len());
    let mut pos = 0;
    for &op in pipeline.opcodes() {
        let len = frame_len(frames, pos)
            .ok_or_else(|| Error::invalid("frame", "not a whole request frame"))?;
        let frame = &frames[pos..pos + len];
        pos += len;
        let (slot, targets) = match target(frame)? {
            Target::One(server) if server < servers => (
                Slot::One {
                    server,
                    at: opcodes[server].len(),
                },
                vec![server],
            ),
            Target::One(_) => (Slot::Copies { at: Vec::new() }, Vec::new()),
            Target::Copies(copies) => {
                let copies: Vec<usize> = copies.into_iter().filter(|&s| s < servers).collect();
                let at = copies.iter().map(|&s| (s, opcodes[s].len())).collect();
                (Slot::Copies { at }, copies)
            }
            Target::Every(fan_out) => (
                Slot::Every {
                    fan_out,
                    at: opcodes.iter().map(Vec::len).collect(),
                },
                (0..servers).collect(),
            ),
        };
        slots.push(slot);
        for server in targets {
            bufs[server].extend_from_slice(frame);
            opcodes[server].push(op);
        }
    }
    let batches = into_batches(bufs, opcodes);
    Ok(SplitPipeline { batches, slots })
}

/// One batch per server from its frames and their opcodes.
pub(super) fn into_batches(bufs: Vec<BytesMut>, opcodes: Vec<Vec<Opcode>>) -> Vec<ServerBatch> {
    bufs.into_iter()
        .zip(opcodes)
        .map(|(buf, opcodes)| ServerBatch {
            frames: buf.freeze(),
            opcodes,
        })
        .collect()
}

impl SplitPipeline {
    /// One batch per server, in the ring's server order.
    pub fn batches(&self) -> &[ServerBatch] {
        &self.batches
    }

    /// The outcomes of the pipeline's requests in its order, from one list
    /// of outcomes per server (one per opcode of its batch). A missing
    /// outcome is [`Error::ConnectionClosed`], as in
    /// [`Pipeline::finish`]; a fan-out's missing servers are handled as
    /// `on_missing` says.
    ///
    /// ```
    /// use gibson_policy::shard::OnMissing;
    /// use gibson_policy::HashRing;
    /// use gibson_proto::{Error, Limits, Pipeline, Reply};
    ///
    /// let ring = HashRing::new(["a:1", "b:2"]);
    /// let mut p = Pipeline::new(Limits::default());
    /// let _ = p.ping();
    /// let split = ring.split(&p).unwrap();
    /// // Server 1 never answered.
    /// let replies = vec![vec![Ok(Reply::Ok)], vec![]];
    /// let fail = split.clone().reassemble(replies.clone(), OnMissing::Fail);
    /// assert!(matches!(fail[0], Err(Error::ConnectionClosed { .. })));
    /// let partial = split.reassemble(replies, OnMissing::Partial);
    /// assert_eq!(partial[0].as_ref().unwrap(), &Reply::Ok);
    /// ```
    pub fn reassemble(
        self,
        replies: Vec<Vec<Result<Reply, Error>>>,
        on_missing: OnMissing,
    ) -> Vec<Result<Reply, Error>> {
        let mut replies: Vec<Vec<Option<Result<Reply, Error>>>> = replies
            .into_iter()
            .map(|list| list.into_iter().map(Some).collect())
            .collect();
        let mut take = |server: usize, at: usize| {
            replies
                .get_mut(server)
                .and_then(|list| list.get_mut(at))
                .and_then(Option::take)
                .unwrap_or(Err(Error::ConnectionClosed { in_reply: false }))
        };
        self.slots
            .into_iter()
            .map(|slot| match slot {
                Slot::One { server, at } => take(server, at),
                Slot::Copies { at } => {
                    first_answer(at.into_iter().map(|(server, i)| take(server, i)))
                }
                Slot::Every { fan_out, at } => {
                    let each = at.iter().enumerate().map(|(s, &i)| take(s, i)).collect();
                    fan_out.merge(each).resolve(on_missing)
                }
            })
            .collect()
    }

    /// [`reassemble`](SplitPipeline::reassemble)s the replies and hands
    /// them to `pipeline` (the one that was split), whose handles then
    /// take their results.
    pub fn finish(
        self,
        pipeline: Pipeline,
        replies: Vec<Vec<Result<Reply, Error>>>,
        on_missing: OnMissing,
    ) -> PipelineResults {
        pipeline.finish(self.reassemble(replies, on_missing))
    }
}
