//! Size limits shared by the encoder, the decoder and the server.

/// The sizes a client refuses to send or receive, and the server enforces.
///
/// The defaults are Gibson 1.2.1's own defaults, so a request accepted by the
/// encoder is one the default server handles correctly. Servers can be
/// configured differently: set the fields to match yours.
///
/// ```
/// use gibson_proto::Limits;
/// let mut limits = Limits::default();
/// limits.max_key_size = 256;
/// assert_eq!(limits.max_request_size, 2 * 1024 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest key or prefix, in bytes (server: `max_key_size`, 1024). For
    /// SET the TTL's digits and their space count too, as they do on the
    /// server.
    pub max_key_size: usize,
    /// Longest value, in bytes (server: `max_value_size`, 2 096 127).
    pub max_value_size: usize,
    /// Largest request frame, counting the opcode and payload but not the
    /// 4-byte size field (server: `max_request_size`, 2 MiB).
    pub max_request_size: usize,
    /// Largest reply frame the client accepts, header included. The server
    /// never sends more than `max_response_size` (15 MiB) of multi-key data;
    /// the default leaves room above it.
    pub max_reply_size: usize,
    /// Longest TTL, in seconds, that SET, TTL and MTTL may send (default
    /// 32 767). Gibson 1.2.1 stores TTLs in a signed 16-bit field: a larger
    /// TTL is silently changed (65 537 s becomes 1 s, 40 000 s becomes a
    /// negative number, so the item never expires). Raise it only for a
    /// server built with a wider field.
    pub max_ttl: u32,
    /// Request bytes a connection keeps written but not yet answered
    /// (default 64 KiB). Writes stop at request boundaries within this
    /// window, so that the kernel takes each write whole and no request's
    /// size prefix reaches the server in two pieces, which Gibson 1.2.1
    /// cannot read (it drops the connection). A request larger than the
    /// window is written alone, once nothing else is in flight.
    pub write_window: usize,
}

/// The server's default `max_key_size`.
pub const DEFAULT_MAX_KEY_SIZE: usize = 1024;
/// The server's default `max_value_size`.
pub const DEFAULT_MAX_VALUE_SIZE: usize = 2_096_127;
/// The server's default `max_request_size`.
pub const DEFAULT_MAX_REQUEST_SIZE: usize = 2 * 1024 * 1024;
/// The server's default `max_response_size`.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 15 * 1024 * 1024;
/// The decoder's default frame limit: the server's response limit plus room
/// for a header and slack.
pub const DEFAULT_MAX_REPLY_SIZE: usize = 16 * 1024 * 1024;
/// The longest TTL Gibson 1.2.1 stores faithfully: `i16::MAX` seconds
/// (9 h 6 min 7 s).
pub const DEFAULT_MAX_TTL: u32 = 32_767;
/// The default [`Limits::write_window`]: 64 KiB.
pub const DEFAULT_WRITE_WINDOW: usize = 64 * 1024;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_key_size: DEFAULT_MAX_KEY_SIZE,
            max_value_size: DEFAULT_MAX_VALUE_SIZE,
            max_request_size: DEFAULT_MAX_REQUEST_SIZE,
            max_reply_size: DEFAULT_MAX_REPLY_SIZE,
            max_ttl: DEFAULT_MAX_TTL,
            write_window: DEFAULT_WRITE_WINDOW,
        }
    }
}
