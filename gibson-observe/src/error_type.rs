//! `error.type`: a low-cardinality name for each kind of [`Error`].

use gibson_proto::Error;

/// The kind of `error`, as spans and metrics report it in `error.type`:
/// `timeout`, `connection_closed`, `io`, `server`, `broken`, `not_sent`,
/// `not_gibson`, `busy`, `protocol`, `invalid_argument`, `conversion`,
/// `decode`, `short_reply`, `prefix_too_large`, `server_down`,
/// `pool_exhausted` (a failure a sharded client names its
/// server in, [`Error::OnServer`], as its cause; `_OTHER` for kinds added
/// later).
///
/// ```
/// use std::time::Duration;
/// use gibson_proto::Error;
/// let e = Error::Timeout { what: "response", after: Duration::from_secs(1) };
/// assert_eq!(gibson_observe::error_type(&e), "timeout");
/// ```
pub fn error_type(error: &Error) -> &'static str {
    match error {
        Error::Server { .. } => "server",
        Error::Protocol(_) => "protocol",
        Error::InvalidArgument { .. } => "invalid_argument",
        Error::Conversion { .. } => "conversion",
        Error::Io(_) => "io",
        Error::Timeout { .. } => "timeout",
        Error::ConnectionClosed { .. } => "connection_closed",
        Error::Broken { .. } => "broken",
        Error::NotSent { .. } => "not_sent",
        Error::NotGibson { .. } => "not_gibson",
        Error::Busy { .. } => "busy",
        Error::Decode { .. } => "decode",
        Error::ShortReply { .. } => "short_reply",
        Error::PrefixTooLarge { .. } => "prefix_too_large",
        Error::ServerDown { .. } => "server_down",
        Error::PoolExhausted { .. } => "pool_exhausted",
        Error::OnServer { cause, .. } => error_type(cause),
        _ => "_OTHER",
    }
}
