//! Putting a namespace's prefix in front of a request's key, and taking it
//! off the key names a reply carries (MGET's keys, KEYS' names).

use bytes::{BufMut, Bytes, BytesMut};
use gibson_proto::{
    frame::{frame_len, frame_opcode, key_span},
    Command, Error, Limits, Opcode, Reply, Value, REQUEST_HEADER_LEN,
};

use crate::shard::build_pairs;

/// Appends the request frame `frame` to `out` with `prefix` put in front of
/// its key (STATS, PING and END go unchanged), refusing a key or request
/// that `limits` do not allow.
pub(crate) fn scope_frame(
    prefix: &[u8],
    frame: &[u8],
    limits: &Limits,
    out: &mut BytesMut,
) -> Result<(), Error> {
    let len = frame_len(frame, 0)
        .filter(|&len| len == frame.len())
        .ok_or_else(|| Error::invalid("frame", "not one whole request frame"))?;
    let opcode = frame_opcode(frame).map_err(|e| Error::invalid("frame", e))?;
    let payload = &frame[REQUEST_HEADER_LEN..len];
    let Some((at, key_len)) = key_span(opcode, payload) else {
        out.extend_from_slice(frame);
        return Ok(());
    };
    let with_prefix =
        |size, max| format!("{size} bytes with the namespace's prefix, above the limit of {max}");
    Error::within(
        "key",
        key_len + prefix.len(),
        limits.max_key_size,
        with_prefix,
    )?;
    let size = frame.len() + prefix.len();
    Error::within("request", size, limits.max_request_size, with_prefix)?;
    let body =
        u32::try_from(size - 4).map_err(|_| Error::invalid("request", "larger than 4 GiB"))?;
    out.reserve(size);
    out.put_u32_le(body);
    out.extend_from_slice(&frame[4..REQUEST_HEADER_LEN]);
    out.extend_from_slice(&payload[..at]);
    out.extend_from_slice(prefix);
    out.extend_from_slice(&payload[at..]);
    Ok(())
}

/// `name` without `prefix` (which every name the server sends back under
/// a namespace starts with).
fn strip(prefix: &[u8], name: Bytes) -> Bytes {
    if name.starts_with(prefix) {
        name.slice(prefix.len()..)
    } else {
        name
    }
}

/// The reply to a request scoped with `prefix`, with the prefix taken off
/// the keys of an MGET and the names of a KEYS.
pub(crate) fn unscope_reply(prefix: &[u8], opcode: Opcode, reply: Reply) -> Result<Reply, Error> {
    let Reply::Pairs(pairs) = reply else {
        return Ok(reply);
    };
    let unsent = u32::try_from(pairs.announced() - pairs.len()).unwrap_or(u32::MAX);
    let entries: Vec<(Bytes, Value)> = match opcode {
        Opcode::Mget => pairs
            .into_iter()
            .map(|(key, value)| (strip(prefix, key), value))
            .collect(),
        Opcode::Keys => pairs
            .into_iter()
            .map(|(index, name)| match name {
                Value::Bytes(name) => (index, Value::Bytes(strip(prefix, name))),
                other => (index, other),
            })
            .collect(),
        _ => return Ok(Reply::Pairs(pairs)),
    };
    build_pairs(entries.into_iter(), unsent)
}

/// A command sent under a namespace (made by
/// [`Scope::command`](super::Scope::command)): `C`'s frame with the prefix
/// in front of its key. Its output is the raw reply, which
/// [`Scope::decode`](super::Scope::decode) turns into `C`'s.
#[derive(Debug, Clone)]
pub struct Scoped<C> {
    pub(crate) cmd: C,
    pub(crate) prefix: Bytes,
}

impl<C: Command> Command for Scoped<C> {
    type Output = Reply;
    const OPCODE: Opcode = C::OPCODE;

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        // The command's own checks, with room for the prefix in the key.
        let mut own = *limits;
        own.max_key_size = limits.max_key_size.saturating_sub(self.prefix.len());
        let mut frame = BytesMut::new();
        self.cmd.encode(&mut frame, &own)?;
        scope_frame(&self.prefix, &frame, limits, dst)
    }

    fn decode(reply: Reply) -> Result<Reply, Error> {
        Ok(reply)
    }
}

/// A command sent under a namespace that decodes its own reply (made by
/// [`Scope::typed`](super::Scope::typed)): what a client sends for a
/// namespace. Its [`decode_reply`](Command::decode_reply) takes the prefix
/// off the keys MGET and KEYS return and names the caller's key in an
/// [`Error::Decode`]. Decoding by type alone ([`Command::decode`], as a
/// pipeline does) cannot know the prefix, so it refuses MGET's and KEYS'
/// replies rather than hand back keys with the prefix on; put a namespace's
/// commands in a pipeline with [`Scope::pipeline`](super::Scope::pipeline).
#[derive(Debug, Clone)]
pub struct TypedScoped<C>(pub(crate) Scoped<C>);

impl<C: Command> Command for TypedScoped<C> {
    type Output = C::Output;
    const OPCODE: Opcode = C::OPCODE;

    fn encode(&self, dst: &mut BytesMut, limits: &Limits) -> Result<(), Error> {
        self.0.encode(dst, limits)
    }

    fn decode(reply: Reply) -> Result<C::Output, Error> {
        match C::OPCODE {
            Opcode::Mget | Opcode::Keys => Err(Error::invalid(
                "command",
                format!(
                    "{} under a namespace is decoded with decode_reply, which knows the prefix",
                    C::OPCODE
                ),
            )),
            _ => C::decode(reply),
        }
    }

    fn decode_reply(&self, reply: Reply) -> Result<C::Output, Error> {
        let Scoped { cmd, prefix } = &self.0;
        cmd.decode_reply(unscope_reply(prefix, C::OPCODE, reply)?)
    }
}

/// `pairs` as a reply (for tests of the unscoping).
#[cfg(test)]
fn kval(entries: &[(&str, &str)]) -> Reply {
    let entries = entries
        .iter()
        .map(|(k, v)| (Bytes::from(k.to_string()), Value::from(*v)));
    build_pairs(entries, 0).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gibson_proto::{cmd, Ttl};

    fn scoped<C: Command>(c: C) -> Vec<u8> {
        let mut out = BytesMut::new();
        Scoped {
            cmd: c,
            prefix: Bytes::from_static(b"ns:"),
        }
        .encode(&mut out, &Limits::default())
        .unwrap();
        out.to_vec()
    }

    fn plain<C: Command>(c: C) -> Vec<u8> {
        let mut out = BytesMut::new();
        c.encode(&mut out, &Limits::default()).unwrap();
        out.to_vec()
    }

    #[test]
    fn the_prefix_goes_in_front_of_the_key() {
        assert_eq!(
            scoped(cmd::Get::<_>::new("k")),
            plain(cmd::Get::<_>::new("ns:k"))
        );
        assert_eq!(
            scoped(cmd::Set::new("k", "v w", Ttl::Seconds(5))),
            plain(cmd::Set::new("ns:k", "v w", Ttl::Seconds(5)))
        );
        assert_eq!(
            scoped(cmd::Mget::<_>::new("a").limit(3)),
            plain(cmd::Mget::<_>::new("ns:a").limit(3))
        );
        assert_eq!(scoped(cmd::Count::new("a")), plain(cmd::Count::new("ns:a")));
        assert_eq!(scoped(cmd::Ping), plain(cmd::Ping));
    }

    #[test]
    fn the_limits_count_the_prefix() {
        let mut limits = Limits::default();
        limits.max_key_size = 5;
        let mut out = BytesMut::new();
        let long = Scoped {
            cmd: cmd::Get::<_>::new("abc"),
            prefix: Bytes::from_static(b"ns:"),
        };
        let err = long.encode(&mut out, &limits).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { arg: "key", .. }),
            "{err}"
        );
        assert!(out.is_empty(), "nothing written on error");
    }

    #[test]
    fn mget_keys_and_keys_names_lose_the_prefix() {
        let mget = unscope_reply(b"ns:", Opcode::Mget, kval(&[("ns:a", "1"), ("ns:b", "2")]));
        assert_eq!(mget.unwrap(), kval(&[("a", "1"), ("b", "2")]));
        let keys = unscope_reply(
            b"ns:",
            Opcode::Keys,
            kval(&[("0", "ns:a"), ("1", "ns:b:c")]),
        );
        assert_eq!(keys.unwrap(), kval(&[("0", "a"), ("1", "b:c")]));
        let other = unscope_reply(b"ns:", Opcode::Get, Reply::Ok).unwrap();
        assert_eq!(other, Reply::Ok);
    }
}
