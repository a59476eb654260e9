//! The bookkeeping of Gibson's item pool (obpool.c), which STATS reports as
//! `item_pool_*`. No memory is pooled here: only the counters move the way
//! the real pool's do, so that STATS reads the same numbers.
//!
//! The real pool hands out fixed-size slots from blocks. A freed slot goes
//! onto a free list and is reused first; otherwise the next slot of the
//! current block is taken (`used` counts those and never goes down). When
//! the current block is full, a new block of twice `used` slots (at most
//! `max_block_size`) becomes current and `used` restarts at 0.

/// The size of one slot: the C server's packed item struct on 64 bits.
pub(crate) const OBJECT_SIZE: i64 = 39;
/// Largest block, in slots.
pub(crate) const MAX_BLOCK_SIZE: u64 = 128 * 1024;
/// Slots in the first block.
const INITIAL_CAPACITY: u64 = 512;

/// The pool counters.
#[derive(Debug, Clone)]
pub(crate) struct ItemPool {
    /// Slots taken from the current block (never decremented).
    used: u64,
    /// Slots in the current block.
    capacity: u64,
    /// Slots in every block together.
    total_capacity: u64,
    /// Freed slots waiting for reuse.
    free: u64,
}

impl Default for ItemPool {
    fn default() -> ItemPool {
        ItemPool {
            used: 0,
            capacity: INITIAL_CAPACITY,
            total_capacity: INITIAL_CAPACITY,
            free: 0,
        }
    }
}

impl ItemPool {
    /// One slot taken (an item created).
    pub(crate) fn alloc(&mut self) {
        if self.free > 0 {
            self.free -= 1;
            return;
        }
        if self.used >= self.capacity {
            let capacity = (self.used << 1).min(MAX_BLOCK_SIZE);
            self.capacity = capacity;
            self.total_capacity += capacity;
            self.used = 0;
        }
        self.used += 1;
    }

    /// One slot given back (an item destroyed).
    pub(crate) fn free(&mut self) {
        self.give_back(1);
    }

    /// `n` slots taken and given back again: the temporary items the real
    /// server builds for a KEYS or STATS reply.
    pub(crate) fn borrow(&mut self, n: usize) {
        self.take(n);
        self.give_back(n);
    }

    /// `n` slots taken.
    pub(crate) fn take(&mut self, n: usize) {
        for _ in 0..n {
            self.alloc();
        }
    }

    /// `n` slots given back.
    pub(crate) fn give_back(&mut self, n: usize) {
        self.free += n as u64;
    }

    /// `item_pool_current_used`.
    pub(crate) fn used(&self) -> i64 {
        self.used as i64
    }

    /// `item_pool_current_capacity`.
    pub(crate) fn capacity(&self) -> i64 {
        self.capacity as i64
    }

    /// `item_pool_total_capacity`.
    pub(crate) fn total_capacity(&self) -> i64 {
        self.total_capacity as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_by_doubling_and_reuses_freed_slots() {
        let mut p = ItemPool::default();
        for _ in 0..512 {
            p.alloc();
        }
        assert_eq!(
            (p.used(), p.capacity(), p.total_capacity()),
            (512, 512, 512)
        );
        p.alloc();
        assert_eq!(
            (p.used(), p.capacity(), p.total_capacity()),
            (1, 1024, 1536)
        );
        p.free();
        p.alloc();
        assert_eq!(p.used(), 1);
        p.borrow(3);
        assert_eq!(p.used(), 4);
        p.borrow(3);
        assert_eq!(p.used(), 4);
    }

    #[test]
    fn blocks_stop_growing_at_the_max_block_size() {
        let mut p = ItemPool {
            used: MAX_BLOCK_SIZE,
            capacity: MAX_BLOCK_SIZE,
            total_capacity: 0,
            free: 0,
        };
        p.alloc();
        assert_eq!(p.capacity(), MAX_BLOCK_SIZE as i64);
    }
}
