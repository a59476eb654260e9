//! Several servers, each behind a fault [`Proxy`]: what the tests
//! of the sharded clients (async and blocking) run against.

use crate::proxy::{Faults, Proxy};
use crate::TestServer;

/// Embedded servers behind fault proxies; clients connect to the proxies.
///
/// ```
/// use gibson_test_support::cluster::Cluster;
///
/// let cluster = Cluster::start(3);
/// let url = cluster.url("retry_timeout=1s");
/// assert!(url.starts_with("gibson://127.0.0.1:"));
/// assert_eq!(cluster.request_reads(), [0, 0, 0]);
/// ```
#[derive(Debug)]
pub struct Cluster {
    servers: Vec<TestServer>,
    /// One proxy per server, in the order of [`url`](Cluster::url)'s list.
    pub proxies: Vec<Proxy>,
}

impl Cluster {
    /// `n` embedded servers on TCP loopback, each behind its proxy.
    pub fn start(n: usize) -> Cluster {
        let servers: Vec<TestServer> = (0..n).map(|_| TestServer::embedded_tcp()).collect();
        let proxies = servers
            .iter()
            .map(|s| Proxy::start(s.addr().clone()))
            .collect();
        Cluster { servers, proxies }
    }

    /// `n` proxies in front of the server named by `GIBSON_TEST_ADDR`
    /// (the clients see `n` distinct servers, which share one store), or
    /// without it [`start`](Cluster::start)`(n)`.
    pub fn from_env(n: usize) -> Cluster {
        let server = TestServer::start();
        if !server.is_external() {
            return Cluster::start(n);
        }
        let proxies = (0..n)
            .map(|_| Proxy::start(server.addr().clone()))
            .collect();
        Cluster {
            servers: vec![server],
            proxies,
        }
    }

    /// `n` servers (embedded, or the one named by `GIBSON_TEST_ADDR`
    /// shared) behind proxies that listen on one port, at `127.0.0.1`,
    /// `127.0.0.2`, …: the addresses one name resolves to in discovery.
    pub fn on_one_port(n: usize) -> Cluster {
        let external = TestServer::start();
        let servers: Vec<TestServer> = match external.is_external() {
            true => vec![external],
            false => (0..n).map(|_| TestServer::embedded_tcp()).collect(),
        };
        let upstream = |i: usize| servers[i.min(servers.len() - 1)].addr().clone();
        for _ in 0..50 {
            let first = Proxy::start(upstream(0));
            let port = first.port();
            let mut proxies = vec![first];
            for i in 1..n {
                let at = std::net::SocketAddr::from(([127, 0, 0, 1 + i as u8], port));
                match Proxy::start_at(at, upstream(i)) {
                    Ok(proxy) => proxies.push(proxy),
                    Err(_) => break,
                }
            }
            if proxies.len() == n {
                return Cluster { servers, proxies };
            }
        }
        panic!("no port was free on 127.0.0.1 to 127.0.0.{n}");
    }

    /// `true` when the proxies share one external server.
    pub fn is_external(&self) -> bool {
        self.servers.iter().any(TestServer::is_external)
    }

    /// The proxies as one sharded client's URL, with 400 ms connect and
    /// response timeouts, one connection attempt, and `options` (`a=1&b=2`)
    /// after them.
    pub fn url(&self, options: &str) -> String {
        self.url_over(self.proxies.len(), options)
    }

    /// [`url`](Cluster::url) over the first `n` proxies only.
    pub fn url_over(&self, n: usize, options: &str) -> String {
        let proxies = &self.proxies[..n.min(self.proxies.len())];
        let list: Vec<String> = proxies.iter().map(|p| p.addr().to_string()).collect();
        format!(
            "gibson://{}?response_timeout=400ms&connect_timeout=400ms&attempts=1&{options}",
            list.join(",")
        )
    }

    /// Server `index` accepts connections and never answers.
    pub fn kill(&self, index: usize) {
        self.proxies[index].set_faults(Faults {
            blackhole: true,
            ..Faults::default()
        });
        self.proxies[index].reset_all();
    }

    /// Server `index` answers again (its open connections are reset).
    pub fn revive(&self, index: usize) {
        self.proxies[index].set_faults(Faults::default());
        self.proxies[index].reset_all();
    }

    /// Each proxy's [`Proxy::request_reads`] so far: the difference over a
    /// call is its round trips per server.
    pub fn request_reads(&self) -> Vec<u64> {
        self.proxies.iter().map(Proxy::request_reads).collect()
    }
}
