//! The request encoder.
//!
//! A request is `size: u32 LE | opcode: u16 LE | payload`, the payload being
//! the arguments joined by single spaces. [`encode_request`] validates every
//! argument first, computes the exact frame length, reserves once and writes
//! into a caller-owned [`BytesMut`]. On error nothing is written.

use bytes::{BufMut, BytesMut};

use crate::convert::ToArg;
use crate::error::Error;
use crate::limits::Limits;
use crate::wire::{Opcode, REQUEST_HEADER_LEN};

/// One argument of a request, tagged with what the server does with it so
/// the encoder can apply the right rule. The `&'static str` is the argument's
/// name, used in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg<'a> {
    /// A key or prefix: non-empty, no space, no NUL, at most `max_key_size`.
    Key(&'static str, &'a [u8]),
    /// A value, always the last argument: non-empty, at most
    /// `max_value_size`; any byte allowed.
    Value(&'static str, &'a [u8]),
    /// An integer sent as ASCII decimal. The server reads it into a 64-bit
    /// `long`; narrower rules (such as the 16-bit TTL) belong to the
    /// argument's type.
    Int(&'static str, i64),
    /// A word sent as is (a META field name): non-empty, no space, no NUL.
    Word(&'static str, &'a [u8]),
}

/// Formats `n` in ASCII decimal into `buf`, returning the used tail.
pub(crate) fn fmt_int(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut pos = buf.len();
    let mut v = n.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    &buf[pos..]
}

fn int_len(n: i64) -> usize {
    let mut buf = [0u8; 20];
    fmt_int(n, &mut buf).len()
}

fn check_word(name: &'static str, bytes: &[u8], what: &str) -> Result<(), Error> {
    if bytes.is_empty() {
        return Err(Error::invalid(name, format!("{what} must not be empty")));
    }
    if let Some(pos) = memchr::memchr2(b' ', 0, bytes) {
        let which = if bytes[pos] == b' ' {
            "a space"
        } else {
            "a NUL byte"
        };
        return Err(Error::invalid(
            name,
            format!("{what} must not contain {which} (found at byte {pos})"),
        ));
    }
    Ok(())
}

/// Checks a value of `len` bytes.
fn check_value(name: &'static str, len: usize, limits: &Limits) -> Result<(), Error> {
    if len == 0 {
        return Err(Error::invalid(name, "a value must not be empty"));
    }
    Error::within(name, len, limits.max_value_size, |len, max| {
        format!("is {len} bytes, over max_value_size ({max} bytes)")
    })
}

/// The size field of an `op` request of `size` bytes (opcode and payload).
fn size_field(op: Opcode, size: usize, limits: &Limits) -> Result<u32, Error> {
    Error::within("request", size, limits.max_request_size, |size, max| {
        format!("{op} request of {size} bytes exceeds max_request_size ({max} bytes)")
    })?;
    u32::try_from(size)
        .map_err(|_| Error::invalid("request", format!("{size} bytes do not fit a u32 size")))
}

/// The payload length of `args`, each checked.
fn check_args(args: &[Arg<'_>], limits: &Limits) -> Result<usize, Error> {
    let mut payload = 0usize;
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            payload += 1;
        }
        payload += check_arg(arg, payload, limits)?;
    }
    Ok(payload)
}

/// Writes `args`, space-separated.
fn put_args(dst: &mut BytesMut, args: &[Arg<'_>]) {
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            dst.put_u8(b' ');
        }
        match *arg {
            Arg::Key(_, b) | Arg::Value(_, b) | Arg::Word(_, b) => dst.put_slice(b),
            Arg::Int(_, n) => {
                let mut buf = [0u8; 20];
                dst.put_slice(fmt_int(n, &mut buf));
            }
        }
    }
}

/// Checks one argument; `offset` is where it starts in the payload.
fn check_arg(arg: &Arg<'_>, offset: usize, limits: &Limits) -> Result<usize, Error> {
    match *arg {
        Arg::Key(name, key) => {
            check_word(name, key, "a key or prefix")?;
            let end = offset + key.len();
            if end > limits.max_key_size {
                let rule = if offset == 0 {
                    format!(
                        "is {} bytes, over max_key_size ({} bytes)",
                        key.len(),
                        limits.max_key_size
                    )
                } else {
                    format!(
                        "is {} bytes; with the {offset} bytes before it in the request it exceeds \
                         max_key_size ({} bytes), which the server would silently corrupt",
                        key.len(),
                        limits.max_key_size
                    )
                };
                return Err(Error::invalid(name, rule));
            }
            Ok(key.len())
        }
        Arg::Value(name, value) => check_value(name, value.len(), limits).map(|()| value.len()),
        Arg::Int(_, n) => Ok(int_len(n)),
        Arg::Word(name, word) => {
            check_word(name, word, "a word")?;
            Ok(word.len())
        }
    }
}

/// Validates `args` and appends one request frame to `dst`.
///
/// Nothing is written unless every argument is valid and the frame fits
/// `limits.max_request_size`; `dst` is grown at most once.
///
/// ```
/// use bytes::BytesMut;
/// use gibson_proto::{encode_request, Arg, Limits, Opcode};
///
/// let mut buf = BytesMut::new();
/// encode_request(
///     &mut buf,
///     &Limits::default(),
///     Opcode::Set,
///     &[Arg::Int("ttl", 3600), Arg::Key("key", b"foo"), Arg::Value("value", b"3.14")],
/// )
/// .unwrap();
/// assert_eq!(&buf[..], b"\x0f\x00\x00\x00\x01\x003600 foo 3.14");
///
/// let err = encode_request(&mut buf, &Limits::default(), Opcode::Get, &[Arg::Key("key", b"a b")])
///     .unwrap_err();
/// assert_eq!(err.to_string(), "invalid argument `key`: a key or prefix must not contain a space (found at byte 1)");
/// ```
pub fn encode_request(
    dst: &mut BytesMut,
    limits: &Limits,
    op: Opcode,
    args: &[Arg<'_>],
) -> Result<(), Error> {
    let payload = check_args(args, limits)?;
    let size32 = size_field(op, 2 + payload, limits)?;
    dst.reserve(REQUEST_HEADER_LEN + payload);
    dst.put_u32_le(size32);
    dst.put_u16_le(op.code());
    put_args(dst, args);
    Ok(())
}

/// Like [`encode_request`] with a value after `args`, which `value` appends
/// itself ([`ToArg::append_to`]: a serde value is serialized straight into
/// `dst`, not into a buffer of its own first). The value's rules are
/// checked once it is written; on any error `dst` is left as it was.
pub(crate) fn encode_request_with_value<V: ToArg + ?Sized>(
    dst: &mut BytesMut,
    limits: &Limits,
    op: Opcode,
    args: &[Arg<'_>],
    name: &'static str,
    value: &V,
) -> Result<(), Error> {
    // The value is checked before the request's size, as encode_request
    // does: a too-large value is named as the value.
    let head = check_args(args, limits)? + 1;
    let start = dst.len();
    dst.reserve(REQUEST_HEADER_LEN + head);
    dst.put_u32_le(0);
    dst.put_u16_le(op.code());
    put_args(dst, args);
    dst.put_u8(b' ');
    let written = value.append_to(dst).and_then(|()| {
        let len = dst.len() - start - REQUEST_HEADER_LEN - head;
        check_value(name, len, limits)?;
        size_field(op, 2 + head + len, limits)
    });
    match written {
        Ok(size32) => {
            dst[start..start + 4].copy_from_slice(&size32.to_le_bytes());
            Ok(())
        }
        Err(e) => {
            dst.truncate(start);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(op: Opcode, args: &[Arg<'_>]) -> Result<Vec<u8>, Error> {
        let mut buf = BytesMut::new();
        encode_request(&mut buf, &Limits::default(), op, args)?;
        Ok(buf.to_vec())
    }

    fn rule(err: Error) -> (&'static str, String) {
        match err {
            Error::InvalidArgument { arg, rule } => (arg, rule),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn integers_format_exactly() {
        let mut buf = [0u8; 20];
        for n in [0i64, 1, -1, 9, 10, 3600, -2147483648, i64::MIN, i64::MAX] {
            assert_eq!(fmt_int(n, &mut buf), n.to_string().as_bytes());
            assert_eq!(int_len(n), n.to_string().len());
        }
    }

    #[test]
    fn protocol_md_set_example() {
        let bytes = enc(
            Opcode::Set,
            &[
                Arg::Int("ttl", 3600),
                Arg::Key("key", b"foo"),
                Arg::Value("value", b"3.14"),
            ],
        )
        .unwrap();
        let mut want = vec![0x0f, 0, 0, 0, 0x01, 0];
        want.extend_from_slice(b"3600 foo 3.14");
        assert_eq!(bytes, want);
    }

    #[test]
    fn empty_payload_is_size_two() {
        assert_eq!(enc(Opcode::Ping, &[]).unwrap(), [2, 0, 0, 0, 19, 0]);
        assert_eq!(enc(Opcode::End, &[]).unwrap(), [2, 0, 0, 0, 255, 0]);
    }

    #[test]
    fn values_may_hold_spaces_and_nul() {
        let bytes = enc(
            Opcode::Mset,
            &[Arg::Key("prefix", b"p"), Arg::Value("value", b"a b\0c")],
        )
        .unwrap();
        assert_eq!(&bytes[6..], b"p a b\0c");
        assert_eq!(bytes[0], 9);
    }

    #[test]
    fn empty_key() {
        let (arg, r) = rule(enc(Opcode::Get, &[Arg::Key("key", b"")]).unwrap_err());
        assert_eq!(
            (arg, r.as_str()),
            ("key", "a key or prefix must not be empty")
        );
    }

    #[test]
    fn key_with_space_or_nul() {
        let (arg, r) = rule(enc(Opcode::Get, &[Arg::Key("key", b"ab c")]).unwrap_err());
        assert_eq!(arg, "key");
        assert!(r.contains("must not contain a space"), "{r}");
        let (arg, r) = rule(enc(Opcode::Mget, &[Arg::Key("prefix", b"a\0")]).unwrap_err());
        assert_eq!(arg, "prefix");
        assert!(
            r.contains("must not contain a NUL byte (found at byte 1)"),
            "{r}"
        );
    }

    #[test]
    fn key_over_max_key_size() {
        let key = vec![b'k'; 1025];
        let (arg, r) = rule(enc(Opcode::Get, &[Arg::Key("key", &key)]).unwrap_err());
        assert_eq!(arg, "key");
        assert!(
            r.contains("1025 bytes, over max_key_size (1024 bytes)"),
            "{r}"
        );
        assert!(enc(Opcode::Get, &[Arg::Key("key", &key[..1024])]).is_ok());
    }

    #[test]
    fn set_counts_the_ttl_against_the_key_size() {
        // "0 " + 1022 bytes = 1024: the largest SET key the server keeps intact.
        let key = vec![b'K'; 1023];
        let args = |k: &'static [u8]| {
            [
                Arg::Int("ttl", 0),
                Arg::Key("key", k),
                Arg::Value("value", b"v"),
            ]
        };
        let key: &'static [u8] = Box::leak(key.into_boxed_slice());
        assert!(enc(Opcode::Set, &args(&key[..1022])).is_ok());
        let (arg, r) = rule(enc(Opcode::Set, &args(key)).unwrap_err());
        assert_eq!(arg, "key");
        assert!(r.contains("with the 2 bytes before it"), "{r}");
    }

    #[test]
    fn empty_value_and_value_too_large() {
        let (arg, r) = rule(
            enc(
                Opcode::Set,
                &[
                    Arg::Int("ttl", 0),
                    Arg::Key("key", b"k"),
                    Arg::Value("value", b""),
                ],
            )
            .unwrap_err(),
        );
        assert_eq!((arg, r.as_str()), ("value", "a value must not be empty"));
        let big = vec![0u8; Limits::default().max_value_size + 1];
        let (arg, r) = rule(
            enc(
                Opcode::Mset,
                &[Arg::Key("prefix", b"p"), Arg::Value("value", &big)],
            )
            .unwrap_err(),
        );
        assert_eq!(arg, "value");
        assert!(r.contains("over max_value_size"), "{r}");
    }

    #[test]
    fn request_over_max_request_size() {
        let limits = Limits {
            max_request_size: 64,
            ..Limits::default()
        };
        let mut buf = BytesMut::new();
        let value = [b'v'; 60];
        let err = encode_request(
            &mut buf,
            &limits,
            Opcode::Set,
            &[
                Arg::Int("ttl", 0),
                Arg::Key("key", b"key"),
                Arg::Value("value", &value),
            ],
        )
        .unwrap_err();
        let (arg, r) = rule(err);
        assert_eq!(arg, "request");
        assert!(
            r.contains("SET request of 68 bytes exceeds max_request_size (64 bytes)"),
            "{r}"
        );
        assert!(buf.is_empty(), "nothing may be written on error");
    }

    #[test]
    fn a_value_written_in_place_meets_the_same_rules_in_the_same_order() {
        // Found by the roundtrip fuzz target: with both limits broken, the
        // value is named, as encode_request names it.
        let values: [&[u8]; 4] = [b"", b"v", b"value", &[b'v'; 70]];
        for (max_value_size, max_request_size) in [(3, 0), (3, 64), (100, 12), (100, 64), (0, 0)] {
            let limits = Limits {
                max_value_size,
                max_request_size,
                ..Limits::default()
            };
            for value in values {
                let head = [Arg::Int("ttl", 0), Arg::Key("key", b"key")];
                let (mut whole, mut in_place) =
                    (BytesMut::from(&b"kept"[..]), BytesMut::from(&b"kept"[..]));
                let mut args = head.to_vec();
                args.push(Arg::Value("value", value));
                let expected = encode_request(&mut whole, &limits, Opcode::Set, &args);
                let got = encode_request_with_value(
                    &mut in_place,
                    &limits,
                    Opcode::Set,
                    &head,
                    "value",
                    value,
                );
                assert_eq!(
                    got.map_err(|e| e.to_string()),
                    expected.map_err(|e| e.to_string()),
                    "{max_value_size}/{max_request_size}, {} bytes",
                    value.len()
                );
                assert_eq!(in_place, whole);
            }
        }
    }

    #[test]
    fn integers_are_sent_in_the_full_64_bit_range() {
        // The server reads lock times and limits into a C `long`; the
        // narrower TTL rule is the Ttl type's, not the encoder's.
        let frame = enc(
            Opcode::Lock,
            &[Arg::Key("key", b"k"), Arg::Int("seconds", 4_294_967_296)],
        )
        .unwrap();
        assert_eq!(&frame[..], b"\x0e\x00\x00\x00\x07\x00k 4294967296");
        let frame = enc(
            Opcode::Lock,
            &[Arg::Key("key", b"k"), Arg::Int("seconds", i64::MIN)],
        )
        .unwrap();
        assert!(frame.ends_with(b"k -9223372036854775808"));
    }

    #[test]
    fn error_leaves_buffer_untouched() {
        let mut buf = BytesMut::from(&b"xyz"[..]);
        let _ = encode_request(
            &mut buf,
            &Limits::default(),
            Opcode::Get,
            &[Arg::Key("key", b"")],
        );
        assert_eq!(&buf[..], b"xyz");
    }
}
