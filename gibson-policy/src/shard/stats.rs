//! STATS of every server, one by one; the hedged reads' counts.

use gibson_proto::{cmd::GetStats, Command, Error, Reply, Stats};

use super::Partial;

/// The statistics of each server that answered a STATS sent to all of
/// them, as `(server, stats)` in the ring's order; `replies` holds one
/// outcome per server of `servers`.
///
/// A server whose outcome is an `Err` is missing (see [`Partial`]); a
/// reply that does not decode as statistics makes the value that error.
///
/// ```
/// use gibson_policy::shard::stats_per_server;
/// use gibson_proto::{Error, Pairs, Reply};
///
/// let empty_kval = || Ok(Reply::Pairs(Pairs::parse(vec![0, 0, 0, 0].into()).unwrap()));
/// let servers = ["a:1".to_string(), "b:2".to_string(), "c:3".to_string()];
/// let replies = vec![empty_kval(), Err(Error::ConnectionClosed { in_reply: false }), empty_kval()];
/// let per = stats_per_server(&servers, replies);
/// assert_eq!(per.missing_servers().collect::<Vec<_>>(), [1]);
/// let stats = per.value.unwrap();
/// assert_eq!(stats.len(), 2);
/// assert_eq!(stats[1].0, "c:3");
/// ```
pub fn stats_per_server(
    servers: &[String],
    replies: Vec<Result<Reply, Error>>,
) -> Partial<Vec<(String, Stats)>> {
    let mut stats = Vec::with_capacity(replies.len());
    let mut missing = Vec::new();
    let mut failure = None;
    for (index, (server, outcome)) in servers.iter().zip(replies).enumerate() {
        match outcome.map(GetStats::decode) {
            Ok(Ok(s)) => stats.push((server.clone(), s)),
            Ok(Err(err)) => {
                failure.get_or_insert(err);
            }
            Err(err) => missing.push((index, err)),
        }
    }
    let value = match (failure, missing.first()) {
        (Some(err), _) => Err(err),
        (None, Some((_, err))) if stats.is_empty() => Err(err.clone()),
        (None, _) => Ok(stats),
    };
    Partial { value, missing }
}

/// How many hedged reads a sharded client sent, and how many of them
/// answered first (see [`ShardConfig::hedge`](super::ShardConfig::hedge)):
/// a snapshot of its counters since it was built.
///
/// ```
/// use gibson_policy::shard::HedgeStats;
/// let stats = HedgeStats { sent: 10, won: 7 };
/// assert_eq!(stats.lost(), 3);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HedgeStats {
    /// Reads also sent to the next copy because the first was slow.
    pub sent: u64,
    /// Of those, the reads the next copy answered first.
    pub won: u64,
}

impl HedgeStats {
    /// The hedges the first copy answered before (or that failed).
    pub fn lost(&self) -> u64 {
        self.sent.saturating_sub(self.won)
    }
}

/// Hedged reads counted as they happen, shared by every clone of a
/// sharded client: [`stats`](HedgeCounter::stats) reads them.
///
/// ```
/// use gibson_policy::shard::{HedgeCounter, HedgeStats};
/// let counter = HedgeCounter::default();
/// counter.sent();
/// counter.sent();
/// counter.won();
/// assert_eq!(counter.stats(), HedgeStats { sent: 2, won: 1 });
/// ```
#[derive(Debug, Default)]
pub struct HedgeCounter {
    sent: std::sync::atomic::AtomicU64,
    won: std::sync::atomic::AtomicU64,
}

impl HedgeCounter {
    /// Counts a hedge sent.
    pub fn sent(&self) {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Counts a hedge that answered first.
    pub fn won(&self) {
        self.won.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The counts so far.
    pub fn stats(&self) -> HedgeStats {
        let load = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
        HedgeStats {
            sent: load(&self.sent),
            won: load(&self.won),
        }
    }
}
