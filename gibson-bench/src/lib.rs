//! The parts of `gibson-bench` the criterion benchmarks share: the raw
//! measuring loop ([`raw`]), the baseline every client is measured against.
//!
//! The `gibson-bench` command itself (like redis-benchmark beside
//! redis-cli) is this crate's binary; `gibson-bench --help` lists its
//! options.

pub mod raw;
