//! The configuration of a sharded client: its servers, their weights, the
//! key placement, and what happens when a server stops answering.

use std::str::FromStr;
use std::time::Duration;

use gibson_proto::Error;

use crate::config::{Addr, Config, PoolConfig};
use crate::config_url::{decoded_path, parse_duration, query_pairs};
use crate::ring::{Distribution, HashRing};

use super::partial::OnMissing;

/// Several servers as one cache.
///
/// Parsed from `gibson://h1:p1,h2:p2[?opts]` (a weight as `h:p/w`),
/// `gibson+unix:///a.sock,/b.sock[?opts]`, or a bare list `h1:p1,h2:p2`.
/// The options of [`Config`] apply to every server (each server's pool
/// holds one multiplexed connection unless `pool_max` says otherwise); the
/// sharding options are:
///
/// | option | meaning | default |
/// |---|---|---|
/// | `distribution` | `ketama` (libmemcached's, as pylibmc's `ketama: True`) or `md5` (libketama, twemproxy; libmemcached's `ketama_weighted`) | `ketama` |
/// | `weights` | one weight per server, `1,2,1` | all 1 |
/// | `failure_limit` | consecutive failures that mark a server dead (libmemcached's `server_failure_limit`) | 2 |
/// | `retry_timeout` | how long a dead server is left alone before it is tried again | 2s |
/// | `remove_failed` | `true`: a dead server's keys go to the live servers (auto-eject); `false`: they fail fast with [`Error::ServerDown`] | `false` |
/// | `partial` | `true`: a command sent to every server returns what the live ones answered, marked partial; `false`: it fails | `false` |
/// | `replicas` | copies of each key on the next servers of the ring (libmemcached's `NUMBER_OF_REPLICAS`; see [`replicas`](ShardConfig::replicas)) | 0 |
/// | `hedge` | with `replicas`: a single-key read not answered after this long is also sent to the next live copy, the first answer wins (`5ms`; see [`hedge`](ShardConfig::hedge)) | off |
/// | `discover` | each server name stands for every address it resolves to (a Kubernetes headless service, a DNS round-robin), resolved again this often (`30s`; see [`discover`](ShardConfig::discover)) | off |
///
/// ```
/// use std::time::Duration;
/// use gibson_policy::shard::ShardConfig;
///
/// let config: ShardConfig = "gibson://10.0.0.1:10128,10.0.0.2:10128/2?retry_timeout=5s&response_timeout=300ms"
///     .parse()?;
/// assert_eq!(config.servers().len(), 2);
/// assert_eq!(config.weights(), &[1, 2]);
/// assert_eq!(config.retry_timeout, Duration::from_secs(5));
/// assert_eq!(config.client.response_timeout, Duration::from_millis(300));
/// // Where each key lives: the ring over "host:port" names.
/// let ring = config.ring();
/// assert!(ring.server_for(b"user:42").is_some());
/// # Ok::<(), gibson_proto::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ShardConfig {
    servers: Vec<Addr>,
    weights: Vec<u32>,
    /// The settings of every server's connections (its address is the
    /// first server's; [`server_config`](ShardConfig::server_config) gives
    /// each one's).
    pub client: Config,
    /// Where keys go.
    pub distribution: Distribution,
    /// Consecutive failures (I/O errors, timeouts, closed connections)
    /// after which a server is marked dead.
    pub failure_limit: u32,
    /// How long a dead server is left alone; then one request may try it.
    pub retry_timeout: Duration,
    /// A dead server's keys go to the live servers instead of failing.
    pub remove_failed: bool,
    /// What a command sent to every server returns when some cannot answer.
    pub on_missing: OnMissing,
    /// Copies of each key besides its own server's (libmemcached's
    /// `NUMBER_OF_REPLICAS`): 0, the default, routes exactly as without
    /// the option. With `N`, at most the number of servers minus one:
    ///
    /// * a write (SET, TTL, DEL, INC, DEC, LOCK, UNLOCK) goes to the key's
    ///   server and the next `N` distinct servers clockwise on the ring
    ///   (those of them that are live), all at once; its reply is the first
    ///   of them (in that order) that answered, and it fails only when none
    ///   did. The prefix writes (MSET, MDEL, …) go to every server as
    ///   before; their counts add up every copy they changed;
    /// * a read (GET, META) goes to the first live copy; when that fails
    ///   (a transport failure, a timeout) the next live copy is asked in
    ///   the same call, and with [`hedge`](ShardConfig::hedge) a slow one
    ///   is raced by the next;
    /// * MGET and KEYS keep each key once (the first server's copy, in the
    ///   ring's order); COUNT is refused with [`Error::InvalidArgument`]
    ///   naming `replicas`, as it would count every copy (count the names
    ///   of KEYS instead);
    /// * when every copy of a key is dead, the key fails, or goes to a
    ///   live server with `remove_failed`, as without replicas.
    ///
    /// No consistency is promised, as in libmemcached: the copies are
    /// written independently, not atomically. A write that failed on some
    /// copies (or found them dead) leaves them with the old value, and a
    /// reader sent to one of them (when the copies before it are dead or
    /// slow) reads that old value until the next write of the key; a
    /// write that failed everywhere may still have run on some copies.
    /// INC and DEC run on each copy: copies that held the same number hold
    /// the same result, copies that missed a write drift apart, and the
    /// caller gets the first copy's number. LOCK and UNLOCK lock each copy
    /// on its own: a lock is held when the first copy's reply says so, and
    /// a copy that was dead when the key was locked is not locked, so a
    /// write to the key while the first copy is dead is not stopped by it.
    /// Pipelines and multi-key calls write to every live copy and read
    /// from the first live one; a read that fails there is sent to the
    /// next live copy in a second round, and none is hedged.
    pub replicas: u32,
    /// With [`replicas`](ShardConfig::replicas): how long a single-key
    /// read (GET, META; not the reads of a pipeline or of a multi-key
    /// call) waits for its copy before it is also sent to the next live
    /// copy; the first answer wins and the other is read and dropped.
    /// `None` (the default): no hedging. The blocking client sends such a
    /// read from a worker thread, so that it can be raced.
    pub hedge: Option<Duration>,
    /// Discovery by name: `Some(every)` makes each server of the list a
    /// DNS name (`host:port`, not a socket path) that stands for every
    /// address it resolves to, all on that port and with its weight. The
    /// clients resolve the names when they are built (and fail when none
    /// resolves) and again every `every`, and apply each change as
    /// [`set_servers`](ShardConfig::with_servers) would: only the keys
    /// whose server changed move. A resolution that fails, or finds too
    /// few addresses for [`replicas`](ShardConfig::replicas), keeps the
    /// list as it was. See [`Discovery`](super::Discovery).
    pub discover: Option<Duration>,
    /// With [`discover`](ShardConfig::discover): resolves the names in
    /// place of the system's resolver (DNS, `/etc/hosts`), e.g. from a
    /// service registry the application keeps. `None` (the default): the
    /// system's resolver.
    pub resolver: Option<super::Resolver>,
}

impl ShardConfig {
    /// The servers, each of weight 1, with the default settings.
    ///
    /// ```
    /// use gibson_policy::shard::ShardConfig;
    /// let config = ShardConfig::new(["10.0.0.1:10128".parse()?, "10.0.0.2:10128".parse()?])?;
    /// assert!(!config.remove_failed);
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn new(servers: impl IntoIterator<Item = Addr>) -> Result<ShardConfig, Error> {
        let servers: Vec<Addr> = servers.into_iter().collect();
        let Some(first) = servers.first().cloned() else {
            return Err(Error::invalid("servers", "at least one server is needed"));
        };
        let mut client = Config::new(first);
        client.pool = one_connection_per_server(client.pool);
        let config = ShardConfig {
            weights: vec![1; servers.len()],
            servers,
            client,
            distribution: Distribution::Ketama,
            failure_limit: 2,
            retry_timeout: Duration::from_secs(2),
            remove_failed: false,
            on_missing: OnMissing::Fail,
            replicas: 0,
            hedge: None,
            discover: None,
            resolver: None,
        };
        config.validate()?;
        Ok(config)
    }

    /// The servers, in the order given.
    pub fn servers(&self) -> &[Addr] {
        &self.servers
    }

    /// Their weights, in the same order.
    pub fn weights(&self) -> &[u32] {
        &self.weights
    }

    /// Sets the weights, one per server.
    ///
    /// ```
    /// use gibson_policy::shard::ShardConfig;
    /// let config: ShardConfig = "a:1,b:2".parse()?;
    /// assert!(config.clone().with_weights(vec![1]).is_err());
    /// assert_eq!(config.with_weights(vec![3, 1])?.weights(), &[3, 1]);
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn with_weights(mut self, weights: Vec<u32>) -> Result<ShardConfig, Error> {
        self.weights = weights;
        self.validate()?;
        Ok(self)
    }

    /// Sets [`replicas`](ShardConfig::replicas): `n` more copies of each
    /// key (0 for none), at most the number of servers minus one.
    ///
    /// ```
    /// use gibson_policy::shard::ShardConfig;
    /// let config: ShardConfig = "a:1,b:2,c:3".parse()?;
    /// assert_eq!(config.clone().with_replicas(1)?.replicas, 1);
    /// assert!(config.with_replicas(3).is_err()); // 4 copies, 3 servers
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn with_replicas(mut self, n: u32) -> Result<ShardConfig, Error> {
        self.replicas = n;
        self.validate()?;
        Ok(self)
    }

    /// Sets [`hedge`](ShardConfig::hedge) (`None` for no hedging); it
    /// needs [`replicas`](ShardConfig::replicas) of at least 1.
    ///
    /// ```
    /// use std::time::Duration;
    /// use gibson_policy::shard::ShardConfig;
    /// let config: ShardConfig = "a:1,b:2?replicas=1".parse()?;
    /// let hedged = config.with_hedge(Some(Duration::from_millis(5)))?;
    /// assert_eq!(hedged.hedge, Some(Duration::from_millis(5)));
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn with_hedge(mut self, after: Option<Duration>) -> Result<ShardConfig, Error> {
        self.hedge = after;
        self.validate()?;
        Ok(self)
    }

    /// Server `index`'s connection settings: [`client`](ShardConfig::client)
    /// with its address.
    ///
    /// ```
    /// use gibson_policy::shard::ShardConfig;
    /// let config: ShardConfig = "a:1,b:2".parse()?;
    /// assert_eq!(config.server_config(1).unwrap().addr.to_string(), "b:2");
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn server_config(&self, index: usize) -> Option<Config> {
        let addr = self.servers.get(index)?.clone();
        Some(Config {
            addr,
            ..self.client.clone()
        })
    }

    /// Every server's connection settings, in order (see
    /// [`server_config`](ShardConfig::server_config)).
    ///
    /// ```
    /// use gibson_policy::shard::ShardConfig;
    /// let config: ShardConfig = "a:1,b:2".parse()?;
    /// assert_eq!(config.server_configs().len(), 2);
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn server_configs(&self) -> Vec<Config> {
        (0..self.servers.len())
            .filter_map(|i| self.server_config(i))
            .collect()
    }

    /// The ring over the servers' names (`host:port`, or the socket path),
    /// with their weights.
    pub fn ring(&self) -> HashRing {
        HashRing::weighted(
            self.distribution,
            self.servers
                .iter()
                .map(Addr::to_string)
                .zip(self.weights.iter().copied()),
        )
    }

    /// Checks the settings: at least one server, no server twice, one
    /// weight per server, a failure limit of at least 1, fewer replicas
    /// than servers, a hedge only with replicas and above zero.
    pub fn validate(&self) -> Result<(), Error> {
        if self.servers.is_empty() {
            return Err(Error::invalid("servers", "at least one server is needed"));
        }
        for (i, s) in self.servers.iter().enumerate() {
            if self.servers[..i].contains(s) {
                return Err(Error::invalid("servers", format!("{s} is listed twice")));
            }
        }
        if self.weights.len() != self.servers.len() {
            return Err(Error::invalid(
                "weights",
                format!(
                    "{} weights for {} servers",
                    self.weights.len(),
                    self.servers.len()
                ),
            ));
        }
        if self.failure_limit == 0 {
            return Err(Error::invalid("failure_limit", "must be at least 1"));
        }
        // With discovery, the names resolve to the servers the copies need.
        if self.discover.is_none() {
            self.copies_fit()?;
        }
        match self.hedge {
            Some(after) if after.is_zero() => {
                return Err(Error::invalid("hedge", "must be more than 0"));
            }
            Some(_) if self.replicas == 0 => {
                return Err(Error::invalid(
                    "hedge",
                    "needs replicas of at least 1 (a copy to send the read to)",
                ));
            }
            _ => {}
        }
        match self.discover {
            Some(every) if every.is_zero() => {
                return Err(Error::invalid("discover", "must be more than 0"));
            }
            Some(_) => {
                if let Some(path) = self.servers.iter().find(|s| matches!(s, Addr::Unix(_))) {
                    return Err(Error::invalid(
                        "discover",
                        format!("{path} is a socket path, not a name to resolve"),
                    ));
                }
            }
            None => {}
        }
        self.client.validate()
    }

    /// Fewer replicas than servers.
    pub(super) fn copies_fit(&self) -> Result<(), Error> {
        if self.replicas as usize >= self.servers.len() {
            return Err(Error::invalid(
                "replicas",
                format!(
                    "{} copies of each key need {} servers, not {}",
                    self.replicas as usize + 1,
                    self.replicas as usize + 1,
                    self.servers.len()
                ),
            ));
        }
        Ok(())
    }

    /// The same settings over other servers, checked.
    pub(super) fn over(&self, servers: Vec<Addr>, weights: Vec<u32>) -> Result<ShardConfig, Error> {
        let mut config = ShardConfig {
            servers,
            weights,
            ..self.clone()
        };
        if let Some(first) = config.servers.first() {
            config.client.addr = first.clone();
        }
        config.validate()?;
        config.copies_fit()?;
        Ok(config)
    }

    fn set_option(&mut self, key: &str, value: &str) -> Result<bool, Error> {
        let bad =
            |what: &str| Error::invalid("url", format!("option {key}={value:?}: expected {what}"));
        let flag = || match value {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(bad("true or false")),
        };
        match key {
            "distribution" => {
                self.distribution = match value {
                    "ketama" => Distribution::Ketama,
                    "md5" => Distribution::Md5,
                    _ => return Err(bad("ketama or md5")),
                }
            }
            "weights" => {
                self.weights = value
                    .split(',')
                    .map(|w| {
                        w.parse::<u32>()
                            .map_err(|_| bad("whole numbers like 1,2,1"))
                    })
                    .collect::<Result<_, _>>()?
            }
            "failure_limit" => {
                self.failure_limit = value.parse().map_err(|_| bad("a whole number"))?
            }
            "retry_timeout" => {
                self.retry_timeout = parse_duration(value)
                    .map_err(|rule| Error::invalid("url", format!("option {key}: {rule}")))?
            }
            "remove_failed" => self.remove_failed = flag()?,
            "replicas" => self.replicas = value.parse().map_err(|_| bad("a whole number"))?,
            "hedge" => {
                self.hedge = Some(
                    parse_duration(value)
                        .map_err(|rule| Error::invalid("url", format!("option {key}: {rule}")))?,
                )
            }
            "discover" => {
                self.discover = Some(
                    parse_duration(value)
                        .map_err(|rule| Error::invalid("url", format!("option {key}: {rule}")))?,
                )
            }
            "partial" => {
                self.on_missing = if flag()? {
                    OnMissing::Partial
                } else {
                    OnMissing::Fail
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The default pool of each server: one multiplexed connection, which
/// carries any number of concurrent requests and writes them together
/// (several connections each carrying a few would cost a write per
/// request). `pool_max` in the URL or `client.pool` raise it.
fn one_connection_per_server(mut pool: PoolConfig) -> PoolConfig {
    pool.max_size = 1;
    pool.min_size = pool.min_size.min(1);
    pool
}

/// One entry of the server list: `host:port[/weight]` or a socket path
/// (percent-decoded in a `gibson+unix://` list, as written in a bare one).
fn parse_server(entry: &str, unix: bool) -> Result<(Addr, Option<u32>), Error> {
    if unix {
        return Ok((Addr::Unix(decoded_path(entry)), None));
    }
    if entry.starts_with('/') {
        return Ok((entry.parse()?, None));
    }
    match entry.split_once('/') {
        Some((addr, weight)) => {
            let weight = weight.parse().map_err(|_| {
                Error::invalid(
                    "url",
                    format!("{entry:?}: the weight after '/' is not a number"),
                )
            })?;
            Ok((addr.parse()?, Some(weight)))
        }
        None => Ok((entry.parse()?, None)),
    }
}

impl FromStr for ShardConfig {
    type Err = Error;

    fn from_str(url: &str) -> Result<ShardConfig, Error> {
        let (rest, query) = url.split_once('?').unwrap_or((url, ""));
        let (list, unix) = if let Some(list) = rest.strip_prefix("gibson+unix://") {
            (list, true)
        } else if let Some(list) = rest.strip_prefix("gibson://") {
            (list.trim_end_matches('/'), false)
        } else if rest.contains("://") {
            return Err(Error::invalid(
                "url",
                format!("{url:?}: scheme must be gibson:// or gibson+unix://"),
            ));
        } else {
            (rest, false)
        };
        let mut servers = Vec::new();
        let mut weights = Vec::new();
        for entry in list.split(',').filter(|e| !e.is_empty()) {
            let (addr, weight) = parse_server(entry, unix)?;
            servers.push(addr);
            weights.push(weight.unwrap_or(1));
        }
        let mut config = ShardConfig::new(servers)?;
        config.weights = weights;
        let mut pool_max_given = false;
        for (key, value) in query_pairs(query) {
            if !config.set_option(&key, &value)? {
                // A connection option, as the single-server URL reads it.
                config.client.set_option(&key, &value)?;
                pool_max_given |= key == "pool_max";
            }
        }
        if !pool_max_given {
            config.client.pool = one_connection_per_server(config.client.pool);
        }
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_weights_and_options() {
        let c: ShardConfig =
            "gibson://a:1/3,b:2?failure_limit=5&remove_failed=true&partial=1&distribution=md5&attempts=2"
                .parse()
                .unwrap();
        assert_eq!(c.servers().len(), 2);
        assert_eq!(c.weights(), &[3, 1]);
        assert_eq!(c.failure_limit, 5);
        assert!(c.remove_failed);
        assert_eq!(c.on_missing, OnMissing::Partial);
        assert_eq!(c.distribution, Distribution::Md5);
        assert_eq!(c.client.connect_attempts, 2);
        let c: ShardConfig = "h1:10128,h2:10129?weights=2,1".parse().unwrap();
        assert_eq!(c.weights(), &[2, 1]);
        let c: ShardConfig = "gibson+unix:///tmp/a.sock,/tmp/b.sock".parse().unwrap();
        assert_eq!(c.servers()[1], Addr::Unix("/tmp/b.sock".into()));
        let c: ShardConfig = "gibson+unix:///tmp/a%20b.sock,/tmp/c%2Cd.sock?pool_max=2"
            .parse()
            .unwrap();
        assert_eq!(c.servers()[0], Addr::Unix("/tmp/a b.sock".into()));
        assert_eq!(c.servers()[1], Addr::Unix("/tmp/c,d.sock".into()));
        assert_eq!(c.client.pool.max_size, 2);
        let c: ShardConfig = "gibson://[::1]:1/2,[::1]:2?retry_timeout=250ms&response_timeout=1s"
            .parse()
            .unwrap();
        assert_eq!(c.servers()[1].to_string(), "[::1]:2");
        assert_eq!(c.weights(), &[2, 1]);
        assert_eq!(c.retry_timeout, Duration::from_millis(250));
        assert_eq!(c.client.response_timeout, Duration::from_secs(1));
        assert_eq!(c.client.pool.max_size, 1);
        let c: ShardConfig = "a:1,b:2,c:3?replicas=2&hedge=5ms".parse().unwrap();
        assert_eq!((c.replicas, c.hedge), (2, Some(Duration::from_millis(5))));
        let one: ShardConfig = "gibson://h:1".parse().unwrap();
        assert_eq!(one.servers().len(), 1);
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let err = |s: &str| s.parse::<ShardConfig>().unwrap_err().to_string();
        assert!(err("gibson://").contains("at least one server"));
        assert!(err("a:1,a:1").contains("listed twice"));
        assert!(err("a:1,b:2?weights=1").contains("1 weights for 2 servers"));
        assert!(err("a:1/x").contains("weight"));
        assert!(err("a:1?failure_limit=0").contains("at least 1"));
        assert!(err("a:1?remove_failed=maybe").contains("true or false"));
        assert!(err("a:1?nonsense=1").contains("unknown option"));
        assert!(err("http://a:1").contains("scheme"));
        assert!(err("a:1?retry_timeout=5").contains("no unit"));
        assert!(err("a:1,b:2?replicas=2").contains("replicas"));
        assert!(err("a:1,b:2?replicas=x").contains("replicas"));
        assert!(err("a:1,b:2?hedge=5ms").contains("hedge"));
        assert!(err("a:1,b:2?replicas=1&hedge=0ms").contains("hedge"));
        assert!(err("a:1,b:2?replicas=1&hedge=5").contains("hedge"));
        assert!(err("a:1?discover=0s").contains("discover"));
        assert!(err("gibson+unix:///a.sock?discover=5s").contains("socket path"));
        assert!("cache:1?replicas=1&discover=5s"
            .parse::<ShardConfig>()
            .is_ok());
    }
}
