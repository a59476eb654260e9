//! The session's write window: whatever the request sizes, the kernel's
//! partial writes and the order replies arrive in, what the session offers
//! to write ends on a request boundary (so a write the kernel takes whole
//! never cuts a size prefix), the request bytes written but not answered
//! stay within `Limits::write_window` (or are one request larger than it,
//! written alone), and everything queued is written in the end.

use gibson_proto::{cmd, Limits, Session, Ttl};
use proptest::prelude::*;

/// One step of the model: queue a SET with a value of this size, let the
/// kernel take part of what is writable, or answer the oldest request.
#[derive(Debug, Clone)]
enum Step {
    Queue(usize),
    Write { percent: u8 },
    Answer,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => prop_oneof![1usize..200, 200usize..3_000, Just(9_000)].prop_map(Step::Queue),
        3 => (1u8..=100).prop_map(|percent| Step::Write { percent }),
        2 => Just(Step::Answer),
    ]
}

const OK: &[u8] = b"\x05\x00\x00\x01\x00\x00\x00\x00";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn writes_never_split_a_prefix_and_stay_within_the_window(
        window in prop_oneof![Just(64usize), 100usize..5_000, Just(64 * 1024)],
        steps in proptest::collection::vec(step(), 1..120),
    ) {
        let mut limits = Limits::default();
        limits.write_window = window;
        let mut session: Session<usize> = Session::new(limits);
        // Every request's [start, end) in the stream, and how far the
        // stream was written and answered.
        let mut frames: Vec<(usize, usize)> = Vec::new();
        let (mut queued, mut written, mut answered) = (0usize, 0usize, 0usize);
        for step in steps {
            match step {
                Step::Queue(size) => {
                    let value = vec![b'v'; size];
                    let before = session.output().len();
                    session.send(&cmd::Set::new("key", &value[..], Ttl::Never), frames.len()).unwrap();
                    let len = session.output().len() - before;
                    frames.push((queued, queued + len));
                    queued += len;
                }
                Step::Write { percent } => {
                    let writable = session.writable().len();
                    let n = (writable * usize::from(percent)).div_ceil(100);
                    // What is writable ends on a request boundary.
                    let end = written + writable;
                    prop_assert!(writable == 0 || frames.iter().any(|(_, e)| *e == end));
                    // Within the window, or a single request alone.
                    let unanswered: Vec<_> =
                        frames.iter().filter(|(s, e)| *e > answered && *s < end).collect();
                    prop_assert!(
                        end - answered <= window || unanswered.len() == 1,
                        "{} bytes unanswered in {} requests, window {window}",
                        end - answered,
                        unanswered.len()
                    );
                    session.consume_output(n);
                    written += n;
                }
                Step::Answer => {
                    // Only a request written whole can be answered.
                    let next = frames.iter().find(|(_, e)| *e > answered);
                    if let Some(&(_, e)) = next.filter(|(_, e)| *e <= written) {
                        session.feed(OK);
                        let done = session.poll_reply().expect("a reply");
                        prop_assert!(done.result.is_ok());
                        answered = e;
                    }
                }
            }
        }
        // Draining: everything queued is eventually written and answered.
        let mut rounds = 0;
        while answered < queued {
            rounds += 1;
            prop_assert!(rounds < 100_000, "stuck with {} bytes unwritten", queued - written);
            let n = session.writable().len();
            session.consume_output(n);
            written += n;
            while let Some(&(_, e)) = frames.iter().find(|(_, e)| *e > answered) {
                if e > written {
                    break;
                }
                session.feed(OK);
                prop_assert!(session.poll_reply().is_some());
                answered = e;
            }
        }
        prop_assert!(session.output().is_empty() && session.is_idle());
    }
}
