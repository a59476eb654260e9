//! Fuzz targets for `gibson-proto`.
//!
//! Each target is a public function taking the fuzzer's bytes and listed in
//! [`TARGETS`]. `fuzz_targets/<name>.rs` is a one-line libFuzzer wrapper
//! around it, and `tests/corpus.rs` replays every file of `corpus/<name>/`
//! through it, so a plain `cargo test` runs the committed corpus.
//!
//! To add a target: write `pub fn <name>(data: &[u8])` (here or in a module
//! of this crate), list it in [`TARGETS`], add `fuzz_targets/<name>.rs` and a
//! `[[bin]]` entry in `Cargo.toml`, and commit a few seeds as
//! `corpus/<name>/seed-*`.
//!
//! Every binary linking this crate (the fuzz targets and the corpus test)
//! gets its global allocator, which aborts on any single allocation over
//! [`MAX_ALLOCATION`] (64 MiB).
//!
//! Panics are the point here: every `assert!` below is a property of
//! `gibson-proto` the fuzzer tries to break.

mod alloc_cap;
mod gen;
mod server;

use std::collections::VecDeque;
use std::time::Duration;

use gibson_proto::bytes::{BufMut, BytesMut};
use gibson_proto::server::{encode_reply, parse_int, split_args, Args, Request, RequestDecoder};
use gibson_proto::{
    cmd, Command, Decoder, Error, Limits, LockTime, MetaField, Opcode, ProtocolError, Reader,
    Reply, RequestId, Session, Ttl, DEFAULT_MAX_REPLY_SIZE, REPLY_HEADER_LEN,
};

pub use alloc_cap::{CappedAllocator, MAX_ALLOCATION};
pub use gen::Input;
use gen::{gen_reply, Chunks};
pub use server::server_connection;

/// A fuzz target: takes the fuzzer's bytes, panics on a broken property.
pub type Target = fn(&[u8]);

/// Every target: its name (the `[[bin]]` and `corpus/` directory name) and
/// its function.
pub const TARGETS: &[(&str, Target)] = &[
    ("reply_decoder", reply_decoder),
    ("request_decoder", request_decoder),
    ("session", session),
    ("roundtrip", roundtrip),
    ("server_connection", server_connection),
];

/// What decoding a stream produced: the items, the error that stopped it if
/// any, and how many bytes were left in the buffer.
#[derive(Debug, PartialEq)]
struct Decoded<T> {
    items: Vec<T>,
    error: Option<ProtocolError>,
    left: usize,
}

/// Feeds `stream` in the chunks `chunks` gives and decodes after each one.
/// After an error the rest of the stream is still appended (without
/// decoding), so `left` also checks that an error leaves the buffer as it was.
fn decode_stream<T>(
    stream: &[u8],
    chunks: &mut Chunks,
    mut decode: impl FnMut(&mut BytesMut) -> Result<Option<T>, ProtocolError>,
    mut check: impl FnMut(&BytesMut, &T),
) -> Decoded<T> {
    let mut buf = BytesMut::new();
    let mut out = Decoded {
        items: Vec::new(),
        error: None,
        left: 0,
    };
    let mut rest = stream;
    while !rest.is_empty() {
        let n = chunks.next_len().min(rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        if out.error.is_some() {
            continue;
        }
        loop {
            let before = buf.len();
            match decode(&mut buf) {
                Ok(Some(item)) => {
                    assert!(buf.len() < before, "a decoded frame must consume bytes");
                    check(&buf, &item);
                    out.items.push(item);
                }
                Ok(None) => {
                    assert_eq!(buf.len(), before, "`need more` must not consume bytes");
                    break;
                }
                Err(e) => {
                    assert_eq!(
                        buf.len(),
                        before,
                        "an error must leave the buffer as it was"
                    );
                    assert_eq!(
                        decode(&mut buf).err(),
                        Some(e.clone()),
                        "errors must repeat"
                    );
                    out.error = Some(e);
                    break;
                }
            }
        }
    }
    out.left = buf.len();
    out
}

/// Every pair of a decoded KVAL can be read back, and nothing else.
fn check_reply(reply: &Reply) {
    if let Reply::Pairs(pairs) = reply {
        assert_eq!(
            pairs.iter().count(),
            pairs.len(),
            "validated pairs must all iterate"
        );
        assert_eq!(pairs.is_empty(), pairs.iter().next().is_none());
        let _ = format!("{pairs:?}");
    }
}

/// The reply decoder on arbitrary bytes: decoding in arbitrary chunks (1-byte
/// chunks included) gives the same replies, error and leftover as decoding in
/// one shot, and so does the hiredis-style [`Reader`]. Never panics.
///
/// Input: a chunking mode byte, a 4-byte chunking seed, a frame-limit byte
/// (below 0x80: the default limit; else a small one), then the stream.
pub fn reply_decoder(data: &[u8]) {
    let mut input = Input::new(data);
    let mode = input.byte();
    let seed = input.u32();
    let limit = match input.byte() {
        b if b < 0x80 => DEFAULT_MAX_REPLY_SIZE,
        b => REPLY_HEADER_LEN + usize::from(b - 0x80) * 3,
    };
    let stream = input.rest();
    let decoder = Decoder::new(limit);

    let run = |chunks: &mut Chunks| {
        let mut d = decoder;
        decode_stream(
            stream,
            chunks,
            |buf| {
                let r = d.decode(buf);
                if let Ok(None) = r {
                    let missing = d.missing(buf).expect("the header was accepted");
                    assert!(missing > 0, "`need more` with a whole frame buffered");
                }
                r
            },
            |_, reply| check_reply(reply),
        )
    };
    let whole = run(&mut Chunks::whole());
    let chunked = run(&mut Chunks::new(mode, seed));
    assert_eq!(
        whole, chunked,
        "chunked decoding differs from one-shot decoding"
    );

    let mut reader = Reader::new(limit);
    let mut chunks = Chunks::new(mode.wrapping_add(1), seed.rotate_left(7));
    let mut items = Vec::new();
    let mut error = None;
    let mut rest = stream;
    while !rest.is_empty() && error.is_none() {
        let n = chunks.next_len().min(rest.len());
        reader.feed(&rest[..n]);
        rest = &rest[n..];
        loop {
            match reader.next() {
                Ok(Some(reply)) => items.push(reply),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
    }
    assert_eq!(items, whole.items, "Reader differs from Decoder");
    assert_eq!(error, whole.error, "Reader differs from Decoder");
}

/// The server's request decoder on arbitrary bytes: chunked decoding equals
/// one-shot decoding, and the decoded frames re-encode to exactly the bytes
/// they were decoded from. Never panics.
///
/// Input: a chunking mode byte, a 4-byte seed, a limit byte (below 0x80: the
/// default 2 MiB; else a small `max_request_size`), then the stream.
pub fn request_decoder(data: &[u8]) {
    let mut input = Input::new(data);
    let mode = input.byte();
    let seed = input.u32();
    let limit = match input.byte() {
        b if b < 0x80 => Limits::default().max_request_size,
        b => usize::from(b - 0x80),
    };
    let stream = input.rest();
    let decoder = RequestDecoder::new(limit);

    let run = |chunks: &mut Chunks| {
        decode_stream(
            stream,
            chunks,
            |buf| decoder.decode(buf),
            |_, req: &Request| {
                assert!(
                    req.payload.len() + 2 <= limit.max(2),
                    "frame over the limit"
                );
            },
        )
    };
    let whole = run(&mut Chunks::whole());
    let chunked = run(&mut Chunks::new(mode, seed));
    assert_eq!(
        whole, chunked,
        "chunked decoding differs from one-shot decoding"
    );

    let mut again = Vec::new();
    for req in &whole.items {
        again.put_u32_le(u32::try_from(req.payload.len() + 2).expect("bounded by the limit"));
        again.put_u16_le(req.opcode.code());
        again.extend_from_slice(&req.payload);
    }
    assert_eq!(
        &again[..],
        &stream[..again.len()],
        "decoded requests do not re-encode to their bytes"
    );

    // The server's argument splitting and integer parsing, on every payload.
    let max_key = usize::from(mode) * 8 + 1;
    let max_value = (seed % 64) as usize;
    for req in &whole.items {
        check_split(req.opcode, &req.payload, max_key, max_value);
    }
}

/// [`split_args`] returns words of the payload, in place: a key is a
/// prefix (after the TTL for SET) without a space and within
/// `max_key_size`, the rest a suffix within `max_value_size`.
fn check_split(opcode: Opcode, payload: &[u8], max_key: usize, max_value: usize) {
    let word = |w: &[u8], at: usize| {
        assert!(!w.contains(&b' '), "a word holds a space");
        assert!(w.len() <= max_key, "a word is over max_key_size");
        assert_eq!(&payload[at..at + w.len()], w, "a word is not in place");
        let _ = parse_int(w);
    };
    // The rest starts right after the byte that ended the key.
    let rest = |r: Option<&[u8]>, at: usize| {
        if let Some(r) = r {
            assert!(r.len() <= max_value, "the rest is over max_value_size");
            assert!(
                at + r.len() <= payload.len(),
                "the rest overruns the payload"
            );
            assert_eq!(
                r.as_ptr(),
                payload[at..].as_ptr(),
                "the rest is not in place"
            );
            let _ = parse_int(r);
        } else {
            assert!(at > payload.len(), "a rest was dropped");
        }
    };
    match split_args(opcode, payload, max_key, max_value) {
        Args::None => {}
        Args::Key(key) => word(key, 0),
        Args::KeyRest { key, rest: r } => {
            word(key, 0);
            rest(r, key.len() + 1);
        }
        Args::Set { ttl, key, value } => {
            word(ttl, 0);
            let at = (ttl.len() + 1).min(payload.len());
            assert!(
                key.len() + at <= max_key.max(at),
                "the key is over max_key_size"
            );
            assert!(!key.contains(&b' '));
            assert_eq!(&payload[at..at + key.len()], key);
            rest(value, at + key.len() + 1);
        }
    }
}

/// One request as the session model sees it.
#[derive(Debug)]
struct Pending {
    id: u64,
    opcode: Opcode,
    abandoned: bool,
    /// The well-formed reply queued for it, once there is one.
    reply: Option<Reply>,
}

/// The client session under arbitrary operation sequences (send, abandon,
/// feed well-formed replies in arbitrary chunks, feed garbage, poll, close,
/// fail, consume output, shrink), checked against a model: completions come
/// in request order with the right token and opcode, abandoned requests
/// never complete and never shift the stream, every well-formed reply goes
/// to its own request, a failure completes every pending request with the
/// same error, and a refused send changes nothing.
pub fn session(data: &[u8]) {
    let mut input = Input::new(data);
    let mut limits = Limits::default();
    let ctl = input.byte();
    if ctl & 1 != 0 {
        limits.max_key_size = 4;
        limits.max_request_size = 24;
    }
    if ctl & 2 != 0 {
        limits.max_reply_size = 48;
    }
    let mut s: Session<u64> = Session::new(limits);
    let mut model = Model {
        pending: VecDeque::new(),
        next_id: 0,
        // Garbage was fed: replies may complete any request with anything.
        tainted: false,
    };
    let mut wire: VecDeque<u8> = VecDeque::new();

    while !input.is_empty() {
        let _ = s.wanted();
        match input.byte() % 11 {
            0 | 1 => {
                let key = input.bytes(6);
                match input.byte() % 6 {
                    0 => model.send(&mut s, &cmd::Get::<_, Vec<u8>>::new(key)),
                    1 => {
                        let value = input.bytes(8);
                        let ttl = Ttl::Seconds(u32::from(input.byte()));
                        model.send(&mut s, &cmd::Set::new(key, value, ttl))
                    }
                    2 => model.send(&mut s, &cmd::Del::new(key)),
                    3 => model.send(
                        &mut s,
                        &cmd::Mget::<_, Vec<u8>, Vec<u8>>::new(key).limit(input.u32()),
                    ),
                    4 => model.send(&mut s, &cmd::Ping),
                    _ => model.send(&mut s, &cmd::Meta::new(key, MetaField::Size)),
                }
            }
            2 => {
                let pick = usize::from(input.byte());
                if model.pending.is_empty() {
                    let id = RequestId(model.next_id + pick as u64);
                    assert_eq!(s.abandon(id), None, "abandoned a request never sent");
                } else {
                    let len = model.pending.len();
                    let p = &mut model.pending[pick % len];
                    let got = s.abandon(RequestId(p.id));
                    let want = (!p.abandoned).then_some(p.id);
                    assert_eq!(got, want, "abandon returned the wrong token");
                    p.abandoned = true;
                }
            }
            3 | 4 => {
                let reply = gen_reply(&mut input);
                if let Some(p) = model.pending.iter_mut().find(|p| p.reply.is_none()) {
                    let mut frame = BytesMut::new();
                    encode_reply(&mut frame, &reply);
                    if frame.len() > limits.max_reply_size {
                        model.tainted = true;
                    }
                    wire.extend(&frame[..]);
                    p.reply = Some(reply);
                }
            }
            5 | 6 => {
                let n = match input.byte() {
                    0 => wire.len(),
                    n => usize::from(n % 16),
                };
                let chunk: Vec<u8> = wire.drain(..n.min(wire.len())).collect();
                if input.byte() & 1 == 0 {
                    s.feed(&chunk);
                } else {
                    s.read_buf().extend_from_slice(&chunk);
                }
            }
            7 => {
                let garbage = input.bytes(16);
                if !garbage.is_empty() {
                    model.tainted = true;
                    s.feed(garbage);
                }
            }
            8 => model.poll_all(&mut s),
            9 => match input.byte() % 4 {
                0 => s.close(),
                1 => s.fail(Error::Timeout {
                    what: "fuzz",
                    after: Duration::from_secs(1),
                }),
                2 => s.shrink_buffers(usize::from(input.byte())),
                _ => {}
            },
            _ => {
                let n = usize::from(input.byte()) * 2;
                let before = s.output().len();
                s.consume_output(n);
                assert_eq!(s.output().len(), before - n.min(before));
            }
        }
        assert_eq!(s.in_flight(), model.pending.len());
    }
    model.poll_all(&mut s);
    s.close();
    model.poll_all(&mut s);
    assert!(s.is_idle(), "requests left pending after close");
    assert!(model.pending.is_empty());
}

struct Model {
    pending: VecDeque<Pending>,
    next_id: u64,
    tainted: bool,
}

impl Model {
    fn send<C: Command>(&mut self, s: &mut Session<u64>, cmd: &C) {
        let failed = s.failure().map(ToString::to_string);
        // After EOF with whole replies still to deliver, the session has not
        // failed yet but refuses new requests.
        let eof_pending = s.is_closed() && failed.is_none();
        let before = s.output().to_vec();
        let mut alone = BytesMut::new();
        let alone_result = cmd.encode(&mut alone, s.limits());
        match (s.send(cmd, self.next_id), failed) {
            (Err(e), None) if eof_pending => {
                assert!(matches!(e, Error::ConnectionClosed { .. }), "{e}");
                assert_eq!(s.output(), &before[..], "a refused send wrote bytes");
            }
            (Ok(_), None) if eof_pending => panic!("a closed session accepted a request"),
            (Ok(id), None) => {
                assert_eq!(id, RequestId(self.next_id), "ids must increase by one");
                assert!(
                    alone_result.is_ok(),
                    "the session accepted an invalid command"
                );
                assert_eq!(&s.output()[..before.len()], &before[..]);
                assert_eq!(&s.output()[before.len()..], &alone[..]);
                self.pending.push_back(Pending {
                    id: self.next_id,
                    opcode: C::OPCODE,
                    abandoned: false,
                    reply: None,
                });
                self.next_id += 1;
            }
            (Ok(_), Some(f)) => panic!("a failed session ({f}) accepted a request"),
            (Err(e), Some(f)) => assert_eq!(e.to_string(), f),
            (Err(e), None) => {
                let want = alone_result.expect_err("the session refused a valid command");
                assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
                assert_eq!(e.to_string(), want.to_string());
                assert_eq!(s.output(), &before[..], "a refused send wrote bytes");
            }
        }
    }

    fn poll_all(&mut self, s: &mut Session<u64>) {
        while let Some(done) = s.poll_reply() {
            let p = loop {
                let p = self
                    .pending
                    .pop_front()
                    .expect("a completion with nothing pending");
                if p.id == done.id.0 {
                    break p;
                }
                assert!(p.abandoned, "request {} was skipped", p.id);
            };
            assert!(!p.abandoned, "an abandoned request completed");
            assert_eq!(done.token, p.id);
            assert_eq!(done.opcode, p.opcode);
            match done.result {
                Ok(reply) => {
                    assert!(s.failure().is_none(), "a reply after the session failed");
                    if !self.tainted {
                        assert_eq!(Some(reply), p.reply, "reply went to the wrong request");
                    }
                }
                Err(e) => {
                    let failure = s.failure().expect("an error without a failure");
                    assert_eq!(e.to_string(), failure.to_string(), "not the same error");
                }
            }
        }
        // The session drops the replies of abandoned requests without a
        // completion, so abandoned requests at the front may be gone; after
        // a failure, every remaining request must have been abandoned.
        while self.pending.len() > s.in_flight() {
            let p = self
                .pending
                .pop_front()
                .expect("more pending than in flight");
            assert!(
                p.abandoned,
                "request {} vanished without a completion",
                p.id
            );
        }
        if s.failure().is_some() {
            assert!(
                s.is_idle(),
                "a failed session left requests without completion"
            );
        }
        assert_eq!(s.in_flight(), self.pending.len());
    }
}

/// What the encoder must produce for a command: the payload, or the names
/// of the arguments that break a rule.
struct Oracle<'a> {
    limits: &'a Limits,
    args: usize,
    payload: Vec<u8>,
    violations: Vec<&'static str>,
}

impl<'a> Oracle<'a> {
    fn new(limits: &'a Limits) -> Oracle<'a> {
        Oracle {
            limits,
            args: 0,
            payload: Vec::new(),
            violations: Vec::new(),
        }
    }

    fn sep(&mut self) {
        if self.args > 0 {
            self.payload.push(b' ');
        }
        self.args += 1;
    }

    fn key(mut self, name: &'static str, key: &[u8]) -> Self {
        self.sep();
        let end = self.payload.len() + key.len();
        if key.is_empty()
            || key.contains(&b' ')
            || key.contains(&0)
            || end > self.limits.max_key_size
        {
            self.violations.push(name);
        }
        self.payload.extend_from_slice(key);
        self
    }

    fn value(mut self, name: &'static str, value: &[u8]) -> Self {
        self.sep();
        if value.is_empty() || value.len() > self.limits.max_value_size {
            self.violations.push(name);
        }
        self.payload.extend_from_slice(value);
        self
    }

    fn int(mut self, _name: &'static str, n: i64) -> Self {
        self.sep();
        self.payload.extend_from_slice(n.to_string().as_bytes());
        self
    }

    fn ttl(self, ttl: Ttl) -> Self {
        match ttl {
            Ttl::Never => self.int("ttl", 0),
            Ttl::Seconds(0) => self.refuse("ttl"),
            Ttl::Seconds(n) if n > self.limits.max_ttl => {
                let mut refused = self.int("ttl", i64::from(n));
                refused.violations.push("ttl");
                refused
            }
            Ttl::Seconds(n) => self.int("ttl", i64::from(n)),
        }
    }

    fn lock(self, time: LockTime) -> Self {
        match time {
            LockTime::UntilUnlock => self.int("seconds", -1),
            LockTime::Seconds(0) => self.refuse("seconds"),
            LockTime::Seconds(n) => match i64::try_from(n) {
                Ok(n) => self.int("seconds", n),
                Err(_) => self.refuse("seconds"),
            },
        }
    }

    fn word(mut self, word: &str) -> Self {
        self.sep();
        self.payload.extend_from_slice(word.as_bytes());
        self
    }

    fn refuse(mut self, name: &'static str) -> Self {
        self.sep();
        self.violations.push(name);
        self
    }

    /// Checks `cmd` against the oracle: encoding, server-side decoding, and
    /// the typed decoding of `reply`.
    fn check<C: Command>(mut self, cmd: C, reply: &Reply) {
        if self.violations.is_empty() && self.payload.len() + 2 > self.limits.max_request_size {
            self.violations.push("request");
        }
        let mut buf = BytesMut::from(&b"prefix"[..]);
        match cmd.encode(&mut buf, self.limits) {
            Ok(()) => {
                assert!(
                    self.violations.is_empty(),
                    "{} accepted although {:?} break a rule",
                    C::OPCODE,
                    self.violations
                );
                let _ = buf.split_to(6);
                let decoder = RequestDecoder::new(self.limits.max_request_size);
                let req = decoder
                    .decode(&mut buf)
                    .expect("the server refused a valid request")
                    .expect("an encoded request is a whole frame");
                assert_eq!(req.opcode, C::OPCODE);
                assert_eq!(&req.payload[..], &self.payload[..], "{} payload", C::OPCODE);
                assert!(buf.is_empty(), "bytes after the request");
            }
            Err(Error::InvalidArgument { arg, rule }) => {
                assert!(
                    self.violations.contains(&arg),
                    "{} refused `{arg}` ({rule}); the oracle says {:?}",
                    C::OPCODE,
                    self.violations
                );
                assert!(!rule.is_empty());
                assert_eq!(&buf[..], b"prefix", "a refused command wrote bytes");
            }
            Err(other) => panic!("{} failed to encode with {other}", C::OPCODE),
        }

        let out = C::decode(reply.clone());
        match reply {
            Reply::Error(kind) if *kind != gibson_proto::ServerError::NotFound => {
                assert!(
                    matches!(&out, Err(Error::Server { command, kind: k }) if *command == C::OPCODE && k == kind),
                    "{} did not turn {kind} into a server error",
                    C::OPCODE
                );
            }
            Reply::Pairs(_)
                if !matches!(C::OPCODE, Opcode::Mget | Opcode::Keys | Opcode::Stats) =>
            {
                assert!(
                    matches!(
                        &out,
                        Err(Error::Protocol(ProtocolError::UnexpectedReply { command, got: "KVAL" }))
                            if *command == C::OPCODE
                    ),
                    "{} accepted a KVAL",
                    C::OPCODE
                );
            }
            _ => {}
        }
    }
}

/// Encoder ↔ server decoder and server encoder ↔ client decoder.
///
/// A typed command built from the input is encoded and must either be
/// refused naming an argument that really breaks a rule (an independent
/// oracle here says which), or decode with [`RequestDecoder`] to the same
/// opcode and exactly the expected payload. A reply built from the input,
/// encoded with [`encode_reply`], must decode with the client [`Decoder`] to
/// an equal reply, and the command's typed decoding of it must not panic.
pub fn roundtrip(data: &[u8]) {
    let mut input = Input::new(data);
    let mut limits = Limits::default();
    let ctl = input.byte();
    if ctl & 1 != 0 {
        limits.max_key_size = usize::from(input.byte() % 16);
    }
    if ctl & 2 != 0 {
        limits.max_request_size = usize::from(input.byte() % 48);
    }
    if ctl & 4 != 0 {
        limits.max_value_size = usize::from(input.byte() % 8);
    }
    let op = input.byte();
    let key = input.bytes(24);
    let value = input.bytes(24);
    let ttl = match input.byte() % 3 {
        0 => Ttl::Never,
        1 => Ttl::Seconds(u32::from(input.byte())),
        _ => Ttl::Seconds(input.u32()),
    };
    let lock = match input.byte() % 3 {
        0 => LockTime::UntilUnlock,
        1 => LockTime::Seconds(u64::from(input.byte())),
        _ => LockTime::Seconds(input.u64()),
    };
    let limit = match input.byte() % 3 {
        0 => None,
        1 => Some(u32::from(input.byte())),
        _ => Some(input.u32()),
    };
    let field = MetaField::ALL[usize::from(input.byte()) % MetaField::ALL.len()];
    let reply = gen_reply(&mut input);

    let mut frame = BytesMut::new();
    encode_reply(&mut frame, &reply);
    let len = frame.len();
    let decoded = Decoder::default()
        .decode(&mut frame)
        .expect("the client refused a well-formed reply")
        .expect("an encoded reply is a whole frame");
    assert_eq!(decoded, reply, "reply did not survive the round trip");
    assert!(frame.is_empty());
    let mut again = BytesMut::new();
    encode_reply(&mut again, &reply);
    assert_eq!(
        Decoder::new(len - 1).decode(&mut again),
        Err(ProtocolError::FrameTooLarge {
            size: len as u64,
            max: len as u64 - 1
        })
    );

    let o = Oracle::new(&limits);
    match op % 22 {
        0 => o
            .ttl(ttl)
            .key("key", key)
            .value("value", value)
            .check(cmd::Set::new(key, value, ttl), &reply),
        1 => o
            .key("key", key)
            .ttl(ttl)
            .check(cmd::SetTtl::new(key, ttl), &reply),
        2 => o
            .key("key", key)
            .check(cmd::Get::<_, Vec<u8>>::new(key), &reply),
        3 => o.key("key", key).check(cmd::Del::new(key), &reply),
        4 => o.key("key", key).check(cmd::Inc::new(key), &reply),
        5 => o.key("key", key).check(cmd::Dec::new(key), &reply),
        6 => o
            .key("key", key)
            .lock(lock)
            .check(cmd::Lock::new(key, lock), &reply),
        7 => o.key("key", key).check(cmd::Unlock::new(key), &reply),
        8 => o
            .key("prefix", key)
            .value("value", value)
            .check(cmd::Mset::new(key, value), &reply),
        9 => o
            .key("prefix", key)
            .ttl(ttl)
            .check(cmd::Mttl::new(key, ttl), &reply),
        10 => {
            let o = o.key("prefix", key);
            match limit {
                None => o.check(cmd::Mget::<_, Vec<u8>, Vec<u8>>::new(key), &reply),
                Some(0) => o
                    .refuse("limit")
                    .check(cmd::Mget::<_, Vec<u8>, Vec<u8>>::new(key).limit(0), &reply),
                Some(n) => o
                    .int("limit", i64::from(n))
                    .check(cmd::Mget::<_, Vec<u8>, Vec<u8>>::new(key).limit(n), &reply),
            }
        }
        11 => o.key("prefix", key).check(cmd::Mdel::new(key), &reply),
        12 => o.key("prefix", key).check(cmd::Minc::new(key), &reply),
        13 => o.key("prefix", key).check(cmd::Mdec::new(key), &reply),
        14 => o
            .key("prefix", key)
            .lock(lock)
            .check(cmd::Mlock::new(key, lock), &reply),
        15 => o.key("prefix", key).check(cmd::Munlock::new(key), &reply),
        16 => o.key("prefix", key).check(cmd::Count::new(key), &reply),
        17 => o.check(cmd::GetStats, &reply),
        18 => o.check(cmd::Ping, &reply),
        19 => o
            .key("key", key)
            .word(field.name())
            .check(cmd::Meta::new(key, field), &reply),
        20 => o
            .key("prefix", key)
            .check(cmd::Keys::<_, Vec<u8>>::new(key), &reply),
        _ => o.check(cmd::End, &reply),
    }
}
