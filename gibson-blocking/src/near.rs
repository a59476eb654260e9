//! [`NearCache`]: hot values in local memory in front of any blocking
//! client.

use std::sync::Arc;
use std::time::Instant;

use gibson_near::{
    check_commands, key_bytes, report_checks, Near, NearConfig, NearStats, Read, Writes,
};
use gibson_proto::{
    cmd, Command, Commands, Error, FromValue, Pipeline, PipelineResults, Reply, ToArg, Value,
};

/// A near cache in front of a blocking client (a connection, a pooled
/// connection, a sharded client, a namespace): GETs of keys under the
/// prefixes it is told to cache are answered from local memory, no more
/// than `max_staleness` out of date; everything else goes to the client as
/// it is. It is itself [`Commands`], so every method (`get`, `set`,
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
/// Threads share one local memory through
/// [`with_client`](NearCache::with_client), each with its own connection:
///
/// ```no_run
/// # fn demo() -> Result<(), gibson_blocking::Error> {
/// use std::time::Duration;
/// use gibson_blocking::{Commands, NearCache, NearConfig, Pool, Ttl};
///
/// let pool = Pool::connect("gibson://127.0.0.1:10128")?;
/// let config = NearConfig::new(["user:"]).max_staleness(Duration::from_millis(200));
/// let mut near = NearCache::new(pool.checkout()?, config)?;
/// near.set("user:1", "ada", Ttl::Seconds(60))?;
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         let mut mine = near.with_client(pool.checkout().unwrap());
///         s.spawn(move || {
///             let name: Option<String> = mine.get("user:1").unwrap(); // kept after the first
///             assert_eq!(name.as_deref(), Some("ada"));
///         });
///     }
/// });
/// println!("{:?}", near.near_stats());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct NearCache<C> {
    client: C,
    near: Arc<Near>,
}

impl<C: Commands> NearCache<C> {
    /// A near cache in front of `client`; refuses a configuration that
    /// cannot keep its promise, naming the setting.
    pub fn new(client: C, config: NearConfig) -> Result<NearCache<C>, Error> {
        Ok(NearCache {
            client,
            near: Arc::new(Near::new(config)?),
        })
    }

    /// The same local memory in front of another client (another thread's
    /// connection).
    pub fn with_client<D: Commands>(&self, client: D) -> NearCache<D> {
        NearCache {
            client,
            near: self.near.clone(),
        }
    }

    /// The client behind.
    pub fn client(&mut self) -> &mut C {
        &mut self.client
    }

    /// Hits, misses, evictions, version checks… so far.
    pub fn near_stats(&self) -> NearStats {
        self.near.stats()
    }

    /// The rules and the local memory (entries held, bytes held).
    pub fn near(&self) -> &Near {
        &self.near
    }

    fn read<Q: Command>(&mut self, cmd: Q) -> Result<Q::Output, Error> {
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
    fn bump<T>(&mut self, writes: Writes, done: Result<T, Error>) -> Result<T, Error> {
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
            return self.read(cmd);
        }
        if !Near::is_write(Q::OPCODE) {
            return self.client.execute(cmd);
        }
        let writes = self.near.writes(Q::OPCODE, Near::key_of(&cmd).as_deref());
        let done = self.client.execute(cmd);
        self.bump(writes, done)
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
        self.bump(writes, done)
    }
}
