//! The command list, written once and expanded into methods for every
//! runtime crate by [`implement_commands!`](crate::implement_commands),
//! into the [`AsyncCommands`](crate::AsyncCommands) and
//! [`Commands`](crate::Commands) traits, and (through a callback, below)
//! into the `gibson` command-line tool's parser, help and dispatch.
//!
//! One entry of `__gibson_command_list!`, one per method:
//!
//! ```text
//! "example call" /// docs
//! name [generics] (params) -> Output = typed command built from the params
//!     , cli { Variant(arg: kind, …) prints how "help" }   // optional
//!     ;
//! ```
//!
//! The `cli` clause is how the command-line tool offers the method, in
//! the protocol's argument order (`docs/protocol.md`): `Variant` is the [`Opcode`](crate::Opcode)
//! variant (also the command's name), each `arg` is one of the method's
//! params read as a `kind` (`word`, `rest` of the line, `ttl`, lock
//! `seconds`, meta `field`, `limit`), a last `[arg: kind => other]` is
//! optional and, when given, calls the method `other` with it appended;
//! `how` names the function that turns the result into printed output, and
//! the help is one line for usage messages. Every opcode has exactly one
//! `cli` clause (the tool does not build otherwise). The clause is plain
//! tokens: this crate gives them no meaning and needs nothing of the tool's.
//!
//! `__gibson_command_list!([path::to::callback] lead…)` expands to
//! `path::to::callback! { lead… entry; entry; … }`.

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
/// Adding `, "my_crate", "MyType"` (a crate whose names the example imports
/// with a glob: one that re-exports the proto types, and the type of the
/// example's receiver, which may be a path or `Generic<impl Trait>`) gives
/// every method a compiled doc example. The example's shown line is the
/// call alone, so the same text fits every crate that re-exports the type.
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

/// Expands every entry of the list into a method of one mode, passing the
/// `cli` clauses by.
#[doc(hidden)]
#[macro_export]
macro_rules! __gibson_methods {
    (@$mode:ident $docs:tt $(
        $ex:literal $(#[$m:meta])* $name:ident [$($g:tt)*] ($($a:ident : $t:ty),*) -> $out:ty = $cmd:expr
        $(, cli $cli:tt)?;
    )*) => {
        $($crate::__gibson_method!(@$mode $docs $ex $(#[$m])* $name [$($g)*] ($($a: $t),*) -> $out = $cmd);)*
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
    // The method modes of `implement_commands!` and of the two traits.
    (@$mode:ident $($doc:literal)*) => {
        $crate::__gibson_command_list!([$crate::__gibson_methods] @$mode ($($doc)*));
    };
    // Hands the whole list to `callback!`, after the tokens `lead`.
    ([$($callback:tt)*] $($lead:tt)*) => {
        $($callback)*! { $($lead)*
            "set(\"greeting\", \"hello\", Ttl::Seconds(60))"
            /// `SET`: stores `value` under `key` with a TTL (`Ttl::Never` or
            /// seconds); returns the value the server stored. LOCKED if the key is locked.
            set [] (key: impl $crate::ToArg, value: impl $crate::ToArg, ttl: impl ::core::convert::Into<$crate::Ttl>)
                -> $crate::Value = $crate::cmd::Set::new(key, value, ttl),
                cli { Set(ttl: ttl, key: word, value: rest) prints value
                    "store value (the rest of the line); ttl 0 or never: no expiry" };
            "ttl(\"greeting\", Ttl::Never)"
            /// `TTL`: sets `key`'s TTL and restarts its clock; `false` if the key is absent.
            ttl [] (key: impl $crate::ToArg, ttl: impl ::core::convert::Into<$crate::Ttl>)
                -> bool = $crate::cmd::SetTtl::new(key, ttl),
                cli { Ttl(key: word, ttl: ttl) prints found
                    "set key's TTL in seconds; 0 or never: no expiry" };
            "get::<String>(\"greeting\")"
            /// `GET`: the value of `key` converted to `T` (`Bytes`, `String`, integers, …);
            /// `None` if absent.
            get [T: $crate::FromValue] (key: impl $crate::ToArg)
                -> ::core::option::Option<T> = $crate::cmd::Get::<_, T>::new(key),
                cli { Get(key: word) prints value_or_nil "the value of key, (nil) if absent" };
            "del(\"greeting\")"
            /// `DEL`: deletes `key`; `false` if absent, LOCKED if locked.
            del [] (key: impl $crate::ToArg) -> bool = $crate::cmd::Del::new(key),
                cli { Del(key: word) prints found "delete key" };
            "inc(\"visits\")"
            /// `INC`: adds 1 to the number at `key` and returns it; an absent key becomes 1.
            inc [] (key: impl $crate::ToArg) -> i64 = $crate::cmd::Inc::new(key),
                cli { Inc(key: word) prints int "add 1 to the number at key (absent: becomes 1)" };
            "dec(\"visits\")"
            /// `DEC`: subtracts 1 from the number at `key` and returns it; an absent key
            /// becomes **1** (a server quirk).
            dec [] (key: impl $crate::ToArg) -> i64 = $crate::cmd::Dec::new(key),
                cli { Dec(key: word) prints int
                    "subtract 1 from the number at key (absent: becomes 1)" };
            "lock(\"greeting\", 30)"
            /// `LOCK`: locks `key` for a number of seconds or until unlocked; `false` if
            /// absent, LOCKED if already locked.
            lock [] (key: impl $crate::ToArg, time: impl ::core::convert::Into<$crate::LockTime>)
                -> bool = $crate::cmd::Lock::new(key, time),
                cli { Lock(key: word, time: seconds) prints found
                    "lock key for seconds; -1: until UNLOCK" };
            "unlock(\"greeting\")"
            /// `UNLOCK`: unlocks `key`; `false` if absent.
            unlock [] (key: impl $crate::ToArg) -> bool = $crate::cmd::Unlock::new(key),
                cli { Unlock(key: word) prints found "unlock key" };
            "mset(\"user:\", \"0\")"
            /// `MSET`: sets `value` on every existing unlocked key under `prefix`; the number changed.
            mset [] (prefix: impl $crate::ToArg, value: impl $crate::ToArg)
                -> u64 = $crate::cmd::Mset::new(prefix, value),
                cli { Mset(prefix: word, value: rest) prints count
                    "set value on every existing key under prefix" };
            "mttl(\"user:\", Ttl::Seconds(600))"
            /// `MTTL`: sets the TTL of every key under `prefix`; the number changed.
            mttl [] (prefix: impl $crate::ToArg, ttl: impl ::core::convert::Into<$crate::Ttl>)
                -> u64 = $crate::cmd::Mttl::new(prefix, ttl),
                cli { Mttl(prefix: word, ttl: ttl) prints count
                    "set the TTL of every key under prefix" };
            "mget::<String, String>(\"user:\")"
            /// `MGET`: every pair under `prefix`, keys as `K`, values as `V`, in the
            /// server's order; empty when nothing matches.
            mget [K: $crate::FromValue, V: $crate::FromValue] (prefix: impl $crate::ToArg)
                -> ::std::vec::Vec<(K, V)> = $crate::cmd::Mget::<_, K, V>::new(prefix),
                cli { Mget(prefix: word, [limit: limit => mget_limit]) prints pairs
                    "key/value pairs under prefix, at most limit (>= 1)" };
            "mget_limit::<String, String>(\"user:\", 10)"
            /// `MGET` with a limit: at most `limit` (≥ 1) pairs under `prefix`.
            mget_limit [K: $crate::FromValue, V: $crate::FromValue] (prefix: impl $crate::ToArg, limit: u32)
                -> ::std::vec::Vec<(K, V)> = $crate::cmd::Mget::<_, K, V>::new(prefix).limit(limit);
            "mdel(\"user:\")"
            /// `MDEL`: deletes every unlocked key under `prefix`; the number deleted.
            mdel [] (prefix: impl $crate::ToArg) -> u64 = $crate::cmd::Mdel::new(prefix),
                cli { Mdel(prefix: word) prints count "delete every unlocked key under prefix" };
            "minc(\"user:\")"
            /// `MINC`: adds 1 to every unlocked number under `prefix`; the number changed.
            minc [] (prefix: impl $crate::ToArg) -> u64 = $crate::cmd::Minc::new(prefix),
                cli { Minc(prefix: word) prints count "add 1 to every number under prefix" };
            "mdec(\"user:\")"
            /// `MDEC`: subtracts 1 from every unlocked number under `prefix`; the number changed.
            mdec [] (prefix: impl $crate::ToArg) -> u64 = $crate::cmd::Mdec::new(prefix),
                cli { Mdec(prefix: word) prints count "subtract 1 from every number under prefix" };
            "mlock(\"user:\", LockTime::UntilUnlock)"
            /// `MLOCK`: locks every unlocked key under `prefix`; the number locked.
            mlock [] (prefix: impl $crate::ToArg, time: impl ::core::convert::Into<$crate::LockTime>)
                -> u64 = $crate::cmd::Mlock::new(prefix, time),
                cli { Mlock(prefix: word, time: seconds) prints count
                    "lock every key under prefix; -1: until UNLOCK" };
            "munlock(\"user:\")"
            /// `MUNLOCK`: unlocks every key under `prefix`; the number unlocked.
            munlock [] (prefix: impl $crate::ToArg) -> u64 = $crate::cmd::Munlock::new(prefix),
                cli { Munlock(prefix: word) prints count "unlock every key under prefix" };
            "count(\"user:\")"
            /// `COUNT`: the number of keys under `prefix` (0 when none).
            count [] (prefix: impl $crate::ToArg) -> u64 = $crate::cmd::Count::new(prefix),
                cli { Count(prefix: word) prints count "number of keys under prefix" };
            "stats()"
            /// `STATS`: the server's statistics.
            stats [] () -> $crate::Stats = $crate::cmd::GetStats,
                cli { Stats prints stats "server statistics" };
            "ping()"
            /// `PING`: checks the server answers.
            ping [] () -> () = $crate::cmd::Ping,
                cli { Ping prints ok "check the server answers" };
            "meta(\"greeting\", MetaField::Size)"
            /// `META`: one number about `key` (size, encoding, times, TTL, lock); `None`
            /// if absent.
            meta [] (key: impl $crate::ToArg, field: $crate::MetaField)
                -> ::core::option::Option<i64> = $crate::cmd::Meta::new(key, field),
                cli { Meta(key: word, field: field) prints int_or_nil
                    "size|encoding|access|created|ttl|left|lock of key" };
            "keys::<String>(\"user:\")"
            /// `KEYS`: the names of the keys under `prefix`, as `K`; empty when none.
            keys [K: $crate::FromValue] (prefix: impl $crate::ToArg)
                -> ::std::vec::Vec<K> = $crate::cmd::Keys::<_, K>::new(prefix),
                cli { Keys(prefix: word) prints keys "names of the keys under prefix" };
            "end()"
            /// `END`: asks the server to close the connection.
            end [] () -> () = $crate::cmd::End,
                cli { End prints ok "ask the server to close the connection" };
        }
    };
}
