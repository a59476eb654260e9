//! Reading back request frames this crate encoded: where each ends, its
//! opcode and its key, as the server would read them. A pipeline names the
//! key in an [`Error::Decode`](crate::Error::Decode); client policy
//! (namespaces, a sharded router) reads it to prefix or route a request.

use crate::server::{split_args, Args};
use crate::wire::{Opcode, REQUEST_HEADER_LEN};

/// The length of the request frame starting at `at`, if it is whole.
pub fn frame_len(frames: &[u8], at: usize) -> Option<usize> {
    let size = frames.get(at..at.checked_add(4)?)?;
    let size = u32::from_le_bytes(size.try_into().ok()?) as usize;
    let len = 4usize.checked_add(size)?;
    (len >= REQUEST_HEADER_LEN && at + len <= frames.len()).then_some(len)
}

/// The opcode of a frame whose header is whole.
pub fn frame_opcode(frame: &[u8]) -> Result<Opcode, String> {
    match frame.get(4..REQUEST_HEADER_LEN) {
        Some(&[lo, hi]) => {
            Opcode::try_from(u16::from_le_bytes([lo, hi])).map_err(|e| e.to_string())
        }
        _ => Err("a frame shorter than its header".to_string()),
    }
}

/// Where the key (or prefix) starts in a request's payload, and its
/// length, if the request has one.
pub fn key_span(opcode: Opcode, payload: &[u8]) -> Option<(usize, usize)> {
    match split_args(opcode, payload, usize::MAX, usize::MAX) {
        Args::None => None,
        Args::Key(key) | Args::KeyRest { key, .. } => Some((0, key.len())),
        // The key follows the TTL and one space.
        Args::Set { key, .. } => {
            Some((key.as_ptr() as usize - payload.as_ptr() as usize, key.len()))
        }
    }
}

/// The key of a request's payload, if it has one.
pub fn payload_key(opcode: Opcode, payload: &[u8]) -> Option<&[u8]> {
    key_span(opcode, payload).map(|(at, len)| &payload[at..at + len])
}

/// The key of the whole request frame `frame`, if it has one.
pub fn frame_key(frame: &[u8]) -> Option<&[u8]> {
    let len = frame_len(frame, 0)?;
    let opcode = frame_opcode(frame).ok()?;
    payload_key(opcode, frame.get(REQUEST_HEADER_LEN..len)?)
}

/// The `n`th frame (from 0) of `frames`, back to back.
pub fn nth_frame(frames: &[u8], n: usize) -> Option<&[u8]> {
    let mut at = 0;
    for _ in 0..n {
        at += frame_len(frames, at)?;
    }
    frames.get(at..at + frame_len(frames, at)?)
}

/// The opcode and key (`None` for a command without one) of each whole
/// request frame in `frames`, in order: what a layer in front of a client
/// (a near cache, a tracer) needs to know of a command or a
/// [`Pipeline`](crate::Pipeline) it passes on, read the way the server
/// reads it. Stops at the first cut or unknown frame.
///
/// ```
/// use bytes::BytesMut;
/// use gibson_proto::{cmd, requests, Command, Limits, Opcode, Ttl};
///
/// let mut frames = BytesMut::new();
/// cmd::Set::new("user:1", "ada", Ttl::Never).encode(&mut frames, &Limits::default()).unwrap();
/// cmd::Ping.encode(&mut frames, &Limits::default()).unwrap();
/// let seen: Vec<_> = requests(&frames).collect();
/// assert_eq!(seen, [(Opcode::Set, Some(&b"user:1"[..])), (Opcode::Ping, None)]);
/// ```
pub fn requests(frames: &[u8]) -> impl Iterator<Item = (Opcode, Option<&[u8]>)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let len = frame_len(frames, at)?;
        let frame = &frames[at..at + len];
        let opcode = frame_opcode(frame).ok()?;
        at += len;
        Some((opcode, payload_key(opcode, &frame[REQUEST_HEADER_LEN..])))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{cmd, Command, Limits, Ttl};

    fn frames(cmds: &[&dyn Fn(&mut bytes::BytesMut)]) -> bytes::BytesMut {
        let mut buf = bytes::BytesMut::new();
        for c in cmds {
            c(&mut buf);
        }
        buf
    }

    #[test]
    fn keys_are_read_back_from_frames() {
        let l = Limits::default();
        let buf = frames(&[
            &|b| {
                cmd::Set::new("k1", "v w", Ttl::Seconds(30))
                    .encode(b, &l)
                    .unwrap()
            },
            &|b| cmd::Ping.encode(b, &l).unwrap(),
            &|b| cmd::Mget::<_>::new("pre").limit(2).encode(b, &l).unwrap(),
            &|b| cmd::Get::<_>::new("k2").encode(b, &l).unwrap(),
        ]);
        let key = |n| nth_frame(&buf, n).and_then(frame_key);
        assert_eq!(key(0), Some(&b"k1"[..]));
        assert_eq!(key(1), None);
        assert_eq!(key(2), Some(&b"pre"[..]));
        assert_eq!(key(3), Some(&b"k2"[..]));
        assert_eq!(nth_frame(&buf, 4), None);
        assert_eq!(nth_frame(&buf[..buf.len() - 1], 3), None, "a cut frame");
        assert!(frame_opcode(b"\x02\x00\x00\x00").is_err());
    }
}
