//! `--raw`: the same workload through a minimal hand-written socket loop
//! (std::net, one thread per client, a sliding window of `-P` frames in
//! flight, replies counted from their headers), so that the libraries'
//! overhead shows as a ratio measured in the same run.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use gibson_proto::Addr;

use super::report::WorkerOut;
use super::runners::share;
use super::Plan;

/// Reply header: code u16, encoding u8, size u32.
const HEADER: usize = 7;

/// Runs one test's frames (`frames[i % len]` is request `i`).
pub(crate) fn run_raw(
    plan: &Plan,
    done: &Arc<AtomicU64>,
    frames: Vec<Vec<u8>>,
) -> Result<(Duration, Vec<WorkerOut>), String> {
    let frames = Arc::new(frames);
    let (clients, depth, n) = (plan.clients, plan.pipeline.max(1), plan.requests);
    let barrier = Arc::new(Barrier::new(clients + 1));
    let mut threads = Vec::with_capacity(clients);
    for c in 0..clients {
        let (addr, barrier, done, frames) = (
            plan.config.addr.clone(),
            barrier.clone(),
            done.clone(),
            frames.clone(),
        );
        let timeout = plan.config.response_timeout;
        threads.push(std::thread::spawn(move || -> Result<WorkerOut, String> {
            let indices: Vec<u64> = share(c, clients, n).collect();
            let result = match &addr {
                Addr::Tcp { host, port } => std::net::TcpStream::connect((host.as_str(), *port))
                    .and_then(|s| {
                        s.set_nodelay(true)?;
                        s.set_read_timeout(Some(timeout))?;
                        Ok(s)
                    })
                    .map_err(|e| format!("connect to {addr}: {e}"))
                    .map(|s| {
                        barrier.wait();
                        window(s, &frames, &indices, depth, &done)
                    }),
                #[cfg(unix)]
                Addr::Unix(path) => std::os::unix::net::UnixStream::connect(path)
                    .and_then(|s| {
                        s.set_read_timeout(Some(timeout))?;
                        Ok(s)
                    })
                    .map_err(|e| format!("connect to {addr}: {e}"))
                    .map(|s| {
                        barrier.wait();
                        window(s, &frames, &indices, depth, &done)
                    }),
                #[cfg(not(unix))]
                Addr::Unix(_) => Err("Unix sockets need a Unix system".to_string()),
            };
            if result.is_err() {
                barrier.wait();
            }
            result?
        }));
    }
    barrier.wait();
    let start = Instant::now();
    let mut outs = Vec::with_capacity(clients);
    for t in threads {
        outs.push(
            t.join()
                .map_err(|_| "a client thread panicked".to_string())??,
        );
    }
    Ok((start.elapsed(), outs))
}

/// Keeps `depth` requests in flight: writes as many frames as replies
/// completed, timing each request from its write to its reply.
fn window<S: Read + Write>(
    mut stream: S,
    frames: &[Vec<u8>],
    indices: &[u64],
    depth: usize,
    done: &AtomicU64,
) -> Result<WorkerOut, String> {
    let frame = |i: u64| &frames[(i % frames.len() as u64) as usize];
    let mut out = WorkerOut::with_capacity(indices.len());
    let mut sent_at: VecDeque<Instant> = VecDeque::with_capacity(depth);
    let mut next = 0usize;
    let mut wbuf: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    let (mut filled, mut completed) = (0usize, 0usize);
    let io = |e: std::io::Error| format!("raw loop: {e}");

    let mut send = |count: usize, next: &mut usize, sent_at: &mut VecDeque<Instant>, s: &mut S| {
        wbuf.clear();
        let end = (*next + count).min(indices.len());
        for &i in &indices[*next..end] {
            wbuf.extend_from_slice(frame(i));
        }
        let now = Instant::now();
        for _ in *next..end {
            sent_at.push_back(now);
        }
        *next = end;
        s.write_all(&wbuf)
    };

    send(depth, &mut next, &mut sent_at, &mut stream).map_err(io)?;
    while completed < indices.len() {
        if buf.len() - filled < 4096 {
            buf.resize(buf.len() * 2, 0);
        }
        let read = stream.read(&mut buf[filled..]).map_err(io)?;
        if read == 0 {
            return Err("raw loop: the server closed the connection".into());
        }
        filled += read;
        let now = Instant::now();
        let mut pos = 0;
        let mut batch = 0;
        while filled - pos >= HEADER {
            let code = u16::from_le_bytes([buf[pos], buf[pos + 1]]);
            let size = u32::from_le_bytes([buf[pos + 3], buf[pos + 4], buf[pos + 5], buf[pos + 6]])
                as usize;
            if filled - pos < HEADER + size {
                break;
            }
            pos += HEADER + size;
            batch += 1;
            let t0 = sent_at.pop_front().unwrap_or(now);
            // 0 ERR, 2 NAN, 3 MEM, 4 LOCKED; 1 NOT_FOUND is an answer.
            let error = matches!(code, 0 | 2..=4).then(|| format!("raw loop: reply code {code}"));
            out.record(now - t0, error);
        }
        buf.copy_within(pos..filled, 0);
        filled -= pos;
        completed += batch;
        done.fetch_add(batch as u64, Ordering::Relaxed);
        if batch > 0 && next < indices.len() {
            send(batch, &mut next, &mut sent_at, &mut stream).map_err(io)?;
        }
    }
    Ok(out)
}
