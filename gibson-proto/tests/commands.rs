//! The typed commands of `gibson_proto::cmd`:
//!
//! * every validation rule, exercised through the commands, with an error
//!   naming the argument and the rule, and nothing written;
//! * every command against every kind of reply: the result for each reply
//!   code it can receive, and a protocol error (never a panic) for a reply
//!   of the wrong kind.

mod common;

use std::fmt::Debug;

use bytes::{Bytes, BytesMut};
use common::kval_reply;
use gibson_proto::{
    cmd, Command, Error, Limits, LockTime, MetaField, Opcode, ProtocolError, Reply, ServerError,
    Session, Ttl, Value,
};

// ------------------------------------------------------------- validation

/// Encodes `c` with `limits` into a buffer holding a marker; returns the
/// refused argument and rule, checking that nothing was written.
fn refused<C: Command>(c: &C, limits: &Limits) -> (&'static str, String) {
    let mut buf = BytesMut::from(&b"marker"[..]);
    match c.encode(&mut buf, limits) {
        Err(Error::InvalidArgument { arg, rule }) => {
            assert_eq!(
                &buf[..],
                b"marker",
                "{} wrote bytes before refusing",
                C::OPCODE
            );
            let err = Error::InvalidArgument {
                arg,
                rule: rule.clone(),
            };
            assert_eq!(err.to_string(), format!("invalid argument `{arg}`: {rule}"));
            (arg, rule)
        }
        Ok(()) => panic!("{} accepted a {}-byte frame", C::OPCODE, buf.len() - 6),
        Err(other) => panic!("{}: {other}", C::OPCODE),
    }
}

fn accepted<C: Command>(c: &C, limits: &Limits) -> Vec<u8> {
    let mut buf = BytesMut::new();
    c.encode(&mut buf, limits)
        .unwrap_or_else(|e| panic!("{} refused: {e}", C::OPCODE));
    buf[6..].to_vec()
}

/// Runs `check` on every command taking a key (`"key"`) or a prefix
/// (`"prefix"`) built from `k`.
fn for_each_keyed(k: &[u8], mut check: impl FnMut(Opcode, &'static str, (&'static str, String))) {
    let l = Limits::default();
    let k = k.to_vec();
    let k = &k[..];
    check(
        Opcode::Set,
        "key",
        refused(&cmd::Set::new(k, "v", Ttl::Never), &l),
    );
    check(
        Opcode::Ttl,
        "key",
        refused(&cmd::SetTtl::new(k, Ttl::Seconds(5)), &l),
    );
    check(
        Opcode::Get,
        "key",
        refused(&cmd::Get::<_, Bytes>::new(k), &l),
    );
    check(Opcode::Del, "key", refused(&cmd::Del::new(k), &l));
    check(Opcode::Inc, "key", refused(&cmd::Inc::new(k), &l));
    check(Opcode::Dec, "key", refused(&cmd::Dec::new(k), &l));
    check(Opcode::Lock, "key", refused(&cmd::Lock::new(k, 5), &l));
    check(Opcode::Unlock, "key", refused(&cmd::Unlock::new(k), &l));
    check(
        Opcode::Meta,
        "key",
        refused(&cmd::Meta::new(k, MetaField::Ttl), &l),
    );
    check(Opcode::Mset, "prefix", refused(&cmd::Mset::new(k, "v"), &l));
    check(
        Opcode::Mttl,
        "prefix",
        refused(&cmd::Mttl::new(k, Ttl::Seconds(5)), &l),
    );
    let mget = cmd::Mget::<_, Bytes, Bytes>::new(k);
    check(Opcode::Mget, "prefix", refused(&mget, &l));
    check(Opcode::Mget, "prefix", refused(&mget.limit(3), &l));
    check(Opcode::Mdel, "prefix", refused(&cmd::Mdel::new(k), &l));
    check(Opcode::Minc, "prefix", refused(&cmd::Minc::new(k), &l));
    check(Opcode::Mdec, "prefix", refused(&cmd::Mdec::new(k), &l));
    check(Opcode::Mlock, "prefix", refused(&cmd::Mlock::new(k, 5), &l));
    check(
        Opcode::Munlock,
        "prefix",
        refused(&cmd::Munlock::new(k), &l),
    );
    check(Opcode::Count, "prefix", refused(&cmd::Count::new(k), &l));
    check(
        Opcode::Keys,
        "prefix",
        refused(&cmd::Keys::<_, Bytes>::new(k), &l),
    );
}

/// Checks that every keyed command refuses `k` for `rule`, naming its own
/// argument; returns how many commands it checked.
fn every_keyed_refuses(k: &[u8], rule: &str) -> usize {
    let mut n = 0;
    for_each_keyed(k, |op, want, (arg, got)| {
        assert_eq!(arg, want, "{op}");
        assert_eq!(got, rule, "{op}");
        n += 1;
    });
    n
}

#[test]
fn empty_key_or_prefix() {
    let n = every_keyed_refuses(b"", "a key or prefix must not be empty");
    assert_eq!(n, 20);
}

#[test]
fn key_with_a_space() {
    every_keyed_refuses(
        b"ab c",
        "a key or prefix must not contain a space (found at byte 2)",
    );
    // A leading space too (the server answers ERR).
    for_each_keyed(b" k", |_, want, (arg, rule)| {
        assert_eq!(arg, want);
        assert!(rule.ends_with("a space (found at byte 0)"), "{rule}");
    });
}

#[test]
fn key_with_a_nul_byte() {
    every_keyed_refuses(
        b"k\0",
        "a key or prefix must not contain a NUL byte (found at byte 1)",
    );
}

#[test]
fn key_over_max_key_size() {
    let long = vec![b'k'; 1025];
    for_each_keyed(&long, |op, want, (arg, rule)| {
        assert_eq!(arg, want, "{op}");
        if op == Opcode::Set {
            // "0 " comes before the key and counts, as on the server.
            assert_eq!(
                rule,
                "is 1025 bytes; with the 2 bytes before it in the request it exceeds \
                 max_key_size (1024 bytes), which the server would silently corrupt"
            );
        } else {
            assert_eq!(
                rule, "is 1025 bytes, over max_key_size (1024 bytes)",
                "{op}"
            );
        }
    });

    // The limit is the caller's: a server configured with 8-byte keys.
    let mut limits = Limits::default();
    limits.max_key_size = 8;
    let (arg, rule) = refused(&cmd::Get::<_, Bytes>::new("123456789"), &limits);
    assert_eq!(
        (arg, rule.as_str()),
        ("key", "is 9 bytes, over max_key_size (8 bytes)")
    );
    accepted(&cmd::Get::<_, Bytes>::new("12345678"), &limits);
    // SET 3600: "3600 " is 5 bytes, leaving 3 for the key.
    accepted(&cmd::Set::new("123", "v", Ttl::Seconds(3600)), &limits);
    let (arg, rule) = refused(&cmd::Set::new("1234", "v", Ttl::Seconds(3600)), &limits);
    assert_eq!(arg, "key");
    assert!(rule.contains("with the 5 bytes before it"), "{rule}");
}

#[test]
fn empty_value() {
    let l = Limits::default();
    for (arg, rule) in [
        refused(&cmd::Set::new("k", "", Ttl::Never), &l),
        refused(&cmd::Set::new("k", Bytes::new(), Ttl::Seconds(10)), &l),
        refused(&cmd::Mset::new("p", ""), &l),
        refused(&cmd::Mset::new("p", Vec::<u8>::new()), &l),
    ] {
        assert_eq!((arg, rule.as_str()), ("value", "a value must not be empty"));
    }
}

#[test]
fn value_over_max_value_size() {
    let mut limits = Limits::default();
    limits.max_value_size = 4;
    for (arg, rule) in [
        refused(&cmd::Set::new("k", "12345", Ttl::Never), &limits),
        refused(&cmd::Mset::new("p", "12345"), &limits),
    ] {
        assert_eq!(
            (arg, rule.as_str()),
            ("value", "is 5 bytes, over max_value_size (4 bytes)")
        );
    }
    accepted(&cmd::Set::new("k", "1234", Ttl::Never), &limits);
}

#[test]
fn request_over_max_request_size() {
    let mut limits = Limits::default();
    limits.max_request_size = 16;
    // "0 k " + 10 bytes = 14 bytes of payload, 16 with the opcode: fits.
    accepted(&cmd::Set::new("k", "0123456789", Ttl::Never), &limits);
    let (arg, rule) = refused(&cmd::Set::new("k", "0123456789a", Ttl::Never), &limits);
    assert_eq!(
        (arg, rule.as_str()),
        (
            "request",
            "SET request of 17 bytes exceeds max_request_size (16 bytes)"
        )
    );
    let (arg, rule) = refused(&cmd::Mset::new("prefix", "0123456789"), &limits);
    assert_eq!(
        (arg, rule.as_str()),
        (
            "request",
            "MSET request of 19 bytes exceeds max_request_size (16 bytes)"
        )
    );
    let (arg, _) = refused(&cmd::Meta::new("a-long-key", MetaField::Encoding), &limits);
    assert_eq!(arg, "request");

    // With the default limits, a SET of a max_value_size value fits 2 MiB
    // only with a key of at most 1020 bytes: 2 + ("0 " + 1020 + " " +
    // 2 096 127) = 2 097 152.
    let l = Limits::default();
    let value = vec![b'v'; l.max_value_size];
    let key = vec![b'k'; 1021];
    accepted(&cmd::Set::new(&key[..1020], &value[..], Ttl::Never), &l);
    let (arg, rule) = refused(&cmd::Set::new(&key[..], &value[..], Ttl::Never), &l);
    assert_eq!(
        (arg, rule.as_str()),
        (
            "request",
            "SET request of 2097153 bytes exceeds max_request_size (2097152 bytes)"
        )
    );
}

#[test]
fn integers_within_the_servers_fields() {
    let l = Limits::default();
    // TTLs: Gibson 1.2.1 stores them in 16 bits, so anything above 32 767
    // is refused before a byte is written.
    for secs in [32_768, 40_000, 65_537, u32::MAX] {
        let big = Ttl::Seconds(secs);
        for (arg, rule) in [
            refused(&cmd::Set::new("k", "v", big), &l),
            refused(&cmd::SetTtl::new("k", big), &l),
            refused(&cmd::Mttl::new("p", big), &l),
        ] {
            assert_eq!(arg, "ttl");
            assert!(
                rule.starts_with(&format!("{secs} s is over max_ttl (32767 s)"))
                    && rule.contains("16 bits"),
                "{rule}"
            );
        }
    }
    assert_eq!(
        accepted(&cmd::SetTtl::new("k", Ttl::Seconds(32_767)), &l),
        b"k 32767"
    );
    // A server built with a wider field: the limit is configurable.
    let mut wide = l;
    wide.max_ttl = 2_592_000;
    assert_eq!(
        accepted(&cmd::SetTtl::new("k", Ttl::Seconds(40_000)), &wide),
        b"k 40000"
    );
    assert_eq!(
        refused(&cmd::SetTtl::new("k", Ttl::Seconds(2_592_001)), &wide).0,
        "ttl"
    );

    // Lock times are 64-bit on the server.
    assert_eq!(
        accepted(&cmd::Lock::new("k", LockTime::Seconds(4_294_967_296)), &l),
        b"k 4294967296"
    );
    assert_eq!(
        accepted(
            &cmd::Mlock::new("p", LockTime::Seconds(i64::MAX as u64)),
            &l
        ),
        b"p 9223372036854775807"
    );
    for (arg, rule) in [
        refused(&cmd::Lock::new("k", LockTime::Seconds(1 << 63)), &l),
        refused(&cmd::Mlock::new("p", LockTime::Seconds(u64::MAX)), &l),
    ] {
        assert_eq!(arg, "seconds");
        assert!(rule.contains("signed 64-bit lock time"), "{rule}");
    }
    // MGET's limit is a C long too.
    assert_eq!(
        accepted(&cmd::Mget::<_, Bytes, Bytes>::new("p").limit(u32::MAX), &l),
        b"p 4294967295"
    );
    // A Duration too long for a u32 saturates, then is refused (Duration::MAX,
    // whose rounding up overflowed a u64, included).
    for d in [
        std::time::Duration::from_secs(u64::MAX),
        std::time::Duration::MAX,
        std::time::Duration::from_secs(1 << 32),
    ] {
        assert_eq!(Ttl::from(d), Ttl::Seconds(u32::MAX));
        let (arg, _) = refused(&cmd::SetTtl::new("k", d), &l);
        assert_eq!(arg, "ttl");
    }
    let (arg, _) = refused(&cmd::Lock::new("k", std::time::Duration::MAX), &l);
    assert_eq!(arg, "seconds");
}

#[test]
fn zeros_that_mean_something_else_to_the_server() {
    let l = Limits::default();
    let ttl_rule = "0 seconds means \"no expiry\" to the server; use Ttl::Never to say so";
    for (arg, rule) in [
        refused(&cmd::Set::new("k", "v", Ttl::Seconds(0)), &l),
        refused(&cmd::SetTtl::new("k", Ttl::Seconds(0)), &l),
        refused(&cmd::Mttl::new("p", Ttl::Seconds(0)), &l),
        refused(&cmd::Set::new("k", "v", std::time::Duration::ZERO), &l),
    ] {
        assert_eq!((arg, rule.as_str()), ("ttl", ttl_rule));
    }
    let lock_rule = "a 0-second lock does not lock; use at least 1 or LockTime::UntilUnlock";
    for (arg, rule) in [
        refused(&cmd::Lock::new("k", LockTime::Seconds(0)), &l),
        refused(&cmd::Mlock::new("p", 0), &l),
    ] {
        assert_eq!((arg, rule.as_str()), ("seconds", lock_rule));
    }
    let (arg, rule) = refused(&cmd::Mget::<_, Bytes, Bytes>::new("p").limit(0), &l);
    assert_eq!(
        (arg, rule.as_str()),
        (
            "limit",
            "a limit of 0 means \"no limit\" to the server; use at least 1, or no limit"
        )
    );
    // What to write instead.
    assert_eq!(accepted(&cmd::Set::new("k", "v", Ttl::Never), &l), b"0 k v");
    assert_eq!(
        accepted(&cmd::Lock::new("k", LockTime::UntilUnlock), &l),
        b"k -1"
    );
    assert_eq!(accepted(&cmd::Mget::<_, Bytes, Bytes>::new("p"), &l), b"p");
    assert_eq!(
        accepted(
            &cmd::Lock::new("k", std::time::Duration::from_millis(1)),
            &l
        ),
        b"k 1"
    );
}

/// A refused command never reaches the connection: in a session, other
/// requests in flight are untouched.
#[test]
fn a_refused_command_leaves_the_session_alone() {
    let mut s: Session<u8> = Session::new(Limits::default());
    s.send(&cmd::Ping, 1).unwrap();
    let before = s.output().to_vec();
    let err = s.send(&cmd::Get::<_, Bytes>::new("a b"), 2).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { arg: "key", .. }));
    assert_eq!(s.output(), &before[..]);
    assert_eq!(s.in_flight(), 1);
    s.feed(&[5, 0, 0, 1, 0, 0, 0, 0]);
    let done = s.poll_reply().unwrap();
    assert_eq!((done.token, done.result.unwrap()), (1, Reply::Ok));
    assert!(s.failure().is_none());
}

// ---------------------------------------------------------------- replies

/// A command's outcome, comparable.
#[derive(Debug, PartialEq)]
enum Out {
    /// `Ok`, as the output's `Debug`.
    Ok(String),
    Server(ServerError),
    /// An `UnexpectedReply` protocol error, with the reply kind it names.
    Wrong(&'static str),
    Conversion,
}

fn ok(s: &str) -> Out {
    Out::Ok(s.to_string())
}

/// OK, NOT_FOUND, VAL plain "12", VAL number 7, KVAL {"0": "a"}: the replies
/// whose meaning differs between commands. (ERR, NAN, MEM and LOCKED are
/// checked for every command in `error_codes_are_server_errors`.)
fn replies() -> [Reply; 5] {
    [
        Reply::Ok,
        Reply::Error(ServerError::NotFound),
        Reply::Value(Value::from("12")),
        Reply::Value(Value::Int(7)),
        kval_reply(&[("0", Value::from("a"))]),
    ]
}

fn run<C: Command>(reply: Reply) -> Out
where
    C::Output: Debug,
{
    match C::decode(reply) {
        Ok(v) => Out::Ok(format!("{v:?}")),
        Err(Error::Server { command, kind }) => {
            assert_eq!(command, C::OPCODE, "the error names another command");
            Out::Server(kind)
        }
        Err(Error::Protocol(ProtocolError::UnexpectedReply { command, got })) => {
            assert_eq!(command, C::OPCODE);
            Out::Wrong(got)
        }
        Err(Error::Conversion { .. }) => Out::Conversion,
        Err(other) => panic!("{}: unexpected error {other:?}", C::OPCODE),
    }
}

fn row<C: Command>() -> Vec<Out>
where
    C::Output: Debug,
{
    replies().into_iter().map(run::<C>).collect()
}

use Out::{Conversion, Server, Wrong};
const NOT_FOUND: Out = Server(ServerError::NotFound);

#[test]
fn set() {
    type C = cmd::Set<&'static str, &'static str>;
    assert_eq!(
        row::<C>(),
        [
            Wrong("OK"),
            NOT_FOUND,
            ok("Bytes(b\"12\")"),
            ok("Int(7)"),
            Wrong("KVAL")
        ]
    );
}

#[test]
fn ttl_del_unlock_lock_are_found_or_not() {
    let want = [
        ok("true"),
        ok("false"),
        Wrong("VAL plain"),
        Wrong("VAL number"),
        Wrong("KVAL"),
    ];
    assert_eq!(row::<cmd::SetTtl<&str>>(), want);
    assert_eq!(row::<cmd::Del<&str>>(), want);
    assert_eq!(row::<cmd::Unlock<&str>>(), want);
    assert_eq!(row::<cmd::Lock<&str>>(), want);
}

#[test]
fn get() {
    assert_eq!(
        row::<cmd::Get<&str, String>>(),
        [
            Wrong("OK"),
            ok("None"),
            ok("Some(\"12\")"),
            ok("Some(\"7\")"),
            Wrong("KVAL")
        ]
    );
    assert_eq!(
        row::<cmd::Get<&str, i64>>(),
        [
            Wrong("OK"),
            ok("None"),
            ok("Some(12)"),
            ok("Some(7)"),
            Wrong("KVAL")
        ]
    );
    assert_eq!(
        row::<cmd::Get<&str, Value>>(),
        [
            Wrong("OK"),
            ok("None"),
            ok("Some(Bytes(b\"12\"))"),
            ok("Some(Int(7))"),
            Wrong("KVAL")
        ]
    );
    // A value that does not convert is a conversion error, not a protocol one.
    assert_eq!(
        run::<cmd::Get<&str, u8>>(Reply::Value(Value::from("300"))),
        Conversion
    );
    assert_eq!(
        run::<cmd::Get<&str, u8>>(Reply::Value(Value::Int(-1))),
        Conversion
    );
    assert_eq!(
        run::<cmd::Get<&str, String>>(Reply::Value(Value::Bytes(Bytes::from_static(b"\xff")))),
        Conversion
    );
}

#[test]
fn inc_and_dec_answer_numbers() {
    let want = [
        Wrong("OK"),
        NOT_FOUND,
        Wrong("VAL plain"),
        ok("7"),
        Wrong("KVAL"),
    ];
    assert_eq!(row::<cmd::Inc<&str>>(), want);
    assert_eq!(row::<cmd::Dec<&str>>(), want);
}

#[test]
fn counts_are_zero_when_nothing_matches() {
    let want = [
        Wrong("OK"),
        ok("0"),
        Wrong("VAL plain"),
        ok("7"),
        Wrong("KVAL"),
    ];
    assert_eq!(row::<cmd::Mset<&str, &str>>(), want);
    assert_eq!(row::<cmd::Mttl<&str>>(), want);
    assert_eq!(row::<cmd::Mdel<&str>>(), want);
    assert_eq!(row::<cmd::Minc<&str>>(), want);
    assert_eq!(row::<cmd::Mdec<&str>>(), want);
    assert_eq!(row::<cmd::Mlock<&str>>(), want);
    assert_eq!(row::<cmd::Munlock<&str>>(), want);
    assert_eq!(row::<cmd::Count<&str>>(), want);
    // A negative count is not a count.
    assert_eq!(
        run::<cmd::Count<&str>>(Reply::Value(Value::Int(-1))),
        Wrong("VAL number")
    );
}

#[test]
fn mget_and_keys_answer_pairs() {
    assert_eq!(
        row::<cmd::Mget<&str, String, String>>(),
        [
            Wrong("OK"),
            ok("[]"),
            Wrong("VAL plain"),
            Wrong("VAL number"),
            ok("[(\"0\", \"a\")]")
        ]
    );
    assert_eq!(
        row::<cmd::Keys<&str, String>>(),
        [
            Wrong("OK"),
            ok("[]"),
            Wrong("VAL plain"),
            Wrong("VAL number"),
            ok("[\"a\"]")
        ]
    );
    // Values keep their kind: plain or number.
    let reply = kval_reply(&[("a", Value::from("x")), ("n", Value::Int(-5))]);
    assert_eq!(
        run::<cmd::Mget<&str, String, Value>>(reply.clone()),
        ok("[(\"a\", Bytes(b\"x\")), (\"n\", Int(-5))]")
    );
    assert_eq!(run::<cmd::Mget<&str, String, u8>>(reply), Conversion);
}

#[test]
fn meta() {
    assert_eq!(
        row::<cmd::Meta<&str>>(),
        [
            Wrong("OK"),
            ok("None"),
            Wrong("VAL plain"),
            ok("Some(7)"),
            Wrong("KVAL")
        ]
    );
}

#[test]
fn ping_and_end() {
    let want = [
        ok("()"),
        NOT_FOUND,
        Wrong("VAL plain"),
        Wrong("VAL number"),
        Wrong("KVAL"),
    ];
    assert_eq!(row::<cmd::Ping>(), want);
    assert_eq!(row::<cmd::End>(), want);
}

#[test]
fn stats() {
    let outs: Vec<Out> = replies()
        .into_iter()
        .map(|r| match cmd::GetStats::decode(r) {
            Ok(stats) => Out::Ok(format!("{} raw", stats.raw.len())),
            Err(Error::Server { kind, .. }) => Out::Server(kind),
            Err(Error::Protocol(ProtocolError::UnexpectedReply { got, .. })) => Out::Wrong(got),
            Err(other) => panic!("{other}"),
        })
        .collect();
    assert_eq!(
        outs,
        [
            Wrong("OK"),
            NOT_FOUND,
            Wrong("VAL plain"),
            Wrong("VAL number"),
            ok("1 raw")
        ]
    );
    let stats = cmd::GetStats::decode(kval_reply(&[
        ("server_version", Value::from("1.2.1")),
        ("total_items", Value::Int(3)),
        ("memory_fragmentation", Value::from("1.250000")),
        ("something_new", Value::Int(1)),
    ]))
    .unwrap();
    assert_eq!(stats.server_version, "1.2.1");
    assert_eq!(stats.total_items, 3);
    assert_eq!(stats.memory_fragmentation, 1.25);
    assert_eq!(stats.raw.len(), 4);
    // A known field of the wrong type is a conversion error.
    assert!(matches!(
        cmd::GetStats::decode(kval_reply(&[("total_items", Value::from("many"))])),
        Err(Error::Conversion { .. })
    ));
}

/// ERR, NAN, MEM and LOCKED are [`Error::Server`] naming the command, for
/// every command: e.g. DEL + LOCKED is "the locked error".
#[test]
fn error_codes_are_server_errors() {
    fn check<C: Command>() {
        for kind in [
            ServerError::Err,
            ServerError::Nan,
            ServerError::Mem,
            ServerError::Locked,
        ] {
            match C::decode(Reply::Error(kind)) {
                Err(e @ Error::Server { .. }) => {
                    assert_eq!(e.server_error(), Some(kind));
                    assert_eq!(e.is_locked(), kind == ServerError::Locked);
                    assert!(!e.is_connection_broken());
                    assert!(e
                        .to_string()
                        .starts_with(&format!("{}: server replied ", C::OPCODE)));
                }
                Err(other) => panic!("{} + {kind}: {other}", C::OPCODE),
                Ok(_) => panic!("{} + {kind}: accepted", C::OPCODE),
            }
        }
    }
    macro_rules! check_each {
        ($($c:ty),+ $(,)?) => { $(check::<$c>();)+ };
    }
    check_each!(
        cmd::Set<&str, &str>, cmd::SetTtl<&str>, cmd::Get<&str>, cmd::Del<&str>, cmd::Inc<&str>,
        cmd::Dec<&str>, cmd::Lock<&str>, cmd::Unlock<&str>, cmd::Mset<&str, &str>,
        cmd::Mttl<&str>, cmd::Mget<&str>, cmd::Mdel<&str>, cmd::Minc<&str>, cmd::Mdec<&str>,
        cmd::Mlock<&str>, cmd::Munlock<&str>, cmd::Count<&str>, cmd::GetStats, cmd::Ping,
        cmd::Meta<&str>, cmd::Keys<&str>, cmd::End,
    );

    let e = cmd::Del::<&str>::decode(Reply::Error(ServerError::Locked)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "DEL: server replied LOCKED (the item is locked)"
    );
}

/// A wrong kind of reply is a protocol error that breaks the connection.
#[test]
fn wrong_replies_break_the_connection() {
    let e = cmd::Inc::<&str>::decode(Reply::Ok).unwrap_err();
    assert!(e.is_connection_broken());
    assert_eq!(
        e.to_string(),
        "protocol error: INC cannot be answered with OK"
    );
    let e = cmd::Ping::decode(kval_reply(&[])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "protocol error: PING cannot be answered with KVAL"
    );
}
