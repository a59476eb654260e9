//! Reading every key under a prefix of any size, a page at a time.
//!
//! Gibson answers an MGET or KEYS with one reply, and the real server
//! closes the connection when that reply would exceed its
//! `max_response_size` (15 MiB by default). A scan splits the prefix
//! instead: it COUNTs it, fetches it whole if it holds at most a page,
//! else fetches the key equal to the prefix on its own and goes on with
//! each one-byte-longer sub-prefix that holds keys (COUNTed in one
//! pipeline). A page that still proves too large (its reply broke the
//! connection) is split the same way. Memory stays within one page.
//!
//! [`ScanPlan`] is that bookkeeping and [`ScanState`] a whole scan over
//! several servers, without I/O; the runtime crates drive them.

mod plan;
mod state;

use bytes::Bytes;

use gibson_proto::{Error, FromValue, ServerError, Value};

pub use plan::{ScanPlan, ScanStep};
pub use state::{ScanNext, ScanState, DEFAULT_PAGE};

/// What a scan reads: every pair (MGET) or every key name (KEYS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanKind {
    /// MGET: keys and values.
    Pairs,
    /// KEYS: key names.
    Names,
}

/// A scanned pair as `(K, V)`.
pub fn pair<K: FromValue, V: FromValue>(key: Bytes, value: Value) -> Result<(K, V), Error> {
    Ok((K::from_value(Value::Bytes(key))?, V::from_value(value)?))
}

/// A scanned key name as `K` (the value, if any, is ignored).
pub fn name<K: FromValue>(key: Bytes, _: Value) -> Result<K, Error> {
    K::from_value(Value::Bytes(key))
}

/// A COUNT's answer as a number of keys: NOT_FOUND is 0.
pub fn keys_counted(count: Result<u64, Error>) -> Result<u64, Error> {
    match count {
        Err(e) if e.server_error() == Some(ServerError::NotFound) => Ok(0),
        other => other,
    }
}

/// What a fetched page's failure means: `Ok(true)` when the page must be
/// split (the server closed the connection, as it does on a reply above
/// its `max_response_size`), `Ok(false)` for an empty page (NOT_FOUND),
/// else the error.
pub fn page_failed(err: Error) -> Result<bool, Error> {
    if err.is_connection_broken() || matches!(err, Error::PrefixTooLarge { .. }) {
        Ok(true)
    } else if err.server_error() == Some(ServerError::NotFound) {
        Ok(false)
    } else {
        Err(err)
    }
}
