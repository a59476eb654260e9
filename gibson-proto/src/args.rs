//! The typed arguments commands take: [`Ttl`] (and [`IntoTtl`], what a
//! method accepts as one), [`LockTime`] and [`MetaField`].

use std::time::Duration;

use crate::error::Error;
use crate::limits::Limits;

/// How long an item lives: a number of seconds, or no expiry.
///
/// Gibson 1.2.1 keeps a TTL in a signed 16-bit field, so a TTL above
/// 32 767 seconds (9 h 6 min) would be stored as something else: 65 537 s
/// as 1 s (the item is gone a second later), 40 000 s as a negative number
/// (it never expires). SET, TTL and MTTL therefore refuse a TTL above
/// [`Limits::max_ttl`] with [`Error::InvalidArgument`] before anything is
/// written; raise that limit only for a server built with a wider field.
///
/// Spell it [`Ttl::Seconds`]`(60)`, [`Ttl::Never`], or a [`Duration`]
/// (rounded up to whole seconds). A bare integer is not a TTL: `0` would
/// mean "never expires" to the server and is refused, so there is no
/// `From<u32>` to make `set("k", "v", 0)` compile.
///
/// ```
/// use std::time::Duration;
/// use gibson_proto::Ttl;
/// assert_eq!(Ttl::from(Duration::from_secs(60)), Ttl::Seconds(60));
/// assert_eq!(Ttl::from(Duration::from_millis(1500)), Ttl::Seconds(2));
/// assert_eq!(Ttl::from(None::<Duration>), Ttl::Never);
/// ```
///
/// ```compile_fail
/// // An integer is no TTL: write Ttl::Seconds(60) or Ttl::Never.
/// let ttl: gibson_proto::Ttl = 60.into();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Ttl {
    /// The item never expires (sent as `0`).
    #[default]
    Never,
    /// The item expires this many seconds from now: at least 1 and at most
    /// [`Limits::max_ttl`] (32 767 by default, because Gibson 1.2.1 stores
    /// TTLs in a signed 16-bit field and silently changes anything larger;
    /// the encoder refuses such a TTL). The server also caps it at its
    /// `max_item_ttl`.
    Seconds(u32),
}

impl Ttl {
    /// The number sent on the wire, validated against `limits.max_ttl`.
    pub(crate) fn wire(self, limits: &Limits) -> Result<i64, Error> {
        match self {
            Ttl::Never => Ok(0),
            Ttl::Seconds(0) => Err(Error::invalid(
                "ttl",
                "0 seconds means \"no expiry\" to the server; use Ttl::Never to say so",
            )),
            Ttl::Seconds(n) if n > limits.max_ttl => Err(Error::invalid(
                "ttl",
                format!(
                    "{n} s is over max_ttl ({} s): Gibson 1.2.1 stores TTLs in 16 bits and \
                     would silently change it (65537 s becomes 1 s, 40000 s never expires)",
                    limits.max_ttl
                ),
            )),
            Ttl::Seconds(n) => Ok(i64::from(n)),
        }
    }
}

impl From<Duration> for Ttl {
    /// Rounds up to whole seconds; durations over `u32::MAX` seconds saturate
    /// (and are then refused by the encoder as out of the server's range).
    fn from(d: Duration) -> Ttl {
        let secs = d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0));
        Ttl::Seconds(u32::try_from(secs).unwrap_or(u32::MAX))
    }
}

impl From<Option<Duration>> for Ttl {
    fn from(d: Option<Duration>) -> Ttl {
        d.map_or(Ttl::Never, Ttl::from)
    }
}

/// What a command method takes as a TTL: a [`Ttl`], a [`Duration`]
/// (rounded up to whole seconds) or an `Option<Duration>` (`None`: no
/// expiry).
///
/// A bare number is not one, so that `set("k", "v", 0)` (which the server
/// would read as "never expires") does not compile; the error says what to
/// write instead:
///
/// ```compile_fail,E0277
/// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
/// cache.set("k", "v", 0).await?; // error: `{integer}` is not a TTL
/// # Ok(()) }
/// ```
///
/// ```
/// # use std::time::Duration;
/// # use gibson_proto::*; async fn demo(cache: impl AsyncCommands) -> Result<(), Error> {
/// cache.set("k", "v", Ttl::Seconds(60)).await?;
/// cache.set("k", "v", Duration::from_secs(60)).await?;
/// # Ok(()) }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a TTL",
    label = "not a TTL",
    note = "write Ttl::Seconds(n) or Ttl::Never"
)]
pub trait IntoTtl {
    /// The TTL.
    fn into_ttl(self) -> Ttl;
}

impl IntoTtl for Ttl {
    fn into_ttl(self) -> Ttl {
        self
    }
}

impl IntoTtl for Duration {
    fn into_ttl(self) -> Ttl {
        Ttl::from(self)
    }
}

impl IntoTtl for Option<Duration> {
    fn into_ttl(self) -> Ttl {
        Ttl::from(self)
    }
}

/// How long a lock holds.
///
/// The server keeps lock times in 64 bits, so any number of seconds up to
/// `i64::MAX` is sent as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockTime {
    /// Until UNLOCK (sent as `-1`).
    UntilUnlock,
    /// For this many seconds: at least 1 (the server treats 0 as "do not
    /// lock") and at most `i64::MAX`.
    Seconds(u64),
}

impl LockTime {
    /// The number sent on the wire. `limits` has no rule for lock times
    /// (the server keeps them in 64 bits); it is taken so that lock times
    /// and [`Ttl`]s are sent the same way.
    pub(crate) fn wire(self, _limits: &Limits) -> Result<i64, Error> {
        match self {
            LockTime::UntilUnlock => Ok(-1),
            LockTime::Seconds(0) => Err(Error::invalid(
                "seconds",
                "a 0-second lock does not lock; use at least 1 or LockTime::UntilUnlock",
            )),
            LockTime::Seconds(n) => i64::try_from(n).map_err(|_| {
                Error::invalid(
                    "seconds",
                    format!("{n} does not fit the server's signed 64-bit lock time"),
                )
            }),
        }
    }
}

impl From<u32> for LockTime {
    fn from(secs: u32) -> LockTime {
        LockTime::Seconds(u64::from(secs))
    }
}

impl From<Duration> for LockTime {
    /// Rounds up to whole seconds.
    fn from(d: Duration) -> LockTime {
        LockTime::Seconds(d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0)))
    }
}

/// The fields META can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaField {
    /// Stored size in bytes (the compressed size if compressed).
    Size,
    /// 0 plain, 1 LZF, 2 number.
    Encoding,
    /// Last access, unix seconds.
    Access,
    /// Creation, unix seconds.
    Created,
    /// TTL in seconds, -1 for none.
    Ttl,
    /// Seconds left before expiry, -1 for none.
    Left,
    /// Lock seconds: 0 none, -1 until unlock.
    Lock,
}

impl MetaField {
    /// All fields.
    pub const ALL: [MetaField; 7] = [
        MetaField::Size,
        MetaField::Encoding,
        MetaField::Access,
        MetaField::Created,
        MetaField::Ttl,
        MetaField::Left,
        MetaField::Lock,
    ];

    /// The field's wire name.
    pub const fn name(self) -> &'static str {
        match self {
            MetaField::Size => "size",
            MetaField::Encoding => "encoding",
            MetaField::Access => "access",
            MetaField::Created => "created",
            MetaField::Ttl => "ttl",
            MetaField::Left => "left",
            MetaField::Lock => "lock",
        }
    }

    /// Parses a field name exactly (`"size"`); the server also accepts
    /// prefixes, the client sends full names.
    pub fn from_name(name: &str) -> Option<MetaField> {
        MetaField::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl std::fmt::Display for MetaField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
