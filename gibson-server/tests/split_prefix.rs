//! A request size prefix that arrives in pieces breaks the connection, as
//! on the real server (which reads the rest of the prefix into the wrong
//! place); a body in pieces is fine. The setting can be turned off.

mod common;

use std::io::Write;
use std::time::Duration;

use common::target::Target;
use common::*;

/// Sends `bytes` in two writes, `at` bytes first, with a pause between so
/// that the server reads them apart.
fn send_split(r: &mut Raw, bytes: &[u8], at: usize) {
    r.s.write_all(&bytes[..at]).unwrap();
    r.s.flush().unwrap();
    std::thread::sleep(Duration::from_millis(150));
    r.s.write_all(&bytes[at..]).unwrap();
}

#[test]
fn a_body_in_pieces_is_read_whole() {
    let t = Target::start("splitbody");
    let mut r = t.conn();
    let a = t.key("a");
    let mut set = b"0 ".to_vec();
    set.extend_from_slice(&a);
    set.extend_from_slice(b" value");
    send_split(&mut r, &frame(SET, &set), 4);
    assert_eq!(r.read_reply().unwrap(), val(b"value"));
    send_split(&mut r, &frame(GET, &a), 7);
    assert_eq!(r.read_reply().unwrap(), val(b"value"));
}

#[test]
fn a_size_prefix_in_pieces_breaks_the_connection() {
    let Some(t) = Target::start_with(
        "splitprefix",
        "the real server's outcome depends on the split (it hangs or misreads the size)",
        |b| b,
    ) else {
        return;
    };
    for at in 1..4 {
        let mut r = t.conn();
        assert_eq!(r.req(PING, b""), ok());
        send_split(&mut r, &frame(PING, b""), at);
        assert!(r.closed(), "prefix split at {at}: closed without a reply");
    }
}

#[test]
fn the_split_prefix_check_can_be_turned_off() {
    let Some(t) = Target::start_with("splitoff", "a setting of the embedded server", |b| {
        b.break_on_split_prefix(false)
    }) else {
        return;
    };
    let mut r = t.conn();
    for at in 1..4 {
        send_split(&mut r, &frame(PING, b""), at);
        assert_eq!(r.read_reply().unwrap(), ok());
    }
}
