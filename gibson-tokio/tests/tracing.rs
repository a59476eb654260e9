//! The `tracing` feature: one span per command, named `gibson`, with the
//! command as a field. `cargo test -p gibson-tokio --features tracing`.
#![cfg(feature = "tracing")]

use std::sync::{Arc, Mutex};

use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{Connection, Ttl};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records `(span name, command field)` for every new span.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<(String, String)>>>);

struct CommandField(String);

impl Visit for CommandField {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "command" {
            self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for Spans {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut command = CommandField(String::new());
        span.record(&mut command);
        let mut spans = self.0.lock().unwrap();
        spans.push((span.metadata().name().to_string(), command.0));
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn every_command_gets_a_span() {
    let spans = Spans::default();
    let _guard = tracing::subscriber::set_default(spans.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = TestServer::start();
        let conn = Connection::with_config(server.config()).await.unwrap();
        let p = unique_prefix("tracing");
        spans.0.lock().unwrap().clear(); // the connect's PING, if any
        conn.set(format!("{p}k"), "v", Ttl::Never).await.unwrap();
        conn.get::<String>(format!("{p}k")).await.unwrap();
        conn.del(format!("{p}k")).await.unwrap();
    });
    let spans = spans.0.lock().unwrap();
    let gibson: Vec<&str> = spans
        .iter()
        .filter(|(n, _)| n == "gibson")
        .map(|(_, c)| c.as_str())
        .collect();
    assert_eq!(gibson, ["SET", "GET", "DEL"], "all spans: {spans:?}");
}
