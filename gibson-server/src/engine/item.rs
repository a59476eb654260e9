//! A stored item and the rules that read it: expiry, locks, the numbers
//! INC and DEC accept.

use bytes::Bytes;
use gibson_proto::server::parse_int;
use gibson_proto::Value;

/// What an item holds.
#[derive(Debug, Clone)]
pub(crate) enum Data {
    Plain(Bytes),
    Lzf { packed: Bytes, len: usize },
    Number(i64),
}

/// One stored item.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) data: Data,
    /// Creation time, restarted by TTL, MTTL, LOCK, MLOCK: the TTL and the
    /// lock both count from here.
    pub(crate) time: i64,
    pub(crate) access: i64,
    /// Seconds, as the real server stores them: 16 bits (see
    /// [`stored_ttl`]). Only a value above 0 expires.
    pub(crate) ttl: i16,
    /// Lock seconds: 0 none, -1 until UNLOCK; 64 bits, never capped.
    pub(crate) lock: i64,
}

/// The TTL the real server stores for a requested `ttl` (SET with ttl > 0,
/// TTL, MTTL): the cap compares as unsigned, so a negative TTL becomes
/// `max_item_ttl`, and the result is cut to 16 bits (net.h `short ttl`).
pub(crate) fn stored_ttl(ttl: i64, max_item_ttl: u64) -> i16 {
    let capped = if ttl < 0 {
        max_item_ttl
    } else {
        (ttl as u64).min(max_item_ttl)
    };
    capped as i16
}

impl Item {
    /// A fresh item created at `now`, without TTL or lock.
    pub(crate) fn new(data: Data, now: i64) -> Item {
        Item {
            data,
            time: now,
            access: now,
            ttl: -1,
            lock: 0,
        }
    }

    pub(crate) fn stored_size(&self) -> usize {
        match &self.data {
            Data::Plain(b) => b.len(),
            Data::Lzf { packed, .. } => packed.len(),
            Data::Number(_) => 8,
        }
    }

    pub(crate) fn encoding(&self) -> i64 {
        match self.data {
            Data::Plain(_) => 0,
            Data::Lzf { .. } => 1,
            Data::Number(_) => 2,
        }
    }

    pub(crate) fn is_lzf(&self) -> bool {
        matches!(self.data, Data::Lzf { .. })
    }

    pub(crate) fn expired(&self, now: i64) -> bool {
        self.ttl > 0 && now - self.time >= i64::from(self.ttl)
    }

    pub(crate) fn locked(&self, now: i64) -> bool {
        self.lock == -1 || now.wrapping_sub(self.time) < self.lock
    }

    /// The value as sent to clients: LZF data is decompressed.
    pub(crate) fn value(&self) -> Value {
        match &self.data {
            Data::Plain(b) => Value::Bytes(b.clone()),
            Data::Number(n) => Value::Int(*n),
            Data::Lzf { packed, len } => match lzf::decompress(packed, *len) {
                Ok(v) => Value::Bytes(Bytes::from(v)),
                // Cannot happen for data we compressed ourselves.
                Err(_) => Value::Bytes(Bytes::new()),
            },
        }
    }

    /// The item as a number for INC/DEC: numbers and plain values that
    /// parse; `None` otherwise (LZF data never parses).
    pub(crate) fn as_number(&self) -> Option<i64> {
        match &self.data {
            Data::Number(n) => Some(*n),
            Data::Plain(b) => parse_int(b),
            Data::Lzf { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_are_stored_in_16_bits_after_an_unsigned_cap() {
        const MAX: u64 = 2_592_000;
        assert_eq!(stored_ttl(65_537, MAX), 1);
        assert_eq!(stored_ttl(40_000, MAX), -25_536);
        assert_eq!(stored_ttl(-1, MAX), -29_440);
        assert_eq!(stored_ttl(0, MAX), 0);
        assert_eq!(stored_ttl(5, 3), 3);
    }
}
