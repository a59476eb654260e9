//! The typed result of STATS.

use bytes::Bytes;

use crate::convert::FromValue;
use crate::error::Error;
use crate::reply::{Pairs, Value};

macro_rules! stats_struct {
    ($($(#[$doc:meta])* $field:ident: $ty:ty,)+) => {
        /// The server's statistics, with the 27 fields of Gibson 1.2.1 by name
        /// and every pair as sent in [`Stats::raw`].
        ///
        /// A field the server did not send keeps its default (empty or 0).
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct Stats {
            $($(#[$doc])* pub $field: $ty,)+
            /// Every pair, in the server's order (also those this version
            /// does not know).
            pub raw: Vec<(Bytes, Value)>,
        }

        impl Stats {
            /// The names of the known fields, in the server's order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($field),)+];

            /// Builds the struct from a KVAL reply; a known field whose value
            /// has the wrong type is a conversion error.
            pub fn from_pairs(pairs: Pairs) -> Result<Stats, Error> {
                let mut stats = Stats::default();
                for (name, value) in pairs {
                    match &name[..] {
                        $(n if n == stringify!($field).as_bytes() => {
                            stats.$field = <$ty>::from_value(value.clone())?;
                        })+
                        _ => {}
                    }
                    stats.raw.push((name, value));
                }
                Ok(stats)
            }
        }
    };
}

stats_struct! {
    /// `server_version`, e.g. "1.2.1".
    server_version: String,
    /// `server_build_datetime`.
    server_build_datetime: String,
    /// `server_allocator`.
    server_allocator: String,
    /// `server_arch`, "64" or "32".
    server_arch: String,
    /// `server_started`, unix seconds.
    server_started: i64,
    /// `server_time`, unix seconds.
    server_time: i64,
    /// `first_item_seen`, unix seconds.
    first_item_seen: i64,
    /// `last_item_seen`, unix seconds.
    last_item_seen: i64,
    /// `total_items`.
    total_items: i64,
    /// `total_compressed_items`.
    total_compressed_items: i64,
    /// `total_clients`: clients connected now.
    total_clients: i64,
    /// `total_cron_done`.
    total_cron_done: i64,
    /// `total_connections` since start.
    total_connections: i64,
    /// `total_requests` since start.
    total_requests: i64,
    /// `item_pool_current_used`.
    item_pool_current_used: i64,
    /// `item_pool_current_capacity`.
    item_pool_current_capacity: i64,
    /// `item_pool_total_capacity`.
    item_pool_total_capacity: i64,
    /// `item_pool_object_size`.
    item_pool_object_size: i64,
    /// `item_pool_max_block_size`.
    item_pool_max_block_size: i64,
    /// `memory_available`.
    memory_available: i64,
    /// `memory_usable`.
    memory_usable: i64,
    /// `memory_used`.
    memory_used: i64,
    /// `memory_peak`.
    memory_peak: i64,
    /// `memory_fragmentation` (sent as text, `%f`).
    memory_fragmentation: f64,
    /// `item_size_avg`.
    item_size_avg: i64,
    /// `compr_rate_avg`.
    compr_rate_avg: i64,
    /// `reqs_per_client_avg` (sent as text, `%f`).
    reqs_per_client_avg: f64,
}
