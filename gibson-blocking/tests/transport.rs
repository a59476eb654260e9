//! The transport: TCP and Unix sockets connected with `TCP_NODELAY` and the
//! timeouts asked for, usable as `Read + Write`; failures as errors.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use gibson_blocking::transport::{self, Stream};
use gibson_blocking::{Addr, Error};
use gibson_test_support::TestServer;

const PING: &[u8] = b"\x02\x00\x00\x00\x13\x00";
const SECOND: Duration = Duration::from_secs(1);

/// Sends a PING and reads the whole OK reply.
fn ping(stream: &mut Stream) {
    stream.write_all(PING).unwrap();
    let mut header = [0u8; 7];
    stream.read_exact(&mut header).unwrap();
    assert_eq!(header[..2], [5, 0], "OK");
    let size = u32::from_le_bytes(header[3..].try_into().unwrap());
    stream.read_exact(&mut vec![0; size as usize]).unwrap();
}

#[test]
fn tcp_has_nodelay_and_the_timeouts() {
    let server = TestServer::start();
    let mut stream = transport::connect(server.addr(), SECOND, Some(2 * SECOND)).unwrap();
    ping(&mut stream);
    let timeouts = |s: &Stream| match s {
        Stream::Tcp(s) => {
            assert!(s.nodelay().unwrap(), "TCP_NODELAY");
            (s.read_timeout().unwrap(), s.write_timeout().unwrap())
        }
        #[cfg(unix)]
        Stream::Unix(s) => (s.read_timeout().unwrap(), s.write_timeout().unwrap()),
    };
    assert_eq!(timeouts(&stream), (Some(2 * SECOND), Some(2 * SECOND)));
    stream.set_timeouts(None).unwrap();
    assert_eq!(timeouts(&stream), (None, None));
    // A clone shares the socket.
    let mut clone = stream.try_clone().unwrap();
    ping(&mut clone);
}

#[test]
#[cfg(unix)]
fn unix_sockets_connect_too() {
    let server = TestServer::start_unix();
    let mut stream = transport::connect(server.addr(), SECOND, Some(SECOND)).unwrap();
    ping(&mut stream);
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    assert_eq!(stream.read_to_end(&mut rest).unwrap(), 0, "EOF after FIN");
}

#[test]
fn a_refused_connection_is_an_io_error() {
    // A port just freed: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = Addr::Tcp {
        host: "127.0.0.1".into(),
        port,
    };
    let err = transport::connect(&addr, SECOND, None).unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err}");
}

#[test]
fn a_missing_socket_path_is_an_io_error() {
    let addr = Addr::Unix(gibson_test_support::temp_socket_path());
    let err = transport::connect(&addr, SECOND, None).unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err}");
}

#[test]
fn a_read_past_the_timeout_fails() {
    let server = TestServer::start();
    let mut stream =
        transport::connect(server.addr(), SECOND, Some(Duration::from_millis(50))).unwrap();
    let mut buf = [0u8; 1];
    // Nothing was asked: nothing comes.
    assert!(stream.read(&mut buf).is_err());
}
