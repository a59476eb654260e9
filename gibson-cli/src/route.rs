//! `gibson route KEY…` (and `ROUTE KEY…` in the shell): the server each
//! key lives on, one `KEY<TAB>host:port` line per key, the way `redis-cli
//! cluster keyslot` answers. Nothing is sent to the servers: the ring
//! answers.

use std::io::Write;

use crate::args::Cli;
use gibson_cli::exit::{self, EXIT_CONNECTION, EXIT_USAGE};

/// The usage line, for errors and `:help`.
pub(crate) const USAGE: &str = "ROUTE key…";
/// What it does, for `:help`.
pub(crate) const WHAT: &str = "the server each key lives on (nothing is sent)";

/// Prints the server of each of `keys`; returns the exit code.
pub(crate) fn run(cli: &Cli, keys: &[Vec<u8>]) -> i32 {
    if keys.is_empty() {
        exit::print_error(&format_args!("usage: {USAGE} ({WHAT})"));
        return EXIT_USAGE;
    }
    let ring = match cli.ring() {
        Ok(ring) => ring,
        Err(e) => {
            exit::print_error(&e);
            return EXIT_USAGE;
        }
    };
    let mut out = std::io::stdout().lock();
    for key in keys {
        let server = ring.server_for(key).unwrap_or_default();
        let line = [key.as_slice(), b"\t", server.as_bytes(), b"\n"].concat();
        if out.write_all(&line).is_err() {
            return EXIT_CONNECTION;
        }
    }
    if out.flush().is_err() {
        return EXIT_CONNECTION;
    }
    0
}
