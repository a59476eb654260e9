//! What a near cache holds and for how long: [`NearConfig`].

use std::time::Duration;

use bytes::Bytes;
use gibson_proto::Error;

/// The version keys' prefix unless [`NearConfig::version_prefix`] says
/// otherwise: the version key of the cached prefix `user:` is
/// `~near:user:`.
pub const DEFAULT_VERSION_PREFIX: &str = "~near:";

/// What a near cache holds: the prefixes it caches, its bounds and how
/// stale a value it may serve.
///
/// Every process that writes under a cached prefix must name the same
/// prefixes and version prefix: a write bumps the version keys of the
/// prefixes it touches, and readers in other processes see the bump.
///
/// ```
/// use std::time::Duration;
/// use gibson_near::NearConfig;
///
/// let config = NearConfig::new(["user:", "page:"])
///     .max_entries(50_000)
///     .max_bytes(128 << 20)
///     .max_staleness(Duration::from_millis(250));
/// assert_eq!(config.prefixes().len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct NearConfig {
    prefixes: Vec<Bytes>,
    max_entries: usize,
    max_bytes: u64,
    max_staleness: Duration,
    version_prefix: Bytes,
}

impl NearConfig {
    /// Caches the keys under `prefixes` (nothing else), with at most 10 000
    /// entries, 64 MiB and 1 s of staleness until told otherwise.
    pub fn new<P: AsRef<[u8]>>(prefixes: impl IntoIterator<Item = P>) -> NearConfig {
        NearConfig {
            prefixes: prefixes
                .into_iter()
                .map(|p| Bytes::copy_from_slice(p.as_ref()))
                .collect(),
            max_entries: 10_000,
            max_bytes: 64 << 20,
            max_staleness: Duration::from_secs(1),
            version_prefix: Bytes::from_static(DEFAULT_VERSION_PREFIX.as_bytes()),
        }
    }

    /// The most values held at once (at least 1).
    pub fn max_entries(mut self, n: usize) -> NearConfig {
        self.max_entries = n;
        self
    }

    /// The most bytes held at once: keys and values, plus a fixed cost per
    /// entry ([`ENTRY_OVERHEAD`](crate::ENTRY_OVERHEAD)). A value bigger
    /// than a shard of this bound is not cached.
    pub fn max_bytes(mut self, n: u64) -> NearConfig {
        self.max_bytes = n;
        self
    }

    /// How long after a write through any client a reader may still be
    /// served the value it replaced (above zero): each cached prefix's
    /// version key is read at most once per this interval.
    pub fn max_staleness(mut self, d: Duration) -> NearConfig {
        self.max_staleness = d;
        self
    }

    /// The prefix of the version keys (`~near:` by default): the version
    /// key of cached prefix `p` is this followed by `p`. It must lie outside
    /// every cached prefix.
    pub fn version_prefix(mut self, prefix: impl AsRef<[u8]>) -> NearConfig {
        self.version_prefix = Bytes::copy_from_slice(prefix.as_ref());
        self
    }

    /// The cached prefixes.
    pub fn prefixes(&self) -> &[Bytes] {
        &self.prefixes
    }

    /// The bound on staleness.
    pub fn staleness(&self) -> Duration {
        self.max_staleness
    }

    /// The version key of the cached prefix `prefix`.
    pub fn version_key(&self, prefix: &[u8]) -> Bytes {
        [&self.version_prefix[..], prefix].concat().into()
    }

    pub(crate) fn entries(&self) -> usize {
        self.max_entries
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Refuses a configuration that could not keep its promise.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.prefixes.is_empty() {
            return Err(Error::invalid(
                "prefixes",
                "a near cache needs at least one prefix to cache",
            ));
        }
        if self.prefixes.iter().any(|p| p.is_empty()) {
            return Err(Error::invalid(
                "prefixes",
                "an empty prefix would cache every key, version keys included; name the prefixes",
            ));
        }
        for (arg, bound) in [
            ("max_entries", self.max_entries as u64),
            ("max_bytes", self.max_bytes),
        ] {
            if bound == 0 {
                return Err(Error::invalid(
                    arg,
                    "a near cache bounded to nothing caches nothing; use the client alone",
                ));
            }
        }
        if self.max_staleness.is_zero() {
            return Err(Error::invalid(
                "max_staleness",
                "0 would check the version on every read; use the client alone",
            ));
        }
        if self.version_prefix.is_empty() {
            return Err(Error::invalid(
                "version_prefix",
                "version keys need a prefix of their own",
            ));
        }
        if let Some(p) = self
            .prefixes
            .iter()
            .find(|p| self.version_prefix.starts_with(p) || p.starts_with(&self.version_prefix))
        {
            return Err(Error::invalid(
                "version_prefix",
                format!(
                    "version keys under \"{}\" would fall in the cached prefix \"{}\"",
                    gibson_proto::escape(&self.version_prefix),
                    gibson_proto::escape(p)
                ),
            ));
        }
        Ok(())
    }
}
