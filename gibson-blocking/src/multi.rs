//! Many commands in one call, as pylibmc users know them: `execute_multi`,
//! `get_multi`, `set_multi` and `delete_multi`, written once for every
//! blocking client that has `pipeline()` and `run(pipeline)`: one pipelined
//! round trip (on a [`Sharded`](crate::Sharded) client, one per server).
//! The same calls, with the same types, as `gibson_proto::AsyncCommands`'
//! for the async clients.

/// The multi-key methods of a client type named `$ty` (for the doc
/// examples), inside its `impl`.
macro_rules! multi_methods {
    ($ty:literal) => {
        /// Runs every command of `cmds` in one pipeline (one round trip per
        /// server) and returns each one's result, in order: one failed
        /// command never hides the others' results. `Err` only when the
        /// pipeline could not run at all.
        ///
        /// ```no_run
        #[doc = concat!("# fn demo(c: &mut gibson_blocking::", $ty, ") -> Result<(), gibson_blocking::Error> {")]
        /// use gibson_blocking::cmd;
        /// let incs = ["home", "about"].map(|page| cmd::Inc::new(format!("hits:{page}")));
        /// let hits: Vec<i64> = c.execute_multi(incs)?.into_iter().collect::<Result<_, _>>()?;
        /// # Ok(()) }
        /// ```
        pub fn execute_multi<C: gibson_proto::Command>(
            &mut self,
            cmds: impl IntoIterator<Item = C>,
        ) -> Result<Vec<Result<C::Output, gibson_proto::Error>>, gibson_proto::Error> {
            let mut p = self.pipeline();
            let handles: Vec<_> = cmds.into_iter().map(|c| p.add(c)).collect();
            let mut results = self.run(p)?;
            Ok(handles.into_iter().map(|h| results.take(h)).collect())
        }

        /// GETs every key in one pipeline (pylibmc's `get_multi`): each
        /// key's value, `None` if absent, in the order of `keys`.
        ///
        /// ```no_run
        #[doc = concat!("# fn demo(c: &mut gibson_blocking::", $ty, ") -> Result<(), gibson_blocking::Error> {")]
        /// for value in c.get_multi::<_, String>(["user:1", "user:2"])? {
        ///     println!("{:?}", value?);
        /// }
        /// # Ok(()) }
        /// ```
        pub fn get_multi<K: gibson_proto::ToArg, V: gibson_proto::FromValue>(
            &mut self,
            keys: impl IntoIterator<Item = K>,
        ) -> Result<Vec<Result<Option<V>, gibson_proto::Error>>, gibson_proto::Error> {
            self.execute_multi(keys.into_iter().map(gibson_proto::cmd::Get::<K, V>::new))
        }

        /// SETs every pair with one TTL in one pipeline (pylibmc's
        /// `set_multi`): each SET's result, in order.
        ///
        /// ```no_run
        #[doc = concat!("# fn demo(c: &mut gibson_blocking::", $ty, ") -> Result<(), gibson_blocking::Error> {")]
        /// use gibson_blocking::Ttl;
        /// let stored = c.set_multi([("a", "1"), ("b", "2")], Ttl::Seconds(60))?;
        /// assert!(stored.iter().all(Result::is_ok));
        /// # Ok(()) }
        /// ```
        pub fn set_multi<K: gibson_proto::ToArg, V: gibson_proto::ToArg>(
            &mut self,
            pairs: impl IntoIterator<Item = (K, V)>,
            ttl: gibson_proto::Ttl,
        ) -> Result<Vec<Result<gibson_proto::Value, gibson_proto::Error>>, gibson_proto::Error>
        {
            self.execute_multi(
                pairs
                    .into_iter()
                    .map(move |(k, v)| gibson_proto::cmd::Set::new(k, v, ttl)),
            )
        }

        /// DELs every key in one pipeline (pylibmc's `delete_multi`): for
        /// each key, whether it existed, in order.
        ///
        /// ```no_run
        #[doc = concat!("# fn demo(c: &mut gibson_blocking::", $ty, ") -> Result<(), gibson_blocking::Error> {")]
        /// let existed = c.delete_multi(["a", "b"])?;
        /// # Ok(()) }
        /// ```
        pub fn delete_multi<K: gibson_proto::ToArg>(
            &mut self,
            keys: impl IntoIterator<Item = K>,
        ) -> Result<Vec<Result<bool, gibson_proto::Error>>, gibson_proto::Error> {
            self.execute_multi(keys.into_iter().map(gibson_proto::cmd::Del::new))
        }
    };
}

pub(crate) use multi_methods;
