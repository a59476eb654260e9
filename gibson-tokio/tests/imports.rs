//! Every type a public signature of gibson-tokio names can be imported
//! from gibson-tokio itself.

#[allow(unused_imports)]
use gibson_tokio::{Error, Opcode, PrefixScan, ProtocolError, ServerError};

#[test]
fn error_parts_and_scans_are_importable() {
    let e = Error::Server {
        command: Opcode::Get,
        kind: ServerError::Locked,
    };
    assert!(e.is_locked());
    let _: Option<PrefixScan<(String, String)>> = None;
    let p: Error = ProtocolError::UnsolicitedReply.into();
    assert!(p.is_connection_broken());
}
