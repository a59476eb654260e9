//! Bounding a future in time with the runtime's timer.

use std::future::Future;
use std::time::{Duration, Instant};

use gibson_proto::Error;

use crate::runtime::Runtime;

/// Runs `work`, or fails with [`Error::Timeout`] (naming `what` and
/// `after`) once `deadline` passes.
pub(crate) async fn until<R: Runtime, T>(
    deadline: Instant,
    after: Duration,
    what: &'static str,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    futures_lite::future::or(work, async {
        R::timer(deadline).await;
        Err(Error::Timeout { what, after })
    })
    .await
}

/// Runs `work`, or fails with [`Error::Timeout`] after `timeout`.
pub(crate) async fn within<R: Runtime, T>(
    timeout: Duration,
    what: &'static str,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    until::<R, T>(Instant::now() + timeout, timeout, what, work).await
}
