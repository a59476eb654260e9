//! Every Gibson command as a method: the one list of them.
//!
//! Each command is an ordinary `fn` below: its doc, its name, generics,
//! parameters and result (what the reply converts into), and as its body
//! the typed command from [`cmd`](crate::cmd) that it sends. The list is
//! written once, in [`command_methods!`], and stamped three times:
//!
//! * into [`AsyncCommands`](crate::AsyncCommands), as provided methods
//!   `fn get(&self, …) -> impl Future<Output = Result<Option<T>, Error>>`
//!   that call `self.execute(cmd)`;
//! * into [`Commands`](crate::Commands), as provided methods
//!   `fn get(&mut self, …) -> Result<Option<T>, Error>`;
//! * into [`Pipeline`](crate::Pipeline), as methods
//!   `pub fn get(&mut self, …) -> Handle<Option<T>>` that queue the command.
//!
//! The clients (`gibson_tokio::Connection`, `gibson_blocking::Connection`,
//! the pools, the sharded clients, namespaces, near caches) get their
//! command methods from the two traits. Adding a command is adding its
//! typed command in `cmd.rs`, its [`Opcode`](crate::Opcode), and one `fn`
//! here.

/// The command list, stamped into the `impl` or trait where it is invoked
/// by the macro `$stamp` (one of [`async_methods!`], [`blocking_methods!`]
/// and [`pipeline_methods!`]).
///
/// The names the list uses (`cmd`, `ToArg`, `FromValue`, `IntoTtl`,
/// `LockTime`, `MetaField`, `Stats`, `Value`) are resolved where it is
/// invoked, which imports them.
macro_rules! command_methods {
    ($stamp:ident) => {
        $crate::methods::$stamp! {
            /// `SET`: stores `value` under `key` with a TTL ([`Ttl::Never`](crate::Ttl::Never)
            /// or [`Ttl::Seconds`](crate::Ttl::Seconds)); returns the value the server
            /// stored. LOCKED if the key is locked.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// cache.set("greeting", "hello", Ttl::Seconds(60)).await?;
            /// # Ok(()) }
            /// ```
            ///
            /// A bare number is no TTL (`0` would mean "never expires" to the server):
            ///
            /// ```compile_fail,E0277
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// cache.set("greeting", "hello", 0).await?; // error: `{integer}` is not a TTL
            /// # Ok(()) }
            /// ```
            fn set(key: impl ToArg, value: impl ToArg, ttl: impl IntoTtl) -> Value {
                cmd::Set::new(key, value, ttl.into_ttl())
            }

            /// `TTL`: sets `key`'s TTL and restarts its clock; `false` if the key is absent.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let found = cache.ttl("greeting", Ttl::Never).await?;
            /// # Ok(()) }
            /// ```
            fn ttl(key: impl ToArg, ttl: impl IntoTtl) -> bool {
                cmd::SetTtl::new(key, ttl.into_ttl())
            }

            /// `GET`: the value of `key` converted to `T` (`Bytes`, `String`, integers, …);
            /// `None` if absent.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let greeting = cache.get::<String>("greeting").await?;
            /// # Ok(()) }
            /// ```
            fn get<T: FromValue>(key: impl ToArg) -> Option<T> {
                cmd::Get::<_, T>::new(key)
            }

            /// `DEL`: deletes `key`; `false` if absent, LOCKED if locked.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let existed = cache.del("greeting").await?;
            /// # Ok(()) }
            /// ```
            fn del(key: impl ToArg) -> bool {
                cmd::Del::new(key)
            }

            /// `INC`: adds 1 to the number at `key` and returns it; an absent key becomes 1.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let visits = cache.inc("visits").await?;
            /// # Ok(()) }
            /// ```
            fn inc(key: impl ToArg) -> i64 {
                cmd::Inc::new(key)
            }

            /// `DEC`: subtracts 1 from the number at `key` and returns it; an absent key
            /// becomes **1** (a server quirk).
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let visits = cache.dec("visits").await?;
            /// # Ok(()) }
            /// ```
            fn dec(key: impl ToArg) -> i64 {
                cmd::Dec::new(key)
            }

            /// `LOCK`: locks `key` for a number of seconds or until unlocked; `false` if
            /// absent, LOCKED if already locked.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let found = cache.lock("greeting", 30).await?;
            /// # Ok(()) }
            /// ```
            fn lock(key: impl ToArg, time: impl Into<LockTime>) -> bool {
                cmd::Lock::new(key, time)
            }

            /// `UNLOCK`: unlocks `key`; `false` if absent.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let found = cache.unlock("greeting").await?;
            /// # Ok(()) }
            /// ```
            fn unlock(key: impl ToArg) -> bool {
                cmd::Unlock::new(key)
            }

            /// `MSET`: sets `value` on every existing unlocked key under `prefix`; the
            /// number changed.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let changed = cache.mset("user:", "0").await?;
            /// # Ok(()) }
            /// ```
            fn mset(prefix: impl ToArg, value: impl ToArg) -> u64 {
                cmd::Mset::new(prefix, value)
            }

            /// `MTTL`: sets the TTL of every key under `prefix`; the number changed.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let changed = cache.mttl("user:", Ttl::Seconds(600)).await?;
            /// # Ok(()) }
            /// ```
            fn mttl(prefix: impl ToArg, ttl: impl IntoTtl) -> u64 {
                cmd::Mttl::new(prefix, ttl.into_ttl())
            }

            /// `MGET`: every pair under `prefix`, keys as `K`, values as `V`, in the
            /// server's order; empty when nothing matches.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let users = cache.mget::<String, String>("user:").await?;
            /// # Ok(()) }
            /// ```
            fn mget<K: FromValue, V: FromValue>(prefix: impl ToArg) -> Vec<(K, V)> {
                cmd::Mget::<_, K, V>::new(prefix)
            }

            /// `MGET` with a limit: at most `limit` (≥ 1) pairs under `prefix`.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let users = cache.mget_limit::<String, String>("user:", 10).await?;
            /// # Ok(()) }
            /// ```
            fn mget_limit<K: FromValue, V: FromValue>(prefix: impl ToArg, limit: u32) -> Vec<(K, V)> {
                cmd::Mget::<_, K, V>::new(prefix).limit(limit)
            }

            /// `MDEL`: deletes every unlocked key under `prefix`; the number deleted.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let deleted = cache.mdel("user:").await?;
            /// # Ok(()) }
            /// ```
            fn mdel(prefix: impl ToArg) -> u64 {
                cmd::Mdel::new(prefix)
            }

            /// `MINC`: adds 1 to every unlocked number under `prefix`; the number changed.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let changed = cache.minc("user:").await?;
            /// # Ok(()) }
            /// ```
            fn minc(prefix: impl ToArg) -> u64 {
                cmd::Minc::new(prefix)
            }

            /// `MDEC`: subtracts 1 from every unlocked number under `prefix`; the number
            /// changed.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let changed = cache.mdec("user:").await?;
            /// # Ok(()) }
            /// ```
            fn mdec(prefix: impl ToArg) -> u64 {
                cmd::Mdec::new(prefix)
            }

            /// `MLOCK`: locks every unlocked key under `prefix`; the number locked.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let locked = cache.mlock("user:", LockTime::UntilUnlock).await?;
            /// # Ok(()) }
            /// ```
            fn mlock(prefix: impl ToArg, time: impl Into<LockTime>) -> u64 {
                cmd::Mlock::new(prefix, time)
            }

            /// `MUNLOCK`: unlocks every key under `prefix`; the number unlocked.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let unlocked = cache.munlock("user:").await?;
            /// # Ok(()) }
            /// ```
            fn munlock(prefix: impl ToArg) -> u64 {
                cmd::Munlock::new(prefix)
            }

            /// `COUNT`: the number of keys under `prefix` (0 when none).
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let users = cache.count("user:").await?;
            /// # Ok(()) }
            /// ```
            fn count(prefix: impl ToArg) -> u64 {
                cmd::Count::new(prefix)
            }

            /// `STATS`: the server's statistics.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let stats = cache.stats().await?;
            /// # Ok(()) }
            /// ```
            fn stats() -> Stats {
                cmd::GetStats
            }

            /// `PING`: checks the server answers.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// cache.ping().await?;
            /// # Ok(()) }
            /// ```
            fn ping() -> () {
                cmd::Ping
            }

            /// `META`: one number about `key` (size, encoding, times, TTL, lock); `None`
            /// if absent.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let size = cache.meta("greeting", MetaField::Size).await?;
            /// # Ok(()) }
            /// ```
            fn meta(key: impl ToArg, field: MetaField) -> Option<i64> {
                cmd::Meta::new(key, field)
            }

            /// `KEYS`: the names of the keys under `prefix`, as `K`; empty when none.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// let names = cache.keys::<String>("user:").await?;
            /// # Ok(()) }
            /// ```
            fn keys<K: FromValue>(prefix: impl ToArg) -> Vec<K> {
                cmd::Keys::<_, K>::new(prefix)
            }

            /// `END`: asks the server to close the connection.
            ///
            /// ```
            /// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
            /// cache.end().await?;
            /// # Ok(()) }
            /// ```
            fn end() -> () {
                cmd::End
            }
        }
    };
}

/// Stamps the list into [`AsyncCommands`](crate::AsyncCommands): each
/// method returns a `Send` future of the command's result.
macro_rules! async_methods {
    ($(
        $(#[$attr:meta])*
        fn $name:ident $(<$($g:ident : $bound:path),+>)? ($($arg:ident : $ty:ty),*) -> $out:ty $cmd:block
    )*) => {$(
        $(#[$attr])*
        fn $name $(<$($g: $bound),+>)? (&self, $($arg: $ty),*)
            -> impl ::core::future::Future<Output = Result<$out, Error>> + Send {
            self.execute($cmd)
        }
    )*};
}

/// Stamps the list into [`Commands`](crate::Commands): each method returns
/// the command's result.
macro_rules! blocking_methods {
    ($(
        $(#[$attr:meta])*
        fn $name:ident $(<$($g:ident : $bound:path),+>)? ($($arg:ident : $ty:ty),*) -> $out:ty $cmd:block
    )*) => {$(
        $(#[$attr])*
        ///
        /// (The example is an async client's; a blocking client makes the
        /// same call without `.await`.)
        fn $name $(<$($g: $bound),+>)? (&mut self, $($arg: $ty),*) -> Result<$out, Error> {
            self.execute($cmd)
        }
    )*};
}

/// Stamps the list into [`Pipeline`](crate::Pipeline): each method queues
/// the command and returns the [`Handle`](crate::Handle) of its result.
macro_rules! pipeline_methods {
    ($(
        $(#[$attr:meta])*
        fn $name:ident $(<$($g:ident : $bound:path),+>)? ($($arg:ident : $ty:ty),*) -> $out:ty $cmd:block
    )*) => {$(
        $(#[$attr])*
        ///
        /// In a pipeline, the call queues the command and returns the
        /// [`Handle`] that takes its result from the
        /// [`PipelineResults`](crate::PipelineResults) (the example is an
        /// async client's).
        pub fn $name $(<$($g: $bound),+>)? (&mut self, $($arg: $ty),*) -> Handle<$out> {
            self.add($cmd)
        }
    )*};
}

pub(crate) use {async_methods, blocking_methods, command_methods, pipeline_methods};
