//! The raw measuring loop: every reply counted against a server, large
//! requests written whole within the window (so that the real server keeps
//! the connection), and failures on a scripted peer reported, never panics.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::time::Duration;

use bytes::BytesMut;
use gibson_bench::raw::RawLoop;
use gibson_blocking::{cmd, transport, Command, Commands, Connection, Limits, Ttl};
use gibson_test_support::{unique_prefix, TestServer};

fn frame(cmd: impl Command) -> Vec<u8> {
    let mut f = BytesMut::new();
    cmd.encode(&mut f, &Limits::default()).unwrap();
    f.to_vec()
}

fn connect(server: &TestServer) -> transport::Stream {
    transport::connect(
        server.addr(),
        Duration::from_secs(5),
        Some(Duration::from_secs(10)),
    )
    .unwrap()
}

#[test]
fn every_reply_is_counted_with_its_code() {
    let server = TestServer::start();
    let p = unique_prefix("raw-get");
    let mut conn = Connection::with_config(server.config()).unwrap();
    conn.set(format!("{p}k"), "v", Ttl::Never).unwrap();
    let frames = [
        frame(cmd::Get::<_>::new(format!("{p}k"))),
        frame(cmd::Get::<_>::new(format!("{p}absent"))),
    ];
    let mut codes = Vec::new();
    let mut stream = connect(&server);
    let mut raw = RawLoop::new(16, Limits::default());
    // Twice on the same loop: its buffers start clean each run.
    for _ in 0..2 {
        raw.run(
            &mut stream,
            1000,
            |i| &frames[i % 2],
            |replies| {
                codes.extend(replies.iter().map(|r| r.code));
            },
        )
        .unwrap();
    }
    assert_eq!(codes.len(), 2000);
    for (i, code) in codes.iter().enumerate() {
        // VAL for the key, NOT_FOUND for the absent one, in request order.
        assert_eq!(*code, if i % 2 == 0 { 6 } else { 1 }, "reply {i}");
    }
    conn.mdel(&p).unwrap();
}

#[test]
fn large_pipelined_sets_keep_the_connection() {
    // 40 KiB values at 16 in flight: 640 KiB unanswered without the
    // window; a size prefix cut by a partial write would make Gibson 1.2.1
    // drop the connection.
    let server = TestServer::start();
    let p = unique_prefix("raw-set");
    let value = vec![b'v'; 40 * 1024];
    let frames: Vec<Vec<u8>> = (0..8)
        .map(|k| frame(cmd::Set::new(format!("{p}{k}"), &value[..], Ttl::Never)))
        .collect();
    let mut stream = connect(&server);
    let mut replies = 0;
    RawLoop::new(16, Limits::default())
        .run(
            &mut stream,
            400,
            |i| &frames[i % 8],
            |batch| {
                for r in batch {
                    assert_eq!(r.code, 6, "SET echoes the value");
                }
                replies += batch.len();
            },
        )
        .unwrap();
    assert_eq!(replies, 400);
    let mut conn = Connection::with_config(server.config()).unwrap();
    assert_eq!(conn.count(p.as_str()).unwrap(), 8);
    conn.mdel(&p).unwrap();
}

/// A scripted server: answers each whole request frame written to it with
/// `reply`, and records each write.
struct Peer {
    reply: Vec<u8>,
    /// Extra bytes sent after the replies.
    extra: Vec<u8>,
    writes: Vec<Vec<u8>>,
    pending: VecDeque<u8>,
}

impl Peer {
    fn new(reply: &[u8]) -> Peer {
        Peer {
            reply: reply.to_vec(),
            extra: Vec::new(),
            writes: Vec::new(),
            pending: VecDeque::new(),
        }
    }
}

impl Write for Peer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes.push(buf.to_vec());
        let mut rest = buf;
        while let Some(prefix) = rest.get(..4) {
            let len = 4 + u32::from_le_bytes(prefix.try_into().unwrap()) as usize;
            assert!(rest.len() >= len, "a write ends inside a frame");
            rest = &rest[len..];
            self.pending.extend(&self.reply);
        }
        assert!(rest.is_empty(), "a write ends inside a size prefix");
        self.pending.extend(self.extra.drain(..));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Peer {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.pending.len());
        for (dst, src) in buf.iter_mut().zip(self.pending.drain(..n)) {
            *dst = src;
        }
        Ok(n)
    }
}

/// An OK reply.
const OK: &[u8] = &[5, 0, 0, 0, 0, 0, 0];

/// A request frame of `len` bytes in all.
fn sized_frame(len: usize) -> Vec<u8> {
    let mut f = ((len - 4) as u32).to_le_bytes().to_vec();
    f.resize(len, b'x');
    f
}

/// Runs `frames` through `raw` on a peer answering OK to each: the sizes
/// of the writes, and of the batches of replies handed over.
fn sizes(mut raw: RawLoop, frames: &[&[u8]]) -> (Vec<usize>, Vec<usize>) {
    let mut peer = Peer::new(OK);
    let mut batches = Vec::new();
    raw.run(
        &mut peer,
        frames.len(),
        |i| frames[i],
        |r| batches.push(r.len()),
    )
    .unwrap();
    (peer.writes.iter().map(Vec::len).collect(), batches)
}

#[test]
fn writes_are_whole_frames_within_the_window() {
    let mut limits = Limits::default();
    limits.write_window = 100;
    let (small, big) = (sized_frame(30), sized_frame(500));
    // Request 3 is larger than the window.
    let frames = [&small[..], &small, &small, &big, &small, &small];
    let (writes, _) = sizes(RawLoop::new(8, limits), &frames);
    // Three small ones fill the window; the big one goes alone once they
    // are answered; then the rest.
    assert_eq!(writes, [90, 500, 60]);
}

#[test]
fn the_depth_bounds_the_requests_in_flight() {
    let frame = sized_frame(10);
    let (writes, batches) = sizes(RawLoop::new(2, Limits::default()), &[&frame[..]; 5]);
    assert_eq!(writes, [20, 20, 10]);
    assert_eq!(batches, [2, 2, 1]);
}

#[test]
fn refill_every_writes_after_that_many_replies() {
    let frame = sized_frame(10);
    let raw = RawLoop::new(4, Limits::default()).refill_every(2);
    let (writes, batches) = sizes(raw, &[&frame[..]; 8]);
    assert_eq!(writes, [40, 20, 20]);
    assert_eq!(batches, [2, 2, 2, 2]);
}

fn error_of(mut peer: Peer) -> io::Error {
    let frame = sized_frame(10);
    RawLoop::new(4, Limits::default())
        .run(&mut peer, 4, |_| &frame, |_| {})
        .unwrap_err()
}

#[test]
fn a_closed_connection_is_an_error() {
    let err = error_of(Peer::new(b""));
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(err.to_string(), "the server closed the connection");
}

#[test]
fn a_reply_over_the_limit_is_an_error() {
    let err = error_of(Peer::new(&[6, 0, 0, 0xff, 0xff, 0xff, 0xff]));
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}

#[test]
fn a_reply_with_no_request_is_an_error() {
    let mut peer = Peer::new(OK);
    peer.extra = OK.to_vec();
    let err = error_of(peer);
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}

/// Which replies of a run of `n` at `depth` carry a latency.
fn timed_replies(depth: usize, n: usize) -> Vec<usize> {
    let frame = sized_frame(10);
    let mut peer = Peer::new(OK);
    let mut index = 0;
    let mut timed = Vec::new();
    RawLoop::new(depth, Limits::default())
        .run(
            &mut peer,
            n,
            |_| &frame,
            |replies| {
                for r in replies {
                    if r.latency.is_some() {
                        timed.push(index);
                    }
                    index += 1;
                }
            },
        )
        .unwrap();
    assert_eq!(index, n);
    timed
}

#[test]
fn one_request_in_16_is_timed_when_several_are_in_flight() {
    assert_eq!(timed_replies(16, 40), [0, 16, 32]);
    assert_eq!(timed_replies(128, 40), [0, 16, 32]);
    // One at a time: every request.
    assert_eq!(timed_replies(1, 5), [0, 1, 2, 3, 4]);
}
