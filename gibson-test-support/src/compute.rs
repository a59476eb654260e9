//! The stampede guard's promises, as plain scenarios every runtime crate
//! runs from a `#[test]` of its own: stale-while-refresh serves the old
//! value at once to the callers that do not compute, and a guard told to
//! fail open computes without a server it cannot reach.
//!
//! The async scenarios are generic over the executor (`R`, see
//! [`runtime`](crate::runtime)) and the client's runtime (`AR`, the
//! `gibson_async::Runtime` of the crate under test):
//!
//! ```ignore
//! Tokio::block_on(compute::stale_while_refresh::<Tokio, gibson_tokio::Tokio, _>(conn));
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use futures::channel::{mpsc as async_mpsc, oneshot};
use futures::{FutureExt, StreamExt};
use gibson_async::Compute;
use gibson_policy::{
    compute::{is_outage, ComputeOptions, OnCacheError},
    Config,
};
use gibson_proto::{AsyncCommands, Commands, Error, Ttl};

use crate::runtime::{no_hang, timeout, Runtime, Task};
use crate::{unique_prefix, Proxy, TestServer};

/// How long the callers that do not compute may take to answer before the
/// scenario calls them stuck behind the computation (which waits for the
/// scenario, so a caller that waits for it never answers): a bound to
/// detect the wait, not a measure of speed.
const STUCK: Duration = Duration::from_secs(10);

/// Stale copies kept a minute past the value's TTL.
pub fn serving_stale() -> ComputeOptions {
    ComputeOptions {
        serve_stale_for: Some(Duration::from_secs(60)),
        ..ComputeOptions::default()
    }
}

/// Computing without the cache when its server cannot be reached.
pub fn failing_open() -> ComputeOptions {
    ComputeOptions {
        on_cache_error: OnCacheError::ComputeWithoutCache,
        ..ComputeOptions::default()
    }
}

/// A key that lives 1 s, and the moment it is gone: polled every 100 ms
/// (the server's clock counts whole seconds).
const SHORT: Ttl = Ttl::Seconds(1);

/// Returns once `gone` says `what` has expired, pausing between looks;
/// fails after a minute.
fn wait_until(what: &str, mut gone: impl FnMut() -> bool, mut pause: impl FnMut()) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !gone() {
        assert!(Instant::now() < deadline, "{what} never expired");
        pause();
    }
}

/// A gate computations wait at until the scenario opens it.
#[derive(Default)]
struct Gate(Mutex<bool>, Condvar);

impl Gate {
    fn open(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.1.notify_all();
    }

    fn pass(&self) {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = self.1.wait(open).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Stale-while-refresh in one process: a value computed with a TTL of 1 s
/// expires; three callers of one guard then ask for it at once. The
/// computation waits at a gate the scenario opens only once two callers
/// have answered: those two answered without waiting for it, and must
/// have answered the old value. The third computes (exactly one
/// computation), answers the new value, and so does a later call.
pub async fn stale_while_refresh<R, AR, C>(cache: C)
where
    R: Runtime,
    AR: gibson_async::Runtime,
    C: AsyncCommands + Clone + Send + Sync + 'static,
{
    let guard = Arc::new(Compute::<C, AR>::with_options(
        cache.clone(),
        serving_stale(),
    ));
    let key = format!("{}page", unique_prefix("stale"));
    let first = guard
        .get_or_compute(key.as_str(), SHORT, || async {
            Ok::<_, Error>("old".to_string())
        })
        .await
        .unwrap();
    assert_eq!(first, "old");
    let deadline = Instant::now() + Duration::from_secs(60);
    while cache.get::<String>(key.as_str()).await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "{key} never expired");
        R::sleep(Duration::from_millis(100)).await;
    }

    let runs = Arc::new(AtomicUsize::new(0));
    let (open, gate) = oneshot::channel::<()>();
    let gate = gate.shared();
    let (answers, mut answered) = async_mpsc::unbounded();
    let callers: Vec<Task<()>> = (0..3)
        .map(|_| {
            let (guard, key, runs, gate) = (guard.clone(), key.clone(), runs.clone(), gate.clone());
            let answers = answers.clone();
            R::spawn(async move {
                let v = guard
                    .get_or_compute(key.as_str(), Ttl::Seconds(60), || async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        let _ = gate.await;
                        Ok::<_, Error>("new".to_string())
                    })
                    .await
                    .unwrap();
                let _ = answers.unbounded_send(v);
            })
        })
        .collect();
    for _ in 0..2 {
        let answer = timeout::<R, _>(STUCK, answered.next())
            .await
            .expect("a caller that does not compute waited for the computation");
        assert_eq!(answer.as_deref(), Some("old"), "the stale copy, at once");
    }
    open.send(()).unwrap();
    let third = no_hang::<R, _>("the computing caller", answered.next()).await;
    assert_eq!(third.as_deref(), Some("new"));
    for caller in callers {
        no_hang::<R, _>("a caller", caller).await;
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "exactly one computation");
    let later = guard
        .get_or_compute(key.as_str(), Ttl::Seconds(60), || async {
            Ok::<_, Error>("recomputed".to_string())
        })
        .await
        .unwrap();
    assert_eq!(later, "new");
}

/// [`stale_while_refresh`] for the blocking client: three threads, each
/// with its guard over its own connection from `connect`.
pub fn stale_while_refresh_blocking<C, F>(connect: F)
where
    C: Commands + Send + 'static,
    F: Fn() -> C,
{
    let mut guard = gibson_blocking::Compute::with_options(connect(), serving_stale());
    let key = format!("{}page", unique_prefix("stale"));
    let first = guard
        .get_or_compute(key.as_str(), SHORT, || Ok::<_, Error>("old".to_string()))
        .unwrap();
    assert_eq!(first, "old");
    wait_until(
        &key,
        || guard.cache().get::<String>(key.as_str()).unwrap().is_none(),
        || std::thread::sleep(Duration::from_millis(100)),
    );

    let runs = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Gate::default());
    let (answers, answered) = mpsc::channel();
    let callers: Vec<_> = (0..3)
        .map(|_| {
            let mut guard = gibson_blocking::Compute::with_options(connect(), serving_stale());
            let (key, runs, gate, answers) =
                (key.clone(), runs.clone(), gate.clone(), answers.clone());
            std::thread::spawn(move || {
                let v = guard
                    .get_or_compute(key.as_str(), Ttl::Seconds(60), || {
                        runs.fetch_add(1, Ordering::SeqCst);
                        gate.pass();
                        Ok::<_, Error>("new".to_string())
                    })
                    .unwrap();
                let _ = answers.send(v);
            })
        })
        .collect();
    for _ in 0..2 {
        let answer = answered
            .recv_timeout(STUCK)
            .expect("a caller that does not compute waited for the computation");
        assert_eq!(answer, "old", "the stale copy, at once");
    }
    gate.open();
    let third = answered
        .recv_timeout(crate::runtime::HANG)
        .expect("the computing caller hung");
    assert_eq!(third, "new");
    for caller in callers {
        caller.join().expect("a caller panicked");
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "exactly one computation");
    let later = guard
        .get_or_compute(key.as_str(), Ttl::Seconds(60), || {
            Ok::<_, Error>("recomputed".to_string())
        })
        .unwrap();
    assert_eq!(later, "new");
}

/// A server the client reached once and can reach no more: a proxy to
/// `server`, and the client's configuration through it. Drop the proxy
/// (once the client has connected) to cut the client off: its connection
/// is reset and connecting again is refused.
pub fn through_proxy(server: &TestServer) -> (Proxy, Config) {
    let proxy = Proxy::start(server.addr().clone());
    let mut config = server.config();
    config.addr = proxy.addr();
    (proxy, config)
}

/// The number of computations [`fails_open`] does without the cache.
pub const FAILED_OPEN: usize = 3;

/// A guard over `cache`, whose server cannot be reached: by default it
/// fails with the cache's error and computes nothing; told to fail open,
/// it computes and returns the value, [`FAILED_OPEN`] times.
pub async fn fails_open<R, AR, C>(cache: C)
where
    R: Runtime,
    AR: gibson_async::Runtime,
    C: AsyncCommands + Clone + Send + Sync + 'static,
{
    let key = format!("{}report", unique_prefix("failopen"));
    let runs = AtomicUsize::new(0);
    let strict = Compute::<C, AR>::new(cache.clone());
    let err = no_hang::<R, _>(
        "a guard without its server",
        strict.get_or_compute(key.as_str(), Ttl::Seconds(60), || async {
            runs.fetch_add(1, Ordering::SeqCst);
            Ok::<_, Error>("computed".to_string())
        }),
    )
    .await
    .unwrap_err();
    assert!(is_outage(&err), "{err}");
    assert_eq!(
        runs.load(Ordering::SeqCst),
        0,
        "failing closed computes nothing"
    );

    let open = Compute::<C, AR>::with_options(cache, failing_open());
    for i in 0..FAILED_OPEN {
        let v = no_hang::<R, _>(
            "a guard failing open",
            open.get_or_compute(key.as_str(), Ttl::Seconds(60), || async {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok::<_, Error>(format!("computed {i}"))
            }),
        )
        .await
        .unwrap();
        assert_eq!(v, format!("computed {i}"));
    }
    assert_eq!(runs.load(Ordering::SeqCst), FAILED_OPEN);
}

/// [`fails_open`] for the blocking client.
pub fn fails_open_blocking<C: Commands>(mut cache: C) {
    let key = format!("{}report", unique_prefix("failopen"));
    let mut runs = 0;
    let err = gibson_blocking::Compute::new(&mut cache)
        .get_or_compute(key.as_str(), Ttl::Seconds(60), || {
            runs += 1;
            Ok::<_, Error>("computed".to_string())
        })
        .unwrap_err();
    assert!(is_outage(&err), "{err}");
    assert_eq!(runs, 0, "failing closed computes nothing");

    let mut open = gibson_blocking::Compute::with_options(&mut cache, failing_open());
    for i in 0..FAILED_OPEN {
        let v = open
            .get_or_compute(key.as_str(), Ttl::Seconds(60), || {
                runs += 1;
                Ok::<_, Error>(format!("computed {i}"))
            })
            .unwrap();
        assert_eq!(v, format!("computed {i}"));
    }
    assert_eq!(runs, FAILED_OPEN);
}

/// [`stale_while_refresh`] on executor `E` over a connection of runtime
/// `R` to the test server.
pub async fn stale_while_refresh_serves_the_old_value_at_once<E, R>()
where
    E: Runtime,
    R: gibson_async::Runtime,
{
    let server = TestServer::start();
    let conn = gibson_async::Connection::<R>::with_config(server.config())
        .await
        .unwrap();
    stale_while_refresh::<E, R, _>(conn).await;
}

/// [`fails_open`] on executor `E` over a connection of runtime `R` cut
/// off from the test server ([`through_proxy`]), counted and logged as
/// `built` says the client does ([`failing_open_observed`]).
#[cfg(feature = "observe")]
pub async fn a_guard_fails_open_when_the_server_is_gone<E, R>(built: crate::built::Built)
where
    E: Runtime,
    R: gibson_async::Runtime,
{
    let server = TestServer::start();
    failing_open_observed(built, async {
        let (proxy, config) = through_proxy(&server);
        let conn = gibson_async::Connection::<R>::with_config(config)
            .await
            .unwrap();
        conn.ping().await.unwrap();
        drop(proxy);
        fails_open::<E, R, _>(conn).await;
    })
    .await;
}

/// The scenarios on the blocking client, each on a fresh test server, as
/// [`suite!`](crate::suite!)`(compute, client: gibson_blocking, …)` runs
/// them.
pub mod blocking {
    use crate::TestServer;

    /// [`stale_while_refresh_blocking`](super::stale_while_refresh_blocking)
    /// over connections to the test server.
    pub fn stale_while_refresh_serves_the_old_value_at_once() {
        let server = TestServer::start();
        super::stale_while_refresh_blocking(|| {
            gibson_blocking::Connection::with_config(server.config()).unwrap()
        });
    }

    /// [`fails_open_blocking`](super::fails_open_blocking) over a
    /// connection cut off from the test server, counted and logged as
    /// `built` says the client does.
    #[cfg(feature = "observe")]
    pub fn a_guard_fails_open_when_the_server_is_gone(built: crate::built::Built) {
        use gibson_proto::Commands;

        let server = TestServer::start();
        futures::executor::block_on(super::failing_open_observed(built, async {
            let (proxy, config) = super::through_proxy(&server);
            let mut conn = gibson_blocking::Connection::with_config(config).unwrap();
            conn.ping().unwrap();
            drop(proxy);
            super::fails_open_blocking(conn);
        }));
    }
}

/// Runs `scenario` (a [`fails_open`]) [`observed`](crate::built::observed):
/// [`FAILED_OPEN`] computations counted in
/// `gibson.client.compute.fail_open` and logged ([`fail_open_logged`]).
#[cfg(feature = "observe")]
pub async fn failing_open_observed(
    built: crate::built::Built,
    scenario: impl std::future::Future<Output = ()>,
) {
    let count = (
        gibson_observe::metrics::COMPUTE_FAIL_OPEN,
        FAILED_OPEN as u64,
    );
    crate::built::observed(built, count, scenario, fail_open_logged).await;
}

/// `events` (a [`RecordSpans`](crate::observe::RecordSpans) of the thread
/// that ran [`fails_open`]) hold one WARN per computation done without
/// the cache, naming its key.
#[cfg(feature = "observe")]
pub fn fail_open_logged(events: &[crate::observe::SpanRecord]) {
    crate::observe::checks::warned(events, "report", "computing without it", FAILED_OPEN);
}
