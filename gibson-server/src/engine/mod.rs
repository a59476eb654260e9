//! The store and the commands: everything the server does between a decoded
//! request and its encoded reply. No I/O, no clock: time is passed in.

mod item;
mod kval;
mod meta;
mod multi;
mod stats;
mod sweep;

use bytes::{Bytes, BytesMut};
use gibson_proto::server::{encode_status, encode_value, parse_int, split_args, Args};
use gibson_proto::{Opcode, ReplyCode, Value};

use crate::pool::ItemPool;
use crate::settings::Settings;
use crate::trie::{NodeId, Trie};

use item::{stored_ttl, Data, Item};

/// Bytes counted per item on top of its key and data, for `memory_used`.
const ITEM_OVERHEAD: u64 = 48;

/// How the connection goes on after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// A reply was written; keep going.
    Continue,
    /// A reply was written; close the connection after sending it (END).
    Close,
    /// Close the connection without a reply (the real server drops the
    /// client: reply over `max_response_size`).
    Kill,
}

/// Counters reported by STATS.
#[derive(Debug, Default, Clone)]
pub(crate) struct Counters {
    pub(crate) started: i64,
    pub(crate) first_in: i64,
    pub(crate) last_in: i64,
    pub(crate) clients: i64,
    pub(crate) connections: i64,
    pub(crate) requests: i64,
    pub(crate) cron_done: i64,
    items: i64,
    compressed: i64,
    mem_used: u64,
    mem_peak: u64,
    compr_avg: f64,
}

/// The store and the command interpreter.
#[derive(Debug)]
pub(crate) struct Engine {
    settings: Settings,
    tree: Trie<Item>,
    pool: ItemPool,
    pub(crate) stats: Counters,
}

fn status(out: &mut BytesMut, code: ReplyCode) -> Flow {
    encode_status(out, code);
    Flow::Continue
}

fn number(out: &mut BytesMut, n: i64) -> Flow {
    encode_value(out, &Value::Int(n));
    Flow::Continue
}

/// The reply of every multi-key command but COUNT: VAL count, or
/// NOT_FOUND when no item was affected.
fn count_or_not_found(out: &mut BytesMut, n: i64) -> Flow {
    if n > 0 {
        number(out, n)
    } else {
        status(out, ReplyCode::NotFound)
    }
}

/// MTTL and MLOCK: NAN when the number is missing or malformed (before
/// any match is looked at), else the reply to the count `f` returns.
fn counted_with_number(
    out: &mut BytesMut,
    rest: Option<&[u8]>,
    f: impl FnOnce(i64) -> i64,
) -> Flow {
    match rest.and_then(parse_int) {
        Some(n) => count_or_not_found(out, f(n)),
        None => status(out, ReplyCode::Nan),
    }
}

/// A key as the real server's multi-key code sees it: cut at its first NUL
/// (the trie search hands callbacks a C string).
fn c_string(key: &[u8]) -> &[u8] {
    match key.iter().position(|&b| b == 0) {
        Some(i) => &key[..i],
        None => key,
    }
}

impl Engine {
    pub(crate) fn new(settings: Settings, now: i64) -> Engine {
        Engine {
            settings,
            tree: Trie::new(),
            pool: ItemPool::default(),
            stats: Counters {
                started: now,
                ..Counters::default()
            },
        }
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    fn item_cost(key_len: usize, item: &Item) -> u64 {
        key_len as u64 + item.stored_size() as u64 + ITEM_OVERHEAD
    }

    fn account_add(&mut self, key_len: usize, item: &Item, now: i64) {
        self.pool.alloc();
        self.stats.items += 1;
        if item.is_lzf() {
            self.stats.compressed += 1;
        }
        if self.stats.first_in == 0 {
            self.stats.first_in = now;
        }
        self.stats.last_in = now;
        self.stats.mem_used += Self::item_cost(key_len, item);
        self.stats.mem_peak = self.stats.mem_peak.max(self.stats.mem_used);
    }

    fn account_remove(&mut self, key_len: usize, item: &Item) {
        self.pool.free();
        self.stats.items -= 1;
        if item.is_lzf() {
            self.stats.compressed -= 1;
        }
        self.stats.mem_used = self
            .stats
            .mem_used
            .saturating_sub(Self::item_cost(key_len, item));
    }

    /// Destroys the item of a node (the branch stays). The depth is not
    /// stored, so the accounting uses the key length the caller knows.
    fn remove(&mut self, id: NodeId, key_len: usize) -> Option<Item> {
        let item = self.tree.take_item(id)?;
        self.account_remove(key_len, &item);
        Some(item)
    }

    /// Stores a new item on a node, destroying the one it replaces (in
    /// that order, as the real server: the pool sees an allocation first).
    fn put(&mut self, id: NodeId, key_len: usize, item: Item, now: i64) {
        self.account_add(key_len, &item, now);
        if let Some(old) = self.tree.set_item(id, item) {
            self.account_remove(key_len, &old);
        }
    }

    /// Builds a stored item from a value, compressing it above the
    /// threshold when LZF saves at least 4 bytes.
    fn make_item(&mut self, value: &[u8], now: i64) -> Item {
        let data = if value.len() > self.settings.compression && value.len() > 4 {
            match lzf::compress(value) {
                Ok(packed) if packed.len() <= value.len() - 4 => {
                    let rate = 100.0 - (packed.len() as f64 * 100.0) / value.len() as f64;
                    self.stats.compr_avg = if self.stats.compr_avg == 0.0 {
                        rate
                    } else {
                        (self.stats.compr_avg + rate) / 2.0
                    };
                    Data::Lzf {
                        packed: Bytes::from(packed),
                        len: value.len(),
                    }
                }
                _ => Data::Plain(Bytes::copy_from_slice(value)),
            }
        } else {
            Data::Plain(Bytes::copy_from_slice(value))
        };
        Item::new(data, now)
    }

    /// Stores `value` under `key` (SET, and MSET on each match).
    fn store(&mut self, key: &[u8], value: &[u8], now: i64) -> NodeId {
        let item = self.make_item(value, now);
        let id = self.tree.insert_node(key);
        self.put(id, key.len(), item, now);
        id
    }

    /// The live item under `key`: an expired one is removed and reads as
    /// absent.
    fn live(&mut self, key: &[u8], now: i64) -> Option<NodeId> {
        let id = self.tree.find_node(key)?;
        let item = self.tree.item(id)?;
        if item.expired(now) {
            self.remove(id, key.len());
            return None;
        }
        Some(id)
    }

    fn over_memory(&self) -> bool {
        self.stats.mem_used > self.settings.max_memory
    }

    /// The 16-bit TTL stored for a requested one.
    fn stored_ttl(&self, ttl: i64) -> i16 {
        stored_ttl(ttl, self.settings.max_item_ttl.max(0) as u64)
    }

    /// Counts a request the connection drops for an unknown opcode (the
    /// real server counts it before it looks at the opcode).
    pub(crate) fn count_dropped_request(&mut self) {
        self.stats.requests += 1;
    }

    /// Executes one request, appending its reply (if any) to `out`.
    pub(crate) fn execute(
        &mut self,
        op: Opcode,
        payload: &[u8],
        now: i64,
        out: &mut BytesMut,
    ) -> Flow {
        self.stats.requests += 1;
        let args = split_args(
            op,
            payload,
            self.settings.max_key_size,
            self.settings.max_value_size,
        );
        match (op, args) {
            (Opcode::Ping, _) => status(out, ReplyCode::Ok),
            (Opcode::End, _) => {
                encode_status(out, ReplyCode::Ok);
                Flow::Close
            }
            (Opcode::Stats, _) => self.cmd_stats(now, out),
            // The memory check comes before any argument is looked at.
            (Opcode::Set | Opcode::Mset, _) if self.over_memory() => status(out, ReplyCode::Mem),
            (_, Args::Key(b"")) | (_, Args::KeyRest { key: b"", .. }) => {
                status(out, ReplyCode::Err)
            }
            (Opcode::Set, Args::Set { ttl, key, value }) => self.cmd_set(ttl, key, value, now, out),
            (Opcode::Get, Args::Key(key)) => self.cmd_get(key, now, out),
            (Opcode::Del, Args::Key(key)) => self.cmd_del(key, now, out),
            (Opcode::Inc, Args::Key(key)) => self.cmd_incdec(key, 1, now, out),
            (Opcode::Dec, Args::Key(key)) => self.cmd_incdec(key, -1, now, out),
            (Opcode::Unlock, Args::Key(key)) => self.cmd_unlock(key, now, out),
            (Opcode::Mdel, Args::Key(p)) => count_or_not_found(out, self.mdel(p, now)),
            (Opcode::Minc, Args::Key(p)) => count_or_not_found(out, self.mincdec(p, 1, now)),
            (Opcode::Mdec, Args::Key(p)) => count_or_not_found(out, self.mincdec(p, -1, now)),
            (Opcode::Munlock, Args::Key(p)) => count_or_not_found(out, self.munlock(p, now)),
            (Opcode::Count, Args::Key(p)) => number(out, self.count(p, now)),
            (Opcode::Keys, Args::Key(p)) => self.cmd_keys(p, out),
            // An empty number or value part: the parser refuses it (an
            // empty MGET limit too: `MGET p ` is ERR).
            (
                _,
                Args::KeyRest {
                    rest: Some(b""), ..
                },
            ) => status(out, ReplyCode::Err),
            // No limit is limit 0: every match.
            (Opcode::Mget, Args::KeyRest { key, rest }) => match rest.map_or(Some(0), parse_int) {
                Some(limit) => self.cmd_mget(key, limit, now, out),
                None => status(out, ReplyCode::Nan),
            },
            (Opcode::Ttl, Args::KeyRest { key, rest }) => self.cmd_ttl(key, rest, now, out),
            (Opcode::Lock, Args::KeyRest { key, rest }) => self.cmd_lock(key, rest, now, out),
            (Opcode::Mset, Args::KeyRest { key, rest }) => self.cmd_mset(key, rest, now, out),
            (Opcode::Mttl, Args::KeyRest { key, rest }) => {
                counted_with_number(out, rest, |ttl| self.mttl(key, ttl, now))
            }
            (Opcode::Mlock, Args::KeyRest { key, rest }) => {
                counted_with_number(out, rest, |secs| self.mlock(key, secs, now))
            }
            (Opcode::Meta, Args::KeyRest { key, rest }) => self.cmd_meta(key, rest, now, out),
            // split_args gives each opcode its shape; nothing else reaches here.
            _ => status(out, ReplyCode::Err),
        }
    }

    fn cmd_set(
        &mut self,
        ttl: &[u8],
        key: &[u8],
        value: Option<&[u8]>,
        now: i64,
        out: &mut BytesMut,
    ) -> Flow {
        if ttl.is_empty() || key.is_empty() || value == Some(b"") {
            return status(out, ReplyCode::Err);
        }
        let Some(ttl) = parse_int(ttl) else {
            return status(out, ReplyCode::Nan);
        };
        if let Some(id) = self.tree.find_node(key) {
            if self.tree.item(id).is_some_and(|it| it.locked(now)) {
                return status(out, ReplyCode::Locked);
            }
        }
        // Undefined on the real server (it stores ~2 MiB of its own heap).
        let Some(value) = value else {
            return status(out, ReplyCode::Err);
        };
        let id = self.store(key, value, now);
        if ttl > 0 {
            let ttl = self.stored_ttl(ttl);
            if let Some(item) = self.tree.item_mut(id) {
                item.ttl = ttl;
            }
        }
        encode_value(out, &Value::Bytes(Bytes::copy_from_slice(value)));
        Flow::Continue
    }

    fn cmd_get(&mut self, key: &[u8], now: i64, out: &mut BytesMut) -> Flow {
        let Some(item) = self.live(key, now).and_then(|id| self.tree.item_mut(id)) else {
            return status(out, ReplyCode::NotFound);
        };
        item.access = now;
        encode_value(out, &item.value());
        Flow::Continue
    }

    fn cmd_del(&mut self, key: &[u8], now: i64, out: &mut BytesMut) -> Flow {
        let Some(id) = self.tree.find_node(key) else {
            return status(out, ReplyCode::NotFound);
        };
        let Some(item) = self.tree.item(id) else {
            return status(out, ReplyCode::NotFound);
        };
        if item.locked(now) {
            return status(out, ReplyCode::Locked);
        }
        let expired = item.expired(now);
        self.remove(id, key.len());
        status(
            out,
            if expired {
                ReplyCode::NotFound
            } else {
                ReplyCode::Ok
            },
        )
    }

    /// INC and DEC: only an absent key is created (as 1, for DEC too); an
    /// expired one is removed and answers NOT_FOUND.
    fn cmd_incdec(&mut self, key: &[u8], delta: i64, now: i64, out: &mut BytesMut) -> Flow {
        let absent = self
            .tree
            .find_node(key)
            .and_then(|id| self.tree.item(id))
            .is_none();
        if absent {
            let id = self.tree.insert_node(key);
            self.put(id, key.len(), Item::new(Data::Number(1), now), now);
            return number(out, 1);
        }
        let Some(id) = self.live(key, now) else {
            return status(out, ReplyCode::NotFound);
        };
        let Some(item) = self.tree.item_mut(id) else {
            return status(out, ReplyCode::NotFound);
        };
        if item.locked(now) {
            return status(out, ReplyCode::Locked);
        }
        item.access = now;
        let Some(n) = item.as_number() else {
            return status(out, ReplyCode::Nan);
        };
        let n = n.wrapping_add(delta);
        self.set_number(id, key.len(), n, now);
        number(out, n)
    }

    /// Turns an item into the number `n` (INC, DEC, MINC, MDEC).
    fn set_number(&mut self, id: NodeId, key_len: usize, n: i64, now: i64) {
        let Some(item) = self.tree.item_mut(id) else {
            return;
        };
        let before = Self::item_cost(key_len, item);
        item.data = Data::Number(n);
        item.access = now;
        let after = Self::item_cost(key_len, item);
        self.stats.mem_used = (self.stats.mem_used + after).saturating_sub(before);
    }

    fn cmd_ttl(&mut self, key: &[u8], rest: Option<&[u8]>, now: i64, out: &mut BytesMut) -> Flow {
        let Some(id) = self.live(key, now) else {
            return status(out, ReplyCode::NotFound);
        };
        let Some(ttl) = rest.and_then(parse_int) else {
            return status(out, ReplyCode::Nan);
        };
        let ttl = self.stored_ttl(ttl);
        if let Some(item) = self.tree.item_mut(id) {
            item.time = now;
            item.access = now;
            item.ttl = ttl;
        }
        status(out, ReplyCode::Ok)
    }

    fn cmd_lock(&mut self, key: &[u8], rest: Option<&[u8]>, now: i64, out: &mut BytesMut) -> Flow {
        let Some(id) = self.live(key, now) else {
            return status(out, ReplyCode::NotFound);
        };
        let Some(secs) = rest.and_then(parse_int) else {
            return status(out, ReplyCode::Nan);
        };
        let Some(item) = self.tree.item_mut(id) else {
            return status(out, ReplyCode::NotFound);
        };
        item.access = now;
        if item.locked(now) {
            return status(out, ReplyCode::Locked);
        }
        item.time = now;
        item.lock = secs;
        status(out, ReplyCode::Ok)
    }

    fn cmd_unlock(&mut self, key: &[u8], now: i64, out: &mut BytesMut) -> Flow {
        match self.live(key, now).and_then(|id| self.tree.item_mut(id)) {
            Some(item) => {
                item.lock = 0;
                item.access = now;
                status(out, ReplyCode::Ok)
            }
            None => status(out, ReplyCode::NotFound),
        }
    }

    /// Number of trie nodes (tests and fuzzing check memory stays bounded).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn node_count(&self) -> usize {
        self.tree.node_count()
    }
}
