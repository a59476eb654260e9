//! `gibson-bench`: like redis-benchmark beside redis-cli. For each test of
//! `-t` and each client library of `--runtime` (and with `--raw`, the raw
//! socket loop of [`gibson_bench::raw`]), `-n` requests from `-c` clients
//! with `-P` in flight each; a table of ops/s, latency quantiles and CPU
//! per request, or CSV.
//!
//! Without `-a/-p/-u` (or `GIBSON_ADDR`) it starts the embedded
//! gibson-server on a free loopback port. Exit codes as `gibson`'s: 0
//! success, 1 failed requests, 2 invalid arguments, 3 connection error.

mod args;
mod cpu;
mod raw_runner;
mod report;
mod run;
mod runners;
mod workload;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let code = run::run(&cli);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
