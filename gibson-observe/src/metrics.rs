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

/// Describes the metrics (units, help) to the installed recorder; call it
/// once after installing one, if the recorder shows descriptions.
#[cfg(feature = "metrics")]
pub fn describe() {
    use metrics::Unit;
    metrics::describe_histogram!(
        OPERATION_DURATION,
        Unit::Seconds,
        "Duration of Gibson client operations"
    );
    metrics::describe_counter!(
        TIMEOUTS,
        "Operations and connection attempts that timed out"
    );
    metrics::describe_counter!(RECONNECTS, "Connections opened again after a failure");
    metrics::describe_gauge!(
        CONNECTION_COUNT,
        "Connections of a pool by state (idle, used)"
    );
    metrics::describe_gauge!(CONNECTION_MAX, "The most connections a pool opens");
    metrics::describe_counter!(
        CONNECTION_TIMEOUTS,
        "Waits for a pool's connection that ran out"
    );
    metrics::describe_counter!(
        COMPUTE_FAIL_OPEN,
        "Computations done without the cache because it could not be reached"
    );
    metrics::describe_counter!(
        HEDGES_SENT,
        "Reads also sent to the next copy of their key because the first was slow"
    );
    metrics::describe_counter!(HEDGES_WON, "Hedged reads the next copy answered first");
    metrics::describe_counter!(
        SERVER_LIST_CHANGES,
        "Changes to a sharded client's server list"
    );
    metrics::describe_gauge!(SERVERS, "Servers in a sharded client's list");
    metrics::describe_counter!(
        DISCOVERY_FAILURES,
        "Server discoveries that failed (the server list was kept)"
    );
    metrics::describe_counter!(
        UNDECODABLE,
        "Stored values that did not decode, read as misses"
    );
}
