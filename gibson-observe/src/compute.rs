//! The stampede guard's fail-open computations (`get_or_compute` with
//! `OnCacheError::ComputeWithoutCache`).

use gibson_proto::Error;

/// A `get_or_compute` computes without the cache because of `error` (the
/// server could not be reached): counted (`metrics`), logged at WARN
/// (`tracing`, target `gibson`).
#[inline]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub fn compute_fail_open(key: &[u8], error: &Error) {
    #[cfg(feature = "metrics")]
    metrics::counter!(
        crate::metrics::COMPUTE_FAIL_OPEN,
        "db.system.name" => crate::SYSTEM,
        "error.type" => crate::error_type(error)
    )
    .increment(1);
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "gibson",
        key = %gibson_proto::escape(key),
        error = %error,
        "the cache cannot be reached: computing without it"
    );
}
