//! A whole scan, server after server: what the runtime crates' prefix
//! scans keep, so that each only does the I/O of a step.

use std::collections::VecDeque;
use std::ops::ControlFlow;

use bytes::Bytes;
use gibson_proto::{Error, FromValue, Value};

use crate::config::Config;

use super::{page_failed, ScanKind, ScanPlan, ScanStep};

/// What a runtime does next for a [`ScanState`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanNext {
    /// Open a connection of the scan's own to this server (the previous
    /// one, if any, is done with).
    Open(Config),
    /// Carry out this step on the open connection, then report its
    /// outcome: [`counted`](ScanState::counted),
    /// [`fetched`](ScanState::fetched), or [`exact`](ScanState::exact) and
    /// [`split`](ScanState::split).
    Step(ScanStep),
    /// Every server was read.
    Finished,
}

/// A scan of one prefix over servers, a page at a time; items of type `T`.
///
/// ```
/// use gibson_policy::scan::{pair, ScanKind, ScanNext, ScanState, ScanStep};
/// use gibson_policy::Config;
/// use gibson_proto::Value;
///
/// let server: Config = "127.0.0.1:10128".parse()?;
/// let mut scan = ScanState::new(vec![server.clone()], b"k:", ScanKind::Pairs, pair::<String, String>)?;
/// assert_eq!(scan.next_step(), ScanNext::Open(server));
/// assert_eq!(scan.next_step(), ScanNext::Step(ScanStep::Count("k:".into())));
/// scan.counted(1);
/// assert_eq!(scan.next_step(), ScanNext::Step(ScanStep::Fetch("k:".into())));
/// scan.fetched(Ok(vec![("k:1".into(), Value::from("v"))]))?;
/// assert_eq!(scan.pop().unwrap()?, ("k:1".to_string(), "v".to_string()));
/// assert_eq!(scan.next_step(), ScanNext::Finished);
/// # Ok::<(), gibson_proto::Error>(())
/// ```
pub struct ScanState<T> {
    servers: Vec<Config>,
    /// The next server to open.
    next_server: usize,
    plan: Option<ScanPlan>,
    prefix: Bytes,
    page: usize,
    kind: ScanKind,
    buffered: VecDeque<(Bytes, Value)>,
    convert: fn(Bytes, Value) -> Result<T, Error>,
    failed: bool,
}

impl<T> std::fmt::Debug for ScanState<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanState")
            .field("prefix", &self.prefix)
            .field("next_server", &self.next_server)
            .field("page", &self.page)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Keys per page unless [`ScanState::set_page`] says otherwise.
pub const DEFAULT_PAGE: usize = 1000;

impl<K: FromValue, V: FromValue> ScanState<(K, V)> {
    /// A scan of the pairs under `prefix` on each of `servers` in turn,
    /// as `(K, V)`.
    pub fn pairs(servers: Vec<Config>, prefix: &[u8]) -> Result<Self, Error> {
        ScanState::new(servers, prefix, ScanKind::Pairs, super::pair::<K, V>)
    }
}

impl<K: FromValue> ScanState<K> {
    /// A scan of the key names under `prefix` on each of `servers` in
    /// turn, as `K`.
    pub fn names(servers: Vec<Config>, prefix: &[u8]) -> Result<Self, Error> {
        ScanState::new(servers, prefix, ScanKind::Names, super::name::<K>)
    }
}

impl<T> ScanState<T> {
    /// A scan of `prefix` (refused now if invalid) over `servers`, its
    /// items made by `convert` (e.g. [`pair`](super::pair) or
    /// [`name`](super::name)).
    pub fn new(
        servers: Vec<Config>,
        prefix: &[u8],
        kind: ScanKind,
        convert: fn(Bytes, Value) -> Result<T, Error>,
    ) -> Result<Self, Error> {
        ScanPlan::new(prefix, DEFAULT_PAGE)?;
        Ok(ScanState {
            servers,
            next_server: 0,
            plan: None,
            prefix: Bytes::copy_from_slice(prefix),
            page: DEFAULT_PAGE,
            kind,
            buffered: VecDeque::new(),
            convert,
            failed: false,
        })
    }

    /// At most `keys` keys per request (at least 1): the bound on memory.
    pub fn set_page(&mut self, keys: usize) {
        self.page = keys.max(1);
    }

    /// What the scan reads.
    pub fn kind(&self) -> ScanKind {
        self.kind
    }

    /// The next item already read, if any.
    pub fn pop(&mut self) -> Option<Result<T, Error>> {
        let (key, value) = self.buffered.pop_front()?;
        Some((self.convert)(key, value))
    }

    /// `true` once the scan failed: it yields nothing more.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// Ends the scan after an error.
    pub fn fail(&mut self) {
        self.failed = true;
    }

    /// What to do next.
    pub fn next_step(&mut self) -> ScanNext {
        loop {
            let Some(plan) = &mut self.plan else {
                let Some(config) = self.servers.get(self.next_server) else {
                    return ScanNext::Finished;
                };
                self.next_server += 1;
                // Checked in `new`.
                self.plan = ScanPlan::new(&self.prefix, self.page).ok();
                return ScanNext::Open(config.clone());
            };
            match plan.step() {
                ScanStep::Done => self.plan = None,
                step => return ScanNext::Step(step),
            }
        }
    }

    /// [`next_step`](Self::next_step) on the scan's connection, kept in
    /// `conn`: `Break(true)` once `open` made the connection to the next
    /// server (in `conn`), `Break(false)` once every server was read, else
    /// the step to carry out and the connection to carry it out on (an
    /// error when there is none).
    pub fn step_on<'c, C>(
        &mut self,
        conn: &'c mut Option<C>,
        open: impl FnOnce(Config) -> Result<C, Error>,
    ) -> Result<ControlFlow<bool, (ScanStep, &'c mut C)>, Error> {
        match self.next_step() {
            ScanNext::Finished => Ok(ControlFlow::Break(false)),
            ScanNext::Open(config) => {
                *conn = Some(open(config)?);
                Ok(ControlFlow::Break(true))
            }
            ScanNext::Step(step) => match conn {
                Some(c) => Ok(ControlFlow::Continue((step, c))),
                None => Err(Error::ConnectionClosed { in_reply: false }),
            },
        }
    }

    /// The outcome of a [`ScanStep::Count`]: the prefix holds `n` keys
    /// (see [`keys_counted`](super::keys_counted)).
    pub fn counted(&mut self, n: u64) {
        if let Some(plan) = &mut self.plan {
            plan.counted(n);
        }
    }

    /// The outcome of a [`ScanStep::Split`]'s COUNTs, one per child.
    pub fn split(&mut self, counts: Vec<u64>) {
        if let Some(plan) = &mut self.plan {
            plan.split(counts);
        }
    }

    /// The replies of a [`ScanStep::Split`]'s COUNTs, one per child (see
    /// [`keys_counted`](super::keys_counted)): [`split`](Self::split) with
    /// their numbers, or the first error.
    pub fn split_counted(&mut self, counts: Vec<Result<u64, Error>>) -> Result<(), Error> {
        let counts = counts
            .into_iter()
            .map(super::keys_counted)
            .collect::<Result<Vec<u64>, Error>>()?;
        self.split(counts);
        Ok(())
    }

    /// The answer to the scan's `next` that needs no request: an item
    /// already read, or the end once the scan failed; `None` when a step
    /// must be taken ([`next_step`](Self::next_step)).
    pub fn ready(&mut self) -> Option<Option<Result<T, Error>>> {
        match self.pop() {
            Some(item) => Some(Some(item)),
            None => self.failed.then_some(None),
        }
    }

    /// The answer to the scan's `next` after a step that returned
    /// `stepped` (`Ok(false)` when every server was read): `None` to go
    /// on, the end, or the step's error (the scan then fails).
    pub fn stepped(&mut self, stepped: Result<bool, Error>) -> Option<Option<Result<T, Error>>> {
        match stepped {
            Ok(true) => None,
            Ok(false) => Some(None),
            Err(e) => {
                self.fail();
                Some(Some(Err(e)))
            }
        }
    }

    /// The outcome of a [`ScanStep::Fetch`]: its pairs (names with any
    /// value for KEYS), or its error; a reply that broke the connection
    /// splits the page.
    pub fn fetched(&mut self, page: Result<Vec<(Bytes, Value)>, Error>) -> Result<(), Error> {
        match page {
            Ok(page) => self.buffered.extend(page),
            Err(e) => {
                if let (true, Some(plan)) = (page_failed(e)?, &mut self.plan) {
                    plan.too_large()?;
                }
            }
        }
        Ok(())
    }

    /// The outcome of a [`ScanStep::Fetch`] by KEYS: its names, or its
    /// error (see [`fetched`](Self::fetched)).
    pub fn fetched_names(&mut self, names: Result<Vec<Bytes>, Error>) -> Result<(), Error> {
        self.fetched(names.map(|names| names.into_iter().map(|n| (n, Value::Int(0))).collect()))
    }

    /// The key equal to a split prefix, when it exists.
    pub fn exact(&mut self, key: Bytes, value: Option<Value>) {
        if let Some(value) = value {
            self.buffered.push_back((key, value));
        }
    }
}
