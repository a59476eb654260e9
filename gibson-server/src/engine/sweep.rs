//! The cron jobs: the expiry sweep and the memory collection. Both delete
//! locked items too, as the real cron does (server.c
//! `gbHandleDeadTTLHandler`, `gbMemoryFreeHandler`).

use super::Engine;
use crate::cron::due;
use crate::trie::NodeId;

impl Engine {
    /// One cron tick: runs the jobs due on it and counts it.
    pub(crate) fn cron_tick(&mut self, now: i64) {
        let tick = self.stats.cron_done as u64;
        let period = self.settings.cron_period;
        if due(self.settings.expired_cron, period, tick) {
            self.sweep_expired(now);
        }
        if due(self.settings.max_mem_cron, period, tick) && self.over_memory() {
            self.collect_idle(now);
        }
        self.stats.cron_done += 1;
    }

    /// Deletes every expired item, locked or not. Returns how many.
    pub(crate) fn sweep_expired(&mut self, now: i64) -> usize {
        self.delete_where(|item| item.expired(now))
    }

    /// Deletes every item idle for at least `gc_ratio` seconds (and at
    /// least one), locked or not. Returns how many.
    pub(crate) fn collect_idle(&mut self, now: i64) -> usize {
        let gc = i64::try_from(self.settings.gc_ratio.as_secs()).unwrap_or(i64::MAX);
        self.delete_where(|item| {
            let idle = now - item.access;
            idle != 0 && idle >= gc
        })
    }

    fn delete_where(&mut self, doomed: impl Fn(&super::Item) -> bool) -> usize {
        let ids: Vec<NodeId> = self
            .tree
            .all_items()
            .filter(|(_, it)| doomed(it))
            .map(|(id, _)| id)
            .collect();
        if ids.is_empty() {
            return 0;
        }
        // Key lengths are needed for the accounting: one walk from the root.
        let lens: std::collections::HashMap<NodeId, usize> = self
            .tree
            .walk(b"", true)
            .into_iter()
            .map(|(id, k)| (id, k.len()))
            .collect();
        for &id in &ids {
            let len = lens.get(&id).copied().unwrap_or(0);
            self.remove(id, len);
        }
        ids.len()
    }
}
