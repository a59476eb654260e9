//! One type per opcode, each implementing [`Command`].
//!
//! Result mapping, the one rule every command follows: NOT_FOUND is
//! absence (`None`, `false`, `0` or empty), LOCKED / NAN / MEM / ERR are
//! [`Error::Server`], and a reply of the wrong kind is a protocol error.

use std::marker::PhantomData;

use bytes::{Bytes, BytesMut};

use crate::args::{LockTime, MetaField, Ttl};
use crate::command::{found, other_reply, unexpected, Command};
use crate::convert::{FromValue, ToArg};
use crate::encode::{encode_request, encode_request_with_value, Arg};
use crate::error::Error;
use crate::limits::Limits;
use crate::repeat::whole;
use crate::reply::{Reply, Value};
use crate::stats::Stats;
use crate::wire::{Opcode, REQUEST_HEADER_LEN};

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

/// VAL → the value as `T`, NOT_FOUND → `None`.
fn value<T: FromValue>(op: Opcode, reply: Reply) -> Result<Option<T>, Error> {
    value_of_key(op, reply, None)
}

/// [`value`], the key known (a value that `T` reads as a miss is logged
/// with it: see [`FromValue::from_stored`]).
fn value_of_key<T: FromValue>(
    op: Opcode,
    reply: Reply,
    key: Option<&[u8]>,
) -> Result<Option<T>, Error> {
    match found(op, reply)? {
        None => Ok(None),
        Some(Reply::Value(v)) => T::from_stored(v, key),
        Some(other) => Err(unexpected(op, &other)),
    }
}

/// KVAL → one item per entry that `f` makes one of from its key and value
/// (`None` leaves the entry out); NOT_FOUND → empty. A short KVAL is
/// [`Error::ShortReply`].
fn entries<X>(
    op: Opcode,
    reply: Reply,
    mut f: impl FnMut(Bytes, Value) -> Result<Option<X>, Error>,
) -> Result<Vec<X>, Error> {
    match found(op, reply)? {
        None => Ok(Vec::new()),
        Some(Reply::Pairs(pairs)) => {
            let pairs = whole(op, pairs)?;
            let mut out = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                out.extend(f(k, v)?);
            }
            Ok(out)
        }
        Some(other) => Err(unexpected(op, &other)),
    }
}

/// KVAL of KEYS (index → name) → the names as `K`, NOT_FOUND → empty.
fn names<K: FromValue>(op: Opcode, reply: Reply) -> Result<Vec<K>, Error> {
    entries(op, reply, |_, name| K::from_value(name).map(Some))
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

    fn size_hint(&self) -> Option<usize> {
        Some(REQUEST_HEADER_LEN + self.value.len_hint()?)
    }

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        let ttl = self.ttl.wire(limits)?;
        let k = self.key.to_arg()?;
        encode_request_with_value(
            dst,
            limits,
            Self::OPCODE,
            &[Arg::Int("ttl", ttl), Arg::Key("key", &k)],
            "value",
            &self.value,
        )
    }

    fn decode(reply: Reply) -> Result<Value, Error> {
        match reply {
            Reply::Value(v) => Ok(v),
            other => Err(other_reply(Self::OPCODE, other)),
        }
    }
}

/// Defines the commands of one key or prefix, maybe followed by a number
/// (a [`Ttl`] or a [`LockTime`], sent as the argument named `$wire`): for
/// each, after its opcode, the struct, `new` and the [`Command`] impl, whose reply goes
/// through `$decode`. An optional second type parameter is what the reply
/// converts into.
macro_rules! keyed_commands {
    ($(
        $(#[$doc:meta])*
        [$op:ident] $name:ident<$T:ident $(, $O:ident = $default:ty)?>
            ($arg:ident $(, $num:ident: $num_ty:ty => $wire:literal)?) -> $out:ty = $decode:expr
            $(, keyed: $keyed:expr)?;
    )*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<$T $(, $O = $default)?> {
            $arg: $T,
            $($num: $num_ty,)?
            $(out: PhantomData<fn() -> $O>,)?
        }

        impl<$T: ToArg $(, $O: FromValue)?> $name<$T $(, $O)?> {
            #[doc = concat!(
                "A ", stringify!($op), " of `", stringify!($arg), "`"
                $(, " and `", stringify!($num), "`")?, "."
            )]
            pub fn new($arg: $T $(, $num: impl Into<$num_ty>)?) -> Self {
                $name {
                    $arg,
                    $($num: $num.into(),)?
                    $(out: PhantomData::<fn() -> $O>,)?
                }
            }
        }

        impl<$T: ToArg $(, $O: FromValue)?> Command for $name<$T $(, $O)?> {
            type Output = $out;
            const OPCODE: Opcode = Opcode::$op;

            fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
                let a = self.$arg.to_arg()?;
                encode_request(
                    dst,
                    limits,
                    Self::OPCODE,
                    &[Arg::Key(stringify!($arg), &a) $(, Arg::Int($wire, self.$num.wire(limits)?))?],
                )
            }

            fn decode(reply: Reply) -> Result<$out, Error> {
                $decode(Self::OPCODE, reply)
            }

            fn decode_reply(&self, reply: Reply) -> Result<$out, Error> {
                match self.$arg.to_arg() {
                    Ok(name) => {
                        $(return $keyed(Self::OPCODE, reply, Some(&name)).map_err(|e| e.for_key(&name));)?
                        #[allow(unreachable_code)]
                        Self::decode(reply).map_err(|e| e.for_key(&name))
                    }
                    Err(_) => Self::decode(reply),
                }
            }
        }
    )*};
}

keyed_commands! {
    /// `GET key`: the value as `T`, `None` if absent.
    [Get] Get<K, T = Bytes>(key) -> Option<T> = value::<T>, keyed: value_of_key::<T>;
    /// `TTL key ttl`: sets the TTL and restarts its clock; `false` if absent.
    [Ttl] SetTtl<K>(key, ttl: Ttl => "ttl") -> bool = ok_or_absent;
    /// `DEL key`: `true` if deleted, `false` if absent; LOCKED is an error.
    [Del] Del<K>(key) -> bool = ok_or_absent;
    /// `INC key`: the new value; an absent key is created as 1.
    [Inc] Inc<K>(key) -> i64 = number;
    /// `DEC key`: the new value; an absent key is created as **1** (server quirk).
    [Dec] Dec<K>(key) -> i64 = number;
    /// `LOCK key seconds`: `true` if locked, `false` if absent; LOCKED if
    /// already locked.
    [Lock] Lock<K>(key, time: LockTime => "seconds") -> bool = ok_or_absent;
    /// `UNLOCK key`: `true` (also for an unlocked item), `false` if absent.
    [Unlock] Unlock<K>(key) -> bool = ok_or_absent;
    /// `MTTL prefix ttl`: sets the TTL of every match; the number changed.
    [Mttl] Mttl<P>(prefix, ttl: Ttl => "ttl") -> u64 = count;
    /// `MDEL prefix`: deletes the unlocked matches; the number deleted.
    [Mdel] Mdel<P>(prefix) -> u64 = count;
    /// `MINC prefix`: +1 on every unlocked numeric match; the number changed.
    [Minc] Minc<P>(prefix) -> u64 = count;
    /// `MDEC prefix`: −1 on every unlocked numeric match; the number changed.
    [Mdec] Mdec<P>(prefix) -> u64 = count;
    /// `MLOCK prefix seconds`: locks the unlocked matches; the number locked.
    [Mlock] Mlock<P>(prefix, time: LockTime => "seconds") -> u64 = count;
    /// `MUNLOCK prefix`: unlocks every match; the number unlocked.
    [Munlock] Munlock<P>(prefix) -> u64 = count;
    /// `COUNT prefix`: the number of matching keys (0 when none).
    [Count] Count<P>(prefix) -> u64 = count;
    /// `KEYS prefix`: the matching key names in the server's order; empty when
    /// nothing matches.
    [Keys] Keys<P, K = Bytes>(prefix) -> Vec<K> = names::<K>;
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

    fn size_hint(&self) -> Option<usize> {
        Some(REQUEST_HEADER_LEN + self.value.len_hint()?)
    }

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        let p = self.prefix.to_arg()?;
        encode_request_with_value(
            dst,
            limits,
            Self::OPCODE,
            &[Arg::Key("prefix", &p)],
            "value",
            &self.value,
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
        let p = self.prefix.to_arg()?;
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
        entries(Self::OPCODE, reply, |k, v| {
            // A value that `V` reads as a miss leaves its pair out.
            match V::from_stored(v, Some(&k)).map_err(|e| e.for_key(&k))? {
                Some(value) => Ok(Some((K::from_value(Value::Bytes(k))?, value))),
                None => Ok(None),
            }
        })
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
        let k = self.key.to_arg()?;
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
