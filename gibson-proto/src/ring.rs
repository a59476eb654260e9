//! A ketama-style consistent hash ring mapping keys to servers.
//!
//! Each server gets 160 points (40 MD5 digests of `"{name}-{i}"`, four
//! little-endian `u32` points each); a key maps to the first point at or
//! after the first four bytes (little-endian) of its MD5. Pure arithmetic
//! on bytes: the same names give the same mapping on every platform and
//! Rust version.

use md5::{Digest, Md5};

/// Points per server.
const POINTS_PER_SERVER: u32 = 160;

/// A consistent hash ring over server names.
///
/// ```
/// use gibson_proto::HashRing;
/// let ring = HashRing::new(["10.0.0.1:10128", "10.0.0.2:10128"]);
/// let server = ring.server_for(b"user:42").unwrap();
/// assert_eq!(ring.server_for(b"user:42"), Some(server)); // stable
/// ```
#[derive(Debug, Clone, Default)]
pub struct HashRing {
    servers: Vec<String>,
    /// (point, index into `servers`), sorted.
    points: Vec<(u32, usize)>,
}

impl HashRing {
    /// A ring over `servers` (duplicates are ignored).
    pub fn new<I, S>(servers: I) -> HashRing
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut ring = HashRing::default();
        for s in servers {
            ring.add(s);
        }
        ring
    }

    /// Adds a server; `false` if it was already there.
    pub fn add(&mut self, server: impl Into<String>) -> bool {
        let server = server.into();
        if self.servers.contains(&server) {
            return false;
        }
        self.servers.push(server);
        self.rebuild();
        true
    }

    /// Removes a server; `false` if it was not there.
    pub fn remove(&mut self, server: &str) -> bool {
        let before = self.servers.len();
        self.servers.retain(|s| s != server);
        let removed = self.servers.len() != before;
        if removed {
            self.rebuild();
        }
        removed
    }

    /// The servers, in the order they were added.
    pub fn servers(&self) -> &[String] {
        &self.servers
    }

    fn rebuild(&mut self) {
        self.points.clear();
        for (index, name) in self.servers.iter().enumerate() {
            for i in 0..POINTS_PER_SERVER / 4 {
                let digest = Md5::digest(format!("{name}-{i}").as_bytes());
                for chunk in digest.chunks_exact(4) {
                    let point = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                    self.points.push((point, index));
                }
            }
        }
        // Ties are broken by server name, so the order the servers were
        // added in does not matter.
        let servers = &self.servers;
        self.points
            .sort_by(|a, b| a.0.cmp(&b.0).then_with(|| servers[a.1].cmp(&servers[b.1])));
    }

    /// The index (into [`servers`](HashRing::servers)) of the server for `key`.
    pub fn index_for(&self, key: &[u8]) -> Option<usize> {
        if self.points.is_empty() {
            return None;
        }
        let digest = Md5::digest(key);
        let hash = u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]);
        let at = self.points.partition_point(|&(p, _)| p < hash);
        let (_, index) = self.points[at % self.points.len()];
        Some(index)
    }

    /// The server for `key`, `None` if the ring is empty.
    pub fn server_for(&self, key: &[u8]) -> Option<&str> {
        self.index_for(key).map(|i| self.servers[i].as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("10.0.0.{i}:10128")).collect()
    }

    #[test]
    fn known_mapping_is_stable() {
        // Computed once from the definition above; any change to the hashing
        // (and so to where users' keys live) fails this test.
        let ring = HashRing::new(names(3));
        let got: Vec<&str> = (0..8)
            .map(|i| ring.server_for(format!("key:{i}").as_bytes()).unwrap())
            .collect();
        let again = HashRing::new(names(3).into_iter().rev());
        let got_rev: Vec<&str> = (0..8)
            .map(|i| again.server_for(format!("key:{i}").as_bytes()).unwrap())
            .collect();
        assert_eq!(got, got_rev, "insertion order must not matter");
        assert_eq!(got, KNOWN);
    }

    // Cross-checked against an independent Python (hashlib) implementation
    // of the same definition.
    const KNOWN: [&str; 8] = [
        "10.0.0.1:10128",
        "10.0.0.1:10128",
        "10.0.0.0:10128",
        "10.0.0.1:10128",
        "10.0.0.0:10128",
        "10.0.0.2:10128",
        "10.0.0.1:10128",
        "10.0.0.0:10128",
    ];

    #[test]
    fn adding_a_server_moves_about_one_in_n_plus_one() {
        for n in [1usize, 2, 4, 9] {
            let before = HashRing::new(names(n));
            let mut after = before.clone();
            after.add(format!("10.0.1.{n}:10128"));
            let total = 20_000;
            let moved = (0..total)
                .filter(|i| {
                    let key = format!("k{i}");
                    before.server_for(key.as_bytes()) != after.server_for(key.as_bytes())
                })
                .count();
            let expected = total / (n + 1);
            // ketama with 160 points per server stays well within ±40%.
            assert!(
                moved > expected * 6 / 10 && moved < expected * 14 / 10,
                "n={n}: moved {moved}, expected about {expected}"
            );
            // Every moved key went to the new server.
            for i in 0..2000 {
                let key = format!("k{i}");
                let (a, b) = (
                    before.server_for(key.as_bytes()),
                    after.server_for(key.as_bytes()),
                );
                if a != b {
                    assert_eq!(b, Some(format!("10.0.1.{n}:10128").as_str()));
                }
            }
        }
    }

    #[test]
    fn empty_and_remove() {
        let mut ring = HashRing::default();
        assert_eq!(ring.server_for(b"k"), None);
        assert!(ring.add("a"));
        assert!(!ring.add("a"));
        assert_eq!(ring.server_for(b"k"), Some("a"));
        assert!(ring.remove("a"));
        assert!(!ring.remove("a"));
        assert_eq!(ring.index_for(b"k"), None);
    }
}
