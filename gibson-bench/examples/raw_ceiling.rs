//! The raw loop alone, measured the way a hand-written C client is: one
//! connection, `TOTAL` GETs of one 10-byte value, `DEPTH` in flight,
//! replacements written after each read. Prints the throughput; run it
//! under `time` for its CPU seconds.
//!
//! `cargo run --release -p gibson-bench --example raw_ceiling -- HOST:PORT|/socket/path [TOTAL] [DEPTH]`

use std::time::{Duration, Instant};

use bytes::BytesMut;
use gibson_bench::raw::RawLoop;
use gibson_blocking::{cmd, transport, Addr, Command, Limits, Ttl};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: raw_ceiling HOST:PORT|/socket/path [TOTAL] [DEPTH]";
    let addr: Addr = args.next().ok_or(usage)?.parse()?;
    let total: usize = args.next().map_or(Ok(1_000_000), |a| a.parse())?;
    let depth: usize = args.next().map_or(Ok(128), |a| a.parse())?;
    let timeout = Duration::from_secs(10);
    let mut stream = transport::connect(&addr, timeout, Some(timeout))?;
    let limits = Limits::default();
    let encode = |c: &dyn Fn(&mut BytesMut) -> Result<(), gibson_blocking::Error>| {
        let mut frame = BytesMut::new();
        c(&mut frame).map(|()| frame.to_vec())
    };
    let set = encode(&|f| cmd::Set::new("bench:k", "0123456789", Ttl::Never).encode(f, &limits))?;
    let get = encode(&|f| cmd::Get::<_>::new("bench:k").encode(f, &limits))?;
    RawLoop::new(1, limits).run(&mut stream, 1, |_| &set, |_| {})?;
    let start = Instant::now();
    let mut replies = 0;
    RawLoop::new(depth, limits).run(&mut stream, total, |_| &get, |r| replies += r.len())?;
    let elapsed = start.elapsed().as_secs_f64();
    if replies != total {
        return Err(format!("{replies} replies to {total} requests").into());
    }
    println!(
        "raw loop GET depth {depth}: {:.0} ops/s",
        total as f64 / elapsed
    );
    Ok(())
}
