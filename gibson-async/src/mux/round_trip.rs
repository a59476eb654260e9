//! The reconnect and resend loop around one request.

use std::future::Future;
use std::time::{Duration, Instant};

use gibson_proto::{Error, Opcode, RetryPolicy};

use super::request::{Delivery, Request};
use super::Mux;

impl Mux {
    /// Sends `req` and waits for its delivery, before `deadline`:
    /// * whenever no driver runs, awaits `link()` (which connects and
    ///   starts one, or fails);
    /// * resends what never reached a driver;
    /// * resends once a single command (`op`) whose connection broke, when
    ///   `retry` allows it for that command.
    ///
    /// A server that keeps dropping connections ends it after 8 attempts.
    #[allow(clippy::too_many_arguments)]
    pub async fn round_trip<R, L, F>(
        &self,
        req: &mut R,
        op: Option<Opcode>,
        retry: RetryPolicy,
        deadline: Instant,
        timeout: Duration,
        mut link: L,
    ) -> Result<Delivery, Error>
    where
        R: Request,
        L: FnMut() -> F,
        F: Future<Output = Result<(), Error>>,
    {
        let mut retried = false;
        for _ in 0..8 {
            if !self.is_up() {
                link().await?;
            }
            match self.call(req, deadline, timeout).await? {
                Delivery::NotSent => continue,
                Delivery::One(Err(ref e))
                    if !retried && op.is_some_and(|op| retry.allows_resend(op, e)) =>
                {
                    retried = true;
                }
                Delivery::Failed(e) => return Err(e),
                delivery => return Ok(delivery),
            }
        }
        Err(Error::ConnectionClosed { in_reply: false })
    }
}
