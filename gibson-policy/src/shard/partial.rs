//! The result of a fan-out some servers could not take part in.

use gibson_proto::Error;

/// What to do with a fan-out when a server could not answer.
///
/// ```
/// use gibson_policy::shard::OnMissing;
/// assert_eq!(OnMissing::default(), OnMissing::Fail);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OnMissing {
    /// The fan-out fails with the first missing server's error (the safe
    /// default: a COUNT or an MGET never silently leaves a server out).
    #[default]
    Fail,
    /// The fan-out answers with the merged result of the servers that
    /// answered.
    Partial,
}

/// The merged result of the servers that answered a fan-out, and the
/// servers that did not.
///
/// A server is *missing* when its outcome was an `Err` (a transport
/// failure, a timeout, a protocol violation, or a server the client knows
/// to be dead): nothing is known of its part. A server that answered with
/// an error code (ERR, MEM, …) answered; that error code takes part in the
/// merge.
///
/// ```
/// use std::time::Duration;
/// use gibson_policy::shard::{OnMissing, Partial};
/// use gibson_proto::Error;
///
/// let dead = Error::Timeout { what: "response", after: Duration::from_secs(1) };
/// let p = Partial { value: Ok(7u64), missing: vec![(2, dead)] };
/// assert!(!p.is_complete());
/// assert!(p.clone().resolve(OnMissing::Fail).unwrap_err().is_timeout());
/// assert_eq!(p.resolve(OnMissing::Partial).unwrap(), 7);
/// ```
#[derive(Debug, Clone)]
pub struct Partial<T> {
    /// The merged result of the servers that answered; when none did, the
    /// first missing server's error.
    pub value: Result<T, Error>,
    /// The servers that could not answer: their index in the ring and
    /// their error, in index order.
    pub missing: Vec<(usize, Error)>,
}

impl<T> Partial<T> {
    /// A result every server took part in.
    pub fn complete(value: Result<T, Error>) -> Partial<T> {
        Partial {
            value,
            missing: Vec::new(),
        }
    }

    /// `true` when no server is missing.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// The indexes of the missing servers.
    pub fn missing_servers(&self) -> impl Iterator<Item = usize> + '_ {
        self.missing.iter().map(|(index, _)| *index)
    }

    /// The result as `on_missing` wants it: with [`OnMissing::Fail`], the
    /// first missing server's error if any is missing; otherwise the merged
    /// value.
    pub fn resolve(self, on_missing: OnMissing) -> Result<T, Error> {
        match (on_missing, self.missing.into_iter().next()) {
            (OnMissing::Fail, Some((_, err))) => Err(err),
            _ => self.value,
        }
    }

    /// Applies `f` to the merged value (e.g. a command's `decode`), keeping
    /// the missing servers.
    ///
    /// ```
    /// use gibson_proto::{cmd, Command, Reply, Value};
    /// use gibson_policy::shard::Partial;
    ///
    /// let merged = Partial::complete(Ok(Reply::Value(Value::Int(5))));
    /// let typed = merged.and_then(<cmd::Count<&str>>::decode);
    /// assert_eq!(typed.value.unwrap(), 5);
    /// ```
    pub fn and_then<U>(self, f: impl FnOnce(T) -> Result<U, Error>) -> Partial<U> {
        Partial {
            value: self.value.and_then(f),
            missing: self.missing,
        }
    }
}
