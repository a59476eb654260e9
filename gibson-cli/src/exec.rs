//! Runs a [`Request`] as its command's method on a blocking connection or
//! sharded client (anything with [`Commands`](gibson_blocking::Commands));
//! the dispatch comes from the command list (see `commands.rs`).

use gibson_blocking::{Connection, Error};

use crate::output::Output;
use crate::parse::Request;

/// Sends `req` and maps the typed result to what is printed.
pub(crate) fn execute(conn: &mut Connection, req: Request) -> Result<Output, Error> {
    let end = req == Request::End;
    let out = dispatch(conn, req)?;
    if end {
        // The server closes the connection: open a new one next time.
        conn.disconnect();
    }
    Ok(out)
}

gibson_proto::__gibson_command_list!([crate::commands::cli_commands] @exec);

/// How a command's typed result prints: the `prints` names of the command
/// list.
mod print {
    use bytes::Bytes;
    use gibson_blocking::{Stats, Value};

    use crate::output::Output;

    /// A value.
    pub(super) fn value(v: Value) -> Output {
        Output::Value(v)
    }

    /// A value, or `(nil)` when absent.
    pub(super) fn value_or_nil(v: Option<Value>) -> Output {
        v.map_or(Output::Nil, Output::Value)
    }

    /// `OK`, or `(not found)` for a command on an absent key.
    pub(super) fn found(found: bool) -> Output {
        if found {
            Output::Ok
        } else {
            Output::NotFound
        }
    }

    /// A number.
    pub(super) fn int(n: i64) -> Output {
        Output::Int(n)
    }

    /// A number, or `(nil)` when absent.
    pub(super) fn int_or_nil(n: Option<i64>) -> Output {
        n.map_or(Output::Nil, Output::Int)
    }

    /// A count.
    pub(super) fn count(n: u64) -> Output {
        Output::Count(n)
    }

    /// Key/value pairs.
    pub(super) fn pairs(pairs: Vec<(Bytes, Value)>) -> Output {
        Output::Pairs(pairs)
    }

    /// Key names.
    pub(super) fn keys(keys: Vec<Bytes>) -> Output {
        Output::Keys(keys)
    }

    /// The statistics, as pairs in the server's order.
    pub(super) fn stats(stats: Stats) -> Output {
        Output::Pairs(stats.raw)
    }

    /// `OK`.
    pub(super) fn ok((): ()) -> Output {
        Output::Ok
    }
}
