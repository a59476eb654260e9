//! The ring against libmemcached: every line of the fixtures that
//! `tests/libmemcached/measure.py` recorded with pylibmc and real memcached
//! servers, and (when both are installed) a fresh measurement.

use std::path::{Path, PathBuf};
use std::process::Command;

use gibson_policy::{Distribution, HashRing};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/libmemcached")
}

/// `\xNN` escapes back to bytes.
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// The ring for a fixture's header: pylibmc specs `host:port[:weight]` and
/// the behavior.
fn ring_of(servers: &str, behavior: &str) -> HashRing {
    let distribution = match behavior {
        "ketama" => Distribution::Ketama,
        "ketama_weighted" => Distribution::Md5,
        other => panic!("unknown behavior {other}"),
    };
    let specs = servers.split('\t').map(|spec| {
        let mut parts = spec.split(':');
        let (host, port) = (parts.next().unwrap(), parts.next().unwrap());
        let weight = parts.next().map_or(1, |w| w.parse().unwrap());
        (format!("{host}:{port}"), weight)
    });
    HashRing::weighted(distribution, specs)
}

#[test]
fn the_ring_puts_every_key_where_libmemcached_did() {
    let mut fixtures = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("tsv") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let servers = lines.next().unwrap().strip_prefix("# servers\t").unwrap();
        let behavior = lines.next().unwrap().strip_prefix("# behaviors\t").unwrap();
        let ring = ring_of(servers, behavior);
        let mut keys = 0;
        for line in lines {
            let (key, server) = line.split_once('\t').unwrap();
            assert_eq!(
                ring.server_for(&unescape(key)),
                Some(server),
                "{}: key {key}",
                path.display()
            );
            keys += 1;
        }
        assert!(keys >= 1000, "{}: only {keys} keys", path.display());
        fixtures += 1;
    }
    assert_eq!(fixtures, 6, "one fixture per server list of measure.py");
}

/// Runs `measure.py --check`, which measures libmemcached again and
/// compares with the committed fixtures; skipped (with the reason printed)
/// when python3-pylibmc or memcached is missing or its ports are busy.
#[test]
fn the_fixtures_match_libmemcached_measured_now() {
    let output = match Command::new("/usr/bin/python3")
        .arg(dir().join("measure.py"))
        .arg("--check")
        .output()
    {
        Ok(output) => output,
        Err(e) => {
            println!("skipped: cannot run /usr/bin/python3: {e}");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(77) {
        println!("{}", stdout.trim());
        return;
    }
    assert!(
        output.status.success(),
        "measure.py --check failed:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
}
