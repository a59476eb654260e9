//! The blocking stampede guard: four threads, each with its own
//! connection, ask for one missing key at once; the computation runs once;
//! then the shared scenarios (stale-while-refresh, failing open).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use gibson_blocking::{Commands, Compute, ComputeOptions, Connection, Error, Ttl};
use gibson_test_support::resilience::is_timeout_of;
use gibson_test_support::{unique_prefix, TestServer};

#[test]
fn four_threads_share_one_computation() {
    let server = TestServer::start();
    let key = format!("{}report", unique_prefix("bstampede"));
    let runs = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let conn = Connection::with_config(server.config()).unwrap();
            let (key, runs, start) = (key.clone(), runs.clone(), start.clone());
            std::thread::spawn(move || {
                let mut guard = Compute::new(conn);
                start.wait();
                (0..5)
                    .map(|_| {
                        guard
                            .get_or_compute(key.as_str(), Ttl::Seconds(60), || {
                                runs.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(Duration::from_millis(200));
                                Ok::<_, Error>("r1".to_string())
                            })
                            .unwrap()
                    })
                    .collect::<Vec<String>>()
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap().iter().all(|v| v == "r1"));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "computed exactly once");
}

#[test]
fn a_failed_computation_releases_the_lock_and_waiters_time_out() {
    let server = TestServer::start();
    let key = format!("{}k", unique_prefix("bstampedefail"));
    let conn = Connection::with_config(server.config()).unwrap();
    let mut guard = Compute::with_options(
        conn,
        ComputeOptions {
            wait: Duration::from_millis(300),
            ..ComputeOptions::default()
        },
    );
    let err = guard
        .get_or_compute(key.as_str(), Ttl::Seconds(60), || {
            Err::<String, Error>(Error::invalid("value", "the backend is down"))
        })
        .unwrap_err();
    assert!(err.to_string().contains("backend is down"));
    // Released at once: the next caller computes.
    let v = guard
        .get_or_compute(key.as_str(), Ttl::Seconds(60), || {
            Ok::<_, Error>("v1".to_string())
        })
        .unwrap();
    assert_eq!(v, "v1");
    // Someone holds the lock of another key: a waiter times out.
    let other = format!("{}held", unique_prefix("bstampedefail"));
    let mut holder = Connection::with_config(server.config()).unwrap();
    let lock = format!("__gibson:lock:{other}");
    holder.set(lock.as_str(), "1", Ttl::Seconds(10)).unwrap();
    assert!(holder.lock(lock.as_str(), 5u32).unwrap());
    let err = guard
        .get_or_compute(other.as_str(), Ttl::Seconds(60), || {
            Ok::<_, Error>("x".to_string())
        })
        .unwrap_err();
    assert!(is_timeout_of(&err, "computation"), "{err}");
    holder.unlock(lock.as_str()).unwrap();
    holder.del(lock.as_str()).unwrap();
}

// The shared scenarios (gibson-test-support's `compute`): stale-while-refresh
// and failing open.
gibson_test_support::suite!(compute, client: gibson_blocking, runtimes: [blocking]);
