//! What the `get_*` benchmarks share: the server (`GIBSON_BENCH_ADDR`,
//! else an embedded one), the 16-byte value they read, and the baseline
//! side of each comparison, the raw measuring loop
//! ([`gibson_bench::raw`]) on its own socket to the same server.

// Each benchmark uses part of it.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use bytes::BytesMut;
use gibson_bench::raw::RawLoop;
use gibson_blocking::transport::{self, Stream};
use gibson_blocking::{cmd, Command, Commands, Config, Connection, Limits, Ttl};

use gibson_test_support::{TestServer, BENCH_ADDR_VAR};

/// The key every benchmark GETs.
pub const KEY: &str = "bench:get:key";
/// Its value.
pub const VALUE: &[u8] = b"0123456789abcdef";

/// The server, with [`KEY`] stored, and the raw loop's socket to it.
#[derive(Debug)]
pub struct GetBench {
    server: TestServer,
    raw: Stream,
    /// The GET frame of [`KEY`].
    get: Vec<u8>,
}

impl GetBench {
    /// Finds the server, stores [`KEY`] and connects the raw loop.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached.
    pub fn start() -> GetBench {
        let server = TestServer::from_env(BENCH_ADDR_VAR);
        let config = server.config();
        Connection::with_config(config.clone())
            .and_then(|mut conn| conn.set(KEY, VALUE, Ttl::Never))
            .expect("store the benchmark's key");
        let raw = transport::connect(&config.addr, config.connect_timeout, None)
            .expect("connect the raw loop");
        let mut get = BytesMut::new();
        cmd::Get::<_>::new(KEY)
            .encode(&mut get, &Limits::default())
            .expect("encode the GET");
        GetBench {
            server,
            raw,
            get: get.to_vec(),
        }
    }

    /// A client configuration for the server.
    pub fn config(&self) -> Config {
        self.server.config()
    }

    /// Sends `n` GETs of [`KEY`] through `raw` (its depth, its refills) and
    /// waits for every reply.
    ///
    /// # Panics
    ///
    /// When the loop fails: the measurement would be meaningless.
    pub fn raw_gets(&mut self, raw: &mut RawLoop, n: u64) {
        let n = usize::try_from(n).expect("a request count that fits in memory");
        raw.run(&mut self.raw, n, |_| &self.get, |_| {})
            .expect("the raw loop");
    }
}

/// The time `iters` calls of `each` take (for criterion's `iter_custom`).
pub fn timed(iters: u64, mut each: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        each();
    }
    start.elapsed()
}
