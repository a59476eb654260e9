//! The connection handler under arbitrary byte streams (the same entry
//! point the cargo-fuzz target uses): it must never panic, and its buffers
//! and store stay bounded (checked inside `fuzz_connection`).

use proptest::prelude::*;

fn frame(op: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = ((payload.len() + 2) as u32).to_le_bytes().to_vec();
    f.extend_from_slice(&op.to_le_bytes());
    f.extend_from_slice(payload);
    f
}

/// Mostly well-formed frames over a tiny key space, with garbage mixed in.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let op = prop_oneof![1u16..=21, Just(255u16), any::<u16>()];
    let payload = prop_oneof![
        proptest::collection::vec(proptest::sample::select(b"ab 0-19\0x".to_vec()), 0..24),
        proptest::collection::vec(any::<u8>(), 0..200),
    ];
    let piece = prop_oneof![
        8 => (op, payload).prop_map(|(op, p)| frame(op, &p)),
        1 => proptest::collection::vec(any::<u8>(), 0..16),
    ];
    (any::<u8>(), proptest::collection::vec(piece, 0..60)).prop_map(|(chunk, pieces)| {
        let mut data = vec![chunk];
        for p in pieces {
            data.extend_from_slice(&p);
        }
        data
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_streams_never_panic(data in stream()) {
        gibson_server::fuzz_connection(&data);
    }

    #[test]
    fn raw_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
        gibson_server::fuzz_connection(&data);
    }
}

#[test]
fn huge_announced_sizes_are_refused_without_allocating() {
    let mut data = vec![7u8];
    data.extend_from_slice(&[0xff, 0xff, 0xff, 0x7f, 3, 0]);
    data.extend_from_slice(&[b'a'; 100]);
    gibson_server::fuzz_connection(&data);
}
