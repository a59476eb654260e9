//! The blocking connection: one request at a time, plus explicit pipelines.

use std::io::{self, Read, Write};
use std::time::Instant;

use gibson_observe::{Attempt, Op, Server};
use gibson_policy::Config;
use gibson_proto::{
    is_short_reply, BatchRepeats, Command, Error, Opcode, Pipeline, PipelineResults, Reply, Session,
};

use crate::transport;
use timed::TimedStream;

mod run_all;
mod timed;

/// Buffers above this are released after a request.
const KEEP_BUFFER: usize = 256 * 1024;
/// Bytes read per `read` call at most.
const READ_CHUNK: usize = 64 * 1024;

/// A socket error as the caller sees it: a read or write that waited out
/// its timeout is a response [`Error::Timeout`].
fn io_error(e: io::Error, timeout: std::time::Duration) -> Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout {
            what: "response",
            after: timeout,
        },
        _ => e.into(),
    }
}

/// A blocking connection: one request at a time, with timeouts on every
/// read and write, and a reconnect on the next call after a failure.
///
/// A timeout or error in the middle of a request closes the socket, so the
/// connection is never reused out of step: the next call opens a new one.
///
/// Every Gibson command is a method of the trait
/// [`Commands`](gibson_proto::Commands), which it
/// implements (see *Trait Implementations* below): `use
/// gibson_blocking::Commands` to call `conn.get(…)`.
///
/// ```no_run
/// use gibson_blocking::{Commands, Connection, Ttl};
///
/// let mut conn = Connection::connect("gibson://127.0.0.1:10128")?;
/// conn.set("greeting", "hello", Ttl::Seconds(60))?;
/// assert_eq!(conn.get::<String>("greeting")?.as_deref(), Some("hello"));
/// # Ok::<(), gibson_blocking::Error>(())
/// ```
#[derive(Debug)]
pub struct Connection {
    config: Config,
    stream: Option<TimedStream>,
    session: Session<()>,
    /// Read buffer, allocated on first use.
    scratch: Vec<u8>,
    /// A reply arrived on this socket: the peer speaks Gibson.
    answered: bool,
    connects: u64,
    /// The server as spans and metrics name it.
    server: Server,
}

impl Connection {
    /// Connects to `url` (see [`Config`]: `gibson://host:port`,
    /// `gibson+unix:///path`, or a bare `host:port` / path).
    ///
    /// ```no_run
    /// # use gibson_blocking::Commands;
    /// let mut conn = gibson_blocking::Connection::connect("gibson+unix:///var/run/gibson.sock")?;
    /// conn.ping()?;
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn connect(url: &str) -> Result<Connection, Error> {
        Connection::with_config(url.parse()?)
    }

    /// Connects with a full configuration.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let config = gibson_blocking::Config::new("127.0.0.1:10128".parse()?)
    ///     .response_timeout(Duration::from_millis(200));
    /// let mut conn = gibson_blocking::Connection::with_config(config)?;
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn with_config(config: Config) -> Result<Connection, Error> {
        let mut conn = Connection::lazy(config)?;
        conn.ensure_connected()?;
        Ok(conn)
    }

    /// A connection that connects on first use.
    ///
    /// ```no_run
    /// # use gibson_blocking::Commands;
    /// let mut conn = gibson_blocking::Connection::lazy("gibson://127.0.0.1:10128".parse()?)?;
    /// assert!(!conn.is_connected());
    /// conn.ping()?; // connects now
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn lazy(config: Config) -> Result<Connection, Error> {
        config.validate()?;
        Ok(Connection {
            session: Session::new(config.limits),
            server: Server::new(&config.addr),
            config,
            stream: None,
            scratch: Vec::new(),
            answered: false,
            connects: 0,
        })
    }

    /// The configuration.
    ///
    /// ```no_run
    /// # let conn = gibson_blocking::Connection::lazy("127.0.0.1:10128".parse()?)?;
    /// println!("talking to {}", conn.config().addr);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `true` while a socket is open (it may still turn out broken).
    ///
    /// ```no_run
    /// # let conn = gibson_blocking::Connection::lazy("127.0.0.1:10128".parse()?)?;
    /// if !conn.is_connected() {
    ///     eprintln!("the next call connects");
    /// }
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn is_connected(&self) -> bool {
        self.stream.is_some()
    }

    /// How many times a socket was opened.
    ///
    /// ```no_run
    /// # let conn = gibson_blocking::Connection::lazy("127.0.0.1:10128".parse()?)?;
    /// println!("reconnected {} times", conn.connects().saturating_sub(1));
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn connects(&self) -> u64 {
        self.connects
    }

    /// Closes the socket; the next call reconnects.
    ///
    /// ```no_run
    /// # use gibson_blocking::Commands;
    /// # let mut conn = gibson_blocking::Connection::connect("127.0.0.1:10128")?;
    /// conn.disconnect();
    /// conn.ping()?; // reconnects
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn disconnect(&mut self) {
        self.stream = None;
        self.session = Session::new(self.config.limits);
    }

    /// Connects now unless a socket is open, with the configured attempts
    /// and backoff.
    pub(crate) fn ensure_connected(&mut self) -> Result<(), Error> {
        if self.stream.is_some() {
            return Ok(());
        }
        let mut last = None;
        for attempt in 0..self.config.connect_attempts {
            std::thread::sleep(self.config.backoff_jittered(attempt, fastrand::u64(..)));
            let observed = Attempt::start(&self.server, attempt + 1, self.connects > 0);
            // Timeouts are set per exchange, from the response deadline.
            let stream = observed.in_span(|| {
                transport::connect(&self.config.addr, self.config.connect_timeout, None)
            });
            observed.finish(&self.server, &stream);
            match stream {
                Ok(stream) => {
                    self.stream = Some(TimedStream::new(stream));
                    self.session = Session::new(self.config.limits);
                    self.connects += 1;
                    self.answered = false;
                    return Ok(());
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(Error::ConnectionClosed { in_reply: false }))
    }

    /// Runs any [`Command`]; every command method is a call to this.
    ///
    /// ```no_run
    /// # let mut conn = gibson_blocking::Connection::connect("127.0.0.1:10128")?;
    /// use gibson_blocking::cmd;
    /// let n: u64 = conn.execute(cmd::Count::new("user:"))?;
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error> {
        // Validate before touching the socket.
        let mut frame = bytes::BytesMut::new();
        cmd.encode(&mut frame, &self.config.limits)?;
        let reply = self.execute_frame(&frame, C::OPCODE);
        cmd.decode_reply(reply.map_err(|e| e.of_prefix_read(C::OPCODE))?)
    }

    /// Sends one request frame already encoded (opcode `op`) and returns
    /// its reply undecoded, with [`execute`](Connection::execute)'s resend
    /// rules: a short KVAL is asked for again, a request never sent (or
    /// one the retry policy allows) is resent on a new connection. What
    /// the sharded client runs on each server.
    pub(crate) fn execute_frame(&mut self, frame: &[u8], op: Opcode) -> Result<Reply, Error> {
        let observed = Op::command(&self.server, op);
        let reply = observed.in_span(|| self.frame_reply(frame, op));
        observed.finish(&self.server, &reply);
        reply
    }

    /// [`execute_frame`](Connection::execute_frame), unobserved.
    fn frame_reply(&mut self, frame: &[u8], op: Opcode) -> Result<Reply, Error> {
        let mut attempts = 1;
        loop {
            let reply = self.round_trip_one(frame, op);
            if !is_short_reply(&reply, attempts) {
                return reply;
            }
            attempts += 1;
        }
    }

    /// [`round_trip`](Connection::round_trip) of one command.
    fn round_trip_one(&mut self, frame: &[u8], op: Opcode) -> Result<Reply, Error> {
        self.round_trip(frame, &[op], true)?
            .pop()
            .unwrap_or(Err(Error::ConnectionClosed { in_reply: false }))
    }

    /// Writes `frames` and reads one reply per opcode. A request that was
    /// never sent is resent on a new connection; a single command (not a
    /// pipeline) is also resent once if the retry policy allows. After a
    /// failure mid-way, the replies that arrived are kept and each of the
    /// rest gets the error as [`Error::Broken`] (written whole: it may have
    /// executed) or [`Error::NotSent`].
    fn round_trip(
        &mut self,
        frames: &[u8],
        ops: &[Opcode],
        single: bool,
    ) -> Result<Vec<Result<Reply, Error>>, Error> {
        let mut retried = false;
        loop {
            self.ensure_connected()?;
            let mut replies = Vec::with_capacity(ops.len());
            let (err, failed_sent) = match self.exchange(frames, ops, &mut replies) {
                Ok(()) => return Ok(replies),
                // Bytes that are no reply before any reply: not Gibson.
                Err((Error::Protocol(e), sent)) if !self.answered => {
                    let cause = Error::Protocol(e).into();
                    let server = self.config.addr.to_string();
                    (Error::NotGibson { server, cause }, sent)
                }
                Err(failed) => failed,
            };
            let written = self.written_whole(&err, failed_sent);
            // Poisoned: never reuse a socket that may be out of step.
            self.disconnect();
            let any_written = written.iter().any(|&w| w);
            let may_retry =
                !any_written || (single && self.config.retry.allows_resend(ops[0], &err));
            if may_retry && !retried && replies.is_empty() {
                retried = true;
                continue;
            }
            let outcome = |written: bool| match &err {
                // The deadline passed: it says itself that the request
                // may have run.
                Error::Timeout { .. } if written => err.clone(),
                _ if written => Error::Broken {
                    cause: err.clone().into(),
                },
                _ => Error::NotSent {
                    cause: err.clone().into(),
                },
            };
            if replies.is_empty() && ops.len() == 1 {
                return Err(outcome(any_written));
            }
            let mut rest = written.into_iter();
            replies.resize_with(ops.len(), || Err(outcome(rest.next().unwrap_or(true))));
            return Ok(replies);
        }
    }

    /// After a failed exchange: for each request still waiting, whether
    /// it was written whole (so that it may have run), starting with
    /// `failed_sent`, the request whose reply failed the session, if one
    /// did (it has left the session's queue). The session is failed with
    /// `err`.
    fn written_whole(&mut self, err: &Error, failed_sent: Option<bool>) -> Vec<bool> {
        self.session.fail(err.clone());
        let rest: Vec<bool> = std::iter::from_fn(|| self.session.poll_reply())
            .map(|done| done.sent)
            .collect();
        failed_sent.into_iter().chain(rest).collect()
    }

    /// Writes `frames` (within the session's write window, so that writes
    /// end on request boundaries and are taken whole) and reads one reply
    /// per opcode. A failure comes with whether the request whose reply
    /// failed the session was written whole, when a reply did.
    fn exchange(
        &mut self,
        frames: &[u8],
        ops: &[Opcode],
        replies: &mut Vec<Result<Reply, Error>>,
    ) -> Result<(), (Error, Option<bool>)> {
        let deadline = Instant::now() + self.config.response_timeout;
        let timeout = self.config.response_timeout;
        let Some(stream) = self.stream.as_mut() else {
            return Err((Error::ConnectionClosed { in_reply: false }, None));
        };
        let timed_out = |e: io::Error| io_error(e, timeout);
        self.session.output_mut().extend_from_slice(frames);
        for &op in ops {
            self.session.push(op, ());
        }
        while replies.len() < ops.len() {
            if let Some(done) = self.session.poll_reply() {
                match done.result {
                    Ok(reply) => {
                        self.answered = true;
                        replies.push(Ok(reply))
                    }
                    // The session failed (protocol error): the stream is
                    // unusable; report it for this and the remaining ones.
                    Err(e) => return Err((e, Some(done.sent))),
                }
                continue;
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                let timeout = Error::Timeout {
                    what: "response",
                    after: timeout,
                };
                return Err((timeout, None));
            }
            if let Err(e) = stream.bound(remaining, timeout) {
                return Err((e.into(), None));
            }
            let writable = self.session.writable();
            if !writable.is_empty() {
                match stream.write(writable) {
                    Ok(0) => return Err((Error::ConnectionClosed { in_reply: false }, None)),
                    Ok(n) => self.session.consume_output(n),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err((timed_out(e), None)),
                }
                continue;
            }
            // Read into a buffer allocated once per connection and feed
            // only what arrived: no zero-filling of a large buffer per read.
            if self.scratch.is_empty() {
                self.scratch = vec![0; READ_CHUNK];
            }
            match stream.read(&mut self.scratch) {
                Ok(0) => {
                    let in_reply = !self.session.read_buf().is_empty();
                    return Err((Error::ConnectionClosed { in_reply }, None));
                }
                Ok(n) => self.session.feed(&self.scratch[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err((timed_out(e), None)),
            }
        }
        self.session.shrink_buffers(KEEP_BUFFER);
        Ok(())
    }

    /// A new, empty pipeline using this connection's limits.
    ///
    /// ```no_run
    /// # let mut conn = gibson_blocking::Connection::connect("127.0.0.1:10128")?;
    /// use gibson_blocking::Ttl;
    /// let mut p = conn.pipeline();
    /// let set = p.set("a", "1", Ttl::Never);
    /// let inc = p.inc("a");
    /// let mut results = conn.run(p)?;
    /// results.take(set)?;
    /// assert_eq!(results.take(inc)?, 2);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn pipeline(&self) -> Pipeline {
        Pipeline::new(self.config.limits)
    }

    /// Sends every command of `pipeline` in one write and reads one result
    /// per command, in order. A pipeline is not resent after a broken
    /// connection once any byte of it was written.
    ///
    /// ```no_run
    /// # let mut conn = gibson_blocking::Connection::connect("127.0.0.1:10128")?;
    /// let mut p = conn.pipeline();
    /// let a = p.get::<String>("a");
    /// let n = p.count("user:");
    /// let mut results = conn.run(p)?;
    /// println!("{:?} {}", results.take(a)?, results.take(n)?);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn run(&mut self, mut pipeline: Pipeline) -> Result<PipelineResults, Error> {
        let ops = pipeline.opcodes().to_vec();
        if ops.is_empty() {
            return Ok(pipeline.finish(Vec::new()));
        }
        let frames = pipeline.take_frames();
        let replies = self.run_frames(&frames, &ops)?;
        Ok(pipeline.finish(replies))
    }

    /// Sends a batch of request frames already encoded (one per opcode of
    /// `ops`) in one write and reads one reply per opcode, undecoded, with
    /// [`run`](Connection::run)'s rules: short KVALs are asked for again
    /// one by one, and the batch is not resent once any byte was written.
    /// The sharded client runs each server's part of a pipeline with it.
    pub(crate) fn run_frames(
        &mut self,
        frames: &bytes::Bytes,
        ops: &[Opcode],
    ) -> Result<Vec<Result<Reply, Error>>, Error> {
        if ops.is_empty() {
            return Ok(Vec::new());
        }
        let observed = Op::batch(&self.server, ops);
        let replies = observed.in_span(|| self.batch_replies(frames, ops));
        observed.finish_batch(&self.server, &replies);
        replies
    }

    /// [`run_frames`](Connection::run_frames) of a batch, unobserved.
    fn batch_replies(
        &mut self,
        frames: &bytes::Bytes,
        ops: &[Opcode],
    ) -> Result<Vec<Result<Reply, Error>>, Error> {
        let mut replies = self.round_trip(frames, ops, false)?;
        let mut repeats = BatchRepeats::default();
        while let Some(again) = repeats.next(frames, &replies) {
            for (i, frame) in again {
                replies[i] = self.round_trip_one(&frame, ops[i]);
            }
        }
        Ok(replies)
    }

    crate::prefix_methods::prefix_methods!("Connection", |this| vec![this.config.clone()]);
}
