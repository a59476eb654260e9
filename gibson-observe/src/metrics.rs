//! The metrics' names (what they measure and their labels: see the
//! [crate docs](crate)). Install a `metrics` recorder before the first
//! request: the clients record through the global one.

/// Histogram of operation durations, in seconds.
pub const OPERATION_DURATION: &str = "db.client.operation.duration";
/// Counter of operations and connection attempts that timed out.
pub const TIMEOUTS: &str = "gibson.client.timeouts";
/// Counter of connections opened again after having been open.
pub const RECONNECTS: &str = "gibson.client.reconnects";
/// Gauge of a pool's connections, by `db.client.connection.state`.
pub const CONNECTION_COUNT: &str = "db.client.connection.count";
/// Gauge of the most connections a pool opens.
pub const CONNECTION_MAX: &str = "db.client.connection.max";
/// Counter of callers whose wait for a pool's connection ran out.
pub const CONNECTION_TIMEOUTS: &str = "db.client.connection.timeouts";

/// Counter of `get_or_compute` calls that computed without the cache
/// because the server could not be reached (`OnCacheError::ComputeWithoutCache`),
/// labelled `error.type`.
pub const COMPUTE_FAIL_OPEN: &str = "gibson.client.compute.fail_open";
/// Counter of stored values that `Lenient` read as a miss because they did
/// not decode, labelled `gibson.codec`.
pub const UNDECODABLE: &str = gibson_policy::UNDECODABLE_METRIC;

/// Counter of a sharded client's reads also sent to the next copy of
/// their key because the first copy was slow (`hedge`).
pub const HEDGES_SENT: &str = "gibson.client.hedges.sent";
/// Counter of those hedged reads the next copy answered first.
pub const HEDGES_WON: &str = "gibson.client.hedges.won";
/// Counter of changes to a sharded client's server list (set by the
/// application or found by discovery).
pub const SERVER_LIST_CHANGES: &str = "gibson.client.servers.changes";
/// Gauge of the servers in the sharded client's list after its last change.
pub const SERVERS: &str = "gibson.client.servers";
/// Counter of server discoveries that failed (the list was kept).
pub const DISCOVERY_FAILURES: &str = "gibson.client.discovery.failures";

/// The counters' help texts.
#[cfg(feature = "metrics")]
const COUNTERS: &[(&str, &str)] = &[
    (
        TIMEOUTS,
        "Operations and connection attempts that timed out",
    ),
    (RECONNECTS, "Connections opened again after a failure"),
    (
        CONNECTION_TIMEOUTS,
        "Waits for a pool's connection that ran out",
    ),
    (
        COMPUTE_FAIL_OPEN,
        "Computations done without the cache because it could not be reached",
    ),
    (
        HEDGES_SENT,
        "Reads also sent to the next copy of their key because the first was slow",
    ),
    (HEDGES_WON, "Hedged reads the next copy answered first"),
    (
        SERVER_LIST_CHANGES,
        "Changes to a sharded client's server list",
    ),
    (
        DISCOVERY_FAILURES,
        "Server discoveries that failed (the server list was kept)",
    ),
    (
        UNDECODABLE,
        "Stored values that did not decode, read as misses",
    ),
];

/// The gauges' help texts.
#[cfg(feature = "metrics")]
const GAUGES: &[(&str, &str)] = &[
    (
        CONNECTION_COUNT,
        "Connections of a pool by state (idle, used)",
    ),
    (CONNECTION_MAX, "The most connections a pool opens"),
    (SERVERS, "Servers in a sharded client's list"),
];

/// Describes the metrics (units, help) to the installed recorder; call it
/// once after installing one, if the recorder shows descriptions.
#[cfg(feature = "metrics")]
pub fn describe() {
    metrics::describe_histogram!(
        OPERATION_DURATION,
        metrics::Unit::Seconds,
        "Duration of Gibson client operations"
    );
    for &(name, help) in COUNTERS {
        metrics::describe_counter!(name, help);
    }
    for &(name, help) in GAUGES {
        metrics::describe_gauge!(name, help);
    }
}
