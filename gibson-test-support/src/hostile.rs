//! Scripted hostile servers: they read request frames like a Gibson server
//! but answer in ways a broken or malicious peer might.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use gibson_policy::Addr;

/// How a [`HostileServer`] answers each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behavior {
    /// Bytes that are no reply at all (an unknown reply code).
    Garbage,
    /// A VAL header announcing 4 GiB − 1 of data, then a trickle of bytes.
    HugeAnnounce,
    /// The first half of a valid VAL reply, then close.
    Truncate,
    /// Read requests, never answer.
    Silent,
}

/// A hostile server on `127.0.0.1:0`. Stops when dropped.
#[derive(Debug)]
pub struct HostileServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl HostileServer {
    /// Starts a server that answers every request with `behavior`.
    pub fn start(behavior: Behavior) -> HostileServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind hostile server");
        let addr = listener.local_addr().expect("hostile address");
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU64::new(0));
        let (s, r) = (stop.clone(), requests.clone());
        let thread = thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (s, r) = (s.clone(), r.clone());
                        thread::spawn(move || {
                            let _ = serve(conn, behavior, &s, &r);
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        HostileServer {
            addr,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    /// Where clients connect.
    pub fn addr(&self) -> Addr {
        Addr::Tcp {
            host: self.addr.ip().to_string(),
            port: self.addr.port(),
        }
    }

    /// Request frames received so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request frame; `None` at EOF.
fn read_request(conn: &mut TcpStream, stop: &AtomicBool) -> io::Result<Option<()>> {
    let mut size = [0u8; 4];
    loop {
        match conn.read_exact(&mut size) {
            Ok(()) => break,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if stop.load(Ordering::Relaxed) {
                    return Ok(None);
                }
            }
            Err(e) => return Err(e),
        }
    }
    let size = u32::from_le_bytes(size) as u64;
    io::copy(&mut Read::by_ref(conn).take(size), &mut io::sink())?;
    Ok(Some(()))
}

fn serve(
    mut conn: TcpStream,
    behavior: Behavior,
    stop: &AtomicBool,
    requests: &AtomicU64,
) -> io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(Duration::from_millis(100)))?;
    while read_request(&mut conn, stop)?.is_some() {
        requests.fetch_add(1, Ordering::Relaxed);
        match behavior {
            Behavior::Garbage => conn.write_all(b"\xde\xad\xbe\xef garbage, not a reply")?,
            Behavior::HugeAnnounce => {
                // VAL, PLAIN, size 0xFFFF_FFFF.
                conn.write_all(&[6, 0, 0, 0xff, 0xff, 0xff, 0xff])?;
                conn.write_all(&[b'x'; 1024])?;
            }
            Behavior::Truncate => {
                // VAL "0123456789", cut after 5 data bytes.
                conn.write_all(&[6, 0, 0, 10, 0, 0, 0])?;
                conn.write_all(b"01234")?;
                let _ = conn.shutdown(Shutdown::Both);
                return Ok(());
            }
            Behavior::Silent => {}
        }
    }
    Ok(())
}
