//! Conversions: Rust values into request arguments ([`ToArg`]) and reply
//! values into Rust types ([`FromValue`]).

use std::borrow::Cow;

use bytes::Bytes;

use crate::encode::fmt_int;
use crate::error::Error;
use crate::reply::Value;

/// The bytes of one argument: borrowed, an integer formatted inline (no
/// allocation either way), or the bytes a serde codec made.
#[derive(Debug, Clone)]
pub struct ArgBytes<'a>(Repr<'a>);

#[derive(Debug, Clone)]
enum Repr<'a> {
    Borrowed(&'a [u8]),
    Int { buf: [u8; 20], start: u8 },
    Owned(Vec<u8>),
}

impl ArgBytes<'_> {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Borrowed(b) => b,
            Repr::Int { buf, start } => &buf[usize::from(*start)..],
            Repr::Owned(v) => v,
        }
    }

    /// Bytes made for this argument (by a serde codec).
    ///
    /// ```
    /// use gibson_proto::ArgBytes;
    /// assert_eq!(ArgBytes::owned(b"{}".to_vec()).as_bytes(), b"{}");
    /// ```
    pub fn owned(bytes: Vec<u8>) -> ArgBytes<'static> {
        ArgBytes(Repr::Owned(bytes))
    }

    fn int(n: i64) -> ArgBytes<'static> {
        let mut buf = [0u8; 20];
        let len = fmt_int(n, &mut buf).len();
        ArgBytes(Repr::Int {
            buf,
            start: (20 - len) as u8,
        })
    }
}

impl std::ops::Deref for ArgBytes<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Something that can be sent as a key, prefix or value.
///
/// Implemented for strings, byte slices, `Bytes`, arrays and integers
/// (sent in ASCII decimal, as the server expects numbers).
///
/// ```
/// use gibson_proto::ToArg;
/// assert_eq!(&*"key".to_arg()?, b"key");
/// assert_eq!(&*(-42i32).to_arg()?, b"-42");
/// # Ok::<(), gibson_proto::Error>(())
/// ```
/// Arguments are `Send`, so that a command future can move between
/// threads. Making the bytes fails only for a value a serde codec cannot
/// encode (`Json`, `Postcard`, `MsgPack`), before anything is written.
pub trait ToArg: Send {
    /// The bytes to send.
    fn to_arg(&self) -> Result<ArgBytes<'_>, Error>;

    /// Appends the bytes to send to `dst`, where a request is being
    /// encoded (a value, the last argument of SET and MSET). The default
    /// copies [`to_arg`](ToArg::to_arg)'s bytes; a serde wrapper serializes
    /// straight into `dst`, so that the value is written once. On error
    /// what was appended may stay: the encoder truncates it.
    ///
    /// ```
    /// use gibson_proto::ToArg;
    /// let mut frame = bytes::BytesMut::from(&b"key "[..]);
    /// "value".append_to(&mut frame)?;
    /// assert_eq!(&frame[..], b"key value");
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    fn append_to(&self, dst: &mut bytes::BytesMut) -> Result<(), Error> {
        dst.extend_from_slice(&self.to_arg()?);
        Ok(())
    }

    /// How many bytes [`to_arg`](ToArg::to_arg) gives, when that is known
    /// without producing them (bytes and strings); `None` (the default)
    /// otherwise. A client uses it to send a big value on a connection of
    /// its own without encoding it first.
    ///
    /// ```
    /// use gibson_proto::ToArg;
    /// assert_eq!("value".len_hint(), Some(5));
    /// assert_eq!(42u32.len_hint(), None);
    /// ```
    fn len_hint(&self) -> Option<usize> {
        None
    }
}

macro_rules! to_arg_bytes {
    ($($t:ty => |$s:ident| $e:expr;)+) => {$(
        impl ToArg for $t {
            fn to_arg(&self) -> Result<ArgBytes<'_>, Error> {
                let $s = self;
                Ok(ArgBytes(Repr::Borrowed($e)))
            }

            fn len_hint(&self) -> Option<usize> {
                let $s = self;
                Some($e.len())
            }
        }
    )+};
}

to_arg_bytes! {
    str => |s| s.as_bytes();
    [u8] => |s| s;
    String => |s| s.as_bytes();
    Vec<u8> => |s| s.as_slice();
    Bytes => |s| s.as_ref();
    bytes::BytesMut => |s| s.as_ref();
    Cow<'_, str> => |s| s.as_bytes();
    Cow<'_, [u8]> => |s| s.as_ref();
}

impl<const N: usize> ToArg for [u8; N] {
    fn to_arg(&self) -> Result<ArgBytes<'_>, Error> {
        Ok(ArgBytes(Repr::Borrowed(self)))
    }

    fn len_hint(&self) -> Option<usize> {
        Some(N)
    }
}

impl<T: ToArg + Sync + ?Sized> ToArg for &T {
    fn to_arg(&self) -> Result<ArgBytes<'_>, Error> {
        (**self).to_arg()
    }

    fn append_to(&self, dst: &mut bytes::BytesMut) -> Result<(), Error> {
        (**self).append_to(dst)
    }

    fn len_hint(&self) -> Option<usize> {
        (**self).len_hint()
    }
}

macro_rules! to_arg_int {
    ($($t:ty),+) => {$(
        impl ToArg for $t {
            fn to_arg(&self) -> Result<ArgBytes<'_>, Error> {
                Ok(match i64::try_from(*self) {
                    Ok(n) => ArgBytes::int(n),
                    // Only u64/usize above i64::MAX get here.
                    Err(_) => {
                        let mut buf = [0u8; 20];
                        let text = (*self as u64).to_string();
                        let start = 20 - text.len();
                        buf[start..].copy_from_slice(text.as_bytes());
                        ArgBytes(Repr::Int { buf, start: start as u8 })
                    }
                })
            }
        }
    )+};
}

to_arg_int!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

/// A Rust type a reply value converts into.
///
/// Numbers convert to integers, and so do plain values that are ASCII
/// decimal integers; numbers convert to strings and bytes as their decimal
/// text. Anything else is an [`Error::Conversion`].
///
/// ```
/// use gibson_proto::{FromValue, Value};
/// assert_eq!(i64::from_value(Value::Int(7)).unwrap(), 7);
/// assert_eq!(u8::from_value(Value::from("42")).unwrap(), 42);
/// assert_eq!(String::from_value(Value::Int(-3)).unwrap(), "-3");
/// assert!(u8::from_value(Value::Int(300)).is_err());
/// ```
pub trait FromValue: Sized + Send {
    /// Converts the value.
    fn from_value(value: Value) -> Result<Self, Error>;

    /// Converts a stored value read by GET or MGET (`key` names it where
    /// the reader knows it; not in a pipeline): `Ok(None)` reads it as a
    /// miss. By default [`from_value`](FromValue::from_value), so that a
    /// value that does not convert is an error; gibson-policy's `Lenient`
    /// reads it as a miss instead.
    ///
    /// ```
    /// use gibson_proto::{FromValue, Value};
    /// assert!(u8::from_stored(Value::from("x"), Some(b"k")).is_err());
    /// ```
    fn from_stored(value: Value, key: Option<&[u8]>) -> Result<Option<Self>, Error> {
        let _ = key;
        Self::from_value(value).map(Some)
    }
}

fn conversion(target: &'static str, reason: impl Into<String>) -> Error {
    Error::Conversion {
        target,
        reason: reason.into(),
    }
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Value, Error> {
        Ok(value)
    }
}

impl FromValue for Bytes {
    fn from_value(value: Value) -> Result<Bytes, Error> {
        Ok(match value {
            Value::Bytes(b) => b,
            Value::Int(n) => Bytes::from(n.to_string()),
        })
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: Value) -> Result<Vec<u8>, Error> {
        Bytes::from_value(value).map(Vec::from)
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<String, Error> {
        match value {
            Value::Bytes(b) => String::from_utf8(Vec::from(b))
                .map_err(|e| conversion("String", format!("not UTF-8: {e}"))),
            Value::Int(n) => Ok(n.to_string()),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Option<T>, Error> {
        T::from_value(value).map(Some)
    }
}

macro_rules! from_value_int {
    ($($t:ty),+) => {$(
        impl FromValue for $t {
            fn from_value(value: Value) -> Result<$t, Error> {
                let target = stringify!($t);
                match value {
                    Value::Int(n) => <$t>::try_from(n)
                        .map_err(|_| conversion(target, format!("{n} is out of range"))),
                    Value::Bytes(b) => std::str::from_utf8(&b)
                        .ok()
                        .and_then(|s| s.parse::<$t>().ok())
                        .ok_or_else(|| conversion(target, format!("{:?} is not an integer", escape(&b)))),
                }
            }
        }
    )+};
}

from_value_int!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, i128, u128);

impl FromValue for f64 {
    fn from_value(value: Value) -> Result<f64, Error> {
        match value {
            Value::Int(n) => Ok(n as f64),
            Value::Bytes(b) => std::str::from_utf8(&b)
                .ok()
                .and_then(|s| s.trim().parse::<f64>().ok())
                .ok_or_else(|| conversion("f64", format!("{:?} is not a number", escape(&b)))),
        }
    }
}

/// Escapes bytes for error messages and display, truncating long input.
pub fn escape(bytes: &[u8]) -> String {
    const MAX: usize = 64;
    let mut out: String = bytes[..bytes.len().min(MAX)].escape_ascii().to_string();
    if bytes.len() > MAX {
        out.push_str(&format!("… ({} bytes)", bytes.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args() {
        assert_eq!(&*String::from("s").to_arg().unwrap(), b"s");
        assert_eq!(&*b"raw\0".to_arg().unwrap(), b"raw\0");
        assert_eq!(&*Bytes::from_static(b"b").to_arg().unwrap(), b"b");
        assert_eq!(&*0u8.to_arg().unwrap(), b"0");
        assert_eq!(&*i64::MIN.to_arg().unwrap(), b"-9223372036854775808");
        assert_eq!(&*u64::MAX.to_arg().unwrap(), b"18446744073709551615");
        assert_eq!(&*(&&"nested").to_arg().unwrap(), b"nested");
    }

    #[test]
    fn results() {
        assert_eq!(Bytes::from_value(Value::Int(12)).unwrap(), "12");
        assert_eq!(Vec::<u8>::from_value(Value::from("x")).unwrap(), b"x");
        assert!(String::from_value(Value::Bytes(Bytes::from_static(b"\xff"))).is_err());
        assert_eq!(Option::<i32>::from_value(Value::Int(4)).unwrap(), Some(4));
        assert_eq!(i32::from_value(Value::from("-17")).unwrap(), -17);
        let err = i32::from_value(Value::from("abc")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot convert reply to i32: \"abc\" is not an integer"
        );
        assert_eq!(f64::from_value(Value::from("2.5")).unwrap(), 2.5);
        assert_eq!(escape(&[b'a'; 70]).len(), 64 + "… (70 bytes)".len());
    }
}
