//! The reply model: [`Reply`], [`Value`] and the zero-copy [`Pairs`] of a KVAL.

use bytes::{Buf, Bytes};

use crate::error::{ProtocolError, ServerError};
use crate::wire::Encoding;

/// One value: raw bytes or a server-side integer (a NUMBER).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// A PLAIN value. Shares the buffer of the frame it was cut from.
    Bytes(Bytes),
    /// A NUMBER value (sent as 8 bytes by a 64-bit server, 4 by a 32-bit one).
    Int(i64),
}

impl Value {
    /// The bytes of a PLAIN value, `None` for a number.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            Value::Bytes(b) => Some(b),
            Value::Int(_) => None,
        }
    }

    /// The integer of a NUMBER value, `None` for bytes.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::Bytes(_) => None,
        }
    }

    /// The encoding this value travels with.
    pub fn encoding(&self) -> Encoding {
        match self {
            Value::Bytes(_) => Encoding::Plain,
            Value::Int(_) => Encoding::Number,
        }
    }

    /// Checks that `len` bytes with `encoding` make a value, without
    /// touching the data (so a decoder can refuse a frame before cutting it).
    pub(crate) fn check(
        encoding: u8,
        len: usize,
        context: &'static str,
    ) -> Result<(), ProtocolError> {
        match Encoding::try_from(encoding)? {
            Encoding::Plain => Ok(()),
            Encoding::Number if len == 4 || len == 8 => Ok(()),
            Encoding::Number => Err(ProtocolError::BadNumberLength(
                u32::try_from(len).unwrap_or(u32::MAX),
            )),
            Encoding::Lzf => Err(ProtocolError::UnexpectedEncoding { encoding, context }),
        }
    }

    /// Decodes a value from its encoding byte and data.
    pub(crate) fn decode(
        encoding: u8,
        data: Bytes,
        context: &'static str,
    ) -> Result<Value, ProtocolError> {
        match Encoding::try_from(encoding)? {
            Encoding::Plain => Ok(Value::Bytes(data)),
            Encoding::Number => match data.len() {
                8 => Ok(Value::Int(i64::from_le_bytes(to_array(&data)))),
                4 => Ok(Value::Int(i64::from(i32::from_le_bytes(to_array(&data))))),
                n => Err(ProtocolError::BadNumberLength(
                    u32::try_from(n).unwrap_or(u32::MAX),
                )),
            },
            Encoding::Lzf => Err(ProtocolError::UnexpectedEncoding { encoding, context }),
        }
    }
}

fn to_array<const N: usize>(data: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&data[..N]);
    out
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<Bytes> for Value {
    fn from(b: Bytes) -> Value {
        Value::Bytes(b)
    }
}

impl From<&str> for Value {
    /// Copies the string into a PLAIN value.
    fn from(s: &str) -> Value {
        Value::Bytes(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Bytes(Bytes::from(s))
    }
}

/// One decoded reply frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `OK`.
    Ok,
    /// One of the error codes 0–4 (NOT_FOUND included).
    Error(ServerError),
    /// `VAL`.
    Value(Value),
    /// `KVAL`.
    Pairs(Pairs),
}

impl Reply {
    /// A short name of the reply's kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Reply::Ok => "OK",
            Reply::Error(ServerError::Err) => "ERR",
            Reply::Error(ServerError::NotFound) => "NOT_FOUND",
            Reply::Error(ServerError::Nan) => "NAN",
            Reply::Error(ServerError::Mem) => "MEM",
            Reply::Error(ServerError::Locked) => "LOCKED",
            Reply::Value(Value::Bytes(_)) => "VAL plain",
            Reply::Value(Value::Int(_)) => "VAL number",
            Reply::Pairs(_) => "KVAL",
        }
    }
}

/// The key/value pairs of a KVAL reply, validated when decoded and read
/// lazily: iterating yields `Bytes` slices of the frame, nothing is copied.
///
/// A KVAL may be *short*: well-formed, its data ending exactly after a
/// whole entry, but with fewer entries than its count announces. Gibson
/// 1.2.1 sends one when an MGET meets items that have expired but were not
/// yet swept: it counts the live items, removes the expired ones, and stops
/// writing entries at the first removed one (often before the first
/// entry). That is not a protocol error; [`is_short`](Pairs::is_short)
/// tells it, and MGET repeats itself (the expired items are gone after the
/// first try). An entry cut in the middle stays a protocol error.
#[derive(Clone, PartialEq, Eq)]
pub struct Pairs {
    /// The entries, after the count.
    entries: Bytes,
    /// Entries present.
    len: u32,
    /// The count the frame announced (at least `len`).
    announced: u32,
}

/// What [`Pairs::validate`] found: the entries present and the count the
/// frame announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PairCount {
    pub(crate) present: u32,
    pub(crate) announced: u32,
}

/// Minimum size of one KVAL entry: key_len, encoding, value_len.
const MIN_ENTRY: usize = 4 + 1 + 4;

impl Pairs {
    /// Validates KVAL data (`count` then the entries) without allocating.
    ///
    /// Every entry must lie inside `data`, every value must be PLAIN or a
    /// well-sized NUMBER, and no byte may be left over. The data may end
    /// after a whole entry before the announced count is reached (a short
    /// KVAL, see [`Pairs`]).
    pub fn parse(data: Bytes) -> Result<Pairs, ProtocolError> {
        let count = Pairs::validate(&data)?;
        Ok(Pairs::from_validated(data, count))
    }

    /// Wraps KVAL data that [`Pairs::validate`] accepted.
    pub(crate) fn from_validated(data: Bytes, count: PairCount) -> Pairs {
        Pairs {
            entries: data.slice(4..),
            len: count.present,
            announced: count.announced,
        }
    }

    /// The checks of [`Pairs::parse`] on borrowed data.
    pub(crate) fn validate(data: &[u8]) -> Result<PairCount, ProtocolError> {
        let mut cur: &[u8] = data;
        if cur.len() < 4 {
            return Err(ProtocolError::MalformedPairs("shorter than its count"));
        }
        let announced = cur.get_u32_le();
        let mut present = 0;
        while present < announced {
            if cur.is_empty() {
                // A short KVAL: the data ends on an entry boundary.
                break;
            }
            present += 1;
            if cur.len() < MIN_ENTRY {
                return Err(ProtocolError::MalformedPairs("entries overrun the frame"));
            }
            let key_len = cur.get_u32_le() as usize;
            if cur.len() < key_len + 5 {
                return Err(ProtocolError::MalformedPairs("a key overruns the frame"));
            }
            cur.advance(key_len);
            let encoding = cur.get_u8();
            let value_len = cur.get_u32_le() as usize;
            if cur.len() < value_len {
                return Err(ProtocolError::MalformedPairs("a value overruns the frame"));
            }
            match Encoding::try_from(encoding)? {
                Encoding::Plain => {}
                Encoding::Number if value_len == 4 || value_len == 8 => {}
                Encoding::Number => {
                    return Err(ProtocolError::BadNumberLength(value_len as u32));
                }
                Encoding::Lzf => {
                    return Err(ProtocolError::UnexpectedEncoding {
                        encoding,
                        context: "a KVAL entry",
                    })
                }
            }
            cur.advance(value_len);
        }
        if !cur.is_empty() {
            return Err(ProtocolError::MalformedPairs(
                "bytes left after the last entry",
            ));
        }
        Ok(PairCount { present, announced })
    }

    /// Number of pairs present.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// The number of pairs the frame announced: [`len`](Pairs::len), unless
    /// the KVAL is [short](Pairs::is_short).
    pub fn announced(&self) -> usize {
        self.announced as usize
    }

    /// `true` when the frame announced more pairs than it holds (see
    /// [`Pairs`]).
    pub fn is_short(&self) -> bool {
        self.len < self.announced
    }

    /// `true` when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Iterates over the pairs in the order the server sent them.
    pub fn iter(&self) -> PairsIter {
        PairsIter {
            rest: self.entries.clone(),
            left: self.len,
        }
    }
}

impl std::fmt::Debug for Pairs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl IntoIterator for Pairs {
    type Item = (Bytes, Value);
    type IntoIter = PairsIter;

    fn into_iter(self) -> PairsIter {
        PairsIter {
            rest: self.entries,
            left: self.len,
        }
    }
}

impl IntoIterator for &Pairs {
    type Item = (Bytes, Value);
    type IntoIter = PairsIter;

    fn into_iter(self) -> PairsIter {
        self.iter()
    }
}

/// Iterator over the pairs of a KVAL; yields zero-copy slices.
#[derive(Debug, Clone)]
pub struct PairsIter {
    rest: Bytes,
    left: u32,
}

impl PairsIter {
    fn read_entry(&mut self) -> Option<(Bytes, Value)> {
        let key_len = read_u32(&mut self.rest)? as usize;
        if self.rest.len() < key_len + 5 {
            return None;
        }
        let key = self.rest.split_to(key_len);
        let encoding = self.rest.get_u8();
        let value_len = read_u32(&mut self.rest)? as usize;
        if self.rest.len() < value_len {
            return None;
        }
        let data = self.rest.split_to(value_len);
        let value = Value::decode(encoding, data, "a KVAL entry").ok()?;
        Some((key, value))
    }
}

fn read_u32(b: &mut Bytes) -> Option<u32> {
    if b.len() < 4 {
        None
    } else {
        Some(b.get_u32_le())
    }
}

impl Iterator for PairsIter {
    type Item = (Bytes, Value);

    fn next(&mut self) -> Option<(Bytes, Value)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // Pairs were validated at decode time; a failure here cannot happen,
        // but it ends the iteration rather than panicking.
        let entry = self.read_entry();
        if entry.is_none() {
            self.left = 0;
        }
        entry
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left as usize))
    }
}
