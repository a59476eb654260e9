//! Thousands of random requests over a small key space, each reply checked
//! byte for byte against a reference model written independently here: a
//! map plus the rules of docs/protocol.md, spelled out one by one. The server's
//! clock is frozen, so TTLs and timed locks never run out and every command
//! is time-insensitive.

mod common;

use std::collections::HashMap;

use common::*;
use gibson_server::Server;
use gibson_test_support::Rng;

#[derive(Debug, Clone)]
enum Val {
    Plain(Vec<u8>),
    Num(i64),
}

#[derive(Debug, Clone)]
struct Entry {
    val: Val,
    ttl: i64,
    lock: i64,
}

impl Entry {
    /// With a frozen clock: locked when the lock is -1 or positive.
    fn locked(&self) -> bool {
        self.lock == -1 || self.lock > 0
    }
}

const MAX_TTL: i64 = 2_592_000;

/// The TTL the server stores: capped as unsigned, then cut to 16 bits.
fn stored_ttl(n: i64) -> i64 {
    let capped = if n < 0 { MAX_TTL } else { n.min(MAX_TTL) };
    i64::from(capped as i16)
}

/// Gibson's integer reading, written again for the model.
fn gibson_int(s: &[u8]) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    if s[0] == b'0' {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' {
        (true, &s[1..])
    } else {
        (false, s)
    };
    let mut n: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(c - b'0');
    }
    Some(if neg { -n } else { n })
}

struct Model {
    map: HashMap<Vec<u8>, Entry>,
    /// Creation sequence of every branch (non-empty key prefix) ever made.
    branch: HashMap<Vec<u8>, u64>,
    seq: u64,
}

impl Model {
    fn new() -> Model {
        Model {
            map: HashMap::new(),
            branch: HashMap::new(),
            seq: 0,
        }
    }

    fn insert(&mut self, key: &[u8], e: Entry) {
        for i in 1..=key.len() {
            if !self.branch.contains_key(&key[..i]) {
                self.seq += 1;
                self.branch.insert(key[..i].to_vec(), self.seq);
            }
        }
        self.map.insert(key.to_vec(), e);
    }

    /// Matching keys in trie order: at the first differing byte the branch
    /// created first wins; a key comes before its extensions.
    fn matches(&self, prefix: &[u8]) -> Vec<Vec<u8>> {
        let mut keys: Vec<Vec<u8>> = self
            .map
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect();
        keys.sort_by(|a, b| {
            let i = a.iter().zip(b.iter()).take_while(|(x, y)| x == y).count();
            if i == a.len() || i == b.len() {
                a.len().cmp(&b.len())
            } else {
                self.branch[&a[..=i]].cmp(&self.branch[&b[..=i]])
            }
        });
        keys
    }

    fn value_of(v: &Val) -> Vec<u8> {
        match v {
            Val::Plain(b) => val(b),
            Val::Num(n) => num(*n),
        }
    }

    fn count_or_nf(n: i64) -> Vec<u8> {
        if n > 0 {
            num(n)
        } else {
            not_found()
        }
    }

    fn as_num(v: &Val) -> Option<i64> {
        match v {
            Val::Num(n) => Some(*n),
            Val::Plain(b) => gibson_int(b),
        }
    }

    fn apply(&mut self, op: u16, a: &[u8], b: &[u8], n: i64) -> Vec<u8> {
        match op {
            SET => {
                if self.map.get(a).is_some_and(Entry::locked) {
                    return locked();
                }
                let ttl = if n > 0 { stored_ttl(n) } else { -1 };
                self.insert(
                    a,
                    Entry {
                        val: Val::Plain(b.to_vec()),
                        ttl,
                        lock: 0,
                    },
                );
                val(b)
            }
            GET => match self.map.get(a) {
                None => not_found(),
                Some(e) => Self::value_of(&e.val),
            },
            DEL => match self.map.get(a) {
                None => not_found(),
                Some(e) if e.locked() => locked(),
                Some(_) => {
                    self.map.remove(a);
                    ok()
                }
            },
            INC | DEC => {
                let d = if op == INC { 1 } else { -1 };
                match self.map.get_mut(a) {
                    None => {
                        self.insert(
                            a,
                            Entry {
                                val: Val::Num(1),
                                ttl: -1,
                                lock: 0,
                            },
                        );
                        num(1)
                    }
                    Some(e) if e.locked() => locked(),
                    Some(e) => match Self::as_num(&e.val) {
                        None => nan(),
                        Some(x) => {
                            e.val = Val::Num(x + d);
                            num(x + d)
                        }
                    },
                }
            }
            LOCK => match self.map.get_mut(a) {
                None => not_found(),
                Some(e) if e.locked() => locked(),
                Some(e) => {
                    e.lock = n;
                    ok()
                }
            },
            UNLOCK => match self.map.get_mut(a) {
                None => not_found(),
                Some(e) => {
                    e.lock = 0;
                    ok()
                }
            },
            TTL => match self.map.get_mut(a) {
                None => not_found(),
                Some(e) => {
                    e.ttl = stored_ttl(n);
                    ok()
                }
            },
            META => match self.map.get(a) {
                None => not_found(),
                Some(e) => match b {
                    b"size" => num(match &e.val {
                        Val::Plain(v) => v.len() as i64,
                        Val::Num(_) => 8,
                    }),
                    b"encoding" => num(match e.val {
                        Val::Plain(_) => 0,
                        Val::Num(_) => 2,
                    }),
                    b"ttl" => num(e.ttl),
                    b"left" => num(if e.ttl <= 0 { -1 } else { e.ttl }),
                    b"lock" => num(e.lock),
                    b"created" | b"access" => num(T0),
                    _ => err(),
                },
            },
            MSET => {
                let keys = self.matches(a);
                if keys.is_empty() {
                    return not_found();
                }
                let mut c = 0;
                for k in keys {
                    let e = self.map.get_mut(&k).unwrap();
                    if !e.locked() {
                        *e = Entry {
                            val: Val::Plain(b.to_vec()),
                            ttl: -1,
                            lock: 0,
                        };
                        c += 1;
                    }
                }
                Self::count_or_nf(c)
            }
            MTTL => {
                let keys = self.matches(a);
                for k in &keys {
                    self.map.get_mut(k).unwrap().ttl = stored_ttl(n);
                }
                Self::count_or_nf(keys.len() as i64)
            }
            MGET => {
                let mut keys = self.matches(a);
                if keys.is_empty() {
                    return not_found();
                }
                if n > 0 {
                    keys.truncate(n as usize);
                }
                let pairs: Vec<(&[u8], V<'_>)> = keys
                    .iter()
                    .map(|k| {
                        let v = match &self.map[k].val {
                            Val::Plain(b) => V::P(b),
                            Val::Num(x) => V::N(*x),
                        };
                        (k.as_slice(), v)
                    })
                    .collect();
                kval(&pairs)
            }
            MDEL => {
                let keys = self.matches(a);
                let mut c = 0;
                for k in keys {
                    if !self.map[&k].locked() {
                        self.map.remove(&k);
                        c += 1;
                    }
                }
                Self::count_or_nf(c)
            }
            MINC | MDEC => {
                let d = if op == MINC { 1 } else { -1 };
                let mut c = 0;
                for k in self.matches(a) {
                    let e = self.map.get_mut(&k).unwrap();
                    if e.locked() {
                        continue;
                    }
                    if let Some(x) = Self::as_num(&e.val) {
                        e.val = Val::Num(x + d);
                        c += 1;
                    }
                }
                Self::count_or_nf(c)
            }
            MLOCK => {
                let mut c = 0;
                for k in self.matches(a) {
                    let e = self.map.get_mut(&k).unwrap();
                    if !e.locked() {
                        e.lock = n;
                        c += 1;
                    }
                }
                Self::count_or_nf(c)
            }
            MUNLOCK => {
                let keys = self.matches(a);
                for k in &keys {
                    self.map.get_mut(k).unwrap().lock = 0;
                }
                Self::count_or_nf(keys.len() as i64)
            }
            COUNT => num(self.matches(a).len() as i64),
            KEYS => {
                let keys = self.matches(a);
                if keys.is_empty() {
                    return not_found();
                }
                let names: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
                keys_reply(&names)
            }
            PING => ok(),
            _ => unreachable!(),
        }
    }
}

/// One random request: (opcode, payload, key/prefix, value/field, number).
fn random_request(rng: &mut Rng) -> (u16, Vec<u8>, Vec<u8>, Vec<u8>, i64) {
    const ALPHA: &[u8] = b"ab:";
    let word = |rng: &mut Rng, max: usize| -> Vec<u8> {
        let len = 1 + rng.below(max);
        (0..len).map(|_| *rng.pick(ALPHA)).collect()
    };
    let values: [&[u8]; 8] = [b"x", b"12", b"-3", b"007", b"abc d", b"0", b"-", b"9x"];
    let numbers = [-2i64, -1, 0, 1, 5, 3600, 5_000_000];
    let fields: [&[u8]; 6] = [b"size", b"encoding", b"ttl", b"left", b"lock", b"created"];
    let ops = [
        SET, SET, SET, GET, GET, DEL, INC, DEC, LOCK, UNLOCK, TTL, META, MSET, MTTL, MGET, MDEL,
        MINC, MDEC, MLOCK, MUNLOCK, COUNT, KEYS, PING,
    ];
    let op = *rng.pick(&ops);
    let key = word(rng, 3);
    let prefix = word(rng, 2);
    let value = rng.pick(&values).to_vec();
    let n = *rng.pick(&numbers);
    let lock_n = *rng.pick(&[-1i64, 0, 0, 3, -2]);
    let fmt = |parts: &[&[u8]]| parts.join(&b' ');
    let ns = n.to_string().into_bytes();
    let ls = lock_n.to_string().into_bytes();
    match op {
        SET => (op, fmt(&[&ns, &key, &value]), key, value, n),
        GET | DEL | INC | DEC | UNLOCK => (op, key.clone(), key, vec![], 0),
        LOCK => (op, fmt(&[&key, &ls]), key, vec![], lock_n),
        TTL => (op, fmt(&[&key, &ns]), key, vec![], n),
        META => {
            let f = rng.pick(&fields).to_vec();
            (op, fmt(&[&key, &f]), key, f, 0)
        }
        MSET => (op, fmt(&[&prefix, &value]), prefix, value, 0),
        MTTL => (op, fmt(&[&prefix, &ns]), prefix, vec![], n),
        MLOCK => (op, fmt(&[&prefix, &ls]), prefix, vec![], lock_n),
        MGET => {
            if rng.below(2) == 0 {
                (op, prefix.clone(), prefix, vec![], 0)
            } else {
                let lim = *rng.pick(&[-1i64, 0, 1, 2, 3]);
                let ls = lim.to_string().into_bytes();
                (op, fmt(&[&prefix, &ls]), prefix, vec![], lim)
            }
        }
        PING => (op, vec![], vec![], vec![], 0),
        _ => (op, prefix.clone(), prefix, vec![], 0),
    }
}

fn run(seed: u64, requests: usize, batch: usize) {
    let (_server, _clock, mut conn) = start_raw(Server::builder());
    let mut rng = Rng(seed);
    let mut model = Model::new();
    let mut done = 0;
    while done < requests {
        let mut frames = Vec::new();
        let mut expected = Vec::new();
        for _ in 0..batch {
            let (op, payload, a, b, n) = random_request(&mut rng);
            frames.extend_from_slice(&frame(op, &payload));
            expected.push((op, payload.clone(), model.apply(op, &a, &b, n)));
        }
        conn.send(&frames);
        for (i, (op, payload, want)) in expected.into_iter().enumerate() {
            let got = conn.read_reply().expect("reply");
            assert_eq!(
                got,
                want,
                "seed {seed}, request #{}: op {op} payload {:?}",
                done + i,
                String::from_utf8_lossy(&payload)
            );
        }
        done += batch;
    }
}

#[test]
fn random_requests_match_the_reference_model() {
    for seed in [1u64, 0xdead_beef, 42_4242] {
        run(seed, 3000, 25);
    }
}

#[test]
fn one_request_at_a_time_matches_too() {
    run(7, 500, 1);
}
