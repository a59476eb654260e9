//! Reading every key under a prefix of any size, a page at a time, on a
//! connection of the scan's own (see [`gibson_proto::scan`]).

use std::collections::VecDeque;

use bytes::Bytes;
use gibson_proto::scan::{keys_counted, name, page_failed, pair, ScanKind, ScanPlan, ScanStep};
use gibson_proto::{cmd, Config, Error, FromValue, Value};

use crate::connection::Connection;
use crate::runtime::Runtime;

/// Keys per page unless [`PrefixScan::page`] says otherwise.
pub const DEFAULT_PAGE: usize = 1000;

/// Every key (or pair) under a prefix of any size, read a page at a time
/// on a connection of the scan's own, so that a page that proves too
/// large for the server's `max_response_size` (which closes the
/// connection) is split without touching anyone else's requests. Made by
/// `mget_stream` and `keys_stream` on a connection, a pool or a sharded
/// client (server after server). Memory holds one page.
///
/// ```no_run
/// # async fn demo(conn: gibson_tokio::Connection) -> Result<(), gibson_tokio::Error> {
/// let mut scan = conn.mget_stream::<String, String>("log:")?;
/// while let Some(pair) = scan.next().await {
///     let (key, value) = pair?;
///     println!("{key} = {value}");
/// }
/// # Ok(()) }
/// ```
pub struct PrefixScan<R: Runtime, T> {
    servers: Vec<Config>,
    /// The server being read, and the scan's connection to it.
    server: usize,
    conn: Option<Connection<R>>,
    plan: Option<ScanPlan>,
    prefix: Bytes,
    page: usize,
    kind: ScanKind,
    buffered: VecDeque<(Bytes, Value)>,
    convert: fn(Bytes, Value) -> Result<T, Error>,
    failed: bool,
}

impl<R: Runtime, T> std::fmt::Debug for PrefixScan<R, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrefixScan")
            .field("prefix", &self.prefix)
            .field("server", &self.server)
            .field("page", &self.page)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime, K: FromValue, V: FromValue> PrefixScan<R, (K, V)> {
    /// A scan of the pairs under `prefix` on each of `servers` in turn.
    pub(crate) fn pairs(servers: Vec<Config>, prefix: &[u8]) -> Result<Self, Error> {
        PrefixScan::new(servers, prefix, ScanKind::Pairs, pair::<K, V>)
    }
}

impl<R: Runtime, K: FromValue> PrefixScan<R, K> {
    /// A scan of the key names under `prefix` on each of `servers`.
    pub(crate) fn names(servers: Vec<Config>, prefix: &[u8]) -> Result<Self, Error> {
        PrefixScan::new(servers, prefix, ScanKind::Names, name::<K>)
    }
}

impl<R: Runtime, T> PrefixScan<R, T> {
    fn new(
        servers: Vec<Config>,
        prefix: &[u8],
        kind: ScanKind,
        convert: fn(Bytes, Value) -> Result<T, Error>,
    ) -> Result<Self, Error> {
        // Refuses a bad prefix now rather than on the first page.
        ScanPlan::new(prefix, DEFAULT_PAGE)?;
        Ok(PrefixScan {
            servers,
            server: 0,
            conn: None,
            plan: None,
            prefix: Bytes::copy_from_slice(prefix),
            page: DEFAULT_PAGE,
            kind,
            buffered: VecDeque::new(),
            convert,
            failed: false,
        })
    }

    /// Reads at most `keys` keys per request (default 1000): the bound on
    /// the memory a scan holds.
    pub fn page(mut self, keys: usize) -> Self {
        self.page = keys.max(1);
        self
    }

    /// The next key or pair; `None` once every one was read. After an
    /// error the scan ends.
    pub async fn next(&mut self) -> Option<Result<T, Error>> {
        loop {
            if let Some((key, value)) = self.buffered.pop_front() {
                return Some((self.convert)(key, value));
            }
            if self.failed {
                return None;
            }
            match self.advance().await {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }

    /// The scan as a `Stream` of keys or pairs.
    pub fn into_stream(self) -> impl futures_lite::Stream<Item = Result<T, Error>> {
        futures_lite::stream::unfold(self, |mut scan| async move {
            let item = scan.next().await?;
            Some((item, scan))
        })
    }

    /// One step of the plan; `false` when every server is read.
    async fn advance(&mut self) -> Result<bool, Error> {
        let (plan, conn) = match (&mut self.plan, &self.conn) {
            (Some(plan), Some(conn)) => (plan, conn),
            _ => {
                let Some(config) = self.servers.get(self.server) else {
                    return Ok(false);
                };
                self.conn = Some(Connection::lazy(config.clone())?);
                self.plan = Some(ScanPlan::new(&self.prefix, self.page)?);
                return Ok(true);
            }
        };
        match plan.step() {
            ScanStep::Count(prefix) => {
                let n = keys_counted(conn.count(prefix).await)?;
                plan.counted(n);
            }
            ScanStep::Fetch(prefix) => {
                let fetched = match self.kind {
                    ScanKind::Pairs => conn
                        .execute(cmd::Mget::<_, Bytes, Value>::new(prefix))
                        .await
                        .map(|pairs| pairs.into_iter().collect::<Vec<_>>()),
                    ScanKind::Names => conn
                        .execute(cmd::Keys::<_, Bytes>::new(prefix))
                        .await
                        .map(|names| names.into_iter().map(|n| (n, Value::Int(0))).collect()),
                };
                match fetched {
                    Ok(page) => self.buffered.extend(page),
                    Err(e) => {
                        if page_failed(e)? {
                            plan.too_large()?;
                        }
                    }
                }
            }
            ScanStep::Split { exact, children } => {
                if let Some(value) = conn.get::<Value>(exact.clone()).await? {
                    self.buffered.push_back((exact, value));
                }
                let mut pipe = conn.pipeline();
                let handles: Vec<_> = children.into_iter().map(|c| pipe.count(c)).collect();
                let mut results = conn.run(pipe).await?;
                let counts = handles
                    .into_iter()
                    .map(|h| keys_counted(results.take(h)))
                    .collect::<Result<Vec<u64>, Error>>()?;
                plan.split(counts);
            }
            ScanStep::Done => {
                self.server += 1;
                self.plan = None;
                self.conn = None;
            }
        }
        Ok(true)
    }
}
