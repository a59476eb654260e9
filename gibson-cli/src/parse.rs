//! Words typed by a person → a [`Request`] holding the arguments of one
//! command. `Request`, [`COMMANDS`] and which arguments each command reads
//! are in `commands.rs`; this file has the syntax and one reader a kind of
//! argument.
//!
//! Syntax (docs/protocol.md's argument order, command names in any case):
//! words are separated by blanks; a word in double quotes may hold blanks
//! and escapes (`\" \\ \n \r \t \0 \xHH`). The value of SET and MSET is the
//! rest of the line as typed (blanks included), or, when the rest is one
//! quoted word, that word unescaped. A TTL is 1 to 32767 seconds, or 0 or
//! `never` for no expiry (the library's `Ttl::Seconds` and `Ttl::Never`).

use std::fmt;

use bytes::Bytes;
use gibson_proto::{Error, Limits, LockTime, MetaField, Opcode, Ttl};

pub(crate) use crate::commands::{Request, COMMANDS};

/// The tool's own commands beside the server's, in one-shot mode and the
/// shell.
pub(crate) const EXTRA_COMMANDS: [&str; 1] = ["ROUTE"];

/// The usage line of a command: `SET ttl key value`.
pub(crate) fn usage(op: Opcode) -> String {
    COMMANDS
        .iter()
        .find(|(name, _, _)| *name == op.name())
        .map(|(name, args, _)| format!("{name} {args}").trim_end().to_string())
        .unwrap_or_else(|| op.name().to_string())
}

/// Why a line could not be parsed. Its message names the argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError(pub(crate) String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Error> for ParseError {
    fn from(e: Error) -> ParseError {
        ParseError(e.to_string())
    }
}

/// Words, and for each word the "rest of the input" starting at it (what a
/// SET value is made of).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Words {
    words: Vec<Vec<u8>>,
    rests: Vec<Vec<u8>>,
}

impl Words {
    /// Splits a line typed in the shell.
    pub(crate) fn from_line(line: &str) -> Result<Words, ParseError> {
        let bytes = line.as_bytes();
        let mut out = Words::default();
        let mut i = 0;
        loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= bytes.len() {
                break;
            }
            let start = i;
            let (word, quoted) = if bytes[i] == b'"' {
                let (word, end) = unquote(bytes, i)?;
                i = end;
                (word, true)
            } else {
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                (bytes[start..i].to_vec(), false)
            };
            let rest = line[start..].trim_end().as_bytes();
            let is_last = rest.len() == i - start;
            out.rests.push(if quoted && is_last {
                word.clone()
            } else {
                rest.to_vec()
            });
            out.words.push(word);
        }
        Ok(out)
    }

    /// Takes the words of a command line (already split by the user's
    /// shell). A word written `"…"` (quotes included) is unescaped.
    pub(crate) fn from_args(args: Vec<Vec<u8>>) -> Result<Words, ParseError> {
        let mut out = Words::default();
        for (i, arg) in args.iter().enumerate() {
            let word = if arg.len() >= 2 && arg.first() == Some(&b'"') && arg.last() == Some(&b'"')
            {
                let (word, end) = unquote(arg, 0)?;
                if end != arg.len() {
                    return Err(ParseError(format!(
                        "argument {}: text after the closing quote",
                        i + 1
                    )));
                }
                word
            } else {
                arg.clone()
            };
            out.words.push(word);
        }
        for i in 0..out.words.len() {
            let rest = if i + 1 == out.words.len() {
                out.words[i].clone()
            } else {
                args[i..].join(&b' ')
            };
            out.rests.push(rest);
        }
        Ok(out)
    }

    /// Every word, unquoted.
    pub(crate) fn all(&self) -> &[Vec<u8>] {
        &self.words
    }

    /// The first word.
    pub(crate) fn first(&self) -> Option<&[u8]> {
        self.words.first().map(Vec::as_slice)
    }
}

/// Reads the quoted word starting at `bytes[start] == '"'`; returns it
/// unescaped and the index after the closing quote.
fn unquote(bytes: &[u8], start: usize) -> Result<(Vec<u8>, usize), ParseError> {
    let mut out = Vec::new();
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Ok((out, i + 1)),
            b'\\' => {
                let esc = *bytes
                    .get(i + 1)
                    .ok_or_else(|| ParseError("unterminated escape at the end".into()))?;
                i += 2;
                out.push(match esc {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'0' => 0,
                    b'\\' => b'\\',
                    b'"' => b'"',
                    b'x' => {
                        let hex = bytes
                            .get(i..i + 2)
                            .and_then(|h| std::str::from_utf8(h).ok())
                            .and_then(|h| u8::from_str_radix(h, 16).ok())
                            .ok_or_else(|| {
                                ParseError("\\x must be followed by two hex digits".into())
                            })?;
                        i += 2;
                        hex
                    }
                    other => {
                        return Err(ParseError(format!(
                            "unknown escape \\{} (use \\\" \\\\ \\n \\r \\t \\0 \\xHH)",
                            other.escape_ascii()
                        )))
                    }
                });
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Err(ParseError("unterminated quote".into()))
}

/// Reads the arguments of one command: one method a kind of argument.
pub(crate) struct ArgReader<'a> {
    /// The command whose arguments are read.
    pub(crate) op: Opcode,
    words: &'a Words,
    next: usize,
}

impl ArgReader<'_> {
    fn missing(&self, name: &str) -> ParseError {
        ParseError(format!(
            "{}: missing argument `{name}` (usage: {})",
            self.op.name(),
            usage(self.op)
        ))
    }

    /// Entry `self.next` of `list` (the words, or the rests of the input
    /// from each word on), or the error that argument `name` is missing.
    fn current(&self, list: &[Vec<u8>], name: &str) -> Result<Bytes, ParseError> {
        let entry = list.get(self.next).ok_or_else(|| self.missing(name))?;
        Ok(Bytes::copy_from_slice(entry))
    }

    /// One word: a key or a prefix.
    pub(crate) fn word(&mut self, name: &str) -> Result<Bytes, ParseError> {
        let w = self.current(&self.words.words, name)?;
        self.next += 1;
        Ok(w)
    }

    /// The rest of the input, for values.
    pub(crate) fn rest(&mut self, name: &str) -> Result<Bytes, ParseError> {
        let r = self.current(&self.words.rests, name)?;
        self.next = self.words.words.len();
        Ok(r)
    }

    fn int(&mut self, name: &'static str) -> Result<i64, ParseError> {
        let w = self.word(name)?;
        int_of(name, &w)
    }

    /// A TTL, by the library's rule ([`Ttl`]): 1 to 32767 seconds
    /// (`Ttl::Seconds`; the encoder checks the upper bound), or `0` or
    /// `never` for no expiry (`Ttl::Never`, which is sent as 0). A negative
    /// TTL, which the server would also take as "no expiry", is refused.
    pub(crate) fn ttl(&mut self, name: &'static str) -> Result<Ttl, ParseError> {
        let w = self.word(name)?;
        if w.eq_ignore_ascii_case(b"never") {
            return Ok(Ttl::Never);
        }
        let n = int_of(name, &w)?;
        if n == 0 {
            return Ok(Ttl::Never);
        }
        let max = Limits::default().max_ttl;
        u32::try_from(n).map(Ttl::Seconds).map_err(|_| {
            let rule = if n < 0 {
                format!("{n}: a TTL is 1 to {max} seconds, or 0 or never for no expiry")
            } else {
                format!("{n} is too large (at most {max} seconds)")
            };
            Error::invalid(name, rule).into()
        })
    }

    /// Lock seconds: 1 or more, or `-1` until UNLOCK.
    pub(crate) fn seconds(&mut self, name: &'static str) -> Result<LockTime, ParseError> {
        let n = self.int(name)?;
        if n == -1 {
            return Ok(LockTime::UntilUnlock);
        }
        u64::try_from(n)
            .ok()
            .filter(|&n| n > 0)
            .map(LockTime::Seconds)
            .ok_or_else(|| {
                let why = if n == 0 { " (0 does not lock)" } else { "" };
                Error::invalid(
                    name,
                    format!(
                        "{n}{why}: use 1 to {} seconds, or -1 until UNLOCK",
                        i64::MAX
                    ),
                )
                .into()
            })
    }

    /// A META field, in any case.
    pub(crate) fn field(&mut self, name: &'static str) -> Result<MetaField, ParseError> {
        let f = self.word(name)?;
        let f = String::from_utf8_lossy(&f).to_ascii_lowercase();
        MetaField::from_name(&f).ok_or_else(|| {
            Error::invalid(
                name,
                format!(
                    "\"{f}\" is not one of {}",
                    MetaField::ALL.map(MetaField::name).join(", ")
                ),
            )
            .into()
        })
    }

    /// An MGET limit; 0 is refused by the command.
    pub(crate) fn limit(&mut self, name: &'static str) -> Result<u32, ParseError> {
        let n = self.int(name)?;
        u32::try_from(n).map_err(|_| {
            Error::invalid(name, format!("{n}: use 1 to {}, or no limit", u32::MAX)).into()
        })
    }

    /// An argument that may be left out (the last one).
    pub(crate) fn optional<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<Option<T>, ParseError> {
        if self.next < self.words.words.len() {
            read(self).map(Some)
        } else {
            Ok(None)
        }
    }

    fn done(self) -> Result<(), ParseError> {
        if self.next < self.words.words.len() {
            return Err(ParseError(format!(
                "{}: too many arguments (usage: {})",
                self.op.name(),
                usage(self.op)
            )));
        }
        Ok(())
    }
}

/// A whole number, or the error naming argument `name`.
fn int_of(name: &'static str, w: &[u8]) -> Result<i64, ParseError> {
    std::str::from_utf8(w)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| {
            Error::invalid(name, format!("\"{}\" is not an integer", w.escape_ascii())).into()
        })
}

/// Parses one command: `words[0]` is its name.
pub(crate) fn parse(words: &Words) -> Result<Request, ParseError> {
    let name = words
        .first()
        .ok_or_else(|| ParseError("no command given".into()))?;
    let name_str = String::from_utf8_lossy(name);
    let op = Opcode::from_name(&name_str).ok_or_else(|| {
        let names = COMMANDS.iter().map(|(n, _, _)| *n);
        let hint = match crate::suggest::closest(&name_str, names.clone().chain(EXTRA_COMMANDS)) {
            Some(near) => format!("; did you mean {near}?"),
            None => String::new(),
        };
        ParseError(format!(
            "unknown command \"{}\"{hint} (commands: {})",
            name.escape_ascii(),
            names.chain(EXTRA_COMMANDS).collect::<Vec<_>>().join(" ")
        ))
    })?;
    let mut a = ArgReader { op, words, next: 1 };
    let req = Request::read(&mut a)?;
    a.done()?;
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> Result<Request, ParseError> {
        parse(&Words::from_line(s)?)
    }

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn set_value_is_the_rest_of_the_line() {
        assert_eq!(
            line("set 60 k hello   big world  ").unwrap(),
            Request::Set {
                ttl: Ttl::Seconds(60),
                key: b("k"),
                value: b("hello   big world")
            }
        );
        assert_eq!(
            line("SET 0 k \"a\\x00b \\\"q\\\"\"").unwrap(),
            Request::Set {
                ttl: Ttl::Never,
                key: b("k"),
                value: Bytes::from_static(b"a\0b \"q\"")
            }
        );
        // Quotes inside a longer rest are literal.
        assert_eq!(
            line("set never k \"a\" b").unwrap(),
            Request::Set {
                ttl: Ttl::Never,
                key: b("k"),
                value: b("\"a\" b")
            }
        );
    }

    #[test]
    fn args_from_the_command_line() {
        let words = |a: &[&str]| {
            Words::from_args(a.iter().map(|s| s.as_bytes().to_vec()).collect()).unwrap()
        };
        assert_eq!(
            parse(&words(&["SET", "0", "k", "two words", "more"])).unwrap(),
            Request::Set {
                ttl: Ttl::Never,
                key: b("k"),
                value: b("two words more")
            }
        );
        assert_eq!(
            parse(&words(&["set", "0", "k", "\"\\xff\\x00\""])).unwrap(),
            Request::Set {
                ttl: Ttl::Never,
                key: b("k"),
                value: Bytes::from_static(b"\xff\0")
            }
        );
    }

    #[test]
    fn every_command() {
        #[rustfmt::skip]
        let cases = [
            ("ttl k 10", Request::Ttl { key: b("k"), ttl: Ttl::Seconds(10) }),
            ("ttl k 0", Request::Ttl { key: b("k"), ttl: Ttl::Never }),
            ("ttl k NEVER", Request::Ttl { key: b("k"), ttl: Ttl::Never }),
            ("Lock k -1", Request::Lock { key: b("k"), time: LockTime::UntilUnlock }),
            ("mget p", Request::Mget { prefix: b("p"), limit: None }),
            ("mget p 3", Request::Mget { prefix: b("p"), limit: Some(3) }),
            ("meta k SIZE", Request::Meta { key: b("k"), field: MetaField::Size }),
            ("mlock p 5", Request::Mlock { prefix: b("p"), time: LockTime::Seconds(5) }),
            ("  ping ", Request::Ping),
        ];
        for (input, want) in cases {
            assert_eq!(line(input).unwrap(), want, "{input:?}");
        }
        for (name, _, _) in COMMANDS {
            let l = format!("{name} a 1 2");
            let r = line(&l);
            match *name {
                "SET" | "MSET" | "MGET" => assert!(r.is_ok() || r.is_err()),
                "STATS" | "PING" | "END" => assert!(r.unwrap_err().0.contains("too many")),
                _ => {}
            }
        }
    }

    #[test]
    fn one_row_an_opcode() {
        let names: Vec<&str> = COMMANDS.iter().map(|(name, _, _)| *name).collect();
        let opcodes: Vec<&str> = Opcode::ALL.iter().map(|op| op.name()).collect();
        assert_eq!(names, opcodes);
        assert_eq!(usage(Opcode::Set), "SET ttl key value");
        assert_eq!(usage(Opcode::Lock), "LOCK key seconds");
        assert_eq!(usage(Opcode::Mget), "MGET prefix [limit]");
        assert_eq!(usage(Opcode::Meta), "META key field");
        assert_eq!(usage(Opcode::Ping), "PING");
    }

    #[test]
    fn errors_name_the_argument() {
        let cases = [
            ("set x k v", "`ttl`"),
            ("get", "missing argument `key`"),
            ("set 0 k", "missing argument `value`"),
            ("get a b", "too many arguments"),
            ("lock k -2", "`seconds`"),
            ("meta k colour", "`field`"),
            ("mget p -1", "`limit`"),
            ("nope", "unknown command"),
            ("gett k", "did you mean GET?"),
            ("rote k", "did you mean ROUTE?"),
            ("set 0 k \"open", "unterminated"),
            ("set 0 k \"\\q\"", "unknown escape"),
            ("ttl k 99999999999", "too large"),
            ("set -1 k v", "or 0 or never for no expiry"),
            ("mttl p -5", "`ttl`"),
            ("lock k 0", "0 does not lock"),
            ("mlock p 0", "-1 until UNLOCK"),
        ];
        for (input, names) in cases {
            let err = line(input).unwrap_err().0;
            assert!(err.contains(names), "{input:?}: {err}");
        }
    }
}
