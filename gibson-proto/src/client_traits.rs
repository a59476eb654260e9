//! The traits every client implements, [`AsyncCommands`] and
//! [`Commands`]: implement `execute`, `pipeline` and `run`, and every Gibson
//! command comes as a method (from the command list in `methods.rs`), so
//! that code can be generic over what runs them: a connection, a pool, a
//! sharded client, a namespace…

use std::future::Future;

use crate::{
    cmd, Command, Error, FromValue, IntoTtl, LockTime, MetaField, Pipeline, PipelineResults, Stats,
    ToArg, Ttl, Value,
};

/// The commands of an async client: implement [`execute`](AsyncCommands::execute),
/// [`pipeline`](AsyncCommands::pipeline) and [`run`](AsyncCommands::run),
/// and every other method comes with them.
///
/// The connections, pools and sharded clients of `gibson_tokio` and
/// `gibson_async_std`, their namespaces and near caches implement it: it is
/// how they have their command methods (import it to call them), and a
/// function can take any of them:
///
/// ```
/// use gibson_proto::{AsyncCommands, Error, Ttl};
///
/// /// Counts a visit, whatever the caller talks to the cache through.
/// async fn visit(cache: &impl AsyncCommands, page: &str) -> Result<i64, Error> {
///     let key = format!("visits:{page}");
///     let n = cache.inc(key.as_str()).await?;
///     if n == 1 {
///         cache.ttl(key.as_str(), Ttl::Seconds(3600)).await?;
///     }
///     Ok(n)
/// }
/// ```
pub trait AsyncCommands: Sync {
    /// Runs any [`Command`] and returns its typed result.
    fn execute<C>(&self, cmd: C) -> impl Future<Output = Result<C::Output, Error>> + Send
    where
        C: Command + Send,
        C::Output: Send;

    /// A new, empty pipeline with the client's limits.
    fn pipeline(&self) -> Pipeline;

    /// Runs a pipeline: one round trip per server.
    fn run(
        &self,
        pipeline: Pipeline,
    ) -> impl Future<Output = Result<PipelineResults, Error>> + Send;

    /// Runs every command of `cmds` in one pipeline (one round trip per
    /// server) and returns each one's result, in order: one failed command
    /// never hides the others' results. `Err` only when the pipeline could
    /// not run at all.
    ///
    /// ```
    /// use gibson_proto::{cmd, AsyncCommands, Error};
    ///
    /// async fn hits(cache: &impl AsyncCommands, pages: &[&str]) -> Result<Vec<i64>, Error> {
    ///     let incs = pages.iter().map(|p| cmd::Inc::new(format!("hits:{p}")));
    ///     cache.execute_multi(incs).await?.into_iter().collect()
    /// }
    /// ```
    fn execute_multi<C>(
        &self,
        cmds: impl IntoIterator<Item = C>,
    ) -> impl Future<Output = Result<Vec<Result<C::Output, Error>>, Error>> + Send
    where
        C: Command,
        C::Output: Send,
    {
        let mut p = self.pipeline();
        let handles: Vec<_> = cmds.into_iter().map(|c| p.add(c)).collect();
        async move {
            let mut results = self.run(p).await?;
            Ok(handles.into_iter().map(|h| results.take(h)).collect())
        }
    }

    /// GETs every key in one pipeline (pylibmc's `get_multi`): each key's
    /// value, `None` if absent, in the order of `keys`.
    ///
    /// ```
    /// # use gibson_proto::AsyncCommands;
    /// # async fn demo(cache: &impl AsyncCommands) -> Result<(), gibson_proto::Error> {
    /// let values = cache.get_multi::<_, String>(["user:1", "user:2"]).await?;
    /// for value in values {
    ///     println!("{:?}", value?);
    /// }
    /// # Ok(()) }
    /// ```
    fn get_multi<K, V>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> impl Future<Output = Result<Vec<Result<Option<V>, Error>>, Error>> + Send
    where
        K: ToArg,
        V: FromValue,
    {
        self.execute_multi(keys.into_iter().map(cmd::Get::<K, V>::new))
    }

    /// SETs every pair with one TTL in one pipeline (pylibmc's
    /// `set_multi`): each SET's result, in order.
    ///
    /// ```
    /// # use gibson_proto::{AsyncCommands, Ttl};
    /// # async fn demo(cache: &impl AsyncCommands) -> Result<(), gibson_proto::Error> {
    /// let stored = cache.set_multi([("a", "1"), ("b", "2")], Ttl::Seconds(60)).await?;
    /// assert!(stored.iter().all(Result::is_ok));
    /// # Ok(()) }
    /// ```
    fn set_multi<K, V>(
        &self,
        pairs: impl IntoIterator<Item = (K, V)>,
        ttl: Ttl,
    ) -> impl Future<Output = Result<Vec<Result<Value, Error>>, Error>> + Send
    where
        K: ToArg,
        V: ToArg,
    {
        self.execute_multi(
            pairs
                .into_iter()
                .map(move |(k, v)| cmd::Set::new(k, v, ttl)),
        )
    }

    /// DELs every key in one pipeline (pylibmc's `delete_multi`): for each
    /// key, whether it existed, in order.
    ///
    /// ```
    /// # use gibson_proto::AsyncCommands;
    /// # async fn demo(cache: &impl AsyncCommands) -> Result<(), gibson_proto::Error> {
    /// let existed = cache.delete_multi(["a", "b"]).await?;
    /// # Ok(()) }
    /// ```
    fn delete_multi<K>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> impl Future<Output = Result<Vec<Result<bool, Error>>, Error>> + Send
    where
        K: ToArg,
    {
        self.execute_multi(keys.into_iter().map(cmd::Del::new))
    }

    crate::methods::command_methods!(async_methods);
}

/// The commands of a blocking client: implement
/// [`execute`](Commands::execute), [`pipeline`](Commands::pipeline) and
/// [`run`](Commands::run), and every other method comes with them.
///
/// `gibson_blocking`'s connection (and a connection taken from its pool),
/// its sharded client, namespaces and near caches implement it: it is how
/// they have their command methods (import it to call them).
///
/// ```
/// use gibson_proto::{cmd, Command, Commands, Error, Pipeline, PipelineResults, Reply, Value};
///
/// /// A pretend client that answers every request with VAL "42".
/// struct Fake;
/// impl Commands for Fake {
///     fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error> {
///         cmd.encode(&mut bytes::BytesMut::new(), &Default::default())?;
///         C::decode(Reply::Value(Value::from("42")))
///     }
///     fn pipeline(&self) -> Pipeline {
///         Pipeline::new(Default::default())
///     }
///     fn run(&mut self, p: Pipeline) -> Result<PipelineResults, Error> {
///         let replies = p.opcodes().iter().map(|_| Ok(Reply::Value(Value::from("42")))).collect();
///         Ok(p.finish(replies))
///     }
/// }
///
/// fn answer(cache: &mut impl Commands) -> Result<Option<u32>, Error> {
///     cache.get("answer")
/// }
/// assert_eq!(answer(&mut Fake).unwrap(), Some(42));
/// let all: Vec<Option<u32>> = Fake.get_multi(["a", "b"]).unwrap().into_iter().collect::<Result<_, _>>().unwrap();
/// assert_eq!(all, [Some(42), Some(42)]);
/// ```
pub trait Commands {
    /// Runs any [`Command`] and returns its typed result.
    fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error>;

    /// A new, empty pipeline with the client's limits.
    fn pipeline(&self) -> Pipeline;

    /// Runs a pipeline: one round trip per server.
    fn run(&mut self, pipeline: Pipeline) -> Result<PipelineResults, Error>;

    /// Runs every command of `cmds` in one pipeline (one round trip per
    /// server) and returns each one's result, in order: one failed command
    /// never hides the others' results. `Err` only when the pipeline could
    /// not run at all.
    fn execute_multi<C: Command>(
        &mut self,
        cmds: impl IntoIterator<Item = C>,
    ) -> Result<Vec<Result<C::Output, Error>>, Error> {
        let mut p = self.pipeline();
        let handles: Vec<_> = cmds.into_iter().map(|c| p.add(c)).collect();
        let mut results = self.run(p)?;
        Ok(handles.into_iter().map(|h| results.take(h)).collect())
    }

    /// GETs every key in one pipeline (pylibmc's `get_multi`): each key's
    /// value, `None` if absent, in the order of `keys`.
    fn get_multi<K: ToArg, V: FromValue>(
        &mut self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<Vec<Result<Option<V>, Error>>, Error> {
        self.execute_multi(keys.into_iter().map(cmd::Get::<K, V>::new))
    }

    /// SETs every pair with one TTL in one pipeline (pylibmc's
    /// `set_multi`): each SET's result, in order.
    fn set_multi<K: ToArg, V: ToArg>(
        &mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
        ttl: Ttl,
    ) -> Result<Vec<Result<Value, Error>>, Error> {
        self.execute_multi(
            pairs
                .into_iter()
                .map(move |(k, v)| cmd::Set::new(k, v, ttl)),
        )
    }

    /// DELs every key in one pipeline (pylibmc's `delete_multi`): for each
    /// key, whether it existed, in order.
    fn delete_multi<K: ToArg>(
        &mut self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<Vec<Result<bool, Error>>, Error> {
        self.execute_multi(keys.into_iter().map(cmd::Del::new))
    }

    crate::methods::command_methods!(blocking_methods);
}

impl<T: AsyncCommands + ?Sized> AsyncCommands for &T {
    fn execute<C>(&self, cmd: C) -> impl Future<Output = Result<C::Output, Error>> + Send
    where
        C: Command + Send,
        C::Output: Send,
    {
        (**self).execute(cmd)
    }

    fn pipeline(&self) -> Pipeline {
        (**self).pipeline()
    }

    fn run(
        &self,
        pipeline: Pipeline,
    ) -> impl Future<Output = Result<PipelineResults, Error>> + Send {
        (**self).run(pipeline)
    }
}

impl<T: Commands + ?Sized> Commands for &mut T {
    fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error> {
        (**self).execute(cmd)
    }

    fn pipeline(&self) -> Pipeline {
        (**self).pipeline()
    }

    fn run(&mut self, pipeline: Pipeline) -> Result<PipelineResults, Error> {
        (**self).run(pipeline)
    }
}
