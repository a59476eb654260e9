//! `gibson scan PREFIX [--keys] [--json | --raw]`: every pair (or key
//! name) under a prefix of any size, one per line, read a page at a time in
//! bounded memory, in the manner of `redis-cli --scan`. `--json` (after
//! `scan`, as `--help` shows it, or before) prints one JSON object per line
//! (`{"key": value}`, or the name as a JSON string with `--keys`).

use std::io::Write;

use bytes::Bytes;
use gibson_blocking::{Connection, Error, Sharded, Value};

use crate::args::Cli;
use gibson_cli::exit::{self, EXIT_CONNECTION, EXIT_USAGE};

use crate::output::{self, Format, Output};

/// The words of `scan`: the prefix, `--keys`, and the output format.
struct ScanArgs<'a> {
    prefix: &'a [u8],
    keys_only: bool,
    format: Format,
}

const USAGE: &str =
    "usage: scan PREFIX [--keys] [--json | --raw] (every pair, or key name, under PREFIX)";

/// Reads `scan`'s words: one prefix and the flags, in any order; the
/// format of `--json`/`--raw` before `scan` unless one is given after it.
fn scan_args(words: &[Vec<u8>], format: Format) -> Result<ScanArgs<'_>, String> {
    let (mut prefix, mut keys_only, mut flag_format) = (None, false, None);
    for word in words {
        match word.as_slice() {
            b"--keys" => keys_only = true,
            b"--json" => flag_format = Some(Format::Json),
            b"--raw" => flag_format = Some(Format::Raw),
            flag if flag.starts_with(b"--") => {
                return Err(format!("unknown flag {} ({USAGE})", flag.escape_ascii()))
            }
            word if prefix.is_none() => prefix = Some(word),
            _ => return Err(format!("one prefix only ({USAGE})")),
        }
    }
    Ok(ScanArgs {
        prefix: prefix.ok_or_else(|| USAGE.to_string())?,
        keys_only,
        format: flag_format.unwrap_or(format),
    })
}

/// Runs `scan` with its words (`PREFIX [--keys] [--json | --raw]`);
/// returns the exit code.
pub(crate) fn run(cli: &Cli, words: &[Vec<u8>]) -> i32 {
    let ScanArgs {
        prefix,
        keys_only,
        format,
    } = match scan_args(words, crate::format(cli)) {
        Ok(a) => a,
        Err(e) => {
            exit::print_error(&e);
            return EXIT_USAGE;
        }
    };
    let mut out = std::io::stdout().lock();
    let mut print = |o: Output| -> std::io::Result<()> {
        match format {
            // A name alone, not a list of one: one JSON string a line.
            Format::Json => match &o {
                Output::Keys(names) if names.len() == 1 => {
                    writeln!(out, "{}", output::json_bytes(&names[0]))
                }
                _ => writeln!(out, "{}", output::render_json(&o)),
            },
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
