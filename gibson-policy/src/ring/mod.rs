//! A consistent hash ring mapping keys to servers, placing every key where
//! libmemcached puts it.
//!
//! The placement rules are on [`Distribution`].
//!
//! Pure arithmetic on bytes: the same names give the same mapping on every
//! platform and Rust version.

mod hash;
mod points;

pub use hash::{md5_words, one_at_a_time};

/// How a [`HashRing`] places points and hashes keys.
///
/// Both distributions are measured against libmemcached 1.1 through
/// pylibmc on real memcached servers (`tests/libmemcached`, whose fixtures
/// a test checks line by line):
///
/// * [`Distribution::Ketama`], the default, is what pylibmc's
///   `Client(servers, behaviors={"ketama": True})` does: 100 points per
///   server, each the [`one_at_a_time`] hash of `host:port-i` for `i` in
///   `0..100`; a key, hashed the same way, goes to the first point at or
///   above its hash, wrapping around.
/// * [`Distribution::Md5`] is libketama's and twemproxy's ring, which is also
///   libmemcached's `ketama_weighted`: 160 points per server, four from
///   each MD5 digest of `host:port-i` (`i` in `0..40`, see [`md5_words`]),
///   and a key hashed to the first word of its MD5.
///
/// Rules both share, as libmemcached has them:
///
/// * for memcached's default port the point strings leave the port out
///   (`host-i` for `host:11211`), and an IPv6 host is written without its
///   brackets (`::1:10128-i`); a name without a `:port` is used whole;
/// * weights: as soon as one server weighs more than 1, the `Ketama` ring
///   takes `Md5`'s points (four per MD5 digest) while keys keep their
///   one-at-a-time hash, and in both distributions a server of weight `w`
///   out of a total `W` over `n` servers gets
///   `floor(w / W × 40 × n + 1e-10) × 4` points, computed in single
///   precision (so equal weights give 160 points each, except for a few
///   server counts such as 25, where rounding gives 156);
/// * equal points are ordered by the servers' order in the list.
///
/// ```
/// use gibson_policy::{Distribution, HashRing};
/// let ketama = HashRing::new(["10.0.0.1:10128", "10.0.0.2:10128"]);
/// assert_eq!(ketama.distribution(), Distribution::Ketama);
/// let md5 = HashRing::with_distribution(Distribution::Md5, ["10.0.0.1:10128"]);
/// assert_eq!(md5.server_for(b"any"), Some("10.0.0.1:10128"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Distribution {
    /// libmemcached's ketama with its default (one-at-a-time) hash, as
    /// pylibmc's `behaviors={"ketama": True}` sets it up: the same server
    /// list puts every key on the same server.
    #[default]
    Ketama,
    /// MD5 points and keys: libketama's and twemproxy's ring, and
    /// libmemcached's `ketama_weighted` (pylibmc's
    /// `behaviors={"ketama_weighted": True}`).
    Md5,
}

impl Distribution {
    /// The hash of `key` that is looked up on the ring.
    ///
    /// ```
    /// use gibson_policy::{one_at_a_time, Distribution};
    /// assert_eq!(Distribution::Ketama.key_hash(b"a"), one_at_a_time(b"a"));
    /// ```
    pub fn key_hash(self, key: &[u8]) -> u32 {
        match self {
            Distribution::Ketama => one_at_a_time(key),
            Distribution::Md5 => md5_words(key)[0],
        }
    }
}

/// A consistent hash ring over server names (`host:port`), each with a
/// weight (1 unless given).
///
/// ```
/// use gibson_policy::HashRing;
/// let ring = HashRing::new(["10.0.0.1:10128", "10.0.0.2:10128"]);
/// let server = ring.server_for(b"user:42").unwrap();
/// assert_eq!(ring.server_for(b"user:42"), Some(server)); // stable
/// ```
#[derive(Debug, Clone, Default)]
pub struct HashRing {
    distribution: Distribution,
    servers: Vec<String>,
    /// One per server.
    weights: Vec<u32>,
    /// (point, index into `servers`), sorted.
    points: Vec<(u32, usize)>,
}

impl HashRing {
    /// A [`Distribution::Ketama`] ring over `servers`, each of weight 1
    /// (duplicates are ignored).
    pub fn new<I, S>(servers: I) -> HashRing
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        HashRing::with_distribution(Distribution::Ketama, servers)
    }

    /// A ring of `distribution` over `servers`, each of weight 1
    /// (duplicates are ignored).
    ///
    /// ```
    /// use gibson_policy::{Distribution, HashRing};
    /// let ring = HashRing::with_distribution(Distribution::Md5, ["a:1", "b:2"]);
    /// assert_eq!(ring.servers(), ["a:1", "b:2"]);
    /// ```
    pub fn with_distribution<I, S>(distribution: Distribution, servers: I) -> HashRing
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        HashRing::weighted(distribution, servers.into_iter().map(|s| (s, 1)))
    }

    /// A ring of `distribution` over `(server, weight)` pairs (duplicates
    /// are ignored). The weights follow libmemcached's rule (see
    /// [`Distribution`]); a weight of 0 gives a server no point once
    /// another weighs more than 1.
    ///
    /// ```
    /// use gibson_policy::{Distribution, HashRing};
    /// let ring = HashRing::weighted(Distribution::Ketama, [("a:1", 1), ("b:2", 3)]);
    /// assert_eq!(ring.weight(1), Some(3));
    /// let on_b = (0..1000)
    ///     .filter(|i| ring.index_for(format!("k{i}").as_bytes()) == Some(1))
    ///     .count();
    /// assert!(on_b > 650 && on_b < 850, "{on_b}");
    /// ```
    pub fn weighted<I, S>(distribution: Distribution, servers: I) -> HashRing
    where
        I: IntoIterator<Item = (S, u32)>,
        S: Into<String>,
    {
        let mut ring = HashRing {
            distribution,
            ..HashRing::default()
        };
        for (server, weight) in servers {
            let server = server.into();
            if !ring.servers.contains(&server) {
                ring.servers.push(server);
                ring.weights.push(weight);
            }
        }
        ring.rebuild();
        ring
    }

    /// Adds a server of weight 1; `false` if it was already there.
    ///
    /// ```
    /// use gibson_policy::HashRing;
    /// let mut ring = HashRing::new(["a:1"]);
    /// assert!(ring.add("b:2"));
    /// assert!(!ring.add("a:1"));
    /// assert_eq!(ring.servers(), ["a:1", "b:2"]);
    /// ```
    pub fn add(&mut self, server: impl Into<String>) -> bool {
        self.add_weighted(server, 1)
    }

    /// Adds a server of `weight`; `false` (and nothing changes) if it was
    /// already there.
    ///
    /// ```
    /// use gibson_policy::HashRing;
    /// let mut ring = HashRing::default();
    /// assert!(ring.add_weighted("a:1", 2));
    /// assert!(!ring.add_weighted("a:1", 5));
    /// assert_eq!(ring.weight(0), Some(2));
    /// ```
    pub fn add_weighted(&mut self, server: impl Into<String>, weight: u32) -> bool {
        let server = server.into();
        if self.servers.contains(&server) {
            return false;
        }
        self.servers.push(server);
        self.weights.push(weight);
        self.rebuild();
        true
    }

    /// Removes a server; `false` if it was not there. The servers after it
    /// move down one index.
    ///
    /// ```
    /// use gibson_policy::HashRing;
    /// let mut ring = HashRing::new(["a:1", "b:2", "c:3"]);
    /// assert!(ring.remove("a:1"));
    /// assert_eq!(ring.servers(), ["b:2", "c:3"]);
    /// assert_eq!(ring.weight(1), Some(1));
    /// assert!(!ring.remove("a:1"));
    /// ```
    pub fn remove(&mut self, server: &str) -> bool {
        let Some(at) = self.servers.iter().position(|s| s == server) else {
            return false;
        };
        self.servers.remove(at);
        self.weights.remove(at);
        self.rebuild();
        true
    }

    /// The servers, in the order they were added.
    pub fn servers(&self) -> &[String] {
        &self.servers
    }

    /// The weight of the server at `index`.
    pub fn weight(&self, index: usize) -> Option<u32> {
        self.weights.get(index).copied()
    }

    /// How the ring places points and hashes keys.
    pub fn distribution(&self) -> Distribution {
        self.distribution
    }

    /// The points, `(point, server index)`, sorted.
    pub(crate) fn points(&self) -> &[(u32, usize)] {
        &self.points
    }

    fn rebuild(&mut self) {
        self.points = points::points(self.distribution, &self.servers, &self.weights);
    }

    /// The index (into [`servers`](HashRing::servers)) of the server for
    /// `key`; `None` if the ring is empty (or every server weighs 0).
    ///
    /// ```
    /// use gibson_policy::HashRing;
    /// // Where pylibmc (libmemcached) with ketama=True puts "key:0" too
    /// // (tests/libmemcached/three.tsv).
    /// let ring = HashRing::new(["127.0.0.1:10181", "127.0.0.1:10182", "127.0.0.1:10183"]);
    /// assert_eq!(ring.server_for(b"key:0"), Some("127.0.0.1:10182"));
    /// assert_eq!(ring.index_for(b"key:0"), Some(1));
    /// assert_eq!(HashRing::default().index_for(b"key:0"), None);
    /// ```
    pub fn index_for(&self, key: &[u8]) -> Option<usize> {
        if self.points.is_empty() {
            return None;
        }
        let hash = self.distribution.key_hash(key);
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
        // Computed once from the MD5 definition; any change to the hashing
        // (and so to where users' keys live) fails this test. No two points
        // are equal here, so the servers' order does not matter.
        let ring = HashRing::with_distribution(Distribution::Md5, names(3));
        let got: Vec<&str> = (0..8)
            .map(|i| ring.server_for(format!("key:{i}").as_bytes()).unwrap())
            .collect();
        let again = HashRing::with_distribution(Distribution::Md5, names(3).into_iter().rev());
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
        for distribution in [Distribution::Ketama, Distribution::Md5] {
            for n in [1usize, 2, 4, 9] {
                let before = HashRing::with_distribution(distribution, names(n));
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
                // 100 or 160 points per server stay well within ±40%.
                assert!(
                    moved > expected * 6 / 10 && moved < expected * 14 / 10,
                    "{distribution:?} n={n}: moved {moved}, expected about {expected}"
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
