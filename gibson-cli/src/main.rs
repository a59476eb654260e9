//! `gibson`: the command-line client for the Gibson cache server.
//!
//! * `gibson [-a HOST] [-p PORT] [-u SOCKET] [-t TIMEOUT_MS] COMMAND ARGS…`
//!   runs one command and prints its reply (`--json`, `--raw` change how);
//! * `gibson` alone starts an interactive shell (`:help`);
//! * `gibson bench …` measures throughput and latency.
//!
//! Without `-a/-p/-u`, `GIBSON_ADDR` names the server, else 127.0.0.1:10128.
//! Exit codes: 0 success (absent keys included), 1 server error reply,
//! 2 invalid arguments, 3 connection or protocol error.

mod args;
mod bench;
mod commands;
mod exec;
mod output;
mod parse;
mod shell;

use std::process::ExitCode;

use clap::Parser;
use gibson_blocking::Connection;

use args::{Cli, Sub};
use output::{Format, EXIT_USAGE};
use parse::Words;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match &cli.command {
        Some(Sub::Bench(bench)) => bench::run(&cli, bench),
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
    let request = match Words::from_args(args).and_then(|w| parse::parse(&w)) {
        Ok(r) => r,
        Err(e) => {
            output::print_error(&e);
            return EXIT_USAGE;
        }
    };
    let config = match cli.config() {
        Ok(c) => c,
        Err(e) => {
            output::print_error(&e);
            return EXIT_USAGE;
        }
    };
    let addr = config.addr.clone();
    // Lazy: invalid arguments are refused before connecting.
    let result = Connection::lazy(config).and_then(|mut conn| exec::execute(&mut conn, request));
    match result {
        Ok(out) => match output::print(&out, format(cli)) {
            Ok(()) => 0,
            Err(_) => output::EXIT_CONNECTION,
        },
        Err(e) => {
            let code = output::exit_code(&e);
            if code == output::EXIT_CONNECTION {
                output::print_error(&format_args!("{addr}: {e}"));
            } else {
                output::print_error(&e);
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
