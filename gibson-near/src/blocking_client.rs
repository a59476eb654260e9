//! A [`NearCache`] in front of a blocking client is a blocking client.

use std::time::Instant;

use gibson_proto::{
    cmd, Command, Commands, Error, FromValue, Pipeline, PipelineResults, Reply, ToArg, Value,
};

use crate::many::{check_commands, key_bytes, report_checks};
use crate::{Near, NearCache, Read, Writes};

impl<C: Commands> NearCache<C> {
    fn read_blocking<Q: Command>(&mut self, cmd: Q) -> Result<Q::Output, Error> {
        let Some(key) = Near::key_of(&cmd) else {
            return self.client.execute(cmd);
        };
        loop {
            match self.near.read(&key, Instant::now()) {
                Read::Hit(value) => return cmd.decode_reply(Reply::Value(value)),
                Read::Check(check) => {
                    let get = cmd::Get::<_, Value>::new(check.version_key().clone());
                    match self.client.execute(get) {
                        Ok(version) => check.done(version),
                        Err(_) => {
                            // Not past the bound from memory: from the server.
                            check.failed();
                            return self.client.execute(cmd);
                        }
                    }
                }
                Read::Fetch(fetch) => {
                    let mut p = self.client.pipeline();
                    let fetching = self.near.fetch(fetch, key, &mut p);
                    let mut results = self.client.run(p)?;
                    return cmd.decode_reply(self.near.fetched_from(fetching, &mut results)?);
                }
                Read::Bypass | Read::Pass => return self.client.execute(cmd),
            }
        }
    }

    /// After a write that ended with `done`: bumps what it touched if it
    /// may have run, then gives its result.
    fn bump_blocking<T>(&mut self, writes: Writes, done: Result<T, Error>) -> Result<T, Error> {
        let Some(bump) = self.near.bump_after(writes, &done) else {
            return done;
        };
        let sent = Instant::now();
        let sets = self.client.execute_multi(bump.commands());
        self.near.bumped_after(&bump, sent, sets, done)
    }
}

impl<C: Commands> Commands for NearCache<C> {
    fn execute<Q: Command>(&mut self, cmd: Q) -> Result<Q::Output, Error> {
        if Near::is_read(Q::OPCODE) {
            return self.read_blocking(cmd);
        }
        if !Near::is_write(Q::OPCODE) {
            return self.client.execute(cmd);
        }
        let writes = self.near.writes(Q::OPCODE, Near::key_of(&cmd).as_deref());
        let done = self.client.execute(cmd);
        self.bump_blocking(writes, done)
    }

    fn pipeline(&self) -> Pipeline {
        self.client.pipeline()
    }

    /// GETs every key: hits from memory, the rest in one pipeline (with
    /// the version checks due, in one pipeline before it).
    fn get_multi<K: ToArg, V: FromValue>(
        &mut self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<Vec<Result<Option<V>, Error>>, Error> {
        let keys = key_bytes(keys);
        let checks = self.near.checks_for(&keys, Instant::now());
        if !checks.is_empty() {
            let versions = self.client.execute_multi(check_commands(&checks));
            report_checks(checks, versions);
        }
        let mut p = self.client.pipeline();
        let many = self.near.read_many(keys, Instant::now(), &mut p);
        let mut results = match many.is_answered() {
            true => None,
            false => Some(self.client.run(p)?),
        };
        Ok(many.finish(&self.near, results.as_mut()))
    }

    fn run(&mut self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
        let writes = self.near.writes_in(pipeline.frames());
        let done = self.client.run(pipeline);
        self.bump_blocking(writes, done)
    }
}
