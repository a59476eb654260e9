//! [`NearCache`]: hot values in local memory in front of any async client.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use gibson_near::{
    check_commands, key_bytes, report_checks, Near, NearConfig, NearStats, Read, Writes,
};
use gibson_proto::{
    cmd, AsyncCommands, Command, Error, FromValue, Pipeline, PipelineResults, Reply, ToArg, Value,
};

/// A near cache in front of an async client (a connection, a pool, a
/// sharded client, a namespace): GETs of keys under the prefixes it is
/// told to cache are answered from local memory, no more than
/// `max_staleness` out of date; everything else goes to the client as it
/// is. It is itself an [`AsyncCommands`], so every method (`get`, `set`,
/// `mdel`, namespaces, `get_or_compute`…) works through it.
///
/// Writes through it (SET, TTL, DEL, INC, DEC, MSET, MTTL, MDEL, MINC,
/// MDEC, alone or in a pipeline) bump the version keys of the prefixes
/// they touch, so that near caches in other processes drop their copies
/// within `max_staleness`; they return once the bump is acknowledged. The
/// exact guarantee, and what it cannot see, is on
/// [`gibson_near`](gibson_near#what-it-promises).
///
/// Put it in front of the client and a namespace over it
/// (`Namespace::new(near, "user:")`), not the other way round: in
/// front of a namespace its version keys would live inside the
/// namespace. In front of a sharded client, a prefix's version key
/// lives on one server: while that server is down, reads of the
/// prefix past their bound go to the servers holding their keys.
///
/// Clones share the local memory. [`with_client`](NearCache::with_client)
/// puts the same memory in front of another client.
///
/// ```no_run
/// # async fn demo() -> Result<(), gibson_tokio::Error> {
/// use std::time::Duration;
/// use gibson_tokio::{AsyncCommands, Connection, NearCache, NearConfig, Ttl};
///
/// let conn = Connection::connect("gibson://127.0.0.1:10128").await?;
/// let near = NearCache::new(
///     conn,
///     NearConfig::new(["user:"]).max_staleness(Duration::from_millis(200)),
/// )?;
/// near.set("user:1", "ada", Ttl::Seconds(60)).await?;
/// let name: Option<String> = near.get("user:1").await?; // from the server, kept
/// let again: Option<String> = near.get("user:1").await?; // from memory
/// assert_eq!(name, again);
/// println!("{:?}", near.near_stats());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct NearCache<C> {
    client: C,
    near: Arc<Near>,
}

impl<C: AsyncCommands> NearCache<C> {
    /// A near cache in front of `client`; refuses a configuration that
    /// cannot keep its promise, naming the setting.
    pub fn new(client: C, config: NearConfig) -> Result<NearCache<C>, Error> {
        Ok(NearCache {
            client,
            near: Arc::new(Near::new(config)?),
        })
    }

    /// The same local memory in front of another client.
    pub fn with_client<D: AsyncCommands>(&self, client: D) -> NearCache<D> {
        NearCache {
            client,
            near: self.near.clone(),
        }
    }

    /// The client behind.
    pub fn client(&self) -> &C {
        &self.client
    }

    /// Hits, misses, evictions, version checks… so far.
    pub fn near_stats(&self) -> NearStats {
        self.near.stats()
    }

    /// The rules and the local memory (entries held, bytes held).
    pub fn near(&self) -> &Near {
        &self.near
    }

    async fn read<Q>(&self, cmd: Q) -> Result<Q::Output, Error>
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
    async fn bump<T: Send>(&self, writes: Writes, done: Result<T, Error>) -> Result<T, Error> {
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
            return self.read(cmd).await;
        }
        if !Near::is_write(Q::OPCODE) {
            return self.client.execute(cmd).await;
        }
        let writes = self.near.writes(Q::OPCODE, Near::key_of(&cmd).as_deref());
        let done = self.client.execute(cmd).await;
        self.bump(writes, done).await
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
        self.bump(writes, done).await
    }
}
