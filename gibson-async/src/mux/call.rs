//! The caller's future: queues its request on first poll, then waits for
//! its slot to be resolved.

use std::future::Future;
use std::pin::Pin;
use std::sync::Weak;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use gibson_proto::Error;

use super::request::{Delivery, Request};
use super::slots::{Caller, Slot, State, NO_SLOT};
use super::{InlineDriver, Mux, WRITE_HIGH_WATER};

/// What an attempt to queue a request came to; each may carry the driver's
/// waker, to be woken once the lock is released.
enum Queued {
    /// Queued in this slot; with the driver to poll here when the
    /// connection was idle, else the driver's waker.
    Slot(u32, Result<Weak<dyn InlineDriver>, Option<Waker>>),
    Full(Option<Waker>),
    Down,
    /// Waited for room past the deadline.
    Expired,
}

/// A request on its way: queues on first poll, then waits for its slot.
/// Made by [`Mux::call`].
#[must_use = "a call does nothing unless polled"]
pub struct Call<'a, R> {
    mux: &'a Mux,
    // `&mut` only so that the future is `Send` whenever `R` is, without
    // requiring `R: Sync`.
    req: &'a mut R,
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

impl<'a, R: Request> Call<'a, R> {
    pub(super) fn new(mux: &'a Mux, req: &'a mut R, deadline: Instant, timeout: Duration) -> Self {
        Call {
            mux,
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
        if !self.mux.is_up() {
            return Ok(Queued::Down);
        }
        if self.blocked && st.now.is_some_and(|now| now >= self.deadline) {
            return Ok(Queued::Expired);
        }
        let count = self.req.count();
        if (st.owed > 0 && st.owed + count > self.mux.max_in_flight)
            || st.out.len() >= WRITE_HIGH_WATER
        {
            st.blocked.push((waker.clone(), self.deadline));
            // The driver's timer must fire by this caller's deadline too.
            let driver = st.lower_earliest(self.deadline).then(|| st.driver.take());
            return Ok(Queued::Full(driver.flatten()));
        }
        self.req.encode(&mut st.out, &self.mux.limits)?;
        let slot = st.alloc(Slot {
            owed: count as u32,
            count: count as u32,
            first: None,
            caller: Caller::Waiting {
                waker: waker.clone(),
                deadline: self.deadline,
                timeout: self.timeout,
                replies: self.req.is_batch().then(|| Vec::with_capacity(count)),
            },
            next_free: NO_SLOT,
        });
        self.req.queue(&mut st.queued, slot);
        let idle = st.owed == 0;
        st.owed += count;
        st.lower_earliest(self.deadline);
        let driver = match &st.inline {
            Some(inline) if idle => Ok(inline.clone()),
            _ => Err(st.driver.take()),
        };
        Ok(Queued::Slot(slot, driver))
    }

    /// The result, if the slot has it; else records `waker` as the one
    /// to wake.
    ///
    /// A leading caller whose reply arrives during its own poll of the
    /// driver is woken too, and polled once more for nothing. Skipping
    /// that wake-up saved CPU under tokio's multi-threaded runtime but cost
    /// a fifth of the throughput at one request in flight on async-std's
    /// and smol's two-thread executors (measured with `gibson bench -P 1
    /// --threads 2`), so the wake-up stays.
    fn take_result(&mut self, index: u32, waker: &Waker) -> Option<Delivery> {
        let (delivery, work_left) = {
            let mut st = self.mux.lock();
            let st = &mut *st;
            let delivery = match st.slots.get_mut(index as usize) {
                None => Delivery::NotSent,
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
                        _ => Delivery::NotSent,
                    };
                    if slot.owed == 0 {
                        st.release(index);
                    }
                    delivery
                }
            };
            (delivery, st.owed > 0)
        };
        self.slot = None;
        self.finished = true;
        self.stop_leading(work_left);
        Some(delivery)
    }
}

impl<R: Request> Future for Call<'_, R> {
    type Output = Result<Delivery, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(Ok(Delivery::NotSent));
        }
        let mut led = false;
        if this.slot.is_none() {
            let queued = {
                let mut st = this.mux.lock();
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
                    return Poll::Ready(Ok(Delivery::NotSent));
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
            return Poll::Ready(Ok(Delivery::NotSent));
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

impl<R> Call<'_, R> {
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

impl<R> Drop for Call<'_, R> {
    fn drop(&mut self) {
        let Some(index) = self.slot else { return };
        let work_left = {
            let mut st = self.mux.lock();
            if let Some(slot) = st.slots.get_mut(index as usize) {
                slot.caller = Caller::Gone;
                if slot.owed == 0 {
                    st.release(index);
                }
            }
            st.owed > 0
        };
        self.stop_leading(work_left);
    }
}
