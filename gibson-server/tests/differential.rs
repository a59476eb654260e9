//! Differential test: the same seeded random request stream goes to the
//! embedded server and to another server named by `GIBSON_DIFF_ADDR`
//! (`host:port` or a socket path; meant for the real Gibson 1.2.1), and
//! the replies are compared byte for byte. Without `GIBSON_DIFF_ADDR` the
//! test is skipped (it says so on stderr).
//!
//! The stream: every opcode but END, keys from a tiny alphabet (NUL
//! included) under a unique prefix so prefixes overlap and collide,
//! values with spaces and NUL bytes, numbers and non-numbers, values big
//! enough to be stored compressed, locks, TTLs, MGET limits, and bad
//! arguments (non-numbers, empty keys and values, unknown META fields,
//! trailing spaces, extra arguments).
//!
//! Left out, because the real server crashes or reads past its buffer on
//! them: keys over `max_key_size`, SET/MSET without a value part, a
//! missing number (`TTL k`), META without a field, unknown opcodes, bad
//! size prefixes, keys starting with NUL.
//!
//! Time, in the first test: the stream never lets anything run out while
//! it runs. TTLs are chosen so that the stored 16-bit
//! value is 0, negative or at least 3600 (the 16-bit storage is still
//! exercised: 40000, -1, 5000000, 69136 …), and lock times are -1, 0,
//! negative or long. What is left time-dependent is compared loosely: the
//! values of META `access`, `created` and `left` may differ by one (the
//! servers read their clocks at slightly different moments), and STATS is
//! compared as "a KVAL of the same 27 names" (its values are per-instance
//! counters).
//!
//! A second test runs short streams in two phases two seconds apart, so
//! that items expire in between (see its comment for how it keeps the two
//! servers' clocks in step).
//!
//! `GIBSON_DIFF_REQUESTS` (default 6000), `GIBSON_DIFF_SEED` (default 1),
//! `GIBSON_DIFF_EXPIRY_ROUNDS` (default 5) and
//! `GIBSON_DIFF_EXPIRY_REQUESTS` (per phase, default 150) tune the runs;
//! the summary lines go to stderr (`--nocapture`).

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::target::args;
use common::*;
use gibson_policy::Addr;
use gibson_test_support::{unique_prefix, Rng, TestServer};

const DIFF_ADDR_VAR: &str = "GIBSON_DIFF_ADDR";

/// How a reply is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Bytes,
    /// A VAL number read off a clock (a timestamp, seconds left): the two
    /// servers may read their clocks on either side of a second boundary
    /// (the real one reads it once per cron tick), so it may differ by 1.
    Clock,
    /// STATS: the same names in the same order.
    StatsNames,
}

fn connect(addr: &Addr) -> Raw {
    match addr {
        Addr::Unix(path) => Raw::unix(path),
        tcp => Raw::tcp(&tcp.to_string()),
    }
}

/// What a stream may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing runs out while the stream runs; keys may hold NUL bytes.
    Timeless,
    /// TTLs and locks of one and two seconds too, so that items expire
    /// between two phases; no NUL bytes in keys (the real server keeps a
    /// dangling item when such a key expires inside a multi-key command).
    Expiring,
}

/// One random request: opcode, payload, how to compare its replies.
fn request(rng: &mut Rng, prefix: &[u8], mode: Mode) -> (u16, Vec<u8>, Compare) {
    let alpha: &[u8] = match mode {
        Mode::Timeless => b"ab:\0",
        Mode::Expiring => b"ab:",
    };
    let word = |rng: &mut Rng, max: usize| -> Vec<u8> {
        let len = rng.below(max + 1);
        let mut w = prefix.to_vec();
        w.extend((0..len).map(|_| *rng.pick(alpha)));
        w
    };
    let key = word(rng, 3);
    let pfx = word(rng, 2);
    let big_a = vec![b'a'; 5000];
    let big_mixed: Vec<u8> = (0..6000u32).map(|i| (i % 251) as u8).collect();
    let values: [&[u8]; 14] = [
        b"x",
        b"12",
        b"-3",
        b"007",
        b"abc d",
        b"0",
        b"-",
        b"9x",
        b"a\0b",
        b" lead",
        b"trail ",
        b"9223372036854775807",
        &big_a,
        &big_mixed,
    ];
    let value = rng.pick(&values).to_vec();
    let ttls: [&[u8]; 12] = [
        b"0", b"-1", b"-2", b"3600", b"40000", b"5000000", b"69136", b"32767", b"007", b"x",
        b"12a", b"+5",
    ];
    let locks: [&[u8]; 8] = [
        b"-1",
        b"0",
        b"-2",
        b"3600",
        b"4294967296",
        b"0x",
        b"x",
        b"9999999999",
    ];
    let short: [&[u8]; 2] = [b"1", b"2"];
    let expiring = mode == Mode::Expiring && rng.below(3) == 0;
    let ttl = if expiring {
        rng.pick(&short)
    } else {
        rng.pick(&ttls)
    }
    .to_vec();
    let lock = if expiring {
        rng.pick(&short)
    } else {
        rng.pick(&locks)
    }
    .to_vec();
    let fields = [
        "size", "s", "encoding", "e", "ttl", "left", "l", "lock", "sizexx", "nope", "access",
        "created",
    ];
    // The fields read off a clock: "l" reads "left".
    let clock_fields = ["left", "l", "access", "created"];
    let ops = [
        SET, SET, SET, SET, GET, GET, DEL, INC, DEC, LOCK, UNLOCK, TTL, META, META, MSET, MTTL,
        MGET, MGET, MDEL, MINC, MDEC, MLOCK, MUNLOCK, COUNT, KEYS, KEYS, PING, STATS,
    ];
    let op = *rng.pick(&ops);
    // A few malformed variants.
    let bad = rng.below(12);
    let payload = match op {
        SET => match bad {
            0 => args(&[&ttl, &key, b""]),
            1 => args(&[b"", &key, &value]),
            _ => args(&[&ttl, &key, &value]),
        },
        GET | DEL | INC | DEC | UNLOCK => match bad {
            0 => args(&[b"", &key]),
            1 => args(&[&key, b"extra"]),
            _ => key,
        },
        LOCK => args(&[&key, &lock]),
        TTL => args(&[&key, &ttl]),
        META => {
            let field = *rng.pick(&fields);
            let cmp = if clock_fields.contains(&field) {
                Compare::Clock
            } else {
                Compare::Bytes
            };
            return (op, args(&[&key, field.as_bytes()]), cmp);
        }
        MSET => match bad {
            0 => args(&[&pfx, b""]),
            _ => args(&[&pfx, &value]),
        },
        MTTL => args(&[&pfx, &ttl]),
        MLOCK => args(&[&pfx, &lock]),
        MGET => match bad {
            0 | 1 => pfx,
            2 => [&pfx[..], b" "].concat(),
            _ => {
                let limits: [&[u8]; 6] = [b"-1", b"0", b"1", b"2", b"3", b"x"];
                let limit = *rng.pick(&limits);
                args(&[&pfx, limit])
            }
        },
        PING => Vec::new(),
        STATS => return (op, Vec::new(), Compare::StatsNames),
        _ => match bad {
            0 => Vec::new(),
            _ => pfx,
        },
    };
    (op, payload, Compare::Bytes)
}

/// The names of a STATS reply, in order.
fn stats_names(reply: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut buf = bytes::BytesMut::from(reply);
    match gibson_proto::Decoder::default().decode(&mut buf) {
        Ok(Some(gibson_proto::Reply::Pairs(pairs))) => {
            Some(pairs.iter().map(|(k, _)| k.to_vec()).collect())
        }
        _ => None,
    }
}

/// The value of a VAL number reply.
fn number(reply: &[u8]) -> Option<i64> {
    let data = reply.strip_prefix(&[6, 0, 2, 8, 0, 0, 0][..])?;
    Some(i64::from_le_bytes(data.try_into().ok()?))
}

fn same(cmp: Compare, ours: &[u8], theirs: &[u8]) -> bool {
    match cmp {
        Compare::Bytes => ours == theirs,
        Compare::Clock => match (number(ours), number(theirs)) {
            (Some(x), Some(y)) => x.abs_diff(y) <= 1,
            _ => ours == theirs,
        },
        Compare::StatsNames => {
            let names = stats_names(ours);
            names.as_ref().is_some_and(|n| n.len() == 27) && names == stats_names(theirs)
        }
    }
}

/// A request whose replies differ.
struct Difference {
    /// Its number in the stream.
    at: usize,
    op: u16,
    payload: Vec<u8>,
    ours: Vec<u8>,
    theirs: Vec<u8>,
}

/// Two connections, one to each server, and what their replies showed.
struct Pair {
    ours: Raw,
    theirs: Raw,
    sent: usize,
    /// Their replies by code (ERR … KVAL), to show what was exercised.
    codes: [usize; 8],
    differing: Vec<Difference>,
}

impl Pair {
    fn new(ours: &Addr, theirs: &Addr) -> Pair {
        Pair {
            ours: connect(ours),
            theirs: connect(theirs),
            sent: 0,
            codes: [0; 8],
            differing: Vec::new(),
        }
    }

    /// Sends one request to both servers and compares the replies.
    fn send(&mut self, op: u16, payload: &[u8], cmp: Compare) {
        let ra = self.ours.req(op, payload);
        let rb = self.theirs.req(op, payload);
        if let Some(n) = self.codes.get_mut(usize::from(rb[0])) {
            *n += 1;
        }
        if !same(cmp, &ra, &rb) {
            self.differing.push(Difference {
                at: self.sent,
                op,
                payload: payload.to_vec(),
                ours: ra,
                theirs: rb,
            });
        }
        self.sent += 1;
    }

    /// Prints the summary and the first differences; fails if any.
    fn finish(self, what: &str) {
        eprintln!(
            "differential ({what}): {} requests, {} differing replies; \
             their replies by code [ERR, NOT_FOUND, NAN, MEM, LOCKED, OK, VAL, KVAL]: {:?}",
            self.sent,
            self.differing.len(),
            self.codes
        );
        for d in self.differing.iter().take(5) {
            let show = |r: &[u8]| format!("{:?}", &r[..r.len().min(64)]);
            eprintln!(
                "  #{} op {} payload {:?}\n    ours   {}\n    theirs {}",
                d.at,
                d.op,
                String::from_utf8_lossy(&d.payload[..d.payload.len().min(80)]),
                show(&d.ours),
                show(&d.theirs)
            );
        }
        assert!(
            self.differing.is_empty(),
            "{} differing replies",
            self.differing.len()
        );
    }
}

/// The server to compare with, or `None` (the test is skipped).
fn other_server() -> Option<Addr> {
    let Ok(other) = std::env::var(DIFF_ADDR_VAR) else {
        eprintln!("skipped: set {DIFF_ADDR_VAR} to the address of the server to compare with");
        return None;
    };
    Some(
        other
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{DIFF_ADDR_VAR}={other:?}: {e}")),
    )
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seeded_rng() -> (u64, Rng) {
    let seed = env_number("GIBSON_DIFF_SEED", 1);
    (seed, Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1))
}

#[test]
fn random_streams_get_the_same_replies_as_the_other_server() {
    let Some(other) = other_server() else {
        return;
    };
    let requests = env_number("GIBSON_DIFF_REQUESTS", 6000);
    let (seed, mut rng) = seeded_rng();
    let ours = TestServer::embedded_tcp();
    let mut pair = Pair::new(ours.addr(), &other);
    let prefix = unique_prefix("diff").into_bytes();
    for _ in 0..requests {
        let (op, payload, cmp) = request(&mut rng, &prefix, Mode::Timeless);
        pair.send(op, &payload, cmp);
    }
    // Clean up on the shared server.
    pair.theirs.req(MUNLOCK, &prefix);
    pair.theirs.req(MDEL, &prefix);
    pair.finish(&format!("seed {seed}"));
}

/// Sleeps until `offset` past the start of the next whole second, and
/// returns that moment.
fn sleep_into_next_second(offset: Duration) -> SystemTime {
    let now = SystemTime::now();
    let into = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    let target = now + Duration::from_secs(1) - Duration::from_nanos(u64::from(into)) + offset;
    std::thread::sleep(target.duration_since(now).unwrap_or_default());
    target
}

/// Items expire between two phases of each round. Both servers read the
/// same whole second during a phase: each phase starts 250 ms into a
/// second and is discarded if it ran past 750 ms (the real server reads
/// its clock every 100 ms). Phase one stores items with TTLs and locks of
/// one or two seconds, phase two runs two seconds later; a round in which
/// the real server's periodic expiry sweep ran (a sentinel item tells) is
/// discarded too, as the sweep makes expired items vanish on one server
/// only.
#[test]
fn random_streams_over_expiring_items_get_the_same_replies() {
    let Some(other) = other_server() else {
        return;
    };
    let rounds = env_number("GIBSON_DIFF_EXPIRY_ROUNDS", 5);
    let per_phase = env_number("GIBSON_DIFF_EXPIRY_REQUESTS", 150);
    let (seed, mut rng) = seeded_rng();
    let ours = TestServer::embedded_tcp();
    let mut total = Pair::new(ours.addr(), &other);
    let mut discarded = 0;
    for round in 0..rounds {
        let prefix = unique_prefix(&format!("diffexp{round}")).into_bytes();
        let sentinel = unique_prefix("diffsweep").into_bytes();
        let mut pair = Pair::new(ours.addr(), &other);
        let mut in_time = true;
        for phase in 0..2 {
            let start = sleep_into_next_second(Duration::from_millis(250))
                + Duration::from_secs(if phase == 0 { 0 } else { 1 });
            std::thread::sleep(start.duration_since(SystemTime::now()).unwrap_or_default());
            if phase == 0 {
                pair.theirs.req(SET, &args(&[b"1", &sentinel, b"s"]));
            }
            for _ in 0..per_phase {
                let (op, payload, cmp) = request(&mut rng, &prefix, Mode::Expiring);
                pair.send(op, &payload, cmp);
            }
            in_time &= start.elapsed().unwrap_or_default() < Duration::from_millis(500);
        }
        let swept = pair.theirs.req(KEYS, &sentinel) != keys_reply(&[&sentinel]);
        pair.theirs.req(MUNLOCK, &prefix);
        pair.theirs.req(MDEL, &prefix);
        pair.theirs.req(DEL, &sentinel);
        if swept || !in_time {
            discarded += 1;
            continue;
        }
        total.sent += pair.sent;
        for (n, c) in total.codes.iter_mut().zip(pair.codes) {
            *n += c;
        }
        total.differing.extend(pair.differing);
    }
    eprintln!("differential over expiring items: {discarded} of {rounds} rounds discarded");
    assert!(discarded < rounds, "every round was discarded");
    total.finish(&format!("expiring items, seed {seed}"));
}
