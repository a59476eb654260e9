//! The near cache's decisions, without I/O: [`Near`].

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use gibson_proto::{
    cmd, requests, Command, Error, Handle, Limits, MetaField, Opcode, Pipeline, PipelineResults,
    Reply, ServerError, Ttl, Value,
};

use crate::config::NearConfig;
use crate::prefixes::{Effect, Prefix, Prefixes};
use crate::stats::{count, Counters, NearStats};
use crate::store::{Entry, Store};

/// The near cache's state and rules, shared by every client it sits in
/// front of; the runtime crates' `NearCache` does the I/O it asks for.
///
/// A read of a cached key is [`read`](Near::read): a [`Read::Hit`] answers
/// from memory; a [`Read::Check`] asks for the prefix's version key first
/// (then the read is planned again); a [`Read::Fetch`] reads the value and
/// its time left, which [`fetched`](Near::fetched) keeps. A write is sent
/// as it is, then its [`Writes`] are bumped ([`Near::bump`]).
#[derive(Debug)]
pub struct Near {
    config: NearConfig,
    prefixes: Prefixes,
    store: Store,
    counters: Arc<Counters>,
    origin: Instant,
    staleness: u64,
}

/// What a read of one key needs.
#[derive(Debug)]
pub enum Read<'a> {
    /// The value is here, fresh.
    Hit(Value),
    /// Read the prefix's version key ([`Check::version_key`]), report it
    /// with [`Check::done`], then plan the read again.
    Check(Check<'a>),
    /// Read the value and its time left (GET and META `left`, one
    /// pipeline) and hand them to [`Near::fetched`].
    Fetch(Fetch),
    /// Read the value from the server and do not keep it: another reader
    /// is checking the prefix's version.
    Bypass,
    /// The key is under no cached prefix: send the command as it is.
    Pass,
}

/// A version check in flight; dropping it unfinished lets another reader
/// check.
#[derive(Debug)]
pub struct Check<'a> {
    near: &'a Near,
    prefix: usize,
    sent: u64,
}

/// A value read to keep.
#[derive(Debug, Clone, Copy)]
pub struct Fetch {
    prefix: usize,
    epoch: u64,
    sent: u64,
}

/// A [`Read::Fetch`] in a pipeline.
#[derive(Debug)]
pub struct Fetching {
    fetch: Fetch,
    key: Bytes,
    value: Handle<Option<Value>>,
    left: Handle<Option<i64>>,
}

impl Fetching {
    /// The key read.
    pub fn key(&self) -> &Bytes {
        &self.key
    }
}

/// The cached prefixes a write touched.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Writes {
    prefixes: Vec<usize>,
}

/// The version keys to set after a write, each to the same new token.
#[derive(Debug)]
pub struct Bump {
    writes: Writes,
    keys: Vec<Bytes>,
    token: Bytes,
}

impl Near {
    /// A near cache as `config` says; refuses a configuration that cannot
    /// keep its promise (no prefix, an empty one, a zero bound, a version
    /// prefix inside a cached prefix).
    pub fn new(config: NearConfig) -> Result<Near, Error> {
        config.validate()?;
        let counters = Arc::new(Counters::default());
        let prefixes = config
            .prefixes()
            .iter()
            .map(|p| Prefix::new(p.clone(), config.version_key(p)))
            .collect();
        Ok(Near {
            store: Store::new(config.entries(), config.bytes(), counters.clone()),
            prefixes: Prefixes::new(prefixes),
            staleness: ticks(config.staleness()),
            counters,
            origin: Instant::now(),
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &NearConfig {
        &self.config
    }

    /// The counters so far.
    pub fn stats(&self) -> NearStats {
        self.counters.snapshot()
    }

    /// The values held now.
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// Nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes held now (keys, values and
    /// [`ENTRY_OVERHEAD`](crate::ENTRY_OVERHEAD) each, counting an entry at
    /// least `max_bytes / max_entries`): never above `max_bytes`.
    pub fn weight(&self) -> u64 {
        self.store.weight()
    }

    /// Clock ticks since the cache was made, never 0.
    fn tick(&self, now: Instant) -> u64 {
        ticks(now.saturating_duration_since(self.origin)).saturating_add(1)
    }

    /// Plans a read of `key` at `now`.
    pub fn read(&self, key: &[u8], now: Instant) -> Read<'_> {
        let Some(i) = self.prefixes.holding(key) else {
            return Read::Pass;
        };
        let prefix = self.prefixes.get(i);
        let now = self.tick(now);
        if !prefix.fresh(now, self.staleness) {
            if let Some(check) = self.claim_check(i, now) {
                return Read::Check(check);
            }
            count!(self.counters, bypasses, 1);
            return Read::Bypass;
        }
        let epoch = prefix.epoch.load(Ordering::Acquire);
        if let Some(entry) = self.store.get(key) {
            if entry.epoch == epoch && now < entry.expires {
                count!(self.counters, hits, 1);
                prefix.hits_since_check.fetch_add(1, Ordering::Relaxed);
                return Read::Hit(entry.value);
            }
            self.store.remove(key);
        }
        Read::Fetch(Fetch {
            prefix: i,
            epoch,
            sent: now,
        })
    }

    /// A version check of the prefix holding `key`, if one is due and no
    /// other reader has claimed it.
    pub(crate) fn check_due(&self, key: &[u8], now: Instant) -> Option<Check<'_>> {
        let i = self.prefixes.holding(key)?;
        let now = self.tick(now);
        if self.prefixes.get(i).fresh(now, self.staleness) {
            return None;
        }
        self.claim_check(i, now)
    }

    /// Claims the version check of prefix `i`, unless another reader has.
    fn claim_check(&self, i: usize, now: u64) -> Option<Check<'_>> {
        self.prefixes
            .get(i)
            .checking
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| Check {
                near: self,
                prefix: i,
                sent: now,
            })
    }

    /// Keeps what a [`Read::Fetch`] read: `value` (`None`: absent, not
    /// kept) and `left`, META `left` read after it (`Some(-1)`: no expiry;
    /// `None`: gone). A value is kept until one second before the server
    /// could expire it (its clock has a resolution of one second), so one
    /// with under two seconds left is not kept.
    pub fn fetched(&self, key: &[u8], fetch: Fetch, value: Option<&Value>, left: Option<i64>) {
        let expires = match left {
            Some(-1) => Some(u64::MAX),
            Some(n) if n >= 2 => Some(
                fetch
                    .sent
                    .saturating_add(ticks(Duration::from_secs(n as u64 - 1))),
            ),
            _ => None,
        };
        let prefix = self.prefixes.get(fetch.prefix);
        match (value, expires) {
            (Some(value), Some(expires)) if prefix.epoch.load(Ordering::Acquire) == fetch.epoch => {
                count!(self.counters, misses, 1);
                // A value read from the socket shares the read buffer's
                // allocation: a copy of its own keeps the byte bound true.
                let value = match value {
                    Value::Bytes(b) => Value::Bytes(Bytes::copy_from_slice(b)),
                    Value::Int(n) => Value::Int(*n),
                };
                self.store.insert(
                    Bytes::copy_from_slice(key),
                    Entry {
                        value,
                        epoch: fetch.epoch,
                        expires,
                    },
                );
            }
            (None, _) => count!(self.counters, misses, 1),
            _ => count!(self.counters, bypasses, 1),
        }
    }

    /// Adds a [`Read::Fetch`]'s two commands (GET and META `left` of
    /// `key`) to `pipeline`.
    pub fn fetch(&self, fetch: Fetch, key: Bytes, pipeline: &mut Pipeline) -> Fetching {
        Fetching {
            value: pipeline.add(cmd::Get::new(key.clone())),
            left: pipeline.add(cmd::Meta::new(key.clone(), MetaField::Left)),
            fetch,
            key,
        }
    }

    /// Keeps what a [`fetch`](Near::fetch) read and gives the GET's reply.
    pub fn fetched_from(
        &self,
        fetching: Fetching,
        results: &mut PipelineResults,
    ) -> Result<Reply, Error> {
        let value = self.fetched_value(fetching, results)?;
        Ok(value.map_or(Reply::Error(ServerError::NotFound), Reply::Value))
    }

    /// Keeps what a [`fetch`](Near::fetch) read and gives the value.
    pub(crate) fn fetched_value(
        &self,
        fetching: Fetching,
        results: &mut PipelineResults,
    ) -> Result<Option<Value>, Error> {
        let value = results.take(fetching.value)?;
        let left = results.take(fetching.left).ok().flatten();
        self.fetched(&fetching.key, fetching.fetch, value.as_ref(), left);
        Ok(value)
    }

    /// The bump after a write that ended with `done`: `None` when it
    /// touched no cached prefix or surely did not run.
    pub fn bump_after<T>(&self, writes: Writes, done: &Result<T, Error>) -> Option<Bump> {
        let ran = match done {
            Ok(_) => true,
            Err(e) => e.may_have_executed(),
        };
        self.bump(writes).filter(|_| ran)
    }

    /// Reports a bump by what its SETs (sent at `sent`) returned, and gives
    /// the write's result `done`; a write that succeeded but whose bump
    /// failed gives [`Error::Broken`] (it ran; other near caches may not
    /// know yet) around the bump's error.
    pub fn bumped_after<T>(
        &self,
        bump: &Bump,
        sent: Instant,
        sets: Result<Vec<Result<Value, Error>>, Error>,
        done: Result<T, Error>,
    ) -> Result<T, Error> {
        let bumped =
            sets.and_then(|sets| sets.into_iter().find_map(Result::err).map_or(Ok(()), Err));
        self.bumped(bump, sent, bumped.is_ok());
        match (done, bumped) {
            (Ok(_), Err(e)) => Err(Error::Broken { cause: Arc::new(e) }),
            (done, _) => done,
        }
    }

    /// The cached prefixes a command (its opcode and key) may change:
    /// empty for a read, a command of no key, or keys outside them.
    pub fn writes(&self, opcode: Opcode, key: Option<&[u8]>) -> Writes {
        let mut writes = Writes::default();
        if let Some(key) = key {
            writes
                .prefixes
                .extend(self.prefixes.touched(Effect::of(opcode), key));
        }
        writes
    }

    /// The cached prefixes the commands of `frames` (a pipeline's) may
    /// change.
    pub fn writes_in(&self, frames: &[u8]) -> Writes {
        let mut writes = Writes::default();
        for (opcode, key) in requests(frames) {
            writes.merge(self.writes(opcode, key));
        }
        writes
    }

    /// After a write that may have executed, the version keys to set (one
    /// SET each, sent after the write's reply, never with it: on several
    /// servers the two could run in either order); `None` if it touched no
    /// cached prefix.
    pub fn bump(&self, writes: Writes) -> Option<Bump> {
        if writes.prefixes.is_empty() {
            return None;
        }
        let keys = writes
            .prefixes
            .iter()
            .map(|&i| self.prefixes.get(i).version_key.clone())
            .collect();
        Some(Bump {
            writes,
            keys,
            token: token(),
        })
    }

    /// Reports a bump: `sent` is when its SETs were sent, `ok` whether they
    /// were all acknowledged. The local copies of the touched prefixes go
    /// either way; an acknowledged bump also counts as a version check
    /// made at `sent`.
    pub fn bumped(&self, bump: &Bump, sent: Instant, ok: bool) {
        let sent = self.tick(sent);
        count!(self.counters, bumps, 1);
        for &i in &bump.writes.prefixes {
            let prefix = self.prefixes.get(i);
            let mut version = prefix.version.lock().unwrap_or_else(|e| e.into_inner());
            prefix.invalidate();
            if ok {
                *version = Some(Some(Value::Bytes(bump.token.clone())));
                prefix.checked.fetch_max(sent, Ordering::AcqRel);
            } else {
                // What the server holds is unknown: check before serving.
                *version = None;
                prefix.checked.store(0, Ordering::Release);
            }
        }
    }

    /// A command's opcode and key, read from its encoding; `None` if it
    /// does not encode (the client's own call then gives the error).
    pub fn key_of<C: Command>(cmd: &C) -> Option<Bytes> {
        let mut buf = BytesMut::with_capacity(64);
        cmd.encode(&mut buf, &reading_limits()).ok()?;
        let frame = buf.freeze();
        let (_, key) = requests(&frame).next()?;
        let key = key?;
        let at = key.as_ptr() as usize - frame.as_ptr() as usize;
        Some(frame.slice(at..at + key.len()))
    }

    /// Whether a command of this opcode reads one key the cache may hold.
    pub fn is_read(opcode: Opcode) -> bool {
        Effect::of(opcode) == Effect::Read
    }

    /// Whether a command of this opcode may change a value the cache holds.
    pub fn is_write(opcode: Opcode) -> bool {
        matches!(Effect::of(opcode), Effect::WritesKey | Effect::WritesPrefix)
    }
}

impl Check<'_> {
    /// The version key to GET.
    pub fn version_key(&self) -> &Bytes {
        &self.near.prefixes.get(self.prefix).version_key
    }

    /// Reports the version key's value (`None`: absent). A value other
    /// than the last one seen drops the prefix's local copies.
    pub fn done(self, version: Option<Value>) {
        let near = self.near;
        let prefix = near.prefixes.get(self.prefix);
        count!(near.counters, version_checks, 1);
        let mut seen = prefix.version.lock().unwrap_or_else(|e| e.into_inner());
        let hits = prefix.hits_since_check.swap(0, Ordering::Relaxed);
        if seen.as_ref().is_some_and(|seen| *seen != version) {
            prefix.invalidate();
            count!(near.counters, invalidations, 1);
            count!(near.counters, stale_serves, hits);
        }
        *seen = Some(version);
        prefix.checked.fetch_max(self.sent, Ordering::AcqRel);
    }
}

impl Check<'_> {
    /// Reports that the version key could not be read: the read goes to
    /// the server without the near cache (a bypass), and the next reader
    /// checks again.
    pub fn failed(self) {
        count!(self.near.counters, bypasses, 1);
    }
}

impl Drop for Check<'_> {
    fn drop(&mut self) {
        self.near
            .prefixes
            .get(self.prefix)
            .checking
            .store(false, Ordering::Release);
    }
}

impl Writes {
    /// Adds the prefixes `other` touched.
    pub fn merge(&mut self, other: Writes) {
        self.prefixes.extend(other.prefixes);
        self.prefixes.sort_unstable();
        self.prefixes.dedup();
    }

    /// No cached prefix was touched.
    pub fn is_empty(&self) -> bool {
        self.prefixes.is_empty()
    }
}

impl Bump {
    /// The version keys to set.
    pub fn version_keys(&self) -> &[Bytes] {
        &self.keys
    }

    /// The new version each key is set to.
    pub fn token(&self) -> &Bytes {
        &self.token
    }

    /// The SETs to send.
    pub fn commands(&self) -> impl Iterator<Item = cmd::Set<Bytes, Bytes>> + '_ {
        self.keys
            .iter()
            .map(|k| cmd::Set::new(k.clone(), self.token.clone(), Ttl::Never))
    }
}

/// Nanoseconds, saturating.
fn ticks(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Limits that refuse nothing: a command is encoded only to read its key.
fn reading_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_key_size = usize::MAX;
    limits.max_value_size = usize::MAX;
    limits.max_request_size = usize::MAX;
    limits.max_ttl = u32::MAX;
    limits
}

/// A version no other bump will write: 64 random bits and a counter.
fn token() -> Bytes {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", h.finish()).into()
}
