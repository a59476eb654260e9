//! A sharded client's server list changing while it runs: set by the
//! application, or found by resolving names again (discovery).

use std::fmt::Display;

/// The server list of a sharded client changed (`change` says how; it
/// now has `servers`): logged at INFO (`tracing`, target `gibson`),
/// counted and the list's size set (`metrics`:
/// [`SERVER_LIST_CHANGES`](crate::metrics::SERVER_LIST_CHANGES),
/// [`SERVERS`](crate::metrics::SERVERS)).
#[inline]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub fn server_list_changed(change: &dyn Display, servers: usize) {
    #[cfg(feature = "metrics")]
    {
        metrics::counter!(crate::metrics::SERVER_LIST_CHANGES, "db.system.name" => crate::SYSTEM)
            .increment(1);
        metrics::gauge!(crate::metrics::SERVERS, "db.system.name" => crate::SYSTEM)
            .set(servers as f64);
    }
    #[cfg(feature = "tracing")]
    tracing::info!(target: "gibson", %change, servers, "the server list changed");
}

/// Resolving the names of a sharded client's servers failed (`error`
/// says which and why); the list stays as it was: logged at WARN
/// (`tracing`, target `gibson`), counted (`metrics`:
/// [`DISCOVERY_FAILURES`](crate::metrics::DISCOVERY_FAILURES)).
#[inline]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub fn discovery_failed(error: &dyn Display) {
    #[cfg(feature = "metrics")]
    metrics::counter!(crate::metrics::DISCOVERY_FAILURES, "db.system.name" => crate::SYSTEM)
        .increment(1);
    #[cfg(feature = "tracing")]
    tracing::warn!(target: "gibson", %error, "server discovery failed: the server list is kept");
}
