//! Sending a command again when its reply came back short.
//!
//! Gibson 1.2.1 answers an MGET that meets expired (not yet swept) items
//! with a short KVAL: the count of live items, then fewer entries (see
//! [`Pairs`]). The first MGET removes the expired items, so the same MGET
//! sent again answers in full. Every runtime sends such a command again, up
//! to [`SHORT_REPLY_ATTEMPTS`] times in all; a reply still short after
//! that decodes to [`Error::ShortReply`]. Only read-only commands can get a
//! KVAL (MGET, KEYS, STATS), so sending them again is always safe.

use bytes::Bytes;

use crate::error::Error;
use crate::frame::frame_len;
use crate::reply::{Pairs, Reply};
use crate::wire::Opcode;

/// How many times, in all, a command whose reply is short is sent.
pub const SHORT_REPLY_ATTEMPTS: u32 = 3;

/// `true` when `reply` is a short KVAL, so the command should be sent again
/// (if `attempts` so far are fewer than [`SHORT_REPLY_ATTEMPTS`]).
///
/// ```
/// use gibson_proto::{is_short_reply, Pairs, Reply};
/// // Count 2, no entries: what MGET answers right after items expired.
/// let short = Pairs::parse(vec![2, 0, 0, 0].into()).unwrap();
/// assert!(is_short_reply(&Ok(Reply::Pairs(short)), 1));
/// assert!(!is_short_reply(&Ok(Reply::Ok), 1));
/// ```
pub fn is_short_reply(reply: &Result<Reply, Error>, attempts: u32) -> bool {
    attempts < SHORT_REPLY_ATTEMPTS && matches!(reply, Ok(Reply::Pairs(p)) if p.is_short())
}

/// The pairs of a KVAL that a command decodes, or [`Error::ShortReply`]
/// when they are short (after the runtime's repeats).
pub(crate) fn whole(command: Opcode, pairs: Pairs) -> Result<Pairs, Error> {
    if pairs.is_short() {
        return Err(Error::ShortReply {
            command,
            announced: pairs.announced(),
            received: pairs.len(),
            attempts: SHORT_REPLY_ATTEMPTS,
        });
    }
    Ok(pairs)
}

/// The commands of a batch (`frames`, one request frame per entry of
/// `replies`, back to back) whose replies are short: their index and their
/// own frame, to send again alone.
///
/// ```
/// use gibson_proto::{short_replies_in_batch, Pairs, Reply};
/// let frames = bytes::Bytes::from_static(b"\x02\x00\x00\x00\x13\x00\x03\x00\x00\x00\x0b\x00p");
/// let short = Pairs::parse(vec![1, 0, 0, 0].into()).unwrap();
/// let replies = vec![Ok(Reply::Ok), Ok(Reply::Pairs(short))];
/// let again = short_replies_in_batch(&frames, &replies, 1);
/// assert_eq!(again, vec![(1, frames.slice(6..))]);
/// ```
pub fn short_replies_in_batch(
    frames: &Bytes,
    replies: &[Result<Reply, Error>],
    attempts: u32,
) -> Vec<(usize, Bytes)> {
    let mut again = Vec::new();
    let mut at = 0usize;
    for (index, reply) in replies.iter().enumerate() {
        let Some(len) = frame_len(frames, at) else {
            break;
        };
        if is_short_reply(reply, attempts) {
            again.push((index, frames.slice(at..at + len)));
        }
        at += len;
    }
    again
}

/// The rounds in which a batch's short replies are sent again: each call
/// of [`next`](BatchRepeats::next) gives the commands to send again now,
/// until none are short or [`SHORT_REPLY_ATTEMPTS`] are used up.
///
/// ```
/// use gibson_proto::{BatchRepeats, Pairs, Reply};
/// let frames = bytes::Bytes::from_static(b"\x03\x00\x00\x00\x0b\x00p");
/// let short = || Ok(Reply::Pairs(Pairs::parse(vec![1, 0, 0, 0].into()).unwrap()));
/// let mut replies = vec![short()];
/// let mut repeats = BatchRepeats::default();
/// let mut sent = 0;
/// while let Some(again) = repeats.next(&frames, &replies) {
///     for (i, _frame) in again {
///         sent += 1;
///         replies[i] = short(); // the server keeps answering short
///     }
/// }
/// assert_eq!(sent, 2); // three attempts in all
/// ```
#[derive(Debug, Clone)]
pub struct BatchRepeats {
    /// Attempts made so far.
    attempts: u32,
}

impl Default for BatchRepeats {
    fn default() -> Self {
        BatchRepeats { attempts: 1 }
    }
}

impl BatchRepeats {
    /// The short commands of the batch to send again now, with their own
    /// frames (see [`short_replies_in_batch`]); `None` when there are none
    /// or no attempt is left.
    pub fn next(
        &mut self,
        frames: &Bytes,
        replies: &[Result<Reply, Error>],
    ) -> Option<Vec<(usize, Bytes)>> {
        let again = short_replies_in_batch(frames, replies, self.attempts);
        self.attempts = self.attempts.saturating_add(1);
        (!again.is_empty()).then_some(again)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, Pipeline, Ttl};

    #[test]
    fn a_short_reply_is_sent_again_until_the_last_attempt() {
        let short = || Ok(Reply::Pairs(Pairs::parse(vec![3, 0, 0, 0].into()).unwrap()));
        assert!(is_short_reply(&short(), 1));
        assert!(is_short_reply(&short(), SHORT_REPLY_ATTEMPTS - 1));
        assert!(!is_short_reply(&short(), SHORT_REPLY_ATTEMPTS));
        let full = Pairs::parse(vec![0, 0, 0, 0].into()).unwrap();
        assert!(!is_short_reply(&Ok(Reply::Pairs(full)), 1));
        let err = whole(Opcode::Mget, Pairs::parse(vec![3, 0, 0, 0].into()).unwrap()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::ShortReply {
                    announced: 3,
                    received: 0,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.is_retryable() && !err.is_connection_broken());
    }

    #[test]
    fn only_the_short_commands_of_a_batch_are_picked_with_their_own_frame() {
        let mut p = Pipeline::new(Limits::default());
        let _ = p.mget::<bytes::Bytes, bytes::Bytes>("a:");
        let _ = p.set("k", "v", Ttl::Never);
        let _ = p.mget::<bytes::Bytes, bytes::Bytes>("b:");
        let frames = p.take_frames();
        let short = || Ok(Reply::Pairs(Pairs::parse(vec![2, 0, 0, 0].into()).unwrap()));
        let replies = vec![short(), Ok(Reply::Ok), short()];
        let again = short_replies_in_batch(&frames, &replies, 1);
        assert_eq!(
            again,
            vec![
                (0, Bytes::from_static(b"\x04\x00\x00\x00\x0b\x00a:")),
                (2, Bytes::from_static(b"\x04\x00\x00\x00\x0b\x00b:")),
            ]
        );
        assert!(short_replies_in_batch(&frames, &replies, SHORT_REPLY_ATTEMPTS).is_empty());
        // Frames cut short or garbage: no panic, nothing picked past them.
        assert!(short_replies_in_batch(&frames.slice(..3), &replies, 1).is_empty());
        assert_eq!(
            short_replies_in_batch(&frames.slice(..8), &replies, 1).len(),
            1
        );
    }
}
