//! The local memory: values by key, bounded by entries and by bytes.

use std::sync::Arc;

use bytes::Bytes;
use gibson_proto::Value;
use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Lifecycle, Weighter};

use crate::stats::{count, Counters};

/// What an entry costs beyond its key and value bytes: the entry, the
/// map's slot and the value's buffer header, rounded up.
pub const ENTRY_OVERHEAD: u64 = 96;

/// A value held locally, with what makes it servable.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) value: Value,
    /// The epoch of its prefix when it was fetched: it serves only while
    /// the prefix is still in that epoch.
    pub(crate) epoch: u64,
    /// When it must no longer be served (clock ticks of `Near`), from the
    /// item's TTL on the server; `u64::MAX` for none.
    pub(crate) expires: u64,
}

/// Weighs an entry by its bytes, and at least a fair share of the byte
/// bound, so that one weight bound keeps both the byte and the entry
/// bounds: `n` entries of at least `max_bytes / max_entries` each fit in
/// `max_bytes` only if `n <= max_entries`.
#[derive(Debug, Clone)]
struct Weigh {
    floor: u64,
}

impl Weighter<Bytes, Entry> for Weigh {
    fn weight(&self, key: &Bytes, entry: &Entry) -> u64 {
        let value = entry.value.as_bytes().map_or(8, |b| b.len() as u64);
        (key.len() as u64 + value + ENTRY_OVERHEAD).max(self.floor)
    }
}

/// Counts the entries an insert pushed out: the cache also reports the
/// entry an insert replaced, and a value too big to admit, under the
/// inserted key, and neither is an eviction.
#[derive(Debug, Clone, Copy, Default)]
struct Evictions;

/// One insert: its key, and how many other entries it pushed out.
#[derive(Debug, Default)]
struct Insert {
    key: Bytes,
    evicted: u64,
}

impl Lifecycle<Bytes, Entry> for Evictions {
    type RequestState = Insert;

    fn on_evict(&self, insert: &mut Insert, key: Bytes, _: Entry) {
        insert.evicted += u64::from(key != insert.key);
    }
}

/// Values by key.
pub(crate) struct Store {
    cache: Cache<Bytes, Entry, Weigh, DefaultHashBuilder, Evictions>,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("entries", &self.cache.len())
            .field("bytes", &self.cache.weight())
            .finish()
    }
}

impl Store {
    pub(crate) fn new(max_entries: usize, max_bytes: u64, counters: Arc<Counters>) -> Store {
        let floor = max_bytes.div_ceil(max_entries as u64).max(1);
        Store {
            cache: Cache::with(
                max_entries.min(1 << 20),
                max_bytes,
                Weigh { floor },
                DefaultHashBuilder::default(),
                Evictions,
            ),
            counters,
        }
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<Entry> {
        self.cache.get(key)
    }

    pub(crate) fn insert(&self, key: Bytes, entry: Entry) {
        let mut insert = Insert {
            key: key.clone(),
            evicted: 0,
        };
        self.cache.insert_with_lifecycle(key, entry, &mut insert);
        if insert.evicted > 0 {
            count!(self.counters, evictions, insert.evicted);
        }
    }

    pub(crate) fn remove(&self, key: &[u8]) {
        self.cache.remove(key);
    }

    /// The entries held now.
    pub(crate) fn len(&self) -> usize {
        self.cache.len()
    }

    /// The weight held now: bytes, counting each entry at least its share.
    pub(crate) fn weight(&self) -> u64 {
        self.cache.weight()
    }
}
