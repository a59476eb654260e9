//! The reply decoder against arbitrary chunkings and arbitrary bytes:
//!
//! * any chunking of a valid stream of replies (1-byte chunks included)
//!   decodes to the same replies as one shot, and to the replies the frames
//!   were built from;
//! * random bytes never panic, and chunked decoding of them agrees with
//!   one-shot decoding (same replies, same error);
//! * an announced size beyond the limit is an error before anything that
//!   size is allocated.
//!
//! Frames are built by hand from the layout in docs/protocol.md (not with the
//! crate's server encoder), including 4-byte NUMBERs: see `common`.

mod common;

use bytes::{BufMut, BytesMut};
use common::{Frame, Val};
use gibson_proto::{Decoder, ProtocolError, Reader, Reply};
use proptest::prelude::*;

fn val() -> impl Strategy<Value = Val> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..48).prop_map(Val::Plain),
        any::<i64>().prop_map(Val::Int8),
        any::<i32>().prop_map(Val::Int4),
    ]
}

fn frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        (0u16..=5).prop_map(Frame::Status),
        val().prop_map(Frame::Val),
        proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..12), val()), 0..6)
            .prop_map(Frame::Kval),
    ]
}

/// Decodes everything `buf` holds; the error, if one stops it.
fn drain(decoder: &mut Decoder, buf: &mut BytesMut, out: &mut Vec<Reply>) -> Option<ProtocolError> {
    loop {
        match decoder.decode(buf) {
            Ok(Some(reply)) => out.push(reply),
            Ok(None) => return None,
            Err(e) => return Some(e),
        }
    }
}

fn one_shot(stream: &[u8]) -> (Vec<Reply>, Option<ProtocolError>, usize) {
    let mut decoder = Decoder::default();
    let mut buf = BytesMut::from(stream);
    let mut out = Vec::new();
    let err = drain(&mut decoder, &mut buf, &mut out);
    (out, err, buf.len())
}

/// Feeds `stream` in chunks of the given lengths (cycled; at least 1 byte).
fn chunked(stream: &[u8], lens: &[usize]) -> (Vec<Reply>, Option<ProtocolError>, usize) {
    let mut decoder = Decoder::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut rest = stream;
    let mut i = 0;
    while !rest.is_empty() {
        let n = lens.get(i % lens.len().max(1)).copied().unwrap_or(1).max(1);
        let n = n.min(rest.len());
        i += 1;
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        if let Some(e) = drain(&mut decoder, &mut buf, &mut out) {
            return (out, Some(e), buf.len() + rest.len());
        }
    }
    (out, None, buf.len())
}

fn check_stream(frames: &[Frame], lens: &[usize]) {
    let stream: Vec<u8> = frames.iter().flat_map(Frame::bytes).collect();
    let want: Vec<Reply> = frames.iter().map(Frame::reply).collect();

    let (whole, err, left) = one_shot(&stream);
    assert_eq!(err, None);
    assert_eq!(left, 0);
    assert_eq!(whole, want);
    // The pairs read back as built, in order.
    for (frame, reply) in frames.iter().zip(&whole) {
        if let (Some(pairs), Reply::Pairs(got)) = (frame.pairs(), reply) {
            assert_eq!(got.iter().collect::<Vec<_>>(), pairs);
            assert_eq!(got.len(), pairs.len());
        }
    }

    assert_eq!(chunked(&stream, lens), (want.clone(), None, 0));
    assert_eq!(chunked(&stream, &[1]), (want, None, 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_chunking_decodes_like_one_shot(
        frames in proptest::collection::vec(frame(), 0..24),
        lens in proptest::collection::vec(1usize..80, 1..16),
    ) {
        check_stream(&frames, &lens);
    }

    /// Split points anywhere: a frame cut at every position of the stream.
    #[test]
    fn every_split_point_of_a_short_stream(frames in proptest::collection::vec(frame(), 1..4)) {
        let stream: Vec<u8> = frames.iter().flat_map(Frame::bytes).collect();
        let want: Vec<Reply> = frames.iter().map(Frame::reply).collect();
        for cut in 0..=stream.len() {
            let mut decoder = Decoder::default();
            let mut buf = BytesMut::from(&stream[..cut]);
            let mut got = Vec::new();
            prop_assert_eq!(drain(&mut decoder, &mut buf, &mut got), None);
            buf.extend_from_slice(&stream[cut..]);
            prop_assert_eq!(drain(&mut decoder, &mut buf, &mut got), None);
            prop_assert_eq!(&got, &want);
            prop_assert!(buf.is_empty());
        }
    }

    /// Random bytes never panic; chunked decoding of them agrees with
    /// one-shot decoding: same replies, same error (or the same leftover).
    #[test]
    fn random_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        lens in proptest::collection::vec(1usize..32, 1..8),
    ) {
        let whole = one_shot(&bytes);
        prop_assert_eq!(&chunked(&bytes, &lens), &whole);
        prop_assert_eq!(&chunked(&bytes, &[1]), &whole);
        let mut reader = Reader::default();
        reader.feed(&bytes);
        let mut n = 0;
        while let Ok(Some(_)) = reader.next() {
            n += 1;
        }
        prop_assert_eq!(n, whole.0.len());
    }

    /// Random bytes behind a plausible header (code 0–7, encoding 0–2, a
    /// small size), so bodies are reached far more often than by chance.
    #[test]
    fn random_bodies_never_panic(
        code in 0u16..8,
        encoding in 0u8..3,
        body in proptest::collection::vec(any::<u8>(), 0..200),
        lens in proptest::collection::vec(1usize..16, 1..8),
    ) {
        let mut stream = Vec::new();
        stream.put_u16_le(code);
        stream.put_u8(encoding);
        stream.put_u32_le(body.len() as u32);
        stream.extend_from_slice(&body);
        let whole = one_shot(&stream);
        prop_assert_eq!(&chunked(&stream, &lens), &whole);
        if let (Some(Reply::Pairs(pairs)), None) = (whole.0.first(), &whole.1) {
            prop_assert_eq!(pairs.iter().count(), pairs.len());
        }
    }

    /// Any announced size beyond the limit is an error as soon as the
    /// header is there, before the buffer grows toward that size.
    #[test]
    fn oversized_frames_fail_before_allocation(
        limit in 7usize..100_000,
        excess in 1u64..=u64::from(u32::MAX),
        code in 0u16..8,
    ) {
        let size = (limit as u64 - 7 + excess).min(u64::from(u32::MAX));
        prop_assume!(size + 7 > limit as u64);
        let mut buf = BytesMut::with_capacity(16);
        buf.put_u16_le(code);
        buf.put_u8(0);
        buf.put_u32_le(size as u32);
        let cap = buf.capacity();
        let mut decoder = Decoder::new(limit);
        let err = decoder.decode(&mut buf).unwrap_err();
        prop_assert_eq!(err, ProtocolError::FrameTooLarge { size: size + 7, max: limit as u64 });
        prop_assert_eq!(buf.capacity(), cap, "the buffer grew");
        prop_assert_eq!(buf.len(), 7);
        prop_assert!(decoder.missing(&buf).is_err());
    }
}

#[test]
fn one_byte_chunks_of_every_frame_kind() {
    let frames = vec![
        Frame::Status(5),
        Frame::Status(0),
        Frame::Status(4),
        Frame::Val(Val::Plain(b"bar".to_vec())),
        Frame::Val(Val::Plain(Vec::new())),
        Frame::Val(Val::Int8(-77)),
        Frame::Val(Val::Int4(i32::MIN)),
        Frame::Kval(Vec::new()),
        Frame::Kval(vec![
            (b"a".to_vec(), Val::Plain(b"1".to_vec())),
            (Vec::new(), Val::Int4(7)),
            (b"c".to_vec(), Val::Int8(i64::MAX)),
        ]),
    ];
    check_stream(&frames, &[1]);
}

#[test]
fn four_gib_announced_allocates_nothing() {
    let mut buf = BytesMut::from(&[6u8, 0, 0, 0xff, 0xff, 0xff, 0xff][..]);
    let cap = buf.capacity();
    let err = Decoder::default().decode(&mut buf).unwrap_err();
    assert_eq!(
        err,
        ProtocolError::FrameTooLarge {
            size: 0xffff_ffff + 7,
            max: 16 * 1024 * 1024
        }
    );
    assert_eq!(buf.capacity(), cap);
    // At the limit exactly, the decoder waits and reserves room for the frame.
    let limit = 1024;
    let mut buf = BytesMut::new();
    buf.put_u16_le(6);
    buf.put_u8(0);
    buf.put_u32_le(limit as u32 - 7);
    assert_eq!(Decoder::new(limit).decode(&mut buf), Ok(None));
    assert!(buf.capacity() >= limit);
    assert_eq!(Decoder::new(limit).missing(&buf), Ok(limit - 7));
}
