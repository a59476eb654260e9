//! Reading every key under a prefix of any size, a page at a time, on a
//! connection of the scan's own (see [`gibson_policy::scan`]).

use std::ops::ControlFlow;

use bytes::Bytes;
use gibson_policy::scan::{keys_counted, ScanKind, ScanState, ScanStep};
use gibson_proto::{cmd, AsyncCommands, Error, Value};

use crate::connection::Connection;
use crate::runtime::Runtime;

pub use gibson_policy::scan::DEFAULT_PAGE;

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
#[derive(Debug)]
pub struct PrefixScan<R: Runtime, T> {
    state: ScanState<T>,
    conn: Option<Connection<R>>,
}

impl<R: Runtime, T> PrefixScan<R, T> {
    /// The scan `state` ([`ScanState::pairs`] or [`ScanState::names`]).
    pub(crate) fn new(state: ScanState<T>) -> Self {
        PrefixScan { state, conn: None }
    }

    /// Reads at most `keys` keys per request (default 1000): the bound on
    /// the memory a scan holds.
    pub fn page(mut self, keys: usize) -> Self {
        self.state.set_page(keys);
        self
    }

    /// The next key or pair; `None` once every one was read. After an
    /// error the scan ends.
    pub async fn next(&mut self) -> Option<Result<T, Error>> {
        loop {
            if let Some(answer) = self.state.ready() {
                return answer;
            }
            let stepped = self.advance().await;
            if let Some(answer) = self.state.stepped(stepped) {
                return answer;
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

    /// One step of the scan; `false` when every server is read.
    async fn advance(&mut self) -> Result<bool, Error> {
        let (step, conn) = match self.state.step_on(&mut self.conn, Connection::lazy)? {
            ControlFlow::Break(more) => return Ok(more),
            ControlFlow::Continue(on) => on,
        };
        match step {
            ScanStep::Count(prefix) => self.state.counted(keys_counted(conn.count(prefix).await)?),
            ScanStep::Fetch(prefix) => match self.state.kind() {
                ScanKind::Pairs => {
                    let page = conn.execute(cmd::Mget::<_, Bytes, Value>::new(prefix));
                    self.state.fetched(page.await)?;
                }
                ScanKind::Names => {
                    let names = conn.execute(cmd::Keys::<_, Bytes>::new(prefix));
                    self.state.fetched_names(names.await)?;
                }
            },
            ScanStep::Split { exact, children } => {
                let value = conn.get::<Value>(exact.clone()).await?;
                self.state.exact(exact, value);
                let counts = conn.execute_multi(children.into_iter().map(cmd::Count::new));
                self.state.split_counted(counts.await?)?;
            }
            ScanStep::Done => {}
        }
        Ok(true)
    }
}
