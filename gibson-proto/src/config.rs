//! Client configuration shared by the runtime crates: where the server is,
//! timeouts (on by default, never infinite), reconnect policy, limits and
//! pool settings. Built with setters or parsed from a URL.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::error::Error;
use crate::limits::Limits;
use crate::wire::Opcode;

/// The server's default TCP port.
pub const DEFAULT_PORT: u16 = 10128;

/// Where a Gibson server listens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Addr {
    /// A TCP host (name or IP) and port.
    Tcp {
        /// Host name or IP address.
        host: String,
        /// Port.
        port: u16,
    },
    /// A Unix socket path.
    Unix(PathBuf),
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Addr::Tcp { host, port } => write!(f, "{host}:{port}"),
            Addr::Unix(path) => write!(f, "{}", path.display()),
        }
    }
}

impl FromStr for Addr {
    type Err = Error;

    /// Parses `host:port`, `[v6]:port`, `host` (default port) or a socket
    /// path (anything containing `/`).
    fn from_str(s: &str) -> Result<Addr, Error> {
        if s.is_empty() {
            return Err(Error::invalid("address", "must not be empty"));
        }
        if s.contains('/') {
            return Ok(Addr::Unix(PathBuf::from(s)));
        }
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| Error::invalid("address", format!("{s:?}: unclosed '['")))?;
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => return Err(Error::invalid("address", format!("{s:?}: junk after ']'"))),
            }
        } else {
            match s.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') => (host, Some(port)),
                // A bare IPv6 address without a port.
                Some(_) => (s, None),
                None => (s, None),
            }
        };
        if host.is_empty() {
            return Err(Error::invalid("address", format!("{s:?}: missing host")));
        }
        let port = match port {
            None => DEFAULT_PORT,
            Some(p) => p
                .parse()
                .map_err(|_| Error::invalid("address", format!("{s:?}: bad port {p:?}")))?,
        };
        Ok(Addr::Tcp {
            host: host.to_string(),
            port,
        })
    }
}

/// Which failed requests are sent again after a reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryPolicy {
    /// Never resend a request that may have reached the server.
    Never,
    /// Resend idempotent commands (GET, SET, DEL, MGET, …) once; never INC,
    /// DEC, MINC, MDEC, LOCK or MLOCK.
    #[default]
    Idempotent,
}

impl RetryPolicy {
    /// Whether a request for `op` that failed with `err` after it may have
    /// reached the server is sent again (once) on a new connection: only
    /// under [`RetryPolicy::Idempotent`], only for idempotent commands, and
    /// only when the connection itself failed (I/O error or EOF), never
    /// after a timeout, a protocol violation or a server reply.
    ///
    /// ```
    /// use gibson_proto::{Error, Opcode, RetryPolicy};
    /// let eof = Error::ConnectionClosed { in_reply: false };
    /// assert!(RetryPolicy::Idempotent.allows_resend(Opcode::Get, &eof));
    /// assert!(!RetryPolicy::Idempotent.allows_resend(Opcode::Inc, &eof));
    /// assert!(!RetryPolicy::Never.allows_resend(Opcode::Get, &eof));
    /// ```
    pub fn allows_resend(self, op: Opcode, err: &Error) -> bool {
        self == RetryPolicy::Idempotent
            && op.is_idempotent()
            && matches!(err, Error::Io(_) | Error::ConnectionClosed { .. })
    }
}

/// Pool settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolConfig {
    /// Connections opened when the pool is built and kept open.
    pub min_size: usize,
    /// Most connections the pool opens.
    pub max_size: usize,
    /// Longest a caller waits for a free connection (or, for multiplexed
    /// pools, for room under `max_in_flight`) before [`Error::PoolExhausted`].
    pub wait_timeout: Duration,
    /// How often idle members are checked with PING.
    pub health_check_interval: Duration,
}

impl Default for PoolConfig {
    fn default() -> PoolConfig {
        PoolConfig {
            min_size: 1,
            max_size: 4,
            wait_timeout: Duration::from_secs(2),
            health_check_interval: Duration::from_secs(30),
        }
    }
}

/// Everything a client needs to know to talk to one server.
///
/// ```
/// use std::time::Duration;
/// use gibson_proto::Config;
///
/// let config: Config = "gibson://cache.local:10128?response_timeout=250ms&attempts=5".parse().unwrap();
/// assert_eq!(config.response_timeout, Duration::from_millis(250));
/// assert_eq!(config.connect_attempts, 5);
///
/// let config = Config::new("/run/gibson.sock".parse().unwrap())
///     .connect_timeout(Duration::from_secs(1));
/// assert_eq!(config.addr.to_string(), "/run/gibson.sock");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The server.
    pub addr: Addr,
    /// Longest wait for one connection attempt (default 5 s).
    pub connect_timeout: Duration,
    /// Longest wait for a reply, from when the request is queued (default 5 s).
    pub response_timeout: Duration,
    /// Connection attempts before giving up (default 3, at least 1).
    pub connect_attempts: u32,
    /// Delay after the first failed attempt; doubles per attempt (default 50 ms).
    pub backoff_base: Duration,
    /// Longest delay between attempts (default 2 s).
    pub backoff_max: Duration,
    /// What is resent after a broken connection.
    pub retry: RetryPolicy,
    /// Most requests in flight on one connection before callers wait
    /// (default 4096).
    pub max_in_flight: usize,
    /// Size limits checked before writing and when reading.
    pub limits: Limits,
    /// Pool settings.
    pub pool: PoolConfig,
}

impl Config {
    /// Defaults for `addr`.
    pub fn new(addr: Addr) -> Config {
        Config {
            addr,
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(5),
            connect_attempts: 3,
            backoff_base: Duration::from_millis(50),
            backoff_max: Duration::from_secs(2),
            retry: RetryPolicy::default(),
            max_in_flight: 4096,
            limits: Limits::default(),
            pool: PoolConfig::default(),
        }
    }

    crate::__setters! {
        /// Sets the connect timeout (zero is refused by [`validate`](Config::validate)).
        connect_timeout(t: Duration) => connect_timeout;
        /// Sets the response timeout.
        response_timeout(t: Duration) => response_timeout;
        /// Sets the number of connection attempts.
        connect_attempts(n: u32) => connect_attempts;
        /// Sets the retry policy.
        retry(policy: RetryPolicy) => retry;
        /// Sets the in-flight bound per connection.
        max_in_flight(n: usize) => max_in_flight;
        /// Sets the limits.
        limits(limits: Limits) => limits;
        /// Sets the pool settings.
        pool(pool: PoolConfig) => pool;
    }

    /// Sets the reconnect backoff: first delay and cap.
    pub fn backoff(mut self, base: Duration, max: Duration) -> Config {
        self.backoff_base = base;
        self.backoff_max = max;
        self
    }

    /// The delay before attempt `attempt` (0-based; 0 has none).
    pub fn backoff_delay(&self, attempt: u32) -> Duration {
        if attempt == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(attempt - 1).unwrap_or(u32::MAX);
        self.backoff_base
            .saturating_mul(factor)
            .min(self.backoff_max)
    }

    /// Checks the settings make sense: no zero timeouts (a timeout is never
    /// infinite, and zero would fail everything), at least one attempt,
    /// a pool with `1 <= min_size <= max_size`… (`min_size` 0 is allowed).
    pub fn validate(&self) -> Result<(), Error> {
        let nonzero = |name: &'static str, d: Duration| {
            if d.is_zero() {
                Err(Error::invalid(name, "must be above zero"))
            } else {
                Ok(())
            }
        };
        nonzero("connect_timeout", self.connect_timeout)?;
        nonzero("response_timeout", self.response_timeout)?;
        nonzero("pool.wait_timeout", self.pool.wait_timeout)?;
        nonzero(
            "pool.health_check_interval",
            self.pool.health_check_interval,
        )?;
        if self.connect_attempts == 0 {
            return Err(Error::invalid("connect_attempts", "must be at least 1"));
        }
        if self.max_in_flight == 0 {
            return Err(Error::invalid("max_in_flight", "must be at least 1"));
        }
        if self.pool.max_size == 0 || self.pool.min_size > self.pool.max_size {
            return Err(Error::invalid(
                "pool",
                format!(
                    "need 1 <= max_size and min_size <= max_size (min_size {}, max_size {})",
                    self.pool.min_size, self.pool.max_size
                ),
            ));
        }
        let l = &self.limits;
        if l.max_key_size == 0
            || l.max_value_size == 0
            || l.max_request_size < 2
            || l.max_reply_size < 8
            || l.max_ttl == 0
            || l.write_window == 0
        {
            return Err(Error::invalid(
                "limits",
                format!("too small to send anything: {l:?}"),
            ));
        }
        Ok(())
    }
}

/// Parses a duration: `250ms`, `2s`, `1m`, `1h`, or a bare number of
/// milliseconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    Some(match unit {
        "" | "ms" => Duration::from_millis(n),
        "us" => Duration::from_micros(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.checked_mul(60)?),
        "h" => Duration::from_secs(n.checked_mul(3600)?),
        _ => return None,
    })
}

impl FromStr for Config {
    type Err = Error;

    /// Parses `gibson://host[:port][?opts]`, `gibson+unix:///path[?opts]`, or
    /// a bare address (`host:port`, `/path`). Options: `connect_timeout`,
    /// `response_timeout`, `backoff`, `backoff_max`, `pool_wait` (durations);
    /// `attempts`, `max_in_flight`, `max_key_size`, `max_value_size`,
    /// `max_request_size`, `max_reply_size`, `max_ttl`, `write_window`,
    /// `pool_min`, `pool_max`
    /// (numbers); `retry` (`never` or `idempotent`). Unknown options are
    /// errors.
    fn from_str(url: &str) -> Result<Config, Error> {
        let (rest, query) = match url.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (url, None),
        };
        let addr = if let Some(path) = rest.strip_prefix("gibson+unix://") {
            if path.is_empty() {
                return Err(Error::invalid(
                    "url",
                    format!("{url:?}: missing socket path"),
                ));
            }
            Addr::Unix(PathBuf::from(path))
        } else if let Some(hostport) = rest.strip_prefix("gibson://") {
            let hostport = hostport.trim_end_matches('/');
            if hostport.contains('/') {
                return Err(Error::invalid(
                    "url",
                    format!("{url:?}: a TCP URL has no path"),
                ));
            }
            hostport.parse()?
        } else if rest.contains("://") {
            return Err(Error::invalid(
                "url",
                format!("{url:?}: scheme must be gibson:// or gibson+unix://"),
            ));
        } else {
            rest.parse()?
        };
        let mut config = Config::new(addr);
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| Error::invalid("url", format!("option {pair:?} has no value")))?;
            config.set_option(key, value)?;
        }
        config.validate()?;
        Ok(config)
    }
}

impl Config {
    fn set_option(&mut self, key: &str, value: &str) -> Result<(), Error> {
        let bad =
            |what: &str| Error::invalid("url", format!("option {key}={value:?}: expected {what}"));
        let dur = || parse_duration(value).ok_or_else(|| bad("a duration like 250ms or 2s"));
        let num = || value.parse::<usize>().map_err(|_| bad("a whole number"));
        match key {
            "connect_timeout" => self.connect_timeout = dur()?,
            "response_timeout" => self.response_timeout = dur()?,
            "backoff" => self.backoff_base = dur()?,
            "backoff_max" => self.backoff_max = dur()?,
            "pool_wait" => self.pool.wait_timeout = dur()?,
            "attempts" => {
                self.connect_attempts =
                    u32::try_from(num()?).map_err(|_| bad("a smaller number"))?
            }
            "max_in_flight" => self.max_in_flight = num()?,
            "max_key_size" => self.limits.max_key_size = num()?,
            "max_value_size" => self.limits.max_value_size = num()?,
            "max_request_size" => self.limits.max_request_size = num()?,
            "max_reply_size" => self.limits.max_reply_size = num()?,
            "max_ttl" => {
                self.limits.max_ttl = u32::try_from(num()?).map_err(|_| bad("a smaller number"))?
            }
            "write_window" => self.limits.write_window = num()?,
            "pool_min" => self.pool.min_size = num()?,
            "pool_max" => self.pool.max_size = num()?,
            "retry" => {
                self.retry = match value {
                    "never" => RetryPolicy::Never,
                    "idempotent" => RetryPolicy::Idempotent,
                    _ => return Err(bad("never or idempotent")),
                }
            }
            _ => return Err(Error::invalid("url", format!("unknown option {key:?}"))),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let tcp = |h: &str, p| Addr::Tcp {
            host: h.into(),
            port: p,
        };
        assert_eq!("localhost:1".parse::<Addr>().unwrap(), tcp("localhost", 1));
        assert_eq!("cache".parse::<Addr>().unwrap(), tcp("cache", DEFAULT_PORT));
        assert_eq!("[::1]:7".parse::<Addr>().unwrap(), tcp("::1", 7));
        assert_eq!("::1".parse::<Addr>().unwrap(), tcp("::1", DEFAULT_PORT));
        assert_eq!(
            "/tmp/g.sock".parse::<Addr>().unwrap(),
            Addr::Unix("/tmp/g.sock".into())
        );
        assert_eq!(tcp("::1", 7).to_string(), "[::1]:7");
        for bad in ["", ":1", "h:x", "h:70000", "[::1"] {
            assert!(bad.parse::<Addr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn urls() {
        let c: Config = "gibson://127.0.0.1:4000".parse().unwrap();
        assert_eq!(c, Config::new("127.0.0.1:4000".parse().unwrap()));
        let c: Config = "gibson+unix:///var/run/gibson.sock?connect_timeout=1s&retry=never&pool_max=8&max_key_size=64"
            .parse()
            .unwrap();
        assert_eq!(c.addr, Addr::Unix("/var/run/gibson.sock".into()));
        assert_eq!(c.connect_timeout, Duration::from_secs(1));
        assert_eq!(c.retry, RetryPolicy::Never);
        assert_eq!(c.pool.max_size, 8);
        assert_eq!(c.limits.max_key_size, 64);
        assert_eq!(c.limits.max_ttl, 32_767);
        assert_eq!(c.limits.write_window, 64 * 1024);
        let c: Config = "gibson://h:1?max_ttl=2592000&write_window=4096"
            .parse()
            .unwrap();
        assert_eq!((c.limits.max_ttl, c.limits.write_window), (2_592_000, 4096));
        for (bad, needle) in [
            ("gibson://h?max_ttl=0", "too small"),
            ("gibson://h?max_ttl=4294967296", "smaller number"),
            ("gibson://h?write_window=0", "too small"),
            ("redis://h", "scheme"),
            ("gibson://h?nope=1", "unknown option"),
            ("gibson://h?attempts=x", "whole number"),
            ("gibson://h?response_timeout=0", "above zero"),
            ("gibson://h?pool_min=9", "min_size"),
            ("gibson://h/path", "no path"),
            ("gibson+unix://", "missing socket path"),
        ] {
            let err = bad.parse::<Config>().unwrap_err().to_string();
            assert!(err.contains(needle), "{bad}: {err}");
        }
    }

    #[test]
    fn durations_and_backoff() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("7"), Some(Duration::from_millis(7)));
        assert_eq!(parse_duration("1d"), None);
        let c = Config::new("h".parse().unwrap());
        let delays: Vec<_> = (0..8).map(|a| c.backoff_delay(a).as_millis()).collect();
        assert_eq!(delays, [0, 50, 100, 200, 400, 800, 1600, 2000]);
        assert_eq!(c.backoff_delay(200), Duration::from_secs(2));
    }
}
