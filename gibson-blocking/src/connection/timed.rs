//! A socket whose reads and writes are bounded by a response deadline,
//! without two system calls per read to move the bound.

use std::io::{self, Read, Write};
use std::time::Duration;

use crate::transport::Stream;

/// How much later than its deadline a read or write may give up, as a
/// fraction of the response timeout: while the timeout already set on the
/// socket is within this much of what is left, it is kept.
const SLACK_DIVISOR: u32 = 64;

/// A connected socket and the timeout its reads and writes have now.
#[derive(Debug)]
pub(super) struct TimedStream {
    stream: Stream,
    /// What the socket has now; `None` until set.
    timeout: Option<Duration>,
}

impl TimedStream {
    pub(super) fn new(stream: Stream) -> TimedStream {
        TimedStream {
            stream,
            timeout: None,
        }
    }

    /// Bounds each read and write by `remaining` (not zero), the time left
    /// of a `total` response timeout: exactly, or up to `total / 64` more.
    /// At one request at a time, that sets the socket's timeouts once, not
    /// before every read and write.
    pub(super) fn bound(&mut self, remaining: Duration, total: Duration) -> io::Result<()> {
        if let Some(timeout) = new_timeout(self.timeout, remaining, total) {
            self.stream.set_timeouts(Some(timeout))?;
            self.timeout = Some(timeout);
        }
        Ok(())
    }
}

/// The timeout to set on a socket that has `current`, for `remaining` of
/// `total`; `None` to keep `current`.
fn new_timeout(
    current: Option<Duration>,
    remaining: Duration,
    total: Duration,
) -> Option<Duration> {
    let slack = total / SLACK_DIVISOR;
    if current.is_some_and(|t| t >= remaining && t - remaining <= slack) {
        return None;
    }
    Some(remaining.saturating_add(slack).min(total.max(remaining)))
}

impl Read for TimedStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf)
    }
}

impl Write for TimedStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_within_the_slack_is_kept_and_never_early() {
        let total = Duration::from_millis(640);
        let first = new_timeout(None, total - Duration::from_micros(1), total).unwrap();
        assert_eq!(first, total, "the first bound is the whole timeout");
        // The next requests, each with nearly all of its time left.
        for left_us in [639_999, 639_990, 635_000, 630_000] {
            assert_eq!(
                new_timeout(Some(first), Duration::from_micros(left_us), total),
                None
            );
        }
        // Less left than the slack allows: lowered, and still no earlier
        // than what is left.
        let lowered = new_timeout(Some(first), Duration::from_millis(600), total).unwrap();
        assert_eq!(lowered, Duration::from_millis(610));
        // A new request after a lowered one raises it again.
        assert_eq!(
            new_timeout(Some(lowered), total - Duration::from_micros(1), total),
            Some(total)
        );
    }
}
