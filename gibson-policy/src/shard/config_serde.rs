//! `serde::Deserialize` for [`ShardConfig`] (feature `serde`): from a URL
//! string, or from a table of the servers' URL and the sharding options.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::config_serde::{duration, url_or_table, IntoConfig};

use super::{OnMissing, ShardConfig};

/// A [`ShardConfig`] reads either a URL string (all the forms of its
/// `FromStr`: `"gibson://a:10128,b:10128?replicas=1&hedge=5ms"`), or a
/// table with `servers` (any of those forms; its options apply first) and
/// any of the fields below, which override them. Unknown fields are
/// errors; durations need a unit.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// use std::time::Duration;
/// use gibson_policy::shard::ShardConfig;
///
/// let config: ShardConfig = serde_json::from_str(r#"{
///     "servers": "gibson://10.0.0.1:10128,10.0.0.2:10128,10.0.0.3:10128?response_timeout=300ms",
///     "replicas": 1,
///     "hedge": "5ms",
///     "retry_timeout": "5s"
/// }"#).unwrap();
/// assert_eq!((config.replicas, config.hedge), (1, Some(Duration::from_millis(5))));
/// assert_eq!(config.retry_timeout, Duration::from_secs(5));
/// let url: ShardConfig = serde_json::from_str(r#""a:1,b:2?replicas=1""#).unwrap();
/// assert_eq!(url.replicas, 1);
/// # }
/// ```
impl<'de> Deserialize<'de> for ShardConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ShardConfig, D::Error> {
        let expecting = "a gibson:// URL of several servers or a table with `servers`";
        url_or_table::<D, ShardConfig, Table>(deserializer, expecting)
    }
}

/// The table form; every field but `servers` is optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    servers: String,
    replicas: Option<u32>,
    #[serde(default, deserialize_with = "duration")]
    hedge: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    discover: Option<Duration>,
    failure_limit: Option<u32>,
    #[serde(default, deserialize_with = "duration")]
    retry_timeout: Option<Duration>,
    remove_failed: Option<bool>,
    partial: Option<bool>,
}

impl IntoConfig<ShardConfig> for Table {
    fn into_config(self) -> Result<ShardConfig, gibson_proto::Error> {
        let mut c: ShardConfig = self.servers.parse()?;
        if let Some(n) = self.replicas {
            c.replicas = n;
        }
        if self.hedge.is_some() {
            c.hedge = self.hedge;
        }
        if self.discover.is_some() {
            c.discover = self.discover;
        }
        if let Some(n) = self.failure_limit {
            c.failure_limit = n;
        }
        if let Some(d) = self.retry_timeout {
            c.retry_timeout = d;
        }
        if let Some(b) = self.remove_failed {
            c.remove_failed = b;
        }
        if let Some(b) = self.partial {
            c.on_missing = if b {
                OnMissing::Partial
            } else {
                OnMissing::Fail
            };
        }
        c.validate()?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_option() {
        let err = |text: &str| {
            toml::from_str::<ShardConfig>(text)
                .err()
                .unwrap()
                .to_string()
        };
        let e = err("servers = \"a:1,b:2\"\nreplicas = 2");
        assert!(e.contains("replicas"), "{e}");
        let e = err("servers = \"a:1,b:2\"\nreplicas = 1\nhedge = \"5\"");
        assert!(e.contains("hedge") && e.contains("no unit"), "{e}");
        let e = err("servers = \"a:1,b:2\"\nhedge = \"5ms\"");
        assert!(e.contains("hedge"), "{e}");
        let e = err("servers = \"a:1,b:2\"\nreplica = 1");
        assert!(e.contains("unknown field"), "{e}");
        let c: ShardConfig =
            toml::from_str("servers = \"a:1,b:2,c:3\"\nreplicas = 2\npartial = true").unwrap();
        assert_eq!((c.replicas, c.on_missing), (2, OnMissing::Partial));
    }
}
