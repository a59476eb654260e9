//! `serde::Deserialize` for [`Config`] (feature `serde`): from a URL string,
//! or from a table whose durations are written as in URLs (`250ms`, `5s`,
//! see [`parse_duration`]).

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::time::Duration;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::config::{Config, RetryPolicy};
use crate::config_url::parse_duration;

/// A [`Config`] reads either a URL string (`"gibson://h:10128?pool_max=8"`,
/// all the forms of [`Config`]'s `FromStr`), or a table with an `addr`
/// (any of those forms; its options apply first) and any of the fields
/// below, which override them. Unknown fields are errors; durations need a
/// unit.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// use std::time::Duration;
/// use gibson_policy::{Config, RetryPolicy};
///
/// let config: Config = serde_json::from_str(r#"{
///     "addr": "gibson://[::1]:10128?attempts=5",
///     "response_timeout": "250ms",
///     "retry": "never",
///     "limits": { "max_key_size": 256 },
///     "pool": { "max_size": 8, "wait_timeout": "1s" }
/// }"#).unwrap();
/// assert_eq!(config.connect_attempts, 5);
/// assert_eq!(config.response_timeout, Duration::from_millis(250));
/// assert_eq!(config.retry, RetryPolicy::Never);
/// assert_eq!((config.limits.max_key_size, config.pool.max_size), (256, 8));
/// # }
/// ```
impl<'de> Deserialize<'de> for Config {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Config, D::Error> {
        url_or_table::<D, Config, Table>(deserializer, "a gibson:// URL or a table with an `addr`")
    }
}

/// The table form of a configuration `T`: what it makes of its fields.
pub(crate) trait IntoConfig<T> {
    /// The configuration, or why the fields make none.
    fn into_config(self) -> Result<T, gibson_proto::Error>;
}

/// A configuration `T` written as a URL (its `FromStr`) or as a table
/// `Tb`; `expecting` says which for an error.
pub(crate) fn url_or_table<'de, D, T, Tb>(
    deserializer: D,
    expecting: &'static str,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr<Err = gibson_proto::Error>,
    Tb: Deserialize<'de> + IntoConfig<T>,
{
    deserializer.deserialize_any(UrlOrTable::<T, Tb>(expecting, PhantomData))
}

/// The visitor of [`url_or_table`].
struct UrlOrTable<T, Tb>(&'static str, PhantomData<fn() -> (T, Tb)>);

impl<'de, T, Tb> Visitor<'de> for UrlOrTable<T, Tb>
where
    T: FromStr<Err = gibson_proto::Error>,
    Tb: Deserialize<'de> + IntoConfig<T>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_str<E: de::Error>(self, url: &str) -> Result<T, E> {
        url.parse().map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        let table = Tb::deserialize(de::value::MapAccessDeserializer::new(map))?;
        table.into_config().map_err(de::Error::custom)
    }
}

/// The table form; every field but `addr` is optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    addr: String,
    #[serde(default, deserialize_with = "duration")]
    connect_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    response_timeout: Option<Duration>,
    connect_attempts: Option<u32>,
    #[serde(default, deserialize_with = "duration")]
    backoff_base: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    backoff_max: Option<Duration>,
    retry: Option<Retry>,
    max_in_flight: Option<usize>,
    max_waiting: Option<usize>,
    lane_threshold: Option<usize>,
    #[serde(default)]
    limits: LimitsTable,
    #[serde(default)]
    pool: PoolTable,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Retry {
    Never,
    Idempotent,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsTable {
    max_key_size: Option<usize>,
    max_value_size: Option<usize>,
    max_request_size: Option<usize>,
    max_reply_size: Option<usize>,
    max_ttl: Option<u32>,
    write_window: Option<usize>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolTable {
    min_size: Option<usize>,
    max_size: Option<usize>,
    #[serde(default, deserialize_with = "duration")]
    wait_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    health_check_interval: Option<Duration>,
}

/// A duration as text with a unit.
pub(crate) fn duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_duration(&text).map(Some).map_err(de::Error::custom)
}

/// Stores `value` in `slot` when given.
fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

impl IntoConfig<Config> for Table {
    fn into_config(self) -> Result<Config, gibson_proto::Error> {
        let mut c: Config = self.addr.parse()?;
        set(&mut c.connect_timeout, self.connect_timeout);
        set(&mut c.response_timeout, self.response_timeout);
        set(&mut c.connect_attempts, self.connect_attempts);
        set(&mut c.backoff_base, self.backoff_base);
        set(&mut c.backoff_max, self.backoff_max);
        set(
            &mut c.retry,
            self.retry.map(|r| match r {
                Retry::Never => RetryPolicy::Never,
                Retry::Idempotent => RetryPolicy::Idempotent,
            }),
        );
        set(&mut c.max_in_flight, self.max_in_flight);
        if self.max_waiting.is_some() {
            c.max_waiting = self.max_waiting;
        }
        set(&mut c.lane_threshold, self.lane_threshold);
        let l = self.limits;
        set(&mut c.limits.max_key_size, l.max_key_size);
        set(&mut c.limits.max_value_size, l.max_value_size);
        set(&mut c.limits.max_request_size, l.max_request_size);
        set(&mut c.limits.max_reply_size, l.max_reply_size);
        set(&mut c.limits.max_ttl, l.max_ttl);
        set(&mut c.limits.write_window, l.write_window);
        let p = self.pool;
        set(&mut c.pool.min_size, p.min_size);
        set(&mut c.pool.max_size, p.max_size);
        set(&mut c.pool.wait_timeout, p.wait_timeout);
        set(&mut c.pool.health_check_interval, p.health_check_interval);
        c.validate()?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Addr;

    #[derive(Deserialize)]
    struct App {
        cache: Config,
    }

    #[test]
    fn a_toml_table() {
        let app: App = toml::from_str(
            r#"
            [cache]
            addr = "gibson+unix:///run/gibson%20cache.sock"
            connect_timeout = "1s"
            response_timeout = "1s 500ms"
            connect_attempts = 5
            backoff_base = "10ms"
            backoff_max = "1m"
            retry = "idempotent"
            max_in_flight = 64
            [cache.limits]
            max_ttl = 2592000
            [cache.pool]
            min_size = 0
            max_size = 2
            health_check_interval = "10s"
            "#,
        )
        .unwrap();
        let c = app.cache;
        assert_eq!(c.addr, Addr::Unix("/run/gibson cache.sock".into()));
        assert_eq!(c.connect_timeout, Duration::from_secs(1));
        assert_eq!(c.response_timeout, Duration::from_millis(1500));
        assert_eq!(c.connect_attempts, 5);
        assert_eq!(
            (c.backoff_base, c.backoff_max),
            (Duration::from_millis(10), Duration::from_secs(60))
        );
        assert_eq!(c.retry, RetryPolicy::Idempotent);
        assert_eq!(c.max_in_flight, 64);
        assert_eq!(c.limits.max_ttl, 2_592_000);
        assert_eq!((c.pool.min_size, c.pool.max_size), (0, 2));
        assert_eq!(c.pool.health_check_interval, Duration::from_secs(10));
        assert_eq!(c.pool.wait_timeout, Duration::from_secs(2));
    }

    #[test]
    fn a_url_string_and_env_style_values() {
        let app: App =
            toml::from_str(r#"cache = "gibson://[::1]:4000?response_timeout=2s""#).unwrap();
        assert_eq!(app.cache.addr.to_string(), "[::1]:4000");
        assert_eq!(app.cache.response_timeout, Duration::from_secs(2));
        // Environment readers hand over strings: the URL form takes them all.
        let env = serde_json::json!({ "cache": "127.0.0.1:4000?attempts=2&pool_wait=250ms" });
        let app: App = serde_json::from_value(env).unwrap();
        assert_eq!(app.cache.connect_attempts, 2);
        assert_eq!(app.cache.pool.wait_timeout, Duration::from_millis(250));
    }

    #[test]
    fn errors_name_the_option() {
        let err = |text: &str| toml::from_str::<App>(text).err().unwrap().to_string();
        let e = err("[cache]\naddr = \"h:1\"\nresponse_timeout = \"5\"");
        assert!(
            e.contains("response_timeout") && e.contains("no unit"),
            "{e}"
        );
        let e = err("[cache]\naddr = \"h:1\"\nrespons_timeout = \"5s\"");
        assert!(e.contains("unknown field"), "{e}");
        let e = err("[cache]\naddr = \"h:1\"\n[cache.pool]\nmin_size = 9");
        assert!(e.contains("min_size"), "{e}");
        let e = err("cache = \"gibson://h?response_timeout=5\"");
        assert!(e.contains("no unit"), "{e}");
        let e = err("[cache]\nresponse_timeout = \"5s\"");
        assert!(e.contains("addr"), "{e}");
    }
}
