//! A fault-injecting TCP proxy on std threads, usable from every runtime's
//! tests: clients connect to [`Proxy::addr`], the proxy forwards to the
//! server and applies the [`Faults`] in force.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use gibson_blocking::transport::{self, Stream};
use gibson_policy::Addr;

use crate::chunking::RequestChunker;

/// The faults applied to traffic. Changes apply to data forwarded after the
/// change (and `blackhole` to connections accepted after it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Delay added before forwarding each chunk, both ways.
    pub latency: Duration,
    /// Bandwidth limit per direction, bytes per second.
    pub bytes_per_sec: Option<u64>,
    /// Forward in chunks of at most this many bytes, one write each (1 for
    /// byte-by-byte). Towards the server a request's 4-byte size prefix is
    /// never split: Gibson servers cannot read a size
    /// prefix that arrives in pieces.
    pub chunk: Option<usize>,
    /// Accept connections and never answer (requests are read and dropped).
    pub blackhole: bool,
    /// Reset (RST) the client connection after this many reply bytes,
    /// counted from when these faults were set.
    pub reset_after_reply_bytes: Option<u64>,
    /// Close the client connection (FIN) after this many reply bytes,
    /// counted from when these faults were set.
    pub close_after_reply_bytes: Option<u64>,
}

/// How long the proxy waits for the server when a client connects.
const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The proxy. Stops (and closes every connection) when dropped.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    upstream: Addr,
    faults: Mutex<Faults>,
    /// Bumped by every `set_faults`, so byte counts restart.
    generation: AtomicU64,
    stop: AtomicBool,
    /// Clones of every live client socket, to kill them on demand.
    clients: Mutex<Vec<TcpStream>>,
    connections: AtomicU64,
    /// Reads that brought requests from clients.
    request_reads: AtomicU64,
    /// Client connections accepted and not yet closed.
    open: AtomicU64,
    /// Connections accepted before this many (their index below it) are
    /// frozen: see [`Proxy::freeze_open`].
    frozen_below: AtomicU64,
}

/// Counts a client connection as open while it lives.
struct OpenConnection(Arc<Shared>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Proxy {
    /// Starts a proxy on `127.0.0.1:0` forwarding to `upstream`.
    pub fn start(upstream: Addr) -> Proxy {
        Proxy::start_at(([127, 0, 0, 1], 0).into(), upstream).expect("bind proxy")
    }

    /// Starts a proxy listening on `at` forwarding to `upstream`; fails
    /// when `at` cannot be bound.
    pub fn start_at(at: std::net::SocketAddr, upstream: Addr) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind(at)?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let shared = Arc::new(Shared {
            upstream,
            faults: Mutex::new(Faults::default()),
            generation: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            clients: Mutex::new(Vec::new()),
            connections: AtomicU64::new(0),
            request_reads: AtomicU64::new(0),
            open: AtomicU64::new(0),
            frozen_below: AtomicU64::new(0),
        });
        let s = shared.clone();
        let accept = thread::spawn(move || accept_loop(listener, s));
        Ok(Proxy {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Where clients connect.
    pub fn addr(&self) -> Addr {
        Addr::Tcp {
            host: self.addr.ip().to_string(),
            port: self.addr.port(),
        }
    }

    /// Replaces the faults in force.
    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Reads that brought requests from clients, over all connections: a
    /// client that pipelines its requests in one write shows as one read
    /// (or a few, when the kernel delivers the write in pieces), one that
    /// waits for each reply as one read per request.
    pub fn request_reads(&self) -> u64 {
        self.shared.request_reads.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Client connections open now: accepted, and neither side has closed
    /// them yet (the proxy closes its side once the client or the server
    /// closed theirs).
    pub fn open_connections(&self) -> u64 {
        self.shared.open.load(Ordering::SeqCst)
    }

    /// Freezes every connection open now, as a frozen host or a dead NAT
    /// entry would: what either side sends is read and dropped, and the
    /// sockets stay open. Connections accepted later are served as usual.
    pub fn freeze_open(&self) {
        let accepted = self.shared.connections.load(Ordering::SeqCst);
        self.shared.frozen_below.store(accepted, Ordering::SeqCst);
    }

    /// Resets (RST) every client connection now.
    pub fn reset_all(&self) {
        let mut clients = self
            .shared
            .clients
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for c in clients.drain(..) {
            reset(&c);
        }
    }
}

impl Proxy {
    /// Stops the proxy as dropping it does: the listener closes (new
    /// connections are refused) and every connection is reset; the counts
    /// stay readable.
    pub fn close(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.reset_all();
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.close();
    }
}

fn reset(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
    let _ = stream.shutdown(Shutdown::Both);
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while !shared.stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((client, _)) => {
                let index = shared.connections.fetch_add(1, Ordering::SeqCst);
                shared.open.fetch_add(1, Ordering::SeqCst);
                let open = OpenConnection(shared.clone());
                let _ = client.set_nonblocking(false);
                let _ = client.set_nodelay(true);
                let s = shared.clone();
                thread::spawn(move || {
                    serve(client, s, index);
                    drop(open);
                });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5))
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn faults(shared: &Shared) -> Faults {
    shared
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// `true` once connection `index` is frozen ([`Proxy::freeze_open`]).
fn frozen(shared: &Shared, index: u64) -> bool {
    index < shared.frozen_below.load(Ordering::SeqCst)
}

fn serve(client: TcpStream, shared: Arc<Shared>, index: u64) {
    if let Ok(c) = client.try_clone() {
        shared
            .clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(c);
    }
    if faults(&shared).blackhole {
        let mut client = client;
        let mut buf = [0u8; 4096];
        while !shared.stop.load(Ordering::Relaxed) {
            match client.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
        return;
    }
    let Ok(upstream) = transport::connect(&shared.upstream, UPSTREAM_CONNECT_TIMEOUT, None) else {
        reset(&client);
        return;
    };
    let (Ok(client2), Ok(upstream2)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let s = shared.clone();
    // Requests: client → server.
    let up = thread::spawn(move || {
        let mut upstream2 = upstream2;
        pump(client2, &mut upstream2, &s, index);
        let _ = upstream2.shutdown(Shutdown::Both);
    });
    // Replies: server → client, where the reply faults apply.
    let mut client_w = client;
    let mut upstream_r = upstream;
    pump_replies(&mut upstream_r, &mut client_w, &shared, index);
    let _ = upstream_r.shutdown(Shutdown::Both);
    let _ = up.join();
}

/// Requests: cut by a [`RequestChunker`], so that no size prefix is split.
fn pump(mut from: TcpStream, to: &mut Stream, shared: &Shared, index: u64) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut chunker = RequestChunker::default();
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if frozen(shared, index) {
            continue;
        }
        shared.request_reads.fetch_add(1, Ordering::SeqCst);
        let f = faults(shared);
        let writes = chunker.cut(&buf[..n], f.chunk);
        if forward(writes.iter().map(Vec::as_slice), to, &f).is_err() {
            return;
        }
    }
}

fn pump_replies(from: &mut Stream, to: &mut TcpStream, shared: &Shared, index: u64) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut sent: u64 = 0;
    let mut generation = shared.generation.load(Ordering::SeqCst);
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => {
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => n,
        };
        if frozen(shared, index) {
            continue;
        }
        let f = faults(shared);
        let now = shared.generation.load(Ordering::SeqCst);
        if now != generation {
            generation = now;
            sent = 0;
        }
        let mut data = &buf[..n];
        let limit = f.reset_after_reply_bytes.or(f.close_after_reply_bytes);
        let mut cut = false;
        if let Some(limit) = limit {
            let room = limit.saturating_sub(sent) as usize;
            if data.len() >= room {
                data = &data[..room];
                cut = true;
            }
        }
        let chunk = f.chunk.unwrap_or(usize::MAX).max(1);
        if forward(data.chunks(chunk), to, &f).is_err() {
            return;
        }
        sent += data.len() as u64;
        if cut {
            if f.reset_after_reply_bytes.is_some() {
                reset(to);
            } else {
                let _ = to.shutdown(Shutdown::Both);
            }
            return;
        }
    }
}

/// Writes `pieces` one write each, after the latency and at the bandwidth
/// the faults ask for.
fn forward<'a>(
    pieces: impl Iterator<Item = &'a [u8]>,
    to: &mut impl Write,
    f: &Faults,
) -> io::Result<()> {
    if !f.latency.is_zero() {
        thread::sleep(f.latency);
    }
    for piece in pieces {
        to.write_all(piece)?;
        if let Some(bps) = f.bytes_per_sec {
            let secs = piece.len() as f64 / bps.max(1) as f64;
            thread::sleep(Duration::from_secs_f64(secs));
        }
    }
    Ok(())
}
