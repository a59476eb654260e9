//! `gibson route` puts every key where libmemcached does: the fixtures
//! measured with pylibmc (`ketama: True`) on real memcached servers
//! (gibson-policy/tests/libmemcached), 1 200 plain-text keys each, through
//! the binary.

mod common;

use std::path::Path;

use common::gibson_stdin;

/// The fixture's server list and its (key, server) lines without escapes.
fn fixture(name: &str) -> (Vec<String>, Vec<(String, String)>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../gibson-policy/tests/libmemcached")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut servers = Vec::new();
    let mut keys = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields[0] == "# servers" {
            servers = fields[1..].iter().map(|s| s.to_string()).collect();
        } else if !line.starts_with('#') && !line.contains("\\x") {
            keys.push((fields[0].to_string(), fields[1].to_string()));
        }
    }
    (servers, keys)
}

fn check(name: &str, url_options: &str) {
    let (servers, keys) = fixture(name);
    assert!(keys.len() >= 1000, "{name}: {} keys", keys.len());
    // pylibmc's `host:port:weight` is our `host:port/weight`.
    let list: Vec<String> = servers
        .iter()
        .map(|s| match s.rsplitn(3, ':').collect::<Vec<_>>()[..] {
            [weight, port, host] => format!("{host}:{port}/{weight}"),
            _ => s.clone(),
        })
        .collect();
    let list = list.join(",");
    let addr = format!("gibson://{list}{url_options}");
    let mut args = vec!["-a", addr.as_str(), "route"];
    args.extend(keys.iter().map(|(k, _)| k.as_str()));
    let run = gibson_stdin(None, &args, b"");
    assert_eq!(run.code, 0, "{run:?}");
    let out = run.out();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), keys.len());
    for (line, (key, server)) in lines.iter().zip(&keys) {
        assert_eq!(*line, format!("{key}\t{server}"), "{name}");
    }
}

#[test]
fn three_servers() {
    check("three.tsv", "");
}

#[test]
fn five_servers() {
    check("five.tsv", "");
}

#[test]
fn the_default_port_is_left_out_of_the_points() {
    check("default_port.tsv", "");
}

#[test]
fn md5_distribution() {
    check("md5_three.tsv", "?distribution=md5");
}

#[test]
fn weighted_servers() {
    check("weighted.tsv", "");
    check("md5_weighted.tsv", "?distribution=md5");
}
