//! The raw measuring loop: not a client, the smallest loop that keeps
//! pipelined requests in flight on a blocking socket and counts the replies
//! from their headers, as a hand-written C client would (the loops a
//! client's cost is compared with).
//!
//! `gibson-bench --raw` and the criterion benchmarks run it beside the
//! libraries on the same server in the same run, so that a library's
//! overhead shows as a ratio. It decodes nothing but each reply's code and
//! size, checks nothing else, and reads the clock only for the requests it
//! times ([`is_timed`]: one in 16 when several are in flight, as the
//! library runners do).
//!
//! Its writes follow the rule of [`Limits::write_window`]: whole request
//! frames only, and at most a window of request bytes written but not yet
//! answered (a frame larger than the window goes alone, once nothing is in
//! flight). Each write then fits the socket's buffers and is taken whole, so
//! no request's 4-byte size prefix reaches the server in two pieces, which
//! Gibson 1.2.1 cannot read.
//!
//! ```no_run
//! use std::time::Duration;
//! use gibson_bench::raw::RawLoop;
//! use gibson_blocking::{transport, Command, Limits};
//!
//! let addr = "127.0.0.1:10128".parse()?;
//! let mut stream = transport::connect(&addr, Duration::from_secs(1), Some(Duration::from_secs(5)))?;
//! let mut get = bytes::BytesMut::new();
//! gibson_blocking::cmd::Get::<_>::new("key").encode(&mut get, &Limits::default())?;
//! // 10 000 GETs, 16 in flight.
//! let mut replies = 0;
//! RawLoop::new(16, Limits::default()).run(&mut stream, 10_000, |_| &get[..], |batch| {
//!     replies += batch.len();
//! })?;
//! assert_eq!(replies, 10_000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use gibson_proto::{Limits, REPLY_HEADER_LEN};

/// With more than one request in flight, one request in this many is
/// timed: two clock reads per request would be most of the raw loop's own
/// cost, which a C loop does not pay.
const TIME_ONE_IN: u64 = 16;

/// Whether request `i` of a run with `depth` in flight is timed: every
/// request at depth 1, one in 16 above. The library runners of
/// `gibson-bench` time the same requests.
///
/// ```
/// use gibson_bench::raw::is_timed;
/// assert!(is_timed(7, 1));
/// assert!(is_timed(32, 128) && !is_timed(33, 128));
/// ```
pub fn is_timed(i: u64, depth: usize) -> bool {
    depth <= 1 || i.is_multiple_of(TIME_ONE_IN)
}

/// Free buffer space below which the read buffer doubles.
const MIN_READ: usize = 4096;
/// The read buffer's first size.
const READ_BUFFER: usize = 256 * 1024;

/// One reply, as the loop sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawReply {
    /// The reply code: 0 ERR, 1 NOT_FOUND, 2 NAN, 3 MEM, 4 LOCKED, 5 OK,
    /// 6 VAL, 7 KVAL.
    pub code: u16,
    /// From the write of its request to the read that completed it, for
    /// the requests timed (see [`is_timed`]).
    pub latency: Option<Duration>,
}

/// The loop and its buffers, kept from one [`run`](RawLoop::run) to the next.
#[derive(Debug)]
pub struct RawLoop {
    depth: usize,
    window: usize,
    max_reply: usize,
    refill_every: usize,
    /// The frames of the next write.
    out: Vec<u8>,
    buf: Vec<u8>,
    /// The length of each request written and not answered.
    in_flight: VecDeque<usize>,
    /// The timed requests written and not answered: index, when written.
    timed: VecDeque<(usize, Instant)>,
    in_flight_bytes: usize,
    /// Replies counted since the last refill.
    replies: Vec<RawReply>,
}

impl RawLoop {
    /// A loop keeping up to `depth` requests in flight (at least 1), within
    /// `limits.write_window` request bytes, refusing replies larger than
    /// `limits.max_reply_size`.
    ///
    /// ```
    /// let raw = gibson_bench::raw::RawLoop::new(128, Default::default());
    /// ```
    pub fn new(depth: usize, limits: Limits) -> RawLoop {
        RawLoop {
            depth: depth.max(1),
            window: limits.write_window.max(1),
            max_reply: limits.max_reply_size,
            refill_every: usize::MAX,
            out: Vec::new(),
            buf: Vec::new(),
            in_flight: VecDeque::new(),
            timed: VecDeque::new(),
            in_flight_bytes: 0,
            replies: Vec::new(),
        }
    }

    /// Writes replacements after every `replies` replies counted (at least
    /// 1), instead of once per read: to write as often as a library's
    /// driver does.
    ///
    /// ```
    /// let raw = gibson_bench::raw::RawLoop::new(128, Default::default()).refill_every(32);
    /// ```
    pub fn refill_every(mut self, replies: usize) -> RawLoop {
        self.refill_every = replies.max(1);
        self
    }

    /// Sends requests `0..n` (request `i` is the frame `frame(i)`), keeping
    /// up to `depth` in flight: after each read, or each
    /// [`refill_every`](RawLoop::refill_every) replies, it hands the replies
    /// counted to `on_replies` and writes as many new requests as the depth
    /// and the window allow. Returns once all `n` replies arrived.
    ///
    /// Fails on an I/O error (a timeout included), when the server closes
    /// the connection, and on a reply larger than the limit or beyond the
    /// requests sent.
    ///
    /// ```no_run
    /// # let mut stream = gibson_blocking::transport::connect(&"127.0.0.1:10128".parse()?, std::time::Duration::from_secs(1), None)?;
    /// let ping = b"\x02\x00\x00\x00\x13\x00";
    /// let mut raw = gibson_bench::raw::RawLoop::new(1, Default::default());
    /// raw.run(&mut stream, 1, |_| ping, |replies| assert_eq!(replies[0].code, 5))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run<'f, S, F, R>(
        &mut self,
        stream: &mut S,
        n: usize,
        mut frame: F,
        mut on_replies: R,
    ) -> io::Result<()>
    where
        S: Read + Write,
        F: FnMut(usize) -> &'f [u8],
        R: FnMut(&[RawReply]),
    {
        self.in_flight.clear();
        self.timed.clear();
        self.in_flight_bytes = 0;
        self.replies.clear();
        if self.buf.is_empty() {
            self.buf = vec![0; READ_BUFFER];
        }
        let (mut next, mut done, mut filled) = (0usize, 0usize, 0usize);
        self.refill(stream, n, &mut next, &mut frame)?;
        while done < n {
            if self.buf.len() - filled < MIN_READ {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            let read = match stream.read(&mut self.buf[filled..]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    ))
                }
                Ok(read) => read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            filled += read;
            // Read once, at the first timed reply of this read.
            let mut now = None;
            let mut pos = 0;
            loop {
                let whole = self.whole_reply(&self.buf[pos..filled])?;
                if let Some((code, len)) = whole {
                    pos += len;
                    let request = self.in_flight.pop_front().ok_or_else(|| {
                        io::Error::new(io::ErrorKind::InvalidData, "a reply with no request")
                    })?;
                    self.in_flight_bytes -= request;
                    let index = done + self.replies.len();
                    let latency = match self.timed.front() {
                        Some(&(timed, sent)) if timed == index => {
                            self.timed.pop_front();
                            let now = *now.get_or_insert_with(Instant::now);
                            Some(now.saturating_duration_since(sent))
                        }
                        _ => None,
                    };
                    self.replies.push(RawReply { code, latency });
                }
                let count = self.replies.len();
                if count > 0 && (whole.is_none() || count >= self.refill_every) {
                    done += count;
                    on_replies(&self.replies);
                    self.replies.clear();
                    self.refill(stream, n, &mut next, &mut frame)?;
                }
                if whole.is_none() {
                    break;
                }
            }
            self.buf.copy_within(pos..filled, 0);
            filled -= pos;
        }
        Ok(())
    }

    /// The code and whole length of the reply at the start of `buf`, once
    /// all of it is there.
    fn whole_reply(&self, buf: &[u8]) -> io::Result<Option<(u16, usize)>> {
        let Some(header) = buf.get(..REPLY_HEADER_LEN) else {
            return Ok(None);
        };
        let code = u16::from_le_bytes([header[0], header[1]]);
        let size = u32::from_le_bytes([header[3], header[4], header[5], header[6]]);
        let len = usize::try_from(size)
            .ok()
            .and_then(|size| size.checked_add(REPLY_HEADER_LEN))
            .filter(|&len| len <= self.max_reply)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("a reply of {size} bytes, over the limit"),
                )
            })?;
        Ok((buf.len() >= len).then_some((code, len)))
    }

    /// Writes, in one write, the next requests that fit the depth and the
    /// window.
    fn refill<'f, S: Write>(
        &mut self,
        stream: &mut S,
        n: usize,
        next: &mut usize,
        frame: &mut impl FnMut(usize) -> &'f [u8],
    ) -> io::Result<()> {
        self.out.clear();
        // Read once, at the first timed request of this write.
        let mut now = None;
        while *next < n && self.in_flight.len() < self.depth {
            let f = frame(*next);
            if !self.in_flight.is_empty() && self.in_flight_bytes + f.len() > self.window {
                break;
            }
            self.out.extend_from_slice(f);
            self.in_flight.push_back(f.len());
            self.in_flight_bytes += f.len();
            if is_timed(*next as u64, self.depth) {
                let now = *now.get_or_insert_with(Instant::now);
                self.timed.push_back((*next, now));
            }
            *next += 1;
        }
        if self.out.is_empty() {
            return Ok(());
        }
        stream.write_all(&self.out)
    }
}
