//! `gibson-bench` with a tiny `-n`: every test of the list has a row for
//! every runtime and for `--raw`, against the embedded server and against
//! an address; `--csv`.

use std::process::Command;

use gibson_blocking::{Commands, Connection};
use gibson_policy::Addr;
use gibson_test_support::TestServer;

/// `-a host -p port` or `-u path` for the server.
fn addr_args(server: &TestServer) -> Vec<String> {
    match server.addr() {
        Addr::Tcp { host, port } => vec!["-a".into(), host.clone(), "-p".into(), port.to_string()],
        Addr::Unix(path) => vec!["-u".into(), path.display().to_string()],
    }
}

/// How many of the benchmark's keys are left on `server`.
fn bench_keys_left(server: &TestServer) -> u64 {
    let mut conn = Connection::with_config(server.config()).unwrap();
    conn.count("gibson-bench:").unwrap()
}

const TESTS: [&str; 10] = [
    "ping", "set", "get", "inc", "dec", "meta", "mset", "mget", "count", "keys",
];
const CLIENTS: [&str; 4] = ["tokio", "async-std", "blocking", "raw"];

fn bench(extra: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gibson-bench"))
        .env_remove("GIBSON_ADDR")
        .args(extra)
        .args([
            "-n",
            "300",
            "-c",
            "3",
            "-P",
            "4",
            "-r",
            "50",
            "-q",
            "--runtime",
            "tokio,async-std,blocking",
            "--raw",
        ])
        .output()
        .expect("run gibson bench");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

fn check_table(table: &str) {
    let header = table.lines().next().unwrap();
    for col in [
        "test", "client", "ops/s", "p50 µs", "p95 µs", "p99 µs", "max µs", "vs raw",
    ] {
        assert!(header.contains(col), "{table}");
    }
    for test in TESTS {
        for client in CLIENTS {
            let row = table
                .lines()
                .find(|l| {
                    let mut w = l.split_whitespace();
                    w.next() == Some(test) && w.next() == Some(client)
                })
                .unwrap_or_else(|| panic!("no {test} {client} row:\n{table}"));
            let requests: u64 = row.split_whitespace().nth(2).unwrap().parse().unwrap();
            assert_eq!(requests, 300, "{row}");
        }
    }
    assert_eq!(
        table.lines().count(),
        2 + TESTS.len() * CLIENTS.len(),
        "{table}"
    );
}

#[test]
fn every_test_for_every_runtime_against_the_embedded_server() {
    let (table, stderr) = bench(&[]);
    assert!(stderr.contains("embedded server"), "{stderr}");
    check_table(&table);
}

#[test]
fn against_an_address() {
    let server = TestServer::embedded_tcp();
    let args = addr_args(&server);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (table, stderr) = bench(&args);
    assert!(
        stderr.contains(&format!("server {}", server.addr())),
        "{stderr}"
    );
    assert!(!stderr.contains("embedded"), "{stderr}");
    check_table(&table);
    // The bench's keys are cleaned up.
    assert_eq!(bench_keys_left(&server), 0);
}

#[test]
fn csv_and_test_selection() {
    let out = Command::new(env!("CARGO_BIN_EXE_gibson-bench"))
        .env_remove("GIBSON_ADDR")
        .args([
            "-n", "200", "-c", "2", "-P", "1", "-t", "get,mset", "--csv", "-q", "--repeat", "2",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let csv = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with(
            "test,client,requests,clients,pipeline,data_size,seconds,ops_per_sec,p50_us"
        ),
        "{csv}"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].starts_with("get,tokio,200,2,1,16,"), "{csv}");
    assert!(lines[2].starts_with("mset,tokio,200,2,1,16,"), "{csv}");
}

#[test]
#[cfg(unix)]
fn over_a_unix_socket() {
    let server = TestServer::embedded_unix();
    let args = addr_args(&server);
    assert_eq!(args[0], "-u");
    let out = Command::new(env!("CARGO_BIN_EXE_gibson-bench"))
        .args(&args)
        .args(["-n", "100", "-c", "2", "-P", "3", "-t", "get,keys", "-q"])
        .args(["--runtime", "tokio,async-std,blocking", "--raw"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(table.lines().count(), 2 + 2 * 4, "{table}");
}

#[test]
fn over_several_servers() {
    let servers: Vec<TestServer> = (0..3).map(|_| TestServer::embedded_tcp()).collect();
    let list: Vec<String> = servers.iter().map(|s| s.addr().to_string()).collect();
    let list = list.join(",");
    let out = Command::new(env!("CARGO_BIN_EXE_gibson-bench"))
        .env_remove("GIBSON_ADDR")
        .args([
            "-a",
            list.as_str(),
            "-n",
            "300",
            "-c",
            "2",
            "-P",
            "4",
            "-r",
            "60",
            "-q",
        ])
        .args([
            "-t",
            "set,get,count,mget",
            "--runtime",
            "tokio,async-std,smol,blocking",
        ])
        .output()
        .unwrap();
    let (table, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{table}\n{stderr}");
    assert!(stderr.contains(&format!("3 servers {list}")), "{stderr}");
    for test in ["set", "get", "count", "mget"] {
        for client in ["tokio", "async-std", "smol", "blocking"] {
            let row = table
                .lines()
                .find(|l| l.split_whitespace().take(2).eq([test, client]))
                .unwrap_or_else(|| panic!("no {test} {client} row:\n{table}"));
            assert_eq!(row.split_whitespace().nth(2), Some("300"), "{row}");
        }
    }
    // The run's keys were cleaned up from every server.
    for s in &servers {
        assert_eq!(bench_keys_left(s), 0);
    }
    // --raw measures one server.
    let raw = Command::new(env!("CARGO_BIN_EXE_gibson-bench"))
        .args(["-a", list.as_str(), "-n", "10", "--raw", "-q"])
        .output()
        .unwrap();
    assert_eq!(raw.status.code(), Some(2));
}
