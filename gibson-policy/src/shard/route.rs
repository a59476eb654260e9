//! Where a request goes: the server of its key, or every server.

use bytes::{Bytes, BytesMut};
use gibson_proto::{
    frame::{frame_len, frame_opcode, payload_key},
    server::{parse_int, split_args, Args},
    Command, Error, Limits, Opcode, REQUEST_HEADER_LEN,
};

use crate::ring::HashRing;

use super::FanOut;

/// Where one request goes.
///
/// ```
/// use gibson_policy::shard::Route;
/// use gibson_policy::HashRing;
///
/// let ring = HashRing::new(["a:1", "b:2"]);
/// // PING: no key, every server.
/// assert!(matches!(ring.route_frame(b"\x02\x00\x00\x00\x13\x00"), Ok(Route::Every(_))));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// To the server at this index of the ring's
    /// [`servers`](HashRing::servers): the one its key lives on.
    Server(usize),
    /// To every server; [`FanOut::merge`] makes one reply of theirs.
    Every(FanOut),
}

/// A request encoded once, with where it goes: what a sharded client sends.
///
/// ```
/// use gibson_policy::HashRing;
/// use gibson_proto::{cmd, Limits};
/// use gibson_policy::shard::Route;
///
/// let ring = HashRing::new(["10.0.0.1:10128", "10.0.0.2:10128"]);
/// let get = ring.route(&cmd::Get::<_>::new("user:42"), &Limits::default()).unwrap();
/// assert_eq!(get.route, Route::Server(ring.index_for(b"user:42").unwrap()));
/// assert_eq!(&get.frame[6..], b"user:42");
///
/// let count = ring.route(&cmd::Count::new("user:"), &Limits::default()).unwrap();
/// assert!(matches!(count.route, Route::Every(_)));
/// ```
#[derive(Debug, Clone)]
pub struct Routed {
    /// The request's opcode.
    pub opcode: Opcode,
    /// The request frame, to send as is (to each server for a fan-out).
    pub frame: Bytes,
    /// Where it goes.
    pub route: Route,
}

/// The error for a ring with nowhere to send a request.
fn no_server() -> Error {
    Error::invalid(
        "servers",
        "the ring has no server (or every server weighs 0)",
    )
}

impl HashRing {
    /// Encodes `cmd` (validating it, as a connection would) and finds where
    /// it goes (see [`Routed`]).
    pub fn route<C: Command>(&self, cmd: &C, limits: &Limits) -> Result<Routed, Error> {
        let mut buf = BytesMut::new();
        cmd.encode(&mut buf, limits)?;
        let frame = buf.freeze();
        let route = self.route_frame(&frame)?;
        Ok(Routed {
            opcode: C::OPCODE,
            frame,
            route,
        })
    }

    /// Where the request frame at the start of `frame` goes: the server of
    /// its key (the key as the server reads it from the payload), or every
    /// server. An incomplete frame or an unknown opcode is an
    /// [`Error::InvalidArgument`] named `frame`; an empty ring one named
    /// `servers`.
    ///
    /// ```
    /// use gibson_policy::HashRing;
    /// use gibson_policy::shard::Route;
    ///
    /// let ring = HashRing::new(["a:1", "b:2", "c:3"]);
    /// // SET 0 greeting hello
    /// let set = b"\x12\x00\x00\x00\x01\x000 greeting hello";
    /// let at = ring.index_for(b"greeting").unwrap();
    /// assert_eq!(ring.route_frame(set).unwrap(), Route::Server(at));
    /// assert!(ring.route_frame(b"\x05\x00").is_err());
    /// ```
    pub fn route_frame(&self, frame: &[u8]) -> Result<Route, Error> {
        let len = frame_len(frame, 0)
            .ok_or_else(|| Error::invalid("frame", "not a whole request frame"))?;
        let opcode = frame_opcode(frame).map_err(|e| Error::invalid("frame", e))?;
        if self.servers().is_empty() {
            return Err(no_server());
        }
        let payload = &frame[REQUEST_HEADER_LEN..len];
        if opcode.is_fan_out() {
            return Ok(Route::Every(FanOut::of(opcode, payload)));
        }
        match payload_key(opcode, payload) {
            Some(key) => self.index_for(key).map(Route::Server).ok_or_else(no_server),
            // Only STATS, PING and END have no key, and they fan out.
            None => Ok(Route::Every(FanOut::of(opcode, payload))),
        }
    }
}

impl FanOut {
    /// The fan-out of a request with `opcode` and `payload`: MGET's limit is
    /// read as the server reads it (a number of 0 or less, or none, means
    /// no limit).
    pub(super) fn of(opcode: Opcode, payload: &[u8]) -> FanOut {
        let limit = match split_args(opcode, payload, usize::MAX, usize::MAX) {
            Args::KeyRest {
                rest: Some(rest), ..
            } if opcode == Opcode::Mget => parse_int(rest)
                .filter(|&n| n > 0)
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            _ => None,
        };
        FanOut::new(opcode, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gibson_proto::{cmd, LockTime, MetaField, Ttl};

    fn ring() -> HashRing {
        HashRing::new((0..5).map(|i| format!("10.0.0.{i}:10128")))
    }

    #[test]
    fn every_keyed_command_goes_to_its_keys_server() {
        let ring = ring();
        let limits = Limits::default();
        for i in 0..200 {
            let key = format!("user:{i}");
            let want = Route::Server(ring.index_for(key.as_bytes()).unwrap());
            let k = key.as_str();
            let routes = [
                ring.route(&cmd::Set::new(k, "v", Ttl::Seconds(5)), &limits),
                ring.route(&cmd::SetTtl::new(k, Ttl::Never), &limits),
                ring.route(&cmd::Get::<_>::new(k), &limits),
                ring.route(&cmd::Del::new(k), &limits),
                ring.route(&cmd::Inc::new(k), &limits),
                ring.route(&cmd::Dec::new(k), &limits),
                ring.route(&cmd::Lock::new(k, LockTime::UntilUnlock), &limits),
                ring.route(&cmd::Unlock::new(k), &limits),
                ring.route(&cmd::Meta::new(k, MetaField::Size), &limits),
            ];
            for routed in routes {
                let routed = routed.unwrap();
                assert_eq!(routed.route, want, "{} {key}", routed.opcode);
            }
        }
    }

    #[test]
    fn prefix_and_server_commands_go_everywhere() {
        let ring = ring();
        let limits = Limits::default();
        let every = |r: Result<Routed, Error>| match r.unwrap().route {
            Route::Every(f) => (f.opcode(), f.limit()),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            every(ring.route(&cmd::Count::new("p"), &limits)),
            (Opcode::Count, None)
        );
        assert_eq!(
            every(ring.route(&cmd::Mget::<_>::new("p").limit(7), &limits)),
            (Opcode::Mget, Some(7))
        );
        assert_eq!(
            every(ring.route(&cmd::Mget::<_>::new("p"), &limits)),
            (Opcode::Mget, None)
        );
        assert_eq!(
            every(ring.route(&cmd::Mset::new("p", "v w"), &limits)).0,
            Opcode::Mset
        );
        for routed in [
            ring.route(&cmd::Ping, &limits),
            ring.route(&cmd::End, &limits),
            ring.route(&cmd::GetStats, &limits),
            ring.route(&cmd::Keys::<_>::new("p"), &limits),
        ] {
            assert!(matches!(routed.unwrap().route, Route::Every(_)));
        }
        for op in Opcode::ALL {
            let frame = [2, 0, 0, 0, op.code() as u8, (op.code() >> 8) as u8];
            let fans = matches!(ring.route_frame(&frame), Ok(Route::Every(_)));
            assert_eq!(fans, op.is_fan_out(), "{op}");
        }
    }

    #[test]
    fn bad_frames_and_empty_rings_are_errors_not_panics() {
        let ring = ring();
        for frame in [
            &b""[..],
            b"\x02\x00\x00",
            b"\x09\x00\x00\x00\x03\x00ab",
            b"\x02\x00\x00\x00\x63\x00",
        ] {
            assert!(matches!(
                ring.route_frame(frame),
                Err(Error::InvalidArgument { arg: "frame", .. })
            ));
        }
        let empty = HashRing::default();
        assert!(matches!(
            empty.route(&cmd::Get::<_>::new("k"), &Limits::default()),
            Err(Error::InvalidArgument { arg: "servers", .. })
        ));
        // A refused command is refused before routing.
        assert!(matches!(
            ring.route(&cmd::Get::<_>::new("a b"), &Limits::default()),
            Err(Error::InvalidArgument { arg: "key", .. })
        ));
    }
}
