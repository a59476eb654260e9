//! The prefix methods every async client has (`mget_stream`,
//! `keys_stream`, `namespace`), written once.

/// Expands, inside `impl … for $ty`, the methods that read any number of
/// keys under a prefix (on the servers `$servers` names, with `$this` the
/// client) and make namespaces.
macro_rules! prefix_methods {
    ($ty:literal, |$this:ident| $servers:expr) => {
        /// Every pair under `prefix`, however many (server after server
        /// on a sharded client), read a page at a time on a connection of
        /// the scan's own: see [`PrefixScan`](crate::PrefixScan).
        ///
        /// ```no_run
        #[doc = concat!("# async fn demo(c: gibson_async::", $ty, "<impl gibson_async::Runtime>) -> Result<(), gibson_proto::Error> {")]
        /// let mut scan = c.mget_stream::<String, String>("log:")?;
        /// while let Some(pair) = scan.next().await {
        ///     let (key, value) = pair?;
        /// }
        /// # Ok(()) }
        /// ```
        pub fn mget_stream<K: gibson_proto::FromValue, V: gibson_proto::FromValue>(
            &self,
            prefix: impl AsRef<[u8]>,
        ) -> Result<crate::PrefixScan<R, (K, V)>, gibson_proto::Error> {
            let $this = self;
            let state = gibson_policy::scan::ScanState::pairs($servers, prefix.as_ref())?;
            Ok(crate::PrefixScan::new(state))
        }

        /// Every key name under `prefix`, however many, a page at a time:
        /// see [`PrefixScan`](crate::PrefixScan).
        pub fn keys_stream<K: gibson_proto::FromValue>(
            &self,
            prefix: impl AsRef<[u8]>,
        ) -> Result<crate::PrefixScan<R, K>, gibson_proto::Error> {
            let $this = self;
            let state = gibson_policy::scan::ScanState::names($servers, prefix.as_ref())?;
            Ok(crate::PrefixScan::new(state))
        }

        /// A handle on the keys under `prefix` (which must end with `:`),
        /// with every command taking keys relative to it: see
        /// [`Namespace`](crate::Namespace).
        ///
        /// ```no_run
        /// # use gibson_proto::{AsyncCommands, Error, Ttl};
        #[doc = concat!("# async fn demo(c: gibson_async::", $ty, "<impl gibson_async::Runtime>) -> Result<(), Error> {")]
        /// let user = c.namespace("user:42:")?;
        /// user.set("name", "ada", Ttl::Never).await?;
        /// # Ok(()) }
        /// ```
        pub fn namespace(
            &self,
            prefix: impl AsRef<[u8]>,
        ) -> Result<crate::Namespace<&Self>, gibson_proto::Error> {
            crate::Namespace::new(self, prefix)
        }
    };
}

pub(crate) use prefix_methods;
