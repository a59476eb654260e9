//! Many keys in one call, as pylibmc users know them: `get_multi`,
//! `set_multi` and `delete_multi`, written once for every client that has
//! `pipeline()` and `run(pipeline)` (one pipelined round trip; on a
//! [`Sharded`](crate::Sharded) client, one per server).

use gibson_proto::{Error, Handle, PipelineResults};

/// Each handle's result, in order; when the pipeline could not run at all,
/// its error for every one.
pub(crate) fn take_all<O>(
    results: Result<PipelineResults, Error>,
    handles: Vec<Handle<O>>,
) -> Vec<Result<O, Error>> {
    match results {
        Ok(mut results) => handles.into_iter().map(|h| results.take(h)).collect(),
        Err(e) => handles.iter().map(|_| Err(e.clone())).collect(),
    }
}

/// The multi-key methods of a client type named `$ty` (for the doc
/// examples), inside its `impl`.
macro_rules! multi_methods {
    ($ty:literal) => {
        /// GETs every key of `keys` in one pipeline and returns one result
        /// per key, in order: the value (`None` if absent) or that key's
        /// own error. One failed key never hides the others.
        ///
        /// ```no_run
        #[doc = concat!("# fn demo(c: &mut gibson_blocking::", $ty, ") {")]
        /// let values = c.get_multi::<String>(["user:1", "user:2"]);
        /// for value in values {
        ///     println!("{:?}", value);
        /// }
        /// # }
        /// ```
        pub fn get_multi<V: gibson_proto::FromValue>(
            &mut self,
            keys: impl IntoIterator<Item = impl gibson_proto::ToArg>,
        ) -> Vec<Result<Option<V>, gibson_proto::Error>> {
            let mut p = self.pipeline();
            let handles: Vec<_> = keys.into_iter().map(|k| p.get::<V>(k)).collect();
            $crate::multi::take_all(self.run(p), handles)
        }

        /// SETs every `(key, value)` of `pairs` with the same `ttl` in one
        /// pipeline; one result per pair, in order.
        ///
        /// ```no_run
        #[doc = concat!("# fn demo(c: &mut gibson_blocking::", $ty, ") {")]
        /// use gibson_blocking::Ttl;
        /// let done = c.set_multi([("user:1", "ada"), ("user:2", "grace")], Ttl::Seconds(60));
        /// assert!(done.iter().all(Result::is_ok));
        /// # }
        /// ```
        pub fn set_multi<K: gibson_proto::ToArg, V: gibson_proto::ToArg>(
            &mut self,
            pairs: impl IntoIterator<Item = (K, V)>,
            ttl: gibson_proto::Ttl,
        ) -> Vec<Result<(), gibson_proto::Error>> {
            let mut p = self.pipeline();
            let handles: Vec<_> = pairs.into_iter().map(|(k, v)| p.set(k, v, ttl)).collect();
            $crate::multi::take_all(self.run(p), handles)
                .into_iter()
                .map(|r| r.map(drop))
                .collect()
        }

        /// DELs every key of `keys` in one pipeline; one result per key, in
        /// order: `false` for a key that was absent.
        ///
        /// ```no_run
        #[doc = concat!("# fn demo(c: &mut gibson_blocking::", $ty, ") {")]
        /// let deleted = c.delete_multi(["user:1", "user:2"]);
        /// # }
        /// ```
        pub fn delete_multi(
            &mut self,
            keys: impl IntoIterator<Item = impl gibson_proto::ToArg>,
        ) -> Vec<Result<bool, gibson_proto::Error>> {
            let mut p = self.pipeline();
            let handles: Vec<_> = keys.into_iter().map(|k| p.del(k)).collect();
            $crate::multi::take_all(self.run(p), handles)
        }
    };
}

pub(crate) use multi_methods;
