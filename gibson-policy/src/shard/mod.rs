//! Several Gibson servers as one cache, the pure part: where each request
//! goes, how the replies of a command sent to every server are merged, and
//! how a pipeline is split by server and put back in order.
//!
//! * [`HashRing::route`](crate::HashRing::route) encodes a command once and
//!   says where it goes: [`Route::Server`] for a keyed command (GET, SET,
//!   …: the server of its key on the [`HashRing`](crate::HashRing)),
//!   [`Route::Every`] for the prefix commands (MGET, COUNT, KEYS, the
//!   M* writes) and STATS, PING and END;
//! * [`FanOut::merge`] makes one reply of the servers' replies, as one
//!   server holding all the data would have answered (the rule, including
//!   which error wins, is in [`FanOut`]'s module docs); the result is a
//!   [`Partial`], which tells the servers that could not answer, and
//!   [`OnMissing`] chooses between failing and the partial result;
//! * [`stats_per_server`] keeps STATS apart, server by server;
//! * [`ShardConfig`] lists the servers and the failure rules, and
//!   [`Router`] applies them: which server a key goes to while some are
//!   marked dead, which servers may be contacted, and what each outcome
//!   says of a server's health;
//! * [`Router::plan`] adds copies of keys (`replicas`): a write to every
//!   live copy ([`first_answer`] is its reply), a read to the first live
//!   one, prefix reads keeping each key once;
//! * [`ShardConfig::with_servers`] (and `adding`, `removing`) give the
//!   configuration of a server list that changed while the clients run,
//!   [`Change`] says what changed, [`Router::carry_health`] keeps what was
//!   known of the servers that stay, and [`Discovery`] makes the list of
//!   the addresses that names resolve to;
//! * [`Router::reroute`] sends the requests of a dead server that were
//!   never written to the live servers (with `remove_failed`);
//! * [`HashRing::split`](crate::HashRing::split) cuts a
//!   [`Pipeline`](gibson_proto::Pipeline) into one [`ServerBatch`] per server and
//!   [`SplitPipeline::finish`] puts the replies back in order.
//!
//! No I/O, no clock, no lock: the sharded clients of the runtime crates
//! send the frames and decide when a server is dead.
//!
//! ```
//! use gibson_policy::shard::{OnMissing, Route};
//! use gibson_policy::HashRing;
//! use gibson_proto::{cmd, Command, Limits, Reply, Value};
//!
//! let ring = HashRing::new(["10.0.0.1:10128", "10.0.0.2:10128", "10.0.0.3:10128"]);
//! let routed = ring.route(&cmd::Count::new("user:"), &Limits::default()).unwrap();
//! let Route::Every(fan_out) = routed.route else { unreachable!() };
//! // … send routed.frame to every server, collect one outcome each …
//! let replies = (1..=3).map(|n| Ok(Reply::Value(Value::Int(n)))).collect();
//! let count = fan_out
//!     .merge(replies)
//!     .and_then(<cmd::Count<&str>>::decode)
//!     .resolve(OnMissing::Fail)
//!     .unwrap();
//! assert_eq!(count, 6);
//! ```

mod config;
#[cfg(feature = "serde")]
mod config_serde;
mod discovery;
mod merge;
mod outcome;
mod pairs;
pub(crate) use pairs::build_pairs;
mod partial;
mod replicas;
mod reroute;
mod route;
mod router;
mod server_list;
mod split;
mod stats;

pub use config::ShardConfig;
pub use discovery::{Discovery, Resolver};
pub use merge::FanOut;
pub use partial::{OnMissing, Partial};
pub use replicas::{first_answer, CopyRead, Plan};
pub use reroute::Reroute;
pub use route::{Route, Routed};
pub use router::{counts_as_failure, never_sent, Router};
pub use server_list::Change;
pub use split::{ServerBatch, SplitPipeline};
pub use stats::{stats_per_server, HedgeCounter, HedgeStats};
