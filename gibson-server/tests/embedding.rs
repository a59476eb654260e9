//! The embedded server starts and stops from any context: plain threads and
//! inside a tokio runtime, and after a drop the port is free again.

use std::io::{Read, Write};

use gibson_server::{Server, ServerAddr};

fn ping(server: &Server) -> [u8; 8] {
    let ServerAddr::Tcp(addr) = server.addr().clone() else {
        panic!()
    };
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(&[2, 0, 0, 0, 19, 0]).unwrap();
    let mut reply = [0u8; 8];
    s.read_exact(&mut reply).unwrap();
    reply
}

#[test]
fn from_a_plain_thread() {
    let server = Server::builder().bind_tcp("127.0.0.1:0").unwrap();
    assert!(server.addr().to_string().starts_with("127.0.0.1:"));
    assert_eq!(ping(&server), [5, 0, 0, 1, 0, 0, 0, 0]);
    server.shutdown();
}

#[tokio::test]
async fn from_inside_a_tokio_runtime() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = Server::builder().bind_tcp("127.0.0.1:0").unwrap();
    let ServerAddr::Tcp(addr) = server.addr().clone() else {
        panic!()
    };
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(&[2, 0, 0, 0, 19, 0]).await.unwrap();
    let mut reply = [0u8; 8];
    s.read_exact(&mut reply).await.unwrap();
    assert_eq!(reply, [5, 0, 0, 1, 0, 0, 0, 0]);
    drop(server);
    let mut b = [0u8; 1];
    assert_eq!(s.read(&mut b).await.unwrap_or(0), 0, "closed on drop");
}
