//! An async operation observed: its request future polled inside the
//! operation's span, its outcome recorded when it is ready.
//!
//! A future of its own rather than an `async fn` around the request: an
//! `async fn` moved the (large) request future into its state, then into
//! `tracing`'s `Instrumented`, then into the await, and those copies cost
//! more than the spans and metrics themselves (a fifth of the client's
//! time in `gibson bench -t get -P 128`, no subscriber nor recorder).

use std::future::Future;

use gibson_proto::Error;

use crate::op::Op;
use crate::server::Server;

#[cfg(any(feature = "tracing", feature = "metrics"))]
pin_project_lite::pin_project! {
    /// `fut` inside `op`'s span, its outcome recorded when it ends
    /// (see [`observe`]).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Observed<'a, F> {
        op: Op,
        server: &'a Server,
        #[pin]
        fut: F,
    }
}

#[cfg(any(feature = "tracing", feature = "metrics"))]
impl<T, F: Future<Output = Result<T, Error>>> Future for Observed<'_, F> {
    type Output = F::Output;

    #[inline]
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = self.project();
        let fut = this.fut;
        let poll = this.op.in_span(|| fut.poll(cx));
        if let std::task::Poll::Ready(result) = &poll {
            this.op.record(this.server, result);
        }
        poll
    }
}

/// `fut` inside `op`'s span, its outcome recorded when it ends. With
/// both features off, `fut` itself.
#[cfg(any(feature = "tracing", feature = "metrics"))]
#[inline]
pub fn observe<T, F>(op: Op, server: &Server, fut: F) -> Observed<'_, F>
where
    F: Future<Output = Result<T, Error>>,
{
    Observed { op, server, fut }
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
