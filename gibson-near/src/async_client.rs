//! A [`NearCache`] in front of an async client is an async client.

use std::future::Future;
use std::time::Instant;

use gibson_proto::{
    cmd, AsyncCommands, Command, Error, FromValue, Pipeline, PipelineResults, Reply, ToArg, Value,
};

use crate::many::{check_commands, key_bytes, report_checks};
use crate::{Near, NearCache, Read, Writes};

impl<C: AsyncCommands> NearCache<C> {
    async fn read_async<Q>(&self, cmd: Q) -> Result<Q::Output, Error>
    where
        Q: Command + Send,
        Q::Output: Send,
    {
        let Some(key) = Near::key_of(&cmd) else {
            return self.client.execute(cmd).await;
        };
        loop {
            match self.near.read(&key, Instant::now()) {
                Read::Hit(value) => return cmd.decode_reply(Reply::Value(value)),
                Read::Check(check) => {
                    let get = cmd::Get::<_, Value>::new(check.version_key().clone());
                    match self.client.execute(get).await {
                        Ok(version) => check.done(version),
                        Err(_) => {
                            // Not past the bound from memory: from the server.
                            check.failed();
                            return self.client.execute(cmd).await;
                        }
                    }
                }
                Read::Fetch(fetch) => {
                    let mut p = self.client.pipeline();
                    let fetching = self.near.fetch(fetch, key, &mut p);
                    let mut results = self.client.run(p).await?;
                    return cmd.decode_reply(self.near.fetched_from(fetching, &mut results)?);
                }
                Read::Bypass | Read::Pass => return self.client.execute(cmd).await,
            }
        }
    }

    /// After a write that ended with `done`: bumps what it touched if it
    /// may have run, then gives its result.
    async fn bump_async<T: Send>(
        &self,
        writes: Writes,
        done: Result<T, Error>,
    ) -> Result<T, Error> {
        let Some(bump) = self.near.bump_after(writes, &done) else {
            return done;
        };
        let sent = Instant::now();
        let sets = self.client.execute_multi(bump.commands()).await;
        self.near.bumped_after(&bump, sent, sets, done)
    }
}

impl<C: AsyncCommands> AsyncCommands for NearCache<C> {
    async fn execute<Q>(&self, cmd: Q) -> Result<Q::Output, Error>
    where
        Q: Command + Send,
        Q::Output: Send,
    {
        if Near::is_read(Q::OPCODE) {
            return self.read_async(cmd).await;
        }
        if !Near::is_write(Q::OPCODE) {
            return self.client.execute(cmd).await;
        }
        let writes = self.near.writes(Q::OPCODE, Near::key_of(&cmd).as_deref());
        let done = self.client.execute(cmd).await;
        self.bump_async(writes, done).await
    }

    fn pipeline(&self) -> Pipeline {
        self.client.pipeline()
    }

    /// GETs every key: hits from memory, the rest in one pipeline (with
    /// the version checks due, in one pipeline before it).
    fn get_multi<K, V>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> impl Future<Output = Result<Vec<Result<Option<V>, Error>>, Error>> + Send
    where
        K: ToArg,
        V: FromValue,
    {
        let keys = key_bytes(keys);
        async move {
            let checks = self.near.checks_for(&keys, Instant::now());
            if !checks.is_empty() {
                let versions = self.client.execute_multi(check_commands(&checks)).await;
                report_checks(checks, versions);
            }
            let mut p = self.client.pipeline();
            let many = self.near.read_many(keys, Instant::now(), &mut p);
            let mut results = match many.is_answered() {
                true => None,
                false => Some(self.client.run(p).await?),
            };
            Ok(many.finish(&self.near, results.as_mut()))
        }
    }

    async fn run(&self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
        let writes = self.near.writes_in(pipeline.frames());
        let done = self.client.run(pipeline).await;
        self.bump_async(writes, done).await
    }
}
