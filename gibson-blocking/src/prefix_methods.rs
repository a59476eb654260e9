//! The prefix methods of the blocking clients (`mget_stream`,
//! `keys_stream`, `namespace`), written once.

/// Expands, inside `impl $ty`, the methods that read any number of keys
/// under a prefix (on the servers `$servers` names, with `$this` the
/// client) and make namespaces.
macro_rules! prefix_methods {
    ($ty:literal, |$this:ident| $servers:expr) => {
        /// Every pair under `prefix`, however many (server after server
        /// on a sharded client), read a page at a time on a connection of
        /// the scan's own: see [`PrefixScan`](crate::PrefixScan).
        ///
        /// ```no_run
        #[doc = concat!("# fn demo(c: &gibson_blocking::", $ty, ") -> Result<(), gibson_blocking::Error> {")]
        /// for pair in c.mget_stream::<String, String>("log:")? {
        ///     let (key, value) = pair?;
        /// }
        /// # Ok(()) }
        /// ```
        pub fn mget_stream<K: gibson_proto::FromValue, V: gibson_proto::FromValue>(
            &self,
            prefix: impl AsRef<[u8]>,
        ) -> Result<crate::PrefixScan<(K, V)>, gibson_proto::Error> {
            let $this = self;
            let state = gibson_policy::scan::ScanState::pairs($servers, prefix.as_ref())?;
            Ok(crate::PrefixScan::new(state))
        }

        /// Every key name under `prefix`, however many, a page at a time:
        /// see [`PrefixScan`](crate::PrefixScan).
        pub fn keys_stream<K: gibson_proto::FromValue>(
            &self,
            prefix: impl AsRef<[u8]>,
        ) -> Result<crate::PrefixScan<K>, gibson_proto::Error> {
            let $this = self;
            let state = gibson_policy::scan::ScanState::names($servers, prefix.as_ref())?;
            Ok(crate::PrefixScan::new(state))
        }

        /// A handle on the keys under `prefix` (which must end with `:`),
        /// with every command taking keys relative to it: see
        /// [`Namespace`](crate::Namespace).
        ///
        /// ```no_run
        #[doc = concat!("# fn demo(c: &mut gibson_blocking::", $ty, ") -> Result<(), gibson_blocking::Error> {")]
        /// use gibson_blocking::Commands;
        /// let mut user = c.namespace("user:42:")?;
        /// user.set("name", "ada", gibson_blocking::Ttl::Never)?;
        /// # Ok(()) }
        /// ```
        pub fn namespace(
            &mut self,
            prefix: impl AsRef<[u8]>,
        ) -> Result<crate::Namespace<&mut Self>, gibson_proto::Error> {
            crate::Namespace::new(self, prefix)
        }
    };
}

pub(crate) use prefix_methods;
