//! Recording the metrics through the `metrics` crate's global recorder
//! (install it before the first request).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use gibson_proto::Error;
use metrics::{Histogram, Label, SharedString};

use crate::metrics::{
    CONNECTION_COUNT, CONNECTION_MAX, CONNECTION_TIMEOUTS, OPERATION_DURATION, RECONNECTS, TIMEOUTS,
};
use crate::names::SLOTS;
use crate::server::Server;

fn shared(s: &Arc<str>) -> SharedString {
    SharedString::from_shared(s.clone())
}

/// `server.address` and `server.port` (none for a socket).
fn server_labels(server: &Server, labels: &mut Vec<Label>) {
    labels.push(Label::new("server.address", shared(&server.address)));
    if let Some(port) = &server.port_label {
        labels.push(Label::new("server.port", shared(port)));
    }
}

/// A server's duration histograms of successful operations outside
/// labelled namespaces, one per operation name, registered on first use:
/// the common case costs no labels, no key and no lookup in the recorder.
#[derive(Debug)]
pub(crate) struct Durations([OnceLock<Histogram>; SLOTS]);

impl Default for Durations {
    fn default() -> Durations {
        Durations(std::array::from_fn(|_| OnceLock::new()))
    }
}

/// An operation's name and start.
#[derive(Debug)]
pub(crate) struct Timing {
    name: &'static str,
    /// Its place in [`Durations`].
    slot: usize,
    start: Instant,
}

impl Timing {
    pub(crate) fn start(name: &'static str, slot: usize) -> Timing {
        Timing {
            name,
            slot,
            start: Instant::now(),
        }
    }

    /// Records the duration, and a timeout.
    pub(crate) fn finish(&self, server: &Server, error: Option<&Error>) {
        let elapsed = self.start.elapsed().as_secs_f64();
        let namespace = crate::label::current();
        let labels = || {
            let mut labels = Vec::with_capacity(6);
            labels.push(Label::from_static_parts("db.system.name", crate::SYSTEM));
            labels.push(Label::from_static_parts("db.operation.name", self.name));
            server_labels(server, &mut labels);
            labels
        };
        if error.is_none() && namespace.is_none() {
            if let Some(durations) = server.durations.0.get(self.slot) {
                durations
                    .get_or_init(|| metrics::histogram!(OPERATION_DURATION, labels()))
                    .record(elapsed);
                return;
            }
        }
        let mut labels = labels();
        if let Some(namespace) = namespace {
            labels.push(Label::new(
                "gibson.namespace",
                SharedString::from_shared(namespace),
            ));
        }
        if let Some(e) = error {
            if matches!(e, Error::Timeout { .. }) {
                metrics::counter!(TIMEOUTS, labels.clone()).increment(1);
            }
            labels.push(Label::from_static_parts("error.type", crate::error_type(e)));
        }
        metrics::histogram!(OPERATION_DURATION, labels).record(elapsed);
    }
}

/// A connection attempt ended: a reconnect, or a timeout.
pub(crate) fn connected(server: &Server, reconnect: bool, error: Option<&Error>) {
    let timed_out = matches!(error, Some(Error::Timeout { .. }));
    if error.is_some() && !timed_out || error.is_none() && !reconnect {
        return;
    }
    let mut labels = Vec::with_capacity(4);
    labels.push(Label::from_static_parts("db.system.name", crate::SYSTEM));
    server_labels(server, &mut labels);
    if timed_out {
        labels.push(Label::from_static_parts("db.operation.name", "CONNECT"));
        metrics::counter!(TIMEOUTS, labels).increment(1);
    } else {
        metrics::counter!(RECONNECTS, labels).increment(1);
    }
}

fn pool_labels(server: &Server) -> Vec<Label> {
    vec![
        Label::from_static_parts("db.system.name", crate::SYSTEM),
        Label::new("db.client.connection.pool.name", shared(&server.name)),
    ]
}

/// A pool's connections: `idle` and `used` ones, at most `max`.
pub(crate) fn pool_connections(server: &Server, idle: usize, used: usize, max: usize) {
    let labels = pool_labels(server);
    let with_state = |state: &'static str, n: usize| {
        let mut labels = labels.clone();
        labels.push(Label::from_static_parts(
            "db.client.connection.state",
            state,
        ));
        metrics::gauge!(CONNECTION_COUNT, labels).set(n as f64);
    };
    with_state("idle", idle);
    with_state("used", used);
    metrics::gauge!(CONNECTION_MAX, labels).set(max as f64);
}

/// A caller's wait for a pool's connection ran out.
pub(crate) fn pool_timeout(server: &Server) {
    metrics::counter!(CONNECTION_TIMEOUTS, pool_labels(server)).increment(1);
}
