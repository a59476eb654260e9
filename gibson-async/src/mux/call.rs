//! The caller's future: queues its request on first poll, then waits for
//! its slot to be resolved.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use gibson_proto::Error;

use super::request::{Delivery, Request};
use super::slots::{Caller, Slot, State, NO_SLOT};
use super::{Mux, WRITE_HIGH_WATER};

/// What an attempt to queue a request came to; each may carry the driver's
/// waker, to be woken once the lock is released.
enum Queued {
    Slot(u32, Option<Waker>),
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
        st.owed += count;
        st.lower_earliest(self.deadline);
        Ok(Queued::Slot(slot, st.driver.take()))
    }
}

impl<R: Request> Future for Call<'_, R> {
    type Output = Result<Delivery, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(Ok(Delivery::NotSent));
        }
        let Some(index) = this.slot else {
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
            return match queued {
                Queued::Slot(index, driver) => {
                    this.slot = Some(index);
                    if let Some(w) = driver {
                        w.wake();
                    }
                    Poll::Pending
                }
                Queued::Down => {
                    this.finished = true;
                    Poll::Ready(Ok(Delivery::NotSent))
                }
                Queued::Expired => {
                    this.finished = true;
                    Poll::Ready(Ok(Delivery::Failed(Error::Timeout {
                        what: "response",
                        after: this.timeout,
                    })))
                }
                Queued::Full(driver) => {
                    this.blocked = true;
                    if let Some(w) = driver {
                        w.wake();
                    }
                    Poll::Pending
                }
            };
        };
        let mut st = this.mux.lock();
        let st = &mut *st;
        let Some(slot) = st.slots.get_mut(index as usize) else {
            return Poll::Ready(Ok(Delivery::NotSent));
        };
        if let Caller::Waiting { waker, .. } = &mut slot.caller {
            if !waker.will_wake(cx.waker()) {
                *waker = cx.waker().clone();
            }
            return Poll::Pending;
        }
        let delivery = match std::mem::replace(&mut slot.caller, Caller::Gone) {
            Caller::Ready(delivery) => delivery,
            // Not reachable: a slot stays ours until we take its result.
            _ => Delivery::NotSent,
        };
        if slot.owed == 0 {
            st.release(index);
        }
        this.slot = None;
        this.finished = true;
        Poll::Ready(Ok(delivery))
    }
}

impl<R> Drop for Call<'_, R> {
    fn drop(&mut self) {
        let Some(index) = self.slot else { return };
        let mut st = self.mux.lock();
        if let Some(slot) = st.slots.get_mut(index as usize) {
            slot.caller = Caller::Gone;
            if slot.owed == 0 {
                st.release(index);
            }
        }
    }
}
