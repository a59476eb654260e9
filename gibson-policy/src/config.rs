//! Client configuration shared by the runtime crates: where the server is,
//! timeouts (on by default, never infinite), reconnect policy, limits and
//! pool settings. Built with setters, parsed from a URL (`config_url`) or
//! deserialized (`config_serde`, feature `serde`).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use gibson_proto::{Error, Limits, Opcode};

/// The server's default TCP port.
pub const DEFAULT_PORT: u16 = 10128;

/// Where a Gibson server listens. It prints (`{}` and `{:?}` alike) as
/// `host:port`, `[v6]:port`, or the socket path.
///
/// ```
/// use gibson_policy::Addr;
/// let addr: Addr = "127.0.0.1:10128".parse()?;
/// assert_eq!(format!("{addr:?}"), "127.0.0.1:10128");
/// # Ok::<(), gibson_proto::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
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

impl fmt::Debug for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
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
    /// use gibson_policy::RetryPolicy;
    /// use gibson_proto::{Error, Opcode};
    /// let eof = Error::ConnectionClosed { in_reply: false };
    /// assert!(RetryPolicy::Idempotent.allows_resend(Opcode::Get, &eof));
    /// assert!(!RetryPolicy::Idempotent.allows_resend(Opcode::Inc, &eof));
    /// assert!(!RetryPolicy::Never.allows_resend(Opcode::Get, &eof));
    /// // The same when the error says the request may have executed.
    /// let broken = Error::Broken { cause: std::sync::Arc::new(eof) };
    /// assert!(RetryPolicy::Idempotent.allows_resend(Opcode::Get, &broken));
    /// assert!(!RetryPolicy::Idempotent.allows_resend(Opcode::Inc, &broken));
    /// ```
    pub fn allows_resend(self, op: Opcode, err: &Error) -> bool {
        self == RetryPolicy::Idempotent
            && op.is_idempotent()
            && matches!(err.root(), Error::Io(_) | Error::ConnectionClosed { .. })
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
/// use gibson_policy::Config;
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
    /// Delay after the first failed attempt; doubles per attempt (default
    /// 50 ms), each delay drawn between half and all of it
    /// ([`backoff_jittered`](Config::backoff_jittered)).
    pub backoff_base: Duration,
    /// Longest delay between attempts (default 2 s).
    pub backoff_max: Duration,
    /// What is resent after a broken connection.
    pub retry: RetryPolicy,
    /// Most requests in flight on one connection before callers wait
    /// (default 4096).
    pub max_in_flight: usize,
    /// Most requests that may wait on one connection, in flight or for
    /// room under `max_in_flight`; a request beyond it fails at once with
    /// [`Error::Busy`] instead of queueing (default: no bound).
    pub max_waiting: Option<usize>,
    /// Requests larger than this many bytes (a big SET or MSET) travel on
    /// a second socket of the connection, the one MGET and KEYS use, so
    /// that small requests never queue behind megabytes (default 64 KiB).
    pub lane_threshold: usize,
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
            max_waiting: None,
            lane_threshold: 64 * 1024,
            limits: Limits::default(),
            pool: PoolConfig::default(),
        }
    }

    gibson_proto::__setters! {
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
        /// Sets the bound on requests waiting per connection (URL option
        /// `max_waiting`).
        max_waiting(n: Option<usize>) => max_waiting;
        /// Sets the size above which requests take the lane of big ones
        /// (URL option `lane_threshold`).
        lane_threshold(bytes: usize) => lane_threshold;
        /// Sets the limits.
        limits(limits: Limits) => limits;
        /// Sets the pool settings.
        pool(pool: PoolConfig) => pool;
        /// Sets how many connections a pool keeps open at least (URL
        /// option `pool_min`).
        pool_min(n: usize) => pool.min_size;
        /// Sets how many connections a pool opens at most (URL option
        /// `pool_max`).
        pool_max(n: usize) => pool.max_size;
    }

    /// Sets the reconnect backoff: first delay and cap.
    pub fn backoff(mut self, base: Duration, max: Duration) -> Config {
        self.backoff_base = base;
        self.backoff_max = max;
        self
    }

    /// The longest delay before attempt `attempt` (0-based; 0 has none):
    /// `min(backoff_base × 2^(attempt-1), backoff_max)`. The clients wait
    /// [`backoff_jittered`](Config::backoff_jittered) instead.
    pub fn backoff_delay(&self, attempt: u32) -> Duration {
        if attempt == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(attempt - 1).unwrap_or(u32::MAX);
        self.backoff_base
            .saturating_mul(factor)
            .min(self.backoff_max)
    }

    /// The delay before attempt `attempt` with "equal jitter", so that
    /// clients cut off together do not reconnect together: with
    /// `d = backoff_delay(attempt)`, a delay in `[d/2, d]`, placed by
    /// `random` (any `u64`, uniformly random for a uniform delay: the caller
    /// brings the random source, this crate reads none).
    ///
    /// ```
    /// use std::time::Duration;
    /// use gibson_policy::Config;
    /// let config = Config::new("h".parse()?);
    /// let d = config.backoff_delay(3); // 200 ms
    /// assert_eq!(config.backoff_jittered(3, 0), d / 2);
    /// assert_eq!(config.backoff_jittered(3, u64::MAX), d);
    /// assert_eq!(config.backoff_jittered(0, 12345), Duration::ZERO);
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn backoff_jittered(&self, attempt: u32, random: u64) -> Duration {
        let full = self.backoff_delay(attempt);
        let half = full / 2;
        let spread = u64::try_from((full - half).as_nanos()).unwrap_or(u64::MAX);
        // `random / u64::MAX` of the spread, in 128 bits (no overflow).
        let extra = u128::from(spread) * u128::from(random) / u128::from(u64::MAX);
        half + Duration::from_nanos(u64::try_from(extra).unwrap_or(spread))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff() {
        let c = Config::new("h".parse().unwrap());
        let delays: Vec<_> = (0..8).map(|a| c.backoff_delay(a).as_millis()).collect();
        assert_eq!(delays, [0, 50, 100, 200, 400, 800, 1600, 2000]);
        assert_eq!(c.backoff_delay(200), Duration::from_secs(2));
    }

    #[test]
    fn jitter_stays_within_half_and_full_delay() {
        let c = Config::new("h".parse().unwrap());
        // A small xorshift stands in for the clients' random source.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut low = false;
        let mut high = false;
        for attempt in 0..12 {
            let full = c.backoff_delay(attempt);
            for _ in 0..200 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let d = c.backoff_jittered(attempt, x);
                assert!(d >= full / 2 && d <= full, "{attempt}: {d:?} of {full:?}");
                low |= attempt > 0 && d < full * 3 / 5;
                high |= d > full * 9 / 10;
            }
        }
        assert!(low && high, "the delays spread over the range");
        for r in [0, 1, u64::MAX / 2, u64::MAX] {
            let d = c.backoff_jittered(7, r);
            assert!(d >= Duration::from_secs(1) && d <= Duration::from_secs(2));
        }
    }
}
