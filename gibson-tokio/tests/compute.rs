//! The stampede guard under contention: one computation for a hundred
//! tasks, and for four separate connections (as four processes would be);
//! a computing caller that dies; waiters that time out; stale values.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gibson_test_support::resilience::is_timeout_of;
use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{AsyncCommands, Compute, ComputeOptions, Connection, Error, Ttl};

/// A computation that takes a while and counts its runs.
async fn slow(runs: &AtomicUsize, value: &str) -> Result<String, Error> {
    runs.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(value.to_string())
}

/// A key no one has computed yet, `name` under a fresh prefix named after
/// `tag`, and a count of its computations.
fn uncomputed(tag: &str, name: &str) -> (String, Arc<AtomicUsize>) {
    let key = format!("{}{name}", unique_prefix(tag));
    (key, Arc::new(AtomicUsize::new(0)))
}

/// `guard`'s value of `key`, computed as `value` at once when it must be.
async fn at_once(
    guard: &Compute<Connection>,
    key: &str,
    ttl: Ttl,
    value: &str,
) -> Result<String, Error> {
    let value = value.to_string();
    guard
        .get_or_compute(key, ttl, || async move { Ok::<_, Error>(value) })
        .await
}

/// A guard on `conn` that serves a stale copy for a minute while another
/// caller recomputes.
fn serving_stale(conn: &Connection) -> Compute<Connection> {
    let options = ComputeOptions {
        serve_stale_for: Some(Duration::from_secs(60)),
        ..ComputeOptions::default()
    };
    Compute::with_options(conn.clone(), options)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_tasks_share_one_computation() {
    let server = TestServer::start();
    let conn = Connection::with_config(server.config()).await.unwrap();
    let guard = Arc::new(Compute::new(conn));
    let (key, runs) = uncomputed("stampede", "page");
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (guard, key, runs) = (guard.clone(), key.clone(), runs.clone());
            tokio::spawn(async move {
                guard
                    .get_or_compute(key.as_str(), Ttl::Seconds(60), || slow(&runs, "v1"))
                    .await
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), "v1");
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "computed exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_connections_share_one_computation() {
    let server = TestServer::start();
    let (key, runs) = uncomputed("stampede4", "report");
    let mut tasks = Vec::new();
    for _ in 0..4 {
        // Each its own connection and guard: nothing shared in-process
        // but the counter, as four processes would be.
        let conn = Connection::with_config(server.config()).await.unwrap();
        let (key, runs) = (key.clone(), runs.clone());
        tasks.push(tokio::spawn(async move {
            let guard = Compute::new(conn);
            let mut got = Vec::new();
            for _ in 0..5 {
                let v = guard
                    .get_or_compute(key.as_str(), Ttl::Seconds(60), || slow(&runs, "r1"))
                    .await
                    .unwrap();
                got.push(v);
            }
            got
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().iter().all(|v| v == "r1"));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "computed exactly once");
}

#[tokio::test]
async fn a_dead_computer_s_lock_expires_and_the_next_caller_computes() {
    let server = TestServer::start();
    let conn = Connection::with_config(server.config()).await.unwrap();
    // Gibson's locks count whole seconds of its clock: one of 3 s lasts
    // between 2 and 3 s.
    let options = ComputeOptions {
        lock_for: Duration::from_secs(3),
        wait: Duration::from_millis(300),
        ..ComputeOptions::default()
    };
    let guard = Compute::with_options(conn.clone(), options);
    let key = format!("{}k", unique_prefix("stampededead"));
    // The first caller takes the lock and is cancelled mid-computation.
    let hang = guard.get_or_compute(key.as_str(), Ttl::Seconds(60), || async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok::<String, Error>("never".into())
    });
    assert!(tokio::time::timeout(Duration::from_millis(200), hang)
        .await
        .is_err());
    // Another process meanwhile waits, and times out.
    let other = Compute::with_options(conn.clone(), options);
    let err = at_once(&other, &key, Ttl::Seconds(60), "x")
        .await
        .unwrap_err();
    assert!(is_timeout_of(&err, "computation"), "{err}");
    // Once the lock has expired on the server, the next caller computes.
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    let v = at_once(&other, &key, Ttl::Seconds(60), "fresh")
        .await
        .unwrap();
    assert_eq!(v, "fresh");
    assert_eq!(
        conn.get::<String>(key.as_str()).await.unwrap().as_deref(),
        Some("fresh")
    );
}

#[tokio::test]
async fn a_failed_computation_releases_the_lock_and_waiters_may_take_a_stale_copy() {
    let server = TestServer::start();
    let conn = Connection::with_config(server.config()).await.unwrap();
    let key = format!("{}k", unique_prefix("stampedefail"));
    let guard = serving_stale(&conn);
    let err = guard
        .get_or_compute(key.as_str(), Ttl::Seconds(1), || async {
            Err::<String, Error>(Error::invalid("value", "the backend is down"))
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("backend is down"));
    // Released at once: the next caller computes.
    let v = at_once(&guard, &key, Ttl::Seconds(1), "v1").await.unwrap();
    assert_eq!(v, "v1");
    // After the TTL, while one caller recomputes, another gets the stale copy.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let recompute = guard.get_or_compute(key.as_str(), Ttl::Seconds(1), || async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok::<_, Error>("v2".to_string())
    });
    let other = serving_stale(&conn);
    let stale = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        at_once(&other, &key, Ttl::Seconds(1), "no").await
    };
    let (fresh, stale) = tokio::join!(recompute, stale);
    assert_eq!(fresh.unwrap(), "v2");
    assert_eq!(stale.unwrap(), "v1", "the stale copy, at once");
}

// The shared scenarios (gibson-test-support's `compute`), on tokio's
// current-thread and multi-thread runtimes.
gibson_test_support::suite!(compute, client: gibson_tokio, runtimes: [tokio, tokio_multi_thread]);
