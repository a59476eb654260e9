//! Reply frames built by hand from the layout in docs/protocol.md (not with the
//! crate's server encoder), shared by the integration tests: `code: u16 |
//! encoding: u8 | size: u32 | data`, NUMBERs of 8 or 4 bytes, KVAL data
//! `count: u32` then per entry `key_len: u32 | key | encoding | value_len:
//! u32 | value`.

#![allow(dead_code, unreachable_pub)]

use bytes::{BufMut, Bytes};
use gibson_proto::{Pairs, Reply, ServerError, Value};

/// A value as it travels in a VAL or a KVAL entry; a NUMBER in 8 or 4 bytes.
#[derive(Debug, Clone)]
pub enum Val {
    Plain(Vec<u8>),
    Int8(i64),
    Int4(i32),
}

impl Val {
    /// Appends `encoding | size | data`.
    pub fn put(&self, out: &mut Vec<u8>) {
        match self {
            Val::Plain(b) => {
                out.put_u8(0);
                out.put_u32_le(b.len() as u32);
                out.put_slice(b);
            }
            Val::Int8(n) => {
                out.put_u8(2);
                out.put_u32_le(8);
                out.put_i64_le(*n);
            }
            Val::Int4(n) => {
                out.put_u8(2);
                out.put_u32_le(4);
                out.put_i32_le(*n);
            }
        }
    }

    /// What the decoder must return for it.
    pub fn value(&self) -> Value {
        match self {
            Val::Plain(b) => Value::Bytes(Bytes::copy_from_slice(b)),
            Val::Int8(n) => Value::Int(*n),
            Val::Int4(n) => Value::Int(i64::from(*n)),
        }
    }
}

impl From<&Value> for Val {
    /// Plain bytes, or a NUMBER in 8 bytes.
    fn from(v: &Value) -> Val {
        match v {
            Value::Bytes(b) => Val::Plain(b.to_vec()),
            Value::Int(n) => Val::Int8(*n),
        }
    }
}

/// One reply frame to put on the wire.
#[derive(Debug, Clone)]
pub enum Frame {
    Status(u16),
    Val(Val),
    Kval(Vec<(Vec<u8>, Val)>),
}

impl Frame {
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Frame::Status(code) => {
                out.put_u16_le(*code);
                out.put_u8(0);
                out.put_u32_le(1);
                out.put_u8(0);
            }
            Frame::Val(v) => {
                out.put_u16_le(6);
                // encoding byte, then size, then data: exactly `Val::put`.
                v.put(&mut out);
            }
            Frame::Kval(pairs) => {
                let mut data = Vec::new();
                data.put_u32_le(pairs.len() as u32);
                for (k, v) in pairs {
                    data.put_u32_le(k.len() as u32);
                    data.put_slice(k);
                    v.put(&mut data);
                }
                out.put_u16_le(7);
                out.put_u8(0);
                out.put_u32_le(data.len() as u32);
                out.extend_from_slice(&data);
            }
        }
        out
    }

    /// What the decoder must return for this frame.
    pub fn reply(&self) -> Reply {
        match self {
            Frame::Status(5) => Reply::Ok,
            Frame::Status(code) => Reply::Error(
                [
                    ServerError::Err,
                    ServerError::NotFound,
                    ServerError::Nan,
                    ServerError::Mem,
                    ServerError::Locked,
                ][usize::from(*code)],
            ),
            Frame::Val(v) => Reply::Value(v.value()),
            Frame::Kval(_) => {
                let bytes = self.bytes();
                Reply::Pairs(Pairs::parse(Bytes::copy_from_slice(&bytes[7..])).unwrap())
            }
        }
    }

    /// The entries of a KVAL as the decoder must list them.
    pub fn pairs(&self) -> Option<Vec<(Bytes, Value)>> {
        match self {
            Frame::Kval(pairs) => Some(
                pairs
                    .iter()
                    .map(|(k, v)| (Bytes::copy_from_slice(k), v.value()))
                    .collect(),
            ),
            _ => None,
        }
    }
}

/// Appends a data-less reply (`code 0 | 1 | 00`).
pub fn status(out: &mut Vec<u8>, code: u16) {
    out.extend(Frame::Status(code).bytes());
}

/// Appends a VAL of plain bytes.
pub fn val(out: &mut Vec<u8>, v: &[u8]) {
    out.extend(Frame::Val(Val::Plain(v.to_vec())).bytes());
}

/// Appends a VAL NUMBER of 8 bytes.
pub fn num(out: &mut Vec<u8>, n: i64) {
    out.extend(Frame::Val(Val::Int8(n)).bytes());
}

/// Appends a KVAL of plain values.
pub fn kval(out: &mut Vec<u8>, pairs: &[(&[u8], &[u8])]) {
    let pairs = pairs
        .iter()
        .map(|(k, v)| (k.to_vec(), Val::Plain(v.to_vec())))
        .collect();
    out.extend(Frame::Kval(pairs).bytes());
}

/// The KVAL reply of these pairs, as the decoder returns it.
pub fn kval_reply(pairs: &[(&str, Value)]) -> Reply {
    let pairs = pairs
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), Val::from(v)))
        .collect();
    Frame::Kval(pairs).reply()
}
