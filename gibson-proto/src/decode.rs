//! The push decoder for reply frames.
//!
//! [`Decoder::decode`] looks at the front of a buffer: `Ok(None)` means the
//! frame is not complete yet (never an error), `Ok(Some(reply))` removes one
//! frame from the buffer. Values are `Bytes` slices of the frame: no payload
//! byte is copied. The announced size is checked against the limit before
//! anything is reserved, so a peer announcing 4 GiB gets an error, not an
//! allocation.

use bytes::{Buf, BytesMut};

use crate::error::ProtocolError;
use crate::limits::DEFAULT_MAX_REPLY_SIZE;
use crate::reply::{Pairs, Reply, Value};
use crate::wire::{Encoding, ReplyCode, REPLY_HEADER_LEN};
use crate::ServerError;

/// Push decoder for reply frames.
///
/// ```
/// use bytes::BytesMut;
/// use gibson_proto::{Decoder, Reply, Value};
///
/// let mut buf = BytesMut::from(&b"\x06\x00\x00\x03\x00\x00"[..]);
/// let mut decoder = Decoder::default();
/// assert_eq!(decoder.decode(&mut buf).unwrap(), None); // need more
/// buf.extend_from_slice(b"\x00bar");
/// assert_eq!(decoder.decode(&mut buf).unwrap(), Some(Reply::Value(Value::from("bar"))));
/// assert!(buf.is_empty());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Decoder {
    max_frame: usize,
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder::new(DEFAULT_MAX_REPLY_SIZE)
    }
}

/// A parsed reply header.
#[derive(Debug, Clone, Copy)]
struct Header {
    code: ReplyCode,
    encoding: u8,
    size: usize,
}

impl Decoder {
    /// A decoder refusing frames larger than `max_frame` bytes, header included.
    pub fn new(max_frame: usize) -> Decoder {
        Decoder { max_frame }
    }

    /// The frame limit.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    fn header(&self, buf: &[u8]) -> Result<Option<Header>, ProtocolError> {
        if buf.len() < REPLY_HEADER_LEN {
            return Ok(None);
        }
        let mut h = &buf[..REPLY_HEADER_LEN];
        let code = ReplyCode::try_from(h.get_u16_le())?;
        let encoding = h.get_u8();
        Encoding::try_from(encoding)?;
        let size = h.get_u32_le();
        let total = REPLY_HEADER_LEN as u64 + u64::from(size);
        if total > self.max_frame as u64 {
            return Err(ProtocolError::FrameTooLarge {
                size: total,
                max: self.max_frame as u64,
            });
        }
        Ok(Some(Header {
            code,
            encoding,
            size: size as usize,
        }))
    }

    /// How many more bytes the frame at the front of `buf` needs, `0` when a
    /// whole frame is there. Errors as [`Decoder::decode`] does on the header.
    pub fn missing(&self, buf: &[u8]) -> Result<usize, ProtocolError> {
        Ok(match self.header(buf)? {
            None => REPLY_HEADER_LEN - buf.len(),
            Some(h) => (REPLY_HEADER_LEN + h.size).saturating_sub(buf.len()),
        })
    }

    /// Decodes one reply from the front of `buf`.
    ///
    /// Returns `Ok(None)` when more bytes are needed (after reserving room for
    /// the rest of the frame, whose size is already checked), and an error
    /// for any protocol violation; after an error the buffer is left as it
    /// was and the stream cannot be resynchronised.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Reply>, ProtocolError> {
        let Some(h) = self.header(buf)? else {
            return Ok(None);
        };
        let total = REPLY_HEADER_LEN + h.size;
        if buf.len() < total {
            buf.reserve(total - buf.len());
            return Ok(None);
        }
        // The body is validated before the frame is cut off, so that an
        // error leaves the buffer as it was.
        let reply = match h.code {
            ReplyCode::Ok => {
                buf.advance(total);
                Reply::Ok
            }
            ReplyCode::Val => {
                Value::check(h.encoding, h.size, "a VAL reply")?;
                let mut frame = buf.split_to(total).freeze();
                frame.advance(REPLY_HEADER_LEN);
                Reply::Value(Value::decode(h.encoding, frame, "a VAL reply")?)
            }
            ReplyCode::Kval => {
                let count = Pairs::validate(&buf[REPLY_HEADER_LEN..total])?;
                let mut frame = buf.split_to(total).freeze();
                frame.advance(REPLY_HEADER_LEN);
                Reply::Pairs(Pairs::from_validated(frame, count))
            }
            code => {
                buf.advance(total);
                // from_code is Some for every code but OK, VAL and KVAL.
                Reply::Error(ServerError::from_code(code).unwrap_or(ServerError::Err))
            }
        };
        Ok(Some(reply))
    }
}

/// The hiredis-style reader of the older clients: [`feed`](Reader::feed)
/// bytes as they arrive, then call [`next`](Reader::next) until it returns
/// `Ok(None)`.
///
/// ```
/// use gibson_proto::{Reader, Reply};
/// let mut reader = Reader::default();
/// reader.feed(&[5, 0, 0, 1, 0]);
/// assert_eq!(reader.next().unwrap(), None);
/// reader.feed(&[0, 0, 0, 5, 0, 0, 1, 0, 0, 0, 0]);
/// assert_eq!(reader.next().unwrap(), Some(Reply::Ok));
/// assert_eq!(reader.next().unwrap(), Some(Reply::Ok));
/// assert_eq!(reader.next().unwrap(), None);
/// ```
#[derive(Debug, Default)]
pub struct Reader {
    buf: BytesMut,
    decoder: Decoder,
}

impl Reader {
    /// A reader refusing frames larger than `max_frame` bytes.
    pub fn new(max_frame: usize) -> Reader {
        Reader {
            buf: BytesMut::new(),
            decoder: Decoder::new(max_frame),
        }
    }

    /// Appends received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next complete reply, `Ok(None)` if none is complete yet.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Reply>, ProtocolError> {
        self.decoder.decode(&mut self.buf)
    }

    /// Bytes received but not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}
