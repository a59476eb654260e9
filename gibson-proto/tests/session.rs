//! The pipelining session: many requests in flight, replies fed in
//! arbitrary chunks, abandoned requests, EOF and protocol errors.

mod common;

use bytes::{Bytes, BytesMut};
use common::{kval, num, status, val};
use gibson_proto::{
    cmd, Command, Completion, Error, Limits, Opcode, ProtocolError, Reply, RequestId, Session, Ttl,
    Value,
};
use proptest::prelude::*;

/// What request `i` of the pipelined test expects, decoded by its command.
#[derive(Debug, PartialEq)]
enum Want {
    Get(Option<String>),
    Set(Value),
    Inc(i64),
    Del(bool),
    Mget(Vec<(Bytes, Bytes)>),
    Ping,
}

/// Sends request `i` (its kind chosen by `i`), appends its reply to `wire`
/// and returns what its typed result must be.
fn send_nth(s: &mut Session<usize>, i: usize, wire: &mut Vec<u8>) -> Want {
    let key = format!("key:{i}");
    match i % 7 {
        0 => {
            s.send(&cmd::Get::<_, String>::new(&key), i).unwrap();
            let v = format!("value {i}");
            val(wire, v.as_bytes());
            Want::Get(Some(v))
        }
        1 => {
            s.send(&cmd::Get::<_, String>::new(&key), i).unwrap();
            status(wire, 1);
            Want::Get(None)
        }
        2 => {
            s.send(&cmd::Set::new(&key, format!("v{i}"), Ttl::Seconds(60)), i)
                .unwrap();
            val(wire, format!("v{i}").as_bytes());
            Want::Set(Value::Bytes(Bytes::from(format!("v{i}"))))
        }
        3 => {
            s.send(&cmd::Inc::new(&key), i).unwrap();
            num(wire, i as i64);
            Want::Inc(i as i64)
        }
        4 => {
            s.send(&cmd::Del::new(&key), i).unwrap();
            status(wire, if i.is_multiple_of(2) { 5 } else { 1 });
            Want::Del(i.is_multiple_of(2))
        }
        5 => {
            s.send(&cmd::Mget::<_, Bytes, Bytes>::new(&key), i).unwrap();
            let k = format!("{key}:a");
            let v = vec![b'x'; i % 50];
            kval(wire, &[(k.as_bytes(), &v), (b"b", b"")]);
            Want::Mget(vec![
                (Bytes::from(k), Bytes::from(v)),
                (Bytes::from_static(b"b"), Bytes::new()),
            ])
        }
        _ => {
            s.send(&cmd::Ping, i).unwrap();
            status(wire, 5);
            Want::Ping
        }
    }
}

/// Decodes a completion with the command its opcode says it was.
fn typed(done: Completion<usize>) -> Want {
    let reply = done.result.unwrap();
    match done.opcode {
        Opcode::Get => Want::Get(cmd::Get::<&str, String>::decode(reply).unwrap()),
        Opcode::Set => Want::Set(cmd::Set::<&str, &str>::decode(reply).unwrap()),
        Opcode::Inc => Want::Inc(cmd::Inc::<&str>::decode(reply).unwrap()),
        Opcode::Del => Want::Del(cmd::Del::<&str>::decode(reply).unwrap()),
        Opcode::Mget => Want::Mget(cmd::Mget::<&str, Bytes, Bytes>::decode(reply).unwrap()),
        Opcode::Ping => {
            cmd::Ping::decode(reply).unwrap();
            Want::Ping
        }
        other => panic!("unexpected opcode {other}"),
    }
}

/// Cuts `wire` into chunks of the given lengths (cycled).
fn chunks<'a>(wire: &'a [u8], lens: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = wire;
    let mut i = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let n = lens[i % lens.len()].clamp(1, rest.len());
        i += 1;
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Some(head)
    })
}

fn pipelined(n: usize, lens: &[usize]) {
    let mut s: Session<usize> = Session::new(Limits::default());
    let mut wire = Vec::new();
    let wants: Vec<Want> = (0..n).map(|i| send_nth(&mut s, i, &mut wire)).collect();
    assert_eq!(s.in_flight(), n);

    // Written in pieces, as a socket would take it.
    let mut written = Vec::new();
    while !s.output().is_empty() {
        let k = s.output().len().min(997);
        written.extend_from_slice(&s.output()[..k]);
        s.consume_output(k);
    }
    assert_eq!(written[..6], [0x07, 0, 0, 0, 3, 0]); // GET key:0

    let mut done = Vec::new();
    for chunk in chunks(&wire, lens) {
        if chunk.len() % 2 == 0 {
            s.feed(chunk);
        } else {
            s.read_buf().extend_from_slice(chunk);
        }
        while let Some(c) = s.poll_reply() {
            assert_eq!(c.id, RequestId(done.len() as u64), "out of order");
            assert_eq!(c.token, done.len());
            done.push(typed(c));
        }
        assert!(s.is_idle() || s.wanted() > 0);
    }
    assert_eq!(done, wants);
    assert!(s.is_idle());
    assert!(s.failure().is_none());
}

#[test]
fn a_thousand_pipelined_requests_in_one_byte_chunks() {
    pipelined(1000, &[1]);
}

#[test]
fn a_thousand_pipelined_requests_in_one_shot() {
    pipelined(1000, &[usize::MAX]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_thousand_pipelined_requests_in_random_chunks(
        lens in proptest::collection::vec(1usize..200, 1..40),
    ) {
        pipelined(1000, &lens);
    }

    /// Abandoned requests keep their slot: the others get their own
    /// replies, whatever is abandoned and whenever (before or after part of
    /// its reply arrived).
    #[test]
    fn abandoned_requests_do_not_shift_the_stream(
        abandon in proptest::collection::vec(any::<bool>(), 1..60),
        lens in proptest::collection::vec(1usize..40, 1..10),
        when in 0usize..4,
    ) {
        let mut s: Session<usize> = Session::new(Limits::default());
        let mut wire = Vec::new();
        for i in 0..abandon.len() {
            s.send(&cmd::Get::<_, Bytes>::new(format!("k{i}")), i).unwrap();
            val(&mut wire, format!("reply to {i}").as_bytes());
        }
        let cut = wire.len() * when / 4;
        let mut got = Vec::new();
        let poll = |s: &mut Session<usize>, got: &mut Vec<(usize, Reply)>| {
            while let Some(c) = s.poll_reply() {
                got.push((c.token, c.result.unwrap()));
            }
        };
        for chunk in chunks(&wire[..cut], &lens) {
            s.feed(chunk);
            poll(&mut s, &mut got);
        }
        // Abandon now: some requests are already answered, one may be
        // half-received, the rest not yet.
        for (i, &a) in abandon.iter().enumerate() {
            if a {
                let r = s.abandon(RequestId(i as u64));
                let answered = got.iter().any(|(t, _)| *t == i);
                prop_assert_eq!(r, if answered { None } else { Some(i) });
                prop_assert_eq!(s.abandon(RequestId(i as u64)), None);
            }
        }
        for chunk in chunks(&wire[cut..], &lens) {
            s.feed(chunk);
            poll(&mut s, &mut got);
        }
        for (token, reply) in &got {
            let want = Reply::Value(Value::Bytes(Bytes::from(format!("reply to {token}"))));
            prop_assert_eq!(reply, &want);
        }
        let tokens: Vec<usize> = got.iter().map(|(t, _)| *t).collect();
        let mut sorted = tokens.clone();
        sorted.sort_unstable();
        prop_assert_eq!(&tokens, &sorted, "completions out of order");
        for (i, &abandoned) in abandon.iter().enumerate() {
            let completed = tokens.contains(&i);
            let answered_before = wire_end_of(i) <= cut;
            // A request completes unless it was abandoned before its reply
            // was whole.
            prop_assert_eq!(completed, !abandoned || answered_before, "request {}", i);
        }
        prop_assert!(s.is_idle());
        prop_assert!(s.failure().is_none());

        // The stream is still in step: a new request gets its own reply.
        s.send(&cmd::Ping, 999).unwrap();
        s.feed(&[5, 0, 0, 1, 0, 0, 0, 0]);
        let c = s.poll_reply().unwrap();
        prop_assert_eq!((c.token, c.result.unwrap()), (999, Reply::Ok));
    }
}

/// End offset in the wire of the reply to request `i` of
/// `abandoned_requests_do_not_shift_the_stream` (7-byte header plus
/// "reply to {i}").
fn wire_end_of(i: usize) -> usize {
    (0..=i).map(|j| 7 + format!("reply to {j}").len()).sum()
}

#[test]
fn abandoning_everything_keeps_the_stream_in_step() {
    let mut s: Session<&str> = Session::new(Limits::default());
    let a = s.send(&cmd::Ping, "a").unwrap();
    let b = s.send(&cmd::Get::<_, Bytes>::new("k"), "b").unwrap();
    assert_eq!(s.abandon(a), Some("a"));
    assert_eq!(s.abandon(b), Some("b"));
    assert_eq!(s.abandon(RequestId(7)), None);
    let mut wire = Vec::new();
    status(&mut wire, 5);
    val(&mut wire, b"for b");
    s.feed(&wire[..10]);
    assert!(s.poll_reply().is_none());
    let c = s.send(&cmd::Get::<_, Bytes>::new("k"), "c").unwrap();
    assert_eq!(c, RequestId(2));
    s.feed(&wire[10..]);
    val(&mut wire, b"for c");
    s.feed(&wire[wire.len() - 12..]);
    let done = s.poll_reply().unwrap();
    assert_eq!(done.token, "c");
    assert_eq!(done.result.unwrap(), Reply::Value(Value::from("for c")));
    assert!(s.is_idle());
}

/// Collects every completion, asserting each failed with `want`'s message;
/// returns the tokens.
fn drain_failures(s: &mut Session<usize>, want: &str) -> Vec<usize> {
    let mut tokens = Vec::new();
    while let Some(c) = s.poll_reply() {
        let err = c.result.unwrap_err();
        assert_eq!(err.to_string(), want, "not the same error");
        tokens.push(c.token);
    }
    tokens
}

#[test]
fn eof_mid_reply_fails_every_pending_request_with_the_same_error() {
    let mut s: Session<usize> = Session::new(Limits::default());
    for i in 0..6 {
        s.send(&cmd::Get::<_, Bytes>::new(format!("k{i}")), i)
            .unwrap();
    }
    s.abandon(RequestId(3));
    let mut wire = Vec::new();
    val(&mut wire, b"zero");
    val(&mut wire, b"one, cut short");
    s.feed(&wire[..wire.len() - 3]);
    let first = s.poll_reply().unwrap();
    assert_eq!(
        (first.token, first.result.unwrap()),
        (0, Reply::Value(Value::from("zero")))
    );
    assert!(s.poll_reply().is_none());

    s.close();
    let failure = s.failure().unwrap().clone();
    assert!(matches!(
        failure,
        Error::ConnectionClosed { in_reply: true }
    ));
    assert_eq!(
        failure.to_string(),
        "connection closed in the middle of a reply"
    );
    assert!(failure.is_connection_broken() && failure.is_retryable());
    let tokens = drain_failures(&mut s, &failure.to_string());
    // The abandoned request 3 gets no completion; the others fail in order.
    assert_eq!(tokens, [1, 2, 4, 5]);
    assert!(s.is_idle());

    // Later sends fail the same way, and nothing is queued.
    let err = s.send(&cmd::Ping, 9).unwrap_err();
    assert_eq!(err.to_string(), failure.to_string());
    assert!(s.is_idle());
    // A second close does not replace the first error.
    s.close();
    assert_eq!(s.failure().unwrap().to_string(), failure.to_string());
}

#[test]
fn eof_between_replies_says_so() {
    let mut s: Session<usize> = Session::new(Limits::default());
    s.send(&cmd::Ping, 0).unwrap();
    s.send(&cmd::Ping, 1).unwrap();
    let mut wire = Vec::new();
    status(&mut wire, 5);
    s.feed(&wire);
    assert_eq!(s.poll_reply().unwrap().token, 0);
    s.close();
    assert!(matches!(
        s.failure(),
        Some(Error::ConnectionClosed { in_reply: false })
    ));
    assert_eq!(drain_failures(&mut s, "connection closed"), [1]);
}

#[test]
fn a_protocol_error_fails_every_pending_request_with_the_same_error() {
    let mut s: Session<usize> = Session::new(Limits::default());
    for i in 0..4 {
        s.send(&cmd::Ping, i).unwrap();
    }
    let mut wire = Vec::new();
    status(&mut wire, 5);
    status(&mut wire, 9); // no such reply code
    status(&mut wire, 5);
    s.feed(&wire);
    assert!(s.poll_reply().unwrap().result.is_ok());
    let want = Error::Protocol(ProtocolError::UnknownReplyCode(9)).to_string();
    assert_eq!(drain_failures(&mut s, &want), [1, 2, 3]);
    assert!(s.send(&cmd::Ping, 4).is_err());
}

#[test]
fn an_oversized_reply_fails_the_session() {
    let mut limits = Limits::default();
    limits.max_reply_size = 64;
    let mut s: Session<usize> = Session::new(limits);
    s.send(&cmd::Get::<_, Bytes>::new("k"), 0).unwrap();
    s.send(&cmd::Get::<_, Bytes>::new("k"), 1).unwrap();
    s.feed(&[6, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    let want = "protocol error: frame of 4294967302 bytes exceeds the limit of 64 bytes";
    assert_eq!(drain_failures(&mut s, want), [0, 1]);
}

#[test]
fn a_reply_nobody_asked_for_fails_the_session() {
    let mut s: Session<usize> = Session::new(Limits::default());
    s.feed(&[5, 0, 0, 1, 0, 0, 0, 0]);
    assert!(s.poll_reply().is_none());
    assert!(matches!(
        s.failure(),
        Some(Error::Protocol(ProtocolError::UnsolicitedReply))
    ));
    assert!(s.send(&cmd::Ping, 0).is_err());
}

#[test]
fn a_server_error_is_a_reply_not_a_failure() {
    let mut s: Session<usize> = Session::new(Limits::default());
    s.send(&cmd::Del::new("k"), 0).unwrap();
    s.send(&cmd::Ping, 1).unwrap();
    let mut wire = Vec::new();
    status(&mut wire, 4);
    status(&mut wire, 5);
    s.feed(&wire);
    let del = s.poll_reply().unwrap();
    let err = cmd::Del::<&str>::decode(del.result.unwrap()).unwrap_err();
    assert!(err.is_locked());
    assert_eq!(s.poll_reply().unwrap().result.unwrap(), Reply::Ok);
    assert!(s.failure().is_none());
}

#[test]
fn wanted_counts_the_missing_bytes() {
    let mut s: Session<usize> = Session::new(Limits::default());
    s.send(&cmd::Get::<_, Bytes>::new("k"), 0).unwrap();
    assert_eq!(s.wanted(), 7);
    s.feed(&[6, 0, 0]);
    assert_eq!(s.wanted(), 4);
    s.feed(&[5, 0, 0, 0, b'h']);
    assert_eq!(s.wanted(), 4);
    s.feed(b"ello");
    assert_eq!(s.wanted(), 0);
    let done = s.poll_reply().unwrap();
    assert_eq!(done.result.unwrap(), Reply::Value(Value::from("hello")));
}

#[test]
fn output_is_every_request_back_to_back() {
    let mut s: Session<usize> = Session::new(Limits::default());
    let mut want = BytesMut::new();
    let limits = Limits::default();
    cmd::Set::new("a", "1", Ttl::Seconds(10))
        .encode(&mut want, &limits)
        .unwrap();
    cmd::Get::<_, Bytes>::new("a")
        .encode(&mut want, &limits)
        .unwrap();
    cmd::GetStats.encode(&mut want, &limits).unwrap();
    s.send(&cmd::Set::new("a", "1", Ttl::Seconds(10)), 0)
        .unwrap();
    s.send(&cmd::Get::<_, Bytes>::new("a"), 1).unwrap();
    s.send(&cmd::GetStats, 2).unwrap();
    assert_eq!(s.output(), &want[..]);
    s.consume_output(5);
    assert_eq!(s.output(), &want[5..]);
    s.consume_output(usize::MAX);
    assert!(s.output().is_empty());
    assert_eq!(s.in_flight(), 3);
}
