//! Reading a [`Config`] or an [`Addr`] from text: URLs (with the `url`
//! crate: percent-decoding, IPv6 literals), bare addresses, option values
//! and durations.
//!
//! The forms:
//!
//! | text | meaning |
//! |---|---|
//! | `gibson://host[:port][/][?opts]` | TCP; `host` a name, an IPv4 address or `[v6]`; port 10128 by default |
//! | `gibson+unix:///abs/path.sock[?opts]` | a Unix socket; the path is percent-decoded (`%20` is a space) |
//! | `host:port`, `[v6]:port`, `host`, `::1` | TCP, no options |
//! | `/path/g.sock`, `./g.sock` (anything with a `/`) | a Unix socket, taken as written |
//! | `host:port?opts`, `/path?opts` | a bare address with options |

use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use gibson_proto::Error;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use url::{Host, Url};

use crate::config::{Addr, Config, RetryPolicy, DEFAULT_PORT};

/// The TCP scheme.
const TCP_SCHEME: &str = "gibson";
/// The Unix socket scheme.
const UNIX_SCHEME: &str = "gibson+unix";

/// What a socket path keeps encoded in a URL: controls, space and the
/// characters a URL gives a meaning to.
const PATH_ESCAPES: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b',');

impl Addr {
    /// The address as a URL: `gibson://host:port` (`[v6]` in brackets) or
    /// `gibson+unix:///path` (percent-encoded; a relative socket path stays
    /// a bare path), which parses back to the same address.
    ///
    /// ```
    /// use gibson_policy::{Addr, Config};
    /// let addr = Addr::Unix("/tmp/my cache.sock".into());
    /// assert_eq!(addr.url(), "gibson+unix:///tmp/my%20cache.sock");
    /// assert_eq!(addr.url().parse::<Config>()?.addr, addr);
    /// let v6: Addr = "[::1]:7".parse()?;
    /// assert_eq!(v6.url(), "gibson://[::1]:7");
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn url(&self) -> String {
        match self {
            Addr::Tcp { .. } => format!("{TCP_SCHEME}://{self}"),
            // A relative path has no URL form: it stays a bare path.
            Addr::Unix(path) if !path.is_absolute() => path.display().to_string(),
            Addr::Unix(path) => {
                let path = path.to_string_lossy();
                format!(
                    "{UNIX_SCHEME}://{}",
                    utf8_percent_encode(&path, PATH_ESCAPES)
                )
            }
        }
    }
}

impl FromStr for Addr {
    type Err = Error;

    /// Parses `host:port`, `[v6]:port`, `host` (default port), a bare IP
    /// address, or a socket path (anything containing `/`).
    fn from_str(s: &str) -> Result<Addr, Error> {
        if s.is_empty() {
            return Err(Error::invalid("address", "must not be empty"));
        }
        if s.contains('/') {
            return Ok(Addr::Unix(PathBuf::from(s)));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Addr::Tcp {
                host: ip.to_string(),
                port: DEFAULT_PORT,
            });
        }
        let url = Url::parse(&format!("{TCP_SCHEME}://{s}"))
            .map_err(|e| Error::invalid("address", format!("{s:?}: {e}")))?;
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(Error::invalid(
                "address",
                format!("{s:?}: expected host:port"),
            ));
        }
        tcp_addr(s, &url)
    }
}

/// The TCP address of a `gibson://` URL.
fn tcp_addr(text: &str, url: &Url) -> Result<Addr, Error> {
    let host = match url.host() {
        Some(Host::Domain(name)) => percent_decode_str(name)
            .decode_utf8()
            .map_err(|_| Error::invalid("address", format!("{text:?}: host is not UTF-8")))?
            .into_owned(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        None => String::new(),
    };
    if host.is_empty() {
        return Err(Error::invalid("address", format!("{text:?}: missing host")));
    }
    Ok(Addr::Tcp {
        host,
        port: url.port().unwrap_or(DEFAULT_PORT),
    })
}

/// The socket path of a `gibson+unix://` URL, percent-decoded.
fn unix_addr(text: &str, url: &Url) -> Result<Addr, Error> {
    if url.host_str().is_some_and(|h| !h.is_empty()) {
        return Err(Error::invalid(
            "url",
            format!("{text:?}: a socket URL names an absolute path: gibson+unix:///path/to.sock"),
        ));
    }
    let path = url.path();
    if path.is_empty() || path == "/" {
        return Err(Error::invalid(
            "url",
            format!("{text:?}: missing socket path"),
        ));
    }
    Ok(Addr::Unix(decoded_path(path)))
}

/// A socket path written in a URL, percent-decoded (any bytes on Unix).
pub(crate) fn decoded_path(encoded: &str) -> PathBuf {
    let bytes: Vec<u8> = percent_decode_str(encoded).collect();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(std::ffi::OsString::from_vec(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Reads an address URL or a bare address, and its options, percent-decoded.
pub(crate) fn parse_target(text: &str) -> Result<(Addr, Vec<(String, String)>), Error> {
    let Some((scheme, _)) = text.split_once("://") else {
        let (addr, query) = text.split_once('?').unwrap_or((text, ""));
        return Ok((addr.parse()?, query_pairs(query)));
    };
    if scheme != TCP_SCHEME && scheme != UNIX_SCHEME {
        return Err(Error::invalid(
            "url",
            format!("{text:?}: scheme must be gibson:// or gibson+unix://"),
        ));
    }
    if scheme == UNIX_SCHEME && text.len() == scheme.len() + 3 {
        return Err(Error::invalid(
            "url",
            format!("{text:?}: missing socket path"),
        ));
    }
    let url = Url::parse(text).map_err(|e| Error::invalid("url", format!("{text:?}: {e}")))?;
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            "url",
            format!("{text:?}: a gibson URL has no user name, password or #fragment"),
        ));
    }
    let addr = if scheme == UNIX_SCHEME {
        unix_addr(text, &url)?
    } else {
        if !matches!(url.path(), "" | "/") {
            return Err(Error::invalid(
                "url",
                format!("{text:?}: a TCP URL has no path"),
            ));
        }
        tcp_addr(text, &url)?
    };
    Ok((addr, query_pairs(url.query().unwrap_or(""))))
}

/// The `key=value` pairs of a query, percent-decoded.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// Parses a duration the one way the client reads them (URL options, the
/// `serde` form of [`Config`], the CLI): a number with a unit, as
/// [`humantime`] reads it: `250ms`, `5s`, `2m` (minutes), `1h 30m`, `1d`.
/// A bare number is refused, since `5` could mean milliseconds or seconds;
/// the error says what is wrong, for the caller to prefix with the
/// option's name. (gibson-server's configuration file reader alone keeps
/// the real Gibson server's rule, where `15` is seconds and `15M` minutes:
/// see `gibson_server::parse_duration`.)
///
/// ```
/// use std::time::Duration;
/// use gibson_policy::parse_duration;
/// assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
/// assert!(parse_duration("5").unwrap_err().contains("5s"));
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{text:?} has no unit: write {text}s for seconds or {text}ms for milliseconds"
        ));
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("{text:?} is not a duration like 250ms or 5s ({e})"))
}

impl FromStr for Config {
    type Err = Error;

    /// Parses `gibson://host[:port][?opts]`, `gibson+unix:///path[?opts]`, or
    /// a bare address (`host:port`, `/path`), percent-decoded. Options:
    /// `connect_timeout`, `response_timeout`, `backoff`, `backoff_max`,
    /// `pool_wait` (durations with a unit, see [`parse_duration`]);
    /// `attempts`, `max_in_flight`, `max_waiting`, `lane_threshold`,
    /// `max_key_size`, `max_value_size`,
    /// `max_request_size`, `max_reply_size`, `max_ttl`, `write_window`,
    /// `pool_min`, `pool_max`
    /// (numbers); `retry` (`never` or `idempotent`). Unknown options are
    /// errors.
    fn from_str(url: &str) -> Result<Config, Error> {
        let (addr, options) = parse_target(url)?;
        let mut config = Config::new(addr);
        for (key, value) in &options {
            config.set_option(key, value)?;
        }
        config.validate()?;
        Ok(config)
    }
}

impl Config {
    /// Applies one URL option (not validated: [`Config::validate`] checks
    /// the whole).
    pub(crate) fn set_option(&mut self, key: &str, value: &str) -> Result<(), Error> {
        let bad =
            |what: &str| Error::invalid("url", format!("option {key}={value:?}: expected {what}"));
        let dur = || {
            parse_duration(value)
                .map_err(|rule| Error::invalid("url", format!("option {key}: {rule}")))
        };
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
            "max_waiting" => self.max_waiting = Some(num()?),
            "lane_threshold" => self.lane_threshold = num()?,
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

    fn tcp(h: &str, p: u16) -> Addr {
        Addr::Tcp {
            host: h.into(),
            port: p,
        }
    }

    #[test]
    fn addresses() {
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
            ("gibson://h?response_timeout=0s", "above zero"),
            ("gibson://h?pool_min=9", "min_size"),
            ("gibson://h/path", "no path"),
            ("gibson+unix://", "missing socket path"),
            ("gibson+unix:///", "missing socket path"),
            ("gibson+unix://host/x.sock", "absolute path"),
            ("gibson://user@h", "user name"),
        ] {
            let err = bad.parse::<Config>().unwrap_err().to_string();
            assert!(err.contains(needle), "{bad}: {err}");
        }
    }

    #[test]
    fn ipv6_and_percent_encoding() {
        let c: Config = "gibson://[::1]:10128?response_timeout=2s".parse().unwrap();
        assert_eq!(c.addr, tcp("::1", 10128));
        assert_eq!(c.response_timeout, Duration::from_secs(2));
        let c: Config = "gibson://[2001:db8::1]".parse().unwrap();
        assert_eq!(c.addr, tcp("2001:db8::1", DEFAULT_PORT));
        let c: Config = "gibson+unix:///tmp/my%20cache%3F.sock?pool_max=2"
            .parse()
            .unwrap();
        assert_eq!(c.addr, Addr::Unix("/tmp/my cache?.sock".into()));
        assert_eq!(c.pool.max_size, 2);
        let c: Config = "gibson://h?response_timeout=1s%20500ms".parse().unwrap();
        assert_eq!(c.response_timeout, Duration::from_millis(1500));
        let c: Config = "/tmp/g.sock?retry=never".parse().unwrap();
        assert_eq!(
            (c.addr, c.retry),
            (Addr::Unix("/tmp/g.sock".into()), RetryPolicy::Never)
        );
        for addr in [
            tcp("::1", 7),
            tcp("cache.local", 1),
            Addr::Unix("/tmp/a b,%c#d?.sock".into()),
            Addr::Unix("./g.sock".into()),
        ] {
            assert_eq!(addr.url().parse::<Config>().unwrap().addr, addr, "{addr}");
        }
    }

    #[test]
    fn a_bare_number_is_no_duration() {
        let err = "gibson://h?response_timeout=5"
            .parse::<Config>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("response_timeout"), "{err}");
        assert!(err.contains("no unit"), "{err}");
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert!(parse_duration("7").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
