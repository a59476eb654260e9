//! Observing one operation (a command or a pipeline) and one connection
//! attempt: its span, its duration, its outcome.

use std::future::Future;

use gibson_proto::{Error, Opcode};

use crate::server::Server;

/// A span (nothing without the `tracing` feature).
#[derive(Debug)]
struct Traced {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl Traced {
    #[inline(always)]
    fn in_span<T>(&self, work: impl FnOnce() -> T) -> T {
        #[cfg(feature = "tracing")]
        return self.span.in_scope(work);
        #[cfg(not(feature = "tracing"))]
        work()
    }

    #[inline(always)]
    fn instrument<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> {
        #[cfg(feature = "tracing")]
        return tracing::Instrument::instrument(fut, self.span.clone());
        #[cfg(not(feature = "tracing"))]
        fut
    }

    /// Records a failure on the span.
    #[inline(always)]
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    fn fail<T>(&self, result: &Result<T, Error>) {
        #[cfg(feature = "tracing")]
        if let Err(e) = result {
            crate::spans::fail(&self.span, e);
        }
    }
}

/// One operation under way: its span (`tracing`) and its start
/// (`metrics`). Empty when both features are off.
///
/// ```
/// use gibson_observe::{Op, Server};
/// use gibson_proto::Opcode;
///
/// let server = Server::new(&"127.0.0.1:10128".parse().unwrap());
/// let op = Op::command(&server, Opcode::Get);
/// let got: Result<u8, gibson_proto::Error> = op.in_span(|| Ok(1));
/// op.finish(&server, &got);
/// assert_eq!(got.unwrap(), 1);
/// ```
#[derive(Debug)]
#[must_use = "an operation ends with `finish` (or is run by `observe`)"]
pub struct Op {
    traced: Traced,
    #[cfg(feature = "metrics")]
    timing: crate::record::Timing,
}

impl Op {
    /// A single command `op` sent to `server`.
    #[inline]
    #[cfg_attr(
        not(all(feature = "tracing", feature = "metrics")),
        allow(unused_variables)
    )]
    pub fn command(server: &Server, op: Opcode) -> Op {
        Op {
            traced: Traced {
                #[cfg(feature = "tracing")]
                span: crate::spans::command(server, op),
            },
            #[cfg(feature = "metrics")]
            timing: crate::record::Timing::start(op.name(), crate::names::slot(op)),
        }
    }

    /// A pipeline of the commands `ops` sent to `server`.
    #[inline]
    #[cfg_attr(
        not(all(feature = "tracing", feature = "metrics")),
        allow(unused_variables)
    )]
    pub fn batch(server: &Server, ops: &[Opcode]) -> Op {
        #[cfg(any(feature = "tracing", feature = "metrics"))]
        let batch = crate::names::Batch::of(ops);
        Op {
            traced: Traced {
                #[cfg(feature = "tracing")]
                span: crate::spans::batch(server, batch),
            },
            #[cfg(feature = "metrics")]
            timing: crate::record::Timing::start(batch.name(), batch.slot()),
        }
    }

    /// `work()` inside the operation's span.
    #[inline(always)]
    pub fn in_span<T>(&self, work: impl FnOnce() -> T) -> T {
        self.traced.in_span(work)
    }

    /// Records the outcome: the error on the span, the duration.
    #[inline(always)]
    #[cfg_attr(
        not(all(feature = "tracing", feature = "metrics")),
        allow(unused_variables)
    )]
    pub fn finish<T>(self, server: &Server, result: &Result<T, Error>) {
        self.traced.fail(result);
        #[cfg(feature = "metrics")]
        self.timing.finish(server, result.as_ref().err());
    }
}

/// `fut` inside `op`'s span, its outcome recorded when it ends. With
/// both features off, `fut` itself.
#[cfg(any(feature = "tracing", feature = "metrics"))]
pub async fn observe<T, F>(op: Op, server: &Server, fut: F) -> Result<T, Error>
where
    F: Future<Output = Result<T, Error>>,
{
    let result = op.traced.instrument(fut).await;
    op.finish(server, &result);
    result
}

/// `fut` inside `op`'s span, its outcome recorded when it ends. With
/// both features off, `fut` itself.
#[cfg(not(any(feature = "tracing", feature = "metrics")))]
#[inline(always)]
pub fn observe<T, F>(_op: Op, _server: &Server, fut: F) -> F
where
    F: Future<Output = Result<T, Error>>,
{
    fut
}

/// One connection attempt: the `gibson.connect` span, and the reconnect
/// and timeout counters. Empty when both features are off.
///
/// ```
/// use gibson_observe::{Attempt, Server};
/// let server = Server::new(&"127.0.0.1:10128".parse().unwrap());
/// let attempt = Attempt::start(&server, 1, false);
/// let opened: Result<(), gibson_proto::Error> = attempt.in_span(|| Ok(()));
/// attempt.finish(&server, &opened);
/// ```
#[derive(Debug)]
#[must_use = "an attempt ends with `finish`"]
pub struct Attempt {
    traced: Traced,
    #[cfg(feature = "metrics")]
    reconnect: bool,
}

impl Attempt {
    /// Attempt number `attempt` (from 1) to connect to `server`;
    /// `reconnect` when the connection was open before.
    #[cfg_attr(
        not(all(feature = "tracing", feature = "metrics")),
        allow(unused_variables)
    )]
    pub fn start(server: &Server, attempt: u32, reconnect: bool) -> Attempt {
        Attempt {
            traced: Traced {
                #[cfg(feature = "tracing")]
                span: crate::spans::connect(server, attempt, reconnect),
            },
            #[cfg(feature = "metrics")]
            reconnect,
        }
    }

    /// `work()` inside the attempt's span.
    pub fn in_span<T>(&self, work: impl FnOnce() -> T) -> T {
        self.traced.in_span(work)
    }

    /// `fut` inside the attempt's span.
    pub fn instrument<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> {
        self.traced.instrument(fut)
    }

    /// Records how the attempt ended.
    #[cfg_attr(
        not(all(feature = "tracing", feature = "metrics")),
        allow(unused_variables)
    )]
    pub fn finish<T>(self, server: &Server, result: &Result<T, Error>) {
        self.traced.fail(result);
        #[cfg(feature = "metrics")]
        crate::record::connected(server, self.reconnect, result.as_ref().err());
    }
}
