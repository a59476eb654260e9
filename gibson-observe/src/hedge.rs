//! Hedged reads of a sharded client with copies of keys.

/// Counts a read sent to a second copy of its key because the first was
/// slow (`metrics`: [`HEDGES_SENT`](crate::metrics::HEDGES_SENT)).
#[inline]
pub fn hedge_sent() {
    #[cfg(feature = "metrics")]
    metrics::counter!(crate::metrics::HEDGES_SENT, "db.system.name" => crate::SYSTEM).increment(1);
}

/// Counts a hedged read the second copy answered first (`metrics`:
/// [`HEDGES_WON`](crate::metrics::HEDGES_WON)).
#[inline]
pub fn hedge_won() {
    #[cfg(feature = "metrics")]
    metrics::counter!(crate::metrics::HEDGES_WON, "db.system.name" => crate::SYSTEM).increment(1);
}
