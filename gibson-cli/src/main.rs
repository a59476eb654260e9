//! `gibson`: the command-line client for the Gibson cache server.
//!
//! * `gibson [-a HOST] [-p PORT] [-u SOCKET] [-t TIMEOUT_MS] COMMAND ARGS…`
//!   runs one command and prints its reply (`--json`, `--raw` change how);
//!   `-a h1:p1,h2:p2,…` (or `-a gibson://h1:p1,h2:p2?…`) runs it on several
//!   servers as one sharded cache;
//! * `gibson -a h1:p1,h2:p2,… route KEY…` prints the server of each key;
//! * `gibson scan PREFIX [--keys]` prints every pair (or key) under a prefix
//!   of any size, a page at a time;
//! * `gibson` alone starts an interactive shell (`:help`).
//!
//! Benchmarks are the `gibson-bench` command (crate gibson-bench).
//!
//! Without `-a/-p/-u`, `GIBSON_ADDR` names the server, else 127.0.0.1:10128.
//! Exit codes: 0 success (absent keys included), 1 server error reply,
//! 2 invalid arguments, 3 connection or protocol error.

mod args;
mod client;
mod commands;
mod exec;
mod output;
mod parse;
mod route;
mod scan;
mod shell;
mod suggest;

use std::process::ExitCode;

use args::{Cli, Sub};
use clap::Parser;
use client::Client;
use gibson_cli::exit::{self, EXIT_USAGE};
use output::Format;
use parse::Words;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match &cli.command {
        Some(Sub::Command(words)) => one_shot(&cli, words),
        None => shell::run(&cli),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// The output format chosen by `--json` / `--raw`.
pub(crate) fn format(cli: &Cli) -> Format {
    if cli.json {
        Format::Json
    } else if cli.raw {
        Format::Raw
    } else {
        Format::Text
    }
}

/// Runs one command given on the command line; returns the exit code.
fn one_shot(cli: &Cli, args: &[std::ffi::OsString]) -> i32 {
    let args: Vec<Vec<u8>> = args.iter().map(|a| os_bytes(a)).collect();
    if let Some((first, keys)) = args.split_first() {
        if first.eq_ignore_ascii_case(b"route") {
            return route::run(cli, keys);
        }
        if first.eq_ignore_ascii_case(b"scan") {
            return scan::run(cli, keys);
        }
        if first.eq_ignore_ascii_case(b"bench") {
            exit::print_error(&"the benchmark is its own command: gibson-bench (same options)");
            return EXIT_USAGE;
        }
    }
    let request = match Words::from_args(args).and_then(|w| parse::parse(&w)) {
        Ok(r) => r,
        Err(e) => {
            exit::print_error(&e);
            return EXIT_USAGE;
        }
    };
    // Lazy: invalid arguments are refused before connecting.
    let (mut client, addr) = match Client::from_cli(cli) {
        Ok(c) => c,
        Err(e) => {
            exit::print_error(&e);
            return EXIT_USAGE;
        }
    };
    let result = client.execute(request);
    match result {
        Ok(out) => match output::print(&out, format(cli)) {
            Ok(()) => 0,
            Err(_) => exit::EXIT_CONNECTION,
        },
        Err(e) => {
            let code = exit::exit_code(&e);
            // Over several servers, the one the command failed on.
            let addr = client.failed_server().unwrap_or(&addr);
            if let gibson_blocking::Error::PrefixTooLarge { .. } = e {
                exit::print_error(&format_args!(
                    "{addr}: {e}; `gibson scan PREFIX` reads any number of keys, a page at a time"
                ));
            } else if code == exit::EXIT_CONNECTION && e.server().is_none() {
                // A sharded client's errors name their server themselves.
                exit::print_error(&format_args!("{addr}: {e}"));
            } else {
                exit::print_error(&e);
            }
            code
        }
    }
}

#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    s.to_string_lossy().into_owned().into_bytes()
}
