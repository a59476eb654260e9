//! Sans-IO client policy for the [Gibson](https://github.com/evilsocket/gibson)
//! cache server: what a client decides on top of the wire.
//!
//! `gibson-proto` turns commands into bytes and bytes into replies; this
//! crate holds the decisions a client makes around them, with the same
//! rule: no sockets, no clock reads, no locks, no wakers, no runtime. Each
//! piece is plain data and functions that take the time, the replies or
//! the errors as arguments, so any event loop (the runtime crates
//! `gibson-tokio`, `gibson-async-std` and `gibson-blocking`, or your own)
//! drives it the same way, and its tests need no server.
//!
//! * [`Config`] and its `gibson://` URLs (`"gibson://…".parse()`), with the
//!   [`RetryPolicy`] that says which failed requests are sent again;
//! * [`HashRing`] spreads keys over several servers the way libmemcached
//!   does, and [`shard`] routes, fans out, merges and splits pipelines
//!   over them;
//! * [`namespace`] puts a prefix in front of every key of a command;
//! * [`scan`] reads a prefix a page at a time;
//! * [`compute`] is the stampede guard's protocol (one caller computes a
//!   missing value, the others wait for it);
//! * value codecs: [`Lenient`] reads a value that does not decode as a
//!   miss, and with features, `Json`, `Postcard`, `MsgPack` and
//!   `Compressed`.
//!
//! It is a crate of its own so that the wire stays small: `gibson-server`
//! and anything else that only speaks the protocol build on `gibson-proto`
//! without URL parsing, hashing or serde.
//!
//! ```
//! use gibson_policy::{Config, HashRing};
//!
//! let config: Config = "gibson://127.0.0.1:10128?response_timeout=250ms".parse()?;
//! assert_eq!(config.addr.to_string(), "127.0.0.1:10128");
//! let ring = HashRing::new(["10.0.0.1:10128", "10.0.0.2:10128"]);
//! assert!(ring.index_for(b"user:1").is_some_and(|i| i < 2));
//! # Ok::<(), gibson_proto::Error>(())
//! ```
//!
//! # Features
//!
//! Off by default:
#![doc = document_features::document_features!()]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "zstd")]
mod compressed;
mod config;
#[cfg(feature = "serde")]
mod config_serde;
mod config_url;
mod lenient;
mod ring;

pub mod compute;
pub mod namespace;
pub mod scan;
pub mod shard;
#[cfg(feature = "serde")]
pub mod values;

#[cfg(feature = "zstd")]
pub use compressed::{Compressed, COMPRESSED_MARKER, COMPRESS_FROM, MAX_DECOMPRESSED};
pub use config::{Addr, Config, PoolConfig, RetryPolicy, DEFAULT_PORT};
pub use config_url::parse_duration;
pub use lenient::{Lenient, UNDECODABLE_METRIC};
pub use ring::{md5_words, one_at_a_time, Distribution, HashRing};
#[cfg(feature = "serde")]
pub use values::Codec;
#[cfg(feature = "json")]
pub use values::Json;
#[cfg(feature = "msgpack")]
pub use values::MsgPack;
#[cfg(feature = "postcard")]
pub use values::Postcard;
