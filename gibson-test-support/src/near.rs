//! The near cache against a server, as plain scenarios every runtime crate
//! runs from a `#[test]` of its own: hits served from memory and the
//! process's own writes seen at once; two near caches (a writer and a
//! reader with memories of their own) where no read returns a value older
//! than `max_staleness` after the write that replaced it; a prefix write
//! from the other one seen within `max_staleness`; a value not served past
//! its TTL.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gibson_async::{NearCache, NearConfig};
use gibson_proto::{AsyncCommands, Commands, Ttl};

use crate::runtime::Runtime;

/// The staleness bound of every scenario.
pub const STALENESS: Duration = Duration::from_millis(50);

/// The keys the writer and the reader share, under their prefix.
const KEYS: usize = 4;

/// Writes per key in [`coherent_within_the_bound`].
const WRITES: u64 = 40;

/// A near cache's configuration for the keys under `prefix`.
pub fn config(prefix: &str) -> NearConfig {
    NearConfig::new([prefix]).max_staleness(STALENESS)
}

/// What a writer did and a reader saw, for [`History::check`].
#[derive(Debug, Default)]
pub struct History {
    /// Per key: the value written and when the write returned.
    pub writes: HashMap<String, Vec<(u64, Instant)>>,
    /// Each read: when it started, the key, the value.
    pub reads: Vec<(Instant, String, Option<u64>)>,
}

impl History {
    /// Checks every read against the bound: a read that started
    /// [`STALENESS`] after a write returned sees it or a later one.
    pub fn check(&self) {
        let mut served = 0;
        for (start, key, got) in &self.reads {
            let writes = self.writes.get(key).map(Vec::as_slice).unwrap_or(&[]);
            let newest_due = writes
                .iter()
                .filter(|(_, returned)| *returned + STALENESS <= *start)
                .map(|(v, _)| *v)
                .max();
            if let Some(due) = newest_due {
                served += 1;
                assert!(
                    got.is_some_and(|v| v >= due),
                    "a read of {key} got {got:?}, {STALENESS:?} after the write of {due} returned"
                );
            }
        }
        assert!(served > 0, "no read came late enough to check the bound");
    }
}

/// Readers go on for `4 × STALENESS` after the writer's last write, so
/// that the last writes are checked too.
fn past_the_last_write(finished: &AtomicBool, tail: &mut Option<Instant>) -> bool {
    if !finished.load(Ordering::Acquire) {
        return false;
    }
    Instant::now() >= *tail.get_or_insert_with(|| Instant::now() + STALENESS * 4)
}

fn key(prefix: &str, i: usize) -> String {
    format!("{prefix}{i}")
}

/// Hits come from memory; the process's own write is seen at once.
pub async fn hits_and_own_writes<C: AsyncCommands>(near: &NearCache<C>, prefix: &str) {
    let k = key(prefix, 0);
    near.set(k.as_str(), "one", Ttl::Seconds(600))
        .await
        .unwrap();
    let before = near.near_stats();
    for _ in 0..3 {
        let v: Option<String> = near.get(k.as_str()).await.unwrap();
        assert_eq!(v.as_deref(), Some("one"));
    }
    let after = near.near_stats();
    assert_eq!(after.hits - before.hits, 2, "{after:?}");
    assert_eq!(after.misses - before.misses, 1, "{after:?}");
    near.set(k.as_str(), "two", Ttl::Seconds(600))
        .await
        .unwrap();
    let v: Option<String> = near.get(k.as_str()).await.unwrap();
    assert_eq!(
        v.as_deref(),
        Some("two"),
        "the process's own write, at once"
    );
    // get_multi: held keys from memory, the others kept once read (the
    // SET of `five` dropped the prefix's copies).
    let five = key(prefix, 5);
    near.set(five.as_str(), "five", Ttl::Seconds(600))
        .await
        .unwrap();
    let keys = [k.clone(), five, key(prefix, 9), format!("outside:{prefix}")];
    for held in [0, 2] {
        let before = near.near_stats();
        let got = near.get_multi::<_, String>(&keys).await.unwrap();
        let got: Vec<Option<String>> = got.into_iter().map(Result::unwrap).collect();
        let want = [Some("two"), Some("five"), None, None].map(|v| v.map(String::from));
        assert_eq!(got, want);
        assert_eq!(near.near_stats().hits - before.hits, held);
    }
    near.mdel(prefix).await.unwrap();
    let v: Option<String> = near.get(k.as_str()).await.unwrap();
    assert_eq!(v, None, "the process's own prefix write, at once");
}

/// A writer and a reader with memories of their own, at once: no read is
/// older than the bound.
pub async fn coherent_within_the_bound<R: Runtime, W: AsyncCommands, C: AsyncCommands>(
    writer: &NearCache<W>,
    reader: &NearCache<C>,
    prefix: &str,
) {
    let mut history = History::default();
    let finished = AtomicBool::new(false);
    let mut tail = None;
    let writes = async {
        let mut done: HashMap<String, Vec<(u64, Instant)>> = HashMap::new();
        for n in 1..=WRITES {
            for i in 0..KEYS {
                let k = key(prefix, i);
                writer.set(k.as_str(), n, Ttl::Seconds(600)).await.unwrap();
                done.entry(k).or_default().push((n, Instant::now()));
            }
            R::sleep(STALENESS / 8).await;
        }
        finished.store(true, Ordering::Release);
        done
    };
    let reads = async {
        let mut seen = Vec::new();
        let mut i = 0;
        while !past_the_last_write(&finished, &mut tail) {
            let k = key(prefix, i % KEYS);
            let start = Instant::now();
            let got: Option<u64> = reader.get(k.as_str()).await.unwrap();
            seen.push((start, k, got));
            i += 1;
            if i % 16 == 0 {
                R::sleep(Duration::from_millis(1)).await;
            }
        }
        seen
    };
    let (writes, reads) = futures::future::join(writes, reads).await;
    history.writes = writes;
    history.reads = reads;
    history.check();
    assert!(
        reader.near_stats().hits > 0,
        "the reader served from memory"
    );
}

/// A prefix write by one near cache is seen by the other's reads within
/// the bound.
pub async fn prefix_write_seen_within_the_bound<R: Runtime, C: AsyncCommands>(
    a: &NearCache<C>,
    b: &NearCache<C>,
    prefix: &str,
) {
    let k = key(prefix, 1);
    a.set(k.as_str(), "kept", Ttl::Seconds(600)).await.unwrap();
    for _ in 0..2 {
        let v: Option<String> = a.get(k.as_str()).await.unwrap();
        assert_eq!(v.as_deref(), Some("kept"));
    }
    assert_eq!(b.mdel(prefix).await.unwrap(), 1);
    R::sleep(STALENESS).await;
    let v: Option<String> = a.get(k.as_str()).await.unwrap();
    assert_eq!(v, None, "the other's MDEL, {STALENESS:?} later");
}

/// A value with 2 s to live is kept for at most one, and read as absent
/// once the server expired it.
pub async fn not_served_past_its_ttl<R: Runtime, C: AsyncCommands>(
    near: &NearCache<C>,
    prefix: &str,
) {
    let k = key(prefix, 2);
    near.set(k.as_str(), "short", Ttl::Seconds(2))
        .await
        .unwrap();
    let v: Option<String> = near.get(k.as_str()).await.unwrap();
    assert_eq!(v.as_deref(), Some("short"));
    R::sleep(Duration::from_millis(2_100)).await;
    // The server's clock ticks in seconds: the item is gone by 3 s.
    R::sleep(Duration::from_millis(1_000)).await;
    let v: Option<String> = near.get(k.as_str()).await.unwrap();
    assert_eq!(v, None, "past its TTL");
}

/// [`hits_and_own_writes`] for a blocking client.
pub fn hits_and_own_writes_blocking<C: Commands>(
    near: &mut gibson_blocking::NearCache<C>,
    prefix: &str,
) {
    let k = key(prefix, 0);
    near.set(k.as_str(), "one", Ttl::Seconds(600)).unwrap();
    let before = near.near_stats();
    for _ in 0..3 {
        let v: Option<String> = near.get(k.as_str()).unwrap();
        assert_eq!(v.as_deref(), Some("one"));
    }
    let after = near.near_stats();
    assert_eq!(after.hits - before.hits, 2, "{after:?}");
    near.set(k.as_str(), "two", Ttl::Seconds(600)).unwrap();
    let v: Option<String> = near.get(k.as_str()).unwrap();
    assert_eq!(
        v.as_deref(),
        Some("two"),
        "the process's own write, at once"
    );
    // get_multi: held keys from memory, the others kept once read (the
    // SET of `five` dropped the prefix's copies).
    let five = key(prefix, 5);
    near.set(five.as_str(), "five", Ttl::Seconds(600)).unwrap();
    let keys = [k.clone(), five, key(prefix, 9), format!("outside:{prefix}")];
    for held in [0, 2] {
        let before = near.near_stats();
        let got = near.get_multi::<_, String>(&keys).unwrap();
        let got: Vec<Option<String>> = got.into_iter().map(Result::unwrap).collect();
        let want = [Some("two"), Some("five"), None, None].map(|v| v.map(String::from));
        assert_eq!(got, want);
        assert_eq!(near.near_stats().hits - before.hits, held);
    }
}

/// [`coherent_within_the_bound`] for blocking clients, the writer and the
/// reader on threads of their own.
pub fn coherent_within_the_bound_blocking<W: Commands + Send, C: Commands + Send>(
    mut writer: gibson_blocking::NearCache<W>,
    mut reader: gibson_blocking::NearCache<C>,
    prefix: &str,
) {
    let finished = AtomicBool::new(false);
    let (writes, reads) = std::thread::scope(|s| {
        let writes = s.spawn(|| {
            let mut done: HashMap<String, Vec<(u64, Instant)>> = HashMap::new();
            for n in 1..=WRITES {
                for i in 0..KEYS {
                    let k = key(prefix, i);
                    writer.set(k.as_str(), n, Ttl::Seconds(600)).unwrap();
                    done.entry(k).or_default().push((n, Instant::now()));
                }
                std::thread::sleep(STALENESS / 8);
            }
            finished.store(true, Ordering::Release);
            done
        });
        let reads = s.spawn(|| {
            let mut seen = Vec::new();
            let mut i = 0;
            let mut tail = None;
            while !past_the_last_write(&finished, &mut tail) {
                let k = key(prefix, i % KEYS);
                let start = Instant::now();
                let got: Option<u64> = reader.get(k.as_str()).unwrap();
                seen.push((start, k, got));
                i += 1;
            }
            (seen, reader.near_stats())
        });
        (writes.join().unwrap(), reads.join().unwrap())
    });
    let (reads, stats) = reads;
    History { writes, reads }.check();
    assert!(stats.hits > 0, "the reader served from memory");
}

/// [`prefix_write_seen_within_the_bound`] for blocking clients.
pub fn prefix_write_seen_within_the_bound_blocking<C: Commands, D: Commands>(
    a: &mut gibson_blocking::NearCache<C>,
    b: &mut gibson_blocking::NearCache<D>,
    prefix: &str,
) {
    let k = key(prefix, 1);
    a.set(k.as_str(), "kept", Ttl::Seconds(600)).unwrap();
    for _ in 0..2 {
        let v: Option<String> = a.get(k.as_str()).unwrap();
        assert_eq!(v.as_deref(), Some("kept"));
    }
    assert_eq!(b.mdel(prefix).unwrap(), 1);
    std::thread::sleep(STALENESS);
    let v: Option<String> = a.get(k.as_str()).unwrap();
    assert_eq!(v, None, "the other's MDEL, {STALENESS:?} later");
}

/// With the server gone, a read past the bound fails with the version
/// check's error instead of serving what memory holds.
pub fn an_outage_is_not_hidden_blocking<C: Commands>(
    near: &mut gibson_blocking::NearCache<C>,
    prefix: &str,
    stop_server: impl FnOnce(),
) {
    let k = key(prefix, 3);
    near.set(k.as_str(), "held", Ttl::Seconds(600)).unwrap();
    let v: Option<String> = near.get(k.as_str()).unwrap();
    assert_eq!(v.as_deref(), Some("held"));
    stop_server();
    let v: Option<String> = near.get(k.as_str()).unwrap();
    assert_eq!(v.as_deref(), Some("held"), "within the bound: from memory");
    std::thread::sleep(STALENESS);
    let err = near.get::<String>(k.as_str()).unwrap_err();
    assert!(err.is_connection_broken(), "{err}");
}

/// In front of a sharded client whose server holding the prefix's version
/// key stops answering: past the bound, reads go to the servers holding
/// their keys (bypasses) and still answer; memory is not served.
pub async fn a_dead_version_server_sends_reads_to_their_servers<R, C>(
    near: &NearCache<C>,
    cluster: &crate::cluster::Cluster,
    shards: &gibson_policy::shard::ShardConfig,
    prefix: &str,
) where
    R: Runtime,
    C: AsyncCommands,
{
    let version_key = near.near().config().version_key(prefix.as_bytes());
    let ring = shards.ring();
    let version_server = ring.index_for(&version_key).expect("a server");
    let k = crate::shard::key_on(
        shards,
        (version_server + 1) % shards.servers().len(),
        prefix,
    );
    near.set(k.as_str(), "v", Ttl::Seconds(600)).await.unwrap();
    for _ in 0..2 {
        let v: Option<String> = near.get(k.as_str()).await.unwrap();
        assert_eq!(v.as_deref(), Some("v"));
    }
    cluster.kill(version_server);
    R::sleep(STALENESS).await;
    let before = near.near_stats();
    let v: Option<String> = near.get(k.as_str()).await.unwrap();
    assert_eq!(v.as_deref(), Some("v"), "from the key's own server");
    let after = near.near_stats();
    assert_eq!(after.hits, before.hits, "not from memory past the bound");
    assert!(after.bypasses > before.bypasses, "{after:?}");
    cluster.revive(version_server);
}
