//! Typed values through serde: [`Json`], `Postcard` and `MsgPack` wrap
//! a value wherever one goes in ([`ToArg`]) or comes out ([`FromValue`]),
//! each behind the cargo feature of its codec (`json`, `postcard`,
//! `msgpack`).
//!
//! A value is encoded once, into the bytes the request carries, and decoded
//! straight from the reply's bytes. One that does not decode is an
//! [`Error::Decode`] naming the codec, the type, the codec's message and,
//! for GET and MGET, the key; the reply was read whole, so the connection
//! goes on.
//!
//! Each wrapper also names its codec where a type is wanted (its parameter
//! defaults to `()`): `Json` alone is the JSON [`Codec`].

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use serde::de::DeserializeOwned;
use serde::Serialize;

use gibson_proto::{ArgBytes, Error, FromValue, ToArg, Ttl, Value};

/// A serde format that stores values in Gibson. Each wrapper is one
/// ([`Json`], `Postcard`, `MsgPack`; the parameter does not matter), so
/// code generic over the codec (such as a `CacheStore`) takes `F: Codec`.
///
/// ```
/// # #[cfg(feature = "json")] {
/// use gibson_policy::{Codec, Json};
/// use gibson_proto::{Error, Value};
///
/// fn round_trip<F: Codec>(n: &[u32]) -> Result<Vec<u32>, Error> {
///     let bytes = F::encode(n)?;
///     F::decode(&Value::from(bytes::Bytes::from(bytes)))
/// }
/// assert_eq!(round_trip::<Json>(&[1, 2])?, [1, 2]);
/// assert!(matches!(<Json>::decode::<u32>(&Value::from("x")), Err(Error::Decode { key: None, .. })));
/// # }
/// # Ok::<(), gibson_proto::Error>(())
/// ```
pub trait Codec {
    /// The format's name, for error messages.
    const NAME: &'static str;

    /// Serializes `value`, or the codec's message.
    fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String>;

    /// Serializes `value` at the end of `dst` (a request being encoded),
    /// or the codec's message; what it wrote before failing may stay.
    fn append<T: Serialize + ?Sized>(value: &T, dst: &mut BytesMut) -> Result<(), String>;

    /// Deserializes `bytes`, or the codec's message.
    fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String>;

    /// `value` encoded for a request; [`Error::InvalidArgument`] (nothing is
    /// sent) when the codec refuses it.
    fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
        Self::to_vec(value).map_err(|e| not_encodable(Self::NAME, e))
    }

    /// A reply value decoded as `T` (a NUMBER from its decimal text); an
    /// [`Error::Decode`] without a key when it does not decode.
    fn decode<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
        let decoded = match value {
            Value::Bytes(b) => Self::from_slice(b),
            Value::Int(n) => Self::from_slice(n.to_string().as_bytes()),
        };
        decoded.map_err(|reason| Error::Decode {
            key: None,
            codec: Self::NAME,
            target: std::any::type_name::<T>(),
            reason,
        })
    }
}

/// The error for a value `codec` refuses to encode.
fn not_encodable(codec: &str, reason: String) -> Error {
    Error::invalid("value", format!("cannot be encoded as {codec}: {reason}"))
}

/// `dst` as the `Extend<u8>` postcard writes into.
#[cfg(feature = "postcard")]
struct Extender<'a>(&'a mut BytesMut);

#[cfg(feature = "postcard")]
impl Extend<u8> for Extender<'_> {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, bytes: I) {
        self.0.extend(bytes);
    }
}

/// Defines each wrapper (behind its feature), its [`Codec`], [`ToArg`] and
/// [`FromValue`].
macro_rules! serde_values {
    ($(
        $(#[$doc:meta])*
        $feature:literal $name:ident $label:literal,
        to_vec: |$v:ident| $to_vec:expr,
        append: |$av:ident, $dst:ident| $append:expr,
        from_slice: |$b:ident| $from_slice:expr;
    )*) => {$(
        $(#[$doc])*
        #[cfg(feature = $feature)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name<T = ()>(pub T);

        #[cfg(feature = $feature)]
        impl<T> $name<T> {
            /// The value inside.
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        #[cfg(feature = $feature)]
        impl<X> Codec for $name<X> {
            const NAME: &'static str = $label;

            fn to_vec<T: Serialize + ?Sized>($v: &T) -> Result<Vec<u8>, String> {
                $to_vec.map_err(|e| e.to_string())
            }

            fn append<T: Serialize + ?Sized>($av: &T, $dst: &mut BytesMut) -> Result<(), String> {
                $append.map_err(|e| e.to_string())
            }

            fn from_slice<T: DeserializeOwned>($b: &[u8]) -> Result<T, String> {
                $from_slice.map_err(|e| e.to_string())
            }
        }

        #[cfg(feature = $feature)]
        impl<T: Serialize + Send> ToArg for $name<T> {
            fn to_arg(&self) -> Result<ArgBytes<'_>, Error> {
                Self::encode(&self.0).map(ArgBytes::owned)
            }

            fn append_to(&self, dst: &mut BytesMut) -> Result<(), Error> {
                Self::append(&self.0, dst).map_err(|e| not_encodable(Self::NAME, e))
            }
        }

        #[cfg(feature = $feature)]
        impl<T: DeserializeOwned + Send> FromValue for $name<T> {
            fn from_value(value: Value) -> Result<Self, Error> {
                Self::decode(&value).map($name)
            }
        }
    )*};
}

serde_values! {
    /// A value stored as JSON (`serde_json`; feature `json`): readable by
    /// anything, the largest of the three.
    ///
    /// ```
    /// use gibson_policy::Json;
    /// use gibson_proto::{FromValue, ToArg, Value};
    ///
    /// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    /// struct User { name: String, age: u32 }
    ///
    /// let ada = User { name: "ada".into(), age: 36 };
    /// let json = Json(&ada);
    /// let arg = json.to_arg()?;
    /// assert_eq!(&*arg, br#"{"name":"ada","age":36}"#);
    /// let back = Json::<User>::from_value(Value::from(r#"{"name":"ada","age":36}"#))?;
    /// assert_eq!(back.0, ada);
    /// let err = Json::<User>::from_value(Value::from("{}")).unwrap_err();
    /// assert!(err.to_string().contains("missing field `name`"));
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    "json" Json "JSON",
        to_vec: |value| serde_json::to_vec(value),
        append: |value, dst| serde_json::to_writer(dst.writer(), value),
        from_slice: |bytes| serde_json::from_slice(bytes);
    /// A value stored in postcard's compact binary format (feature
    /// `postcard`): the smallest, read back only as the same type.
    ///
    /// Postcard is kept rather than bincode: its wire format is specified
    /// and stable since 1.0, and it is maintained, while bincode's
    /// development has stopped.
    ///
    /// ```
    /// use gibson_policy::Postcard;
    /// use gibson_proto::{FromValue, ToArg, Value};
    ///
    /// let arg = Postcard(&(7u8, "seven")).to_arg()?;
    /// assert_eq!(&*arg, b"\x07\x05seven");
    /// let value = Value::from(bytes::Bytes::copy_from_slice(&arg));
    /// assert_eq!(Postcard::<(u8, String)>::from_value(value)?.0, (7, "seven".to_string()));
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    "postcard" Postcard "postcard",
        to_vec: |value| postcard::to_allocvec(value),
        append: |value, dst| postcard::to_extend(value, Extender(dst)).map(drop),
        from_slice: |bytes| postcard::from_bytes(bytes);
    /// A value stored as MessagePack (`rmp-serde`, structs as maps of field
    /// names; feature `msgpack`): compact, and readable from other languages.
    ///
    /// ```
    /// use gibson_policy::MsgPack;
    /// use gibson_proto::{FromValue, ToArg, Value};
    ///
    /// let msgpack = MsgPack(vec![1u16, 2, 3]);
    /// let arg = msgpack.to_arg()?;
    /// assert_eq!(&*arg, b"\x93\x01\x02\x03");
    /// let value = Value::from(bytes::Bytes::copy_from_slice(&arg));
    /// assert_eq!(MsgPack::<Vec<u16>>::from_value(value)?.0, [1, 2, 3]);
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    "msgpack" MsgPack "MessagePack",
        to_vec: |value| rmp_serde::to_vec_named(value),
        append: |value, dst| rmp_serde::encode::write_named(&mut dst.writer(), value),
        from_slice: |bytes| rmp_serde::from_slice(bytes);
}

/// The lifespan of a store for the `cached` crate (gibson-async's and
/// gibson-blocking's `CacheStore`): the TTL each SET gives an item,
/// changeable through a shared reference.
///
/// ```
/// use std::time::Duration;
/// use gibson_policy::values::Lifespan;
/// use gibson_proto::Ttl;
///
/// let life = Lifespan::new(Ttl::Seconds(60));
/// assert_eq!(life.set(Duration::from_secs(5)), Some(Duration::from_secs(60)));
/// assert_eq!(life.ttl(), Ttl::Seconds(5));
/// assert_eq!(life.unset(), Some(Duration::from_secs(5)));
/// assert_eq!(life.ttl(), Ttl::Never);
/// ```
#[derive(Debug, Default)]
pub struct Lifespan {
    /// Seconds; 0 for no expiry.
    seconds: AtomicU32,
}

impl Lifespan {
    /// Items live `ttl`.
    pub fn new(ttl: impl Into<Ttl>) -> Lifespan {
        let seconds = match ttl.into() {
            Ttl::Never => 0,
            Ttl::Seconds(n) => n,
        };
        Lifespan {
            seconds: AtomicU32::new(seconds),
        }
    }

    /// The TTL of the next SET.
    pub fn ttl(&self) -> Ttl {
        match self.seconds.load(Ordering::Relaxed) {
            0 => Ttl::Never,
            n => Ttl::Seconds(n),
        }
    }

    /// The lifespan, `None` for no expiry.
    pub fn get(&self) -> Option<Duration> {
        Lifespan::duration(self.seconds.load(Ordering::Relaxed))
    }

    /// Sets the lifespan (rounded up to whole seconds); the previous one.
    pub fn set(&self, lifespan: Duration) -> Option<Duration> {
        let seconds = match Ttl::from(lifespan) {
            Ttl::Seconds(n) => n,
            Ttl::Never => 0,
        };
        Lifespan::duration(self.seconds.swap(seconds, Ordering::Relaxed))
    }

    /// Items no longer expire; the previous lifespan.
    pub fn unset(&self) -> Option<Duration> {
        Lifespan::duration(self.seconds.swap(0, Ordering::Relaxed))
    }

    fn duration(seconds: u32) -> Option<Duration> {
        (seconds > 0).then(|| Duration::from_secs(u64::from(seconds)))
    }
}

/// The lifespan methods of the `cached` crate's store traits
/// (`set_refresh_on_hit`: no, a hit does not refresh; `ttl`, `set_ttl`,
/// `unset_ttl`: the store's [`Lifespan`] field `lifespan`), written once for
/// the async and the blocking `CacheStore`.
#[doc(hidden)]
#[macro_export]
macro_rules! __lifespan_methods {
    () => {
        fn set_refresh_on_hit(&self, _refresh: bool) -> bool {
            false
        }

        fn ttl(&self) -> ::core::option::Option<::std::time::Duration> {
            self.lifespan.get()
        }

        fn set_ttl(
            &self,
            ttl: ::std::time::Duration,
        ) -> ::core::option::Option<::std::time::Duration> {
            self.lifespan.set(ttl)
        }

        fn unset_ttl(&self) -> ::core::option::Option<::std::time::Duration> {
            self.lifespan.unset()
        }
    };
}

#[cfg(all(test, feature = "json"))]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use gibson_proto::{cmd, Command, Pairs, Reply};

    #[test]
    fn a_value_the_codec_refuses_is_an_invalid_argument_and_nothing_is_written() {
        // JSON object keys must be strings.
        let map: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let mut buf = bytes::BytesMut::new();
        let err = cmd::Set::new("k", Json(&map), Ttl::Never)
            .encode(&mut buf, &Default::default())
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { arg: "value", rule } if rule.contains("JSON")),
            "{err}"
        );
        assert!(buf.is_empty());
    }

    /// SET and MSET of `value` encoded after `before` (a pipeline's earlier
    /// frames), and the frames of the same commands with the codec's own
    /// bytes as a plain value.
    fn frames_of<V: ToArg + Codec + Sync>(value: V, plain: &[u8], limits: &gibson_proto::Limits) {
        let mut got = bytes::BytesMut::from(&b"earlier frames"[..]);
        cmd::Set::new("k", &value, Ttl::Seconds(9))
            .encode(&mut got, limits)
            .unwrap();
        cmd::Mset::new("p", &value)
            .encode(&mut got, limits)
            .unwrap();
        let mut want = bytes::BytesMut::from(&b"earlier frames"[..]);
        cmd::Set::new("k", plain, Ttl::Seconds(9))
            .encode(&mut want, limits)
            .unwrap();
        cmd::Mset::new("p", plain)
            .encode(&mut want, limits)
            .unwrap();
        assert_eq!(got, want, "{}", V::NAME);
    }

    #[derive(serde::Serialize)]
    struct User {
        name: &'static str,
        tags: Vec<u16>,
    }

    #[test]
    fn each_codec_writes_the_value_into_the_request_as_its_own_bytes() {
        let ada = || User {
            name: "ada",
            tags: vec![1, 300],
        };
        let limits = gibson_proto::Limits::default();
        frames_of(Json(ada()), &Json::<()>::encode(&ada()).unwrap(), &limits);
        #[cfg(feature = "postcard")]
        frames_of(
            Postcard(ada()),
            &Postcard::<()>::encode(&ada()).unwrap(),
            &limits,
        );
        #[cfg(feature = "msgpack")]
        frames_of(
            MsgPack(ada()),
            &MsgPack::<()>::encode(&ada()).unwrap(),
            &limits,
        );
        assert_eq!(
            Json::<()>::encode(&ada()).unwrap(),
            br#"{"name":"ada","tags":[1,300]}"#
        );
    }

    #[test]
    fn a_refused_value_leaves_the_buffer_as_it_was() {
        let mut limits = gibson_proto::Limits::default();
        limits.max_value_size = 8;
        let mut buf = bytes::BytesMut::from(&b"earlier"[..]);
        // Too large once written (the codec's bytes are 11).
        let err = cmd::Set::new("k", Json("long string"), Ttl::Never)
            .encode(&mut buf, &limits)
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { arg: "value", rule } if rule.contains("max_value_size")),
            "{err}"
        );
        // Refused by the codec half-way (JSON keys must be strings).
        let map: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let err = cmd::Mset::new("p", Json(&map))
            .encode(&mut buf, &Default::default())
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { arg: "value", .. }));
        // Too large a request as a whole.
        let mut small = gibson_proto::Limits::default();
        small.max_request_size = 12;
        let err = cmd::Set::new("k", Json(1234567u32), Ttl::Never)
            .encode(&mut buf, &small)
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { arg: "request", .. }),
            "{err}"
        );
        assert_eq!(&buf[..], b"earlier");
    }

    /// The pairs of a KVAL reply holding `entries`.
    fn kval(entries: &[(&str, &str)]) -> Pairs {
        let mut kval = (entries.len() as u32).to_le_bytes().to_vec();
        for (k, v) in entries {
            kval.extend_from_slice(&(k.len() as u32).to_le_bytes());
            kval.extend_from_slice(k.as_bytes());
            kval.push(0);
            kval.extend_from_slice(&(v.len() as u32).to_le_bytes());
            kval.extend_from_slice(v.as_bytes());
        }
        Pairs::parse(bytes::Bytes::from(kval)).unwrap()
    }

    #[test]
    fn get_and_mget_name_the_key_that_does_not_decode() {
        let get = cmd::Get::<_, Json<Vec<u8>>>::new("user:1");
        let err = get
            .decode_reply(Reply::Value(Value::from("[1,")))
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the value of key \"user:1\" does not decode as JSON"),
            "{err}"
        );
        // The static decode does not know the key.
        let err = cmd::Get::<&str, Json<Vec<u8>>>::decode(Reply::Value(Value::from("x")));
        assert!(matches!(err, Err(Error::Decode { key: None, .. })));

        let pairs = kval(&[("a:1", "[1]"), ("a:2", "{")]);
        let err =
            cmd::Mget::<&str, String, Json<Vec<u8>>>::decode(Reply::Pairs(pairs)).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { key: Some(k), codec: "JSON", .. } if k == "a:2"),
            "{err}"
        );
        // A NUMBER decodes from its decimal text.
        assert_eq!(Json::<u32>::from_value(Value::Int(7)).unwrap().0, 7);
    }

    #[test]
    fn lenient_reads_leave_out_only_the_value_that_does_not_decode() {
        let pairs = kval(&[("a:1", "[1]"), ("a:2", "{"), ("a:3", "[3]")]);
        let got =
            cmd::Mget::<&str, String, crate::Lenient<Json<Vec<u8>>>>::decode(Reply::Pairs(pairs))
                .unwrap();
        let got: Vec<(String, Vec<u8>)> = got.into_iter().map(|(k, v)| (k, v.0 .0)).collect();
        assert_eq!(got, [("a:1".into(), vec![1]), ("a:3".into(), vec![3])]);
        // In a pipeline (decoded by type alone), a GET of it is a miss too.
        let mut p = gibson_proto::Pipeline::new(Default::default());
        let get = p.get::<crate::Lenient<Json<u8>>>("k");
        let mut r = p.finish(vec![Ok(Reply::Value(Value::from("{")))]);
        assert_eq!(r.take(get).unwrap(), None);
        // Other errors stay errors.
        let err = cmd::Get::<_, crate::Lenient<Json<u8>>>::new("k")
            .decode_reply(Reply::Error(gibson_proto::ServerError::Locked))
            .unwrap_err();
        assert!(err.is_locked(), "{err}");
    }

    #[test]
    fn a_value_that_does_not_decode_names_its_key() {
        use crate::namespace::Scope;
        use gibson_proto::{Limits, Pipeline};

        let bad = || Ok(Reply::Value(Value::from("{")));
        for take_frames in [false, true] {
            let mut p = Pipeline::new(Limits::default());
            let refused = p.get::<String>("a b");
            let first = p.get::<Json<u8>>("first");
            let ping = p.ping();
            let second = p.get::<Json<u8>>("second");
            if take_frames {
                let _sent = p.take_frames();
            }
            let mut r = p.finish(vec![bad(), Ok(Reply::Ok), bad()]);
            let key = |e: Error| match e {
                Error::Decode { key, .. } => key,
                other => panic!("not a decode error: {other}"),
            };
            assert_eq!(key(r.take(second).unwrap_err()).as_deref(), Some("second"));
            assert_eq!(key(r.take(first).unwrap_err()).as_deref(), Some("first"));
            r.take(ping).unwrap();
            assert!(r.take(refused).is_err());
        }

        // Under a namespace the key is the one the caller gave.
        let mut p = Pipeline::new(Limits::default());
        let get = p.get::<Json<u8>>("k");
        let mut scoped = Scope::new("ns:").unwrap().pipeline(p);
        let mut inner = scoped.pipeline();
        let _sent = inner.take_frames();
        let mut r = scoped.finish(inner.finish(vec![bad()]));
        let err = r.take(get).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { key: Some(k), .. } if k == "k"),
            "{err}"
        );
    }
}
