//! The write window: how much of a session's output may be written now.
//!
//! Gibson 1.2.1 reads a request's 4-byte size prefix with a `read` that
//! expects the rest of the prefix to follow in the same buffer; when the
//! prefix arrives in two pieces it misreads the size and drops the
//! connection with everything in flight on it. A prefix arrives in pieces
//! when a write is cut: the kernel takes only part of a write into a full
//! socket, or splits a large write into segments. So a session writes only
//! whole requests, and keeps at most a window of request bytes written but
//! not yet answered: each write then fits the socket's buffers and is taken
//! whole. A request larger than the window is written alone, once nothing
//! else is in flight, so its prefix leads the write.

use std::collections::VecDeque;

/// A request not yet answered, as the window sees it: where it ends in the
/// request stream. The session's queue of pending requests is the one
/// record of them; the window reads their ends from it.
pub(crate) trait End {
    /// The offset just past the request's last byte.
    fn end(&self) -> u64;
}

impl End for u64 {
    fn end(&self) -> u64 {
        *self
    }
}

/// Request-byte accounting for [`Session`](crate::Session). Offsets count
/// bytes of the request stream since the session began; `queue` is the
/// session's queue of requests not yet answered, in order.
#[derive(Debug)]
pub(crate) struct WriteWindow {
    size: u64,
    /// Bytes written so far.
    written: u64,
    /// The end of the last request answered: where the queue's front starts.
    answered: u64,
}

impl WriteWindow {
    /// A window of `size` bytes (at least 1).
    pub(crate) fn new(size: usize) -> WriteWindow {
        WriteWindow {
            size: (size as u64).max(1),
            written: 0,
            answered: 0,
        }
    }

    /// A request frame was appended at the end of `output` (the unwritten
    /// output) behind the requests of `queue`: the offset where it ends,
    /// to queue with it. Its length is read from its size prefix; bytes
    /// that do not form a whole frame are taken as one request, so nothing
    /// is ever held back for good.
    pub(crate) fn end_of_new<E: End>(&self, queue: &VecDeque<E>, output: &[u8]) -> u64 {
        let start = queue.back().map_or(self.answered, End::end);
        let appended = self.written + output.len() as u64;
        let frame_len = usize::try_from(start.saturating_sub(self.written))
            .ok()
            .and_then(|at| output.get(at..at.checked_add(4)?))
            .and_then(|prefix| prefix.try_into().ok())
            .map(|prefix: [u8; 4]| 4 + u64::from(u32::from_le_bytes(prefix)));
        let end = match frame_len {
            Some(len) if start + len <= appended => start + len,
            _ => appended,
        };
        end.max(start)
    }

    /// `n` bytes were written.
    pub(crate) fn consumed(&mut self, n: usize) {
        self.written += n as u64;
    }

    /// `n` of the bytes counted as written were not (the connection
    /// broke with them taken but unwritten).
    pub(crate) fn unwritten(&mut self, n: usize) {
        self.written = self.written.saturating_sub(n as u64).max(self.answered);
    }

    /// The oldest request, which ended at `end`, was answered (or dropped
    /// with the connection); `true` if it had been written whole.
    pub(crate) fn answered(&mut self, end: u64) -> bool {
        self.answered = end;
        end <= self.written
    }

    /// How many of the `unwritten` bytes at the head of the output may be
    /// written now: whole requests within the window, the rest of a request
    /// already begun, or one request larger than the window when nothing is
    /// in flight.
    pub(crate) fn writable<E: End>(&self, queue: &VecDeque<E>, unwritten: usize) -> usize {
        let first = queue.partition_point(|e| e.end() <= self.written);
        let Some(next_end) = queue.get(first).map(End::end) else {
            // Bytes beyond every request (a caller that never pushed them).
            return unwritten;
        };
        let start = match first {
            0 => self.answered,
            k => queue.get(k - 1).map_or(self.answered, End::end),
        };
        let begun = start < self.written;
        let idle = self.written == self.answered;
        let limit = self.answered + self.size;
        let mut end = if next_end <= limit || begun || idle {
            next_end
        } else {
            return 0;
        };
        for next in queue.range(first + 1..).map(End::end) {
            if next > limit {
                break;
            }
            end = next;
        }
        usize::try_from(end - self.written)
            .unwrap_or(usize::MAX)
            .min(unwritten)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request frame of `len` bytes in all.
    fn frame(len: usize) -> Vec<u8> {
        let mut f = ((len - 4) as u32).to_le_bytes().to_vec();
        f.resize(len, 0x13);
        f
    }

    /// A window over an output buffer and a queue, as the session keeps them.
    struct Model {
        window: WriteWindow,
        queue: VecDeque<u64>,
        output: Vec<u8>,
    }

    impl Model {
        fn new(size: usize) -> Model {
            Model {
                window: WriteWindow::new(size),
                queue: VecDeque::new(),
                output: Vec::new(),
            }
        }
        fn push(&mut self, len: usize) {
            self.output.extend(frame(len));
            let end = self.window.end_of_new(&self.queue, &self.output);
            self.queue.push_back(end);
        }
        fn writable(&self) -> usize {
            self.window.writable(&self.queue, self.output.len())
        }
        fn write(&mut self, n: usize) {
            self.output.drain(..n);
            self.window.consumed(n);
        }
        fn answered(&mut self) {
            if let Some(end) = self.queue.pop_front() {
                self.window.answered(end);
            }
        }
    }

    #[test]
    fn writes_stop_at_request_boundaries_within_the_window() {
        let mut m = Model::new(100);
        for _ in 0..5 {
            m.push(30);
        }
        assert_eq!(m.writable(), 90, "three whole requests fit in 100 bytes");
        m.write(90);
        assert_eq!(m.writable(), 0, "the window is full until a reply");
        m.answered();
        assert_eq!(m.writable(), 30, "one answered: one more fits (30..130)");
        m.answered();
        m.answered();
        assert_eq!(m.writable(), 60);
    }

    #[test]
    fn a_request_larger_than_the_window_goes_alone_when_nothing_is_in_flight() {
        let mut m = Model::new(100);
        m.push(10);
        m.push(500);
        m.push(10);
        assert_eq!(m.writable(), 10, "the big one waits for the small one");
        m.write(10);
        assert_eq!(m.writable(), 0);
        m.answered();
        assert_eq!(m.writable(), 500, "alone, at the start of a write");
        // The kernel took part of it: the rest may follow, and nothing else.
        m.write(200);
        assert_eq!(m.writable(), 300);
        m.write(300);
        assert_eq!(m.writable(), 0, "the next waits for the big one's reply");
        m.answered();
        assert_eq!(m.writable(), 10);
    }

    #[test]
    fn a_partly_written_request_is_finished_first() {
        let mut m = Model::new(64);
        m.push(40);
        m.push(40);
        assert_eq!(m.writable(), 40);
        m.write(25);
        assert_eq!(m.writable(), 15, "the rest of the first, not the second");
        m.write(15);
        assert_eq!(m.writable(), 0);
    }

    #[test]
    fn bytes_that_are_not_whole_frames_are_never_held_back() {
        let mut m = Model::new(8);
        // A prefix announcing more than was appended: taken as it is.
        m.output = vec![0xff, 0xff, 0, 0, 1, 2];
        let end = m.window.end_of_new(&m.queue, &m.output);
        m.queue.push_back(end);
        assert_eq!(m.writable(), 6);
        // Bytes nobody pushed.
        let mut m = Model::new(8);
        m.output = vec![1, 2, 3];
        assert_eq!(m.writable(), 3);
        m.answered();
        m.output.clear();
        assert_eq!(m.writable(), 0);
    }
}
