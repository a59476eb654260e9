//! A `tracing_subscriber::Layer` that records the client's spans and
//! events (target `gibson`) and their fields, as the observability suite
//! checks them.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Metadata, Subscriber};
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

/// The spans of target `gibson` one test recorded, and its events (as
/// records named after the event's level, their message a field).
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<SpanRecord>>>, Arc<Mutex<Vec<SpanRecord>>>);

/// The recorder a span went to and its index there, kept in its
/// extensions (a field recorded later, on any thread, finds it).
struct Index(Recorder, usize);

thread_local! {
    /// The recorder of the test running on this thread, if it records.
    static CURRENT: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

/// Sends each new span to the recorder of the thread creating it.
struct ThreadRecorders;

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

/// This thread's recorder and the fields `record` gives, for a span or an
/// event of target `gibson` while a test records on this thread; `None`
/// for any other target, or without a recorder.
fn recorded(
    metadata: &Metadata<'_>,
    record: impl FnOnce(&mut Fields<'_>),
) -> Option<(Recorder, BTreeMap<String, String>)> {
    if metadata.target() != "gibson" {
        return None;
    }
    let recorder = CURRENT.with(|c| c.borrow().clone())?;
    let mut fields = BTreeMap::new();
    record(&mut Fields(&mut fields));
    Some((recorder, fields))
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for ThreadRecorders {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some((recorder, fields)) = recorded(attrs.metadata(), |f| attrs.record(f)) else {
            return;
        };
        let index = {
            let mut spans = recorder.0.lock().unwrap_or_else(PoisonError::into_inner);
            spans.push(SpanRecord {
                name: attrs.metadata().name(),
                fields,
            });
            spans.len() - 1
        };
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Index(recorder, index));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let Some((recorder, fields)) = recorded(event.metadata(), |f| event.record(f)) else {
            return;
        };
        let name = event.metadata().level().as_str();
        let mut events = recorder.1.lock().unwrap_or_else(PoisonError::into_inner);
        events.push(SpanRecord { name, fields });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let extensions = span.extensions();
        let Some(Index(recorder, i)) = extensions.get::<Index>() else {
            return;
        };
        let mut spans = recorder.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(span) = spans.get_mut(*i) {
            values.record(&mut Fields(&mut span.fields));
        }
    }
}

/// Installs the process-wide subscriber once. One global subscriber, not a
/// scoped default per test: tracing caches each callsite's interest
/// globally, and a callsite first reached on a thread without a subscriber
/// while another thread installs its scoped one can stay disabled for it
/// (a span seen missing in one run of the tokio multi-thread suite).
/// `false` if another global subscriber was installed first.
fn install_global() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(ThreadRecorders);
        tracing::subscriber::set_global_default(subscriber).is_ok()
    })
}

/// Records the client's spans created on this thread (where an async
/// test's `block_on` polls its requests) from [`start`](RecordSpans::start)
/// until dropped.
pub struct RecordSpans {
    recorder: Recorder,
    /// A scoped default, only when another global subscriber was installed.
    _default: Option<tracing::subscriber::DefaultGuard>,
}

impl RecordSpans {
    /// Starts recording the spans this thread creates.
    pub fn start() -> RecordSpans {
        let recorder = Recorder::default();
        let default = (!install_global()).then(|| {
            let subscriber = tracing_subscriber::registry().with(ThreadRecorders);
            tracing::subscriber::set_default(subscriber)
        });
        CURRENT.with(|c| *c.borrow_mut() = Some(recorder.clone()));
        RecordSpans {
            recorder,
            _default: default,
        }
    }

    /// The events recorded so far, in order: each named after its level
    /// (`WARN`…), its message in the field `message`.
    pub fn events(&self) -> Vec<SpanRecord> {
        self.recorder
            .1
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
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

impl Drop for RecordSpans {
    fn drop(&mut self) {
        CURRENT.with(|c| *c.borrow_mut() = None);
    }
}
