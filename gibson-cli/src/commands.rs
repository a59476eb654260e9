//! The commands of the tool: for each [`Opcode`], its [`Request`] (the
//! arguments read from the line), its usage and help ([`about`]), how its
//! arguments are read ([`Request::read`]) and which method of
//! [`Commands`] runs it and how its result prints ([`dispatch`]).
//!
//! Each of the three is an exhaustive `match`: a new opcode does not
//! build until it has a line in every one.

use bytes::Bytes;
use gibson_blocking::Commands;
use gibson_proto::{Error, LockTime, MetaField, Opcode, Ttl};

use crate::output::Output;
use crate::parse::{ArgReader, ParseError};

/// One command with its arguments (in the command's order), ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    /// `SET ttl key value`.
    Set { ttl: Ttl, key: Bytes, value: Bytes },
    /// `TTL key ttl`.
    Ttl { key: Bytes, ttl: Ttl },
    /// `GET key`.
    Get { key: Bytes },
    /// `DEL key`.
    Del { key: Bytes },
    /// `INC key`.
    Inc { key: Bytes },
    /// `DEC key`.
    Dec { key: Bytes },
    /// `LOCK key seconds`.
    Lock { key: Bytes, time: LockTime },
    /// `UNLOCK key`.
    Unlock { key: Bytes },
    /// `MSET prefix value`.
    Mset { prefix: Bytes, value: Bytes },
    /// `MTTL prefix ttl`.
    Mttl { prefix: Bytes, ttl: Ttl },
    /// `MGET prefix [limit]`.
    Mget { prefix: Bytes, limit: Option<u32> },
    /// `MDEL prefix`.
    Mdel { prefix: Bytes },
    /// `MINC prefix`.
    Minc { prefix: Bytes },
    /// `MDEC prefix`.
    Mdec { prefix: Bytes },
    /// `MLOCK prefix seconds`.
    Mlock { prefix: Bytes, time: LockTime },
    /// `MUNLOCK prefix`.
    Munlock { prefix: Bytes },
    /// `COUNT prefix`.
    Count { prefix: Bytes },
    /// `STATS`.
    Stats,
    /// `PING`.
    Ping,
    /// `META key field`.
    Meta { key: Bytes, field: MetaField },
    /// `KEYS prefix`.
    Keys { prefix: Bytes },
    /// `END`.
    End,
}

/// A command's arguments as the usage line names them, and its one-line
/// description.
pub(crate) const fn about(op: Opcode) -> (&'static str, &'static str) {
    match op {
        Opcode::Set => (
            "ttl key value",
            "store value (the rest of the line); ttl 0 or never: no expiry",
        ),
        Opcode::Ttl => ("key ttl", "set key's TTL in seconds; 0 or never: no expiry"),
        Opcode::Get => ("key", "the value of key, (nil) if absent"),
        Opcode::Del => ("key", "delete key"),
        Opcode::Inc => ("key", "add 1 to the number at key (absent: becomes 1)"),
        Opcode::Dec => (
            "key",
            "subtract 1 from the number at key (absent: becomes 1)",
        ),
        Opcode::Lock => ("key seconds", "lock key for seconds; -1: until UNLOCK"),
        Opcode::Unlock => ("key", "unlock key"),
        Opcode::Mset => (
            "prefix value",
            "set value on every existing key under prefix",
        ),
        Opcode::Mttl => ("prefix ttl", "set the TTL of every key under prefix"),
        Opcode::Mget => (
            "prefix [limit]",
            "key/value pairs under prefix, at most limit (>= 1)",
        ),
        Opcode::Mdel => ("prefix", "delete every unlocked key under prefix"),
        Opcode::Minc => ("prefix", "add 1 to every number under prefix"),
        Opcode::Mdec => ("prefix", "subtract 1 from every number under prefix"),
        Opcode::Mlock => (
            "prefix seconds",
            "lock every key under prefix; -1: until UNLOCK",
        ),
        Opcode::Munlock => ("prefix", "unlock every key under prefix"),
        Opcode::Count => ("prefix", "number of keys under prefix"),
        Opcode::Stats => ("", "server statistics"),
        Opcode::Ping => ("", "check the server answers"),
        Opcode::Meta => (
            "key field",
            "size|encoding|access|created|ttl|left|lock of key",
        ),
        Opcode::Keys => ("prefix", "names of the keys under prefix"),
        Opcode::End => ("", "ask the server to close the connection"),
    }
}

/// Each command's name, argument names and a one-line description, in
/// opcode order, for usage messages and `:help`.
pub(crate) const COMMANDS: &[(&str, &str, &str)] = &{
    let mut rows = [("", "", ""); Opcode::ALL.len()];
    let mut i = 0;
    while i < rows.len() {
        let op = Opcode::ALL[i];
        let (args, help) = about(op);
        rows[i] = (op.name(), args, help);
        i += 1;
    }
    rows
};

impl Request {
    /// Reads the arguments of `a`'s command. A `word` or the `rest` is
    /// named after the argument in error messages, the other kinds after
    /// the kind (as in [`about`]).
    pub(crate) fn read(a: &mut ArgReader<'_>) -> Result<Request, ParseError> {
        Ok(match a.op {
            Opcode::Set => Request::Set {
                ttl: a.ttl("ttl")?,
                key: a.word("key")?,
                value: a.rest("value")?,
            },
            Opcode::Ttl => Request::Ttl {
                key: a.word("key")?,
                ttl: a.ttl("ttl")?,
            },
            Opcode::Get => Request::Get {
                key: a.word("key")?,
            },
            Opcode::Del => Request::Del {
                key: a.word("key")?,
            },
            Opcode::Inc => Request::Inc {
                key: a.word("key")?,
            },
            Opcode::Dec => Request::Dec {
                key: a.word("key")?,
            },
            Opcode::Lock => Request::Lock {
                key: a.word("key")?,
                time: a.seconds("seconds")?,
            },
            Opcode::Unlock => Request::Unlock {
                key: a.word("key")?,
            },
            Opcode::Mset => Request::Mset {
                prefix: a.word("prefix")?,
                value: a.rest("value")?,
            },
            Opcode::Mttl => Request::Mttl {
                prefix: a.word("prefix")?,
                ttl: a.ttl("ttl")?,
            },
            Opcode::Mget => Request::Mget {
                prefix: a.word("prefix")?,
                limit: a.optional(|a| a.limit("limit"))?,
            },
            Opcode::Mdel => Request::Mdel {
                prefix: a.word("prefix")?,
            },
            Opcode::Minc => Request::Minc {
                prefix: a.word("prefix")?,
            },
            Opcode::Mdec => Request::Mdec {
                prefix: a.word("prefix")?,
            },
            Opcode::Mlock => Request::Mlock {
                prefix: a.word("prefix")?,
                time: a.seconds("seconds")?,
            },
            Opcode::Munlock => Request::Munlock {
                prefix: a.word("prefix")?,
            },
            Opcode::Count => Request::Count {
                prefix: a.word("prefix")?,
            },
            Opcode::Stats => Request::Stats,
            Opcode::Ping => Request::Ping,
            Opcode::Meta => Request::Meta {
                key: a.word("key")?,
                field: a.field("field")?,
            },
            Opcode::Keys => Request::Keys {
                prefix: a.word("prefix")?,
            },
            Opcode::End => Request::End,
        })
    }
}

/// Runs `req` as its command's method and maps the typed result to what is
/// printed.
pub(crate) fn dispatch(c: &mut impl Commands, req: Request) -> Result<Output, Error> {
    Ok(match req {
        Request::Set { ttl, key, value } => print::value(c.set(key, value, ttl)?),
        Request::Ttl { key, ttl } => print::found(c.ttl(key, ttl)?),
        Request::Get { key } => print::value_or_nil(c.get(key)?),
        Request::Del { key } => print::found(c.del(key)?),
        Request::Inc { key } => print::int(c.inc(key)?),
        Request::Dec { key } => print::int(c.dec(key)?),
        Request::Lock { key, time } => print::found(c.lock(key, time)?),
        Request::Unlock { key } => print::found(c.unlock(key)?),
        Request::Mset { prefix, value } => print::count(c.mset(prefix, value)?),
        Request::Mttl { prefix, ttl } => print::count(c.mttl(prefix, ttl)?),
        Request::Mget { prefix, limit } => print::pairs(match limit {
            None => c.mget(prefix)?,
            Some(limit) => c.mget_limit(prefix, limit)?,
        }),
        Request::Mdel { prefix } => print::count(c.mdel(prefix)?),
        Request::Minc { prefix } => print::count(c.minc(prefix)?),
        Request::Mdec { prefix } => print::count(c.mdec(prefix)?),
        Request::Mlock { prefix, time } => print::count(c.mlock(prefix, time)?),
        Request::Munlock { prefix } => print::count(c.munlock(prefix)?),
        Request::Count { prefix } => print::count(c.count(prefix)?),
        Request::Stats => print::stats(c.stats()?),
        Request::Ping => print::ok(c.ping()?),
        Request::Meta { key, field } => print::int_or_nil(c.meta(key, field)?),
        Request::Keys { prefix } => print::keys(c.keys(prefix)?),
        Request::End => print::ok(c.end()?),
    })
}

/// How a command's typed result prints.
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
