//! One benchmark run: the server (given, or embedded), the keyspace's
//! setup and cleanup, every (test, client) pair in rounds, and the report.

use std::io::Write;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use clap::ValueEnum;
use gibson_blocking::{Connection, Error, Sharded};
use gibson_cli::exit::{self, EXIT_CONNECTION, EXIT_SERVER, EXIT_USAGE};
use gibson_cli::servers::with_timeout;
use gibson_policy::{shard::ShardConfig, Addr, Config};

use crate::args::{Cli, Library};
use crate::report::RunResult;
use crate::workload::{with_command, Test, Workload};
use crate::{cpu, raw_runner, report, runners};

/// What every run of one benchmark shares.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The server (the first one with `shards`).
    pub(crate) config: Config,
    /// Several servers (`-a h1:p1,h2:p2,…`): the libraries run on their
    /// sharded clients.
    pub(crate) shards: Option<ShardConfig>,
    /// `-c`.
    pub(crate) clients: usize,
    /// `-P`.
    pub(crate) pipeline: usize,
    /// `-n`.
    pub(crate) requests: u64,
    /// `--threads`: executor threads of the async runtimes.
    pub(crate) threads: usize,
}

impl Plan {
    /// Stores the workload's keys, through a blocking client of the
    /// server or servers.
    fn setup(&self, workload: &Workload) -> Result<(), Error> {
        match &self.shards {
            Some(s) => workload.setup(&mut Sharded::with_config(s.clone())?),
            None => workload.setup(&mut Connection::with_config(self.config.clone())?),
        }
    }

    /// Deletes the workload's keys.
    fn cleanup(&self, workload: &Workload) -> Result<u64, Error> {
        match &self.shards {
            Some(s) => workload.cleanup(&mut Sharded::with_config(s.clone())?),
            None => workload.cleanup(&mut Connection::with_config(self.config.clone())?),
        }
    }
}

/// Who runs a test: a library, or the raw loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runner {
    Library(Library),
    Raw,
}

impl Runner {
    fn name(self) -> &'static str {
        match self {
            Runner::Library(r) => r.name(),
            Runner::Raw => "raw",
        }
    }
}

/// Runs the benchmark; returns the exit code.
pub(crate) fn run(cli: &Cli) -> i32 {
    let args = &cli.bench;
    if args.clients == 0 || args.pipeline == 0 || args.requests == 0 {
        exit::print_error(&"bench: -n, -c and -P must be at least 1");
        return EXIT_USAGE;
    }
    let shards = match cli.server.shards(cli.timeout()) {
        Ok(s) => s.filter(|s| s.servers().len() > 1),
        Err(e) => {
            exit::print_error(&e);
            return EXIT_USAGE;
        }
    };
    if shards.is_some() && args.raw {
        exit::print_error(&"bench: --raw measures one server; leave it out with a server list");
        return EXIT_USAGE;
    }
    let explicit = match &shards {
        Some(s) => Ok(s.servers().first().cloned()),
        None => cli.server.explicit_addr(),
    };
    let explicit = match explicit {
        Ok(a) => a,
        Err(e) => {
            exit::print_error(&e);
            return EXIT_USAGE;
        }
    };
    // Kept alive for the whole run.
    let (addr, _server, where_) = match explicit {
        Some(addr) => {
            let where_ = match &shards {
                Some(s) => {
                    let names: Vec<String> = s.servers().iter().map(Addr::to_string).collect();
                    format!("{} servers {}", names.len(), names.join(","))
                }
                None => format!("server {addr}"),
            };
            (addr.clone(), None, where_)
        }
        None => match gibson_server::Server::builder().bind_tcp("127.0.0.1:0") {
            Ok(server) => {
                let addr = match server.addr() {
                    gibson_server::ServerAddr::Tcp(sa) => Addr::Tcp {
                        host: sa.ip().to_string(),
                        port: sa.port(),
                    },
                    gibson_server::ServerAddr::Unix(p) => Addr::Unix(p.clone()),
                };
                let w = format!("embedded server {addr}");
                (addr, Some(server), w)
            }
            Err(e) => {
                exit::print_error(&format_args!("cannot start the embedded server: {e}"));
                return EXIT_CONNECTION;
            }
        },
    };
    let mut limits = gibson_proto::Limits::default();
    limits.write_window = args.write_window;
    let config = with_timeout(Config::new(addr), cli.timeout())
        .max_in_flight(args.pipeline.max(4096))
        .limits(limits);
    if let Err(e) = config.validate() {
        exit::print_error(&e);
        return EXIT_USAGE;
    }
    let shards = shards.map(|mut s| {
        s.client = with_timeout(s.client.clone(), cli.timeout())
            .max_in_flight(args.pipeline.max(4096))
            .limits(limits);
        s
    });
    let plan = Plan {
        config,
        shards,
        clients: args.clients,
        pipeline: args.pipeline,
        requests: args.requests,
        threads: args.threads.max(1),
    };
    runners::init_executor_threads(plan.threads);
    let tests: Vec<Test> = if args.tests.is_empty() {
        Test::value_variants().to_vec()
    } else {
        args.tests.clone()
    };
    let mut clients: Vec<Runner> = Vec::new();
    for r in &args.libraries {
        if !clients.contains(&Runner::Library(*r)) {
            clients.push(Runner::Library(*r));
        }
    }
    if args.raw {
        clients.push(Runner::Raw);
    }

    let workload = Arc::new(Workload::new(args.keyspace, args.data_size));
    if let Err(e) = plan.setup(&workload) {
        exit::print_error(&format_args!("bench setup on {where_}: {e}"));
        return exit::exit_code(&e);
    }
    eprintln!(
        "gibson bench: {where_}; {} requests per test, {} clients, {} in flight per client, {}-byte values, keyspace {}, async runtimes on {} thread(s){}",
        args.requests,
        args.clients,
        args.pipeline,
        args.data_size,
        args.keyspace,
        plan.threads,
        if args.repeat > 1 {
            format!(", best of {} rounds", args.repeat)
        } else {
            String::new()
        }
    );

    // With --repeat, whole rounds run again (so that a noisy moment hits
    // every client alike) and each (test, client) keeps its fastest run.
    let mut best: Vec<Option<RunResult>> = Vec::new();
    best.resize_with(tests.len() * clients.len(), || None);
    let mut code = 0;
    for round in 0..args.repeat.max(1) {
        for (ti, &test) in tests.iter().enumerate() {
            for (ci, &client) in clients.iter().enumerate() {
                let mut label = format!("{} {}", test.name(), client.name());
                if args.repeat > 1 {
                    label = format!("{label} #{}", round + 1);
                }
                let cpu_before = cpu::process_cpu();
                let outcome = report::with_progress(&label, plan.requests, args.quiet, |done| {
                    run_one(&plan, &workload, test, client, done)
                });
                let cpu = cpu::process_cpu()
                    .zip(cpu_before)
                    .map(|(after, before)| after.saturating_sub(before));
                match outcome {
                    Ok((elapsed, outs)) => {
                        let r = RunResult::new(test.name(), client.name(), elapsed, outs, cpu);
                        if let Some(e) = &r.first_error {
                            exit::print_error(&format_args!(
                                "{label}: {} of {} requests failed; first: {e}",
                                r.errors, r.requests
                            ));
                            code = EXIT_SERVER;
                        }
                        let slot = &mut best[ti * clients.len() + ci];
                        if slot
                            .as_ref()
                            .is_none_or(|b| r.ops_per_sec() > b.ops_per_sec())
                        {
                            *slot = Some(r);
                        }
                    }
                    Err(e) => {
                        exit::print_error(&format_args!("{label}: {e}"));
                        code = EXIT_CONNECTION;
                    }
                }
            }
        }
    }
    let results: Vec<RunResult> = best.into_iter().flatten().collect();
    if let Err(e) = plan.cleanup(&workload) {
        exit::print_error(&format_args!("bench cleanup: {e}"));
    }
    let text = if args.csv {
        report::csv(&results, args.clients, args.pipeline, args.data_size)
    } else {
        report::table(&results)
    };
    // A closed pipe (`| head`) is not worth a panic.
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    code
}

/// One test through one client.
fn run_one(
    plan: &Plan,
    workload: &Arc<Workload>,
    test: Test,
    client: Runner,
    done: &Arc<AtomicU64>,
) -> runners::RunOutcome {
    match client {
        Runner::Raw => raw_runner::run_raw(plan, done, workload.raw_frames(test)),
        Runner::Library(Library::Tokio) => {
            with_command!(test, workload, runners::run_tokio, plan, done)
        }
        Runner::Library(Library::AsyncStd) => {
            with_command!(test, workload, runners::run_async_std, plan, done)
        }
        Runner::Library(Library::Smol) => {
            with_command!(test, workload, runners::run_smol, plan, done)
        }
        Runner::Library(Library::Blocking) => {
            with_command!(test, workload, runners::run_blocking, plan, done)
        }
    }
}
