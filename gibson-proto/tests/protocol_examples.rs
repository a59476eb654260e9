//! Every byte example and byte-level rule of docs/protocol.md, as a test, for
//! requests and for replies, in both directions where both exist (client
//! encoder → server decoder, server encoder → client decoder).

use bytes::{BufMut, Bytes, BytesMut};
use gibson_proto::server::{encode_reply, RequestDecoder};
use gibson_proto::{
    cmd, encode_request, Arg, Command, Decoder, Encoding, Error, Limits, LockTime, MetaField,
    Opcode, ProtocolError, Reply, ReplyCode, ServerError, Stats, Ttl, Value,
};

fn enc<C: Command>(c: C) -> Vec<u8> {
    let mut buf = BytesMut::new();
    c.encode(&mut buf, &Limits::default())
        .unwrap_or_else(|e| panic!("{} refused: {e}", C::OPCODE));
    buf.to_vec()
}

fn enc_err<C: Command>(c: C) -> (&'static str, String) {
    let mut buf = BytesMut::new();
    match c.encode(&mut buf, &Limits::default()) {
        Err(Error::InvalidArgument { arg, rule }) => {
            assert!(buf.is_empty(), "a refused command wrote bytes");
            (arg, rule)
        }
        Ok(()) => panic!("{} accepted {:?}", C::OPCODE, buf),
        Err(other) => panic!("{} failed with {other}", C::OPCODE),
    }
}

fn decode_one(bytes: &[u8]) -> Result<Reply, ProtocolError> {
    let mut buf = BytesMut::from(bytes);
    let reply = Decoder::default().decode(&mut buf)?.expect("a whole frame");
    assert!(buf.is_empty(), "the frame was not consumed exactly");
    Ok(reply)
}

fn encode(reply: &Reply) -> Vec<u8> {
    let mut buf = BytesMut::new();
    encode_reply(&mut buf, reply);
    buf.to_vec()
}

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

// ---------------------------------------------------------------- requests

/// "Example: `SET 3600 foo 3.14` is `0f 00 00 00 | 01 00 | "3600 foo 3.14"`."
#[test]
fn request_example_set_3600_foo() {
    let mut want = hex("0f 00 00 00 01 00");
    want.extend_from_slice(b"3600 foo 3.14");
    assert_eq!(enc(cmd::Set::new("foo", "3.14", Ttl::Seconds(3600))), want);
    assert_eq!(enc(cmd::Set::new("foo", "3.14", Ttl::Seconds(3600))), want);

    let mut raw = BytesMut::new();
    encode_request(
        &mut raw,
        &Limits::default(),
        Opcode::Set,
        &[
            Arg::Int("ttl", 3600),
            Arg::Key("key", b"foo"),
            Arg::Value("value", b"3.14"),
        ],
    )
    .unwrap();
    assert_eq!(&raw[..], &want[..]);

    // And the server side reads it back.
    let mut buf = BytesMut::from(&want[..]);
    let req = RequestDecoder::default().decode(&mut buf).unwrap().unwrap();
    assert_eq!(req.opcode, Opcode::Set);
    assert_eq!(&req.payload[..], b"3600 foo 3.14");
    assert!(buf.is_empty());
}

/// "`size` counts the opcode and the payload, not itself. Minimum 2 (empty payload)."
#[test]
fn request_without_payload_has_size_two() {
    assert_eq!(enc(cmd::Ping), hex("02 00 00 00 13 00"));
    assert_eq!(enc(cmd::GetStats), hex("02 00 00 00 12 00"));
    assert_eq!(enc(cmd::End), hex("02 00 00 00 ff 00"));
    for bytes in [hex("02 00 00 00 13 00"), hex("02 00 00 00 ff 00")] {
        let mut buf = BytesMut::from(&bytes[..]);
        let req = RequestDecoder::default().decode(&mut buf).unwrap().unwrap();
        assert!(req.payload.is_empty());
    }
}

/// "Numbers are sent as ASCII decimal (`-1`, `3600`)."
#[test]
fn numbers_are_ascii_decimal() {
    let mut want = hex("06 00 00 00 07 00");
    want.extend_from_slice(b"k -1");
    assert_eq!(enc(cmd::Lock::new("k", LockTime::UntilUnlock)), want);
    let mut want = hex("08 00 00 00 02 00");
    want.extend_from_slice(b"k 3600");
    assert_eq!(enc(cmd::SetTtl::new("k", Ttl::Seconds(3600))), want);
}

/// The opcode table: every command's code and payload shape, byte for byte.
#[test]
fn opcode_table_every_command() {
    // (encoded by the typed command, size, opcode, payload)
    let table: Vec<(Vec<u8>, u32, u16, &[u8])> = vec![
        (enc(cmd::Set::new("k", "v w", Ttl::Never)), 9, 1, b"0 k v w"),
        (enc(cmd::SetTtl::new("k", Ttl::Seconds(10))), 6, 2, b"k 10"),
        (enc(cmd::Get::<_, Bytes>::new("k")), 3, 3, b"k"),
        (enc(cmd::Del::new("k")), 3, 4, b"k"),
        (enc(cmd::Inc::new("k")), 3, 5, b"k"),
        (enc(cmd::Dec::new("k")), 3, 6, b"k"),
        (enc(cmd::Lock::new("k", 5)), 5, 7, b"k 5"),
        (enc(cmd::Unlock::new("k")), 3, 8, b"k"),
        (enc(cmd::Mset::new("p", "v")), 5, 9, b"p v"),
        (enc(cmd::Mttl::new("p", Ttl::Never)), 5, 10, b"p 0"),
        (enc(cmd::Mget::<_, Bytes, Bytes>::new("p")), 3, 11, b"p"),
        (
            enc(cmd::Mget::<_, Bytes, Bytes>::new("p").limit(10)),
            6,
            11,
            b"p 10",
        ),
        (enc(cmd::Mdel::new("p")), 3, 12, b"p"),
        (enc(cmd::Minc::new("p")), 3, 13, b"p"),
        (enc(cmd::Mdec::new("p")), 3, 14, b"p"),
        (
            enc(cmd::Mlock::new("p", LockTime::UntilUnlock)),
            6,
            15,
            b"p -1",
        ),
        (enc(cmd::Munlock::new("p")), 3, 16, b"p"),
        (enc(cmd::Count::new("p")), 3, 17, b"p"),
        (enc(cmd::GetStats), 2, 18, b""),
        (enc(cmd::Ping), 2, 19, b""),
        (enc(cmd::Meta::new("k", MetaField::Size)), 8, 20, b"k size"),
        (enc(cmd::Keys::<_, Bytes>::new("p")), 3, 21, b"p"),
        (enc(cmd::End), 2, 255, b""),
    ];
    let mut seen = Vec::new();
    for (got, size, op, payload) in table {
        let mut want = Vec::new();
        want.put_u32_le(size);
        want.put_u16_le(op);
        want.extend_from_slice(payload);
        assert_eq!(got, want, "opcode {op}");
        assert_eq!(size as usize, 2 + payload.len());
        seen.push(op);
    }
    seen.dedup();
    let all: Vec<u16> = Opcode::ALL.iter().map(|o| o.code()).collect();
    assert_eq!(seen, all, "every opcode has a row");
}

/// "A frame whose `size` is below 2 or above the server's `max_request_size`
/// (default 2 MiB) makes the server close the connection"; so does an
/// unknown opcode.
#[test]
fn request_frames_the_server_refuses() {
    let d = RequestDecoder::default();
    for size in [0u32, 1] {
        let mut buf = BytesMut::from(&size.to_le_bytes()[..]);
        buf.extend_from_slice(&[0x13, 0]);
        assert_eq!(d.decode(&mut buf), Err(ProtocolError::FrameTooSmall(size)));
    }
    let over = 2 * 1024 * 1024 + 1;
    let mut buf = BytesMut::from(&(over as u32).to_le_bytes()[..]);
    assert_eq!(
        d.decode(&mut buf),
        Err(ProtocolError::FrameTooLarge {
            size: over,
            max: 2 * 1024 * 1024
        })
    );
    // Exactly 2 MiB is allowed: the decoder waits for the rest.
    let mut buf = BytesMut::from(&(2u32 * 1024 * 1024).to_le_bytes()[..]);
    buf.extend_from_slice(&[3, 0]);
    assert_eq!(d.decode(&mut buf), Ok(None));

    let mut buf = BytesMut::from(&hex("02 00 00 00 16 00")[..]);
    assert_eq!(d.decode(&mut buf), Err(ProtocolError::UnknownOpcode(22)));
    let mut buf = BytesMut::from(&hex("02 00 00 00 00 00")[..]);
    assert_eq!(d.decode(&mut buf), Err(ProtocolError::UnknownOpcode(0)));

    // The client never sends such a frame: a request over max_request_size
    // is refused before anything is written.
    let big = vec![b'v'; 2 * 1024 * 1024];
    let mut limits = Limits::default();
    limits.max_value_size = usize::MAX;
    let mut out = BytesMut::new();
    let err = cmd::Set::new("k", &big[..], Ttl::Never)
        .encode(&mut out, &limits)
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { arg: "request", .. }),
        "{err}"
    );
    assert!(out.is_empty());
}

// ----------------------------------------------------------------- replies

/// "Example replies (hex): OK `05 00 00 01 00 00 00 00`; NOT_FOUND
/// `01 00 00 01 00 00 00 00`; VAL "bar" `06 00 00 03 00 00 00 62 61 72`;
/// VAL number 77 `06 00 02 08 00 00 00 4d 00 00 00 00 00 00 00`."
#[test]
fn reply_examples_both_directions() {
    let examples = [
        ("05 00 00 01 00 00 00 00", Reply::Ok),
        (
            "01 00 00 01 00 00 00 00",
            Reply::Error(ServerError::NotFound),
        ),
        (
            "06 00 00 03 00 00 00 62 61 72",
            Reply::Value(Value::from("bar")),
        ),
        (
            "06 00 02 08 00 00 00 4d 00 00 00 00 00 00 00",
            Reply::Value(Value::Int(77)),
        ),
    ];
    for (bytes, reply) in examples {
        assert_eq!(decode_one(&hex(bytes)).unwrap(), reply, "{bytes}");
        assert_eq!(encode(&reply), hex(bytes), "{bytes}");
    }
}

/// "Codes 0–5 always carry encoding 0, `size` 1 and one data byte `00`."
#[test]
fn status_codes_carry_one_zero_byte() {
    let cases = [
        (0u8, Reply::Error(ServerError::Err)),
        (1, Reply::Error(ServerError::NotFound)),
        (2, Reply::Error(ServerError::Nan)),
        (3, Reply::Error(ServerError::Mem)),
        (4, Reply::Error(ServerError::Locked)),
        (5, Reply::Ok),
    ];
    for (code, reply) in cases {
        let bytes = [code, 0, 0, 1, 0, 0, 0, 0];
        assert_eq!(decode_one(&bytes).unwrap(), reply);
        assert_eq!(encode(&reply), bytes);
    }
    let codes: Vec<(u16, &str)> = ReplyCode::ALL
        .iter()
        .map(|c| (c.code(), c.name()))
        .collect();
    assert_eq!(
        codes,
        [
            (0, "ERR"),
            (1, "NOT_FOUND"),
            (2, "NAN"),
            (3, "MEM"),
            (4, "LOCKED"),
            (5, "OK"),
            (6, "VAL"),
            (7, "KVAL")
        ]
    );
}

/// "2 NUMBER (a signed integer, 8 bytes on a 64-bit server, 4 bytes on a
/// 32-bit one: accept both)."
#[test]
fn numbers_of_four_and_eight_bytes() {
    assert_eq!(
        decode_one(&hex("06 00 02 04 00 00 00 4d 00 00 00")).unwrap(),
        Reply::Value(Value::Int(77))
    );
    assert_eq!(
        decode_one(&hex("06 00 02 04 00 00 00 ff ff ff ff")).unwrap(),
        Reply::Value(Value::Int(-1))
    );
    assert_eq!(
        decode_one(&hex("06 00 02 08 00 00 00 fe ff ff ff ff ff ff ff")).unwrap(),
        Reply::Value(Value::Int(-2))
    );
    let enc: Vec<(u8, &str)> = Encoding::ALL.iter().map(|e| (e.code(), e.name())).collect();
    assert_eq!(enc, [(0, "PLAIN"), (1, "LZF"), (2, "NUMBER")]);
}

/// The KVAL data layout: `count: u32`, then per entry `key_len: u32 | key |
/// encoding: u8 | value_len: u32 | value`.
#[test]
fn kval_layout() {
    let bytes = hex(concat!(
        "07 00 00 23 00 00 00 ",                   // KVAL, encoding 0, size 35
        "02 00 00 00 ",                            // count 2
        "01 00 00 00 61 00 03 00 00 00 62 61 72 ", // "a" → PLAIN "bar"
        "01 00 00 00 6e 02 08 00 00 00 4d 00 00 00 00 00 00 00", // "n" → NUMBER 77
    ));
    let Reply::Pairs(pairs) = decode_one(&bytes).unwrap() else {
        panic!("not a KVAL")
    };
    assert_eq!(pairs.len(), 2);
    let got: Vec<(Bytes, Value)> = pairs.iter().collect();
    assert_eq!(
        got,
        [
            (Bytes::from_static(b"a"), Value::from("bar")),
            (Bytes::from_static(b"n"), Value::Int(77)),
        ]
    );
    assert_eq!(encode(&Reply::Pairs(pairs)), bytes);

    // A KVAL entry may also carry a 4-byte NUMBER.
    let bytes = hex("07 00 00 12 00 00 00 01 00 00 00 01 00 00 00 6e 02 04 00 00 00 07 00 00 00");
    let Reply::Pairs(pairs) = decode_one(&bytes).unwrap() else {
        panic!("not a KVAL")
    };
    assert_eq!(pairs.iter().next().unwrap().1, Value::Int(7));

    // An empty KVAL (count 0) is well-formed.
    let Reply::Pairs(pairs) = decode_one(&hex("07 00 00 04 00 00 00 00 00 00 00")).unwrap() else {
        panic!("not a KVAL")
    };
    assert!(pairs.is_empty());
}

/// STATS: "KVAL with these 27 names in this order".
#[test]
fn stats_names_in_order() {
    let names = [
        "server_version",
        "server_build_datetime",
        "server_allocator",
        "server_arch",
        "server_started",
        "server_time",
        "first_item_seen",
        "last_item_seen",
        "total_items",
        "total_compressed_items",
        "total_clients",
        "total_cron_done",
        "total_connections",
        "total_requests",
        "item_pool_current_used",
        "item_pool_current_capacity",
        "item_pool_total_capacity",
        "item_pool_object_size",
        "item_pool_max_block_size",
        "memory_available",
        "memory_usable",
        "memory_used",
        "memory_peak",
        "memory_fragmentation",
        "item_size_avg",
        "compr_rate_avg",
        "reqs_per_client_avg",
    ];
    assert_eq!(Stats::NAMES, names);
}

/// META fields: `size`, `encoding`, `access`, `created`, `ttl`, `left`, `lock`.
#[test]
fn meta_field_names() {
    let names: Vec<&str> = MetaField::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        ["size", "encoding", "access", "created", "ttl", "left", "lock"]
    );
    for field in MetaField::ALL {
        let bytes = enc(cmd::Meta::new("k", field));
        assert_eq!(&bytes[6..], format!("k {}", field.name()).as_bytes());
    }
}

/// "A decoder must treat as a protocol error, never a panic: an unknown code
/// or encoding, a NUMBER of another length than 4 or 8, a KVAL whose entries
/// overrun or underrun its data, and any frame larger than the limit the
/// caller set (a hostile or broken peer can announce 4 GiB)."
#[test]
fn malformed_replies_are_protocol_errors() {
    let cases: Vec<(String, ProtocolError)> = vec![
        (
            "08 00 00 01 00 00 00 00".into(),
            ProtocolError::UnknownReplyCode(8),
        ),
        (
            "ff ff 00 01 00 00 00 00".into(),
            ProtocolError::UnknownReplyCode(0xffff),
        ),
        (
            "06 00 03 01 00 00 00 00".into(),
            ProtocolError::UnknownEncoding(3),
        ),
        (
            "06 00 02 02 00 00 00 01 00".into(),
            ProtocolError::BadNumberLength(2),
        ),
        (
            format!("06 00 02 10 00 00 00 {}", "00 ".repeat(16)),
            ProtocolError::BadNumberLength(16),
        ),
        (
            "06 00 01 01 00 00 00 00".into(),
            ProtocolError::UnexpectedEncoding {
                encoding: 1,
                context: "a VAL reply",
            },
        ),
        // KVAL shorter than its count.
        (
            "07 00 00 02 00 00 00 01 00".into(),
            ProtocolError::MalformedPairs("shorter than its count"),
        ),
        // Count 2, one entry, then part of a second one (a whole entry
        // then nothing is a short KVAL, not an error: see below).
        (
            "07 00 00 12 00 00 00 02 00 00 00 01 00 00 00 61 00 01 00 00 00 62 01 00 00".into(),
            ProtocolError::MalformedPairs("entries overrun the frame"),
        ),
        // Key length beyond the data.
        (
            "07 00 00 0d 00 00 00 01 00 00 00 ff 00 00 00 00 00 00 00 00".into(),
            ProtocolError::MalformedPairs("a key overruns the frame"),
        ),
        // Value length beyond the data.
        (
            "07 00 00 0f 00 00 00 01 00 00 00 01 00 00 00 61 00 05 00 00 00 62".into(),
            ProtocolError::MalformedPairs("a value overruns the frame"),
        ),
        // Underrun: a byte after the last entry.
        (
            "07 00 00 10 00 00 00 01 00 00 00 01 00 00 00 61 00 01 00 00 00 62 63".into(),
            ProtocolError::MalformedPairs("bytes left after the last entry"),
        ),
        // An entry with a bad NUMBER, an LZF entry.
        (
            "07 00 00 10 00 00 00 01 00 00 00 01 00 00 00 61 02 02 00 00 00 62 63".into(),
            ProtocolError::BadNumberLength(2),
        ),
        (
            "07 00 00 0f 00 00 00 01 00 00 00 01 00 00 00 61 01 01 00 00 00 62".into(),
            ProtocolError::UnexpectedEncoding {
                encoding: 1,
                context: "a KVAL entry",
            },
        ),
        // 4 GiB announced.
        (
            "06 00 00 ff ff ff ff".into(),
            ProtocolError::FrameTooLarge {
                size: 7 + 0xffff_ffff,
                max: 16 * 1024 * 1024,
            },
        ),
    ];
    for (bytes, want) in cases {
        let bytes = hex(&bytes);
        let mut buf = BytesMut::from(&bytes[..]);
        let err = Decoder::default().decode(&mut buf).unwrap_err();
        assert_eq!(err, want, "{bytes:02x?}");
        assert_eq!(
            &buf[..],
            &bytes[..],
            "an error must leave the buffer as it was"
        );
    }
}

/// Corrections: "MGET over expired items sends a short KVAL ... count 2, no
/// entries: `07 00 00 04 00 00 00 02 00 00 00`". A well-formed frame whose
/// data ends on an entry boundary before its count is a reply, never a
/// protocol error; MGET decodes it to `Error::ShortReply` (the runtimes
/// send the MGET again first).
#[test]
fn a_short_kval_is_a_reply_not_a_protocol_error() {
    for (bytes, present, announced) in [
        ("07 00 00 04 00 00 00 02 00 00 00", 0, 2),
        (
            "07 00 00 0f 00 00 00 02 00 00 00 01 00 00 00 61 00 01 00 00 00 62",
            1,
            2,
        ),
    ] {
        let mut buf = BytesMut::from(&hex(bytes)[..]);
        let Some(Reply::Pairs(pairs)) = Decoder::default().decode(&mut buf).unwrap() else {
            panic!("{bytes}: not a KVAL");
        };
        assert!(buf.is_empty(), "the whole frame is consumed");
        assert_eq!((pairs.len(), pairs.announced()), (present, announced));
        assert!(pairs.is_short());
        assert_eq!(pairs.iter().count(), present);
        let err = cmd::Mget::<&str, Bytes, Bytes>::decode(Reply::Pairs(pairs)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::ShortReply {
                    command: Opcode::Mget,
                    announced: 2,
                    ..
                }
            ),
            "{err}"
        );
        assert!(!err.is_connection_broken());
    }
}

// ------------------------------------------- arguments the server mangles

/// "Observed: `SET 0 <1030 × K> value` stored a 1022-byte key …; `SET 100
/// <1030 × R> value` a 1020-byte key": the client refuses both, and accepts
/// the longest keys the server keeps intact ("the TTL's characters and its
/// space count against the limit too").
#[test]
fn keys_the_server_would_corrupt_are_refused() {
    let k = "K".repeat(1030);
    let (arg, rule) = enc_err(cmd::Set::new(&k[..], "value", Ttl::Never));
    assert_eq!(arg, "key");
    assert!(rule.contains("max_key_size (1024 bytes)"), "{rule}");
    let r = "R".repeat(1030);
    let (arg, _) = enc_err(cmd::Set::new(&r[..], "value", Ttl::Seconds(100)));
    assert_eq!(arg, "key");

    // "0 " + 1022 = 1024; "100 " + 1020 = 1024.
    let bytes = enc(cmd::Set::new(&k[..1022], "value", Ttl::Never));
    assert_eq!(&bytes[..6], hex("08 04 00 00 01 00"));
    enc(cmd::Set::new(&r[..1020], "value", Ttl::Seconds(100)));
    assert_eq!(enc_err(cmd::Set::new(&k[..1023], "v", Ttl::Never)).0, "key");
    assert_eq!(
        enc_err(cmd::Set::new(&r[..1021], "v", Ttl::Seconds(100))).0,
        "key"
    );
    // Other commands: the key alone.
    enc(cmd::Get::<_, Bytes>::new(&k[..1024]));
    assert_eq!(enc_err(cmd::Get::<_, Bytes>::new(&k[..1025])).0, "key");
}

/// "A SET with no value part at all (`SET 0 k`), or an MSET with no value
/// part … crashes the server process": the client cannot send either. "An
/// empty key gives ERR", "A key with a space cannot be addressed", "A key
/// with a 00 byte is stored, but KEYS and MGET report it cut".
#[test]
fn requests_that_crash_or_confuse_the_server_are_refused() {
    assert_eq!(enc_err(cmd::Set::new("k", "", Ttl::Never)).0, "value");
    assert_eq!(enc_err(cmd::Mset::new("k", "")).0, "value");
    assert_eq!(enc_err(cmd::Get::<_, Bytes>::new("")).0, "key");
    assert_eq!(enc_err(cmd::Get::<_, Bytes>::new(" k")).0, "key");
    assert_eq!(enc_err(cmd::Get::<_, Bytes>::new("a b")).0, "key");
    assert_eq!(enc_err(cmd::Del::new(&b"a\0b"[..])).0, "key");
    assert_eq!(enc_err(cmd::Count::new("")).0, "prefix");
    // "values may hold spaces and any byte, including 00"
    let bytes = enc(cmd::Set::new("k", &b"a b\0c"[..], Ttl::Never));
    assert_eq!(&bytes[6..], b"0 k a b\0c");
}

/// Corrections: "TTLs are 16-bit ... `SET 65537 k v` stores TTL 1 (gone
/// after a second); `SET 40000 k v` stores -25536 (never expires)", and
/// "Lock times are 64-bit ... `LOCK k 4294967296` locks for that long": the
/// client refuses the TTLs the server would change and sends lock times as
/// they are.
#[test]
fn ttls_the_server_would_change_are_refused() {
    for secs in [65_537, 40_000, 32_768] {
        let (arg, rule) = enc_err(cmd::Set::new("k", "v", Ttl::Seconds(secs)));
        assert_eq!(arg, "ttl");
        assert!(rule.contains("16 bits"), "{rule}");
    }
    assert_eq!(
        &enc(cmd::Set::new("k", "v", Ttl::Seconds(32_767)))[6..],
        b"32767 k v"
    );
    assert_eq!(
        &enc(cmd::Lock::new("k", LockTime::Seconds(4_294_967_296)))[6..],
        b"k 4294967296"
    );
    let mut buf = BytesMut::new();
    encode_request(
        &mut buf,
        &Limits::default(),
        Opcode::Ttl,
        &[Arg::Key("key", b"k"), Arg::Int("ttl", 99_999_999_999)],
    )
    .expect("the encoder itself sends any 64-bit integer");
}
