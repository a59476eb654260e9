//! A `tracing_subscriber::Layer` that records the client's spans (target
//! `gibson`) and their fields, as the observability suite checks them.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A recorded span: its name and the fields it was given, at creation or
/// later (`error.type`).
#[derive(Debug, Clone)]
pub struct SpanRecord {
    /// The span's name (`GET`, `BATCH GET`, `PIPELINE`, `gibson.connect`).
    pub name: &'static str,
    /// Every field with a value, formatted.
    pub fields: BTreeMap<String, String>,
}

impl SpanRecord {
    /// The value of `field`, if it has one.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
}

/// Records the spans of target `gibson` (see [`record_spans`]).
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<SpanRecord>>>);

/// A span's index in the recorder, kept in its extensions.
struct Index(usize);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().target() != "gibson" {
            return;
        }
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let mut spans = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        spans.push(SpanRecord {
            name: attrs.metadata().name(),
            fields,
        });
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Index(spans.len() - 1));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let Some(&Index(i)) = span.extensions().get::<Index>() else {
            return;
        };
        let mut spans = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        values.record(&mut Fields(&mut spans[i].fields));
    }
}

/// Records the client's spans created on this thread (where an async
/// test's `block_on` polls its requests) from [`start`](RecordSpans::start)
/// until dropped.
pub struct RecordSpans {
    recorder: Recorder,
    _default: tracing::subscriber::DefaultGuard,
}

impl RecordSpans {
    /// Makes a recording subscriber this thread's default.
    pub fn start() -> RecordSpans {
        let recorder = Recorder::default();
        let subscriber = tracing_subscriber::registry().with(recorder.clone());
        RecordSpans {
            recorder,
            _default: tracing::subscriber::set_default(subscriber),
        }
    }

    /// The spans recorded so far, in the order they were created.
    pub fn spans(&self) -> Vec<SpanRecord> {
        self.recorder
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
