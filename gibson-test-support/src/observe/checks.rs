//! What the observability suite expects of the spans and metrics its
//! scenarios produced: written once, for every client.

use gibson_observe::metrics::{
    CONNECTION_COUNT, CONNECTION_MAX, CONNECTION_TIMEOUTS, OPERATION_DURATION, RECONNECTS, TIMEOUTS,
};
use gibson_policy::Addr;

use super::metrics::{series, Series};
use super::spans::SpanRecord;

/// The spans of operations (not connection attempts).
fn operations(spans: &[SpanRecord]) -> Vec<&SpanRecord> {
    spans
        .iter()
        .filter(|s| s.name != "gibson.connect")
        .collect()
}

/// `server.address` and `server.port` as the client reports `addr`.
fn server_fields(addr: &Addr) -> (String, Option<String>) {
    match addr {
        Addr::Tcp { host, port } => (host.clone(), Some(port.to_string())),
        Addr::Unix(path) => (path.display().to_string(), None),
    }
}

fn assert_server(span: &SpanRecord, addr: &Addr) {
    let (address, port) = server_fields(addr);
    assert_eq!(
        span.field("server.address"),
        Some(address.as_str()),
        "{span:?}"
    );
    assert_eq!(span.field("server.port"), port.as_deref(), "{span:?}");
}

/// One span per command, named after it, in order, with the database
/// fields and no error; the first connection attempt before them.
pub fn commands_have_spans(spans: &[SpanRecord], addr: &Addr, names: &[&str]) {
    let ops = operations(spans);
    let got: Vec<&str> = ops.iter().map(|s| s.name).collect();
    assert_eq!(got, names, "all spans: {spans:#?}");
    for span in ops {
        assert_eq!(span.field("db.system.name"), Some("gibson"), "{span:?}");
        assert_eq!(span.field("db.operation.name"), Some(span.name), "{span:?}");
        assert_eq!(span.field("otel.kind"), Some("client"), "{span:?}");
        assert_eq!(span.field("error.type"), None, "{span:?}");
        assert_eq!(span.field("db.operation.batch.size"), None, "{span:?}");
        assert_server(span, addr);
    }
    let connect = spans
        .iter()
        .find(|s| s.name == "gibson.connect")
        .unwrap_or_else(|| panic!("no connect span in {spans:#?}"));
    assert_eq!(connect.field("gibson.connect.attempt"), Some("1"));
    assert_eq!(connect.field("gibson.reconnect"), Some("false"));
    assert_server(connect, addr);
}

/// Pipelines of 3 GETs, of a SET and a GET, and of one GET: `BATCH GET`
/// of 3, `PIPELINE` of 2, and `GET` (one command is not a batch).
pub fn pipelines_have_batch_spans(spans: &[SpanRecord], addr: &Addr) {
    let ops = operations(spans);
    let got: Vec<(&str, Option<&str>)> = ops
        .iter()
        .map(|s| (s.name, s.field("db.operation.batch.size")))
        .collect();
    assert_eq!(
        got,
        [
            ("BATCH GET", Some("3")),
            ("PIPELINE", Some("2")),
            ("GET", None)
        ],
        "all spans: {spans:#?}"
    );
    for span in ops {
        assert_eq!(span.field("db.operation.name"), Some(span.name), "{span:?}");
        assert_eq!(span.field("error.type"), None, "{span:?}");
        assert_server(span, addr);
    }
}

/// Each operation span's name, `db.operation.batch.size` and
/// `gibson.batch.failures`.
fn batches(spans: &[SpanRecord]) -> Vec<(&str, Option<&str>, Option<&str>)> {
    operations(spans)
        .iter()
        .map(|s| {
            let field = |name| s.field(name);
            (
                s.name,
                field("db.operation.batch.size"),
                field("gibson.batch.failures"),
            )
        })
        .collect()
}

/// Operation spans with the server's fields, their name as
/// `db.operation.name`, no `error.type` and no error status.
fn assert_no_error(spans: &[SpanRecord], addr: &Addr) {
    for span in operations(spans) {
        assert_eq!(span.field("db.operation.name"), Some(span.name), "{span:?}");
        assert_eq!(span.field("error.type"), None, "{span:?}");
        assert_eq!(span.field("otel.status_code"), None, "{span:?}");
        assert_server(span, addr);
    }
}

/// A pipeline of 4 commands, one of which failed (a LOCKED SET; a miss
/// is no failure), counts it in `gibson.batch.failures` and has no
/// `error.type` (the pipeline went through); one of 2 hits counts none.
pub fn failed_commands_are_counted(spans: &[SpanRecord], addr: &Addr) {
    assert_eq!(
        batches(spans),
        [
            ("PIPELINE", Some("4"), Some("1")),
            ("BATCH GET", Some("2"), None)
        ],
        "all spans: {spans:#?}"
    );
    assert_no_error(spans, addr);
}

/// `run_all` of 3 SETs (one of a locked key), of 1 GET and of no PING:
/// batches of 3 (1 failed), of no size (one command is not a batch) and
/// of 0.
pub fn streams_are_batches(spans: &[SpanRecord], addr: &Addr) {
    assert_eq!(
        batches(spans),
        [
            ("BATCH SET", Some("3"), Some("1")),
            ("BATCH GET", None, None),
            ("BATCH PING", Some("0"), None)
        ],
        "all spans: {spans:#?}"
    );
    assert_no_error(spans, addr);
}

/// A duration of each operation `names` to a proxy on `127.0.0.1:port`,
/// with the labels `more`.
fn durations_of(port: u16, names: &[&str], more: &[(&str, &str)]) {
    let port = port.to_string();
    for name in names {
        let mut labels = vec![
            ("server.address", "127.0.0.1"),
            ("server.port", port.as_str()),
            ("db.operation.name", *name),
        ];
        labels.extend_from_slice(more);
        let found = one(OPERATION_DURATION, &labels);
        assert!(!found.histogram.is_empty(), "{found:?}");
    }
}

/// The streams of [`streams_are_batches`], through a proxy on
/// `127.0.0.1:port`, have durations.
pub fn streams_have_metrics(port: u16) {
    durations_of(port, &["BATCH SET", "BATCH GET", "BATCH PING"], &[]);
}

/// The operations `names` of a namespace labelled `label`, through a
/// proxy on `127.0.0.1:port`, carry the label.
pub fn namespace_methods_are_labelled(port: u16, label: &str, names: &[&str]) {
    durations_of(port, names, &[("gibson.namespace", label)]);
}

/// A PING that timed out has `error.type = timeout` on its span, and a
/// connection attempt after the connection broke is a reconnect.
pub fn failures_and_reconnects_have_spans(spans: &[SpanRecord]) {
    let failed = spans
        .iter()
        .find(|s| s.name == "PING" && s.field("error.type").is_some())
        .unwrap_or_else(|| panic!("no failed PING in {spans:#?}"));
    assert_eq!(failed.field("error.type"), Some("timeout"), "{failed:?}");
    assert_eq!(
        failed.field("otel.status_code"),
        Some("ERROR"),
        "{failed:?}"
    );
    let reconnect = spans
        .iter()
        .find(|s| s.name == "gibson.connect" && s.field("gibson.reconnect") == Some("true"))
        .unwrap_or_else(|| panic!("no reconnect span in {spans:#?}"));
    assert_eq!(reconnect.field("gibson.connect.attempt"), Some("1"));
    assert_eq!(reconnect.field("error.type"), None, "{reconnect:?}");
}

fn one(name: &str, labels: &[(&str, &str)]) -> Series {
    let found = series(name, labels);
    assert!(!found.is_empty(), "no {name} with {labels:?}");
    let mut all = found.into_iter();
    let mut first = all.next().unwrap_or_default();
    for s in all {
        first.counter += s.counter;
        first.histogram.extend(s.histogram);
        first.gauges.extend(s.gauges);
    }
    first
}

/// The metrics of the operations scenario, run through a proxy on
/// `127.0.0.1:port` (its own series): GET durations without error, a
/// namespace's label, a PING timeout (counter and duration), a reconnect.
pub fn operations_have_metrics(port: u16) {
    let port = port.to_string();
    let server = [
        ("server.address", "127.0.0.1"),
        ("server.port", port.as_str()),
    ];
    let with = |more: &[(&'static str, &'static str)]| {
        let mut labels = server.to_vec();
        labels.extend_from_slice(more);
        labels
    };
    let gets = series(
        OPERATION_DURATION,
        &with(&[("db.operation.name", "GET"), ("db.system.name", "gibson")]),
    );
    let ok: Vec<_> = gets
        .iter()
        .filter(|s| !s.labels.contains_key("error.type"))
        .collect();
    assert!(!ok.is_empty(), "no GET duration without error: {gets:?}");
    assert!(
        ok.iter().any(|s| s.histogram.iter().any(|&d| d > 0.0)),
        "{ok:?}"
    );
    let labelled = one(
        OPERATION_DURATION,
        &with(&[
            ("db.operation.name", "GET"),
            ("gibson.namespace", "observed"),
        ]),
    );
    assert!(!labelled.histogram.is_empty(), "{labelled:?}");
    let timeouts = one(TIMEOUTS, &with(&[("db.operation.name", "PING")]));
    assert!(timeouts.counter >= 1, "{timeouts:?}");
    let timed_out = one(
        OPERATION_DURATION,
        &with(&[("db.operation.name", "PING"), ("error.type", "timeout")]),
    );
    assert!(!timed_out.histogram.is_empty(), "{timed_out:?}");
    let reconnects = one(RECONNECTS, &server);
    assert!(reconnects.counter >= 1, "{reconnects:?}");
}

/// The name of the pool of a proxy on `127.0.0.1:port`, as a label.
fn pool_label(name: &str) -> (&'static str, &str) {
    ("db.client.connection.pool.name", name)
}

/// A pool of connections to `127.0.0.1:port` with one connection open and
/// idle now: its gauges say so, and that it opens at most `max`.
pub fn pool_has_an_idle_connection(port: u16, max: usize) {
    let name = format!("127.0.0.1:{port}");
    let pool = pool_label(&name);
    let idle = one(
        CONNECTION_COUNT,
        &[pool, ("db.client.connection.state", "idle")],
    );
    assert_eq!(idle.gauges.last(), Some(&1.0), "{idle:?}");
    let used = one(
        CONNECTION_COUNT,
        &[pool, ("db.client.connection.state", "used")],
    );
    assert_eq!(used.gauges.last(), Some(&0.0), "{used:?}");
    let most = one(CONNECTION_MAX, &[pool]);
    assert!(most.gauges.contains(&(max as f64)), "{most:?}");
}

/// A caller's wait for a connection of the pool of `127.0.0.1:port` ran
/// out, and was counted.
pub fn pool_wait_ran_out(port: u16) {
    let name = format!("127.0.0.1:{port}");
    let waits = one(CONNECTION_TIMEOUTS, &[pool_label(&name)]);
    assert!(waits.counter >= 1, "{waits:?}");
}

/// `events` hold `times` WARN events whose message contains `message` and
/// whose field `key` ends with `key`.
pub fn warned(events: &[SpanRecord], key: &str, message: &str, times: usize) {
    let matching = events
        .iter()
        .filter(|e| e.name == "WARN")
        .filter(|e| e.field("message").is_some_and(|m| m.contains(message)))
        .filter(|e| e.field("key").is_some_and(|k| k.ends_with(key)))
        .count();
    assert_eq!(matching, times, "WARN `{message}` for {key} in {events:#?}");
}
