//! Observing one operation (a command or a pipeline) and one connection
//! attempt: its span, its duration, its outcome.

use std::future::Future;

use gibson_proto::{Error, Opcode, Reply};

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

    /// Records a batch's size (`None`: known from its start) and how many
    /// of its commands failed, the latter counted only for a span that
    /// records (`failures`).
    #[inline(always)]
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    fn batch_done(&self, size: Option<usize>, failures: impl FnOnce() -> usize) {
        #[cfg(feature = "tracing")]
        crate::spans::batch_done(&self.span, size, failures);
    }
}

/// `true` when a command's reply is a failure: an error, or a server error
/// other than NOT_FOUND (which the commands take for absence: `None`,
/// `false`, `0`). What a batch's `gibson.batch.failures` counts.
///
/// ```
/// use gibson_proto::{Reply, ServerError};
/// assert!(gibson_observe::failed(&Ok(Reply::Error(ServerError::Locked))));
/// assert!(!gibson_observe::failed(&Ok(Reply::Error(ServerError::NotFound))));
/// assert!(!gibson_observe::failed(&Ok(Reply::Ok)));
/// ```
pub fn failed(reply: &Result<Reply, Error>) -> bool {
    match reply {
        Ok(Reply::Error(kind)) => *kind != gibson_proto::ServerError::NotFound,
        Ok(_) => false,
        Err(_) => true,
    }
}

/// What an operation records in metrics when it ends.
#[cfg(feature = "metrics")]
#[derive(Debug)]
enum Metric {
    /// Its duration (and a timeout).
    Duration(crate::record::Timing),
    /// A connection attempt: a reconnect (when `true`), a timeout.
    Connect { reconnect: bool },
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
    metric: Metric,
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
            metric: Metric::Duration(crate::record::Timing::start(
                op.name(),
                crate::names::slot(op),
            )),
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
            metric: Metric::Duration(crate::record::Timing::start(batch.name(), batch.slot())),
        }
    }

    /// A stream of commands `op` sent to `server` (the blocking client's
    /// `run_all`): a batch named `BATCH GET` (…) from its start, whose
    /// size is known at its end ([`finish_stream`](Op::finish_stream)).
    #[inline]
    #[cfg_attr(
        not(all(feature = "tracing", feature = "metrics")),
        allow(unused_variables)
    )]
    pub fn stream(server: &Server, op: Opcode) -> Op {
        #[cfg(feature = "metrics")]
        let batch = crate::names::Batch::Many(Some(op), 0);
        Op {
            traced: Traced {
                #[cfg(feature = "tracing")]
                span: crate::spans::stream(server, op),
            },
            #[cfg(feature = "metrics")]
            metric: Metric::Duration(crate::record::Timing::start(batch.name(), batch.slot())),
        }
    }

    /// `work()` inside the operation's span.
    #[inline(always)]
    pub fn in_span<T>(&self, work: impl FnOnce() -> T) -> T {
        self.traced.in_span(work)
    }

    /// `fut` inside the operation's span.
    #[inline(always)]
    pub fn instrument<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> {
        self.traced.instrument(fut)
    }

    /// Records the outcome: the error on the span, the duration.
    #[inline(always)]
    pub fn finish<T>(self, server: &Server, result: &Result<T, Error>) {
        self.record(server, result);
    }

    /// [`finish`](Op::finish) of a pipeline: also how many of its commands
    /// failed ([`failed`]), on the span as `gibson.batch.failures` when
    /// some did (`error.type` is for the pipeline failing as a whole).
    pub fn finish_batch(self, server: &Server, replies: &Result<Vec<Result<Reply, Error>>, Error>) {
        if let Ok(replies) = replies {
            let failures = || replies.iter().filter(|reply| failed(reply)).count();
            self.traced.batch_done(None, failures);
        }
        self.record(server, replies);
    }

    /// [`finish`](Op::finish) of a [`stream`](Op::stream) of `size`
    /// commands, `failures` of which failed.
    pub fn finish_stream<T>(
        self,
        server: &Server,
        size: usize,
        failures: usize,
        result: &Result<T, Error>,
    ) {
        self.traced.batch_done(Some(size), || failures);
        self.record(server, result);
    }

    /// Records the outcome: the error on the span, the metrics.
    #[inline(always)]
    #[cfg_attr(
        not(all(feature = "tracing", feature = "metrics")),
        allow(unused_variables)
    )]
    pub(crate) fn record<T>(&self, server: &Server, result: &Result<T, Error>) {
        self.traced.fail(result);
        #[cfg(feature = "metrics")]
        match &self.metric {
            Metric::Duration(timing) => timing.finish(server, result.as_ref().err()),
            Metric::Connect { reconnect } => {
                crate::record::connected(server, *reconnect, result.as_ref().err())
            }
        }
    }
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
pub struct Attempt(Op);

impl Attempt {
    /// Attempt number `attempt` (from 1) to connect to `server`;
    /// `reconnect` when the connection was open before.
    #[cfg_attr(
        not(all(feature = "tracing", feature = "metrics")),
        allow(unused_variables)
    )]
    pub fn start(server: &Server, attempt: u32, reconnect: bool) -> Attempt {
        Attempt(Op {
            traced: Traced {
                #[cfg(feature = "tracing")]
                span: crate::spans::connect(server, attempt, reconnect),
            },
            #[cfg(feature = "metrics")]
            metric: Metric::Connect { reconnect },
        })
    }

    /// `work()` inside the attempt's span.
    pub fn in_span<T>(&self, work: impl FnOnce() -> T) -> T {
        self.0.in_span(work)
    }

    /// `fut` inside the attempt's span.
    pub fn instrument<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> {
        self.0.instrument(fut)
    }

    /// Records how the attempt ended.
    pub fn finish<T>(self, server: &Server, result: &Result<T, Error>) {
        self.0.record(server, result);
    }
}
