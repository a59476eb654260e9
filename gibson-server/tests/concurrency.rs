//! Fifty concurrent clients, each pipelining, get their own replies in order.

mod common;

use common::*;
use gibson_server::Server;

#[test]
fn fifty_pipelining_clients_get_their_own_replies_in_order() {
    let (s, _c) = start(Server::builder());
    let handles: Vec<_> = (0..50)
        .map(|id| {
            let mut conn = Raw::connect(&s);
            std::thread::spawn(move || {
                for round in 0..10 {
                    let mut frames = Vec::new();
                    let mut want = Vec::new();
                    for i in 0..40 {
                        let key = format!("c{id}:k{i}");
                        let value = format!("v{id}-{round}-{i}");
                        frames.extend(frame(SET, format!("0 {key} {value}").as_bytes()));
                        want.push(val(value.as_bytes()));
                        frames.extend(frame(GET, key.as_bytes()));
                        want.push(val(value.as_bytes()));
                        frames.extend(frame(INC, format!("c{id}:n").as_bytes()));
                        want.push(num(round * 40 + i as i64 + 1));
                    }
                    frames.extend(frame(COUNT, format!("c{id}:k").as_bytes()));
                    want.push(num(40));
                    conn.send(&frames);
                    for (n, w) in want.iter().enumerate() {
                        let got = conn.read_reply().expect("reply");
                        assert_eq!(&got, w, "client {id} round {round} reply {n}");
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
    let mut r = Raw::connect(&s);
    assert_eq!(r.req(COUNT, b"c"), num(50 * 41));
}
