//! The [`Command`] trait: what a request sends and what its reply means.

use bytes::BytesMut;

use crate::error::{Error, ProtocolError, ServerError};
use crate::limits::Limits;
use crate::reply::Reply;
use crate::wire::Opcode;

/// A request with a typed result: the one definition of what a command
/// sends and what its reply means, shared by every runtime crate.
///
/// ```
/// use bytes::BytesMut;
/// use gibson_proto::{cmd, Command, Limits, Reply, ServerError};
///
/// let get = cmd::Get::<_, String>::new("greeting");
/// let mut buf = BytesMut::new();
/// get.encode(&mut buf, &Limits::default()).unwrap();
/// assert_eq!(&buf[..], b"\x0a\x00\x00\x00\x03\x00greeting");
/// // NOT_FOUND means absent, not an error.
/// assert_eq!(cmd::Get::<&str, String>::decode(Reply::Error(ServerError::NotFound)).unwrap(), None);
/// ```
pub trait Command {
    /// What a successful reply converts into.
    type Output;

    /// The opcode this command sends.
    const OPCODE: Opcode;

    /// Validates the arguments and appends the request frame to `dst`;
    /// writes nothing on error.
    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error>;

    /// Maps the server's reply to the command's result.
    fn decode(reply: Reply) -> Result<Self::Output, Error>;

    /// [`decode`](Command::decode), knowing the command sent: a command of
    /// one key names it in an [`Error::Decode`]. Clients decode through this
    /// where they still hold the command (a connection, a pool, a sharded
    /// client, the blocking `run_all`); a pipeline, which holds only its
    /// frames, decodes by type alone and reads the key back from the frame.
    ///
    /// ```
    /// use gibson_proto::{cmd, Command, Error, Reply, Value};
    /// let get = cmd::Get::<_, u8>::new("greeting");
    /// // Conversion errors stay as they are; a serde codec's Error::Decode
    /// // gets the key.
    /// let err = get.decode_reply(Reply::Value(Value::from("hello"))).unwrap_err();
    /// assert!(matches!(err, Error::Conversion { .. }));
    /// ```
    fn decode_reply(&self, reply: Reply) -> Result<Self::Output, Error> {
        Self::decode(reply)
    }

    /// At least how many bytes the request frame takes, when that is known
    /// without encoding it (the value of a SET or MSET of bytes or
    /// strings); `None` (the default) otherwise. A client sends a request
    /// it knows to be big on a connection of its own without encoding it
    /// twice.
    ///
    /// ```
    /// use gibson_proto::{cmd, Command, Ttl};
    /// let set = cmd::Set::new("k", vec![0u8; 1 << 20], Ttl::Never);
    /// assert!(set.size_hint().unwrap() > 1 << 20);
    /// assert_eq!(cmd::Get::<_>::new("k").size_hint(), None);
    /// ```
    fn size_hint(&self) -> Option<usize> {
        None
    }
}

/// The error for a reply of a kind the command cannot receive.
pub(crate) fn unexpected(command: Opcode, reply: &Reply) -> Error {
    Error::Protocol(ProtocolError::UnexpectedReply {
        command,
        got: reply.kind(),
    })
}

/// Maps an error reply to [`Error::Server`], anything else to a protocol error.
pub(crate) fn other_reply(command: Opcode, reply: Reply) -> Error {
    match reply {
        Reply::Error(kind) => Error::Server { command, kind },
        other => unexpected(command, &other),
    }
}

/// A helper for decoders: NOT_FOUND as `Ok(None)`, other error codes as
/// [`Error::Server`].
pub(crate) fn found(command: Opcode, reply: Reply) -> Result<Option<Reply>, Error> {
    match reply {
        Reply::Error(ServerError::NotFound) => Ok(None),
        Reply::Error(kind) => Err(Error::Server { command, kind }),
        other => Ok(Some(other)),
    }
}
