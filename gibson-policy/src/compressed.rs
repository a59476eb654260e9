//! [`Compressed`]: values above a size stored zstd-compressed, beside
//! plain ones.

use std::io::Read;

use bytes::Bytes;

use gibson_proto::{ArgBytes, Error, FromValue, ToArg, Value};

/// The byte a compressed value starts with, before its zstd frame.
///
/// A reader must never take a plain value for a compressed one, so this
/// is a byte that plain values of the workspace's codecs never start with:
///
/// * JSON (`Json`), and any `String` or `&str` value, is UTF-8, where
///   0xC1 never occurs (it could only begin an overlong two-byte
///   sequence, which UTF-8 forbids);
/// * MessagePack (`MsgPack`) marks 0xC1 as "never used": no MessagePack
///   value starts with it.
///
/// Postcard (`Postcard`) and raw bytes have no such byte: a struct whose
/// first field is a `u8` may start with anything. For them the marker is
/// not trusted alone: a value is read as compressed only if it is 0xC1,
/// then zstd's 4-byte magic number (`28 B5 2F FD`), then exactly one
/// whole zstd frame whose content checksum (which [`Compressed`] always
/// writes) matches. Anything else reads as a plain value. A plain
/// postcard value is taken for a compressed one only if its bytes are,
/// from the first, such a checksummed frame: in practice, only if it
/// embeds a compressed value on purpose.
pub const COMPRESSED_MARKER: u8 = 0xC1;

/// zstd's level: its fastest but one, measured to compress a 100 KB JSON
/// value about 8 times (level 3 gains 1 % for half again the time).
const LEVEL: i32 = 1;

/// The most bytes a compressed value may decompress to (64 MiB): a value
/// that would exceed it is refused, not allocated.
pub const MAX_DECOMPRESSED: usize = 64 << 20;

/// The smallest encoding [`Compressed`] compresses (1 KiB): below it,
/// zstd's frame header and the marker take back much of what it saves.
pub const COMPRESS_FROM: usize = 1024;

/// A value stored zstd-compressed when its encoding is at least
/// [`COMPRESS_FROM`] bytes, plain otherwise (feature `zstd`). Wrap any
/// value type: `Compressed<Json<User>>`, `Compressed<String>`,
/// `Lenient<Compressed<Postcard<User>>>`.
///
/// A compressed value is [`COMPRESSED_MARKER`] followed by a zstd frame
/// (see the marker for why no plain value is taken for one). Reading
/// accepts both, so compressed and plain values live under one prefix,
/// and values written before `Compressed` was used still read.
///
/// Gibson itself compresses values above its `compression` threshold
/// (4 KiB by default) with LZF, but only once they have crossed the
/// network, and less well: compressing in the client saves the bandwidth
/// and the server's memory both.
///
/// ```
/// use gibson_policy::Compressed;
/// use gibson_proto::{FromValue, ToArg, Value};
///
/// let page = "<p>hello</p>".repeat(200); // 2 400 bytes
/// let stored = Compressed(page.as_str()).to_arg()?.to_vec();
/// assert!(stored.len() < 200 && stored[0] == 0xC1);
/// let back = Compressed::<String>::from_value(Value::from(bytes::Bytes::from(stored)))?;
/// assert_eq!(back.0, page);
/// // Small values, and values written plain, read as they are.
/// assert_eq!(&*Compressed("short").to_arg()?, b"short");
/// assert_eq!(Compressed::<String>::from_value(Value::from("plain"))?.0, "plain");
/// # Ok::<(), gibson_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Compressed<V>(pub V);

impl<V> Compressed<V> {
    /// The value inside.
    pub fn into_inner(self) -> V {
        self.0
    }
}

impl<V: ToArg> ToArg for Compressed<V> {
    fn to_arg(&self) -> Result<ArgBytes<'_>, Error> {
        let plain = self.0.to_arg()?;
        if plain.len() < COMPRESS_FROM {
            return Ok(plain);
        }
        compress(&plain).map(ArgBytes::owned)
    }
}

impl<V: FromValue> FromValue for Compressed<V> {
    fn from_value(value: Value) -> Result<Self, Error> {
        V::from_value(plain(value)?).map(Compressed)
    }

    fn from_stored(value: Value, key: Option<&[u8]>) -> Result<Option<Self>, Error> {
        Ok(V::from_stored(plain(value)?, key)?.map(Compressed))
    }
}

/// The marker, then `plain` as one checksummed zstd frame.
fn compress(plain: &[u8]) -> Result<Vec<u8>, Error> {
    let failed = |e: std::io::Error| Error::invalid("value", format!("cannot be compressed: {e}"));
    let mut compressor = zstd::bulk::Compressor::new(LEVEL).map_err(failed)?;
    compressor
        .set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))
        .map_err(failed)?;
    let mut out = Vec::with_capacity(1 + zstd::zstd_safe::compress_bound(plain.len()));
    out.push(COMPRESSED_MARKER);
    out.extend_from_slice(&compressor.compress(plain).map_err(failed)?);
    Ok(out)
}

/// A stored value's plain bytes: decompressed if it is a compressed value,
/// as it is otherwise.
fn plain(value: Value) -> Result<Value, Error> {
    let Value::Bytes(bytes) = value else {
        return Ok(value);
    };
    match bytes.split_first() {
        Some((&COMPRESSED_MARKER, frame)) if is_one_frame(frame) => {
            decompress(frame).map(|b| Value::Bytes(Bytes::from(b)))
        }
        _ => Ok(Value::Bytes(bytes)),
    }
}

/// `true` when `frame` is exactly one zstd frame: its magic number, and a
/// length that its headers and blocks account for.
fn is_one_frame(frame: &[u8]) -> bool {
    frame.starts_with(&zstd::zstd_safe::MAGICNUMBER.to_le_bytes())
        && zstd::zstd_safe::find_frame_compressed_size(frame) == Ok(frame.len())
}

/// The frame's content, checked against its checksum, at most
/// [`MAX_DECOMPRESSED`] bytes.
fn decompress(frame: &[u8]) -> Result<Vec<u8>, Error> {
    let corrupt = |reason: String| Error::Conversion {
        target: "Compressed",
        reason,
    };
    let declared = zstd::zstd_safe::get_frame_content_size(frame)
        .ok()
        .flatten()
        .unwrap_or(0);
    let mut out = Vec::with_capacity(usize::try_from(declared).unwrap_or(0).min(MAX_DECOMPRESSED));
    let decoder = zstd::stream::read::Decoder::with_buffer(frame)
        .map_err(|e| corrupt(e.to_string()))?
        .single_frame();
    decoder
        .take(MAX_DECOMPRESSED as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| corrupt(format!("a corrupt zstd frame: {e}")))?;
    if out.len() > MAX_DECOMPRESSED {
        return Err(corrupt(format!(
            "decompresses to more than {MAX_DECOMPRESSED} bytes"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored<V: ToArg>(v: V) -> Value {
        Value::Bytes(Bytes::from(v.to_arg().unwrap().to_vec()))
    }

    #[test]
    fn a_corrupt_frame_is_an_error_and_a_look_alike_reads_plain() {
        let mut frame = stored(Compressed("x".repeat(5000).as_str()));
        let Value::Bytes(b) = &mut frame else {
            panic!()
        };
        let mut v = b.to_vec();
        let mid = v.len() / 2;
        v[mid] ^= 0xFF;
        let err = Compressed::<Vec<u8>>::from_value(Value::Bytes(v.into())).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Conversion {
                    target: "Compressed",
                    ..
                }
            ),
            "{err}"
        );
        // The marker and magic, not followed by a whole frame: plain bytes.
        let look_alike = [&[COMPRESSED_MARKER][..], &[0x28, 0xB5, 0x2F, 0xFD], b"tail"].concat();
        let got =
            Compressed::<Vec<u8>>::from_value(Value::Bytes(look_alike.clone().into())).unwrap();
        assert_eq!(got.0, look_alike);
        // The marker alone, as a postcard u8 field may start: plain.
        let got = Compressed::<Vec<u8>>::from_value(Value::Bytes(vec![0xC1, 1, 2].into())).unwrap();
        assert_eq!(got.0, [0xC1, 1, 2]);
    }

    #[test]
    fn a_frame_that_would_exceed_the_bound_is_refused() {
        let big = vec![0u8; MAX_DECOMPRESSED + 1];
        let v = stored(Compressed(&big[..]));
        let err = Compressed::<Vec<u8>>::from_value(v).unwrap_err();
        assert!(err.to_string().contains("more than"), "{err}");
    }

    #[test]
    fn the_threshold_decides_and_numbers_pass_through() {
        let below = "a".repeat(COMPRESS_FROM - 1);
        assert_eq!(
            &*Compressed(below.as_str()).to_arg().unwrap(),
            below.as_bytes()
        );
        let from = "a".repeat(COMPRESS_FROM);
        assert_eq!(
            Compressed(from.as_str()).to_arg().unwrap()[0],
            COMPRESSED_MARKER
        );
        assert_eq!(Compressed::<u64>::from_value(Value::Int(7)).unwrap().0, 7);
    }
}
