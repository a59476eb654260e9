//! The server's clock: unix seconds, injectable for tests.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A source of unix time in whole seconds (Gibson's clock has a one-second
/// resolution).
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the unix epoch.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// A clock that moves only when told: clones share the same time.
///
/// ```
/// use gibson_server::{Clock, ManualClock};
/// let clock = ManualClock::new(100);
/// let handle = clock.clone();
/// handle.advance(5);
/// assert_eq!(clock.now(), 105);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock reading `start` seconds.
    pub fn new(start: i64) -> ManualClock {
        ManualClock {
            now: Arc::new(AtomicI64::new(start)),
        }
    }

    /// Moves the clock forward (or back, with a negative value).
    pub fn advance(&self, secs: i64) {
        self.now.fetch_add(secs, Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set(&self, now: i64) {
        self.now.store(now, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}
