//! Client encoder → server decoder (`RequestDecoder` + `split_args`) →
//! server encoder (`encode_reply`) → client decoder, for every typed command
//! of `gibson_proto::cmd` with random valid arguments.

use bytes::{Bytes, BytesMut};
use gibson_proto::server::{
    encode_reply, parse_int, split_args, Args, PairsWriter, RequestDecoder,
};
use gibson_proto::{
    cmd, Command, Decoder, Limits, LockTime, MetaField, Opcode, Reply, ServerError, Ttl, Value,
};
use proptest::prelude::*;

/// What the server must recover from the request.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    None,
    Key(Vec<u8>),
    KeyInt(Vec<u8>, i64),
    KeyBytes(Vec<u8>, Vec<u8>),
    KeyAbsent(Vec<u8>),
    Set(i64, Vec<u8>, Vec<u8>),
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    // Any byte but space and NUL; mostly short, sometimes near the limit.
    let byte = any::<u8>().prop_filter("no space or NUL", |b| *b != b' ' && *b != 0);
    prop_oneof![
        8 => proptest::collection::vec(byte.clone(), 1..40),
        1 => proptest::collection::vec(byte, 1000..=1010),
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 1..300)
}

fn ttl() -> impl Strategy<Value = (Ttl, i64)> {
    prop_oneof![
        Just((Ttl::Never, 0)),
        (1u32..=32_767).prop_map(|n| (Ttl::Seconds(n), i64::from(n))),
    ]
}

fn lock_time() -> impl Strategy<Value = (LockTime, i64)> {
    prop_oneof![
        Just((LockTime::UntilUnlock, -1)),
        (1u64..=i64::MAX as u64).prop_map(|n| (LockTime::Seconds(n), n as i64)),
    ]
}

fn field() -> impl Strategy<Value = MetaField> {
    proptest::sample::select(MetaField::ALL.to_vec())
}

/// Encodes a command, checks the opcode, and returns the frame.
fn encode<C: Command>(c: &C) -> BytesMut {
    let mut buf = BytesMut::new();
    c.encode(&mut buf, &Limits::default())
        .expect("valid arguments encode");
    buf
}

/// A random command: its opcode, its frame, what the server must read.
type Case = (Opcode, BytesMut, Expect);

/// A command of one key or prefix.
fn keyed<C: Command>(op: Opcode, new: fn(Vec<u8>) -> C) -> impl Strategy<Value = Case> {
    key().prop_map(move |k| (op, encode(&new(k.clone())), Expect::Key(k)))
}

/// A command of a key or prefix and a number (`(argument, number sent)`);
/// the key is cut to leave room for the number.
fn keyed_number<N: Clone + std::fmt::Debug, C: Command>(
    op: Opcode,
    number: impl Strategy<Value = (N, i64)>,
    new: fn(Vec<u8>, N) -> C,
) -> impl Strategy<Value = Case> {
    (key(), number).prop_map(move |(k, (t, n))| {
        let k = k[..k.len().min(1012)].to_vec();
        (op, encode(&new(k.clone(), t)), Expect::KeyInt(k, n))
    })
}

/// Builds one random command: its frame and what the server must read.
fn command() -> impl Strategy<Value = Case> {
    prop_oneof![
        (key(), value(), ttl()).prop_map(|(k, v, (t, n))| {
            // SET: the TTL and its space count against max_key_size.
            let k = k[..k.len().min(1024 - 11)].to_vec();
            (
                Opcode::Set,
                encode(&cmd::Set::new(&k, &v, t)),
                Expect::Set(n, k, v),
            )
        }),
        keyed_number(Opcode::Ttl, ttl(), cmd::SetTtl::new),
        keyed(Opcode::Get, cmd::Get::<_, Bytes>::new),
        keyed(Opcode::Del, cmd::Del::new),
        keyed(Opcode::Inc, cmd::Inc::new),
        keyed(Opcode::Dec, cmd::Dec::new),
        keyed(Opcode::Unlock, cmd::Unlock::new),
        keyed(Opcode::Mdel, cmd::Mdel::new),
        keyed(Opcode::Minc, cmd::Minc::new),
        keyed(Opcode::Mdec, cmd::Mdec::new),
        keyed(Opcode::Munlock, cmd::Munlock::new),
        keyed(Opcode::Count, cmd::Count::new),
        keyed(Opcode::Keys, cmd::Keys::<_, Bytes>::new),
        keyed_number(Opcode::Lock, lock_time(), cmd::Lock::new),
        keyed_number(Opcode::Mlock, lock_time(), cmd::Mlock::new),
        keyed_number(Opcode::Mttl, ttl(), cmd::Mttl::new),
        (key(), value()).prop_map(|(k, v)| (
            Opcode::Mset,
            encode(&cmd::Mset::new(&k, &v)),
            Expect::KeyBytes(k, v)
        )),
        key().prop_map(|k| (
            Opcode::Mget,
            encode(&cmd::Mget::<_, Bytes, Bytes>::new(&k)),
            Expect::KeyAbsent(k)
        )),
        keyed_number(
            Opcode::Mget,
            (1u32..=u32::MAX).prop_map(|n| (n, i64::from(n))),
            |k, n| cmd::Mget::<_, Bytes, Bytes>::new(k).limit(n),
        ),
        (key(), field()).prop_map(|(k, f)| {
            let k = k[..k.len().min(1012)].to_vec();
            (
                Opcode::Meta,
                encode(&cmd::Meta::new(&k, f)),
                Expect::KeyBytes(k, f.name().as_bytes().to_vec()),
            )
        }),
        Just((Opcode::Ping, encode(&cmd::Ping), Expect::None)),
        Just((Opcode::End, encode(&cmd::End), Expect::None)),
        Just((Opcode::Stats, encode(&cmd::GetStats), Expect::None)),
    ]
}

/// What `split_args` gave, in the same terms as [`Expect`].
fn recovered(op: Opcode, args: Args<'_>) -> Expect {
    let int = |b: &[u8]| parse_int(b).expect("an integer argument");
    match (op, args) {
        (_, Args::None) => Expect::None,
        (_, Args::Key(k)) => Expect::Key(k.to_vec()),
        (_, Args::KeyRest { key, rest: None }) => Expect::KeyAbsent(key.to_vec()),
        (
            Opcode::Ttl | Opcode::Lock | Opcode::Mlock | Opcode::Mttl | Opcode::Mget,
            Args::KeyRest { key, rest: Some(r) },
        ) => Expect::KeyInt(key.to_vec(), int(r)),
        (_, Args::KeyRest { key, rest: Some(r) }) => Expect::KeyBytes(key.to_vec(), r.to_vec()),
        (_, Args::Set { ttl, key, value }) => {
            Expect::Set(int(ttl), key.to_vec(), value.expect("a value").to_vec())
        }
    }
}

fn reply() -> impl Strategy<Value = Reply> {
    let error = proptest::sample::select(vec![
        ServerError::Err,
        ServerError::NotFound,
        ServerError::Nan,
        ServerError::Mem,
        ServerError::Locked,
    ]);
    let value = prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..100).prop_map(|v| Value::Bytes(Bytes::from(v))),
        any::<i64>().prop_map(Value::Int),
    ];
    let pairs = proptest::collection::vec(
        (proptest::collection::vec(any::<u8>(), 0..20), value.clone()),
        0..10,
    )
    .prop_map(|pairs| {
        let mut buf = BytesMut::new();
        let mut w = PairsWriter::begin(&mut buf);
        for (k, v) in &pairs {
            w.push(&mut buf, k, v);
        }
        w.finish(&mut buf);
        Decoder::default()
            .decode(&mut buf)
            .expect("valid KVAL")
            .expect("complete")
    });
    prop_oneof![
        Just(Reply::Ok),
        error.prop_map(Reply::Error),
        value.prop_map(Reply::Value),
        pairs,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_command_round_trips((op, frame, expect) in command(), reply in reply(), split in 0usize..64) {
        // Server side: decode the frame, fed in two pieces.
        let decoder = RequestDecoder::default();
        let mut buf = BytesMut::new();
        let cut = split.min(frame.len());
        buf.extend_from_slice(&frame[..cut]);
        let first = decoder.decode(&mut buf).expect("valid frame");
        let req = match first {
            Some(req) => req,
            None => {
                buf.extend_from_slice(&frame[cut..]);
                decoder.decode(&mut buf).expect("valid frame").expect("complete frame")
            }
        };
        prop_assert!(buf.is_empty() || cut < frame.len());
        prop_assert_eq!(req.opcode, op);
        let limits = Limits::default();
        let args = split_args(req.opcode, &req.payload, limits.max_key_size, limits.max_value_size);
        prop_assert_eq!(recovered(op, args), expect);

        // Reply side: server encoder → client decoder.
        let mut out = BytesMut::new();
        encode_reply(&mut out, &reply);
        let decoded = Decoder::default().decode(&mut out).expect("valid reply").expect("complete");
        prop_assert!(out.is_empty());
        prop_assert_eq!(decoded, reply);
    }
}
