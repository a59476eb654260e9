//! What a near cache has done: [`NearStats`].

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A near cache's counters since it was made (a snapshot). With the
/// feature `metrics`, each is also the counter
/// `gibson.client.near.<field>` (`gibson.client.near.hits`, …) of the
/// installed `metrics` recorder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NearStats {
    /// Reads answered from local memory.
    pub hits: u64,
    /// Reads of a cached prefix that went to the server and kept the value.
    pub misses: u64,
    /// Reads of a cached prefix that went to the server without keeping the
    /// value: another reader was reading the prefix's version key, the
    /// value was about to expire, or a write made it stale on arrival.
    pub bypasses: u64,
    /// Values dropped to stay within the bounds.
    pub evictions: u64,
    /// Reads of a version key.
    pub version_checks: u64,
    /// Version keys found changed by another client: each one dropped the
    /// local copies of its prefix.
    pub invalidations: u64,
    /// Hits that may have been stale: served between a version check and
    /// the next one that found the version changed (at most
    /// `max_staleness` after the write).
    pub stale_serves: u64,
    /// Writes and pipelines with writes that bumped version keys.
    pub bumps: u64,
}

/// The live counters behind [`NearStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) bypasses: AtomicU64,
    pub(crate) evictions: AtomicU64,
    pub(crate) version_checks: AtomicU64,
    pub(crate) invalidations: AtomicU64,
    pub(crate) stale_serves: AtomicU64,
    pub(crate) bumps: AtomicU64,
}

/// Adds `n` to a counter, and to its metric `gibson.client.near.<field>`.
macro_rules! count {
    ($counters:expr, $field:ident, $n:expr) => {{
        let n: u64 = $n;
        $counters
            .$field
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        metrics::counter!(concat!("gibson.client.near.", stringify!($field))).increment(n);
    }};
}
pub(crate) use count;

impl Counters {
    pub(crate) fn snapshot(&self) -> NearStats {
        NearStats {
            hits: self.hits.load(Relaxed),
            misses: self.misses.load(Relaxed),
            bypasses: self.bypasses.load(Relaxed),
            evictions: self.evictions.load(Relaxed),
            version_checks: self.version_checks.load(Relaxed),
            invalidations: self.invalidations.load(Relaxed),
            stale_serves: self.stale_serves.load(Relaxed),
            bumps: self.bumps.load(Relaxed),
        }
    }
}
