//! Sans-IO protocol core for the [Gibson](https://github.com/evilsocket/gibson)
//! cache server.
//!
//! No sockets, no clock reads, no locks, no wakers, no runtime: this crate turns commands into bytes
//! and bytes into typed results. The runtime crates (`gibson-tokio`,
//! `gibson-async-std`, `gibson-blocking`) are thin drivers around its
//! [`Session`], and `gibson-server` is built on its [`server`] codec.
//!
//! * [`encode_request`] and the typed commands in [`cmd`] validate every
//!   argument before writing a byte ([`Limits`]);
//! * [`Decoder`] is a push parser: `Ok(None)` means "need more bytes", and
//!   values are zero-copy [`Bytes`](bytes::Bytes) slices of the frame;
//! * [`Session`] matches pipelined replies to requests, first in first out;
//! * [`HashRing`] spreads keys over several servers the way libmemcached
//!   does, and [`shard`] routes, fans out, merges and splits pipelines
//!   over them.
//!
//! ```
//! use gibson_proto::{cmd, MetaField, Reply, Session, Value};
//!
//! let mut session = Session::new(Default::default());
//! session.send(&cmd::Set::new("greeting", "hello", 60), 1).unwrap();
//! session.send(&cmd::Meta::new("greeting", MetaField::Ttl), 2).unwrap();
//! // … write session.output() to the socket, feed what comes back …
//! session.feed(b"\x06\x00\x00\x05\x00\x00\x00hello");
//! let done = session.poll_reply().unwrap();
//! assert_eq!(done.token, 1);
//! assert_eq!(done.result.unwrap(), Reply::Value(Value::from("hello")));
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod command;
mod commands;
mod config;
mod convert;
mod decode;
mod encode;
mod error;
mod limits;
mod macros;
mod pipeline;
mod repeat;
mod reply;
mod ring;
mod session;
mod setters;
mod stats;
mod unsupported;
mod window;
mod wire;

pub mod cmd;
pub mod compute;
pub mod namespace;
pub mod scan;
pub mod server;
pub mod shard;

pub use command::{Command, LockTime, MetaField, Ttl};
pub use commands::{AsyncCommands, Commands};
pub use config::{parse_duration, Addr, Config, PoolConfig, RetryPolicy, DEFAULT_PORT};
pub use convert::{escape, ArgBytes, FromValue, ToArg};
pub use decode::{Decoder, Reader};
pub use encode::{encode_request, Arg};
pub use error::{Error, ProtocolError, ServerError};
pub use limits::{
    Limits, DEFAULT_MAX_KEY_SIZE, DEFAULT_MAX_REPLY_SIZE, DEFAULT_MAX_REQUEST_SIZE,
    DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_MAX_TTL, DEFAULT_MAX_VALUE_SIZE, DEFAULT_WRITE_WINDOW,
};
pub use pipeline::{Handle, Pipeline, PipelineResults};
pub use repeat::{is_short_reply, short_replies_in_batch, BatchRepeats, SHORT_REPLY_ATTEMPTS};
pub use reply::{Pairs, PairsIter, Reply, Value};
pub use ring::{md5_words, one_at_a_time, Distribution, HashRing};
pub use session::{Completion, RequestId, Session};
pub use stats::Stats;
pub use unsupported::unix_sockets_unsupported;
pub use wire::{Encoding, Opcode, ReplyCode, REPLY_HEADER_LEN, REQUEST_HEADER_LEN};

/// Re-exported so the runtime crates and users share one `bytes` version.
pub use bytes;
