//! The server side of the codec: request frame decoder and reply encoder,
//! used by `gibson-server` and by tests.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::limits::DEFAULT_MAX_REQUEST_SIZE;
use crate::reply::{Pairs, Reply, Value};
use crate::wire::{Encoding, Opcode, ReplyCode, REPLY_HEADER_LEN, REQUEST_HEADER_LEN};
use crate::ServerError;

/// One request frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The opcode.
    pub opcode: Opcode,
    /// The payload: arguments joined by spaces. Shares the read buffer.
    pub payload: Bytes,
}

/// Push decoder for request frames, with the server's checks: a size below
/// 2 or above `max_request_size`, or an unknown opcode, is an error (the
/// real server closes the connection without a reply).
///
/// ```
/// use bytes::BytesMut;
/// use gibson_proto::server::RequestDecoder;
/// use gibson_proto::Opcode;
///
/// let mut buf = BytesMut::from(&b"\x07\x00\x00\x00\x03\x00hello"[..]);
/// let req = RequestDecoder::default().decode(&mut buf).unwrap().unwrap();
/// assert_eq!((req.opcode, &req.payload[..]), (Opcode::Get, &b"hello"[..]));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequestDecoder {
    max_request_size: usize,
}

impl Default for RequestDecoder {
    fn default() -> RequestDecoder {
        RequestDecoder::new(DEFAULT_MAX_REQUEST_SIZE)
    }
}

impl RequestDecoder {
    /// A decoder refusing frames whose `size` exceeds `max_request_size`.
    pub fn new(max_request_size: usize) -> RequestDecoder {
        RequestDecoder { max_request_size }
    }

    /// Decodes one request from the front of `buf`; `Ok(None)` if incomplete.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
        if buf.len() < 4 {
            return Ok(None);
        }
        let size = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
        if size < 2 {
            return Err(ProtocolError::FrameTooSmall(size));
        }
        if u64::from(size) > self.max_request_size as u64 {
            return Err(ProtocolError::FrameTooLarge {
                size: u64::from(size),
                max: self.max_request_size as u64,
            });
        }
        if buf.len() < REQUEST_HEADER_LEN {
            return Ok(None);
        }
        let opcode = Opcode::try_from(u16::from_le_bytes([buf[4], buf[5]]))?;
        let total = 4 + size as usize;
        if buf.len() < total {
            buf.reserve(total - buf.len());
            return Ok(None);
        }
        let mut frame = buf.split_to(total).freeze();
        frame.advance(REQUEST_HEADER_LEN);
        Ok(Some(Request {
            opcode,
            payload: frame,
        }))
    }
}

fn header(dst: &mut BytesMut, code: ReplyCode, encoding: Encoding, size: u32) {
    dst.put_u16_le(code.code());
    dst.put_u8(encoding.code());
    dst.put_u32_le(size);
}

/// Appends a data-less reply (codes 0–5): encoding 0, size 1, one `00` byte.
pub fn encode_status(dst: &mut BytesMut, code: ReplyCode) {
    dst.reserve(REPLY_HEADER_LEN + 1);
    header(dst, code, Encoding::Plain, 1);
    dst.put_u8(0);
}

/// Appends the encoding byte, length and bytes of a value (as in a VAL
/// frame after its code, or in a KVAL entry). Numbers take 8 bytes.
fn put_value(dst: &mut BytesMut, value: &Value) {
    match value {
        Value::Bytes(b) => {
            dst.put_u8(Encoding::Plain.code());
            dst.put_u32_le(b.len() as u32);
            dst.put_slice(b);
        }
        Value::Int(n) => {
            dst.put_u8(Encoding::Number.code());
            dst.put_u32_le(8);
            dst.put_i64_le(*n);
        }
    }
}

/// Wire length of a value's bytes.
fn value_len(value: &Value) -> usize {
    match value {
        Value::Bytes(b) => b.len(),
        Value::Int(_) => 8,
    }
}

/// Appends a VAL reply.
pub fn encode_value(dst: &mut BytesMut, value: &Value) {
    dst.reserve(REPLY_HEADER_LEN + value_len(value));
    dst.put_u16_le(ReplyCode::Val.code());
    put_value(dst, value);
}

/// Writes a KVAL reply entry by entry, then patches its count and size.
///
/// ```
/// use bytes::BytesMut;
/// use gibson_proto::server::PairsWriter;
/// use gibson_proto::{Decoder, Reply, Value};
///
/// let mut buf = BytesMut::new();
/// let mut w = PairsWriter::begin(&mut buf);
/// w.push(&mut buf, b"a", &Value::from("1"));
/// w.push(&mut buf, b"b", &Value::Int(2));
/// w.finish(&mut buf);
/// let Some(Reply::Pairs(pairs)) = Decoder::default().decode(&mut buf).unwrap() else { panic!() };
/// assert_eq!(pairs.len(), 2);
/// ```
#[derive(Debug)]
pub struct PairsWriter {
    start: usize,
    count: u32,
}

impl PairsWriter {
    /// Starts a KVAL reply at the end of `dst`.
    pub fn begin(dst: &mut BytesMut) -> PairsWriter {
        let start = dst.len();
        header(dst, ReplyCode::Kval, Encoding::Plain, 0);
        dst.put_u32_le(0);
        PairsWriter { start, count: 0 }
    }

    /// Appends one entry.
    pub fn push(&mut self, dst: &mut BytesMut, key: &[u8], value: &Value) {
        dst.reserve(4 + key.len() + 5 + value_len(value));
        dst.put_u32_le(key.len() as u32);
        dst.put_slice(key);
        put_value(dst, value);
        self.count += 1;
    }

    /// Entries so far.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Bytes of the reply so far, header included.
    pub fn len(&self, dst: &BytesMut) -> usize {
        dst.len() - self.start
    }

    /// `true` if no entry was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Removes the unfinished reply from `dst`.
    pub fn abort(self, dst: &mut BytesMut) {
        dst.truncate(self.start);
    }

    /// Patches the count and size.
    pub fn finish(self, dst: &mut BytesMut) {
        let size = (dst.len() - self.start - REPLY_HEADER_LEN) as u32;
        dst[self.start + 3..self.start + 7].copy_from_slice(&size.to_le_bytes());
        dst[self.start + 7..self.start + 11].copy_from_slice(&self.count.to_le_bytes());
    }
}

/// Appends any reply.
pub fn encode_reply(dst: &mut BytesMut, reply: &Reply) {
    match reply {
        Reply::Ok => encode_status(dst, ReplyCode::Ok),
        Reply::Error(e) => encode_status(dst, ServerError::code(*e)),
        Reply::Value(v) => encode_value(dst, v),
        Reply::Pairs(pairs) => encode_pairs(dst, pairs),
    }
}

fn encode_pairs(dst: &mut BytesMut, pairs: &Pairs) {
    let mut w = PairsWriter::begin(dst);
    for (k, v) in pairs {
        w.push(dst, &k, &v);
    }
    w.finish(dst);
}

/// A request payload split into arguments the way Gibson 1.2.1 splits it
/// (the repository's `docs/protocol.md`, "How the server reads arguments").
///
/// Splitting never fails: deciding what an empty or missing argument means
/// is the command's business (see [`split_args`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Args<'a> {
    /// STATS, PING, END: the payload is ignored.
    None,
    /// A key or prefix alone (GET, DEL, INC, DEC, UNLOCK, MDEL, MINC, MDEC,
    /// MUNLOCK, COUNT, KEYS); anything after it is ignored.
    Key(&'a [u8]),
    /// A key or prefix, then the rest of the payload (TTL, LOCK, MSET,
    /// MTTL, MLOCK, MGET, META). `rest` is `None` when the payload ends
    /// with the key: no value part at all.
    KeyRest {
        /// The key or prefix.
        key: &'a [u8],
        /// Everything after the key's terminating byte, capped at
        /// `max_value_size`.
        rest: Option<&'a [u8]>,
    },
    /// SET: the TTL's digits, the key, and the value.
    Set {
        /// The TTL argument, unparsed.
        ttl: &'a [u8],
        /// The key.
        key: &'a [u8],
        /// The value, capped at `max_value_size`; `None` when the payload
        /// ends with the key (the real server crashes on that).
        value: Option<&'a [u8]>,
    },
}

/// Scans one word starting at `start`: it ends at a space, at the end of the
/// payload, or when the scan reaches payload offset `limit`. Returns the end
/// offset of the word.
fn scan_word(payload: &[u8], start: usize, limit: usize) -> usize {
    let limit = limit.min(payload.len());
    if start >= limit {
        return start;
    }
    match memchr::memchr(b' ', &payload[start..limit]) {
        Some(pos) => start + pos,
        None => limit,
    }
}

/// What follows the word ending at `end`: the byte at `end` (a space, or
/// the byte where a too-long key was cut) is skipped, the rest runs to the
/// end of the payload, capped at `max_value_size`.
fn rest_after(payload: &[u8], end: usize, max_value_size: usize) -> Option<&[u8]> {
    if end >= payload.len() {
        return None;
    }
    let rest = &payload[end + 1..];
    Some(&rest[..rest.len().min(max_value_size)])
}

/// Splits a payload as Gibson 1.2.1 does for `opcode`.
///
/// * A key ends at the first space, or at payload offset `max_key_size`:
///   there the real server cuts the key, drops the byte at the cut and
///   glues the remainder onto the value. For SET the TTL and its space come
///   first in the payload, so they count against `max_key_size` too (this
///   reproduces both observations in `docs/protocol.md`: `SET 0 <1030 × K> value`
///   stores a 1022-byte key with value `KKKKKKK value`, `SET 100 <1030 × R>
///   value` a 1020-byte key with value `RRRRRRRRR value`).
/// * The last argument runs to the end of the payload and may hold any
///   byte; it is cut at `max_value_size`.
///
/// ```
/// use gibson_proto::server::{split_args, Args};
/// use gibson_proto::Opcode;
///
/// assert_eq!(split_args(Opcode::Get, b"a b", 1024, 1024), Args::Key(b"a"));
/// assert_eq!(
///     split_args(Opcode::Set, b"3600 foo 3.14 x", 1024, 1024),
///     Args::Set { ttl: b"3600", key: b"foo", value: Some(b"3.14 x") },
/// );
/// assert_eq!(
///     split_args(Opcode::Ttl, b"k", 1024, 1024),
///     Args::KeyRest { key: b"k", rest: None },
/// );
/// ```
pub fn split_args(
    opcode: Opcode,
    payload: &[u8],
    max_key_size: usize,
    max_value_size: usize,
) -> Args<'_> {
    match opcode {
        Opcode::Stats | Opcode::Ping | Opcode::End => Args::None,
        Opcode::Get
        | Opcode::Del
        | Opcode::Inc
        | Opcode::Dec
        | Opcode::Unlock
        | Opcode::Mdel
        | Opcode::Minc
        | Opcode::Mdec
        | Opcode::Munlock
        | Opcode::Count
        | Opcode::Keys => {
            let end = scan_word(payload, 0, max_key_size);
            Args::Key(&payload[..end])
        }
        Opcode::Ttl
        | Opcode::Lock
        | Opcode::Mset
        | Opcode::Mttl
        | Opcode::Mlock
        | Opcode::Mget
        | Opcode::Meta => {
            let end = scan_word(payload, 0, max_key_size);
            Args::KeyRest {
                key: &payload[..end],
                rest: rest_after(payload, end, max_value_size),
            }
        }
        Opcode::Set => {
            let ttl_end = scan_word(payload, 0, max_key_size);
            let key_start = (ttl_end + 1).min(payload.len());
            let key_end = scan_word(payload, key_start, max_key_size);
            Args::Set {
                ttl: &payload[..ttl_end],
                key: &payload[key_start..key_end],
                value: rest_after(payload, key_end, max_value_size),
            }
        }
    }
}

/// Gibson's integer parser: an optional `-`, then digits; a leading `0`
/// makes the whole number 0 (`007` → 0, `0x` → 0); any other non-digit, or
/// nothing at all, is `None` (the server answers NAN). `-` alone reads 0.
/// Overflow wraps, as the C `long` arithmetic does.
///
/// ```
/// use gibson_proto::server::parse_int;
/// assert_eq!(parse_int(b"-12"), Some(-12));
/// assert_eq!(parse_int(b"007"), Some(0));
/// assert_eq!(parse_int(b"0x"), Some(0));
/// assert_eq!(parse_int(b"1x"), None);
/// assert_eq!(parse_int(b""), None);
/// ```
pub fn parse_int(bytes: &[u8]) -> Option<i64> {
    let (first, _) = bytes.split_first()?;
    let (sign, digits) = match first {
        b'0' => return Some(0),
        b'-' => (-1i64, &bytes[1..]),
        _ => (1i64, bytes),
    };
    let mut n: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.wrapping_mul(10).wrapping_add(i64::from(c - b'0'));
    }
    Some(n.wrapping_mul(sign))
}

#[cfg(test)]
mod split_tests {
    use super::*;

    /// A SET payload: `ttl`, a space, `n` times `fill`, then `tail`.
    fn set_payload(ttl: &str, fill: u8, n: usize, tail: &[u8]) -> Vec<u8> {
        let mut p = format!("{ttl} ").into_bytes();
        p.extend(std::iter::repeat_n(fill, n));
        p.extend_from_slice(tail);
        p
    }

    /// The TTL, key and value a SET payload splits into (keys of at most
    /// 1024 bytes).
    fn split_set(p: &[u8], max_value_size: usize) -> (&[u8], &[u8], Option<&[u8]>) {
        match split_args(Opcode::Set, p, 1024, max_value_size) {
            Args::Set { ttl, key, value } => (ttl, key, value),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn protocol_md_key_corruption_examples() {
        let p = set_payload("0", b'K', 1030, b" value");
        let (ttl, key, value) = split_set(&p, 2_096_127);
        assert_eq!(ttl, b"0");
        assert_eq!(key, &[b'K'; 1022][..]);
        assert_eq!(value, Some(&b"KKKKKKK value"[..]));

        let p = set_payload("100", b'R', 1030, b" value");
        let (ttl, key, value) = split_set(&p, 2_096_127);
        assert_eq!(ttl, b"100");
        assert_eq!(key, &[b'R'; 1020][..]);
        assert_eq!(value, Some(&b"RRRRRRRRR value"[..]));
    }

    #[test]
    fn largest_intact_keys() {
        let p = set_payload("0", b'k', 1022, b" v");
        let (_, key, value) = split_set(&p, 100);
        assert_eq!((key.len(), value), (1022, Some(&b"v"[..])));
        let key = vec![b'g'; 1030];
        assert_eq!(
            split_args(Opcode::Get, &key, 1024, 100),
            Args::Key(&key[..1024])
        );
    }

    #[test]
    fn missing_empty_and_leading_space() {
        assert_eq!(split_args(Opcode::Get, b"", 1024, 9), Args::Key(b""));
        assert_eq!(split_args(Opcode::Get, b" a", 1024, 9), Args::Key(b""));
        assert_eq!(
            split_args(Opcode::Set, b"0 k", 1024, 9),
            Args::Set {
                ttl: b"0",
                key: b"k",
                value: None
            }
        );
        assert_eq!(
            split_args(Opcode::Set, b"0 k ", 1024, 9),
            Args::Set {
                ttl: b"0",
                key: b"k",
                value: Some(b"")
            }
        );
        assert_eq!(
            split_args(Opcode::Set, b"0", 1024, 9),
            Args::Set {
                ttl: b"0",
                key: b"",
                value: None
            }
        );
        assert_eq!(
            split_args(Opcode::Mset, b"p a b\0c", 1024, 9),
            Args::KeyRest {
                key: b"p",
                rest: Some(b"a b\0c")
            }
        );
        assert_eq!(
            split_args(Opcode::Mset, b"p 0123456789", 1024, 4),
            Args::KeyRest {
                key: b"p",
                rest: Some(b"0123")
            }
        );
        assert_eq!(split_args(Opcode::Ping, b"junk", 1024, 9), Args::None);
    }

    #[test]
    fn integers() {
        assert_eq!(parse_int(b"3600"), Some(3600));
        assert_eq!(parse_int(b"-1"), Some(-1));
        assert_eq!(parse_int(b"-"), Some(0));
        assert_eq!(parse_int(b"0abc"), Some(0));
        assert_eq!(parse_int(b"12a"), None);
        assert_eq!(parse_int(b" 1"), None);
        assert_eq!(parse_int(b"+1"), None);
        assert_eq!(parse_int(b"99999999999"), Some(99_999_999_999));
    }
}
