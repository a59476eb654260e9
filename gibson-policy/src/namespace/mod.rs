//! Namespaces: a prefix that every key of a handle lives under, the
//! reason to pick a trie-based cache. The runtime crates' `Namespace`
//! handles are built on [`Scope`]: it puts the prefix in front of each
//! request's key and takes it off the names that replies carry, so that
//! code using a handle sees keys relative to the namespace.
//!
//! The delimiter rule: a namespace's prefix ends with its delimiter (`:`
//! by default), so `user:1:` can never reach `user:10:…`; a bare prefix
//! such as `user:1` would, and invalidating it would drop its neighbours.

mod scope;

use bytes::{Bytes, BytesMut};

use gibson_proto::{frame::frame_len, Command, Error, Pipeline, PipelineResults, Reply};

use scope::{scope_frame, unscope_reply};
pub use scope::{Scoped, TypedScoped};

/// The default delimiter of namespaces.
pub const DELIMITER: u8 = b':';

/// A namespace's prefix, checked against the delimiter rule.
///
/// ```
/// use gibson_policy::namespace::Scope;
///
/// let users = Scope::new("user:42:")?;
/// assert!(Scope::new("user:42").is_err()); // would also match user:420…
/// let sessions = users.nested("sessions:")?;
/// assert_eq!(sessions.prefix(), b"user:42:sessions:");
/// assert!(Scope::with_delimiter("cache/v2/", b'/').is_ok());
/// # Ok::<(), gibson_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    prefix: Bytes,
    delimiter: u8,
}

impl Scope {
    /// A namespace under `prefix`, which must end with `:`.
    pub fn new(prefix: impl AsRef<[u8]>) -> Result<Scope, Error> {
        Scope::with_delimiter(prefix, DELIMITER)
    }

    /// A namespace under `prefix`, which must end with `delimiter`, and
    /// hold no space or NUL (no key can).
    pub fn with_delimiter(prefix: impl AsRef<[u8]>, delimiter: u8) -> Result<Scope, Error> {
        let prefix = prefix.as_ref();
        if prefix.last() != Some(&delimiter) {
            return Err(Error::invalid(
                "namespace",
                format!(
                    "{:?} must end with its delimiter {:?}, so that it cannot match \
                     a neighbour's keys (\"user:1\" would match \"user:10…\")",
                    String::from_utf8_lossy(prefix),
                    delimiter as char
                ),
            ));
        }
        if prefix.iter().any(|&b| b == b' ' || b == 0) {
            return Err(Error::invalid(
                "namespace",
                "must not contain a space or a NUL byte (keys cannot)",
            ));
        }
        Ok(Scope {
            prefix: Bytes::copy_from_slice(prefix),
            delimiter,
        })
    }

    /// The namespace `sub` inside this one (`sub` follows the same rule).
    pub fn nested(&self, sub: impl AsRef<[u8]>) -> Result<Scope, Error> {
        let sub = Scope::with_delimiter(sub, self.delimiter)?;
        let mut prefix = BytesMut::with_capacity(self.prefix.len() + sub.prefix.len());
        prefix.extend_from_slice(&self.prefix);
        prefix.extend_from_slice(&sub.prefix);
        Ok(Scope {
            prefix: prefix.freeze(),
            delimiter: self.delimiter,
        })
    }

    /// The prefix.
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// The delimiter.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// `cmd` with the prefix in front of its key: send it, then
    /// [`decode`](Scope::decode) its reply as `C`.
    ///
    /// ```
    /// use gibson_policy::namespace::Scope;
    /// use gibson_proto::{cmd, Command, Reply, Value};
    ///
    /// let users = Scope::new("user:")?;
    /// let mut frame = bytes::BytesMut::new();
    /// users.command(cmd::Get::<_, String>::new("42")).encode(&mut frame, &Default::default())?;
    /// assert_eq!(&frame[6..], b"user:42");
    /// let name = users.decode::<cmd::Get<&str, String>>(Reply::Value(Value::from("ada")))?;
    /// assert_eq!(name.as_deref(), Some("ada"));
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn command<C: Command>(&self, cmd: C) -> Scoped<C> {
        Scoped {
            cmd,
            prefix: self.prefix.clone(),
        }
    }

    /// `cmd` with the prefix in front of its key, decoding its own reply
    /// (prefix off MGET's keys and KEYS' names, the caller's key named in
    /// an [`Error::Decode`]): what a client sends for a namespace.
    ///
    /// ```
    /// use gibson_policy::namespace::Scope;
    /// use gibson_proto::{cmd, Command, Error, Reply, Value};
    ///
    /// let users = Scope::new("user:")?;
    /// let get = users.typed(cmd::Get::<_, u8>::new("42"));
    /// let mut frame = bytes::BytesMut::new();
    /// get.encode(&mut frame, &Default::default())?;
    /// assert_eq!(&frame[6..], b"user:42");
    /// assert_eq!(get.decode_reply(Reply::Value(Value::from("7")))?, Some(7));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn typed<C: Command>(&self, cmd: C) -> TypedScoped<C> {
        TypedScoped(self.command(cmd))
    }

    /// The reply to a [`command`](Scope::command) decoded as `C`, with the
    /// prefix taken off the keys of MGET and the names of KEYS.
    pub fn decode<C: Command>(&self, reply: Reply) -> Result<C::Output, Error> {
        C::decode(unscope_reply(&self.prefix, C::OPCODE, reply)?)
    }

    /// Every request of `pipeline` with the prefix in front of its key:
    /// run [`ScopedPipeline::pipeline`], then
    /// [`finish`](ScopedPipeline::finish) with its results. A request that
    /// the prefix makes too long gets its own error.
    pub fn pipeline(&self, pipeline: Pipeline) -> ScopedPipeline {
        let limits = *pipeline.limits();
        let mut frames = BytesMut::new();
        let mut opcodes = Vec::new();
        let mut places = Vec::with_capacity(pipeline.opcodes().len());
        let (all, ops) = (pipeline.frames(), pipeline.opcodes());
        let mut at = 0;
        for &op in ops {
            let Some(len) = frame_len(all, at) else {
                places.push(Err(Error::invalid("frame", "not a whole request frame")));
                continue;
            };
            let frame = &all[at..at + len];
            at += len;
            places.push(
                scope_frame(&self.prefix, frame, &limits, &mut frames).map(|()| {
                    opcodes.push(op);
                    opcodes.len() - 1
                }),
            );
        }
        ScopedPipeline {
            scoped: Some(Pipeline::from_frames(limits, frames, opcodes)),
            original: pipeline,
            places,
            scope: self.clone(),
        }
    }
}

/// A pipeline sent under a [`Scope`] (see [`Scope::pipeline`]).
#[derive(Debug)]
pub struct ScopedPipeline {
    scoped: Option<Pipeline>,
    original: Pipeline,
    /// Per request of the original: its index in the scoped pipeline, or
    /// why it was refused.
    places: Vec<Result<usize, Error>>,
    scope: Scope,
}

impl ScopedPipeline {
    /// The pipeline to run (once: later calls give an empty one).
    pub fn pipeline(&mut self) -> Pipeline {
        self.scoped
            .take()
            .unwrap_or_else(|| Pipeline::new(*self.original.limits()))
    }

    /// The results of the original pipeline, from those of the scoped one.
    pub fn finish(self, results: PipelineResults) -> PipelineResults {
        let mut raw = results.into_raw();
        let ops = self.original.opcodes().to_vec();
        let replies = self
            .places
            .into_iter()
            .zip(ops)
            .map(|(place, op)| {
                let reply = place?;
                match raw.get_mut(reply).and_then(Option::take) {
                    Some(reply) => unscope_reply(&self.scope.prefix, op, reply?),
                    None => Err(Error::ConnectionClosed { in_reply: false }),
                }
            })
            .collect();
        self.original.finish(replies)
    }
}
