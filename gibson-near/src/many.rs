//! A read of many keys at once (`get_multi`): hits from memory, the rest
//! in one pipeline.

use std::time::Instant;

use bytes::Bytes;
use gibson_proto::{cmd, Error, FromValue, Handle, Pipeline, PipelineResults, ToArg, Value};

use crate::near::{Check, Fetching, Near, Read};

/// A read of many keys: what each one needs, in the order of the keys.
#[derive(Debug)]
pub struct ReadMany {
    slots: Vec<Slot>,
}

#[derive(Debug)]
enum Slot {
    Hit(Bytes, Value),
    Fetching(Fetching),
    Plain(Bytes, Handle<Option<Value>>),
    Failed(Error),
}

/// The bytes of each key (or why it has none), for
/// [`Near::checks_for`] and [`Near::read_many`].
pub(crate) fn key_bytes<K: ToArg>(keys: impl IntoIterator<Item = K>) -> Vec<Result<Bytes, Error>> {
    keys.into_iter()
        .map(|k| k.to_arg().map(|k| Bytes::copy_from_slice(&k)))
        .collect()
}

/// The GETs of the version keys of `checks`, for one pipeline.
pub(crate) fn check_commands<'a>(
    checks: &'a [Check<'_>],
) -> impl Iterator<Item = cmd::Get<Bytes, Value>> + 'a {
    checks
        .iter()
        .map(|c| cmd::Get::new(c.version_key().clone()))
}

/// Reports each check's version, as [`check_commands`] read them. A check
/// whose version could not be read is [`failed`](Check::failed): its keys
/// are then read from the server, as without a near cache.
pub(crate) fn report_checks(
    checks: Vec<Check<'_>>,
    versions: Result<Vec<Result<Option<Value>, Error>>, Error>,
) {
    let mut versions = versions.map(Vec::into_iter).ok();
    for check in checks {
        match versions.as_mut().and_then(Iterator::next) {
            Some(Ok(version)) => check.done(version),
            _ => check.failed(),
        }
    }
}

impl Near {
    /// The version checks a read of `keys` needs before it can be planned:
    /// at most one per cached prefix, each claimed (other readers of the
    /// prefix go to the server meanwhile). GET their version keys (one
    /// pipeline) and report each with [`Check::done`].
    pub fn checks_for(&self, keys: &[Result<Bytes, Error>], now: Instant) -> Vec<Check<'_>> {
        let mut checks: Vec<Check<'_>> = Vec::new();
        for key in keys.iter().flatten() {
            if let Some(check) = self.check_due(key, now) {
                if checks
                    .iter()
                    .all(|c| c.version_key() != check.version_key())
                {
                    checks.push(check);
                }
            }
        }
        checks
    }

    /// Plans a read of `keys` (each the bytes of a key, or why it has
    /// none): hits are answered now; every other key adds its commands to
    /// `pipeline`, to run once and hand to [`ReadMany::finish`].
    pub fn read_many(
        &self,
        keys: Vec<Result<Bytes, Error>>,
        now: Instant,
        pipeline: &mut Pipeline,
    ) -> ReadMany {
        let slots = keys
            .into_iter()
            .map(|key| {
                let key = match key {
                    Ok(key) => key,
                    Err(e) => return Slot::Failed(e),
                };
                match self.read(&key, now) {
                    Read::Hit(value) => Slot::Hit(key, value),
                    Read::Fetch(fetch) => Slot::Fetching(self.fetch(fetch, key, pipeline)),
                    // A check due since `checks_for` (or claimed by another
                    // reader): this time, read from the server.
                    Read::Check(_) | Read::Bypass | Read::Pass => {
                        let get = pipeline.add(cmd::Get::<_, Value>::new(key.clone()));
                        Slot::Plain(key, get)
                    }
                }
            })
            .collect();
        ReadMany { slots }
    }
}

impl ReadMany {
    /// Nothing to send: every key was a hit (or had no key).
    pub fn is_answered(&self) -> bool {
        self.slots
            .iter()
            .all(|s| matches!(s, Slot::Hit(..) | Slot::Failed(_)))
    }

    /// Each key's value, `None` if absent, in the order of the keys, from
    /// memory or from `results` (the pipeline's, `None` if nothing was
    /// sent); keeps what was fetched.
    pub fn finish<V: FromValue>(
        self,
        near: &Near,
        mut results: Option<&mut PipelineResults>,
    ) -> Vec<Result<Option<V>, Error>> {
        self.slots
            .into_iter()
            .map(|slot| {
                let (key, value) = match slot {
                    Slot::Failed(e) => return Err(e),
                    Slot::Hit(key, value) => (key, Some(value)),
                    Slot::Plain(key, get) => match results.as_deref_mut() {
                        Some(results) => (key, results.take(get)?),
                        None => return Err(unsent()),
                    },
                    Slot::Fetching(fetching) => match results.as_deref_mut() {
                        Some(results) => {
                            let key = fetching.key().clone();
                            (key, near.fetched_value(fetching, results)?)
                        }
                        None => return Err(unsent()),
                    },
                };
                match value {
                    Some(value) => V::from_stored(value, Some(&key)),
                    None => Ok(None),
                }
            })
            .collect()
    }
}

/// A key that needed the server, finished without the pipeline's results
/// (a caller's mistake, never the server's).
fn unsent() -> Error {
    Error::invalid(
        "results",
        "a read of many keys needed the server and was finished without its pipeline's results",
    )
}
