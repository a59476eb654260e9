//! Streaming many commands through a sliding window of requests in flight.

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use gibson_observe::{failed, Op};
use gibson_proto::{is_short_reply, Command, Error, Reply};

use super::{io_error, Connection, KEEP_BUFFER, READ_CHUNK};

/// A command taken from the caller's iterator and not yet handed back.
struct Entry<C: Command> {
    cmd: C,
    /// Times sent so far.
    attempts: u32,
    /// Its reply, decoded into `C::Output` (by `cmd`, which names its key
    /// in an [`Error::Decode`]) when handed back: after the requests that
    /// replace it are written.
    reply: Option<Result<Reply, Error>>,
}

/// The commands between the caller's iterator and its callback.
struct Flow<C: Command> {
    /// Index of `entries.front()`: how many results were handed back.
    first: usize,
    /// How many of those were failures ([`failed`]).
    failures: usize,
    /// In index order.
    entries: VecDeque<Entry<C>>,
    /// Indices in the order their requests were written: replies come
    /// back in this order.
    sent: VecDeque<usize>,
    /// Indices whose reply came back short, to send again.
    resend: VecDeque<usize>,
}

impl<C: Command> Flow<C> {
    fn new() -> Flow<C> {
        Flow {
            first: 0,
            failures: 0,
            entries: VecDeque::new(),
            sent: VecDeque::new(),
            resend: VecDeque::new(),
        }
    }

    fn entry(&mut self, index: usize) -> &mut Entry<C> {
        &mut self.entries[index - self.first]
    }

    /// Hands back the results at the front, in order.
    fn deliver(&mut self, on_result: &mut impl FnMut(usize, Result<C::Output, Error>)) {
        while let Some(Entry { reply: Some(_), .. }) = self.entries.front() {
            if let Some(Entry {
                cmd,
                reply: Some(reply),
                ..
            }) = self.entries.pop_front()
            {
                self.failures += usize::from(failed(&reply));
                // Decoded knowing the command: a value that does not decode
                // names its key.
                on_result(self.first, reply.and_then(|r| cmd.decode_reply(r)));
                self.first += 1;
            }
        }
    }

    /// Ends every command not handed back yet with `err`.
    fn fail(&mut self, err: &Error, on_result: &mut impl FnMut(usize, Result<C::Output, Error>)) {
        for entry in &mut self.entries {
            entry.reply.get_or_insert_with(|| Err(err.clone()));
        }
        self.deliver(on_result);
    }
}

impl Connection {
    /// Runs every command of `commands`, keeping up to `depth` requests in
    /// flight, and hands each result to `on_result` with its index (0, 1,
    /// 2…, in order) as soon as it and those before it are in. Returns how
    /// many commands ran.
    ///
    /// This is the way to send many commands fast on one connection: the
    /// server always has requests to answer while the replies before them
    /// are decoded, unlike a [`Pipeline`](gibson_proto::Pipeline), which
    /// waits for all its replies before the next one is sent. Memory stays
    /// bounded: a command is taken from the iterator only when there is
    /// room to send it, and the request bytes in flight stay within the
    /// write window ([`Limits::write_window`](gibson_proto::Limits)).
    ///
    /// Each read waits at most the response timeout. An invalid command
    /// gets its error and the others go on. An MGET whose reply comes back
    /// short is sent again, as [`execute`](Connection::execute) does.
    /// When the connection fails (an I/O error, a timeout, the server
    /// closing it, a reply that breaks the protocol), every command taken
    /// and not yet answered gets that error, the socket is closed (the next
    /// call reconnects), nothing is sent again, and the error is returned;
    /// the commands still in the iterator are not taken, so passing
    /// `iter.by_ref()` lets the caller go on from there.
    ///
    /// With the `tracing` or `metrics` feature, the run is one batch
    /// operation, `BATCH SET` here, its size recorded at its end.
    ///
    /// ```no_run
    /// # let mut conn = gibson_blocking::Connection::connect("127.0.0.1:10128")?;
    /// use gibson_blocking::{cmd, Ttl};
    /// // Load 100 000 items, 128 requests in flight.
    /// let sets = (0..100_000).map(|i| cmd::Set::new(format!("item:{i}"), i.to_string(), Ttl::Never));
    /// let mut failed = 0;
    /// conn.run_all(sets, 128, |_, result| failed += result.is_err() as usize)?;
    /// assert_eq!(failed, 0);
    /// # Ok::<(), gibson_blocking::Error>(())
    /// ```
    pub fn run_all<C, I, F>(
        &mut self,
        commands: I,
        depth: usize,
        mut on_result: F,
    ) -> Result<usize, Error>
    where
        C: Command,
        I: IntoIterator<Item = C>,
        F: FnMut(usize, Result<C::Output, Error>),
    {
        let observed = Op::stream(&self.server, C::OPCODE);
        let mut flow = Flow::new();
        let outcome = observed.in_span(|| {
            self.ensure_connected()?;
            let outcome = self.stream_through(
                &mut commands.into_iter(),
                depth.max(1),
                &mut flow,
                &mut on_result,
            );
            if let Err(err) = &outcome {
                // Poisoned: never reuse a socket that may be out of step.
                self.disconnect();
                flow.fail(err, &mut on_result);
            }
            outcome
        });
        observed.finish_stream(&self.server, flow.first, flow.failures, &outcome);
        outcome.map(|()| flow.first)
    }

    /// The loop of [`run_all`](Connection::run_all): fill the window, write,
    /// hand back results, read, match replies, until every command is done.
    fn stream_through<C: Command>(
        &mut self,
        commands: &mut impl Iterator<Item = C>,
        depth: usize,
        flow: &mut Flow<C>,
        on_result: &mut impl FnMut(usize, Result<C::Output, Error>),
    ) -> Result<(), Error> {
        let timeout = self.config.response_timeout;
        let Connection {
            stream,
            session,
            scratch,
            ..
        } = self;
        let Some(stream) = stream.as_mut() else {
            return Err(Error::ConnectionClosed { in_reply: false });
        };
        stream.bound(timeout, timeout)?;
        if scratch.is_empty() {
            *scratch = vec![0; READ_CHUNK];
        }
        let mut exhausted = false;
        loop {
            while flow.sent.len() < depth {
                let index = if let Some(index) = flow.resend.pop_front() {
                    index
                } else if exhausted {
                    break;
                } else if let Some(cmd) = commands.next() {
                    flow.entries.push_back(Entry {
                        cmd,
                        attempts: 0,
                        reply: None,
                    });
                    flow.first + flow.entries.len() - 1
                } else {
                    exhausted = true;
                    break;
                };
                let entry = flow.entry(index);
                match session.send(&entry.cmd, ()) {
                    Ok(_) => {
                        entry.attempts += 1;
                        flow.sent.push_back(index);
                    }
                    Err(e) => entry.reply = Some(Err(e)),
                }
            }
            if flow.sent.is_empty() {
                flow.deliver(on_result);
                session.shrink_buffers(KEEP_BUFFER);
                return Ok(());
            }
            // Write the requests that replace the replies just read before
            // decoding and handing those back: the server is never idle
            // while the caller works.
            let writable = session.writable();
            if !writable.is_empty() {
                match stream.write(writable) {
                    Ok(0) => return Err(Error::ConnectionClosed { in_reply: false }),
                    Ok(n) => session.consume_output(n),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(io_error(e, timeout)),
                }
                continue;
            }
            flow.deliver(on_result);
            match stream.read(scratch) {
                Ok(0) => {
                    let in_reply = !session.read_buf().is_empty();
                    return Err(Error::ConnectionClosed { in_reply });
                }
                Ok(n) => session.feed(&scratch[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e, timeout)),
            }
            while let Some(done) = session.poll_reply() {
                let Some(index) = flow.sent.pop_front() else {
                    return Err(Error::ConnectionClosed { in_reply: true });
                };
                let entry = flow.entry(index);
                if is_short_reply(&done.result, entry.attempts) {
                    flow.resend.push_back(index);
                    continue;
                }
                // An error here failed the session (the stream broke the
                // protocol): it ends this command and every other one.
                entry.reply = Some(Ok(done.result?));
            }
        }
    }
}
