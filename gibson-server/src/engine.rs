//! The store and the commands: everything the server does between a decoded
//! request and its encoded reply. No I/O, no clock: time is passed in.

use bytes::{Bytes, BytesMut};
use gibson_proto::server::{
    encode_status, encode_value, parse_int, split_args, wrap_i32, Args, PairsWriter,
};
use gibson_proto::{Opcode, ReplyCode, Value};

use crate::settings::Settings;
use crate::trie::{NodeId, Trie};

/// Bytes counted per item on top of its key and data, for `memory_used`.
const ITEM_OVERHEAD: u64 = 48;
/// `item_pool_object_size` (the C server's `sizeof(gbItem)` on 64 bits).
const ITEM_OBJECT_SIZE: i64 = 40;
/// `item_pool_max_block_size`.
const POOL_MAX_BLOCK: i64 = 1024;

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

#[derive(Debug, Clone)]
enum Data {
    Plain(Bytes),
    Lzf { packed: Bytes, len: usize },
    Number(i64),
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    data: Data,
    /// Creation time, restarted by TTL, MTTL, LOCK, MLOCK: the TTL and the
    /// lock both count from here.
    time: i64,
    access: i64,
    /// Seconds; `<= 0` means no expiry (-1 when never set).
    ttl: i32,
    /// Lock seconds: 0 none, -1 until UNLOCK.
    lock: i32,
}

impl Item {
    fn stored_size(&self) -> usize {
        match &self.data {
            Data::Plain(b) => b.len(),
            Data::Lzf { packed, .. } => packed.len(),
            Data::Number(_) => 8,
        }
    }

    fn encoding(&self) -> i64 {
        match self.data {
            Data::Plain(_) => 0,
            Data::Lzf { .. } => 1,
            Data::Number(_) => 2,
        }
    }

    fn expired(&self, now: i64) -> bool {
        self.ttl > 0 && now - self.time >= i64::from(self.ttl)
    }

    fn locked(&self, now: i64) -> bool {
        self.lock == -1 || now - self.time < i64::from(self.lock)
    }

    /// The value as sent to clients: LZF data is decompressed.
    fn value(&self) -> Value {
        match &self.data {
            Data::Plain(b) => Value::Bytes(b.clone()),
            Data::Number(n) => Value::Int(*n),
            Data::Lzf { packed, len } => match lzf::decompress(packed, *len) {
                Ok(v) => Value::Bytes(Bytes::from(v)),
                // Cannot happen for data we compressed ourselves.
                Err(_) => Value::Bytes(Bytes::new()),
            },
        }
    }

    /// The item as a number for INC/DEC: numbers and plain values that
    /// parse; `None` otherwise (LZF data never parses).
    fn as_number(&self) -> Option<i64> {
        match &self.data {
            Data::Number(n) => Some(*n),
            Data::Plain(b) => parse_int(b),
            Data::Lzf { .. } => None,
        }
    }
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

fn count_or_not_found(out: &mut BytesMut, n: i64) -> Flow {
    if n > 0 {
        number(out, n)
    } else {
        status(out, ReplyCode::NotFound)
    }
}

/// A key as KEYS and MGET report it: cut at its first NUL (keys are C
/// strings on the real server).
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
        self.stats.items += 1;
        if matches!(item.data, Data::Lzf { .. }) {
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
        self.stats.items -= 1;
        if matches!(item.data, Data::Lzf { .. }) {
            self.stats.compressed -= 1;
        }
        self.stats.mem_used = self
            .stats
            .mem_used
            .saturating_sub(Self::item_cost(key_len, item));
    }

    /// Key length of a node, for memory accounting: the depth is not
    /// stored, so the accounting uses the length the caller knows.
    fn remove(&mut self, id: NodeId, key_len: usize) -> Option<Item> {
        let item = self.tree.take_item(id)?;
        self.account_remove(key_len, &item);
        Some(item)
    }

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
        Item {
            data,
            time: now,
            access: now,
            ttl: -1,
            lock: 0,
        }
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

    /// The live matches of a prefix, in trie order; expired ones removed.
    fn live_matches(&mut self, prefix: &[u8], now: i64) -> (usize, Vec<(NodeId, Vec<u8>)>) {
        let all = self.tree.walk(prefix, true);
        let found = all.len();
        let mut live = Vec::with_capacity(all.len());
        for (id, key) in all {
            if self.tree.item(id).is_some_and(|it| it.expired(now)) {
                self.remove(id, key.len());
            } else {
                live.push((id, key));
            }
        }
        (found, live)
    }

    fn over_memory(&self) -> bool {
        self.stats.mem_used > self.settings.max_memory
    }

    fn cap_ttl(&self, ttl: i64) -> i32 {
        wrap_i32(ttl.min(self.settings.max_item_ttl))
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
            (Opcode::Mdel, Args::Key(p)) => self.cmd_mdel(p, now, out),
            (Opcode::Minc, Args::Key(p)) => self.cmd_mincdec(p, 1, now, out),
            (Opcode::Mdec, Args::Key(p)) => self.cmd_mincdec(p, -1, now, out),
            (Opcode::Munlock, Args::Key(p)) => self.cmd_munlock(p, now, out),
            (Opcode::Count, Args::Key(p)) => self.cmd_count(p, now, out),
            (Opcode::Keys, Args::Key(p)) => self.cmd_keys(p, out),
            (Opcode::Mget, Args::KeyRest { key, rest }) => self.cmd_mget(key, rest, now, out),
            // An empty number or value part: the parser refuses it.
            (
                _,
                Args::KeyRest {
                    rest: Some(b""), ..
                },
            ) => status(out, ReplyCode::Err),
            (Opcode::Ttl, Args::KeyRest { key, rest }) => self.cmd_ttl(key, rest, now, out),
            (Opcode::Lock, Args::KeyRest { key, rest }) => self.cmd_lock(key, rest, now, out),
            (Opcode::Mset, Args::KeyRest { key, rest }) => self.cmd_mset(key, rest, now, out),
            (Opcode::Mttl, Args::KeyRest { key, rest }) => self.cmd_mttl(key, rest, now, out),
            (Opcode::Mlock, Args::KeyRest { key, rest }) => self.cmd_mlock(key, rest, now, out),
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
        if self.over_memory() {
            return status(out, ReplyCode::Mem);
        }
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
        // The real server crashes here (it reads a value of size -1).
        let Some(value) = value else {
            return status(out, ReplyCode::Err);
        };
        let mut item = self.make_item(value, now);
        if ttl > 0 {
            item.ttl = self.cap_ttl(ttl);
        }
        let id = self.tree.insert_node(key);
        self.put(id, key.len(), item, now);
        encode_value(out, &Value::Bytes(Bytes::copy_from_slice(value)));
        Flow::Continue
    }

    fn cmd_get(&mut self, key: &[u8], now: i64, out: &mut BytesMut) -> Flow {
        match self.live(key, now) {
            Some(id) => {
                let value = match self.tree.item_mut(id) {
                    Some(item) => {
                        item.access = now;
                        item.value()
                    }
                    None => return status(out, ReplyCode::NotFound),
                };
                encode_value(out, &value);
                Flow::Continue
            }
            None => status(out, ReplyCode::NotFound),
        }
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

    fn cmd_incdec(&mut self, key: &[u8], delta: i64, now: i64, out: &mut BytesMut) -> Flow {
        let Some(id) = self.live(key, now) else {
            let item = Item {
                data: Data::Number(1),
                time: now,
                access: now,
                ttl: -1,
                lock: 0,
            };
            let id = self.tree.insert_node(key);
            self.put(id, key.len(), item, now);
            return number(out, 1);
        };
        let Some(item) = self.tree.item(id) else {
            return status(out, ReplyCode::NotFound);
        };
        if item.locked(now) {
            return status(out, ReplyCode::Locked);
        }
        let Some(n) = item.as_number() else {
            if let Some(item) = self.tree.item_mut(id) {
                item.access = now;
            }
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
        let ttl = self.cap_ttl(ttl);
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
        item.lock = wrap_i32(secs);
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

    fn cmd_mset(
        &mut self,
        prefix: &[u8],
        rest: Option<&[u8]>,
        now: i64,
        out: &mut BytesMut,
    ) -> Flow {
        if self.over_memory() {
            return status(out, ReplyCode::Mem);
        }
        let matches = self.tree.walk(prefix, true);
        if matches.is_empty() {
            return status(out, ReplyCode::NotFound);
        }
        // The real server crashes on a value-less MSET that matches.
        let Some(value) = rest else {
            return status(out, ReplyCode::Err);
        };
        let mut changed = 0;
        for (id, key) in matches {
            let Some(item) = self.tree.item(id) else {
                continue;
            };
            if item.locked(now) {
                continue;
            }
            if item.expired(now) {
                self.remove(id, key.len());
                continue;
            }
            let item = self.make_item(value, now);
            self.put(id, key.len(), item, now);
            changed += 1;
        }
        count_or_not_found(out, changed)
    }

    fn cmd_mttl(
        &mut self,
        prefix: &[u8],
        rest: Option<&[u8]>,
        now: i64,
        out: &mut BytesMut,
    ) -> Flow {
        let Some(ttl) = rest.and_then(parse_int) else {
            return status(out, ReplyCode::Nan);
        };
        let ttl = self.cap_ttl(ttl);
        let (_, live) = self.live_matches(prefix, now);
        let mut changed = 0;
        for (id, _) in live {
            if let Some(item) = self.tree.item_mut(id) {
                item.time = now;
                item.access = now;
                item.ttl = ttl;
                changed += 1;
            }
        }
        count_or_not_found(out, changed)
    }

    fn cmd_mget(
        &mut self,
        prefix: &[u8],
        rest: Option<&[u8]>,
        now: i64,
        out: &mut BytesMut,
    ) -> Flow {
        let limit = match rest {
            None | Some(b"") => 0,
            Some(r) => match parse_int(r) {
                Some(n) => n,
                None => return status(out, ReplyCode::Nan),
            },
        };
        let (_, live) = self.live_matches(prefix, now);
        if live.is_empty() {
            return status(out, ReplyCode::NotFound);
        }
        let take = if limit > 0 {
            usize::try_from(limit).unwrap_or(usize::MAX)
        } else {
            usize::MAX
        };
        let mut w = PairsWriter::begin(out);
        for (id, key) in live.into_iter().take(take) {
            let Some(item) = self.tree.item_mut(id) else {
                continue;
            };
            item.access = now;
            let value = item.value();
            w.push(out, c_string(&key), &value);
            if w.len(out) > self.settings.max_response_size {
                w.abort(out);
                return Flow::Kill;
            }
        }
        w.finish(out);
        Flow::Continue
    }

    fn cmd_mdel(&mut self, prefix: &[u8], now: i64, out: &mut BytesMut) -> Flow {
        let matches = self.tree.walk(prefix, true);
        if matches.is_empty() {
            return status(out, ReplyCode::NotFound);
        }
        let mut deleted = 0;
        for (id, key) in matches {
            let Some(item) = self.tree.item(id) else {
                continue;
            };
            if item.locked(now) {
                continue;
            }
            let expired = item.expired(now);
            self.remove(id, key.len());
            if !expired {
                deleted += 1;
            }
        }
        // As the real server: VAL 0 when every match was locked.
        number(out, deleted)
    }

    fn cmd_mincdec(&mut self, prefix: &[u8], delta: i64, now: i64, out: &mut BytesMut) -> Flow {
        let (_, live) = self.live_matches(prefix, now);
        let mut changed = 0;
        for (id, key) in live {
            let Some(item) = self.tree.item(id) else {
                continue;
            };
            if item.locked(now) {
                continue;
            }
            match item.as_number() {
                Some(n) => {
                    self.set_number(id, key.len(), n.wrapping_add(delta), now);
                    changed += 1;
                }
                None => {
                    if let Some(item) = self.tree.item_mut(id) {
                        item.access = now;
                    }
                }
            }
        }
        count_or_not_found(out, changed)
    }

    fn cmd_mlock(
        &mut self,
        prefix: &[u8],
        rest: Option<&[u8]>,
        now: i64,
        out: &mut BytesMut,
    ) -> Flow {
        let Some(secs) = rest.and_then(parse_int) else {
            return status(out, ReplyCode::Nan);
        };
        let (_, live) = self.live_matches(prefix, now);
        let mut locked = 0;
        for (id, _) in live {
            if let Some(item) = self.tree.item_mut(id) {
                if !item.locked(now) {
                    item.time = now;
                    item.access = now;
                    item.lock = wrap_i32(secs);
                    locked += 1;
                }
            }
        }
        count_or_not_found(out, locked)
    }

    fn cmd_munlock(&mut self, prefix: &[u8], now: i64, out: &mut BytesMut) -> Flow {
        let (_, live) = self.live_matches(prefix, now);
        let mut n = 0;
        for (id, _) in live {
            if let Some(item) = self.tree.item_mut(id) {
                item.lock = 0;
                item.access = now;
                n += 1;
            }
        }
        count_or_not_found(out, n)
    }

    fn cmd_count(&mut self, prefix: &[u8], now: i64, out: &mut BytesMut) -> Flow {
        let (_, live) = self.live_matches(prefix, now);
        for (id, _) in &live {
            if let Some(item) = self.tree.item_mut(*id) {
                item.access = now;
            }
        }
        number(out, live.len() as i64)
    }

    fn cmd_keys(&mut self, prefix: &[u8], out: &mut BytesMut) -> Flow {
        // KEYS does not check expiry.
        let matches = self.tree.walk(prefix, true);
        if matches.is_empty() {
            return status(out, ReplyCode::NotFound);
        }
        let mut w = PairsWriter::begin(out);
        for (i, (_, key)) in matches.iter().enumerate() {
            let index = i.to_string();
            w.push(
                out,
                index.as_bytes(),
                &Value::Bytes(Bytes::copy_from_slice(c_string(key))),
            );
            if w.len(out) > self.settings.max_response_size {
                w.abort(out);
                return Flow::Kill;
            }
        }
        w.finish(out);
        Flow::Continue
    }

    fn cmd_meta(&mut self, key: &[u8], rest: Option<&[u8]>, now: i64, out: &mut BytesMut) -> Flow {
        let Some(id) = self.live(key, now) else {
            return status(out, ReplyCode::NotFound);
        };
        let Some(item) = self.tree.item_mut(id) else {
            return status(out, ReplyCode::NotFound);
        };
        let field = rest.and_then(meta_field);
        let value = field.map(|f| match f {
            MetaField::Size => item.stored_size() as i64,
            MetaField::Encoding => item.encoding(),
            MetaField::Access => item.access,
            MetaField::Created => item.time,
            MetaField::Ttl => i64::from(item.ttl),
            MetaField::Left => {
                if item.ttl <= 0 {
                    -1
                } else {
                    i64::from(item.ttl) - (now - item.time)
                }
            }
            MetaField::Lock => i64::from(item.lock),
        });
        item.access = now;
        match value {
            Some(v) => number(out, v),
            None => status(out, ReplyCode::Err),
        }
    }

    fn cmd_stats(&mut self, now: i64, out: &mut BytesMut) -> Flow {
        let s = &self.stats;
        let text = |t: &str| Value::Bytes(Bytes::copy_from_slice(t.as_bytes()));
        let items = s.items;
        let capacity = (items.max(1) as u64).next_power_of_two().max(512) as i64;
        let size_avg = if items > 0 {
            (s.mem_used / items as u64) as i64
        } else {
            0
        };
        let reqs_avg = s.requests as f64 / s.connections as f64;
        let pairs: [(&str, Value); 27] = [
            ("server_version", text("1.2.1")),
            ("server_build_datetime", text(crate::BUILD_DATETIME)),
            ("server_allocator", text("malloc")),
            ("server_arch", text("64")),
            ("server_started", Value::Int(s.started)),
            ("server_time", Value::Int(now)),
            ("first_item_seen", Value::Int(s.first_in)),
            ("last_item_seen", Value::Int(s.last_in)),
            ("total_items", Value::Int(items)),
            ("total_compressed_items", Value::Int(s.compressed)),
            ("total_clients", Value::Int(s.clients)),
            ("total_cron_done", Value::Int(s.cron_done)),
            ("total_connections", Value::Int(s.connections)),
            ("total_requests", Value::Int(s.requests)),
            ("item_pool_current_used", Value::Int(items)),
            ("item_pool_current_capacity", Value::Int(capacity)),
            ("item_pool_total_capacity", Value::Int(capacity)),
            ("item_pool_object_size", Value::Int(ITEM_OBJECT_SIZE)),
            ("item_pool_max_block_size", Value::Int(POOL_MAX_BLOCK)),
            (
                "memory_available",
                Value::Int(self.settings.memory_available as i64),
            ),
            ("memory_usable", Value::Int(self.settings.max_memory as i64)),
            ("memory_used", Value::Int(s.mem_used as i64)),
            ("memory_peak", Value::Int(s.mem_peak as i64)),
            ("memory_fragmentation", text(&format!("{:.6}", 1.0f64))),
            ("item_size_avg", Value::Int(size_avg)),
            ("compr_rate_avg", Value::Int(s.compr_avg as i64)),
            ("reqs_per_client_avg", text(&c_float(reqs_avg))),
        ];
        let mut w = PairsWriter::begin(out);
        for (name, value) in &pairs {
            w.push(out, name.as_bytes(), value);
        }
        w.finish(out);
        Flow::Continue
    }

    /// The periodic sweep: removes expired, unlocked items (the real cron
    /// skips locked ones) and, over `max_memory`, unlocked items idle for
    /// at least `gc_ratio` seconds. Returns how many items went.
    pub(crate) fn sweep(&mut self, now: i64) -> usize {
        self.stats.cron_done += 1;
        let over = self.over_memory();
        let gc = i64::try_from(self.settings.gc_ratio.as_secs()).unwrap_or(i64::MAX);
        let doomed: Vec<NodeId> = self
            .tree
            .all_items()
            .filter(|(_, it)| {
                !it.locked(now) && (it.expired(now) || (over && now - it.access >= gc))
            })
            .map(|(id, _)| id)
            .collect();
        if doomed.is_empty() {
            return 0;
        }
        // Key lengths are needed for the accounting: one walk from the root.
        let lens: std::collections::HashMap<NodeId, usize> = self
            .tree
            .walk(b"", true)
            .into_iter()
            .map(|(id, k)| (id, k.len()))
            .collect();
        for &id in &doomed {
            let len = lens.get(&id).copied().unwrap_or(0);
            self.remove(id, len);
        }
        doomed.len()
    }

    /// Number of trie nodes (tests and fuzzing check memory stays bounded).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn node_count(&self) -> usize {
        self.tree.node_count()
    }
}

/// `%f` of C: six decimals, `nan`/`inf` spelled the C way.
fn c_float(x: f64) -> String {
    if x.is_nan() {
        "-nan".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{x:.6}")
    }
}

#[derive(Debug, Clone, Copy)]
enum MetaField {
    Size,
    Encoding,
    Access,
    Created,
    Ttl,
    Left,
    Lock,
}

/// META's field matching: the field names are tried in order, and a name
/// matches when the first `min(len, name.len())` bytes agree (so `s`,
/// `si` and `sizexx` all read `size`, `l` reads `left`).
fn meta_field(m: &[u8]) -> Option<MetaField> {
    const FIELDS: [(&[u8], MetaField); 7] = [
        (b"size", MetaField::Size),
        (b"encoding", MetaField::Encoding),
        (b"access", MetaField::Access),
        (b"created", MetaField::Created),
        (b"ttl", MetaField::Ttl),
        (b"left", MetaField::Left),
        (b"lock", MetaField::Lock),
    ];
    FIELDS.iter().find_map(|(name, f)| {
        let n = m.len().min(name.len());
        (m[..n] == name[..n]).then_some(*f)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_prefixes() {
        assert!(matches!(meta_field(b"s"), Some(MetaField::Size)));
        assert!(matches!(meta_field(b"sizexx"), Some(MetaField::Size)));
        assert!(matches!(meta_field(b"l"), Some(MetaField::Left)));
        assert!(matches!(meta_field(b"lo"), Some(MetaField::Lock)));
        assert!(matches!(meta_field(b"e"), Some(MetaField::Encoding)));
        assert!(meta_field(b"x").is_none());
        assert!(meta_field(b"sx").is_none());
    }

    #[test]
    fn c_float_format() {
        assert_eq!(c_float(2.5), "2.500000");
        assert_eq!(c_float(f64::INFINITY), "inf");
    }
}
