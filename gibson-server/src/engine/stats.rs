//! STATS: the 27 counters, in the real server's order.

use bytes::{Bytes, BytesMut};
use gibson_proto::Value;

use super::kval::KvalReply;
use super::{Engine, Flow};
use crate::pool::{MAX_BLOCK_SIZE, OBJECT_SIZE};

/// How many STATS entries come before `item_pool_current_used`: the real
/// server takes one pool slot per entry while it builds the reply, so the
/// pool counters it reports already include these.
const ENTRIES_BEFORE_POOL: usize = 14;
/// Entries in a STATS reply.
const ENTRIES: usize = 27;

impl Engine {
    pub(super) fn cmd_stats(&mut self, now: i64, out: &mut BytesMut) -> Flow {
        // The temporary items the real server builds for this reply.
        self.pool.take(ENTRIES_BEFORE_POOL);
        let pool_used = self.pool.used();
        self.pool.take(1);
        let pool_capacity = self.pool.capacity();
        self.pool.take(1);
        let pool_total = self.pool.total_capacity();
        self.pool.take(ENTRIES - ENTRIES_BEFORE_POOL - 2);
        self.pool.give_back(ENTRIES);

        let s = &self.stats;
        let text = |t: &str| Value::Bytes(Bytes::copy_from_slice(t.as_bytes()));
        let size_avg = if s.items > 0 {
            (s.mem_used / s.items as u64) as i64
        } else {
            0
        };
        let reqs_avg = s.requests as f64 / s.connections as f64;
        let pairs: [(&str, Value); ENTRIES] = [
            ("server_version", text("1.2.1")),
            ("server_build_datetime", text(crate::BUILD_DATETIME)),
            ("server_allocator", text("malloc")),
            ("server_arch", text("64")),
            ("server_started", Value::Int(s.started)),
            ("server_time", Value::Int(now)),
            ("first_item_seen", Value::Int(s.first_in)),
            ("last_item_seen", Value::Int(s.last_in)),
            ("total_items", Value::Int(s.items)),
            ("total_compressed_items", Value::Int(s.compressed)),
            ("total_clients", Value::Int(s.clients)),
            ("total_cron_done", Value::Int(s.cron_done)),
            ("total_connections", Value::Int(s.connections)),
            ("total_requests", Value::Int(s.requests)),
            ("item_pool_current_used", Value::Int(pool_used)),
            ("item_pool_current_capacity", Value::Int(pool_capacity)),
            ("item_pool_total_capacity", Value::Int(pool_total)),
            ("item_pool_object_size", Value::Int(OBJECT_SIZE)),
            (
                "item_pool_max_block_size",
                Value::Int(MAX_BLOCK_SIZE as i64),
            ),
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
        // STATS is far below any sensible max_response_size.
        let mut reply = KvalReply::begin(out, usize::MAX);
        for (name, value) in &pairs {
            reply.push(out, name.as_bytes(), value);
        }
        reply.finish(out);
        Flow::Continue
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_float_format() {
        assert_eq!(c_float(2.5), "2.500000");
        assert_eq!(c_float(f64::INFINITY), "inf");
    }
}
