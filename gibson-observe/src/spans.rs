//! The spans: one callsite per operation name (a span's name is static).

use gibson_proto::Opcode;
use tracing::field::Empty;
use tracing::Span;

use crate::names::{by_opcode, Batch, PIPELINE};
use crate::server::Server;

/// A span named `$name` with the operation fields, `$size` commands.
macro_rules! op_span {
    ($name:expr, $server:expr, $size:expr) => {
        tracing::debug_span!(
            target: "gibson",
            $name,
            db.system.name = crate::SYSTEM,
            db.operation.name = $name,
            db.operation.batch.size = $size,
            gibson.batch.failures = Empty,
            server.address = &*$server.address,
            server.port = $server.port,
            error.type = Empty,
            db.response.status_code = Empty,
            otel.kind = "client",
            otel.status_code = Empty,
        )
    };
}

macro_rules! command {
    ($name:literal, $server:expr) => {
        op_span!($name, $server, Empty)
    };
}

macro_rules! batch {
    ($name:literal, $server:expr, $size:expr) => {
        op_span!(concat!("BATCH ", $name), $server, $size)
    };
}

/// The span of one command.
pub(crate) fn command(server: &Server, op: Opcode) -> Span {
    by_opcode!(op, command!(server))
}

/// The span of a pipeline.
pub(crate) fn batch(server: &Server, batch: Batch) -> Span {
    match batch {
        Batch::One(op) => command(server, op),
        Batch::Many(Some(op), size) => by_opcode!(op, batch!(server, size)),
        Batch::Many(None, size) => op_span!(PIPELINE, server, size),
    }
}

/// The span of a stream of commands `op`: a batch of a size known at its
/// end ([`batch_done`]).
pub(crate) fn stream(server: &Server, op: Opcode) -> Span {
    by_opcode!(op, batch!(server, Empty))
}

/// Records a batch's `size` (if known only now; not 1, which is no
/// batch) and its failed commands (counted only if the span records).
pub(crate) fn batch_done(span: &Span, size: Option<usize>, failures: impl FnOnce() -> usize) {
    if span.is_disabled() {
        return;
    }
    if let Some(size) = size.filter(|&n| n != 1) {
        span.record("db.operation.batch.size", size);
    }
    let failures = failures();
    if failures > 0 {
        span.record("gibson.batch.failures", failures);
    }
}

/// The span of a connection attempt.
pub(crate) fn connect(server: &Server, attempt: u32, reconnect: bool) -> Span {
    tracing::debug_span!(
        target: "gibson",
        "gibson.connect",
        db.system.name = crate::SYSTEM,
        server.address = &*server.address,
        server.port = server.port,
        gibson.connect.attempt = attempt,
        gibson.reconnect = reconnect,
        error.type = Empty,
        otel.kind = "client",
        otel.status_code = Empty,
    )
}

/// Records `error` on `span`.
pub(crate) fn fail(span: &Span, error: &gibson_proto::Error) {
    if span.is_disabled() {
        return;
    }
    span.record("error.type", crate::error_type(error));
    span.record("otel.status_code", "ERROR");
    if let gibson_proto::Error::Server { kind, .. } = error {
        span.record("db.response.status_code", kind.code().name());
    }
}
