//! The near cache of the [Gibson](https://github.com/evilsocket/gibson)
//! clients: hot values kept in the application's own memory, in front of a
//! connection, a pool or a sharded client, with a stated bound on how
//! stale a value it serves may be.
//!
//! Users name it through their runtime crate (`gibson_tokio::NearCache`,
//! `gibson_async_std::NearCache`, `gibson_blocking::NearCache`, feature
//! `near`): [`NearCache`] in front of any client that implements
//! [`AsyncCommands`](gibson_proto::AsyncCommands) or
//! [`Commands`](gibson_proto::Commands), configured by [`NearConfig`],
//! counted in [`NearStats`]. Its rules are [`Near`], which does no I/O:
//! a client of your own can drive it.
//!
//! # What it promises
//!
//! Gibson cannot tell a client that a key changed, but it can run a
//! command over a prefix, so coherence is kept per prefix:
//!
//! * Only keys under the prefixes it is told to cache are held, at most
//!   `max_entries` values and `max_bytes` bytes (least useful first out).
//! * Each cached prefix `p` has a version key on the server,
//!   `~near:` followed by `p`. Every write through a near cache (SET, TTL,
//!   DEL, INC, DEC of a key under `p`; MSET, MTTL, MDEL, MINC, MDEC of a
//!   prefix that overlaps `p`; the same commands in a pipeline) is sent as
//!   it is; once the server has answered, the near cache sets each touched
//!   version key to a new random token, then drops its own copies of the
//!   touched prefixes. The write returns after both.
//! * A reader reads a prefix's version key at most once per
//!   `max_staleness` (one GET per prefix per interval, not per read), and
//!   drops its copies of the prefix when the version changed.
//! * **The guarantee:** a read that starts `max_staleness` or more after a
//!   write through any near cache has returned sees that write or a later
//!   one. A read that starts sooner may get the value the write replaced;
//!   while a writer's bump is in flight (the write is done, its version key
//!   not yet set), readers elsewhere may serve the old value, and the
//!   `max_staleness` clock starts when the write returns.
//! * A value is never served past its own TTL: a read that keeps a value
//!   also reads its time left (META `left`, in the same round trip) and
//!   stops serving it one second early, the server's clock resolution.
//! * Writes through the near cache's own process are seen at once by its
//!   later reads.
//! * What it cannot see: writes by a client that is not a near cache with
//!   the same prefixes, unless that client bumps the version key itself
//!   (`SET ~near:<prefix> <anything new>`); and reads of absent keys,
//!   which always go to the server.
//! * When a version check fails (the server holding the version key is
//!   down), the read goes to the server as it would without a near cache:
//!   a near cache never serves past its bound to hide an outage, and never
//!   fails a read the client alone would answer.
//!
//! ```
//! use std::time::Instant;
//! use gibson_near::{Near, NearConfig, Read};
//!
//! let near = Near::new(NearConfig::new(["user:"])).unwrap();
//! // The first read of a prefix checks its version.
//! let Read::Check(check) = near.read(b"user:1", Instant::now()) else { panic!() };
//! check.done(None); // the version key is absent: no writer yet
//! assert!(matches!(near.read(b"user:1", Instant::now()), Read::Fetch(_)));
//! assert!(matches!(near.read(b"page:1", Instant::now()), Read::Pass));
//! ```
//!
//! # Features
#![doc = document_features::document_features!()]

mod async_client;
mod blocking_client;
mod cache;
mod config;
mod many;
mod near;
mod prefixes;
mod stats;
mod store;

pub use cache::NearCache;
pub use config::{NearConfig, DEFAULT_VERSION_PREFIX};
pub use many::ReadMany;
pub use near::{Bump, Check, Fetch, Fetching, Near, Read, Writes};
pub use stats::NearStats;
pub use store::ENTRY_OVERHEAD;
