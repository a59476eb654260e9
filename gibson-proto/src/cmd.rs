//! One type per opcode, each implementing [`Command`].
//!
//! Result mapping (DESIGN.md "Results, not surprises"): NOT_FOUND is
//! absence (`None`, `false`, `0` or empty), LOCKED / NAN / MEM / ERR are
//! [`Error::Server`], and a reply of the wrong kind is a protocol error.

use std::marker::PhantomData;

use bytes::{Bytes, BytesMut};

use crate::command::{found, other_reply, unexpected, Command, LockTime, MetaField, Ttl};
use crate::convert::{FromValue, ToArg};
use crate::encode::{encode_request, Arg};
use crate::error::Error;
use crate::limits::Limits;
use crate::repeat::whole;
use crate::reply::{Reply, Value};
use crate::stats::Stats;
use crate::wire::Opcode;

/// OK → `true`, NOT_FOUND → `false`.
fn ok_or_absent(op: Opcode, reply: Reply) -> Result<bool, Error> {
    match found(op, reply)? {
        None => Ok(false),
        Some(Reply::Ok) => Ok(true),
        Some(other) => Err(unexpected(op, &other)),
    }
}

/// OK → `()`.
fn ok(op: Opcode, reply: Reply) -> Result<(), Error> {
    match reply {
        Reply::Ok => Ok(()),
        other => Err(other_reply(op, other)),
    }
}

/// VAL number → the number.
fn number(op: Opcode, reply: Reply) -> Result<i64, Error> {
    match reply {
        Reply::Value(Value::Int(n)) => Ok(n),
        other => Err(other_reply(op, other)),
    }
}

/// VAL number → a count, NOT_FOUND → 0.
fn count(op: Opcode, reply: Reply) -> Result<u64, Error> {
    match found(op, reply)? {
        None => Ok(0),
        Some(Reply::Value(Value::Int(n))) if n >= 0 => Ok(n as u64),
        Some(other) => Err(unexpected(op, &other)),
    }
}

/// `SET ttl key value`: stores `value` under `key`; returns the value the
/// server echoes back. LOCKED, NAN and MEM are errors.
#[derive(Debug, Clone)]
pub struct Set<K, V> {
    key: K,
    value: V,
    ttl: Ttl,
}

impl<K: ToArg, V: ToArg> Set<K, V> {
    /// A SET.
    pub fn new(key: K, value: V, ttl: impl Into<Ttl>) -> Self {
        Set {
            key,
            value,
            ttl: ttl.into(),
        }
    }
}

impl<K: ToArg, V: ToArg> Command for Set<K, V> {
    type Output = Value;
    const OPCODE: Opcode = Opcode::Set;

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        let ttl = self.ttl.wire(limits)?;
        let (k, v) = (self.key.to_arg(), self.value.to_arg());
        encode_request(
            dst,
            limits,
            Self::OPCODE,
            &[
                Arg::Int("ttl", ttl),
                Arg::Key("key", &k),
                Arg::Value("value", &v),
            ],
        )
    }

    fn decode(reply: Reply) -> Result<Value, Error> {
        match reply {
            Reply::Value(v) => Ok(v),
            other => Err(other_reply(Self::OPCODE, other)),
        }
    }
}

/// `TTL key ttl`: sets the TTL and restarts its clock; `false` if absent.
#[derive(Debug, Clone)]
pub struct SetTtl<K> {
    key: K,
    ttl: Ttl,
}

impl<K: ToArg> SetTtl<K> {
    /// A TTL.
    pub fn new(key: K, ttl: impl Into<Ttl>) -> Self {
        SetTtl {
            key,
            ttl: ttl.into(),
        }
    }
}

impl<K: ToArg> Command for SetTtl<K> {
    type Output = bool;
    const OPCODE: Opcode = Opcode::Ttl;

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        let ttl = self.ttl.wire(limits)?;
        let k = self.key.to_arg();
        encode_request(
            dst,
            limits,
            Self::OPCODE,
            &[Arg::Key("key", &k), Arg::Int("ttl", ttl)],
        )
    }

    fn decode(reply: Reply) -> Result<bool, Error> {
        ok_or_absent(Self::OPCODE, reply)
    }
}

/// `GET key`: the value as `T`, `None` if absent.
#[derive(Debug, Clone)]
pub struct Get<K, T = Bytes> {
    key: K,
    out: PhantomData<fn() -> T>,
}

impl<K: ToArg, T: FromValue> Get<K, T> {
    /// A GET.
    pub fn new(key: K) -> Self {
        Get {
            key,
            out: PhantomData,
        }
    }
}

impl<K: ToArg, T: FromValue> Command for Get<K, T> {
    type Output = Option<T>;
    const OPCODE: Opcode = Opcode::Get;

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        let k = self.key.to_arg();
        encode_request(dst, limits, Self::OPCODE, &[Arg::Key("key", &k)])
    }

    fn decode(reply: Reply) -> Result<Option<T>, Error> {
        match found(Self::OPCODE, reply)? {
            None => Ok(None),
            Some(Reply::Value(v)) => T::from_value(v).map(Some),
            Some(other) => Err(unexpected(Self::OPCODE, &other)),
        }
    }
}

/// Defines a single-key command.
macro_rules! key_command {
    ($(#[$doc:meta])* $name:ident, $op:ident, $out:ty, $decode:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<K> {
            key: K,
        }

        impl<K: ToArg> $name<K> {
            #[doc = concat!("A ", stringify!($op), " of `key`.")]
            pub fn new(key: K) -> Self {
                $name { key }
            }
        }

        impl<K: ToArg> Command for $name<K> {
            type Output = $out;
            const OPCODE: Opcode = Opcode::$op;

            fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
                let k = self.key.to_arg();
                encode_request(dst, limits, Self::OPCODE, &[Arg::Key("key", &k)])
            }

            fn decode(reply: Reply) -> Result<$out, Error> {
                $decode(Self::OPCODE, reply)
            }
        }
    };
}

key_command!(
    /// `DEL key`: `true` if deleted, `false` if absent; LOCKED is an error.
    Del, Del, bool, ok_or_absent
);
key_command!(
    /// `INC key`: the new value; an absent key is created as 1.
    Inc, Inc, i64, number
);
key_command!(
    /// `DEC key`: the new value; an absent key is created as **1** (server quirk).
    Dec, Dec, i64, number
);
key_command!(
    /// `UNLOCK key`: `true` (also for an unlocked item), `false` if absent.
    Unlock, Unlock, bool, ok_or_absent
);

/// Defines a single-prefix command answering a count.
macro_rules! prefix_command {
    ($(#[$doc:meta])* $name:ident, $op:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<P> {
            prefix: P,
        }

        impl<P: ToArg> $name<P> {
            #[doc = concat!("A ", stringify!($op), " of `prefix`.")]
            pub fn new(prefix: P) -> Self {
                $name { prefix }
            }
        }

        impl<P: ToArg> Command for $name<P> {
            type Output = u64;
            const OPCODE: Opcode = Opcode::$op;

            fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
                let p = self.prefix.to_arg();
                encode_request(dst, limits, Self::OPCODE, &[Arg::Key("prefix", &p)])
            }

            fn decode(reply: Reply) -> Result<u64, Error> {
                count(Self::OPCODE, reply)
            }
        }
    };
}

prefix_command!(
    /// `MDEL prefix`: deletes the unlocked matches; the number deleted.
    Mdel, Mdel
);
prefix_command!(
    /// `MINC prefix`: +1 on every unlocked numeric match; the number changed.
    Minc, Minc
);
prefix_command!(
    /// `MDEC prefix`: −1 on every unlocked numeric match; the number changed.
    Mdec, Mdec
);
prefix_command!(
    /// `MUNLOCK prefix`: unlocks every match; the number unlocked.
    Munlock, Munlock
);
prefix_command!(
    /// `COUNT prefix`: the number of matching keys (0 when none).
    Count, Count
);

/// `LOCK key seconds`: `true` if locked, `false` if absent; LOCKED if
/// already locked.
#[derive(Debug, Clone)]
pub struct Lock<K> {
    key: K,
    time: LockTime,
}

impl<K: ToArg> Lock<K> {
    /// A LOCK.
    pub fn new(key: K, time: impl Into<LockTime>) -> Self {
        Lock {
            key,
            time: time.into(),
        }
    }
}

impl<K: ToArg> Command for Lock<K> {
    type Output = bool;
    const OPCODE: Opcode = Opcode::Lock;

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        let secs = self.time.wire()?;
        let k = self.key.to_arg();
        encode_request(
            dst,
            limits,
            Self::OPCODE,
            &[Arg::Key("key", &k), Arg::Int("seconds", secs)],
        )
    }

    fn decode(reply: Reply) -> Result<bool, Error> {
        ok_or_absent(Self::OPCODE, reply)
    }
}

/// `MSET prefix value`: sets `value` on every existing unlocked match
/// (creates nothing); the number changed.
#[derive(Debug, Clone)]
pub struct Mset<P, V> {
    prefix: P,
    value: V,
}

impl<P: ToArg, V: ToArg> Mset<P, V> {
    /// An MSET.
    pub fn new(prefix: P, value: V) -> Self {
        Mset { prefix, value }
    }
}

impl<P: ToArg, V: ToArg> Command for Mset<P, V> {
    type Output = u64;
    const OPCODE: Opcode = Opcode::Mset;

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        let (p, v) = (self.prefix.to_arg(), self.value.to_arg());
        encode_request(
            dst,
            limits,
            Self::OPCODE,
            &[Arg::Key("prefix", &p), Arg::Value("value", &v)],
        )
    }

    fn decode(reply: Reply) -> Result<u64, Error> {
        count(Self::OPCODE, reply)
    }
}

/// `MTTL prefix ttl`: sets the TTL of every match; the number changed.
#[derive(Debug, Clone)]
pub struct Mttl<P> {
    prefix: P,
    ttl: Ttl,
}

impl<P: ToArg> Mttl<P> {
    /// An MTTL.
    pub fn new(prefix: P, ttl: impl Into<Ttl>) -> Self {
        Mttl {
            prefix,
            ttl: ttl.into(),
        }
    }
}

impl<P: ToArg> Command for Mttl<P> {
    type Output = u64;
    const OPCODE: Opcode = Opcode::Mttl;

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        let ttl = self.ttl.wire(limits)?;
        let p = self.prefix.to_arg();
        encode_request(
            dst,
            limits,
            Self::OPCODE,
            &[Arg::Key("prefix", &p), Arg::Int("ttl", ttl)],
        )
    }

    fn decode(reply: Reply) -> Result<u64, Error> {
        count(Self::OPCODE, reply)
    }
}

/// `MLOCK prefix seconds`: locks the unlocked matches; the number locked.
#[derive(Debug, Clone)]
pub struct Mlock<P> {
    prefix: P,
    time: LockTime,
}

impl<P: ToArg> Mlock<P> {
    /// An MLOCK.
    pub fn new(prefix: P, time: impl Into<LockTime>) -> Self {
        Mlock {
            prefix,
            time: time.into(),
        }
    }
}

impl<P: ToArg> Command for Mlock<P> {
    type Output = u64;
    const OPCODE: Opcode = Opcode::Mlock;

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        let secs = self.time.wire()?;
        let p = self.prefix.to_arg();
        encode_request(
            dst,
            limits,
            Self::OPCODE,
            &[Arg::Key("prefix", &p), Arg::Int("seconds", secs)],
        )
    }

    fn decode(reply: Reply) -> Result<u64, Error> {
        count(Self::OPCODE, reply)
    }
}

/// `MGET prefix [limit]`: the matching pairs in the server's order, keys as
/// `K` and values as `V`; empty when nothing matches.
#[derive(Debug, Clone)]
pub struct Mget<P, K = Bytes, V = Bytes> {
    prefix: P,
    limit: Option<u32>,
    out: PhantomData<fn() -> (K, V)>,
}

impl<P: ToArg, K: FromValue, V: FromValue> Mget<P, K, V> {
    /// An MGET of every match.
    pub fn new(prefix: P) -> Self {
        Mget {
            prefix,
            limit: None,
            out: PhantomData,
        }
    }

    /// At most `limit` pairs (at least 1).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

impl<P: ToArg, K: FromValue, V: FromValue> Command for Mget<P, K, V> {
    type Output = Vec<(K, V)>;
    const OPCODE: Opcode = Opcode::Mget;

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        let p = self.prefix.to_arg();
        match self.limit {
            None => encode_request(dst, limits, Self::OPCODE, &[Arg::Key("prefix", &p)]),
            Some(0) => Err(Error::invalid(
                "limit",
                "a limit of 0 means \"no limit\" to the server; use at least 1, or no limit",
            )),
            Some(n) => encode_request(
                dst,
                limits,
                Self::OPCODE,
                &[Arg::Key("prefix", &p), Arg::Int("limit", i64::from(n))],
            ),
        }
    }

    fn decode(reply: Reply) -> Result<Vec<(K, V)>, Error> {
        match found(Self::OPCODE, reply)? {
            None => Ok(Vec::new()),
            Some(Reply::Pairs(pairs)) => {
                let pairs = whole(Self::OPCODE, pairs)?;
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    out.push((K::from_value(Value::Bytes(k))?, V::from_value(v)?));
                }
                Ok(out)
            }
            Some(other) => Err(unexpected(Self::OPCODE, &other)),
        }
    }
}

/// `KEYS prefix`: the matching key names in the server's order; empty when
/// nothing matches.
#[derive(Debug, Clone)]
pub struct Keys<P, K = Bytes> {
    prefix: P,
    out: PhantomData<fn() -> K>,
}

impl<P: ToArg, K: FromValue> Keys<P, K> {
    /// A KEYS.
    pub fn new(prefix: P) -> Self {
        Keys {
            prefix,
            out: PhantomData,
        }
    }
}

impl<P: ToArg, K: FromValue> Command for Keys<P, K> {
    type Output = Vec<K>;
    const OPCODE: Opcode = Opcode::Keys;

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        let p = self.prefix.to_arg();
        encode_request(dst, limits, Self::OPCODE, &[Arg::Key("prefix", &p)])
    }

    fn decode(reply: Reply) -> Result<Vec<K>, Error> {
        match found(Self::OPCODE, reply)? {
            None => Ok(Vec::new()),
            Some(Reply::Pairs(pairs)) => {
                let pairs = whole(Self::OPCODE, pairs)?;
                let mut out = Vec::with_capacity(pairs.len());
                for (_, name) in pairs {
                    out.push(K::from_value(name)?);
                }
                Ok(out)
            }
            Some(other) => Err(unexpected(Self::OPCODE, &other)),
        }
    }
}

/// `META key field`: one number about an item; `None` if absent.
#[derive(Debug, Clone)]
pub struct Meta<K> {
    key: K,
    field: MetaField,
}

impl<K: ToArg> Meta<K> {
    /// A META.
    pub fn new(key: K, field: MetaField) -> Self {
        Meta { key, field }
    }
}

impl<K: ToArg> Command for Meta<K> {
    type Output = Option<i64>;
    const OPCODE: Opcode = Opcode::Meta;

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        let k = self.key.to_arg();
        encode_request(
            dst,
            limits,
            Self::OPCODE,
            &[
                Arg::Key("key", &k),
                Arg::Word("field", self.field.name().as_bytes()),
            ],
        )
    }

    fn decode(reply: Reply) -> Result<Option<i64>, Error> {
        match found(Self::OPCODE, reply)? {
            None => Ok(None),
            Some(Reply::Value(Value::Int(n))) => Ok(Some(n)),
            Some(other) => Err(unexpected(Self::OPCODE, &other)),
        }
    }
}

/// Defines a command without arguments.
macro_rules! bare_command {
    ($(#[$doc:meta])* $name:ident, $op:ident, $out:ty, |$reply:ident| $decode:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        impl Command for $name {
            type Output = $out;
            const OPCODE: Opcode = Opcode::$op;

            fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
                encode_request(dst, limits, Self::OPCODE, &[])
            }

            fn decode($reply: Reply) -> Result<$out, Error> {
                $decode
            }
        }
    };
}

bare_command!(
    /// `PING`: OK.
    Ping, Ping, (), |reply| ok(Opcode::Ping, reply)
);
bare_command!(
    /// `END`: OK, then the server closes the connection.
    End, End, (), |reply| ok(Opcode::End, reply)
);
bare_command!(
    /// `STATS`: the server's statistics.
    GetStats, Stats, Stats, |reply| match reply {
        Reply::Pairs(pairs) => Stats::from_pairs(whole(Opcode::Stats, pairs)?),
        other => Err(other_reply(Opcode::Stats, other)),
    }
);
