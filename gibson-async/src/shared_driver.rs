//! A driver shared by its own task and the callers that poll it on theirs
//! (see [`InlineDriver`]).
//!
//! Whoever polls the driver does so with the same waker, this module's
//! [`SharedDriver`]: its wake-ups (the socket, the timer, new requests) go
//! to the caller leading the connection if there is one, else to the
//! driver's task. Polls never wait for each other: one that finds the
//! driver busy leaves a note, and the poll under way polls again.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::task::{Context, Poll, Wake, Waker};

use crate::driver::Driver;
use crate::runtime::Runtime;

/// A driver that its callers may poll on their own task. A caller that
/// finds the connection idle drives its request itself: it writes it, and
/// the driver's wake-ups (socket, timer) go to that caller, which reads its
/// reply on its own task. At one request in flight this saves two task
/// wake-ups per round trip, which cross threads whenever the caller and
/// the driver's task run on different ones.
pub(crate) trait InlineDriver: Send + Sync {
    /// Polls the driver on behalf of the caller whose waker is `caller`
    /// (unless another poll is under way, which then polls again); until
    /// the caller [`leave`](InlineDriver::leave)s, the driver's wake-ups
    /// go to it.
    fn drive(self: Arc<Self>, caller: &Waker);
    /// The caller no longer drives: the driver's wake-ups go to its own
    /// task again, which is woken now if `work_left` or if a wake-up was
    /// sent to the caller meanwhile.
    fn leave(self: Arc<Self>, caller: &Waker, work_left: bool);
}

/// Where the driver's wake-ups go.
#[derive(Default)]
struct Route {
    /// The caller driving the connection on its task, if any.
    leader: Option<Waker>,
    /// A wake-up went to the leader, which has not polled the driver since.
    sent_to_leader: bool,
    /// The driver's own task, once it ran.
    task: Option<Waker>,
}

/// A connection's driver, its task and its leading caller.
pub(crate) struct SharedDriver<R: Runtime> {
    /// `None` once the task took it out to close it.
    driver: Mutex<Option<Driver<R>>>,
    /// A poll found the driver busy: the poll under way polls again.
    missed: AtomicBool,
    /// The driver's run ended: its task closes it.
    finished: AtomicBool,
    route: Mutex<Route>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<R: Runtime> SharedDriver<R> {
    /// Shares `driver`; run [`task`](SharedDriver::task) to drive it when
    /// no caller does.
    pub(crate) fn new(driver: Driver<R>) -> Arc<SharedDriver<R>> {
        Arc::new(SharedDriver {
            driver: Mutex::new(Some(driver)),
            missed: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            route: Mutex::new(Route::default()),
        })
    }

    /// The driver's task: polls it when woken, then closes it once its
    /// run ends.
    pub(crate) fn task(self: &Arc<Self>) -> DriverTask<R> {
        DriverTask {
            shared: self.clone(),
            closing: None,
        }
    }

    /// Polls the driver unless another poll is under way (which then polls
    /// again); `true` once its run has ended.
    fn poll_driver(self: &Arc<Self>) -> bool {
        let waker = Waker::from(self.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            let mut guard = match self.driver.try_lock() {
                Ok(guard) => guard,
                Err(TryLockError::Poisoned(e)) => e.into_inner(),
                Err(TryLockError::WouldBlock) => {
                    self.missed.store(true, Ordering::SeqCst);
                    // The other poll may have ended before the note: try
                    // once more; if it is still busy, it sees the note.
                    match self.driver.try_lock() {
                        Ok(guard) => guard,
                        Err(TryLockError::Poisoned(e)) => e.into_inner(),
                        Err(TryLockError::WouldBlock) => {
                            return self.finished.load(Ordering::SeqCst)
                        }
                    }
                }
            };
            self.missed.store(false, Ordering::SeqCst);
            if let Some(driver) = guard.as_mut() {
                if !self.finished.load(Ordering::SeqCst) && driver.poll(&mut cx).is_ready() {
                    self.finished.store(true, Ordering::SeqCst);
                    let task = lock(&self.route).task.clone();
                    if let Some(task) = task {
                        task.wake();
                    }
                }
            }
            drop(guard);
            if !self.missed.load(Ordering::SeqCst) {
                return self.finished.load(Ordering::SeqCst);
            }
        }
    }
}

impl<R: Runtime> Wake for SharedDriver<R> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waker = {
            let mut route = lock(&self.route);
            match route.leader.take() {
                Some(leader) => {
                    route.sent_to_leader = true;
                    Some(leader)
                }
                None => route.task.clone(),
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<R: Runtime> InlineDriver for SharedDriver<R> {
    fn drive(self: Arc<Self>, caller: &Waker) {
        {
            let mut route = lock(&self.route);
            if !route.leader.as_ref().is_some_and(|w| w.will_wake(caller)) {
                route.leader = Some(caller.clone());
            }
            route.sent_to_leader = false;
        }
        self.poll_driver();
    }

    fn leave(self: Arc<Self>, caller: &Waker, work_left: bool) {
        let task = {
            let mut route = lock(&self.route);
            if route.leader.as_ref().is_some_and(|w| w.will_wake(caller)) {
                route.leader = None;
            }
            // A wake-up the leader did not act on is passed to the task.
            let missed = std::mem::take(&mut route.sent_to_leader);
            if work_left || missed {
                route.task.clone()
            } else {
                None
            }
        };
        if let Some(task) = task {
            task.wake();
        }
    }
}

/// The future of a connection's driver task (from [`SharedDriver::task`]).
pub(crate) struct DriverTask<R: Runtime> {
    shared: Arc<SharedDriver<R>>,
    /// Closing the socket, once the run ended.
    closing: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl<R: Runtime> Future for DriverTask<R> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.closing.is_none() {
            {
                let mut route = lock(&self.shared.route);
                if !route.task.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    route.task = Some(cx.waker().clone());
                }
            }
            if !self.shared.poll_driver() {
                return Poll::Pending;
            }
            let driver = lock(&self.shared.driver).take();
            match driver {
                Some(driver) => self.closing = Some(Box::pin(driver.finish())),
                None => return Poll::Ready(()),
            }
        }
        match self.closing.as_mut() {
            Some(closing) => closing.as_mut().poll(cx),
            None => Poll::Ready(()),
        }
    }
}

impl<R: Runtime> Drop for DriverTask<R> {
    fn drop(&mut self) {
        // A task dropped before the end (its runtime shut down) drops the
        // driver, which fails what is in flight: nothing keeps it alive
        // through the wakers registered with its socket and timer.
        let driver = lock(&self.shared.driver).take();
        drop(driver);
    }
}
