//! Reading every key under a prefix of any size, a page at a time, on a
//! connection of the scan's own (see [`gibson_policy::scan`]).

use std::ops::ControlFlow;

use bytes::Bytes;
use gibson_policy::scan::{keys_counted, ScanKind, ScanState, ScanStep};
use gibson_proto::{cmd, Commands, Error, Value};

use crate::connection::Connection;

pub use gibson_policy::scan::DEFAULT_PAGE;

/// Every key (or pair) under a prefix of any size, as an iterator: read a
/// page at a time on a connection of the scan's own, so that a page that
/// proves too large for the server's `max_response_size` (which closes the
/// connection) is split without disturbing anything else. Made by
/// `mget_stream` and `keys_stream` on a connection, a pooled connection or
/// a sharded client (server after server). Memory holds one page.
///
/// ```no_run
/// # fn demo(conn: gibson_blocking::Connection) -> Result<(), gibson_blocking::Error> {
/// for pair in conn.mget_stream::<String, String>("log:")? {
///     let (key, value) = pair?;
///     println!("{key} = {value}");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PrefixScan<T> {
    state: ScanState<T>,
    conn: Option<Connection>,
}

impl<T> PrefixScan<T> {
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

    /// One step of the scan; `false` when every server is read.
    fn advance(&mut self) -> Result<bool, Error> {
        let (step, conn) = match self.state.step_on(&mut self.conn, Connection::lazy)? {
            ControlFlow::Break(more) => return Ok(more),
            ControlFlow::Continue(on) => on,
        };
        match step {
            ScanStep::Count(prefix) => self.state.counted(keys_counted(conn.count(prefix))?),
            ScanStep::Fetch(prefix) => match self.state.kind() {
                ScanKind::Pairs => {
                    let page = conn.execute(cmd::Mget::<_, Bytes, Value>::new(prefix));
                    self.state.fetched(page)?;
                }
                ScanKind::Names => {
                    let names = conn.execute(cmd::Keys::<_, Bytes>::new(prefix));
                    self.state.fetched_names(names)?;
                }
            },
            ScanStep::Split { exact, children } => {
                let value = conn.get::<Value>(exact.clone())?;
                self.state.exact(exact, value);
                let counts = conn.execute_multi(children.into_iter().map(cmd::Count::new));
                self.state.split_counted(counts?)?;
            }
            ScanStep::Done => {}
        }
        Ok(true)
    }
}

impl<T> Iterator for PrefixScan<T> {
    type Item = Result<T, Error>;

    /// The next key or pair; after an error the scan ends.
    fn next(&mut self) -> Option<Result<T, Error>> {
        loop {
            if let Some(answer) = self.state.ready() {
                return answer;
            }
            let stepped = self.advance();
            if let Some(answer) = self.state.stepped(stepped) {
                return answer;
            }
        }
    }
}
