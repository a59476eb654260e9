//! Raw-frame helpers shared by the integration tests: build request frames
//! and expected reply bytes by hand, read replies without any decoder.

#![allow(dead_code, unreachable_pub)]

pub mod target;

use std::io::{Read, Write};
use std::net::TcpStream;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use gibson_server::{Builder, ManualClock, Server, ServerAddr};

pub const T0: i64 = 1_700_000_000;

pub const SET: u16 = 1;
pub const TTL: u16 = 2;
pub const GET: u16 = 3;
pub const DEL: u16 = 4;
pub const INC: u16 = 5;
pub const DEC: u16 = 6;
pub const LOCK: u16 = 7;
pub const UNLOCK: u16 = 8;
pub const MSET: u16 = 9;
pub const MTTL: u16 = 10;
pub const MGET: u16 = 11;
pub const MDEL: u16 = 12;
pub const MINC: u16 = 13;
pub const MDEC: u16 = 14;
pub const MLOCK: u16 = 15;
pub const MUNLOCK: u16 = 16;
pub const COUNT: u16 = 17;
pub const STATS: u16 = 18;
pub const PING: u16 = 19;
pub const META: u16 = 20;
pub const KEYS: u16 = 21;
pub const END: u16 = 255;

/// A request frame: size, opcode, payload.
pub fn frame(op: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(6 + payload.len());
    f.extend_from_slice(&((payload.len() + 2) as u32).to_le_bytes());
    f.extend_from_slice(&op.to_le_bytes());
    f.extend_from_slice(payload);
    f
}

/// A data-less reply: `code 0 | 1 | 00`.
pub fn code(c: u16) -> Vec<u8> {
    let mut r = c.to_le_bytes().to_vec();
    r.extend_from_slice(&[0, 1, 0, 0, 0, 0]);
    r
}

pub fn ok() -> Vec<u8> {
    code(5)
}
pub fn err() -> Vec<u8> {
    code(0)
}
pub fn not_found() -> Vec<u8> {
    code(1)
}
pub fn nan() -> Vec<u8> {
    code(2)
}
pub fn mem() -> Vec<u8> {
    code(3)
}
pub fn locked() -> Vec<u8> {
    code(4)
}

/// VAL plain.
pub fn val(bytes: &[u8]) -> Vec<u8> {
    let mut r = vec![6, 0, 0];
    r.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    r.extend_from_slice(bytes);
    r
}

/// VAL number (8 bytes).
pub fn num(n: i64) -> Vec<u8> {
    let mut r = vec![6, 0, 2, 8, 0, 0, 0];
    r.extend_from_slice(&n.to_le_bytes());
    r
}

/// A KVAL value.
#[derive(Debug, Clone)]
pub enum V<'a> {
    P(&'a [u8]),
    N(i64),
}

/// KVAL.
pub fn kval(pairs: &[(&[u8], V<'_>)]) -> Vec<u8> {
    let mut data = (pairs.len() as u32).to_le_bytes().to_vec();
    for (k, v) in pairs {
        data.extend_from_slice(&(k.len() as u32).to_le_bytes());
        data.extend_from_slice(k);
        match v {
            V::P(b) => {
                data.push(0);
                data.extend_from_slice(&(b.len() as u32).to_le_bytes());
                data.extend_from_slice(b);
            }
            V::N(n) => {
                data.push(2);
                data.extend_from_slice(&8u32.to_le_bytes());
                data.extend_from_slice(&n.to_le_bytes());
            }
        }
    }
    let mut r = vec![7, 0, 0];
    r.extend_from_slice(&(data.len() as u32).to_le_bytes());
    r.extend_from_slice(&data);
    r
}

/// KEYS reply for these names.
pub fn keys_reply(names: &[&[u8]]) -> Vec<u8> {
    let idx: Vec<String> = (0..names.len()).map(|i| i.to_string()).collect();
    let pairs: Vec<(&[u8], V<'_>)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (idx[i].as_bytes(), V::P(n)))
        .collect();
    kval(&pairs)
}

/// A server on 127.0.0.1:0 with a manual clock at `T0`.
pub fn start(builder: Builder) -> (Server, ManualClock) {
    let clock = ManualClock::new(T0);
    let server = builder
        .clock(clock.clone())
        .bind_tcp("127.0.0.1:0")
        .expect("bind");
    (server, clock)
}

/// [`start`], and a raw connection to the server.
pub fn start_raw(builder: Builder) -> (Server, ManualClock, Raw) {
    let (server, clock) = start(builder);
    let raw = Raw::connect(&server);
    (server, clock, raw)
}

/// A TCP or Unix stream.
pub enum Stream {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            #[cfg(unix)]
            Stream::Unix(s) => s.flush(),
        }
    }
}

/// A raw connection.
pub struct Raw {
    pub s: Stream,
}

impl Raw {
    pub fn connect(server: &Server) -> Raw {
        let ServerAddr::Tcp(addr) = server.addr().clone() else {
            panic!("tcp expected")
        };
        Raw::tcp(&addr.to_string())
    }

    /// A connection to `host:port`.
    pub fn tcp(addr: &str) -> Raw {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        Raw { s: Stream::Tcp(s) }
    }

    /// A connection to a Unix socket.
    #[cfg(unix)]
    pub fn unix(path: &Path) -> Raw {
        let s = UnixStream::connect(path).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Raw { s: Stream::Unix(s) }
    }

    /// No Unix sockets on this target.
    #[cfg(not(unix))]
    pub fn unix(path: &Path) -> Raw {
        panic!("{}", gibson_proto::unix_sockets_unsupported(path))
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).expect("write");
    }

    /// Reads one reply frame, raw; `None` on EOF before any byte.
    pub fn read_reply(&mut self) -> Option<Vec<u8>> {
        let mut header = [0u8; 7];
        let mut got = 0;
        while got < 7 {
            match self.s.read(&mut header[got..]) {
                Ok(0) if got == 0 => return None,
                Ok(0) => panic!("EOF inside a reply header"),
                Ok(n) => got += n,
                Err(e) => panic!("read: {e}"),
            }
        }
        let size = u32::from_le_bytes([header[3], header[4], header[5], header[6]]) as usize;
        let mut data = vec![0u8; size];
        self.s.read_exact(&mut data).expect("reply data");
        let mut r = header.to_vec();
        r.extend_from_slice(&data);
        Some(r)
    }

    /// Sends one request and returns its raw reply.
    pub fn req(&mut self, op: u16, payload: &[u8]) -> Vec<u8> {
        self.send(&frame(op, payload));
        self.read_reply().expect("a reply, got EOF")
    }

    /// `true` when the server closed the connection (EOF or reset) with no
    /// further byte.
    pub fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        match self.s.read(&mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
            ),
        }
    }
}

/// The STATS reply, decoded.
pub fn stats_pairs(r: &mut Raw) -> gibson_proto::Pairs {
    let mut buf = bytes::BytesMut::from(&r.req(STATS, b"")[..]);
    let Ok(Some(gibson_proto::Reply::Pairs(pairs))) =
        gibson_proto::Decoder::default().decode(&mut buf)
    else {
        panic!("STATS is not a KVAL")
    };
    pairs
}

/// The value of the STATS entry `name`.
pub fn stat(pairs: &gibson_proto::Pairs, name: &str) -> gibson_proto::Value {
    pairs
        .iter()
        .find(|(k, _)| &k[..] == name.as_bytes())
        .unwrap_or_else(|| panic!("no STATS entry {name}"))
        .1
}

/// STATS as name → value (numbers, and text values parsed when they are
/// numbers; others read 0).
pub fn stats(r: &mut Raw) -> std::collections::HashMap<String, i64> {
    stats_pairs(r)
        .iter()
        .map(|(k, v)| {
            let n = v.as_int().unwrap_or(0);
            (String::from_utf8_lossy(&k[..]).into_owned(), n)
        })
        .collect()
}
