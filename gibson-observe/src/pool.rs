//! A pool's gauges and timeouts (nothing without the `metrics` feature).

use crate::server::Server;

/// A pool of connections to `server` has `idle` and `used` connections
/// open, and opens at most `max`.
#[inline]
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub fn pool_connections(server: &Server, idle: usize, used: usize, max: usize) {
    #[cfg(feature = "metrics")]
    crate::record::pool_connections(server, idle, used, max);
}

/// A caller's wait for a connection of the pool of `server` ran out.
#[inline]
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub fn pool_timeout(server: &Server) {
    #[cfg(feature = "metrics")]
    crate::record::pool_timeout(server);
}
