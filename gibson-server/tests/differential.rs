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
//! Time: the stream never lets anything run out while it runs (the expiry
//! rules have their own tests). TTLs are chosen so that the stored 16-bit
//! value is 0, negative or at least 3600 (the 16-bit storage is still
//! exercised: 40000, -1, 5000000, 69136 …), and lock times are -1, 0,
//! negative or long. What is left time-dependent is compared loosely: the
//! values of META `access`, `created` and `left` may differ by one (the
//! servers read their clocks at slightly different moments), and STATS is
//! compared as "a KVAL of the same 27 names" (its values are per-instance
//! counters).
//!
//! `GIBSON_DIFF_REQUESTS` (default 6000) and `GIBSON_DIFF_SEED` (default
//! 1) tune the run; the summary line goes to stderr (`--nocapture`).

mod common;

use common::rng::Rng;
use common::target::args;
use common::*;
use gibson_proto::Addr;
use gibson_test_support::{unique_prefix, TestServer};

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

/// One random request: opcode, payload, how to compare its replies.
fn request(rng: &mut Rng, prefix: &[u8]) -> (u16, Vec<u8>, Compare) {
    const ALPHA: &[u8] = b"ab:\0";
    let word = |rng: &mut Rng, max: usize| -> Vec<u8> {
        let len = rng.below(max + 1);
        let mut w = prefix.to_vec();
        w.extend((0..len).map(|_| *rng.pick(ALPHA)));
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
    let ttl = rng.pick(&ttls).to_vec();
    let lock = rng.pick(&locks).to_vec();
    let fields: [(&[u8], Compare); 12] = [
        (b"size", Compare::Bytes),
        (b"s", Compare::Bytes),
        (b"encoding", Compare::Bytes),
        (b"e", Compare::Bytes),
        (b"ttl", Compare::Bytes),
        (b"left", Compare::Clock),
        (b"l", Compare::Clock),
        (b"lock", Compare::Bytes),
        (b"sizexx", Compare::Bytes),
        (b"nope", Compare::Bytes),
        (b"access", Compare::Clock),
        (b"created", Compare::Clock),
    ];
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
            let (field, cmp) = *rng.pick(&fields);
            return (op, args(&[&key, field]), cmp);
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

#[test]
fn random_streams_get_the_same_replies_as_the_other_server() {
    let Ok(other) = std::env::var(DIFF_ADDR_VAR) else {
        eprintln!("skipped: set {DIFF_ADDR_VAR} to the address of the server to compare with");
        return;
    };
    let other: Addr = other
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{DIFF_ADDR_VAR}={other:?}: {e}"));
    let requests: usize = std::env::var("GIBSON_DIFF_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6000);
    let seed: u64 = std::env::var("GIBSON_DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);

    let ours = TestServer::embedded_tcp();
    let mut a = connect(ours.addr());
    let mut b = connect(&other);
    let prefix = unique_prefix("diff").into_bytes();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut differing = Vec::new();
    // Replies by code (ERR … KVAL), to show what the stream exercised.
    let mut codes = [0usize; 8];
    for i in 0..requests {
        let (op, payload, cmp) = request(&mut rng, &prefix);
        let ra = a.req(op, &payload);
        let rb = b.req(op, &payload);
        if let Some(n) = codes.get_mut(usize::from(rb[0])) {
            *n += 1;
        }
        if !same(cmp, &ra, &rb) {
            differing.push((i, op, payload, ra, rb));
        }
    }
    // Clean up on the shared server.
    b.req(MUNLOCK, &prefix);
    b.req(MDEL, &prefix);
    eprintln!(
        "differential: seed {seed}, {requests} requests, {} differing replies; \
         their replies by code [ERR, NOT_FOUND, NAN, MEM, LOCKED, OK, VAL, KVAL]: {codes:?}",
        differing.len()
    );
    for (i, op, payload, ra, rb) in differing.iter().take(5) {
        let show = |r: &[u8]| format!("{:?}", &r[..r.len().min(64)]);
        eprintln!(
            "  #{i} op {op} payload {:?}\n    ours   {}\n    theirs {}",
            String::from_utf8_lossy(&payload[..payload.len().min(80)]),
            show(ra),
            show(rb)
        );
    }
    assert!(
        differing.is_empty(),
        "{} differing replies",
        differing.len()
    );
}
