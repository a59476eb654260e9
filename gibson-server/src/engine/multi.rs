//! The multi-key commands. They visit the matches of a prefix in trie
//! order, as the real server's callbacks do (query.c `gbMulti*Callback`):
//! each callback sees the key cut at its first NUL byte, checks lock and
//! expiry in its own order, and counts 1 for an item it affected. The
//! commands whose reply is only that count return it; `Engine::execute`
//! writes the reply.

use bytes::BytesMut;
use gibson_proto::{ReplyCode, Value};

use super::item::Item;
use super::kval::KvalReply;
use super::{c_string, count_or_not_found, status, Engine, Flow};
use crate::trie::NodeId;

impl Engine {
    /// The matches of a prefix in trie order, with their full keys.
    fn matches(&self, prefix: &[u8]) -> Vec<(NodeId, Vec<u8>)> {
        self.tree.walk(prefix, true)
    }

    /// A callback's expiry check: an expired item is destroyed, and its
    /// removal from the tree goes through the key cut at its first NUL (so
    /// a key `a\0b` also takes `a` out). `true` if the item expired.
    fn expire_in_callback(&mut self, id: NodeId, key: &[u8], now: i64) -> bool {
        if !self.tree.item(id).is_some_and(|it| it.expired(now)) {
            return false;
        }
        self.remove(id, key.len());
        let cut = c_string(key);
        if cut.len() < key.len() {
            if let Some(cut_id) = self.tree.find_node(cut) {
                self.remove(cut_id, cut.len());
            }
        }
        true
    }

    /// Runs `f` on every match that has an item and is not skipped, and
    /// returns how many `f` said it affected. A `locked` item is skipped
    /// when `skip_locked` (checked before expiry, so a locked expired item
    /// stays); an expired item is removed and skipped.
    fn count_matches(
        &mut self,
        matches: Vec<(NodeId, Vec<u8>)>,
        now: i64,
        skip_locked: bool,
        mut f: impl FnMut(&mut Engine, NodeId, &[u8]) -> bool,
    ) -> i64 {
        let mut n = 0;
        for (id, key) in matches {
            let Some(item) = self.tree.item(id) else {
                continue;
            };
            if (skip_locked && item.locked(now)) || self.expire_in_callback(id, &key, now) {
                continue;
            }
            if f(self, id, &key) {
                n += 1;
            }
        }
        n
    }

    /// Runs `f` on the item of every live match of `prefix`, locked ones
    /// included; an item `f` affected counts and is marked accessed.
    fn touch_live_items(
        &mut self,
        prefix: &[u8],
        now: i64,
        mut f: impl FnMut(&mut Item) -> bool,
    ) -> i64 {
        let matches = self.matches(prefix);
        self.count_matches(matches, now, false, |e, id, _| {
            let Some(item) = e.tree.item_mut(id) else {
                return false;
            };
            let affected = f(item);
            if affected {
                item.access = now;
            }
            affected
        })
    }

    pub(super) fn cmd_mset(
        &mut self,
        prefix: &[u8],
        rest: Option<&[u8]>,
        now: i64,
        out: &mut BytesMut,
    ) -> Flow {
        let matches = self.matches(prefix);
        if matches.is_empty() {
            return status(out, ReplyCode::NotFound);
        }
        // Undefined on the real server (it stores ~2 MiB of its own heap).
        let Some(value) = rest else {
            return status(out, ReplyCode::Err);
        };
        let changed = self.count_matches(matches, now, true, |e, _, key| {
            // The value goes to the cut key, whatever that one's lock.
            e.store(c_string(key), value, now);
            true
        });
        count_or_not_found(out, changed)
    }

    /// MTTL: the number of items whose TTL was set.
    pub(super) fn mttl(&mut self, prefix: &[u8], ttl: i64, now: i64) -> i64 {
        let ttl = self.stored_ttl(ttl);
        self.touch_live_items(prefix, now, |item| {
            item.time = now;
            item.ttl = ttl;
            true
        })
    }

    /// MGET: the search collects up to `limit` matches, expired ones
    /// included; the expired ones are then removed. The reply announces
    /// the live count but its entries stop at the first removed slot, as
    /// the real reply writer does. A `limit` of 0 or less takes every match.
    pub(super) fn cmd_mget(
        &mut self,
        prefix: &[u8],
        limit: i64,
        now: i64,
        out: &mut BytesMut,
    ) -> Flow {
        let take = if limit > 0 {
            usize::try_from(limit).unwrap_or(usize::MAX)
        } else {
            usize::MAX
        };
        let mut slots = self.matches(prefix);
        slots.truncate(take);
        let mut live = Vec::with_capacity(slots.len());
        for (id, key) in slots {
            if self.expire_in_callback(id, &key, now) {
                live.push(None);
                continue;
            }
            match self.tree.item_mut(id) {
                Some(item) => {
                    item.access = now;
                    live.push(Some((item.value(), key)));
                }
                None => live.push(None),
            }
        }
        let count = live.iter().filter(|slot| slot.is_some()).count();
        if count == 0 {
            return status(out, ReplyCode::NotFound);
        }
        let mut reply = KvalReply::begin(out, self.settings.max_response_size);
        for (value, key) in live.iter().map_while(|slot| slot.as_ref()) {
            if !reply.push(out, c_string(key), value) {
                return Flow::Kill;
            }
        }
        reply.finish_with_count(out, count as u32);
        Flow::Continue
    }

    /// MDEL: the number of live items deleted (expired ones go too).
    pub(super) fn mdel(&mut self, prefix: &[u8], now: i64) -> i64 {
        let mut deleted = 0;
        for (id, key) in self.matches(prefix) {
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
        deleted
    }

    /// MINC / MDEC: the lock is checked before expiry; a number or a plain
    /// value that parses changes; an LZF item counts without changing.
    pub(super) fn mincdec(&mut self, prefix: &[u8], delta: i64, now: i64) -> i64 {
        let matches = self.matches(prefix);
        self.count_matches(matches, now, true, |e, id, key| {
            let Some(item) = e.tree.item_mut(id) else {
                return false;
            };
            item.access = now;
            if item.is_lzf() {
                return true;
            }
            let Some(n) = item.as_number() else {
                return false;
            };
            e.set_number(id, key.len(), n.wrapping_add(delta), now);
            true
        })
    }

    /// MLOCK: the number of items locked (locked ones are left alone).
    pub(super) fn mlock(&mut self, prefix: &[u8], secs: i64, now: i64) -> i64 {
        self.touch_live_items(prefix, now, |item| {
            if item.locked(now) {
                return false;
            }
            item.time = now;
            item.lock = secs;
            true
        })
    }

    /// MUNLOCK: the number of items unlocked.
    pub(super) fn munlock(&mut self, prefix: &[u8], now: i64) -> i64 {
        self.touch_live_items(prefix, now, |item| {
            item.lock = 0;
            true
        })
    }

    /// COUNT: the number of live matches.
    pub(super) fn count(&mut self, prefix: &[u8], now: i64) -> i64 {
        self.touch_live_items(prefix, now, |_| true)
    }

    /// KEYS does not check expiry. The real server builds a temporary item
    /// per key for the reply, which the item pool counters show.
    pub(super) fn cmd_keys(&mut self, prefix: &[u8], out: &mut BytesMut) -> Flow {
        let matches = self.matches(prefix);
        if matches.is_empty() {
            return status(out, ReplyCode::NotFound);
        }
        self.pool.borrow(matches.len());
        let mut reply = KvalReply::begin(out, self.settings.max_response_size);
        for (i, (_, key)) in matches.iter().enumerate() {
            let name = Value::Bytes(bytes::Bytes::copy_from_slice(c_string(key)));
            if !reply.push(out, i.to_string().as_bytes(), &name) {
                return Flow::Kill;
            }
        }
        reply.finish(out);
        Flow::Continue
    }
}
