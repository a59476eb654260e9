//! Helpers for the tests of sharded clients.

use gibson_policy::shard::ShardConfig;

/// The first key `{prefix}{n}` (n = 0, 1, …) that lives on server `index`
/// of `config`'s ring.
///
/// # Panics
///
/// When `index` is not a server of the ring (no key would ever match).
pub fn key_on(config: &ShardConfig, index: usize, prefix: &str) -> String {
    assert!(index < config.servers().len(), "no server {index}");
    let ring = config.ring();
    (0u64..)
        .map(|i| format!("{prefix}{i}"))
        .find(|k| ring.index_for(k.as_bytes()) == Some(index))
        .unwrap_or_default()
}

/// The keys of `keys` that live on server `index` of `config`'s ring.
pub fn keys_on<'k>(config: &ShardConfig, index: usize, keys: &'k [String]) -> Vec<&'k String> {
    let ring = config.ring();
    keys.iter()
        .filter(|k| ring.index_for(k.as_bytes()) == Some(index))
        .collect()
}
