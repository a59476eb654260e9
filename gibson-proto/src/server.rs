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
