//! Using gibson-proto in your own event loop: three non-blocking TCP
//! connections on one `mio::Poll`, each driven by a [`Session`], no async
//! runtime and no client crate. (It lives beside the server only to start
//! one when no address is given; the loop uses gibson-proto and mio alone.)
//!
//! ```text
//! cargo run -p gibson-server --example event_loop
//! GIBSON_ADDR=127.0.0.1:10128 cargo run -p gibson-server --example event_loop
//! ```
//!
//! Without `GIBSON_ADDR` it starts an embedded `gibson-server`. Each
//! connection pipelines SETs of its own keys, then GETs them back, and
//! checks every reply; the program exits non-zero on the first mismatch,
//! error or timeout. The session has no clock: the loop keeps a deadline
//! per request (replies come back in request order, so the oldest deadline
//! is the next one due), sleeps in `poll` no longer than that, and fails
//! the session when it passes.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use gibson_proto::{cmd, Completion, Error, Reply, Session, Ttl, Value};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

/// Connections on the one poll.
const CONNECTIONS: usize = 3;
/// Keys each connection writes and reads back.
const KEYS: usize = 200;
/// How long a request may wait for its reply.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// What a request was sent for: its phase and key number. The session
/// hands it back with the reply.
#[derive(Debug, Clone, Copy)]
enum Check {
    Set(usize),
    Get(usize),
}

/// One connection: its socket, its session and its requests' deadlines.
struct Conn {
    stream: TcpStream,
    connected: bool,
    session: Session<Check>,
    /// One per request in flight, oldest first, as the replies will come.
    deadlines: VecDeque<Instant>,
    prefix: String,
    /// SETs confirmed so far, then GETs confirmed.
    sets_done: usize,
    gets_done: usize,
}

impl Conn {
    fn key(&self, i: usize) -> String {
        format!("{}k{i}", self.prefix)
    }

    fn value(&self, i: usize) -> String {
        format!("value {i} of {}", self.prefix)
    }

    fn finished(&self) -> bool {
        self.gets_done == KEYS
    }

    /// Queues a request: the session encodes it into its output buffer,
    /// the loop notes when its reply is due.
    fn send(&mut self, check: Check, now: Instant) -> Result<(), Error> {
        match check {
            Check::Set(i) => {
                let set = cmd::Set::new(self.key(i), self.value(i), Ttl::Seconds(60));
                self.session.send(&set, check)?
            }
            Check::Get(i) => {
                let get = cmd::Get::<_, bytes::Bytes>::new(self.key(i));
                self.session.send(&get, check)?
            }
        };
        self.deadlines.push_back(now + RESPONSE_TIMEOUT);
        Ok(())
    }

    /// Everything that can happen on this connection now: finish the
    /// connect, read, hand out replies (sending the GETs once the SETs
    /// are in), fail overdue requests, and write.
    fn drive(&mut self, now: Instant) -> Result<(), String> {
        if !self.connected {
            match self.stream.peer_addr() {
                Ok(_) => self.connected = true,
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {}
                Err(e) => return Err(format!("connect: {e}")),
            }
            if let Some(e) = self.stream.take_error().map_err(|e| e.to_string())? {
                return Err(format!("connect: {e}"));
            }
            if !self.connected {
                return Ok(());
            }
        }
        self.read();
        if self.deadlines.front().is_some_and(|due| now >= *due) {
            // Every request still pending fails with this, in order.
            self.session.fail(Error::Timeout {
                what: "response",
                after: RESPONSE_TIMEOUT,
            });
        }
        while let Some(done) = self.session.poll_reply() {
            self.deadlines.pop_front();
            self.complete(done, now)?;
        }
        self.write().map_err(|e| format!("write: {e}"))
    }

    /// Reads until the socket has nothing more (mio is edge-triggered).
    fn read(&mut self) {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return self.session.close(),
                Ok(n) => self.session.feed(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.session.fail(e.into()),
            }
        }
    }

    /// Writes what the session allows now (whole requests, within its
    /// write window) until it or the socket has no more room.
    fn write(&mut self) -> io::Result<()> {
        loop {
            let out = self.session.writable();
            if out.is_empty() {
                return Ok(());
            }
            match self.stream.write(out) {
                Ok(n) => self.session.consume_output(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Checks one reply against what its request expects.
    fn complete(&mut self, done: Completion<Check>, now: Instant) -> Result<(), String> {
        let reply = done
            .result
            .map_err(|e| format!("{} {:?}: {e}", done.opcode, done.token))?;
        let (Check::Set(i) | Check::Get(i)) = done.token;
        let want = Reply::Value(Value::from(self.value(i)));
        if reply != want {
            return Err(format!(
                "{} {}: got {reply:?}, want {want:?}",
                done.opcode,
                self.key(i)
            ));
        }
        match done.token {
            Check::Set(_) => {
                self.sets_done += 1;
                if self.sets_done == KEYS {
                    // Every SET is in: read them all back, pipelined.
                    for i in 0..KEYS {
                        self.send(Check::Get(i), now).map_err(|e| e.to_string())?;
                    }
                }
            }
            Check::Get(_) => self.gets_done += 1,
        }
        Ok(())
    }
}

/// The server's TCP address (`host:port`: this example speaks TCP only).
fn socket_addr(addr: &str) -> Result<SocketAddr, String> {
    addr.to_socket_addrs()
        .map_err(|e| format!("{addr}: {e} (this example connects over TCP only)"))?
        .next()
        .ok_or_else(|| format!("{addr} resolves to no address"))
}

fn run(addr: SocketAddr) -> Result<(), String> {
    let mut poll = Poll::new().map_err(|e| e.to_string())?;
    let mut conns = Vec::new();
    let now = Instant::now();
    for n in 0..CONNECTIONS {
        let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        poll.registry()
            .register(
                &mut stream,
                Token(n),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| e.to_string())?;
        let mut conn = Conn {
            stream,
            connected: false,
            session: Session::new(Default::default()),
            deadlines: VecDeque::new(),
            prefix: format!("evloop{n}:{}:", std::process::id()),
            sets_done: 0,
            gets_done: 0,
        };
        // Queued before the connect completes; written once it has.
        for i in 0..KEYS {
            conn.send(Check::Set(i), now).map_err(|e| e.to_string())?;
        }
        conns.push(conn);
    }

    let mut events = Events::with_capacity(64);
    while !conns.iter().all(Conn::finished) {
        // Sleep until a socket is ready or the next reply is overdue.
        let next_due = conns.iter().filter_map(|c| c.deadlines.front()).min();
        let timeout = next_due.map(|due| due.saturating_duration_since(Instant::now()));
        match poll.poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.to_string()),
        }
        // Cheap enough for three sockets: drive each on every wake-up.
        let now = Instant::now();
        for (n, conn) in conns.iter_mut().enumerate() {
            conn.drive(now)
                .map_err(|e| format!("connection {n}: {e}"))?;
        }
    }
    for (n, conn) in conns.iter().enumerate() {
        println!(
            "connection {n}: {} SETs and {} GETs checked ({}…)",
            conn.sets_done, conn.gets_done, conn.prefix
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    // GIBSON_ADDR (host:port), or an embedded server living as long as
    // `_embedded`.
    let given = std::env::var("GIBSON_ADDR")
        .ok()
        .filter(|a| !a.trim().is_empty());
    let (addr, _embedded) = match given {
        Some(a) => (a.trim().trim_start_matches("gibson://").to_string(), None),
        None => match gibson_server::Server::builder().bind_tcp("127.0.0.1:0") {
            Ok(server) => {
                let addr = server.addr().to_string();
                println!("(no GIBSON_ADDR: using an embedded server at {addr})");
                (addr, Some(server))
            }
            Err(e) => {
                eprintln!("event_loop: cannot start the embedded server: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    match socket_addr(&addr).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("event_loop: {e}");
            ExitCode::FAILURE
        }
    }
}
