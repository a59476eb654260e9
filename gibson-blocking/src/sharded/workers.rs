//! The threads a sharded client sends to several servers at once with:
//! started when no idle one is left, kept for the next calls (an idle one
//! ends after [`IDLE_EXIT`]), so that a fan-out or a split pipeline
//! starts no thread in the steady state.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

/// A piece of work for a worker; it says the worker is idle (see
/// [`Workers::run`]). Dropped unrun when no thread could be started for
/// it (its caller then sees no result).
type Job = Box<dyn FnOnce(&Shared) + Send>;

/// How long a worker waits for work before it ends.
const IDLE_EXIT: Duration = Duration::from_secs(60);

/// The workers of one sharded client; they end when it is dropped (once
/// idle).
#[derive(Debug, Default)]
pub(super) struct Workers {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when a job is queued, and when the workers must stop.
    ready: Condvar,
}

#[derive(Default)]
struct State {
    /// Jobs given to idle workers, not yet taken; never more than the
    /// workers waiting.
    jobs: VecDeque<Job>,
    /// Workers waiting for a job and not yet promised one.
    idle: usize,
    stop: bool,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("jobs", &self.jobs.len())
            .field("idle", &self.idle)
            .field("stop", &self.stop)
            .finish()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Jobs run outside the lock, so nothing panics while holding it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Workers {
    /// Runs `work` on an idle worker, or on a new one when none is idle,
    /// then hands its output to `deliver` (not when `work` panics). The
    /// worker counts as idle again before `deliver` runs, so a caller that
    /// waits for the output and calls again finds it idle.
    pub(super) fn run<T: 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
        deliver: impl FnOnce(T) + Send + 'static,
    ) {
        let job: Job = Box::new(move |shared: &Shared| {
            let out = catch_unwind(AssertUnwindSafe(work));
            shared.lock().idle += 1;
            if let Ok(out) = out {
                deliver(out);
            }
        });
        let mut state = self.shared.lock();
        if state.idle > 0 {
            state.idle -= 1;
            state.jobs.push_back(job);
            drop(state);
            self.shared.ready.notify_one();
            return;
        }
        drop(state);
        let shared = self.shared.clone();
        // Should the thread not start, the job is dropped unrun.
        let _ = thread::Builder::new()
            .name("gibson-sharded".into())
            .spawn(move || work_on(&shared, job));
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.ready.notify_all();
    }
}

/// A worker: runs `first`, then the jobs it is given, until it has waited
/// [`IDLE_EXIT`] for one or the client is gone.
fn work_on(shared: &Shared, first: Job) {
    let mut job = first;
    loop {
        // The job counts this worker idle when it is done.
        job(shared);
        let mut state = shared.lock();
        job = loop {
            if let Some(next) = state.jobs.pop_front() {
                break next;
            }
            if state.stop {
                state.idle -= 1;
                return;
            }
            let (next, waited) = shared
                .ready
                .wait_timeout(state, IDLE_EXIT)
                .unwrap_or_else(|e| e.into_inner());
            state = next;
            if waited.timed_out() && state.jobs.is_empty() {
                state.idle -= 1;
                return;
            }
        };
    }
}
