//! The cached prefixes and what is known of each one's version.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use bytes::Bytes;
use gibson_proto::{Opcode, Value};

/// One cached prefix.
#[derive(Debug)]
pub(crate) struct Prefix {
    pub(crate) prefix: Bytes,
    pub(crate) version_key: Bytes,
    /// Bumped each time the local copies of the prefix go stale: a value
    /// serves only while the epoch it was fetched in lasts.
    pub(crate) epoch: AtomicU64,
    /// When (clock ticks) the last version check that counts was sent; 0
    /// for never. Local copies serve until `checked + staleness`.
    pub(crate) checked: AtomicU64,
    /// A reader is reading the version key.
    pub(crate) checking: AtomicBool,
    /// Hits since the last check, which may have been stale if the next
    /// check finds the version changed.
    pub(crate) hits_since_check: AtomicU64,
    /// The version key's value at the last check (`None`: never read;
    /// `Some(None)`: absent).
    pub(crate) version: Mutex<Option<Option<Value>>>,
}

impl Prefix {
    pub(crate) fn new(prefix: Bytes, version_key: Bytes) -> Prefix {
        Prefix {
            prefix,
            version_key,
            epoch: AtomicU64::new(0),
            checked: AtomicU64::new(0),
            checking: AtomicBool::new(false),
            hits_since_check: AtomicU64::new(0),
            version: Mutex::new(None),
        }
    }

    /// Local copies of the prefix may serve at clock `now`.
    pub(crate) fn fresh(&self, now: u64, staleness: u64) -> bool {
        let checked = self.checked.load(Ordering::Acquire);
        checked != 0 && now < checked.saturating_add(staleness)
    }

    /// Drops every local copy of the prefix (they are checked against the
    /// epoch when read).
    pub(crate) fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }
}

/// What a command does to the cached values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// It reads one key: a GET.
    Read,
    /// It changes the value or the life of one key.
    WritesKey,
    /// It changes the values or the lives of every key under a prefix.
    WritesPrefix,
    /// Nothing a near cache holds (locks, counts, scans, META…).
    None,
}

impl Effect {
    pub(crate) fn of(opcode: Opcode) -> Effect {
        match opcode {
            Opcode::Get => Effect::Read,
            Opcode::Set | Opcode::Ttl | Opcode::Del | Opcode::Inc | Opcode::Dec => {
                Effect::WritesKey
            }
            Opcode::Mset | Opcode::Mttl | Opcode::Mdel | Opcode::Minc | Opcode::Mdec => {
                Effect::WritesPrefix
            }
            _ => Effect::None,
        }
    }
}

/// The cached prefixes, longest first.
#[derive(Debug)]
pub(crate) struct Prefixes {
    all: Box<[Prefix]>,
}

impl Prefixes {
    pub(crate) fn new(mut all: Vec<Prefix>) -> Prefixes {
        all.sort_by(|a, b| {
            (b.prefix.len().cmp(&a.prefix.len())).then_with(|| a.prefix.cmp(&b.prefix))
        });
        all.dedup_by(|a, b| a.prefix == b.prefix);
        Prefixes { all: all.into() }
    }

    pub(crate) fn get(&self, i: usize) -> &Prefix {
        &self.all[i]
    }

    /// The longest cached prefix holding `key`: the one its copy is kept
    /// under.
    pub(crate) fn holding(&self, key: &[u8]) -> Option<usize> {
        self.all.iter().position(|p| key.starts_with(&p.prefix))
    }

    /// Every cached prefix whose keys a command with this effect on `key`
    /// may change.
    pub(crate) fn touched<'a>(
        &'a self,
        effect: Effect,
        key: &'a [u8],
    ) -> impl Iterator<Item = usize> + 'a {
        self.all
            .iter()
            .enumerate()
            .filter(move |(_, p)| match effect {
                Effect::WritesKey => key.starts_with(&p.prefix),
                Effect::WritesPrefix => key.starts_with(&p.prefix) || p.prefix.starts_with(key),
                Effect::Read | Effect::None => false,
            })
            .map(|(i, _)| i)
    }
}
