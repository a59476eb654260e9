//! The command list, written once and expanded into methods for every
//! runtime crate by [`implement_commands!`](crate::implement_commands).

/// Expands into one method per Gibson command, each calling the
/// surrounding type's `execute` with the typed command from [`cmd`](crate::cmd).
///
/// * `implement_commands!(async)` inside an `impl` whose type has
///   `async fn execute<C: Command>(&self, cmd: C) -> Result<C::Output, Error>`
///   generates `pub async fn get(&self, …)` and so on;
/// * `implement_commands!(blocking)` for a type with
///   `fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error>`
///   generates `pub fn get(&mut self, …)`;
/// * `implement_commands!(pipeline)` is how [`Pipeline`](crate::Pipeline)
///   gets its methods (each returns a [`Handle`](crate::Handle)).
///
/// Adding `, "my_crate", "MyType"` (the crate that re-exports the proto
/// types, and the type's name) gives every method a compiled doc example.
///
/// ```
/// use gibson_proto::{cmd, implement_commands, Command, Error, Reply, Value};
///
/// /// A pretend connection that answers every request with VAL "42".
/// struct Fake;
/// impl Fake {
///     fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error> {
///         let mut buf = bytes::BytesMut::new();
///         cmd.encode(&mut buf, &Default::default())?;
///         C::decode(Reply::Value(Value::from("42")))
///     }
///     implement_commands!(blocking);
/// }
///
/// let mut fake = Fake;
/// assert_eq!(fake.get::<u32>("answer").unwrap(), Some(42));
/// assert!(fake.get::<u32>("bad key").is_err()); // refused before sending
/// ```
#[macro_export]
macro_rules! implement_commands {
    (async $(, $krate:literal, $ty:literal)?) => {
        $crate::__gibson_command_list!(@async $($krate $ty)?);
    };
    (blocking $(, $krate:literal, $ty:literal)?) => {
        $crate::__gibson_command_list!(@blocking $($krate $ty)?);
    };
    (pipeline $(, $krate:literal, $ty:literal)?) => {
        $crate::__gibson_command_list!(@pipeline $($krate $ty)?);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __gibson_method {
    (@async ($($krate:literal $ty:literal)?) $ex:literal $(#[$m:meta])* $name:ident [$($g:tt)*] ($($a:ident : $t:ty),*) -> $out:ty = $cmd:expr) => {
        $(#[$m])*
        $(
        ///
        /// ```no_run
        #[doc = concat!("# use ", $krate, "::*;")]
        #[doc = concat!("# async fn demo(c: &", $ty, ") -> Result<(), Error> {")]
        #[doc = concat!("let result = c.", $ex, ".await?;")]
        /// # let _ = result;
        /// # Ok(()) }
        /// ```
        )?
        pub async fn $name<$($g)*>(&self, $($a: $t),*) -> ::core::result::Result<$out, $crate::Error> {
            self.execute($cmd).await
        }
    };
    (@blocking ($($krate:literal $ty:literal)?) $ex:literal $(#[$m:meta])* $name:ident [$($g:tt)*] ($($a:ident : $t:ty),*) -> $out:ty = $cmd:expr) => {
        $(#[$m])*
        $(
        ///
        /// ```no_run
        #[doc = concat!("# use ", $krate, "::*;")]
        #[doc = concat!("# fn demo(c: &mut ", $ty, ") -> Result<(), Error> {")]
        #[doc = concat!("let result = c.", $ex, "?;")]
        /// # let _ = result;
        /// # Ok(()) }
        /// ```
        )?
        pub fn $name<$($g)*>(&mut self, $($a: $t),*) -> ::core::result::Result<$out, $crate::Error> {
            self.execute($cmd)
        }
    };
    (@async_trait () $ex:literal $(#[$m:meta])* $name:ident [$($g:tt)*] ($($a:ident : $t:ty),*) -> $out:ty = $cmd:expr) => {
        $(#[$m])*
        fn $name<$($g)*>(&self, $($a: $t),*)
            -> impl ::core::future::Future<Output = ::core::result::Result<$out, $crate::Error>> + ::core::marker::Send {
            self.execute($cmd)
        }
    };
    (@blocking_trait () $ex:literal $(#[$m:meta])* $name:ident [$($g:tt)*] ($($a:ident : $t:ty),*) -> $out:ty = $cmd:expr) => {
        $(#[$m])*
        fn $name<$($g)*>(&mut self, $($a: $t),*) -> ::core::result::Result<$out, $crate::Error> {
            self.execute($cmd)
        }
    };
    (@pipeline ($($krate:literal $ty:literal)?) $ex:literal $(#[$m:meta])* $name:ident [$($g:tt)*] ($($a:ident : $t:ty),*) -> $out:ty = $cmd:expr) => {
        $(#[$m])*
        ///
        /// Queued in the pipeline; the returned handle takes the result.
        $(
        ///
        /// ```
        #[doc = concat!("# use ", $krate, "::*;")]
        #[doc = concat!("let mut p = ", $ty, "::new(Limits::default());")]
        #[doc = concat!("let handle = p.", $ex, ";")]
        /// assert_eq!(p.len(), 1);
        /// # let _ = handle;
        /// ```
        )?
        pub fn $name<$($g)*>(&mut self, $($a: $t),*) -> $crate::Handle<$out> {
            self.add($cmd)
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __gibson_command_list {
    (@$mode:ident $($doc:literal)*) => {
        $crate::__gibson_method!(@$mode ($($doc)*) "set(\"greeting\", \"hello\", 60)"
            /// `SET`: stores `value` under `key` with a TTL (`Ttl::Never` or
            /// seconds); returns the value the server stored. LOCKED if the key is locked.
            set [] (key: impl $crate::ToArg, value: impl $crate::ToArg, ttl: impl ::core::convert::Into<$crate::Ttl>)
                -> $crate::Value = $crate::cmd::Set::new(key, value, ttl));
        $crate::__gibson_method!(@$mode ($($doc)*) "ttl(\"greeting\", Ttl::Never)"
            /// `TTL`: sets `key`'s TTL and restarts its clock; `false` if the key is absent.
            ttl [] (key: impl $crate::ToArg, ttl: impl ::core::convert::Into<$crate::Ttl>)
                -> bool = $crate::cmd::SetTtl::new(key, ttl));
        $crate::__gibson_method!(@$mode ($($doc)*) "get::<String>(\"greeting\")"
            /// `GET`: the value of `key` converted to `T` (`Bytes`, `String`, integers, …);
            /// `None` if absent.
            get [T: $crate::FromValue] (key: impl $crate::ToArg)
                -> ::core::option::Option<T> = $crate::cmd::Get::<_, T>::new(key));
        $crate::__gibson_method!(@$mode ($($doc)*) "del(\"greeting\")"
            /// `DEL`: deletes `key`; `false` if absent, LOCKED if locked.
            del [] (key: impl $crate::ToArg) -> bool = $crate::cmd::Del::new(key));
        $crate::__gibson_method!(@$mode ($($doc)*) "inc(\"visits\")"
            /// `INC`: adds 1 to the number at `key` and returns it; an absent key becomes 1.
            inc [] (key: impl $crate::ToArg) -> i64 = $crate::cmd::Inc::new(key));
        $crate::__gibson_method!(@$mode ($($doc)*) "dec(\"visits\")"
            /// `DEC`: subtracts 1 from the number at `key` and returns it; an absent key
            /// becomes **1** (a server quirk).
            dec [] (key: impl $crate::ToArg) -> i64 = $crate::cmd::Dec::new(key));
        $crate::__gibson_method!(@$mode ($($doc)*) "lock(\"greeting\", 30)"
            /// `LOCK`: locks `key` for a number of seconds or until unlocked; `false` if
            /// absent, LOCKED if already locked.
            lock [] (key: impl $crate::ToArg, time: impl ::core::convert::Into<$crate::LockTime>)
                -> bool = $crate::cmd::Lock::new(key, time));
        $crate::__gibson_method!(@$mode ($($doc)*) "unlock(\"greeting\")"
            /// `UNLOCK`: unlocks `key`; `false` if absent.
            unlock [] (key: impl $crate::ToArg) -> bool = $crate::cmd::Unlock::new(key));
        $crate::__gibson_method!(@$mode ($($doc)*) "mset(\"user:\", \"0\")"
            /// `MSET`: sets `value` on every existing unlocked key under `prefix`; the number changed.
            mset [] (prefix: impl $crate::ToArg, value: impl $crate::ToArg)
                -> u64 = $crate::cmd::Mset::new(prefix, value));
        $crate::__gibson_method!(@$mode ($($doc)*) "mttl(\"user:\", 600)"
            /// `MTTL`: sets the TTL of every key under `prefix`; the number changed.
            mttl [] (prefix: impl $crate::ToArg, ttl: impl ::core::convert::Into<$crate::Ttl>)
                -> u64 = $crate::cmd::Mttl::new(prefix, ttl));
        $crate::__gibson_method!(@$mode ($($doc)*) "mget::<String, String>(\"user:\")"
            /// `MGET`: every pair under `prefix`, keys as `K`, values as `V`, in the
            /// server's order; empty when nothing matches.
            mget [K: $crate::FromValue, V: $crate::FromValue] (prefix: impl $crate::ToArg)
                -> ::std::vec::Vec<(K, V)> = $crate::cmd::Mget::<_, K, V>::new(prefix));
        $crate::__gibson_method!(@$mode ($($doc)*) "mget_limit::<String, String>(\"user:\", 10)"
            /// `MGET` with a limit: at most `limit` (≥ 1) pairs under `prefix`.
            mget_limit [K: $crate::FromValue, V: $crate::FromValue] (prefix: impl $crate::ToArg, limit: u32)
                -> ::std::vec::Vec<(K, V)> = $crate::cmd::Mget::<_, K, V>::new(prefix).limit(limit));
        $crate::__gibson_method!(@$mode ($($doc)*) "mdel(\"user:\")"
            /// `MDEL`: deletes every unlocked key under `prefix`; the number deleted.
            mdel [] (prefix: impl $crate::ToArg) -> u64 = $crate::cmd::Mdel::new(prefix));
        $crate::__gibson_method!(@$mode ($($doc)*) "minc(\"user:\")"
            /// `MINC`: adds 1 to every unlocked number under `prefix`; the number changed.
            minc [] (prefix: impl $crate::ToArg) -> u64 = $crate::cmd::Minc::new(prefix));
        $crate::__gibson_method!(@$mode ($($doc)*) "mdec(\"user:\")"
            /// `MDEC`: subtracts 1 from every unlocked number under `prefix`; the number changed.
            mdec [] (prefix: impl $crate::ToArg) -> u64 = $crate::cmd::Mdec::new(prefix));
        $crate::__gibson_method!(@$mode ($($doc)*) "mlock(\"user:\", LockTime::UntilUnlock)"
            /// `MLOCK`: locks every unlocked key under `prefix`; the number locked.
            mlock [] (prefix: impl $crate::ToArg, time: impl ::core::convert::Into<$crate::LockTime>)
                -> u64 = $crate::cmd::Mlock::new(prefix, time));
        $crate::__gibson_method!(@$mode ($($doc)*) "munlock(\"user:\")"
            /// `MUNLOCK`: unlocks every key under `prefix`; the number unlocked.
            munlock [] (prefix: impl $crate::ToArg) -> u64 = $crate::cmd::Munlock::new(prefix));
        $crate::__gibson_method!(@$mode ($($doc)*) "count(\"user:\")"
            /// `COUNT`: the number of keys under `prefix` (0 when none).
            count [] (prefix: impl $crate::ToArg) -> u64 = $crate::cmd::Count::new(prefix));
        $crate::__gibson_method!(@$mode ($($doc)*) "stats()"
            /// `STATS`: the server's statistics.
            stats [] () -> $crate::Stats = $crate::cmd::GetStats);
        $crate::__gibson_method!(@$mode ($($doc)*) "ping()"
            /// `PING`: checks the server answers.
            ping [] () -> () = $crate::cmd::Ping);
        $crate::__gibson_method!(@$mode ($($doc)*) "meta(\"greeting\", MetaField::Size)"
            /// `META`: one number about `key` (size, encoding, times, TTL, lock); `None`
            /// if absent.
            meta [] (key: impl $crate::ToArg, field: $crate::MetaField)
                -> ::core::option::Option<i64> = $crate::cmd::Meta::new(key, field));
        $crate::__gibson_method!(@$mode ($($doc)*) "keys::<String>(\"user:\")"
            /// `KEYS`: the names of the keys under `prefix`, as `K`; empty when none.
            keys [K: $crate::FromValue] (prefix: impl $crate::ToArg)
                -> ::std::vec::Vec<K> = $crate::cmd::Keys::<_, K>::new(prefix));
        $crate::__gibson_method!(@$mode ($($doc)*) "end()"
            /// `END`: asks the server to close the connection.
            end [] () -> () = $crate::cmd::End);
    };
}
