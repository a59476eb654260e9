//! `server.address` and `server.port`, computed once per connection.

use gibson_policy::Addr;

/// The server a connection talks to, as spans and metrics name it: its
/// host and port, or its socket path and no port. Empty when both
/// features are off.
#[derive(Debug, Clone)]
pub struct Server {
    #[cfg(any(feature = "tracing", feature = "metrics"))]
    pub(crate) address: std::sync::Arc<str>,
    #[cfg(feature = "tracing")]
    pub(crate) port: Option<u16>,
    /// `address:port`, the pool's name in the pool gauges.
    #[cfg(feature = "metrics")]
    pub(crate) name: std::sync::Arc<str>,
    #[cfg(feature = "metrics")]
    pub(crate) port_label: Option<std::sync::Arc<str>>,
    /// Its duration histograms, shared by the clones.
    #[cfg(feature = "metrics")]
    pub(crate) durations: std::sync::Arc<crate::record::Durations>,
}

impl Server {
    /// The server at `addr`.
    ///
    /// ```
    /// let server = gibson_observe::Server::new(&"127.0.0.1:10128".parse().unwrap());
    /// # let _ = server;
    /// ```
    #[cfg_attr(
        not(any(feature = "tracing", feature = "metrics")),
        allow(unused_variables)
    )]
    pub fn new(addr: &Addr) -> Server {
        #[cfg(any(feature = "tracing", feature = "metrics"))]
        let (address, port): (std::sync::Arc<str>, Option<u16>) = match addr {
            Addr::Tcp { host, port } => (host.as_str().into(), Some(*port)),
            Addr::Unix(path) => (path.to_string_lossy().into(), None),
        };
        Server {
            #[cfg(feature = "metrics")]
            name: addr.to_string().into(),
            #[cfg(feature = "metrics")]
            port_label: port.map(|p| p.to_string().into()),
            #[cfg(feature = "metrics")]
            durations: Default::default(),
            #[cfg(any(feature = "tracing", feature = "metrics"))]
            address,
            #[cfg(feature = "tracing")]
            port,
        }
    }
}
