//! `-a h1:p1,h2:p2,…`: commands on several servers as one cache, and
//! `route`. Always on three embedded servers (also when
//! `GIBSON_TEST_ADDR` is set: these need three servers).

mod common;

use common::{gibson_stdin, Run};
use gibson_blocking::{Commands, Connection};
use gibson_policy::shard::ShardConfig;
use gibson_test_support::{unique_prefix, TestServer};

fn three() -> Vec<TestServer> {
    (0..3).map(|_| TestServer::embedded_tcp()).collect()
}

fn list(servers: &[TestServer]) -> String {
    let names: Vec<String> = servers.iter().map(|s| s.addr().to_string()).collect();
    names.join(",")
}

fn run(addr: &str, args: &[&str]) -> Run {
    let mut all = vec!["-a", addr];
    all.extend_from_slice(args);
    gibson_stdin(None, &all, b"")
}

fn ok(addr: &str, args: &[&str]) -> String {
    let r = run(addr, args);
    assert_eq!(r.code, 0, "gibson -a {addr} {args:?}: {r:?}");
    assert!(r.stderr.is_empty(), "{r:?}");
    r.out()
}

#[test]
fn commands_run_on_the_servers_as_one_cache() {
    let servers = three();
    let a = list(&servers);
    let p = unique_prefix("cli-shard");
    let keys: Vec<String> = (0..12).map(|i| format!("{p}{i}")).collect();
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(
            ok(&a, &["set", "0", k, &i.to_string()]),
            format!("\"{i}\"\n")
        );
    }
    assert_eq!(ok(&a, &["get", &keys[3]]), "\"3\"\n");
    assert_eq!(ok(&a, &["count", &p]), "12\n");
    assert_eq!(ok(&a, &["mget", &p]).lines().count(), 12);
    assert_eq!(ok(&a, &["mget", &p, "5"]).lines().count(), 5);
    assert_eq!(ok(&a, &["keys", &p]).lines().count(), 12);
    assert_eq!(ok(&a, &["ping"]), "OK\n");
    // The URL form, with options.
    let url = format!("gibson://{a}?failure_limit=3");
    assert_eq!(ok(&url, &["minc", &p]), "12\n");
    assert_eq!(ok(&url, &["mdel", &p]), "12\n");
    assert_eq!(ok(&a, &["count", &p]), "0\n");
    // Each key went to the server the ring names. (Not "every server held
    // some": the servers' ports, and so the ring, change from run to run,
    // and one server's share of 12 keys is sometimes none.)
    for (i, k) in keys.iter().enumerate() {
        ok(&a, &["set", "0", k, &i.to_string()]);
    }
    let ring = a.parse::<ShardConfig>().unwrap().ring();
    let mut total = 0;
    for s in &servers {
        let addr = s.addr().to_string();
        let expected = keys
            .iter()
            .filter(|k| ring.server_for(k.as_bytes()) == Some(addr.as_str()))
            .count();
        let n = Connection::with_config(s.config())
            .unwrap()
            .count(p.as_str())
            .unwrap();
        assert_eq!(n as usize, expected, "keys of 12 on {addr}");
        total += n;
    }
    assert_eq!(total, 12);
}

/// What `route` says of 10 000 keys over `list`: each key's server.
fn routes(list: &str, keys: &[String]) -> Vec<String> {
    let mut args = vec!["route"];
    args.extend(keys.iter().map(String::as_str));
    let out = ok(list, &args);
    out.lines()
        .map(|line| line.split_once('\t').expect("KEY<TAB>server").1.to_string())
        .collect()
}

/// A 4th server joining 3 takes between 20 % and 30 % of 10 000 keys, and
/// only those move, as `route` measures it (on fixed names: the ring
/// depends on nothing else, so the share is exact).
#[test]
fn route_measures_the_keys_a_fourth_server_takes() {
    let keys: Vec<String> = (0..10_000).map(|i| format!("user:{i}")).collect();
    let three = routes("cache-0:10128,cache-1:10128,cache-2:10128", &keys);
    let four = routes(
        "cache-0:10128,cache-1:10128,cache-2:10128,cache-3:10128",
        &keys,
    );
    let moved: Vec<(&String, &String)> = three.iter().zip(&four).filter(|(a, b)| a != b).collect();
    assert!(
        moved.iter().all(|(_, to)| *to == "cache-3:10128"),
        "a key moved between old servers"
    );
    println!("{} of 10 000 keys moved", moved.len());
    assert!(
        (2_000..=3_000).contains(&moved.len()),
        "{} of 10 000 keys moved",
        moved.len()
    );
}

#[test]
fn route_prints_where_each_key_lives() {
    let servers = three();
    let a = list(&servers);
    let ring = a.parse::<ShardConfig>().unwrap().ring();
    let p = unique_prefix("cli-route");
    let keys: Vec<String> = (0..20).map(|i| format!("{p}{i}")).collect();
    let mut args = vec!["route"];
    args.extend(keys.iter().map(String::as_str));
    let out = ok(&a, &args);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), keys.len());
    for (line, key) in lines.iter().zip(&keys) {
        let (k, server) = line.split_once('\t').expect("KEY<TAB>host:port");
        assert_eq!(k, key);
        assert_eq!(Some(server), ring.server_for(key.as_bytes()));
        // And that is where a SET through the tool puts it.
        ok(&a, &["set", "0", key, "x"]);
        let at = servers
            .iter()
            .find(|s| s.addr().to_string() == server)
            .unwrap();
        let got = Connection::with_config(at.config())
            .unwrap()
            .get::<String>(key.as_str());
        assert_eq!(got.unwrap().as_deref(), Some("x"), "{key} on {server}");
    }
    // ROUTE is case-insensitive and needs keys.
    assert_eq!(ok(&a, &["ROUTE", &keys[0]]), format!("{}\n", lines[0]));
    let r = run(&a, &["route"]);
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn a_server_list_refuses_a_port_and_a_dead_server_exits_3() {
    let mut servers = three();
    let a = list(&servers);
    let r = run(&a, &["-p", "10128", "ping"]);
    assert_eq!(r.code, 2, "{r:?}");
    servers[1].stop();
    let r = run(&a, &["count", "x"]);
    assert_eq!(r.code, 3, "a fan-out with a dead server fails: {r:?}");
    // The message names the server that failed, not the whole list.
    let dead = servers[1].addr().to_string();
    assert!(r.stderr.contains(&format!("server {dead}")), "{r:?}");
    assert!(!r.stderr.contains(&a), "{r:?}");
}

/// `route` in the shell answers as the one-shot command does, and a
/// mistyped one is told the name it was near.
#[test]
fn route_in_the_shell() {
    let servers = three();
    let a = list(&servers);
    let keys = [
        unique_prefix("cli-shell-route"),
        unique_prefix("cli-shell-route"),
    ];
    let one_shot = ok(&a, &["route", &keys[0], &keys[1]]);
    let script = format!(
        "route {}\nROUTE {}\nrout {}\n",
        keys.join(" "),
        keys[0],
        keys[0]
    );
    let shell = gibson_stdin(None, &["-a", &a], script.as_bytes());
    let first = one_shot.lines().next().unwrap();
    assert_eq!(shell.out(), format!("{one_shot}{first}\n"), "{shell:?}");
    assert!(shell.stderr.contains("did you mean ROUTE?"), "{shell:?}");
    assert_eq!(shell.code, 2, "the last failed line's code: {shell:?}");
    // `:help` lists it.
    let help = gibson_stdin(None, &["-a", &a], b":help\n");
    assert!(help.out().contains("ROUTE key"), "{help:?}");
}

/// With one of three servers down, a connection error names that server,
/// not the whole list: for a key that lives there and for a prefix
/// command that missed it.
#[test]
fn a_connection_error_names_the_server_that_failed() {
    let mut servers = three();
    let a = list(&servers);
    let ring = a.parse::<ShardConfig>().unwrap().ring();
    let dead = servers[1].addr().to_string();
    servers[1].stop();
    let p = unique_prefix("cli-dead");
    let key = (0..)
        .map(|i| format!("{p}{i}"))
        .find(|k| ring.server_for(k.as_bytes()) == Some(dead.as_str()))
        .unwrap();
    for args in [&["get", key.as_str()][..], &["count", &p]] {
        let r = run(&a, args);
        assert_eq!(r.code, 3, "{args:?}: {r:?}");
        assert!(
            r.stderr.starts_with("error: ") && r.stderr.contains(&dead),
            "{args:?}: {r:?}"
        );
        assert!(!r.stderr.contains(&a), "{args:?}: {r:?}");
    }
    // A key on a live server still works.
    let live = (0..)
        .map(|i| format!("{p}{i}"))
        .find(|k| ring.server_for(k.as_bytes()) != Some(dead.as_str()))
        .unwrap();
    assert_eq!(ok(&a, &["set", "0", &live, "v"]), "\"v\"\n");
    ok(&a, &["del", &live]);
}
