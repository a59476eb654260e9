//! Wire constants: opcodes, reply codes and value encodings.
//!
//! Every enum converts from its raw wire integer with `TryFrom`, which fails
//! with a [`ProtocolError`] for unknown values instead of panicking.

use crate::error::ProtocolError;

/// Length of a request header: `size: u32` then `opcode: u16`.
pub const REQUEST_HEADER_LEN: usize = 6;
/// Length of a reply header: `code: u16`, `encoding: u8`, `size: u32`.
pub const REPLY_HEADER_LEN: usize = 7;

macro_rules! wire_enum {
    (
        $(#[$meta:meta])* $name:ident: $repr:ty, $err:ident {
            $($(#[$vmeta:meta])* $variant:ident = $value:expr => $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr($repr)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value,)+
        }

        impl $name {
            /// Every value, in wire order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name used in the protocol documentation (`"MGET"`, `"KVAL"`, …).
            pub const fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// The raw wire value.
            pub const fn code(self) -> $repr {
                self as $repr
            }
        }

        impl TryFrom<$repr> for $name {
            type Error = ProtocolError;

            fn try_from(value: $repr) -> Result<Self, ProtocolError> {
                match value {
                    $($value => Ok($name::$variant),)+
                    other => Err(ProtocolError::$err(other)),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

wire_enum! {
    /// A request opcode (the repository's `docs/protocol.md`, "Opcodes and payloads").
    Opcode: u16, UnknownOpcode {
        /// `SET ttl key value`
        Set = 1 => "SET",
        /// `TTL key ttl`
        Ttl = 2 => "TTL",
        /// `GET key`
        Get = 3 => "GET",
        /// `DEL key`
        Del = 4 => "DEL",
        /// `INC key`
        Inc = 5 => "INC",
        /// `DEC key`
        Dec = 6 => "DEC",
        /// `LOCK key seconds`
        Lock = 7 => "LOCK",
        /// `UNLOCK key`
        Unlock = 8 => "UNLOCK",
        /// `MSET prefix value`
        Mset = 9 => "MSET",
        /// `MTTL prefix ttl`
        Mttl = 10 => "MTTL",
        /// `MGET prefix [limit]`
        Mget = 11 => "MGET",
        /// `MDEL prefix`
        Mdel = 12 => "MDEL",
        /// `MINC prefix`
        Minc = 13 => "MINC",
        /// `MDEC prefix`
        Mdec = 14 => "MDEC",
        /// `MLOCK prefix seconds`
        Mlock = 15 => "MLOCK",
        /// `MUNLOCK prefix`
        Munlock = 16 => "MUNLOCK",
        /// `COUNT prefix`
        Count = 17 => "COUNT",
        /// `STATS`
        Stats = 18 => "STATS",
        /// `PING`
        Ping = 19 => "PING",
        /// `META key field`
        Meta = 20 => "META",
        /// `KEYS prefix`
        Keys = 21 => "KEYS",
        /// `END`: the server answers OK and closes the connection.
        End = 255 => "END",
    }
}

impl Opcode {
    /// Looks an opcode up by its name, ignoring ASCII case (`"mget"` → `Mget`).
    ///
    /// ```
    /// use gibson_proto::Opcode;
    /// assert_eq!(Opcode::from_name("mget"), Some(Opcode::Mget));
    /// assert_eq!(Opcode::from_name("nope"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Opcode> {
        Opcode::ALL
            .iter()
            .copied()
            .find(|op| op.name().eq_ignore_ascii_case(name))
    }

    /// `true` for the commands that name no single key, so that a client
    /// of several servers sends them to every one: the prefix commands
    /// (MSET, MTTL, MGET, MDEL, MINC, MDEC, MLOCK, MUNLOCK, COUNT, KEYS),
    /// whose keys may live on any server, and STATS, PING and END, which
    /// are about a server itself.
    ///
    /// ```
    /// use gibson_proto::Opcode;
    /// assert!(Opcode::Mget.is_fan_out());
    /// assert!(!Opcode::Get.is_fan_out());
    /// ```
    pub const fn is_fan_out(self) -> bool {
        matches!(
            self,
            Opcode::Mset
                | Opcode::Mttl
                | Opcode::Mget
                | Opcode::Mdel
                | Opcode::Minc
                | Opcode::Mdec
                | Opcode::Mlock
                | Opcode::Munlock
                | Opcode::Count
                | Opcode::Keys
                | Opcode::Stats
                | Opcode::Ping
                | Opcode::End
        )
    }
}

wire_enum! {
    /// A reply code (the repository's `docs/protocol.md`, "Reply frame").
    ReplyCode: u16, UnknownReplyCode {
        /// Generic error: malformed arguments, unknown META field, empty prefix.
        Err = 0 => "ERR",
        /// No such key, or a multi-key operation matched nothing.
        NotFound = 1 => "NOT_FOUND",
        /// A number was expected.
        Nan = 2 => "NAN",
        /// The server is over its memory limit.
        Mem = 3 => "MEM",
        /// The item is locked.
        Locked = 4 => "LOCKED",
        /// Success without data.
        Ok = 5 => "OK",
        /// One value.
        Val = 6 => "VAL",
        /// A list of key/value pairs.
        Kval = 7 => "KVAL",
    }
}

wire_enum! {
    /// The encoding byte of a reply or of a KVAL entry.
    Encoding: u8, UnknownEncoding {
        /// Raw bytes.
        Plain = 0 => "PLAIN",
        /// LZF-compressed bytes: the server's in-memory form, never sent.
        Lzf = 1 => "LZF",
        /// A little-endian signed integer, 4 or 8 bytes.
        Number = 2 => "NUMBER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcodes_round_trip_and_match_the_table() {
        let table: [(u16, &str); 22] = [
            (1, "SET"),
            (2, "TTL"),
            (3, "GET"),
            (4, "DEL"),
            (5, "INC"),
            (6, "DEC"),
            (7, "LOCK"),
            (8, "UNLOCK"),
            (9, "MSET"),
            (10, "MTTL"),
            (11, "MGET"),
            (12, "MDEL"),
            (13, "MINC"),
            (14, "MDEC"),
            (15, "MLOCK"),
            (16, "MUNLOCK"),
            (17, "COUNT"),
            (18, "STATS"),
            (19, "PING"),
            (20, "META"),
            (21, "KEYS"),
            (255, "END"),
        ];
        assert_eq!(Opcode::ALL.len(), table.len());
        for (code, name) in table {
            let op = Opcode::try_from(code).unwrap();
            assert_eq!(op.code(), code);
            assert_eq!(op.name(), name);
            assert_eq!(Opcode::from_name(&name.to_lowercase()), Some(op));
        }
        for bad in [0u16, 22, 254, 256, u16::MAX] {
            assert_eq!(
                Opcode::try_from(bad),
                Err(ProtocolError::UnknownOpcode(bad))
            );
        }
    }

    #[test]
    fn reply_codes_and_encodings() {
        for (i, code) in ReplyCode::ALL.iter().enumerate() {
            assert_eq!(usize::from(code.code()), i);
        }
        assert_eq!(
            ReplyCode::try_from(8),
            Err(ProtocolError::UnknownReplyCode(8))
        );
        assert_eq!(Encoding::try_from(2), Ok(Encoding::Number));
        assert_eq!(
            Encoding::try_from(3),
            Err(ProtocolError::UnknownEncoding(3))
        );
    }
}
