//! Multi-key (KVAL) replies under `max_response_size`, which the real
//! server counts over the reply data from its 4-byte count on, without the
//! 7-byte header (net.c `gbClientEnqueueKeyValueSet`).

use bytes::BytesMut;
use gibson_proto::server::PairsWriter;
use gibson_proto::Value;

/// Bytes of a reply header before the KVAL data.
const HEADER_LEN: usize = 7;

/// A KVAL reply being written at the end of a buffer.
pub(crate) struct KvalReply {
    writer: PairsWriter,
    start: usize,
    max_data: usize,
}

impl KvalReply {
    pub(crate) fn begin(out: &mut BytesMut, max_response_size: usize) -> KvalReply {
        let start = out.len();
        KvalReply {
            writer: PairsWriter::begin(out),
            start,
            max_data: max_response_size,
        }
    }

    /// Appends an entry; `false` (the reply removed) when the data would
    /// exceed `max_response_size`: the caller drops the connection.
    pub(crate) fn push(&mut self, out: &mut BytesMut, key: &[u8], value: &Value) -> bool {
        self.writer.push(out, key, value);
        if self.writer.len(out) - HEADER_LEN > self.max_data {
            out.truncate(self.start);
            return false;
        }
        true
    }

    /// Completes the reply with the number of entries written.
    pub(crate) fn finish(self, out: &mut BytesMut) {
        self.writer.finish(out);
    }

    /// Completes the reply announcing `count` entries whatever was written
    /// (MGET's short reply over expired items).
    pub(crate) fn finish_with_count(self, out: &mut BytesMut, count: u32) {
        let at = self.start + HEADER_LEN;
        self.writer.finish(out);
        out[at..at + 4].copy_from_slice(&count.to_le_bytes());
    }
}
