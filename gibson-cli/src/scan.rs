//! `gibson scan PREFIX [--keys]`: every pair (or key name) under a prefix
//! of any size, one per line, read a page at a time in bounded memory, in
//! the manner of `redis-cli --scan`. `--json` prints one JSON object per
//! line (`{"key": value}`, or the name as a JSON string with `--keys`).

use std::io::Write;

use bytes::Bytes;
use gibson_blocking::{Connection, Error, Sharded, Value};

use crate::args::Cli;
use gibson_cli::exit::{self, EXIT_CONNECTION, EXIT_USAGE};

use crate::output::{self, Output};

/// Runs `scan` with its words (`PREFIX [--keys]`); returns the exit code.
pub(crate) fn run(cli: &Cli, words: &[Vec<u8>]) -> i32 {
    let (prefix, keys_only) = match words {
        [prefix] => (prefix, false),
        [prefix, flag] if flag.as_slice() == b"--keys" => (prefix, true),
        _ => {
            exit::print_error(
                &"usage: scan PREFIX [--keys] (every pair, or key name, under PREFIX)",
            );
            return EXIT_USAGE;
        }
    };
    let format = crate::format(cli);
    let mut out = std::io::stdout().lock();
    let mut print = |o: Output| -> std::io::Result<()> {
        match format {
            output::Format::Json => writeln!(out, "{}", output::render_json(&o)),
            _ => out.write_all(&output::render_text(&o, format)),
        }
    };
    let result = if keys_only {
        scan_names(cli, prefix).and_then(|names| {
            for name in names {
                let name = name?;
                print(Output::Keys(vec![name])).map_err(|e| Error::Io(e.into()))?;
            }
            Ok(())
        })
    } else {
        scan_pairs(cli, prefix).and_then(|pairs| {
            for pair in pairs {
                let (k, v) = pair?;
                print(Output::Pairs(vec![(k, v)])).map_err(|e| Error::Io(e.into()))?;
            }
            Ok(())
        })
    };
    match result {
        Ok(()) => 0,
        Err(Error::Io(_)) => EXIT_CONNECTION,
        Err(e) => {
            exit::print_error(&e);
            exit::exit_code(&e)
        }
    }
}

/// A scan's items, whichever client reads them.
type Scan<T> = Box<dyn Iterator<Item = Result<T, Error>>>;

fn scan_pairs(cli: &Cli, prefix: &[u8]) -> Result<Scan<(Bytes, Value)>, Error> {
    Ok(match cli.shards()? {
        Some(s) if s.servers().len() > 1 => Box::new(Sharded::with_config(s)?.mget_stream(prefix)?),
        _ => Box::new(Connection::lazy(cli.config()?)?.mget_stream(prefix)?),
    })
}

fn scan_names(
    cli: &Cli,
    prefix: &[u8],
) -> Result<Box<dyn Iterator<Item = Result<Bytes, Error>>>, Error> {
    Ok(match cli.shards()? {
        Some(s) if s.servers().len() > 1 => Box::new(Sharded::with_config(s)?.keys_stream(prefix)?),
        _ => Box::new(Connection::lazy(cli.config()?)?.keys_stream(prefix)?),
    })
}
