//! Replays the fuzz corpus as an ordinary test: every file under
//! `corpus/<target>/` goes through the target of that name in
//! [`gibson_fuzz::TARGETS`]. The test binary links `gibson_fuzz`, so it runs
//! under the same 64 MiB allocation cap as the fuzz binaries.
//!
//! The committed seeds (`corpus/<target>/seed-*`) are written by the ignored
//! test `write_seeds`:
//! `cargo test -p gibson-fuzz --test corpus -- --ignored write_seeds`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use gibson_fuzz::{MAX_ALLOCATION, TARGETS};
use gibson_proto::bytes::{BufMut, BytesMut};
use gibson_proto::{cmd, Limits, LockTime, MetaField, Ttl};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn replay_corpus() {
    for (name, run) in TARGETS {
        let dir = corpus().join(name);
        let files = files(&dir);
        let seeds = files
            .iter()
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("seed-")
            })
            .count();
        assert!(seeds > 0, "no committed seed in {}", dir.display());
        for file in &files {
            let data = fs::read(file).unwrap();
            // Names the input in the output of a failing run.
            eprintln!("{name}: {}", file.display());
            run(&data);
        }
    }
}

#[test]
fn every_corpus_directory_has_a_target() {
    for entry in fs::read_dir(corpus()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            TARGETS.iter().any(|(t, _)| *t == name),
            "corpus/{name} has no entry in gibson_fuzz::TARGETS"
        );
    }
}

/// Every target has a `[[bin]]` and a `fuzz_targets/<name>.rs`.
#[test]
fn every_target_has_a_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for (name, _) in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "no [[bin]] for {name}"
        );
        let src = fs::read_to_string(root.join("fuzz_targets").join(format!("{name}.rs")))
            .unwrap_or_else(|e| panic!("fuzz_targets/{name}.rs: {e}"));
        assert!(
            src.contains(&format!("gibson_fuzz::{name}(")),
            "fuzz_targets/{name}.rs does not call gibson_fuzz::{name}"
        );
    }
}

const CHILD: &str = "GIBSON_FUZZ_ALLOCATE_OVER_CAP";

/// Run in a child process by `an_allocation_over_the_cap_aborts`.
#[test]
fn allocate_over_the_cap_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let v: Vec<u8> = Vec::with_capacity(MAX_ALLOCATION + 1);
    // Not reached: the allocator aborts.
    println!("allocated {} bytes", v.capacity());
}

#[test]
fn an_allocation_over_the_cap_aborts() {
    // At the cap is fine.
    let v: Vec<u8> = Vec::with_capacity(MAX_ALLOCATION);
    assert_eq!(v.capacity(), MAX_ALLOCATION);
    drop(v);

    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "allocate_over_the_cap_child", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the child survived: {stderr}");
    assert!(
        stderr.contains("gibson-fuzz: refused an allocation of 67108865 bytes"),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("allocated"));
}

// ------------------------------------------------------------------ seeds

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

fn request<C: gibson_proto::Command>(c: C) -> Vec<u8> {
    let mut buf = BytesMut::new();
    c.encode(&mut buf, &Limits::default()).unwrap();
    buf.to_vec()
}

/// Replies: the examples of docs/protocol.md and the malformed frames it lists.
fn reply_streams() -> Vec<Vec<u8>> {
    let ok = hex("05 00 00 01 00 00 00 00");
    let not_found = hex("01 00 00 01 00 00 00 00");
    let bar = hex("06 00 00 03 00 00 00 62 61 72");
    let n77 = hex("06 00 02 08 00 00 00 4d 00 00 00 00 00 00 00");
    let n4 = hex("06 00 02 04 00 00 00 4d 00 00 00");
    let kval = hex(
        "07 00 00 23 00 00 00 02 00 00 00 01 00 00 00 61 00 03 00 00 00 62 61 72 \
         01 00 00 00 6e 02 08 00 00 00 4d 00 00 00 00 00 00 00",
    );
    let all = [&ok, &not_found, &bar, &n77, &n4, &kval].map(|v| v.as_slice());
    vec![
        all.concat(),
        [&kval[..], &kval[..], &bar[..]].concat(),
        [&ok[..], &bar[..9]].concat(),
        [&bar[..], &hex("08 00 00 01 00 00 00 00")[..]].concat(),
        [&ok[..], &hex("06 00 03 01 00 00 00 00")[..]].concat(),
        [&n4[..], &hex("06 00 02 02 00 00 00 01 00")[..]].concat(),
        hex("06 00 01 01 00 00 00 00"),
        hex("07 00 00 0f 00 00 00 02 00 00 00 01 00 00 00 61 00 01 00 00 00 62"),
        hex("07 00 00 10 00 00 00 01 00 00 00 01 00 00 00 61 00 01 00 00 00 62 63"),
        hex("07 00 00 0d 00 00 00 01 00 00 00 ff ff ff ff 00 00 00 00 00"),
        [&ok[..], &hex("06 00 00 ff ff ff ff")[..]].concat(),
        hex("07 00 00 04 00 00 00 00 00 00 00"),
    ]
}

fn request_streams() -> Vec<Vec<u8>> {
    let set = [&hex("0f 00 00 00 01 00")[..], b"3600 foo 3.14"].concat();
    let many = [
        request(cmd::Set::new("k", "v w", Ttl::Never)),
        request(cmd::Get::<_, Vec<u8>>::new("k")),
        request(cmd::Mget::<_, Vec<u8>, Vec<u8>>::new("p").limit(10)),
        request(cmd::Lock::new("k", LockTime::UntilUnlock)),
        request(cmd::Meta::new("k", MetaField::Ttl)),
        request(cmd::GetStats),
        request(cmd::Ping),
        request(cmd::End),
    ]
    .concat();
    vec![
        set.clone(),
        many,
        [&set[..], &set[..10]].concat(),
        hex("01 00 00 00 13 00"),
        hex("00 00 00 00"),
        hex("01 00 20 00 03 00"),
        hex("02 00 00 00 16 00"),
        [&request(cmd::Ping)[..], &hex("02 00 00 00 00 00")[..]].concat(),
    ]
}

/// Builds session programs in the format `gibson_fuzz::session` reads.
#[derive(Default)]
struct Program(Vec<u8>);

impl Program {
    fn new(ctl: u8) -> Program {
        Program(vec![ctl])
    }
    fn get(mut self, key: &[u8]) -> Self {
        self.0.extend([0, key.len() as u8]);
        self.0.extend_from_slice(key);
        self.0.push(0);
        self
    }
    fn set(mut self, key: &[u8], value: &[u8], ttl: u8) -> Self {
        self.0.extend([0, key.len() as u8]);
        self.0.extend_from_slice(key);
        self.0.extend([1, value.len() as u8]);
        self.0.extend_from_slice(value);
        self.0.push(ttl);
        self
    }
    fn mget(mut self, prefix: &[u8], limit: u32) -> Self {
        self.0.extend([0, prefix.len() as u8]);
        self.0.extend_from_slice(prefix);
        self.0.push(3);
        self.0.put_u32_le(limit);
        self
    }
    fn ping(mut self) -> Self {
        self.0.extend([0, 0, 4]);
        self
    }
    fn abandon(mut self, index: u8) -> Self {
        self.0.extend([2, index]);
        self
    }
    /// Queues a well-formed reply: `reply` is in `gen_reply`'s format.
    fn reply(mut self, reply: &[u8]) -> Self {
        self.0.push(3);
        self.0.extend_from_slice(reply);
        self
    }
    fn deliver(mut self, n: u8, via_read_buf: bool) -> Self {
        self.0.extend([5, n, u8::from(via_read_buf)]);
        self
    }
    fn garbage(mut self, bytes: &[u8]) -> Self {
        self.0.extend([7, bytes.len() as u8]);
        self.0.extend_from_slice(bytes);
        self
    }
    fn poll(mut self) -> Self {
        self.0.push(8);
        self
    }
    fn close(mut self) -> Self {
        self.0.extend([9, 0]);
        self
    }
    fn fail(mut self) -> Self {
        self.0.extend([9, 1]);
        self
    }
    fn consume(mut self, n: u8) -> Self {
        self.0.extend([10, n]);
        self
    }
}

// `gen_reply` formats: OK, NOT_FOUND, LOCKED, VAL "bar", VAL number, KVAL.
const R_OK: &[u8] = &[0];
const R_NOT_FOUND: &[u8] = &[2];
const R_LOCKED: &[u8] = &[5];
const R_BAR: &[u8] = &[6, 3, b'b', b'a', b'r'];
const R_NUM: &[u8] = &[7, 77, 0, 0, 0, 0, 0, 0, 0];
const R_KVAL: &[u8] = &[
    8, 2, 1, b'a', 0, 1, b'1', 1, b'b', 1, 9, 0, 0, 0, 0, 0, 0, 0,
];

fn session_programs() -> Vec<Vec<u8>> {
    let three = || {
        Program::new(0)
            .get(b"k")
            .set(b"k", b"v", 60)
            .mget(b"p", 2)
            .consume(255)
    };
    vec![
        three()
            .reply(R_BAR)
            .reply(R_BAR)
            .reply(R_KVAL)
            .deliver(0, false)
            .poll()
            .0,
        three()
            .reply(R_NOT_FOUND)
            .reply(R_LOCKED)
            .reply(R_KVAL)
            .deliver(1, false)
            .poll()
            .deliver(5, true)
            .poll()
            .deliver(0, false)
            .poll()
            .0,
        three()
            .abandon(1)
            .reply(R_BAR)
            .reply(R_NUM)
            .reply(R_KVAL)
            .deliver(0, false)
            .poll()
            .0,
        three()
            .reply(R_OK)
            .reply(R_BAR)
            .deliver(12, false)
            .close()
            .poll()
            .0,
        three().reply(R_OK).deliver(0, false).fail().poll().ping().0,
        three().garbage(&[5, 0, 0, 1, 0, 0, 0, 0, 9]).poll().0,
        Program::new(0).garbage(&[5, 0, 0, 1]).poll().0,
        Program::new(1)
            .get(b"keys12")
            .get(b"a b")
            .get(b"")
            .set(b"k", b"", 1)
            .set(b"k", b"v", 0)
            .ping()
            .reply(R_OK)
            .deliver(0, false)
            .poll()
            .0,
        Program::new(2)
            .get(b"k")
            .reply(R_KVAL)
            .deliver(0, false)
            .poll()
            .0,
        Program::new(0)
            .mget(b"p", 0)
            .set(b"k", b"v", 60)
            .ping()
            .ping()
            .abandon(0)
            .abandon(0)
            .reply(R_OK)
            .reply(R_OK)
            .deliver(3, false)
            .poll()
            .deliver(0, true)
            .poll()
            .0,
    ]
}

/// Roundtrip inputs in the format `gibson_fuzz::roundtrip` reads: one per
/// opcode with valid arguments, then some broken ones.
fn roundtrip_inputs() -> Vec<Vec<u8>> {
    let replies: [&[u8]; 6] = [R_OK, R_NOT_FOUND, R_LOCKED, R_BAR, R_NUM, R_KVAL];
    let mut out = Vec::new();
    for op in 0u8..22 {
        let mut v = vec![0, op];
        v.extend([3, b'k', b'e', b'y']);
        v.extend([5, b'v', b'a', b'l', b' ', b'1']);
        v.extend([1, 60]); // ttl: 60 s
        v.extend([1, 5]); // lock: 5 s
        v.extend([1, 10]); // limit 10
        v.push(op % 7); // META field
        v.extend_from_slice(replies[usize::from(op) % replies.len()]);
        out.push(v);
    }
    // Empty key, key with space, NUL, TTL 0, lock 0, limit 0, tiny limits.
    out.push([&[0u8, 2, 0, 1, b'v'][..], &[1, 0, 1, 0, 1, 0, 0], R_OK].concat());
    out.push(
        [
            &[0u8, 3, 3, b'a', b' ', b'b', 0][..],
            &[0, 0, 0, 0, 0],
            R_OK,
        ]
        .concat(),
    );
    out.push([&[0u8, 4, 2, b'a', 0, 0][..], &[0, 0, 0, 0, 0], R_OK].concat());
    out.push([&[0u8, 0, 1, b'k', 1, b'v'][..], &[1, 0, 0, 0, 0, 0], R_OK].concat());
    out.push([&[0u8, 6, 1, b'k', 0][..], &[0, 1, 0, 0, 0], R_OK].concat());
    out.push([&[0u8, 10, 1, b'p', 0][..], &[0, 0, 1, 0, 0], R_KVAL].concat());
    out.push(
        [
            &[7u8, 3, 20, 2, 0, 5, b'k', b'e', b'y', b'1', b'2'][..],
            &[1, b'v', 0, 0, 0, 0],
            R_BAR,
        ]
        .concat(),
    );
    out.push(
        [
            &[0u8, 9, 1, b'p'][..],
            &[0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0],
            R_NUM,
        ]
        .concat(),
    );
    out
}

/// Writes the seed corpus. Run by hand after changing an input format.
#[test]
#[ignore = "writes corpus/*/seed-*; run by hand"]
fn write_seeds() {
    let mut sets: Vec<(&str, Vec<Vec<u8>>)> = Vec::new();
    let framed = |streams: Vec<Vec<u8>>, limit: u8| -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for (i, stream) in streams.into_iter().enumerate() {
            // Chunking modes: 1-byte chunks, whole, small and larger random.
            for mode in [0u8, 255, 2, 9] {
                if (i + usize::from(mode)) % 2 == 0 || mode == 0 {
                    out.push([&[mode, 7, 0, 0, 0, 0][..], &stream[..]].concat());
                }
            }
        }
        if let Some(first) = out.first().cloned() {
            let mut small = first;
            small[5] = limit;
            out.push(small);
        }
        out
    };
    sets.push(("reply_decoder", framed(reply_streams(), 0x80 + 4)));
    sets.push(("request_decoder", framed(request_streams(), 0x80 + 10)));
    sets.push(("session", session_programs()));
    sets.push(("roundtrip", roundtrip_inputs()));
    for (name, seeds) in sets {
        let dir = corpus().join(name);
        fs::create_dir_all(&dir).unwrap();
        for old in files(&dir) {
            if old
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seed-")
            {
                fs::remove_file(old).unwrap();
            }
        }
        for (i, seed) in seeds.iter().enumerate() {
            fs::write(dir.join(format!("seed-{i:02}")), seed).unwrap();
        }
    }
}
