//! Reads with and without a near cache, at a 90 % hit rate: 1 000 hot keys
//! under the cached prefix take 90 % of the reads, 1 000 cold keys outside
//! it the rest. The same key sequence runs through the plain client and
//! through a `NearCache` in front of it, for tokio (1 task, then 16 tasks
//! on a multi-thread runtime) and blocking (1 thread, then 16 threads with
//! a connection each). Prints reads per second, the ratio, the hit rate,
//! and the median read time of the one-task runs.
//!
//! `cargo run --release -p gibson-bench --example near_hit_rate -- [HOST:PORT|/socket/path] [READS]`
//! (an embedded gibson-server without an address).

use std::sync::Arc;
use std::time::{Duration, Instant};

use gibson_blocking as blocking;
use gibson_blocking::Commands;
use gibson_tokio::{Addr, AsyncCommands, Config, NearCache, NearConfig, Pool, Ttl};

const HOT: usize = 1_000;
const TASKS: usize = 16;

/// The `i`th key of a run's sequence: 9 in 10 hot (cached), 1 cold.
fn key(seed: u64, i: u64) -> String {
    let mut x = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    let n = (x >> 8) as usize % HOT;
    if x.is_multiple_of(10) {
        format!("nbcold:{n}")
    } else {
        format!("nb:hot:{n}")
    }
}

fn near_config() -> NearConfig {
    NearConfig::new(["nb:"]).max_staleness(Duration::from_millis(100))
}

fn median(mut ns: Vec<u64>) -> Duration {
    ns.sort_unstable();
    Duration::from_nanos(ns[ns.len() / 2])
}

async fn async_reads<C: AsyncCommands>(c: &C, seed: u64, reads: u64) -> Vec<u64> {
    let mut times = Vec::with_capacity(reads as usize);
    for i in 0..reads {
        let start = Instant::now();
        let v: Option<bytes::Bytes> = c.get(key(seed, i)).await.unwrap();
        assert!(v.is_some());
        times.push(start.elapsed().as_nanos() as u64);
    }
    times
}

fn blocking_reads<C: gibson_blocking::Commands>(c: &mut C, seed: u64, reads: u64) -> Vec<u64> {
    let mut times = Vec::with_capacity(reads as usize);
    for i in 0..reads {
        let start = Instant::now();
        let v: Option<bytes::Bytes> = c.get(key(seed, i)).unwrap();
        assert!(v.is_some());
        times.push(start.elapsed().as_nanos() as u64);
    }
    times
}

/// How long `reads` took in all, and each read's time.
async fn timed_async(reads: impl std::future::Future<Output = Vec<u64>>) -> (Duration, Vec<u64>) {
    let t = Instant::now();
    let times = reads.await;
    (t.elapsed(), times)
}

/// How long `reads` took in all, and each read's time.
fn timed(reads: impl FnOnce() -> Vec<u64>) -> (Duration, Vec<u64>) {
    let t = Instant::now();
    let times = reads();
    (t.elapsed(), times)
}

/// [`report`] of reads one by one, without and with the near cache, with
/// their medians.
fn report_one_by_one(
    what: &str,
    reads: u64,
    (plain, plain_t): (Duration, Vec<u64>),
    (near, near_t): (Duration, Vec<u64>),
    hits: u64,
) {
    let medians = Some((median(plain_t), median(near_t)));
    report(what, reads, plain, near, hits, medians);
}

fn report(
    what: &str,
    reads: u64,
    plain: Duration,
    near: Duration,
    hits: u64,
    medians: Option<(Duration, Duration)>,
) {
    let rate = |d: Duration| reads as f64 / d.as_secs_f64();
    print!(
        "{what:<22} without {:>10.0}/s  with {:>10.0}/s  x{:>6.1}  hit rate {:.3}",
        rate(plain),
        rate(near),
        plain.as_secs_f64() / near.as_secs_f64(),
        hits as f64 / reads as f64
    );
    if let Some((p, n)) = medians {
        print!(
            "  median {p:?} -> {n:?} (x{:.0})",
            p.as_secs_f64() / n.as_secs_f64()
        );
    }
    println!();
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (addr, _server): (Addr, _) = match args.next() {
        Some(a) => (a.parse()?, None),
        None => {
            let server = gibson_server::Server::builder().bind_tcp("127.0.0.1:0")?;
            let gibson_server::ServerAddr::Tcp(sa) = server.addr() else {
                unreachable!("bound on TCP")
            };
            let addr = Addr::Tcp {
                host: sa.ip().to_string(),
                port: sa.port(),
            };
            (addr, Some(server))
        }
    };
    let reads: u64 = args.next().map_or(Ok(200_000), |a| a.parse())?;
    let mut config = Config::new(addr);
    config.pool.max_size = TASKS + 1;

    // The keys.
    let mut setup = blocking::Connection::with_config(config.clone())?;
    for n in 0..HOT {
        setup.set(format!("nb:hot:{n}"), "0123456789abcdef", Ttl::Never)?;
        setup.set(format!("nbcold:{n}"), "0123456789abcdef", Ttl::Never)?;
    }

    // tokio, one task.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let pool = Pool::with_config(config.clone()).await?;
        let plain = timed_async(async_reads(&pool, 1, reads)).await;
        let near = NearCache::new(pool.clone(), near_config())?;
        let with = timed_async(async_reads(&near, 1, reads)).await;
        let hits = near.near_stats().hits;
        report_one_by_one("tokio, 1 task", reads, plain, with, hits);
        Ok::<_, gibson_tokio::Error>(())
    })?;

    // tokio, 16 tasks on a multi-thread runtime.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let pool = Pool::with_config(config.clone()).await?;
        let per = reads / TASKS as u64;
        let run = |client: Arc<dyn Fn(u64) -> tokio::task::JoinHandle<()> + Send + Sync>| async move {
            let t = Instant::now();
            let tasks: Vec<_> = (0..TASKS as u64).map(|s| client(s)).collect();
            for task in tasks {
                task.await.unwrap();
            }
            t.elapsed()
        };
        let p = pool.clone();
        let plain = run(Arc::new(move |seed| {
            let p = p.clone();
            tokio::spawn(async move { drop(async_reads(&p, seed, per).await) })
        }))
        .await;
        let near = NearCache::new(pool.clone(), near_config())?;
        let n = near.clone();
        let with = run(Arc::new(move |seed| {
            let n = n.clone();
            tokio::spawn(async move { drop(async_reads(&n, seed, per).await) })
        }))
        .await;
        report("tokio, 16 tasks", per * TASKS as u64, plain, with, near.near_stats().hits, None);
        Ok::<_, gibson_tokio::Error>(())
    })?;

    // blocking, one thread.
    let mut conn = blocking::Connection::with_config(config.clone())?;
    let plain = timed(|| blocking_reads(&mut conn, 1, reads));
    let mut near = blocking::NearCache::new(conn, near_config())?;
    let with = timed(|| blocking_reads(&mut near, 1, reads));
    let hits = near.near_stats().hits;
    report_one_by_one("blocking, 1 thread", reads, plain, with, hits);

    // blocking, 16 threads, a connection each.
    let pool = blocking::Pool::with_config(config.clone())?;
    let per = reads / TASKS as u64;
    let timed = |f: &(dyn Fn(u64) + Sync)| {
        let t = Instant::now();
        std::thread::scope(|s| {
            for seed in 0..TASKS as u64 {
                s.spawn(move || f(seed));
            }
        });
        t.elapsed()
    };
    let plain = timed(&|seed| {
        blocking_reads(&mut pool.checkout().unwrap(), seed, per);
    });
    let near = blocking::NearCache::new(pool.checkout()?, near_config())?;
    let with = timed(&|seed| {
        blocking_reads(&mut near.with_client(pool.checkout().unwrap()), seed, per);
    });
    report(
        "blocking, 16 threads",
        per * TASKS as u64,
        plain,
        with,
        near.near_stats().hits,
        None,
    );
    Ok(())
}
