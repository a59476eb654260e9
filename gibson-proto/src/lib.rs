//! Sans-IO wire protocol of the [Gibson](https://github.com/evilsocket/gibson)
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
//! * [`Session`] matches pipelined replies to requests, first in first out,
//!   and [`Pipeline`] batches commands and decodes their replies;
//! * [`AsyncCommands`] and [`Commands`] are what every client implements:
//!   each Gibson command as a method, written once (in `methods.rs`) for
//!   both traits and for [`Pipeline`];
//! * [`Error`] is the one error type of the clients, from an invalid
//!   argument to a server's reply.
//!
//! It holds the wire and nothing else: its only dependencies are `bytes`,
//! `memchr` and `thiserror`, so that `gibson-server` builds on it alone.
//! What a client decides on top of the wire (its configuration and URLs,
//! which failed requests it sends again, the hash ring and the sharded router,
//! namespaces, prefix scans, the stampede guard, value codecs) is the
//! sans-IO policy of the `gibson-policy` crate.
//!
//! ```
//! use gibson_proto::{cmd, MetaField, Reply, Session, Ttl, Value};
//!
//! let mut session = Session::new(Default::default());
//! session.send(&cmd::Set::new("greeting", "hello", Ttl::Seconds(60)), 1).unwrap();
//! session.send(&cmd::Meta::new("greeting", MetaField::Ttl), 2).unwrap();
//! // … write session.output() to the socket, feed what comes back …
//! session.feed(b"\x06\x00\x00\x05\x00\x00\x00hello");
//! let done = session.poll_reply().unwrap();
//! assert_eq!(done.token, 1);
//! assert_eq!(done.result.unwrap(), Reply::Value(Value::from("hello")));
//! ```
//!
//! # Using gibson-proto in your own event loop
//!
//! A [`Session`] is all a connection needs besides its socket: no task, no
//! clock, no callback. One turn of a loop on any readiness API (`mio`,
//! `polling`, `epoll`…) for a non-blocking socket reads what arrived,
//! hands out the finished requests, fails the overdue ones and writes what
//! the session allows. The session has no clock, so timeouts are the
//! loop's: it keeps a deadline per request (replies come back in request
//! order, so the oldest is the next due) and passes in the time.
//!
//! ```
//! use std::collections::VecDeque;
//! use std::io::{ErrorKind, Read, Write};
//! use std::time::{Duration, Instant};
//! use gibson_proto::{Completion, Error, Session};
//!
//! /// One turn for one connection; `deadlines` holds a deadline per request
//! /// sent, oldest first.
//! fn turn<S: Read + Write, T>(
//!     socket: &mut S,
//!     session: &mut Session<T>,
//!     deadlines: &mut VecDeque<Instant>,
//!     now: Instant,
//!     on_reply: &mut impl FnMut(Completion<T>),
//! ) {
//!     let mut chunk = [0u8; 16 * 1024];
//!     loop {
//!         match socket.read(&mut chunk) {
//!             Ok(0) => break session.close(),
//!             Ok(n) => session.feed(&chunk[..n]),
//!             Err(e) if e.kind() == ErrorKind::WouldBlock => break,
//!             Err(e) => break session.fail(e.into()),
//!         }
//!     }
//!     if deadlines.front().is_some_and(|due| now >= *due) {
//!         session.fail(Error::Timeout { what: "response", after: Duration::from_secs(5) });
//!     }
//!     while let Some(done) = session.poll_reply() {
//!         deadlines.pop_front();
//!         on_reply(done);
//!     }
//!     while !session.writable().is_empty() {
//!         match socket.write(session.writable()) {
//!             Ok(n) => session.consume_output(n),
//!             Err(e) if e.kind() == ErrorKind::WouldBlock => break,
//!             Err(e) => {
//!                 session.fail(e.into());
//!                 break;
//!             }
//!         }
//!     }
//! }
//! ```
//!
//! The example `event_loop` (`cargo run -p gibson-server --example
//! event_loop`, beside the server it starts) is the whole program: three
//! connections on one `mio` poll, SETs and GETs pipelined on each and every
//! reply checked.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod args;
mod client_traits;
mod command;
mod convert;
mod decode;
mod encode;
mod error;
mod limits;
mod methods;
mod pipeline;
mod repeat;
mod reply;
mod session;
mod setters;
mod stats;
mod unsupported;
mod window;
mod wire;

pub mod cmd;
pub mod frame;
pub mod server;

pub use args::{IntoTtl, LockTime, MetaField, Ttl};
pub use client_traits::{AsyncCommands, Commands};
pub use command::Command;
pub use convert::{escape, ArgBytes, FromValue, ToArg};
pub use decode::{Decoder, Reader};
pub use encode::{encode_request, Arg};
pub use error::{Error, ProtocolError, ServerError};
pub use frame::requests;
pub use limits::{
    Limits, DEFAULT_MAX_KEY_SIZE, DEFAULT_MAX_REPLY_SIZE, DEFAULT_MAX_REQUEST_SIZE,
    DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_MAX_TTL, DEFAULT_MAX_VALUE_SIZE, DEFAULT_WRITE_WINDOW,
};
pub use pipeline::{Handle, Pipeline, PipelineResults};
pub use repeat::{is_short_reply, short_replies_in_batch, BatchRepeats, SHORT_REPLY_ATTEMPTS};
pub use reply::{Pairs, PairsIter, Reply, Value};
pub use session::{Completion, RequestId, Session};
pub use stats::Stats;
pub use unsupported::unix_sockets_unsupported;
pub use wire::{Encoding, Opcode, ReplyCode, REPLY_HEADER_LEN, REQUEST_HEADER_LEN};

/// Re-exported so the runtime crates and users share one `bytes` version.
pub use bytes;
