//! [`Lenient`]: a stored value that does not decode reads as a miss.

use gibson_proto::{Error, FromValue, ToArg, Value};

/// The counter (`metrics` feature) of stored values that [`Lenient`] read
/// as a miss, labelled `db.system.name` and `gibson.codec` (the codec's
/// name, or `conversion` for a plain type such as `u64`).
pub const UNDECODABLE_METRIC: &str = "gibson.client.undecodable";

/// A value whose stored bytes, when they do not decode as `V`, read as a
/// miss instead of an error: after a deploy that changed a type, the
/// items written by the old code are recomputed instead of failing every
/// read (version skew). Wrap any value type in it: `Lenient<Json<User>>`,
/// `Lenient<Postcard<User>>`, `Lenient<u64>`, `Lenient<Compressed<Json<User>>>`.
///
/// * GET answers `None`, as for an absent key;
/// * MGET (and a namespace's) leaves that pair out and returns the others;
/// * each such value is logged at WARN with its key (target `gibson`,
///   `tracing` feature) and counted ([`UNDECODABLE_METRIC`], `metrics`
///   feature). A GET in a pipeline is read as a miss too, but its log
///   line cannot name the key (a pipeline decodes by type alone).
///
/// Only a value that does not decode (an [`Error::Decode`] or
/// [`Error::Conversion`]) is a miss; any other error stays an error.
/// Writing through `Lenient` writes `V` as it is. The prefix streams
/// (`mget_stream`) read each pair strictly: such a value fails the stream
/// there.
///
/// ```
/// use gibson_policy::Lenient;
/// use gibson_proto::{cmd, Command, FromValue, Reply, Value};
///
/// // A GET of a value that is not a number: a miss, not an error.
/// let get = cmd::Get::<_, Lenient<u64>>::new("visits");
/// assert_eq!(get.decode_reply(Reply::Value(Value::from("many")))?, None);
/// assert_eq!(get.decode_reply(Reply::Value(Value::from("12")))?.map(Lenient::into_inner), Some(12));
/// // Outside a read (from_value), it is as strict as `V`.
/// assert!(Lenient::<u64>::from_value(Value::from("many")).is_err());
/// // A stored value read by GET or MGET that does not convert: a miss.
/// assert_eq!(Lenient::<u8>::from_stored(Value::from("x"), Some(b"k"))?, None);
/// # Ok::<(), gibson_proto::Error>(())
/// ```
///
/// With a serde codec (feature `json`):
///
/// ```
/// # #[cfg(feature = "json")] {
/// use gibson_policy::{Json, Lenient};
/// use gibson_proto::{cmd, Command, Reply, Value};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct User { name: String, age: u32 }
///
/// // Written by an older release, without `age`.
/// let old = Reply::Value(Value::from(r#"{"name":"ada"}"#));
/// let get = cmd::Get::<_, Lenient<Json<User>>>::new("user:1");
/// assert_eq!(get.decode_reply(old)?, None);
/// # }
/// # Ok::<(), gibson_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Lenient<V>(pub V);

impl<V> Lenient<V> {
    /// The value inside.
    pub fn into_inner(self) -> V {
        self.0
    }
}

impl<V: ToArg> ToArg for Lenient<V> {
    fn to_arg(&self) -> Result<gibson_proto::ArgBytes<'_>, Error> {
        self.0.to_arg()
    }

    fn append_to(&self, dst: &mut bytes::BytesMut) -> Result<(), Error> {
        self.0.append_to(dst)
    }

    fn len_hint(&self) -> Option<usize> {
        self.0.len_hint()
    }
}

impl<V: FromValue> FromValue for Lenient<V> {
    fn from_value(value: Value) -> Result<Self, Error> {
        V::from_value(value).map(Lenient)
    }

    fn from_stored(value: Value, key: Option<&[u8]>) -> Result<Option<Self>, Error> {
        match V::from_stored(value, key) {
            Ok(v) => Ok(v.map(Lenient)),
            Err(e @ (Error::Decode { .. } | Error::Conversion { .. })) => {
                undecodable(key, &key.map_or(e.clone(), |k| e.for_key(k)));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// Logs and counts a stored value read as a miss.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
fn undecodable(key: Option<&[u8]>, error: &Error) {
    #[cfg(feature = "metrics")]
    {
        let codec = match error {
            Error::Decode { codec, .. } => *codec,
            _ => "conversion",
        };
        metrics::counter!(
            UNDECODABLE_METRIC,
            "db.system.name" => "gibson",
            "gibson.codec" => codec
        )
        .increment(1);
    }
    #[cfg(feature = "tracing")]
    {
        let key = key.map(gibson_proto::escape);
        tracing::warn!(
            target: "gibson",
            key = key.as_deref().unwrap_or("(in a pipeline)"),
            error = %error,
            "a stored value does not decode: read as a miss"
        );
    }
}
