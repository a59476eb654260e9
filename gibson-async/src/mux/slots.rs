//! The mux's state behind its lock: the output not yet taken, the slots
//! (one per request, reused through a free list) and who waits on them.

use std::sync::Weak;
use std::task::Waker;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use gibson_proto::Opcode;
use gibson_proto::RequestId;

use super::request::{Delivery, Outcome};

pub(super) const NO_SLOT: u32 = u32::MAX;

pub(super) struct State {
    /// Encoded requests the driver has not taken yet.
    pub(super) out: BytesMut,
    /// Their tokens, in order.
    pub(super) queued: Vec<(Opcode, u32)>,
    pub(super) slots: Vec<Slot>,
    pub(super) free: u32,
    /// Replies owed over all slots: the requests in flight.
    pub(super) owed: usize,
    /// No deadline of a waiting slot is earlier than this.
    pub(super) earliest: Option<Instant>,
    pub(super) driver: Option<Waker>,
    /// Callers waiting for room, with their deadlines.
    pub(super) blocked: Vec<(Waker, Instant)>,
    /// Every handle is gone: the driver stops once idle.
    pub(super) handles_gone: bool,
    /// The time of the driver's last [`Mux::expire`].
    pub(super) now: Option<Instant>,
    /// The running driver, if callers may poll it themselves.
    pub(super) inline: Option<Weak<dyn super::InlineDriver>>,
}

pub(super) struct Slot {
    /// Replies the driver still owes this slot.
    pub(super) owed: u32,
    /// Commands in the request.
    pub(super) count: u32,
    /// The session id of its first command, once the driver took it.
    pub(super) first: Option<RequestId>,
    pub(super) caller: Caller,
    pub(super) next_free: u32,
}

pub(super) enum Caller {
    Free,
    Waiting {
        waker: Waker,
        deadline: Instant,
        timeout: Duration,
        /// Replies so far, for a pipeline.
        replies: Option<Vec<Outcome>>,
    },
    Ready(Delivery),
    /// The caller took its result or went away.
    Gone,
}

/// The earlier of an optional deadline and another.
pub(super) fn earlier(a: Option<Instant>, b: Instant) -> Option<Instant> {
    Some(a.map_or(b, |a| a.min(b)))
}

pub(super) fn wake_blocked(blocked: &mut Vec<(Waker, Instant)>, wakers: &mut Vec<Waker>) {
    wakers.extend(blocked.drain(..).map(|(w, _)| w));
}

impl State {
    /// Makes sure the driver's timer fires by `deadline`; `true` if that
    /// moved it earlier.
    pub(super) fn lower_earliest(&mut self, deadline: Instant) -> bool {
        let lower = self.earliest.is_none_or(|e| deadline < e);
        if lower {
            self.earliest = Some(deadline);
        }
        lower
    }

    pub(super) fn alloc(&mut self, slot: Slot) -> u32 {
        if self.free != NO_SLOT {
            let index = self.free;
            let s = &mut self.slots[index as usize];
            self.free = s.next_free;
            *s = slot;
            index
        } else {
            self.slots.push(slot);
            (self.slots.len() - 1) as u32
        }
    }

    pub(super) fn release(&mut self, index: u32) {
        if let Some(s) = self.slots.get_mut(index as usize) {
            s.caller = Caller::Free;
            s.first = None;
            s.next_free = self.free;
            self.free = index;
        }
    }

    pub(super) fn deliver(&mut self, index: u32, outcome: Outcome, wakers: &mut Vec<Waker>) {
        let Some(slot) = self.slots.get_mut(index as usize) else {
            return;
        };
        if slot.owed == 0 {
            return;
        }
        slot.owed -= 1;
        self.owed -= 1;
        match &mut slot.caller {
            Caller::Waiting {
                replies: Some(replies),
                ..
            } => {
                replies.push(outcome);
                if slot.owed == 0 {
                    let replies = std::mem::take(replies);
                    slot.resolve(Delivery::Many(replies), wakers);
                }
            }
            Caller::Waiting { replies: None, .. } => slot.resolve(Delivery::One(outcome), wakers),
            Caller::Gone if slot.owed == 0 => self.release(index),
            // Timed out or gone: the reply is dropped.
            _ => {}
        }
    }
}

impl Slot {
    /// A waiting caller's result is `delivery`: it is woken (through
    /// `wakers`). Does nothing for a slot whose caller is not waiting.
    pub(super) fn resolve(&mut self, delivery: Delivery, wakers: &mut Vec<Waker>) {
        if let Caller::Waiting { .. } = self.caller {
            if let Caller::Waiting { waker, .. } =
                std::mem::replace(&mut self.caller, Caller::Ready(delivery))
            {
                wakers.push(waker);
            }
        }
    }
}
