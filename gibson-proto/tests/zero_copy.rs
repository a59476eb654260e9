//! Decoded values share the frame's buffer, and decoding replies from one
//! buffer allocates nothing per reply. Measured with a counting global
//! allocator whose counters are per thread, so that tests running in
//! parallel do not disturb each other.

// A counting global allocator needs `unsafe impl GlobalAlloc`; it only
// forwards to `System` and updates thread-local counters.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ops::Range;

use bytes::{BufMut, Bytes, BytesMut};
use gibson_proto::{cmd, Command, Decoder, Reply, Session, Value};

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    allocations: usize,
    bytes: usize,
    largest: usize,
}

thread_local! {
    static COUNTS: Cell<Counts> = const {
        Cell::new(Counts { allocations: 0, bytes: 0, largest: 0 })
    };
}

struct Counting;

fn record(size: usize) {
    let _ = COUNTS.try_with(|c| {
        let mut v = c.get();
        v.allocations += 1;
        v.bytes += size;
        v.largest = v.largest.max(size);
        c.set(v);
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: `ptr` came from `System` through this allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns what this thread allocated meanwhile.
fn measure<R>(f: impl FnOnce() -> R) -> (R, Counts) {
    COUNTS.with(|c| c.set(Counts::default()));
    let r = f();
    (r, COUNTS.with(Cell::get))
}

fn span(b: &[u8]) -> Range<usize> {
    let start = b.as_ptr() as usize;
    start..start + b.len()
}

fn inside(part: &[u8], whole: &Range<usize>) -> bool {
    let p = span(part);
    whole.start <= p.start && p.end <= whole.end
}

fn val_frame(out: &mut BytesMut, value: &[u8]) {
    out.put_u16_le(6);
    out.put_u8(0);
    out.put_u32_le(value.len() as u32);
    out.put_slice(value);
}

fn kval_frame(out: &mut BytesMut, pairs: usize, value_len: usize) {
    let entry = |i: usize| format!("key:{i:06}");
    let data_len: usize = 4
        + (0..pairs)
            .map(|i| 4 + entry(i).len() + 5 + value_len)
            .sum::<usize>();
    out.put_u16_le(7);
    out.put_u8(0);
    out.put_u32_le(data_len as u32);
    out.put_u32_le(pairs as u32);
    for i in 0..pairs {
        let key = entry(i);
        out.put_u32_le(key.len() as u32);
        out.put_slice(key.as_bytes());
        out.put_u8(0);
        out.put_u32_le(value_len as u32);
        out.put_bytes(b'v', value_len);
    }
}

#[test]
fn the_counter_sees_allocations() {
    let (v, counts) = measure(|| vec![0u8; 4096]);
    assert_eq!(v.len(), 4096);
    assert!(
        counts.allocations >= 1 && counts.largest >= 4096,
        "{counts:?}"
    );
}

#[test]
fn a_value_shares_the_frame_buffer() {
    let mut buf = BytesMut::new();
    val_frame(&mut buf, b"hello, zero copy");
    let frame = span(&buf);
    let reply = Decoder::default().decode(&mut buf).unwrap().unwrap();
    let Reply::Value(Value::Bytes(value)) = &reply else {
        panic!("{reply:?}")
    };
    assert_eq!(&value[..], b"hello, zero copy");
    assert!(
        inside(value, &frame),
        "the value was copied out of the frame"
    );
    assert_eq!(
        value.as_ptr() as usize,
        frame.start + 7,
        "value starts after the header"
    );

    // Through a typed command, too: GET as `Bytes` keeps the same slice.
    let got: Bytes = cmd::Get::<&str, Bytes>::decode(reply).unwrap().unwrap();
    assert!(inside(&got, &frame));

    // KVAL keys and values are slices of their frame.
    let mut buf = BytesMut::new();
    kval_frame(&mut buf, 3, 5);
    let frame = span(&buf);
    let Some(Reply::Pairs(pairs)) = Decoder::default().decode(&mut buf).unwrap() else {
        panic!("not a KVAL")
    };
    for (k, v) in &pairs {
        assert!(inside(&k, &frame), "a key was copied");
        assert!(inside(v.as_bytes().unwrap(), &frame), "a value was copied");
    }

    // And through the session: the value is a slice of its read buffer.
    let mut session: Session<()> = Session::new(Default::default());
    session.send(&cmd::Get::<_, Bytes>::new("k"), ()).unwrap();
    session.read_buf().reserve(64);
    val_frame(session.read_buf(), b"from the session");
    let input = span(session.read_buf());
    let done = session.poll_reply().unwrap();
    let Ok(Reply::Value(Value::Bytes(value))) = done.result else {
        panic!("{:?}", done.result)
    };
    assert!(inside(&value, &input));
}

/// Decodes every reply in `buf`, keeping them in a vector allocated before
/// the measurement; returns the replies and what decoding allocated.
fn decode_all(mut buf: BytesMut, expected: usize) -> (Vec<Reply>, Counts) {
    let mut replies = Vec::with_capacity(expected);
    let mut decoder = Decoder::default();
    let ((), counts) = measure(|| {
        while let Some(reply) = decoder.decode(&mut buf).unwrap() {
            replies.push(reply);
        }
    });
    assert!(buf.is_empty());
    assert_eq!(replies.len(), expected);
    (replies, counts)
}

#[test]
fn many_get_replies_allocate_nothing_per_reply() {
    for (n, size) in [(10_000usize, 16usize), (2_000, 1024), (64, 64 * 1024)] {
        let mut buf = BytesMut::with_capacity(n * (7 + size));
        for i in 0..n {
            val_frame(&mut buf, &vec![(i % 251) as u8; size]);
        }
        let whole = span(&buf);
        let (replies, counts) = decode_all(buf, n);
        // `bytes` turns the buffer into a shared one once (one small
        // allocation); after that, cutting frames only counts references.
        assert!(
            counts.allocations <= 1 && counts.bytes < 64,
            "{n} replies of {size} bytes: {counts:?}"
        );
        for (i, reply) in replies.iter().enumerate() {
            let Reply::Value(Value::Bytes(b)) = reply else {
                panic!("{reply:?}")
            };
            assert_eq!(b.len(), size);
            assert_eq!(b[0], (i % 251) as u8);
            assert!(inside(b, &whole));
        }
    }
}

#[test]
fn a_large_mget_allocates_nothing_per_pair() {
    let mut buf = BytesMut::new();
    kval_frame(&mut buf, 10_000, 8);
    let whole = span(&buf);
    let (replies, counts) = decode_all(buf, 1);
    assert!(counts.allocations <= 1 && counts.bytes < 64, "{counts:?}");
    let Reply::Pairs(pairs) = &replies[0] else {
        panic!("not a KVAL")
    };
    let (seen, counts) = measure(|| {
        let mut seen = 0;
        for (k, v) in pairs {
            assert!(inside(&k, &whole));
            assert_eq!(v.as_bytes().map(Bytes::len), Some(8));
            seen += 1;
        }
        seen
    });
    assert_eq!(seen, 10_000);
    assert_eq!(
        counts.allocations, 0,
        "iterating pairs allocated: {counts:?}"
    );
}

#[test]
fn an_oversized_announcement_allocates_nothing_that_size() {
    for size in [u32::MAX, 16 * 1024 * 1024, 1 << 30] {
        let mut buf = BytesMut::with_capacity(7);
        buf.put_u16_le(6);
        buf.put_u8(0);
        buf.put_u32_le(size);
        let (result, counts) = measure(|| Decoder::default().decode(&mut buf));
        assert!(result.is_err());
        assert!(counts.largest < 1024, "{size}: {counts:?}");
    }
}
