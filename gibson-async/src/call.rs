//! A caller's request: what it sends ([`One`] command, a [`Batch`], a
//! [`Frame`] encoded elsewhere), the future that queues it and waits for
//! its slot ([`Call`]), and the resend loop around it ([`round_trip`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Weak;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use gibson_policy::RetryPolicy;
use gibson_proto::{Command, Error, Opcode, Session};

use crate::shared_driver::InlineDriver;
use crate::state::{Caller, Delivery, Shared, Slot, State, NO_SLOT, WRITE_HIGH_WATER};

/// Something a caller sends: one command or a pipeline.
pub(crate) trait Request {
    /// Commands (and so replies) in the request.
    fn count(&self) -> usize;
    /// Encodes the request into `session`'s output and queues one reply
    /// per command for `slot`; queues and writes nothing on error, nor
    /// when the request is larger than `lane_limit` (then `Ok(false)`: it
    /// goes on the connection's lane for big requests).
    fn send(
        &self,
        session: &mut Session<u32>,
        slot: u32,
        lane_limit: Option<usize>,
    ) -> Result<bool, Error>;
    /// Delivered as [`Delivery::Many`] (a pipeline, even of one command).
    fn is_batch(&self) -> bool {
        false
    }
}

/// A single command.
pub(crate) struct One<C>(pub(crate) C);

impl<C: Command> Request for One<C> {
    fn count(&self) -> usize {
        1
    }

    fn send(
        &self,
        session: &mut Session<u32>,
        slot: u32,
        lane_limit: Option<usize>,
    ) -> Result<bool, Error> {
        let before = session.output().len();
        let limits = *session.limits();
        self.0.encode(session.output_mut(), &limits)?;
        if lane_limit.is_some_and(|max| session.output().len() - before > max) {
            session.output_mut().truncate(before);
            return Ok(false);
        }
        session.push(C::OPCODE, slot);
        Ok(true)
    }
}

/// An encoded pipeline (see [`Pipeline`](gibson_proto::Pipeline)).
pub(crate) struct Batch<'a> {
    /// The opcode of each command, in order.
    pub(crate) ops: &'a [Opcode],
    /// The frames, validated when the pipeline was built.
    pub(crate) frames: &'a [u8],
}

impl Request for Batch<'_> {
    fn count(&self) -> usize {
        self.ops.len()
    }

    fn send(&self, session: &mut Session<u32>, slot: u32, _: Option<usize>) -> Result<bool, Error> {
        session.output_mut().extend_from_slice(self.frames);
        for &op in self.ops {
            session.push(op, slot);
        }
        Ok(true)
    }

    fn is_batch(&self) -> bool {
        true
    }
}

/// A single request frame encoded elsewhere (once for several servers).
pub(crate) struct Frame<'a> {
    pub(crate) op: Opcode,
    pub(crate) frame: &'a [u8],
}

impl Request for Frame<'_> {
    fn count(&self) -> usize {
        1
    }

    fn send(&self, session: &mut Session<u32>, slot: u32, _: Option<usize>) -> Result<bool, Error> {
        let limit = session.limits().max_request_size;
        if self.frame.len() > limit {
            return Err(Error::invalid(
                "request",
                format!("{} bytes, above the limit of {limit}", self.frame.len()),
            ));
        }
        session.output_mut().extend_from_slice(self.frame);
        session.push(self.op, slot);
        Ok(true)
    }
}

/// Sends `req` and waits for its delivery, before `deadline`:
/// * whenever no driver runs, awaits `link` (which connects and starts
///   one, or fails);
/// * sends again what never reached the server;
/// * sends again, once, a single command (`op`) whose connection broke
///   after it was written, when `retry` allows it for that command.
///
/// A server that keeps dropping connections ends it after 8 attempts.
pub(crate) async fn round_trip<'l, Q: Request>(
    shared: &Shared,
    req: &mut Q,
    op: Option<Opcode>,
    retry: RetryPolicy,
    deadline: Instant,
    timeout: Duration,
    mut link: impl FnMut() -> Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'l>>,
) -> Result<Delivery, Error> {
    let mut retried = false;
    let mut last = None;
    for _ in 0..8 {
        if !shared.is_up() {
            link().await?;
        }
        match Call::new(shared, &mut *req, deadline, timeout).await? {
            Delivery::NotSent(why) => last = why.or(last),
            Delivery::One(Err(ref e))
                if !retried && op.is_some_and(|op| retry.allows_resend(op, e)) =>
            {
                retried = true;
            }
            Delivery::Failed(e) => return Err(e),
            delivery => return Ok(delivery),
        }
    }
    Err(last.unwrap_or(Error::ConnectionClosed { in_reply: false }))
}

/// What an attempt to queue a request came to; each may carry the
/// driver's waker, to be woken once the lock is released.
enum Queued {
    /// Queued in this slot; with the driver to poll here when the
    /// connection was idle, else the driver's waker.
    Slot(u32, Result<Weak<dyn InlineDriver>, Option<Waker>>),
    Full(Option<Waker>),
    Down,
    /// Waited for room past the deadline.
    Expired,
    /// Larger than this connection takes: for the lane of big requests.
    Big,
}

/// A request on its way: queues on first poll, then waits for its slot.
/// Dropping it leaves the slot to be released once its replies are read.
#[must_use = "a call does nothing unless polled"]
pub(crate) struct Call<'a, Q> {
    shared: &'a Shared,
    // `&mut` only so that the future is `Send` whenever `Q` is, without
    // requiring `Q: Sync`.
    req: &'a mut Q,
    deadline: Instant,
    timeout: Duration,
    slot: Option<u32>,
    /// Waited for room at least once.
    blocked: bool,
    /// Resolved: polling again does not queue again.
    finished: bool,
    /// Driving the connection on this task (see [`InlineDriver`]): the
    /// driver, and this caller's waker as last given to it.
    leading: Option<(Weak<dyn InlineDriver>, Waker)>,
}

impl<'a, Q: Request> Call<'a, Q> {
    /// A call of `req` on `shared`, failed by the driver once `deadline`
    /// passes (`timeout` is what the error reports).
    pub(crate) fn new(
        shared: &'a Shared,
        req: &'a mut Q,
        deadline: Instant,
        timeout: Duration,
    ) -> Self {
        Call {
            shared,
            req,
            deadline,
            timeout,
            slot: None,
            blocked: false,
            finished: false,
            leading: None,
        }
    }

    fn queue(&mut self, st: &mut State, waker: &Waker) -> Result<Queued, Error> {
        let shared = self.shared;
        if !shared.is_up() || st.session.is_closed() {
            return Ok(Queued::Down);
        }
        if self.blocked && st.now.is_some_and(|now| now >= self.deadline) {
            return Ok(Queued::Expired);
        }
        let count = self.req.count();
        let owed = st.session.in_flight();
        if (owed > 0 && owed + count > shared.max_in_flight)
            || st.session.output().len() >= WRITE_HIGH_WATER
        {
            if !self.blocked {
                if let Some(max) = shared.max_waiting {
                    if st.waiting() >= max {
                        return Err(Error::Busy {
                            server: shared.server.clone(),
                            waiting: st.waiting(),
                        });
                    }
                }
            }
            st.blocked.push((waker.clone(), self.deadline));
            // The driver's timer must fire by this caller's deadline too.
            let driver = st.lower_earliest(self.deadline).then(|| st.driver.take());
            return Ok(Queued::Full(driver.flatten()));
        }
        let slot = st.alloc(Slot {
            owed: count as u32,
            caller: Caller::Waiting {
                waker: waker.clone(),
                deadline: self.deadline,
                timeout: self.timeout,
                replies: self.req.is_batch().then(|| Vec::with_capacity(count)),
                unsent: 0,
            },
            next_free: NO_SLOT,
        });
        match self.req.send(&mut st.session, slot, shared.lane_limit) {
            Ok(true) => {}
            Ok(false) => {
                st.release(slot);
                return Ok(Queued::Big);
            }
            Err(e) => {
                st.release(slot);
                return Err(e);
            }
        }
        if owed == 0 {
            st.heard = Instant::now();
        }
        st.lower_earliest(self.deadline);
        let driver = match &st.inline {
            Some(inline) if owed == 0 && !st.handing_over => Ok(inline.clone()),
            _ => Err(st.driver.take()),
        };
        Ok(Queued::Slot(slot, driver))
    }

    /// The result, if the slot has it; else records `waker` as the one
    /// to wake.
    ///
    /// A leading caller whose reply arrives during its own poll of the
    /// driver is woken too, and polled once more for nothing: skipping
    /// that wake-up cost throughput at one request in flight on
    /// async-std's and smol's two-thread executors.
    fn take_result(&mut self, index: u32, waker: &Waker) -> Option<Delivery> {
        let (delivery, work_left) = {
            let mut st = self.shared.lock();
            let st = &mut *st;
            let delivery = match st.slots.get_mut(index as usize) {
                None => Delivery::NotSent(None),
                Some(slot) => {
                    if let Caller::Waiting { waker: w, .. } = &mut slot.caller {
                        if !w.will_wake(waker) {
                            *w = waker.clone();
                        }
                        return None;
                    }
                    let delivery = match std::mem::replace(&mut slot.caller, Caller::Gone) {
                        Caller::Ready(delivery) => delivery,
                        // Not reachable: a slot stays ours until we take its result.
                        _ => Delivery::NotSent(None),
                    };
                    if slot.owed == 0 {
                        st.release(index);
                    }
                    delivery
                }
            };
            (delivery, !st.session.is_idle())
        };
        self.slot = None;
        self.finished = true;
        self.stop_leading(work_left);
        Some(delivery)
    }
}

impl<Q: Request> Future for Call<'_, Q> {
    type Output = Result<Delivery, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(Ok(Delivery::NotSent(None)));
        }
        let mut led = false;
        if this.slot.is_none() {
            let queued = {
                let mut st = this.shared.lock();
                this.queue(&mut st, cx.waker())
            };
            let queued = match queued {
                Ok(queued) => queued,
                Err(e) => {
                    this.finished = true;
                    return Poll::Ready(Err(e));
                }
            };
            match queued {
                Queued::Slot(index, driver) => {
                    this.slot = Some(index);
                    match driver {
                        Ok(inline) => {
                            this.lead(inline, cx.waker());
                            led = true;
                        }
                        Err(Some(w)) => w.wake(),
                        Err(None) => {}
                    }
                }
                Queued::Down => {
                    this.finished = true;
                    return Poll::Ready(Ok(Delivery::NotSent(None)));
                }
                Queued::Big => {
                    this.finished = true;
                    return Poll::Ready(Ok(Delivery::Big));
                }
                Queued::Expired => {
                    this.finished = true;
                    return Poll::Ready(Ok(Delivery::Failed(Error::Timeout {
                        what: "response",
                        after: this.timeout,
                    })));
                }
                Queued::Full(driver) => {
                    this.blocked = true;
                    if let Some(w) = driver {
                        w.wake();
                    }
                    return Poll::Pending;
                }
            }
        }
        let Some(index) = this.slot else {
            return Poll::Ready(Ok(Delivery::NotSent(None)));
        };
        if let Some(delivery) = this.take_result(index, cx.waker()) {
            return Poll::Ready(Ok(delivery));
        }
        // Leading: read the reply on this task.
        if let (false, Some((inline, _))) = (led, &this.leading) {
            this.lead(inline.clone(), cx.waker());
            if let Some(delivery) = this.take_result(index, cx.waker()) {
                return Poll::Ready(Ok(delivery));
            }
        }
        Poll::Pending
    }
}

impl<Q> Call<'_, Q> {
    /// Polls the driver on this task, as its leader.
    fn lead(&mut self, inline: Weak<dyn InlineDriver>, waker: &Waker) {
        let Some(driver) = inline.upgrade() else {
            // The driver is gone: its task failed or handed back our slot.
            self.leading = None;
            return;
        };
        match &mut self.leading {
            Some((_, w)) if w.will_wake(waker) => {}
            _ => self.leading = Some((inline, waker.clone())),
        }
        driver.drive(waker);
    }

    /// Stops leading: the driver's wake-ups go back to its task.
    fn stop_leading(&mut self, work_left: bool) {
        if let Some((inline, waker)) = self.leading.take() {
            if let Some(driver) = inline.upgrade() {
                driver.leave(&waker, work_left);
            }
        }
    }
}

impl<Q> Drop for Call<'_, Q> {
    fn drop(&mut self) {
        let Some(index) = self.slot else { return };
        let work_left = {
            let mut st = self.shared.lock();
            if let Some(slot) = st.slots.get_mut(index as usize) {
                slot.caller = Caller::Gone;
                if slot.owed == 0 {
                    st.release(index);
                }
            }
            !st.session.is_idle()
        };
        self.stop_leading(work_left);
    }
}

impl Delivery {
    /// The reply to a single command (or to a batch of one).
    pub(crate) fn into_reply(self) -> Result<gibson_proto::Reply, Error> {
        match self {
            Delivery::One(outcome) => outcome,
            Delivery::Many(mut outcomes) if outcomes.len() == 1 => outcomes
                .pop()
                .unwrap_or(Err(Error::ConnectionClosed { in_reply: false })),
            other => Err(other.into_error()),
        }
    }

    /// The outcomes of a pipeline's commands, in order.
    pub(crate) fn into_replies(self) -> Result<Vec<crate::state::Outcome>, Error> {
        match self {
            Delivery::Many(outcomes) => Ok(outcomes),
            other => Err(other.into_error()),
        }
    }

    fn into_error(self) -> Error {
        match self {
            Delivery::Failed(e) | Delivery::NotSent(Some(e)) => e,
            _ => Error::ConnectionClosed { in_reply: false },
        }
    }
}
