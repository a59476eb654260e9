//! The server's settings, their defaults, and Gibson's configuration file
//! format (`name value` lines, `#` comments, sizes like `2M`, durations
//! like `15m`).

use std::time::Duration;

use gibson_proto::{
    DEFAULT_MAX_KEY_SIZE, DEFAULT_MAX_REQUEST_SIZE, DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_MAX_VALUE_SIZE,
};

/// Every setting of the server, with Gibson 1.2.1's defaults.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Settings {
    /// Largest request frame (`size` field): larger ones close the connection.
    pub max_request_size: usize,
    /// Keys longer than this are corrupted as the real server does.
    pub max_key_size: usize,
    /// Values are cut at this many bytes.
    pub max_value_size: usize,
    /// A multi-key reply whose data would exceed this closes the connection.
    pub max_response_size: usize,
    /// Over this many bytes of items, SET and MSET answer MEM.
    pub max_memory: u64,
    /// TTLs are capped at this many seconds.
    pub max_item_ttl: i64,
    /// Connections beyond this many are closed at once.
    pub max_clients: usize,
    /// Values larger than this are stored LZF-compressed.
    pub compression: usize,
    /// The cron's tick (`cron_period`, default 100 ms); STATS
    /// `total_cron_done` counts ticks.
    pub cron_period: Duration,
    /// How often the cron deletes expired items (`expired_cron`, default
    /// 15 s), locked ones included.
    pub expired_cron: Duration,
    /// How often the cron checks `max_memory` (`max_mem_cron`, default
    /// 15 s); over it, items idle at least `gc_ratio` are deleted.
    pub max_mem_cron: Duration,
    /// Over `max_memory`, the cron drops items idle at least this long.
    pub gc_ratio: Duration,
    /// Break a connection whose request size prefix arrives in pieces, as
    /// the real server does (default `true`; see `Builder::break_on_split_prefix`).
    pub break_on_split_prefix: bool,
    /// Reported as STATS `memory_available`.
    pub memory_available: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_request_size: DEFAULT_MAX_REQUEST_SIZE,
            max_key_size: DEFAULT_MAX_KEY_SIZE,
            max_value_size: DEFAULT_MAX_VALUE_SIZE,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            max_memory: 1 << 30,
            max_item_ttl: 2_592_000,
            max_clients: 255,
            compression: 4096,
            cron_period: Duration::from_millis(100),
            expired_cron: Duration::from_secs(15),
            max_mem_cron: Duration::from_secs(15),
            gc_ratio: Duration::from_secs(15 * 60),
            break_on_split_prefix: true,
            memory_available: 8 << 30,
        }
    }
}

/// Reads a size the way Gibson does: digits with an optional unit `B`,
/// `K`, `M` or `G` (either case, powers of 1024).
///
/// ```
/// use gibson_server::parse_size;
/// assert_eq!(parse_size("2M"), Some(2 * 1024 * 1024));
/// assert_eq!(parse_size("2096127"), Some(2_096_127));
/// assert_eq!(parse_size("1k"), Some(1024));
/// assert_eq!(parse_size("lots"), None);
/// ```
pub fn parse_size(text: &str) -> Option<u64> {
    let (digits, mul) = match text.as_bytes().last()? {
        b'B' | b'b' => (&text[..text.len() - 1], 1),
        b'K' | b'k' => (&text[..text.len() - 1], 1 << 10),
        b'M' | b'm' => (&text[..text.len() - 1], 1 << 20),
        b'G' | b'g' => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(mul)
}

/// Reads a duration the way Gibson's configuration file writes them: the
/// one rule for the server's durations (`gc_ratio`, `expired_cron`,
/// `max_mem_cron`, `max_item_ttl`, in the file and as long options).
///
/// Digits, then at most one unit letter, either case: `s` seconds, `m`
/// minutes, `h` hours, `d` days; without a unit, seconds. Nothing else:
/// no fractions, negative numbers, spaces, `ms`, or several units (`1h30m`).
///
/// This is the real server's rule (`gbConfigReadTime` in its `config.c`),
/// and its shipped `gibson.conf` relies on it (`max_item_ttl 2592000` is 30
/// days, `gc_ratio 15m` 15 minutes, its comments listing "s, m, h, d"), so
/// a server that reads real configuration files keeps it. It differs from
/// the client's one rule, `gibson_policy::parse_duration` (the `humantime`
/// crate's, for URL options, serde and the CLI), in two ways only: a bare
/// number is seconds here and refused there, and an upper-case `M` is
/// minutes here and months there. Every other value both accept means the
/// same to both. (`cron_period` is not a duration: Gibson reads it as a
/// whole number of milliseconds.)
///
/// ```
/// use std::time::Duration;
/// use gibson_server::parse_duration;
/// assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
/// assert_eq!(parse_duration("15M"), Some(Duration::from_secs(900))); // not months
/// assert_eq!(parse_duration("2592000"), Some(Duration::from_secs(2_592_000)));
/// assert_eq!(parse_duration("1d"), Some(Duration::from_secs(86_400)));
/// assert_eq!(parse_duration("250ms"), None);
/// ```
pub fn parse_duration(text: &str) -> Option<Duration> {
    let (digits, mul) = match text.as_bytes().last()? {
        b's' | b'S' => (&text[..text.len() - 1], 1),
        b'm' | b'M' => (&text[..text.len() - 1], 60),
        b'h' | b'H' => (&text[..text.len() - 1], 3600),
        b'd' | b'D' => (&text[..text.len() - 1], 86_400),
        _ => (text, 1),
    };
    Some(Duration::from_secs(
        digits.parse::<u64>().ok()?.checked_mul(mul)?,
    ))
}

/// Parses Gibson's configuration format into `(name, value, line)` entries:
/// one `name value` per line, `#` starting a comment line, blank lines
/// ignored, anything after the value ignored. A name without a value is an
/// error naming the line, as on the real server.
///
/// ```
/// use gibson_server::parse_config;
/// let entries = parse_config("# comment\nport 10128\n\nmax_memory   1G\n").unwrap();
/// assert_eq!(entries, [("port".to_string(), "10128".to_string(), 2), ("max_memory".to_string(), "1G".to_string(), 4)]);
/// assert!(parse_config("port\n").is_err());
/// ```
pub fn parse_config(text: &str) -> Result<Vec<(String, String, usize)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        if line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let Some(name) = words.next() else {
            continue;
        };
        let Some(value) = words.next() else {
            return Err(format!("line {lineno}: `{name}` has no value"));
        };
        out.push((name.to_string(), value.to_string(), lineno));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::parse_duration;

    #[test]
    fn durations_read_as_gibsons_config_file_writes_them() {
        let secs = |n| Some(Duration::from_secs(n));
        for (text, want) in [
            ("15", secs(15)),
            ("0", secs(0)),
            ("15s", secs(15)),
            ("15S", secs(15)),
            ("15m", secs(900)),
            ("15M", secs(900)),
            ("2h", secs(7200)),
            ("2H", secs(7200)),
            ("30d", secs(2_592_000)),
            ("30D", secs(2_592_000)),
        ] {
            assert_eq!(parse_duration(text), want, "{text}");
        }
        for text in [
            "", "s", "m", "250ms", "1h30m", "1.5h", "-5", " 5", "5 s", "5w", "5y", "soon",
        ] {
            assert_eq!(parse_duration(text), None, "{text:?}");
        }
        assert_eq!(parse_duration(&u64::MAX.to_string()), secs(u64::MAX));
        assert_eq!(parse_duration(&format!("{}d", u64::MAX / 86_400 + 1)), None);
    }

    /// Where both rules accept a value they agree, but for `M`.
    #[test]
    fn agrees_with_the_client_rule_wherever_both_accept() {
        for text in ["15s", "15m", "2h", "30d", "0s", "15M"] {
            let client = gibson_policy::parse_duration(text).ok();
            let server = parse_duration(text);
            if text.ends_with('M') {
                assert_ne!(client, server, "{text}: months to the client");
            } else {
                assert_eq!(client, server, "{text}");
            }
        }
        assert!(gibson_policy::parse_duration("15").is_err());
    }
}
