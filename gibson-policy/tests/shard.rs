//! Splitting pipelines by server and putting the replies back in order,
//! over random pipelines, keys and rings of 1 to 5 servers; and merged
//! MGET limits.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use gibson_policy::{
    shard::{FanOut, OnMissing, Route, SplitPipeline},
    HashRing,
};
use gibson_proto::{
    cmd, server::PairsWriter, Decoder, Error, Limits, Opcode, Pipeline, Reply, ServerError, Ttl,
    Value,
};
use proptest::prelude::*;

/// One request of a random pipeline.
#[derive(Debug, Clone)]
enum Req {
    Get(u8),
    Set(u8),
    Del(u8),
    Inc(u8),
    Count,
    Mget(Option<u32>),
    Keys,
    Ping,
    /// A key with a space: refused by the pipeline, never sent.
    Refused,
}

fn req() -> impl Strategy<Value = Req> {
    prop_oneof![
        4 => any::<u8>().prop_map(Req::Get),
        2 => any::<u8>().prop_map(Req::Set),
        1 => any::<u8>().prop_map(Req::Del),
        1 => any::<u8>().prop_map(Req::Inc),
        1 => Just(Req::Count),
        1 => proptest::option::of(1u32..8).prop_map(Req::Mget),
        1 => Just(Req::Keys),
        1 => Just(Req::Ping),
        1 => Just(Req::Refused),
    ]
}

fn key(k: u8) -> String {
    format!("k:{k}")
}

/// Adds `r` to the pipeline; its frame (the same command encoded alone)
/// unless it is refused.
fn add(p: &mut Pipeline, r: &Req) -> Option<Bytes> {
    let limits = Limits::default();
    let mut frame = BytesMut::new();
    let encoded = match r {
        Req::Get(k) => {
            let _ = p.get::<Bytes>(key(*k));
            cmd::Get::<_, Bytes>::new(key(*k)).encode_to(&mut frame, &limits)
        }
        Req::Set(k) => {
            let _ = p.set(key(*k), "v", Ttl::Never);
            cmd::Set::new(key(*k), "v", Ttl::Never).encode_to(&mut frame, &limits)
        }
        Req::Del(k) => {
            let _ = p.del(key(*k));
            cmd::Del::new(key(*k)).encode_to(&mut frame, &limits)
        }
        Req::Inc(k) => {
            let _ = p.inc(key(*k));
            cmd::Inc::new(key(*k)).encode_to(&mut frame, &limits)
        }
        Req::Count => {
            let _ = p.count("k:");
            cmd::Count::new("k:").encode_to(&mut frame, &limits)
        }
        Req::Mget(None) => {
            let _ = p.mget::<Bytes, Bytes>("k:");
            cmd::Mget::<_>::new("k:").encode_to(&mut frame, &limits)
        }
        Req::Mget(Some(n)) => {
            let _ = p.mget_limit::<Bytes, Bytes>("k:", *n);
            cmd::Mget::<_>::new("k:")
                .limit(*n)
                .encode_to(&mut frame, &limits)
        }
        Req::Keys => {
            let _ = p.keys::<Bytes>("k:");
            cmd::Keys::<_>::new("k:").encode_to(&mut frame, &limits)
        }
        Req::Ping => {
            let _ = p.ping();
            cmd::Ping.encode_to(&mut frame, &limits)
        }
        Req::Refused => {
            let _ = p.get::<Bytes>("a b");
            return None;
        }
    };
    encoded.unwrap();
    Some(frame.freeze())
}

/// `Command::encode` under a name that does not need the trait in scope.
trait EncodeTo {
    fn encode_to(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error>;
}

impl<C: gibson_proto::Command> EncodeTo for C {
    fn encode_to(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        self.encode(dst, limits)
    }
}

fn kval(entries: &[(Vec<u8>, Value)]) -> Reply {
    let mut buf = BytesMut::new();
    let mut w = PairsWriter::begin(&mut buf);
    for (k, v) in entries {
        w.push(&mut buf, k, v);
    }
    w.finish(&mut buf);
    Decoder::default().decode(&mut buf).unwrap().unwrap()
}

/// A pretend server `me` of `ring`: a keyed request is answered with its
/// own frame if its key lives here (ERR otherwise); COUNT with `me + 1`,
/// MGET and KEYS with one entry naming the server, PING with OK.
fn answer(ring: &HashRing, me: usize, frame: &[u8], op: Opcode) -> Reply {
    match op {
        Opcode::Count => Reply::Value(Value::Int(me as i64 + 1)),
        Opcode::Mget => kval(&[(format!("k:{me}").into_bytes(), Value::Int(me as i64))]),
        Opcode::Keys => kval(&[(b"0".to_vec(), Value::from(format!("k:{me}")))]),
        Opcode::Ping => Reply::Ok,
        _ if ring.route_frame(frame).unwrap() == Route::Server(me) => {
            Reply::Value(Value::Bytes(Bytes::copy_from_slice(frame)))
        }
        _ => Reply::Error(ServerError::Err),
    }
}

/// The reply the reassembly must give for `r` (sent as `frame`) over `n`
/// servers of which `dead` (if any) did not answer.
fn expected(
    r: &Req,
    frame: &Bytes,
    ring: &HashRing,
    dead: Option<usize>,
    on_missing: OnMissing,
) -> Result<Reply, ()> {
    let n = ring.servers().len();
    let live: Vec<usize> = (0..n).filter(|s| Some(*s) != dead).collect();
    let fan_out_fails = dead.is_some() && (on_missing == OnMissing::Fail || live.is_empty());
    match r {
        Req::Count | Req::Mget(_) | Req::Keys | Req::Ping if fan_out_fails => Err(()),
        Req::Count => Ok(Reply::Value(Value::Int(
            live.iter().map(|s| *s as i64 + 1).sum(),
        ))),
        Req::Mget(limit) => {
            let take = limit.map_or(usize::MAX, |l| l as usize);
            let pairs: Vec<_> = live
                .iter()
                .take(take)
                .map(|s| (format!("k:{s}").into_bytes(), Value::Int(*s as i64)))
                .collect();
            Ok(kval(&pairs))
        }
        Req::Keys => {
            let names: Vec<_> = live
                .iter()
                .enumerate()
                .map(|(i, s)| (i.to_string().into_bytes(), Value::from(format!("k:{s}"))))
                .collect();
            Ok(kval(&names))
        }
        Req::Ping => Ok(Reply::Ok),
        _ => match ring.route_frame(frame).unwrap() {
            Route::Server(s) if Some(s) == dead => Err(()),
            _ => Ok(Reply::Value(Value::Bytes(frame.clone()))),
        },
    }
}

/// What the servers of `ring` answer to the batches of `split`; every
/// request to `dead` times out.
fn serve(
    ring: &HashRing,
    split: &SplitPipeline,
    dead: Option<usize>,
) -> Vec<Vec<Result<Reply, Error>>> {
    split
        .batches()
        .iter()
        .enumerate()
        .map(|(s, batch)| {
            let mut rest = batch.frames.clone();
            let out = batch
                .opcodes
                .iter()
                .map(|&op| {
                    let size = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
                    let frame = rest.split_to(4 + size);
                    assert_eq!(u16::from_le_bytes([frame[4], frame[5]]), op.code());
                    if Some(s) == dead {
                        Err(Error::Timeout {
                            what: "response",
                            after: Duration::from_millis(1),
                        })
                    } else {
                        Ok(answer(ring, s, &frame, op))
                    }
                })
                .collect();
            assert!(rest.is_empty(), "one opcode per frame");
            out
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn reassembly_puts_every_reply_back_in_the_pipelines_order(
        reqs in proptest::collection::vec(req(), 0..40),
        servers in 1usize..=5,
        dead in proptest::option::of(0usize..5),
        partial in any::<bool>(),
    ) {
        let ring = HashRing::new((0..servers).map(|i| format!("10.0.0.{i}:10128")));
        let dead = dead.filter(|d| *d < servers);
        let on_missing = if partial { OnMissing::Partial } else { OnMissing::Fail };
        let mut p = Pipeline::new(Limits::default());
        let sent: Vec<(Req, Bytes)> = reqs
            .iter()
            .filter_map(|r| add(&mut p, r).map(|f| (r.clone(), f)))
            .collect();
        prop_assert_eq!(p.opcodes().len(), sent.len());
        let split = ring.split(&p).unwrap();
        prop_assert_eq!(split.batches().len(), servers);
        let replies = serve(&ring, &split, dead);
        let got = split.reassemble(replies, on_missing);
        prop_assert_eq!(got.len(), sent.len());
        for (i, ((r, frame), got)) in sent.iter().zip(got).enumerate() {
            match expected(r, frame, &ring, dead, on_missing) {
                Ok(want) => prop_assert_eq!(got.ok(), Some(want), "request {} {:?}", i, r),
                Err(()) => prop_assert!(got.unwrap_err().is_timeout(), "request {} {:?}", i, r),
            }
        }
    }

    #[test]
    fn a_merged_mget_never_exceeds_its_limit(
        sizes in proptest::collection::vec(0usize..6, 1..6),
        limit in proptest::option::of(1u32..12),
    ) {
        let replies = sizes
            .iter()
            .enumerate()
            .map(|(s, &n)| {
                Ok(if n == 0 {
                    Reply::Error(ServerError::NotFound)
                } else {
                    let pairs: Vec<_> = (0..n)
                        .map(|i| (format!("p:{s}:{i}").into_bytes(), Value::from("v")))
                        .collect();
                    kval(&pairs)
                })
            })
            .collect();
        let merged = FanOut::new(Opcode::Mget, limit).merge(replies).value.unwrap();
        let total: usize = sizes.iter().sum();
        let want = total.min(limit.map_or(usize::MAX, |l| l as usize));
        match merged {
            Reply::Pairs(p) => {
                prop_assert_eq!(p.len(), want);
                prop_assert!(!p.is_short());
                // Server order: server s's pairs before server s + 1's.
                let servers: Vec<usize> = p
                    .iter()
                    .map(|(k, _)| k.split(|b| *b == b':').nth(1).unwrap()[0] as usize)
                    .collect();
                prop_assert!(servers.windows(2).all(|w| w[0] <= w[1]));
            }
            Reply::Error(ServerError::NotFound) => prop_assert_eq!(total, 0),
            other => prop_assert!(false, "{:?}", other),
        }
    }
}

#[test]
fn split_results_reach_the_pipelines_typed_handles() {
    let ring = HashRing::new(["a:1", "b:2", "c:3"]);
    let mut p = Pipeline::new(Limits::default());
    let keys = p.keys::<String>("k:");
    let refused = p.get::<String>("no good");
    let get = p.get::<String>("k:1");
    let split = ring.split(&p).unwrap();
    let replies = serve(&ring, &split, None);
    let mut results = split.finish(p, replies, OnMissing::Fail);
    assert_eq!(results.take(keys).unwrap(), ["k:0", "k:1", "k:2"]);
    assert!(results.take(refused).is_err());
    // GET was answered with its own frame by the server of its key.
    let frame = results.take(get).unwrap().unwrap();
    assert!(frame.ends_with("k:1"));
}
