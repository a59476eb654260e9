//! `gibson-server`: a stand-in for Gibson 1.2.1's server binary.
//!
//! Reads Gibson's own configuration file with `-c FILE`; every setting of
//! that file can also be given as a long option named like it
//! (`--max_request_size 2M`, `--expired_cron 1`), options overriding the
//! file, as the real binary accepts them. Settings this server has no use
//! for (`daemonize`, `logfile`, …) are accepted and ignored with a log
//! line. SIGTERM (or Ctrl-C) stops it with exit status 0.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Arg, ArgMatches, Command};
use gibson_server::{parse_config, parse_duration, parse_size, Builder, Server};

/// Every setting, as the real binary's `--help` lists it, with what it does
/// here.
const SETTINGS: &[(&str, &str)] = &[
    (
        "logfile",
        "Accepted and ignored (this server logs on stderr).",
    ),
    ("loglevel", "Accepted and ignored."),
    ("logflushrate", "Accepted and ignored."),
    (
        "unix_socket",
        "Unix socket path; when set, no TCP socket is opened.",
    ),
    ("address", "TCP address to listen on (default 127.0.0.1)."),
    ("port", "TCP port (default 10128)."),
    ("max_idletime", "Accepted and ignored."),
    ("max_clients", "Maximum simultaneous clients (default 255)."),
    ("max_request_size", "Largest request, e.g. `2M`."),
    ("max_item_ttl", "TTL cap in seconds, or e.g. `30d`."),
    ("max_memory", "Memory limit, e.g. `1G`."),
    ("max_key_size", "Longest key, e.g. `1K`."),
    ("max_value_size", "Longest value."),
    ("max_response_size", "Largest multi-key reply, e.g. `15M`."),
    (
        "compression",
        "Values above this size are LZF-compressed, e.g. `4K`.",
    ),
    (
        "daemonize",
        "Accepted and ignored: this server never forks.",
    ),
    (
        "cron_period",
        "Milliseconds between cron ticks (default 100).",
    ),
    ("pidfile", "Accepted and ignored."),
    (
        "gc_ratio",
        "Over max_memory, items idle this long are deleted, e.g. `15m` (seconds without a unit).",
    ),
    (
        "max_mem_cron",
        "How often max_memory is checked, e.g. `15s` (seconds without a unit).",
    ),
    (
        "expired_cron",
        "How often expired items are deleted, e.g. `15s` (seconds without a unit).",
    ),
];

fn cli() -> Command {
    let mut cmd = Command::new("gibson-server")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Gibson 1.2.1-compatible cache server.")
        .arg(
            Arg::new("config")
                .short('c')
                .long("config")
                .value_name("FILE")
                .help("Gibson configuration file (`name value` lines)."),
        );
    for (name, help) in SETTINGS {
        cmd = cmd.arg(Arg::new(*name).long(*name).value_name("VALUE").help(*help));
    }
    cmd
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
    let int = || {
        value
            .parse::<u64>()
            .map_err(|_| format!("{name}: `{value}` is not a number"))
    };
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
        "max_clients" => builder.max_clients(usize_of(int()?)?),
        "compression" => builder.compression(usize_of(size()?)?),
        "gc_ratio" => builder.gc_ratio(secs()?),
        "cron_period" => builder.cron_period(Duration::from_millis(int()?)),
        "expired_cron" => builder.expired_cron(secs()?),
        "max_mem_cron" => builder.max_mem_cron(secs()?),
        "logfile" | "loglevel" | "logflushrate" | "daemonize" | "pidfile" | "max_idletime" => {
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

fn run(args: &ArgMatches) -> Result<Server, String> {
    let mut builder = Server::builder();
    let mut listen = Listen::default();
    if let Some(path) = args.get_one::<String>("config") {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        for (name, value, line) in parse_config(&text).map_err(|e| format!("{path}: {e}"))? {
            builder = apply(builder, &mut listen, &name, &value)
                .map_err(|e| format!("{path}:{line}: {e}"))?;
        }
    }
    for (name, _) in SETTINGS {
        if let Some(value) = args.get_one::<String>(name) {
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

/// Announces the address on stdout once the signal handlers are in place,
/// then waits for SIGTERM or SIGINT (Ctrl-C off Unix).
fn serve_until_terminated(server: &Server) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let stop = stop_signal()?;
        println!("gibson-server listening on {}", server.addr());
        stop.await;
        Ok(())
    })
}

/// Installs the SIGTERM and SIGINT handlers; the future ends on either.
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => log("SIGTERM received, shutting down."),
            _ = int.recv() => log("SIGINT received, shutting down."),
        }
    })
}

/// The future ends on Ctrl-C (there is no SIGTERM off Unix).
#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => log("Ctrl-C received, shutting down."),
            Err(e) => log(&format!("cannot wait for Ctrl-C: {e}")),
        }
    })
}

fn main() -> ExitCode {
    let args = cli().get_matches();
    match run(&args) {
        Ok(server) => {
            let waited = serve_until_terminated(&server);
            server.shutdown();
            match waited {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    log(&format!("cannot wait for signals: {e}"));
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            log(&e);
            ExitCode::FAILURE
        }
    }
}
