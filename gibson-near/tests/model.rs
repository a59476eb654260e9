//! The near cache's rules against a model server and a virtual clock: two
//! clients, each with its own near cache, read and write the same keys;
//! no read returns a value older than `max_staleness` after the write
//! that replaced it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use gibson_near::{Check, Fetch, Near, NearConfig, Read};
use gibson_proto::{Opcode, Value};
use proptest::prelude::*;

const STALENESS: Duration = Duration::from_millis(100);

/// A server: values by key, each write numbered, with its history.
#[derive(Default)]
struct Server {
    values: HashMap<Bytes, Value>,
    /// Per key: (write number, when it returned, the value after it).
    history: HashMap<Bytes, Vec<(u64, Instant, Option<Value>)>>,
    writes: u64,
}

impl Server {
    fn get(&self, key: &[u8]) -> Option<Value> {
        self.values.get(key).cloned()
    }

    fn record(&mut self, key: &Bytes, at: Instant) {
        self.writes += 1;
        let value = self.get(key);
        self.history
            .entry(key.clone())
            .or_default()
            .push((self.writes, at, value));
    }
}

/// One client's read, run to its end.
fn read(near: &Near, server: &Server, key: &[u8], now: Instant) -> Option<Value> {
    loop {
        match near.read(key, now) {
            Read::Hit(v) => return Some(v),
            Read::Check(check) => {
                let version = server.get(check.version_key());
                check.done(version);
            }
            Read::Fetch(fetch) => {
                let value = server.get(key);
                let left = value.as_ref().map(|_| -1);
                near.fetched(key, fetch, value.as_ref(), left);
                return value;
            }
            Read::Bypass | Read::Pass => return server.get(key),
        }
    }
}

/// One client's write (`Some`: SET, `None`: DEL, or MDEL of `key` as a
/// prefix), then its bump.
fn write(near: &Near, server: &mut Server, key: &[u8], op: Op, now: Instant) {
    let key = Bytes::copy_from_slice(key);
    let opcode = match op {
        Op::Set(n) => {
            server.values.insert(key.clone(), Value::Int(n));
            Opcode::Set
        }
        Op::Del => {
            server.values.remove(&key);
            Opcode::Del
        }
        Op::Mdel => {
            let gone: Vec<Bytes> = server
                .values
                .keys()
                .filter(|k| k.starts_with(&key))
                .cloned()
                .collect();
            for k in &gone {
                server.values.remove(k);
                server.record(k, now);
            }
            Opcode::Mdel
        }
        Op::Read => unreachable!(),
    };
    if opcode != Opcode::Mdel {
        server.record(&key, now);
    }
    if let Some(bump) = near.bump(near.writes(opcode, Some(&key))) {
        for k in bump.version_keys() {
            server
                .values
                .insert(k.clone(), Value::Bytes(bump.token().clone()));
        }
        near.bumped(&bump, now, true);
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Read,
    Set(i64),
    Del,
    Mdel,
}

fn step() -> impl Strategy<Value = (bool, Op, usize, u64)> {
    let op = prop_oneof![
        6 => Just(Op::Read),
        3 => (0i64..1000).prop_map(Op::Set),
        1 => Just(Op::Del),
        1 => Just(Op::Mdel),
    ];
    (any::<bool>(), op, 0usize..5, 0u64..60)
}

const KEYS: [&str; 5] = ["user:a", "user:b", "user:ab:1", "user:", "page:1"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_read_is_older_than_the_bound(steps in prop::collection::vec(step(), 1..200)) {
        let config = NearConfig::new(["user:", "user:ab:"]).max_staleness(STALENESS);
        let clients = [Near::new(config.clone()).unwrap(), Near::new(config).unwrap()];
        let mut server = Server::default();
        let start = Instant::now();
        let mut now = start;
        for (client, op, key, dt) in steps {
            now += Duration::from_millis(dt);
            let near = &clients[usize::from(client)];
            let key = KEYS[key].as_bytes();
            let Op::Read = op else {
                write(near, &mut server, key, op, now);
                continue;
            };
            let got = read(near, &server, key, now);
            // The states the key may be seen in: the one after the last
            // write that returned at least STALENESS ago, and any later.
            let history = server.history.get(key).map(Vec::as_slice).unwrap_or(&[]);
            let bound = now.checked_sub(STALENESS).unwrap_or(start);
            let first = history.iter().rposition(|(_, at, _)| *at <= bound);
            let allowed: Vec<&Option<Value>> = match first {
                Some(i) => history[i..].iter().map(|(_, _, v)| v).collect(),
                None => std::iter::once(&None).chain(history.iter().map(|(_, _, v)| v)).collect(),
            };
            prop_assert!(
                allowed.contains(&&got),
                "read of {:?} at {:?} got {:?}, allowed {:?}",
                String::from_utf8_lossy(key), now - start, got, allowed
            );
        }
    }
}

/// The read of `key` at `now`, which must be a check of its prefix's
/// version (else a panic saying `why`).
fn check_of<'a>(near: &'a Near, key: &[u8], now: Instant, why: &str) -> Check<'a> {
    match near.read(key, now) {
        Read::Check(check) => check,
        _ => panic!("{why}"),
    }
}

/// The read of `key` at `now`, which must be a fetch of its value (else a
/// panic saying `why`).
fn fetch_of(near: &Near, key: &[u8], now: Instant, why: &str) -> Fetch {
    match near.read(key, now) {
        Read::Fetch(fetch) => fetch,
        _ => panic!("{why}"),
    }
}

/// A near cache of `config` and the time now, the version of the prefix
/// of `key` checked (it was never bumped).
fn checked(config: NearConfig, key: &[u8]) -> (Near, Instant) {
    let near = Near::new(config).unwrap();
    let now = Instant::now();
    check_of(&near, key, now, "the first read checks the version").done(None);
    (near, now)
}

/// What a read plans, as a word.
fn kind(read: &Read<'_>) -> &'static str {
    match read {
        Read::Hit(_) => "hit",
        Read::Check(_) => "check",
        Read::Fetch(_) => "fetch",
        _ => "another read",
    }
}

#[test]
fn a_value_is_not_served_past_its_ttl() {
    let config = NearConfig::new(["k:"]).max_staleness(Duration::from_secs(3600));
    let (near, t0) = checked(config, b"k:1");
    let value = Value::from("v");
    for (key, left) in [
        ("k:1", Some(5)),
        ("k:2", Some(1)),
        ("k:3", None),
        ("k:4", Some(-1)),
    ] {
        let fetch = fetch_of(&near, key.as_bytes(), t0, "a value not held is fetched");
        near.fetched(key.as_bytes(), fetch, Some(&value), left);
    }
    let at = |secs: f64| t0 + Duration::from_secs_f64(secs);
    for (key, secs, want, why) in [
        ("k:1", 3.9, "hit", "kept"),
        ("k:1", 4.0, "fetch", "one second early"),
        ("k:2", 0.0, "fetch", "under 2 s left: not kept"),
        ("k:3", 0.0, "fetch", "gone: not kept"),
        ("k:4", 3000.0, "hit", "no expiry"),
    ] {
        let got = kind(&near.read(key.as_bytes(), at(secs)));
        assert_eq!(got, want, "{key} at {secs} s: {why}");
    }
    let stats = near.stats();
    assert_eq!((stats.hits, stats.misses, stats.bypasses), (2, 2, 2));
}

#[test]
fn a_check_in_flight_sends_other_readers_to_the_server() {
    let near = Near::new(NearConfig::new(["k:"])).unwrap();
    let now = Instant::now();
    let check = check_of(&near, b"k:1", now, "the first read checks the version");
    assert!(matches!(near.read(b"k:2", now), Read::Bypass));
    drop(check); // a reader that gave up lets the next one check
    assert!(matches!(near.read(b"k:2", now), Read::Check(_)));
}

#[test]
fn a_changed_version_drops_the_prefix_and_counts_the_hits_before() {
    let near = Near::new(NearConfig::new(["k:"]).max_staleness(Duration::from_millis(10))).unwrap();
    let t0 = Instant::now();
    let check = check_of(&near, b"k:1", t0, "a check");
    check.done(Some(Value::from("v1")));
    let fetch = fetch_of(&near, b"k:1", t0, "a fetch");
    near.fetched(b"k:1", fetch, Some(&Value::from("old")), Some(-1));
    for _ in 0..3 {
        assert!(matches!(near.read(b"k:1", t0), Read::Hit(_)));
    }
    let later = t0 + Duration::from_millis(10);
    let check = check_of(
        &near,
        b"k:1",
        later,
        "past the bound the version is read again",
    );
    check.done(Some(Value::from("v2")));
    assert!(matches!(near.read(b"k:1", later), Read::Fetch(_)));
    let stats = near.stats();
    assert_eq!(
        (
            stats.version_checks,
            stats.invalidations,
            stats.stale_serves
        ),
        (2, 1, 3)
    );
}

#[test]
fn bad_configurations_are_refused_by_name() {
    let cases = [
        (NearConfig::new(Vec::<&str>::new()), "prefixes"),
        (NearConfig::new([""]), "prefixes"),
        (NearConfig::new(["a:"]).max_entries(0), "max_entries"),
        (NearConfig::new(["a:"]).max_bytes(0), "max_bytes"),
        (
            NearConfig::new(["a:"]).max_staleness(Duration::ZERO),
            "max_staleness",
        ),
        (NearConfig::new(["~"]), "version_prefix"),
        (
            NearConfig::new(["a:"]).version_prefix("a:v:"),
            "version_prefix",
        ),
    ];
    for (config, arg) in cases {
        let err = Near::new(config).unwrap_err();
        assert!(err.to_string().contains(arg), "{err}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(50))]

    #[test]
    fn memory_stays_within_its_bounds(sizes in prop::collection::vec(0usize..20_000, 1..600)) {
        let max_bytes = 256 * 1024;
        let max_entries = 100;
        let near = Near::new(
            NearConfig::new(["k:"]).max_bytes(max_bytes).max_entries(max_entries),
        ).unwrap();
        let now = Instant::now();
        let check = check_of(&near, b"k:0", now, "a check");
        check.done(None);
        for (i, size) in sizes.into_iter().enumerate() {
            let key = format!("k:{i}");
            if let Read::Fetch(fetch) = near.read(key.as_bytes(), now) {
                let value = Value::Bytes(vec![b'x'; size].into());
                near.fetched(key.as_bytes(), fetch, Some(&value), Some(-1));
            }
            prop_assert!(near.weight() <= max_bytes, "{} > {max_bytes}", near.weight());
            prop_assert!(near.len() <= max_entries, "{} > {max_entries}", near.len());
        }
    }
}

#[test]
fn a_few_values_are_not_evicted() {
    let (near, now) = checked(NearConfig::new(["k:"]), b"k:0");
    for i in 0..100 {
        let key = format!("k:{i}");
        let fetch = fetch_of(&near, key.as_bytes(), now, "a fetch");
        near.fetched(key.as_bytes(), fetch, Some(&Value::from("v")), Some(-1));
    }
    // Two readers that fetched one key: the second replaces the first.
    let first = fetch_of(&near, b"k:100", now, "a fetch");
    let second = fetch_of(&near, b"k:100", now, "a fetch");
    near.fetched(b"k:100", first, Some(&Value::from("v")), Some(-1));
    near.fetched(b"k:100", second, Some(&Value::from("v")), Some(-1));
    assert_eq!(
        (near.len(), near.stats().evictions),
        (101, 0),
        "replacing is no eviction"
    );
}

#[test]
fn a_kept_value_does_not_hold_the_read_buffer() {
    let (near, now) = checked(NearConfig::new(["k:"]), b"k:1");
    let buffer = Bytes::from(vec![b'v'; 65_536]);
    let fetch = fetch_of(&near, b"k:1", now, "a fetch");
    near.fetched(
        b"k:1",
        fetch,
        Some(&Value::Bytes(buffer.slice(..10))),
        Some(-1),
    );
    assert!(matches!(near.read(b"k:1", now), Read::Hit(Value::Bytes(v)) if v.len() == 10));
    assert!(
        buffer.is_unique(),
        "the cache holds a copy of the 10 bytes, not the 64 KiB"
    );
}
