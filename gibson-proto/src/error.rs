//! The one error type of the workspace, and its parts.
//!
//! Every crate in the workspace returns [`Error`]. It is `Clone` because the
//! pipelining session fails every pending request with *the same* error
//! when a connection breaks.

use std::sync::Arc;
use std::time::Duration;

use crate::wire::{Opcode, ReplyCode};

/// Anything that can go wrong talking to a Gibson server.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error code (ERR, NAN, MEM, LOCKED, or a
    /// NOT_FOUND where the command has no "absent" result).
    #[error("{command}: server replied {kind}")]
    Server {
        /// The command that got the error.
        command: Opcode,
        /// What the server said.
        kind: ServerError,
    },
    /// The peer broke the protocol; the connection cannot be trusted any more.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// An argument was refused before anything was written.
    #[error("invalid argument `{arg}`: {rule}")]
    InvalidArgument {
        /// Which argument (`"key"`, `"value"`, `"ttl"`, `"request"`, …).
        arg: &'static str,
        /// The rule it breaks, in words.
        rule: String,
    },
    /// A reply could not be converted to the requested Rust type.
    #[error("cannot convert reply to {target}: {reason}")]
    Conversion {
        /// The requested type.
        target: &'static str,
        /// Why not.
        reason: String,
    },
    /// A stored value did not decode with the codec asked for (`Json`,
    /// `Postcard`, `MsgPack`): it was written by something else, or as
    /// another type. The reply was read whole, so the connection stays
    /// usable. `key` names the item: a GET's key, the key of MGET's bad
    /// pair (`None` only where the key is not known, as in a pipeline).
    ///
    /// ```
    /// use gibson_proto::Error;
    /// let e = Error::Decode { key: None, codec: "JSON", target: "User", reason: "EOF".into() };
    /// assert_eq!(
    ///     e.for_key(b"user:1").to_string(),
    ///     "the value of key \"user:1\" does not decode as JSON User: EOF"
    /// );
    /// ```
    #[error(
        "the value of {} does not decode as {codec} {target}: {reason}",
        match key { Some(k) => format!("key {k:?}"), None => "a key".to_string() }
    )]
    Decode {
        /// The item's key (escaped like [`escape`](crate::escape)), when known.
        key: Option<String>,
        /// The codec (`"JSON"`, `"postcard"`, `"MessagePack"`).
        codec: &'static str,
        /// The Rust type asked for.
        target: &'static str,
        /// The codec's message.
        reason: String,
    },
    /// An I/O error from the socket.
    #[error("I/O error: {0}")]
    Io(Arc<std::io::Error>),
    /// The operation did not complete in time.
    #[error("{what} timed out after {after:?}")]
    Timeout {
        /// What timed out (`"connect"`, `"response"`, `"pool checkout"`, …).
        what: &'static str,
        /// The configured limit.
        after: Duration,
    },
    /// The connection closed (EOF) before the reply arrived.
    #[error("connection closed{}", if *.in_reply { " in the middle of a reply" } else { "" })]
    ConnectionClosed {
        /// `true` when bytes of an unfinished reply had already arrived.
        in_reply: bool,
    },
    /// The request was written whole, then the connection broke before its
    /// reply: the server **may have executed it**. Clients send such a
    /// request again only when their retry policy
    /// allows it for the command (never INC, DEC, MINC, MDEC, LOCK, MLOCK).
    /// [`root`](Error::root) is what broke the connection.
    #[error("connection broken with the request written, so it may have executed: {cause}")]
    Broken {
        /// What broke the connection.
        cause: Arc<Error>,
    },
    /// The connection broke before the request was written whole: the
    /// server **never ran it**, and sending it again is safe for any
    /// command. A single command is sent again on a new connection by the
    /// client itself; a pipeline's commands report this.
    #[error("request not sent: {cause}")]
    NotSent {
        /// What broke the connection.
        cause: Arc<Error>,
    },
    /// The peer at `server` sent bytes that are no Gibson reply before it
    /// ever sent one that is: it is some other kind of server (an HTTP
    /// server on the port, say), or not a Gibson 1.2 one.
    #[error("{server} does not answer like a Gibson server (is it the right address?): {cause}")]
    NotGibson {
        /// The server (`host:port` or socket path).
        server: String,
        /// The protocol violation seen.
        cause: Arc<Error>,
    },
    /// The connection already has its `max_waiting` requests waiting (the
    /// optional bound on callers queued for one connection): nothing was
    /// sent.
    #[error("{server}: busy, {waiting} requests are already waiting (max_waiting)")]
    Busy {
        /// The server (`host:port` or socket path).
        server: String,
        /// The requests waiting when this one was refused.
        waiting: usize,
    },
    /// A multi-key reply held fewer pairs than it announced, and still did
    /// after the command was sent again ([`SHORT_REPLY_ATTEMPTS`] tries in
    /// all). Gibson 1.2.1 sends such a reply when items under the prefix
    /// expire as it reads them (see [`Pairs`](crate::Pairs)); the
    /// connection is fine and the same request may be sent again.
    ///
    /// [`SHORT_REPLY_ATTEMPTS`]: crate::SHORT_REPLY_ATTEMPTS
    #[error(
        "{command}: the server announced {announced} pairs but sent {received}, \
         {attempts} times in a row (items under the prefix kept expiring as it read them)"
    )]
    ShortReply {
        /// The command.
        command: Opcode,
        /// The pairs the last reply announced.
        announced: usize,
        /// The pairs it held.
        received: usize,
        /// How many times the command was sent.
        attempts: u32,
    },
    /// The server closed the connection before the reply to an MGET or
    /// KEYS: Gibson does so when a reply would exceed its
    /// `max_response_size` (15 MiB by default). Read such a prefix a page
    /// at a time with `mget_stream` / `keys_stream`.
    #[error(
        "{command}: the server closed the connection before the reply, as Gibson does when a \
         reply would exceed its max_response_size (15 MiB by default); read a prefix this \
         large with mget_stream or keys_stream ({cause})"
    )]
    PrefixTooLarge {
        /// MGET or KEYS.
        command: Opcode,
        /// How the connection ended.
        cause: Arc<Error>,
    },
    /// A sharded client's server is marked dead (it failed `failures`
    /// times in a row) and its keys fail fast until it is tried again.
    #[error(
        "server {server} is marked dead after {failures} failures in a row; \
         it is tried again in {retry_in:?}"
    )]
    ServerDown {
        /// The server (`host:port` or socket path).
        server: String,
        /// Its consecutive failures.
        failures: u32,
        /// How long until a request may try it again.
        retry_in: Duration,
    },
    /// No pooled connection became free within the bounded wait.
    #[error("pool exhausted: no connection free after {waited:?}")]
    PoolExhausted {
        /// How long the caller waited.
        waited: Duration,
    },
    /// A transport failure (I/O, a closed connection, a timeout, a broken
    /// protocol, no connection free) on one server of a sharded client:
    /// `cause` is the failure, `server` the server it happened on. The
    /// questions [`is_timeout`](Error::is_timeout),
    /// [`is_connection_broken`](Error::is_connection_broken) and
    /// [`is_retryable`](Error::is_retryable) are answered for `cause`;
    /// [`root`](Error::root) gives it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gibson_proto::Error;
    /// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    /// let e = Error::OnServer { server: "10.0.0.2:10128".into(), cause: Arc::new(refused.into()) };
    /// assert!(e.to_string().starts_with("server 10.0.0.2:10128: I/O error"));
    /// assert!(e.is_connection_broken() && e.is_retryable());
    /// assert!(matches!(e.root(), Error::Io(_)));
    /// assert_eq!(e.server(), Some("10.0.0.2:10128"));
    /// ```
    #[error("server {server}: {cause}")]
    OnServer {
        /// The server (`host:port` or socket path).
        server: String,
        /// What went wrong there.
        cause: Arc<Error>,
    },
}

/// An error code sent by the server (codes 0–4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ServerError {
    /// `ERR`: malformed arguments, unknown META field, empty prefix.
    #[error("ERR (malformed request)")]
    Err,
    /// `NOT_FOUND`: no such key.
    #[error("NOT_FOUND")]
    NotFound,
    /// `NAN`: a number was expected, or INC/DEC on a non-number.
    #[error("NAN (a number was expected)")]
    Nan,
    /// `MEM`: the server is over its memory limit.
    #[error("MEM (server out of memory)")]
    Mem,
    /// `LOCKED`: the item is locked.
    #[error("LOCKED (the item is locked)")]
    Locked,
}

impl ServerError {
    /// The reply code carrying this error.
    pub const fn code(self) -> ReplyCode {
        match self {
            ServerError::Err => ReplyCode::Err,
            ServerError::NotFound => ReplyCode::NotFound,
            ServerError::Nan => ReplyCode::Nan,
            ServerError::Mem => ReplyCode::Mem,
            ServerError::Locked => ReplyCode::Locked,
        }
    }

    /// The error for a reply code, or `None` for OK, VAL and KVAL.
    pub const fn from_code(code: ReplyCode) -> Option<ServerError> {
        match code {
            ReplyCode::Err => Some(ServerError::Err),
            ReplyCode::NotFound => Some(ServerError::NotFound),
            ReplyCode::Nan => Some(ServerError::Nan),
            ReplyCode::Mem => Some(ServerError::Mem),
            ReplyCode::Locked => Some(ServerError::Locked),
            ReplyCode::Ok | ReplyCode::Val | ReplyCode::Kval => None,
        }
    }
}

/// A violation of the wire protocol by the peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A reply code outside 0–7.
    #[error("unknown reply code {0}")]
    UnknownReplyCode(u16),
    /// A request opcode that Gibson does not define.
    #[error("unknown opcode {0}")]
    UnknownOpcode(u16),
    /// An encoding byte outside 0–2.
    #[error("unknown encoding {0}")]
    UnknownEncoding(u8),
    /// An encoding that cannot appear where it did (LZF is never sent).
    #[error("unexpected encoding {encoding} in {context}")]
    UnexpectedEncoding {
        /// The raw encoding byte.
        encoding: u8,
        /// Where it appeared.
        context: &'static str,
    },
    /// A NUMBER whose length is neither 4 nor 8.
    #[error("a NUMBER must be 4 or 8 bytes, got {0}")]
    BadNumberLength(u32),
    /// A frame announced more bytes than the configured maximum.
    #[error("frame of {size} bytes exceeds the limit of {max} bytes")]
    FrameTooLarge {
        /// Announced size.
        size: u64,
        /// Configured maximum.
        max: u64,
    },
    /// A request frame announced a size below 2.
    #[error("request frame size {0} is below the minimum of 2")]
    FrameTooSmall(u32),
    /// KVAL data that overruns or underruns its announced size.
    #[error("malformed KVAL: {0}")]
    MalformedPairs(&'static str),
    /// A reply of the wrong kind for the command that was sent.
    #[error("{command} cannot be answered with {got}")]
    UnexpectedReply {
        /// The command.
        command: Opcode,
        /// The kind of reply that came (`"KVAL"`, `"VAL number"`, …).
        got: &'static str,
    },
    /// Bytes arrived that no request is waiting for.
    #[error("received a reply with no request pending")]
    UnsolicitedReply,
}

impl Error {
    /// The [`Error::Io`] of connecting to `addr`: the same kind, with a
    /// message that names the server.
    ///
    /// ```
    /// use gibson_proto::Error;
    /// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    /// let e = Error::connecting(&"127.0.0.1:1", refused);
    /// assert!(matches!(&e, Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused));
    /// assert!(e.to_string().starts_with("I/O error: 127.0.0.1:1: "), "{e}");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn connecting(addr: &dyn std::fmt::Display, e: std::io::Error) -> Error {
        Error::from(std::io::Error::new(e.kind(), format!("{addr}: {e}")))
    }

    /// A connection attempt's error, naming the server `addr` when it does
    /// not yet: a connect timeout becomes an [`Error::OnServer`] around it
    /// (still [`is_timeout`](Error::is_timeout)); I/O errors already name
    /// it ([`connecting`](Error::connecting)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use gibson_proto::Error;
    /// let e = Error::Timeout { what: "connect", after: Duration::from_secs(1) }.of_connect_to(&"10.0.0.9:10128");
    /// assert_eq!(e.to_string(), "server 10.0.0.9:10128: connect timed out after 1s");
    /// assert!(e.is_timeout());
    /// ```
    pub fn of_connect_to(self, addr: &dyn std::fmt::Display) -> Error {
        match self {
            Error::Timeout { .. } => Error::OnServer {
                server: addr.to_string(),
                cause: Arc::new(self),
            },
            other => other,
        }
    }

    /// An [`Error::InvalidArgument`].
    pub fn invalid(arg: &'static str, rule: impl Into<String>) -> Error {
        Error::InvalidArgument {
            arg,
            rule: rule.into(),
        }
    }

    /// `Ok` when `size` is at most `limit`; else an
    /// [`Error::InvalidArgument`] on `arg` whose rule `rule` writes from
    /// the size and the limit.
    ///
    /// ```
    /// use gibson_proto::Error;
    /// let over = Error::within("key", 300, 250, |n, max| format!("{n} bytes, over {max}"));
    /// assert_eq!(over.unwrap_err().to_string(), Error::invalid("key", "300 bytes, over 250").to_string());
    /// assert!(Error::within("key", 250, 250, |_, _| unreachable!()).is_ok());
    /// ```
    pub fn within(
        arg: &'static str,
        size: usize,
        limit: usize,
        rule: impl FnOnce(usize, usize) -> String,
    ) -> Result<(), Error> {
        if size > limit {
            return Err(Error::invalid(arg, rule(size, limit)));
        }
        Ok(())
    }

    /// Names `key` in an [`Error::Decode`] that does not name one yet;
    /// other errors are left as they are.
    pub fn for_key(self, key: &[u8]) -> Error {
        match self {
            Error::Decode {
                key: None,
                codec,
                target,
                reason,
            } => Error::Decode {
                key: Some(crate::escape(key)),
                codec,
                target,
                reason,
            },
            other => other,
        }
    }

    /// The server error code, if this is a server reply.
    pub fn server_error(&self) -> Option<ServerError> {
        match self.root() {
            Error::Server { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// `true` for a LOCKED reply.
    pub fn is_locked(&self) -> bool {
        self.server_error() == Some(ServerError::Locked)
    }

    /// `true` for a timeout of any kind.
    pub fn is_timeout(&self) -> bool {
        matches!(self.root(), Error::Timeout { .. })
    }

    /// The failure at the bottom of the wrappers that say where and how
    /// an error happened: what broke the connection for [`Error::Broken`]
    /// and [`Error::NotSent`], the protocol violation for
    /// [`Error::NotGibson`], the failure on that server for
    /// [`Error::OnServer`]; the error itself otherwise.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gibson_proto::Error;
    /// let eof = Error::ConnectionClosed { in_reply: true };
    /// let broken = Error::Broken { cause: Arc::new(eof) };
    /// assert!(matches!(broken.root(), Error::ConnectionClosed { in_reply: true }));
    /// ```
    pub fn root(&self) -> &Error {
        match self {
            Error::Broken { cause }
            | Error::NotSent { cause }
            | Error::NotGibson { cause, .. }
            | Error::OnServer { cause, .. } => cause.root(),
            other => other,
        }
    }

    /// `true` when the request was written and no reply came back: the
    /// server may have executed it ([`Error::Broken`], or a response
    /// [`Error::Timeout`]). Every other error means the command either ran
    /// (a server reply) or never reached the server.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gibson_proto::Error;
    /// let eof = Arc::new(Error::ConnectionClosed { in_reply: false });
    /// assert!(Error::Broken { cause: eof.clone() }.may_have_executed());
    /// assert!(!Error::NotSent { cause: eof }.may_have_executed());
    /// ```
    pub fn may_have_executed(&self) -> bool {
        match self {
            Error::OnServer { cause, .. } => cause.may_have_executed(),
            Error::Broken { .. } => true,
            Error::Timeout { what, .. } => *what == "response",
            _ => false,
        }
    }

    /// The server this error is about, when it names one: an
    /// [`Error::OnServer`] or an [`Error::ServerDown`] of a sharded client.
    ///
    /// ```
    /// use std::time::Duration;
    /// use gibson_proto::Error;
    /// let down = Error::ServerDown { server: "b:2".into(), failures: 2, retry_in: Duration::ZERO };
    /// assert_eq!(down.server(), Some("b:2"));
    /// assert_eq!(Error::ConnectionClosed { in_reply: false }.server(), None);
    /// ```
    pub fn server(&self) -> Option<&str> {
        match self {
            Error::OnServer { server, .. } | Error::ServerDown { server, .. } => Some(server),
            _ => None,
        }
    }

    /// `true` when the connection this error came from must be dropped and
    /// re-established: I/O errors, EOF, protocol violations, and response
    /// timeouts (the reply may still arrive later, out of step).
    pub fn is_connection_broken(&self) -> bool {
        matches!(
            self.root(),
            Error::Io(_)
                | Error::ConnectionClosed { .. }
                | Error::Protocol(_)
                | Error::Timeout { .. }
        )
    }

    /// The error of an MGET or KEYS (`command`) whose connection closed
    /// before the reply: [`Error::PrefixTooLarge`], which says why Gibson
    /// does that and points to the prefix streams. Other errors and
    /// commands are left as they are.
    ///
    /// ```
    /// use gibson_proto::{Error, Opcode};
    /// let closed = Error::ConnectionClosed { in_reply: false };
    /// assert!(matches!(closed.clone().of_prefix_read(Opcode::Mget), Error::PrefixTooLarge { .. }));
    /// assert!(matches!(closed.of_prefix_read(Opcode::Get), Error::ConnectionClosed { .. }));
    /// ```
    pub fn of_prefix_read(self, command: Opcode) -> Error {
        let prefix_read = matches!(command, Opcode::Mget | Opcode::Keys);
        if prefix_read && self.is_connection_broken() && !self.is_timeout() {
            Error::PrefixTooLarge {
                command,
                cause: Arc::new(self),
            }
        } else {
            self
        }
    }

    /// `true` when sending the same request again may succeed: the failure
    /// was the transport's, not the request's. Whether a *command* may be
    /// retried is a separate question: see [`Opcode::is_idempotent`].
    pub fn is_retryable(&self) -> bool {
        match self.root() {
            Error::Io(_)
            | Error::ConnectionClosed { .. }
            | Error::Busy { .. }
            | Error::Timeout { .. }
            | Error::PoolExhausted { .. }
            | Error::ServerDown { .. }
            | Error::ShortReply { .. } => true,
            Error::Server { kind, .. } => *kind == ServerError::Mem,
            _ => false,
        }
    }
}

impl Opcode {
    /// `true` for commands that may safely be sent again after a failure
    /// with the request in flight. INC, DEC, MINC, MDEC, LOCK and MLOCK are
    /// not: running them twice changes the result.
    pub const fn is_idempotent(self) -> bool {
        !matches!(
            self,
            Opcode::Inc
                | Opcode::Dec
                | Opcode::Minc
                | Opcode::Mdec
                | Opcode::Lock
                | Opcode::Mlock
                | Opcode::End
        )
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Error {
        Error::Io(Arc::new(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_problem() {
        let e = Error::invalid("key", "must not contain a space");
        assert_eq!(
            e.to_string(),
            "invalid argument `key`: must not contain a space"
        );
        let e = Error::Server {
            command: Opcode::Del,
            kind: ServerError::Locked,
        };
        assert_eq!(
            e.to_string(),
            "DEL: server replied LOCKED (the item is locked)"
        );
        assert!(e.is_locked());
        assert!(!e.is_connection_broken());
        let e = Error::from(ProtocolError::FrameTooLarge { size: 10, max: 5 });
        assert!(e.is_connection_broken());
        assert!(!e.is_retryable());
        assert_eq!(
            Error::ConnectionClosed { in_reply: true }.to_string(),
            "connection closed in the middle of a reply"
        );
    }

    #[test]
    fn idempotency() {
        assert!(Opcode::Get.is_idempotent());
        assert!(Opcode::Set.is_idempotent());
        for op in [
            Opcode::Inc,
            Opcode::Dec,
            Opcode::Minc,
            Opcode::Mdec,
            Opcode::Lock,
            Opcode::Mlock,
        ] {
            assert!(!op.is_idempotent(), "{op}");
        }
    }

    #[test]
    fn server_error_codes_round_trip() {
        for code in ReplyCode::ALL {
            if let Some(err) = ServerError::from_code(*code) {
                assert_eq!(err.code(), *code);
            }
        }
    }
}
