//! Several servers asked at once: `get_multi` of 300 keys over 3 servers,
//! each behind a proxy that adds 1 ms each way, against 100 keys on 1
//! server behind the same proxy. A client that asks the servers one after
//! another takes three round trips; one that asks them at once, one.
//! Prints the medians of 200 calls for tokio and blocking, and the ratio.
//!
//! `cargo run --release -p gibson-bench --example fan_out_latency -- [ADDR ADDR ADDR]`
//! (three embedded servers without addresses; the single server is the
//! first of the three).

use std::time::{Duration, Instant};

use gibson_blocking as blocking;
use gibson_blocking::Commands;
use gibson_test_support::{Faults, Proxy, TestServer};
use gibson_tokio::{Addr, AsyncCommands, Ttl};

const CALLS: usize = 200;
const PER_SERVER: usize = 100;

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort_unstable();
    d[d.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let given: Vec<Addr> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let embedded: Vec<TestServer> = match given.len() {
        0 => (0..3).map(|_| TestServer::embedded_tcp()).collect(),
        3 => Vec::new(),
        _ => return Err("give three addresses or none".into()),
    };
    let addrs: Vec<Addr> = match given.len() {
        0 => embedded.iter().map(|s| s.addr().clone()).collect(),
        _ => given,
    };
    let proxies: Vec<Proxy> = addrs.iter().map(|a| Proxy::start(a.clone())).collect();
    let one_proxy = Proxy::start(addrs[0].clone());
    let delayed = Faults {
        latency: Duration::from_millis(1),
        ..Faults::default()
    };
    let prefix = gibson_test_support::unique_prefix("fanout");
    let keys: Vec<String> = (0..3 * PER_SERVER)
        .map(|i| format!("{prefix}{i}"))
        .collect();
    let few = &keys[..PER_SERVER];

    // The keys, written before the latency is on.
    let list: Vec<String> = proxies.iter().map(|p| p.addr().to_string()).collect();
    let url = format!("gibson://{}?response_timeout=5s", list.join(","));
    let mut sharded = blocking::Sharded::connect(&url)?;
    sharded.set_multi(keys.iter().map(|k| (k.as_str(), "v")), Ttl::Seconds(600))?;
    let one_url = format!("gibson://{}?response_timeout=5s", one_proxy.addr());
    let mut single = blocking::Connection::connect(&one_url)?;
    single.set_multi(few.iter().map(|k| (k.as_str(), "v")), Ttl::Seconds(600))?;
    for p in &proxies {
        p.set_faults(delayed.clone());
    }
    one_proxy.set_faults(delayed);

    let time = |f: &mut dyn FnMut()| {
        let mut d = Vec::with_capacity(CALLS);
        for _ in 0..CALLS {
            let t = Instant::now();
            f();
            d.push(t.elapsed());
        }
        median(d)
    };
    let report = |what: &str, one: Duration, three: Duration| {
        println!(
            "{what:<9} {PER_SERVER} keys on 1 server {one:>10.2?}   {} keys on 3 servers {three:>10.2?}   x{:.2}",
            3 * PER_SERVER,
            three.as_secs_f64() / one.as_secs_f64()
        );
    };

    let one_b = time(&mut || {
        let got = single.get_multi::<_, String>(few).unwrap();
        assert!(got.iter().all(|v| matches!(v, Ok(Some(_)))));
    });
    let three_b = time(&mut || {
        let got = sharded.get_multi::<_, String>(&keys).unwrap();
        assert!(got.iter().all(|v| matches!(v, Ok(Some(_)))));
    });
    report("blocking", one_b, three_b);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (one_t, three_t) = rt.block_on(async {
        let single = gibson_tokio::Connection::connect(&one_url).await.unwrap();
        let sharded = gibson_tokio::Sharded::connect(&url).await.unwrap();
        let mut d1 = Vec::new();
        let mut d3 = Vec::new();
        for _ in 0..CALLS {
            let t = Instant::now();
            let got = single.get_multi::<_, String>(few).await.unwrap();
            d1.push(t.elapsed());
            assert!(got.iter().all(|v| matches!(v, Ok(Some(_)))));
            let t = Instant::now();
            let got = sharded.get_multi::<_, String>(&keys).await.unwrap();
            d3.push(t.elapsed());
            assert!(got.iter().all(|v| matches!(v, Ok(Some(_)))));
        }
        (median(d1), median(d3))
    });
    report("tokio", one_t, three_t);
    Ok(())
}
