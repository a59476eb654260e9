//! Turning fuzzer bytes into decisions: a cursor over the input, a chunking
//! plan, and well-formed replies.

use gibson_proto::bytes::{BufMut, Bytes};
use gibson_proto::{Pairs, Reply, ServerError, Value};

/// A cursor over the fuzzer's bytes. Reads past the end give zeros (or
/// empty slices), so every input is a valid program.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Input<'a> {
        Input { data }
    }

    /// `true` when every byte was read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte, 0 past the end.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next 4 bytes as a little-endian `u32` (missing bytes are 0).
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// The next 8 bytes as a little-endian `u64` (missing bytes are 0).
    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | u64::from(self.u32()) << 32
    }

    /// A length byte (modulo `max + 1`), then that many bytes (fewer at the
    /// end of the input).
    pub fn bytes(&mut self, max: usize) -> &'a [u8] {
        let n = usize::from(self.byte()) % (max + 1);
        let (head, tail) = self.data.split_at(n.min(self.data.len()));
        self.data = tail;
        head
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

/// Chunk lengths for feeding a stream: all of it at once, 1 byte at a time,
/// or pseudo-random lengths.
#[derive(Debug, Clone)]
pub(crate) struct Chunks {
    /// 0: 1-byte chunks; 255: the whole stream; else lengths in `1..=4 * mode`.
    mode: u8,
    state: u32,
}

impl Chunks {
    pub(crate) fn new(mode: u8, seed: u32) -> Chunks {
        Chunks {
            mode,
            state: seed | 1,
        }
    }

    pub(crate) fn whole() -> Chunks {
        Chunks::new(255, 1)
    }

    pub(crate) fn next_len(&mut self) -> usize {
        match self.mode {
            0 => 1,
            255 => usize::MAX,
            m => {
                // xorshift32
                self.state ^= self.state << 13;
                self.state ^= self.state >> 17;
                self.state ^= self.state << 5;
                1 + self.state as usize % (4 * usize::from(m))
            }
        }
    }
}

/// A well-formed reply of any kind (KVAL numbers are 8 bytes, as the server
/// and `encode_reply` send them, so that re-encoding is byte-identical).
pub(crate) fn gen_reply(input: &mut Input<'_>) -> Reply {
    match input.byte() % 9 {
        0 => Reply::Ok,
        1 => Reply::Error(ServerError::Err),
        2 => Reply::Error(ServerError::NotFound),
        3 => Reply::Error(ServerError::Nan),
        4 => Reply::Error(ServerError::Mem),
        5 => Reply::Error(ServerError::Locked),
        6 => Reply::Value(Value::Bytes(Bytes::copy_from_slice(input.bytes(32)))),
        7 => Reply::Value(Value::Int(input.u64() as i64)),
        _ => {
            let count = input.byte() % 5;
            let mut data = Vec::new();
            data.put_u32_le(u32::from(count));
            for _ in 0..count {
                let key = input.bytes(8);
                data.put_u32_le(key.len() as u32);
                data.put_slice(key);
                if input.byte() & 1 == 0 {
                    let value = input.bytes(16);
                    data.put_u8(0);
                    data.put_u32_le(value.len() as u32);
                    data.put_slice(value);
                } else {
                    data.put_u8(2);
                    data.put_u32_le(8);
                    data.put_u64_le(input.u64());
                }
            }
            Reply::Pairs(Pairs::parse(Bytes::from(data)).expect("well-formed KVAL data"))
        }
    }
}
