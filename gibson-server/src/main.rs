//! `gibson-server`: a stand-in for Gibson 1.2.1's server binary.
//!
//! Reads Gibson's own configuration file with `-c FILE`; every setting can
//! also be given as a flag named like the setting (`--max_request_size 2M`),
//! flags overriding the file. Settings this server has no use for
//! (`daemonize`, `logfile`, …) are accepted and ignored with a log line.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use gibson_server::{parse_config, parse_duration, parse_size, Builder, Server};

/// Gibson 1.2.1-compatible cache server.
#[derive(Debug, Parser)]
#[command(name = "gibson-server", version)]
struct Cli {
    /// Gibson configuration file (`name value` lines).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<String>,
    /// TCP address to listen on (default 127.0.0.1).
    #[arg(long)]
    address: Option<String>,
    /// TCP port (default 10128).
    #[arg(long)]
    port: Option<String>,
    /// Unix socket path; when set, no TCP socket is opened.
    #[arg(long = "unix_socket")]
    unix_socket: Option<String>,
    /// Largest request, e.g. `2M`.
    #[arg(long = "max_request_size")]
    max_request_size: Option<String>,
    /// Longest key, e.g. `1K`.
    #[arg(long = "max_key_size")]
    max_key_size: Option<String>,
    /// Longest value.
    #[arg(long = "max_value_size")]
    max_value_size: Option<String>,
    /// Largest multi-key reply, e.g. `15M`.
    #[arg(long = "max_response_size")]
    max_response_size: Option<String>,
    /// Memory limit, e.g. `1G`.
    #[arg(long = "max_memory")]
    max_memory: Option<String>,
    /// TTL cap in seconds (or `30d`).
    #[arg(long = "max_item_ttl")]
    max_item_ttl: Option<String>,
    /// Maximum simultaneous clients.
    #[arg(long = "max_clients")]
    max_clients: Option<String>,
    /// Values above this size are LZF-compressed, e.g. `4K`.
    #[arg(long)]
    compression: Option<String>,
    /// Over max_memory, items idle this long are collected, e.g. `15m`.
    #[arg(long = "gc_ratio")]
    gc_ratio: Option<String>,
    /// Expiry sweep period, e.g. `15s` (this server's own setting).
    #[arg(long = "expiry_sweep")]
    expiry_sweep: Option<String>,
}

fn log(msg: &str) {
    eprintln!("[gibson-server] {msg}");
}

/// Where to listen.
#[derive(Debug, Default)]
struct Listen {
    address: Option<String>,
    port: Option<String>,
    unix_socket: Option<String>,
}

fn apply(
    builder: Builder,
    listen: &mut Listen,
    name: &str,
    value: &str,
) -> Result<Builder, String> {
    let size = || parse_size(value).ok_or_else(|| format!("{name}: `{value}` is not a size"));
    let usize_of = |n: u64| usize::try_from(n).map_err(|_| format!("{name}: `{value}` too large"));
    let secs =
        || parse_duration(value).ok_or_else(|| format!("{name}: `{value}` is not a duration"));
    Ok(match name {
        "address" => {
            listen.address = Some(value.to_string());
            builder
        }
        "port" => {
            listen.port = Some(value.to_string());
            builder
        }
        "unix_socket" => {
            listen.unix_socket = Some(value.to_string());
            builder
        }
        "max_request_size" => builder.max_request_size(usize_of(size()?)?),
        "max_key_size" => builder.max_key_size(usize_of(size()?)?),
        "max_value_size" => builder.max_value_size(usize_of(size()?)?),
        "max_response_size" => builder.max_response_size(usize_of(size()?)?),
        "max_memory" => builder.max_memory(size()?),
        "max_item_ttl" => builder.max_item_ttl(secs()?),
        "max_clients" => builder.max_clients(usize_of(
            value
                .parse::<u64>()
                .map_err(|_| format!("{name}: `{value}` is not a number"))?,
        )?),
        "compression" => builder.compression(usize_of(size()?)?),
        "gc_ratio" => builder.gc_ratio(secs()?),
        "expiry_sweep" => builder.sweep_period(secs()?),
        "logfile" | "loglevel" | "logflushrate" | "daemonize" | "pidfile" | "max_idletime"
        | "cron_period" => {
            log(&format!(
                "ignoring setting `{name} {value}` (not needed by this server)"
            ));
            builder
        }
        other => {
            log(&format!("ignoring unknown setting `{other} {value}`"));
            builder
        }
    })
}

fn run(cli: Cli) -> Result<Server, String> {
    let mut builder = Server::builder();
    let mut listen = Listen::default();
    if let Some(path) = &cli.config {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        for (name, value, line) in parse_config(&text).map_err(|e| format!("{path}: {e}"))? {
            builder = apply(builder, &mut listen, &name, &value)
                .map_err(|e| format!("{path}:{line}: {e}"))?;
        }
    }
    let flags = [
        ("address", &cli.address),
        ("port", &cli.port),
        ("unix_socket", &cli.unix_socket),
        ("max_request_size", &cli.max_request_size),
        ("max_key_size", &cli.max_key_size),
        ("max_value_size", &cli.max_value_size),
        ("max_response_size", &cli.max_response_size),
        ("max_memory", &cli.max_memory),
        ("max_item_ttl", &cli.max_item_ttl),
        ("max_clients", &cli.max_clients),
        ("compression", &cli.compression),
        ("gc_ratio", &cli.gc_ratio),
        ("expiry_sweep", &cli.expiry_sweep),
    ];
    for (name, value) in flags {
        if let Some(value) = value {
            builder = apply(builder, &mut listen, name, value)?;
        }
    }
    if let Some(path) = listen.unix_socket {
        log(&format!("creating unix server socket on {path} ..."));
        return builder
            .bind_unix(&path)
            .map_err(|e| format!("cannot listen on {path}: {e}"));
    }
    let address = listen.address.unwrap_or_else(|| "127.0.0.1".to_string());
    let port = listen.port.unwrap_or_else(|| "10128".to_string());
    let port: u16 = port
        .parse()
        .map_err(|_| format!("port: `{port}` is not a port number"))?;
    log(&format!(
        "creating tcp server socket on {address}:{port} ..."
    ));
    builder
        .bind_tcp((address.as_str(), port))
        .map_err(|e| format!("cannot listen on {address}:{port}: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(server) => {
            println!("gibson-server listening on {}", server.addr());
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        Err(e) => {
            log(&e);
            ExitCode::FAILURE
        }
    }
}
