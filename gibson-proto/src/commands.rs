//! Every Gibson command as a trait method, so that code can be generic
//! over what runs them: a connection, a pool, or anything with an
//! `execute`. Both traits come from the one command list
//! ([`implement_commands!`](crate::implement_commands)).

use std::future::Future;

use crate::{Command, Error};

/// The commands of an async client: implement [`execute`](AsyncCommands::execute)
/// and every other method comes with it.
///
/// `gibson_tokio::{Connection, Pool}` and `gibson_async_std::{Connection, Pool}`
/// implement it (their inherent methods are the same), so a function can
/// take any of them:
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

    crate::__gibson_command_list!(@async_trait);
}

/// The commands of a blocking client: implement
/// [`execute`](Commands::execute) and every other method comes with it.
///
/// `gibson_blocking::{Connection, Pool}` implement it (their inherent
/// methods are the same).
///
/// ```
/// use gibson_proto::{cmd, Command, Commands, Error, Reply, Value};
///
/// /// A pretend client that answers every request with VAL "42".
/// struct Fake;
/// impl Commands for Fake {
///     fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error> {
///         cmd.encode(&mut bytes::BytesMut::new(), &Default::default())?;
///         C::decode(Reply::Value(Value::from("42")))
///     }
/// }
///
/// fn answer(cache: &mut impl Commands) -> Result<Option<u32>, Error> {
///     cache.get("answer")
/// }
/// assert_eq!(answer(&mut Fake).unwrap(), Some(42));
/// ```
pub trait Commands {
    /// Runs any [`Command`] and returns its typed result.
    fn execute<C: Command>(&mut self, cmd: C) -> Result<C::Output, Error>;

    crate::__gibson_command_list!(@blocking_trait);
}
