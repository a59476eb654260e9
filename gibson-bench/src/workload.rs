//! The benchmark's keys and values, the one place each test's request is
//! defined (for the libraries, as a typed command; for `--raw`, as a
//! hand-built frame), and the setup and cleanup of the keyspace.

use bytes::Bytes;
use clap::ValueEnum;
use gibson_blocking::{Commands, Error, Ttl};

/// One benchmark test: which request every iteration sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Test {
    /// `PING`
    Ping,
    /// `SET 0 key value` over the keyspace (`-d` bytes).
    Set,
    /// `GET key` over the keyspace.
    Get,
    /// `INC counter` over the keyspace.
    Inc,
    /// `DEC counter` over the keyspace.
    Dec,
    /// `META key size` over the keyspace.
    Meta,
    /// `MSET group value`: 10 keys per group.
    Mset,
    /// `MGET group`: 10 pairs per reply.
    Mget,
    /// `COUNT group`.
    Count,
    /// `KEYS group`: 10 names per reply.
    Keys,
}

impl Test {
    /// The name used in tables.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Test::Ping => "ping",
            Test::Set => "set",
            Test::Get => "get",
            Test::Inc => "inc",
            Test::Dec => "dec",
            Test::Meta => "meta",
            Test::Mset => "mset",
            Test::Mget => "mget",
            Test::Count => "count",
            Test::Keys => "keys",
        }
    }
}

/// Keys per group for the multi-key tests.
pub(crate) const GROUP_SIZE: usize = 10;

/// The keyspace of one benchmark run, under a prefix unique to the process.
#[derive(Debug)]
pub(crate) struct Workload {
    /// The prefix of every key (`gibson-bench:{pid}:`).
    pub(crate) prefix: String,
    /// `{prefix}k:{i}`: GET, SET, META.
    pub(crate) keys: Vec<Bytes>,
    /// `{prefix}n:{i}`: INC, DEC.
    pub(crate) counters: Vec<Bytes>,
    /// `{prefix}g:{g}:`, each with `GROUP_SIZE` keys: MSET, MGET, COUNT, KEYS.
    pub(crate) groups: Vec<Bytes>,
    /// The value of SET and MSET.
    pub(crate) value: Bytes,
}

impl Workload {
    /// A workload of `keyspace` keys and `data_size`-byte values.
    pub(crate) fn new(keyspace: usize, data_size: usize) -> Workload {
        let prefix = format!("gibson-bench:{}:", std::process::id());
        let keyspace = keyspace.max(1);
        let groups = (keyspace / GROUP_SIZE).max(1);
        let value: Vec<u8> = (0..data_size.max(1))
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        Workload {
            keys: (0..keyspace)
                .map(|i| Bytes::from(format!("{prefix}k:{i}")))
                .collect(),
            counters: (0..keyspace)
                .map(|i| Bytes::from(format!("{prefix}n:{i}")))
                .collect(),
            groups: (0..groups)
                .map(|g| Bytes::from(format!("{prefix}g:{g}:")))
                .collect(),
            value: Bytes::from(value),
            prefix,
        }
    }

    /// The key of request `i`.
    pub(crate) fn key(&self, i: u64) -> Bytes {
        self.keys[(i % self.keys.len() as u64) as usize].clone()
    }

    /// The counter of request `i`.
    pub(crate) fn counter(&self, i: u64) -> Bytes {
        self.counters[(i % self.counters.len() as u64) as usize].clone()
    }

    /// The group prefix of request `i`.
    pub(crate) fn group(&self, i: u64) -> Bytes {
        self.groups[(i % self.groups.len() as u64) as usize].clone()
    }

    /// Stores every key the tests read, so that each test can run alone.
    pub(crate) fn setup(&self, conn: &mut impl Commands) -> Result<(), Error> {
        let mut all: Vec<(Bytes, Bytes)> = Vec::new();
        for k in &self.keys {
            all.push((k.clone(), self.value.clone()));
        }
        for c in &self.counters {
            all.push((c.clone(), Bytes::from_static(b"0")));
        }
        for g in &self.groups {
            for j in 0..GROUP_SIZE {
                let mut k = g.to_vec();
                k.extend_from_slice(j.to_string().as_bytes());
                all.push((Bytes::from(k), self.value.clone()));
            }
        }
        for chunk in all.chunks(512) {
            let mut p = conn.pipeline();
            let handles: Vec<_> = chunk
                .iter()
                .map(|(k, v)| p.set(k.clone(), v.clone(), Ttl::Never))
                .collect();
            let mut results = conn.run(p)?;
            for h in handles {
                results.take(h)?;
            }
        }
        Ok(())
    }

    /// Deletes every key of the run.
    pub(crate) fn cleanup(&self, conn: &mut impl Commands) -> Result<u64, Error> {
        conn.mdel(self.prefix.as_str())
    }

    /// The cycle of frames `--raw` sends for `test`, built by hand: frame
    /// `i % len` is request `i`, the same request the libraries send.
    pub(crate) fn raw_frames(&self, test: Test) -> Vec<Vec<u8>> {
        let join = |parts: &[&[u8]]| parts.join(&b' ');
        match test {
            Test::Ping => vec![frame(19, b"")],
            Test::Set => self
                .keys
                .iter()
                .map(|k| frame(1, &join(&[b"0", k, &self.value])))
                .collect(),
            Test::Get => self.keys.iter().map(|k| frame(3, k)).collect(),
            Test::Inc => self.counters.iter().map(|k| frame(5, k)).collect(),
            Test::Dec => self.counters.iter().map(|k| frame(6, k)).collect(),
            Test::Meta => self
                .keys
                .iter()
                .map(|k| frame(20, &join(&[k, b"size"])))
                .collect(),
            Test::Mset => self
                .groups
                .iter()
                .map(|g| frame(9, &join(&[g, &self.value])))
                .collect(),
            Test::Mget => self.groups.iter().map(|g| frame(11, g)).collect(),
            Test::Count => self.groups.iter().map(|g| frame(17, g)).collect(),
            Test::Keys => self.groups.iter().map(|g| frame(21, g)).collect(),
        }
    }
}

/// A request frame: `size: u32 LE | opcode: u16 LE | payload`.
fn frame(opcode: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(6 + payload.len());
    f.extend_from_slice(&((2 + payload.len()) as u32).to_le_bytes());
    f.extend_from_slice(&opcode.to_le_bytes());
    f.extend_from_slice(payload);
    f
}

/// Calls `$run(args…, make)` with `make: Fn(u64) -> C`, the typed command
/// of request `i` of `$test`: one monomorphic call per test.
macro_rules! with_command {
    ($test:expr, $workload:expr, $run:path, $($arg:expr),*) => {{
        use $crate::workload::Test;
        use gibson_proto::{cmd, MetaField, Ttl};
        let w: std::sync::Arc<$crate::workload::Workload> = $workload.clone();
        match $test {
            Test::Ping => $run($($arg,)* move |_i: u64| cmd::Ping),
            Test::Set => $run($($arg,)* move |i: u64| cmd::Set::new(w.key(i), w.value.clone(), Ttl::Never)),
            Test::Get => $run($($arg,)* move |i: u64| cmd::Get::<_, bytes::Bytes>::new(w.key(i))),
            Test::Inc => $run($($arg,)* move |i: u64| cmd::Inc::new(w.counter(i))),
            Test::Dec => $run($($arg,)* move |i: u64| cmd::Dec::new(w.counter(i))),
            Test::Meta => $run($($arg,)* move |i: u64| cmd::Meta::new(w.key(i), MetaField::Size)),
            Test::Mset => $run($($arg,)* move |i: u64| cmd::Mset::new(w.group(i), w.value.clone())),
            Test::Mget => $run($($arg,)* move |i: u64| cmd::Mget::<_, bytes::Bytes, bytes::Bytes>::new(w.group(i))),
            Test::Count => $run($($arg,)* move |i: u64| cmd::Count::new(w.group(i))),
            Test::Keys => $run($($arg,)* move |i: u64| cmd::Keys::<_, bytes::Bytes>::new(w.group(i))),
        }
    }};
}
pub(crate) use with_command;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_frames_match_the_typed_commands() {
        use gibson_proto::{cmd, Command, Limits, MetaField};
        let w = Workload::new(20, 5);
        let enc = |c: &dyn Fn(&mut bytes::BytesMut)| {
            let mut b = bytes::BytesMut::new();
            c(&mut b);
            b.to_vec()
        };
        let l = Limits::default();
        let cases: Vec<(Test, Vec<u8>)> = vec![
            (Test::Ping, enc(&|b| cmd::Ping.encode(b, &l).unwrap())),
            (
                Test::Set,
                enc(&|b| {
                    cmd::Set::new(w.key(0), w.value.clone(), Ttl::Never)
                        .encode(b, &l)
                        .unwrap()
                }),
            ),
            (
                Test::Get,
                enc(&|b| cmd::Get::<_, Bytes>::new(w.key(0)).encode(b, &l).unwrap()),
            ),
            (
                Test::Inc,
                enc(&|b| cmd::Inc::new(w.counter(0)).encode(b, &l).unwrap()),
            ),
            (
                Test::Dec,
                enc(&|b| cmd::Dec::new(w.counter(0)).encode(b, &l).unwrap()),
            ),
            (
                Test::Meta,
                enc(&|b| {
                    cmd::Meta::new(w.key(0), MetaField::Size)
                        .encode(b, &l)
                        .unwrap()
                }),
            ),
            (
                Test::Mset,
                enc(&|b| {
                    cmd::Mset::new(w.group(0), w.value.clone())
                        .encode(b, &l)
                        .unwrap()
                }),
            ),
            (
                Test::Mget,
                enc(&|b| {
                    cmd::Mget::<_, Bytes, Bytes>::new(w.group(0))
                        .encode(b, &l)
                        .unwrap()
                }),
            ),
            (
                Test::Count,
                enc(&|b| cmd::Count::new(w.group(0)).encode(b, &l).unwrap()),
            ),
            (
                Test::Keys,
                enc(&|b| {
                    cmd::Keys::<_, Bytes>::new(w.group(0))
                        .encode(b, &l)
                        .unwrap()
                }),
            ),
        ];
        for (test, typed) in cases {
            assert_eq!(w.raw_frames(test)[0], typed, "{test:?}");
        }
    }
}
