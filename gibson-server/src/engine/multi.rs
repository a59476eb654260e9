//! The multi-key commands. They visit the matches of a prefix in trie
//! order, as the real server's callbacks do (query.c `gbMulti*Callback`):
//! each callback sees the key cut at its first NUL byte, checks lock and
//! expiry in its own order, and counts 1 for an item it affected.

use bytes::BytesMut;
use gibson_proto::server::parse_int;
use gibson_proto::{ReplyCode, Value};

use super::kval::KvalReply;
use super::{c_string, count_or_not_found, number, status, Engine, Flow};
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

    /// Runs `f` on every live match (expired ones are removed and count
    /// 0); `f` says whether it affected the item. Returns the count.
    fn for_live_matches(
        &mut self,
        prefix: &[u8],
        now: i64,
        mut f: impl FnMut(&mut Engine, NodeId, &[u8]) -> bool,
    ) -> i64 {
        let mut n = 0;
        for (id, key) in self.matches(prefix) {
            if self.tree.item(id).is_none() || self.expire_in_callback(id, &key, now) {
                continue;
            }
            if f(self, id, &key) {
                n += 1;
            }
        }
        n
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
        let mut changed = 0;
        for (id, key) in matches {
            let Some(item) = self.tree.item(id) else {
                continue;
            };
            if item.locked(now) || self.expire_in_callback(id, &key, now) {
                continue;
            }
            // The value goes to the cut key, whatever that one's lock.
            self.store(c_string(&key), value, now);
            changed += 1;
        }
        count_or_not_found(out, changed)
    }

    pub(super) fn cmd_mttl(
        &mut self,
        prefix: &[u8],
        rest: Option<&[u8]>,
        now: i64,
        out: &mut BytesMut,
    ) -> Flow {
        let Some(ttl) = rest.and_then(parse_int) else {
            return status(out, ReplyCode::Nan);
        };
        let ttl = self.stored_ttl(ttl);
        let changed = self.for_live_matches(prefix, now, |e, id, _| {
            let Some(item) = e.tree.item_mut(id) else {
                return false;
            };
            item.time = now;
            item.access = now;
            item.ttl = ttl;
            true
        });
        count_or_not_found(out, changed)
    }

    /// MGET: the search collects up to `limit` matches, expired ones
    /// included; the expired ones are then removed. The reply announces
    /// the live count but its entries stop at the first removed slot, as
    /// the real reply writer does.
    pub(super) fn cmd_mget(
        &mut self,
        prefix: &[u8],
        rest: Option<&[u8]>,
        now: i64,
        out: &mut BytesMut,
    ) -> Flow {
        let limit = match rest {
            None => 0,
            Some(r) => match parse_int(r) {
                Some(n) => n,
                None => return status(out, ReplyCode::Nan),
            },
        };
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

    pub(super) fn cmd_mdel(&mut self, prefix: &[u8], now: i64, out: &mut BytesMut) -> Flow {
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
        count_or_not_found(out, deleted)
    }

    /// MINC / MDEC: the lock is checked before expiry; a number or a plain
    /// value that parses changes; an LZF item counts without changing.
    pub(super) fn cmd_mincdec(
        &mut self,
        prefix: &[u8],
        delta: i64,
        now: i64,
        out: &mut BytesMut,
    ) -> Flow {
        let mut changed = 0;
        for (id, key) in self.matches(prefix) {
            let Some(item) = self.tree.item(id) else {
                continue;
            };
            if item.locked(now) || self.expire_in_callback(id, &key, now) {
                continue;
            }
            let Some(item) = self.tree.item_mut(id) else {
                continue;
            };
            item.access = now;
            if item.is_lzf() {
                changed += 1;
                continue;
            }
            if let Some(n) = item.as_number() {
                self.set_number(id, key.len(), n.wrapping_add(delta), now);
                changed += 1;
            }
        }
        count_or_not_found(out, changed)
    }

    pub(super) fn cmd_mlock(
        &mut self,
        prefix: &[u8],
        rest: Option<&[u8]>,
        now: i64,
        out: &mut BytesMut,
    ) -> Flow {
        let Some(secs) = rest.and_then(parse_int) else {
            return status(out, ReplyCode::Nan);
        };
        let locked = self.for_live_matches(prefix, now, |e, id, _| {
            let Some(item) = e.tree.item_mut(id) else {
                return false;
            };
            if item.locked(now) {
                return false;
            }
            item.time = now;
            item.access = now;
            item.lock = secs;
            true
        });
        count_or_not_found(out, locked)
    }

    pub(super) fn cmd_munlock(&mut self, prefix: &[u8], now: i64, out: &mut BytesMut) -> Flow {
        let n = self.for_live_matches(prefix, now, |e, id, _| {
            let Some(item) = e.tree.item_mut(id) else {
                return false;
            };
            item.lock = 0;
            item.access = now;
            true
        });
        count_or_not_found(out, n)
    }

    pub(super) fn cmd_count(&mut self, prefix: &[u8], now: i64, out: &mut BytesMut) -> Flow {
        let n = self.for_live_matches(prefix, now, |e, id, _| {
            let Some(item) = e.tree.item_mut(id) else {
                return false;
            };
            item.access = now;
            true
        });
        number(out, n)
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
