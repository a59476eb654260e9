//! A fan-out or a split pipeline over the blocking `Sharded` starts no
//! thread per call: the same worker threads serve call after call. Alone
//! in its test binary, so that no other test starts threads meanwhile.

use gibson_blocking::{Commands, Sharded, Ttl};
use gibson_test_support::{unique_prefix, TestServer};

/// The ids of this process's threads now (Linux: `/proc/self/task`).
#[cfg(target_os = "linux")]
fn threads() -> std::collections::BTreeSet<u64> {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn fan_outs_and_split_pipelines_start_no_thread_per_call() {
    let servers: Vec<TestServer> = (0..2).map(|_| TestServer::embedded_tcp()).collect();
    let list: Vec<String> = servers.iter().map(|s| s.addr().to_string()).collect();
    let mut cache = Sharded::connect(&format!("gibson://{}", list.join(","))).unwrap();
    let p = unique_prefix("threads");
    let keys: Vec<String> = (0..16).map(|i| format!("{p}{i}")).collect();
    let round = |cache: &mut Sharded| {
        let stored = cache.set_multi(keys.iter().map(|k| (k.as_str(), "v")), Ttl::Never);
        assert!(stored.unwrap().iter().all(Result::is_ok));
        let got = cache.get_multi::<_, String>(keys.iter().map(String::as_str));
        assert!(got.unwrap().iter().all(|v| v.as_ref().unwrap().is_some()));
        assert_eq!(cache.count(p.as_str()).unwrap(), 16);
    };
    round(&mut cache); // connects, and starts the workers
    let before = threads();
    for _ in 0..50 {
        round(&mut cache);
    }
    let started: Vec<u64> = threads().difference(&before).copied().collect();
    assert!(started.is_empty(), "threads started: {started:?}");
}
