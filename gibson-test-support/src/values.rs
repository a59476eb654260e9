//! The serde values suite: a struct through each codec (`Json`, `Postcard`,
//! `MsgPack`) by SET, GET and MGET, a value that does not decode (the error
//! names the key, the connection goes on), a value a codec refuses. Written
//! once for every client (see [`suite!`](crate::suite!)):
//!
//! ```ignore
//! gibson_test_support::suite!(values, client: gibson_tokio, runtimes: [tokio]);
//! ```

use serde::{Deserialize, Serialize};

/// A struct with a string, a number, a `Vec` and an `Option`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// A string.
    pub name: String,
    /// A number.
    pub visits: u64,
    /// A list.
    pub tags: Vec<String>,
    /// Sometimes set.
    pub email: Option<String>,
}

impl Profile {
    /// The `i`th profile; odd ones have no email.
    pub fn nth(i: usize) -> Profile {
        Profile {
            name: format!("user {i} é"),
            visits: 1_000_000_007 * i as u64,
            tags: (0..i % 4).map(|t| format!("tag{t}")).collect(),
            email: i.is_multiple_of(2).then(|| format!("u{i}@example.org")),
        }
    }
}

/// Expands the values suite for the client crate `client` (which
/// re-exports `Json`, `Postcard`, `MsgPack`, `Error` and `Ttl`); `async,
/// run: …` or `blocking` as in
/// [`conformance_suite!`](crate::conformance_suite!).
#[macro_export]
macro_rules! values_suite {
    (async, run: $run:path, client: $($client:ident)::+, connect: |$cfg:ident| $connect:expr) => {
        $crate::__values_tests!([$($client)::+] ($run) (async move) (.await) |$cfg| $connect);
    };
    (blocking, client: $($client:ident)::+, connect: |$cfg:ident| $connect:expr) => {
        $crate::__values_tests!(
            [$($client)::+] ($crate::conformance::run_blocking) () () |$cfg| $connect
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __values_tests {
    (@codec $module:ident $codec:ident [$($client:ident)::+]
        ($run:path) ($($wrap:tt)*) ($($aw:tt)*) |$cfg:ident| $connect:expr) => {
        /// The suite for one codec.
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            use $($client)::+::{$codec, Error, Ttl};
            use $crate::values::Profile;
            #[allow(unused_imports)]
            use $crate::__reexport::{AsyncCommands as _, Commands as _};

            $crate::__suite_clients!(($run) ($($wrap)*) |$cfg| $connect);

            connected_test!(fn a_struct_round_trips_by_get_and_mget(c) {
                let p = $crate::unique_prefix(stringify!($module));
                let profiles: Vec<Profile> = (0..5).map(Profile::nth).collect();
                for (i, profile) in profiles.iter().enumerate() {
                    c.set(format!("{p}{i}"), $codec(profile), Ttl::Seconds(600))$($aw)*.unwrap();
                }
                for (i, profile) in profiles.iter().enumerate() {
                    let got = c.get::<$codec<Profile>>(format!("{p}{i}"))$($aw)*.unwrap();
                    assert_eq!(got.map($codec::into_inner).as_ref(), Some(profile));
                }
                assert_eq!(c.get::<$codec<Profile>>(format!("{p}absent"))$($aw)*.unwrap(), None);
                let mut pairs: Vec<(String, $codec<Profile>)> = c.mget(p.as_str())$($aw)*.unwrap();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                let want: Vec<(String, $codec<Profile>)> = profiles
                    .iter()
                    .enumerate()
                    .map(|(i, profile)| (format!("{p}{i}"), $codec(profile.clone())))
                    .collect();
                assert_eq!(pairs, want);
            });

            connected_test!(fn a_value_that_does_not_decode_names_its_key_and_the_connection_goes_on(c) {
                let p = $crate::unique_prefix(concat!(stringify!($module), "bad"));
                let (good, bad) = (format!("{p}good"), format!("{p}bad"));
                c.set(&good, $codec(&Profile::nth(2)), Ttl::Seconds(600))$($aw)*.unwrap();
                c.set(&bad, "\u{1}not a profile", Ttl::Seconds(600))$($aw)*.unwrap();

                let err = c.get::<$codec<Profile>>(&bad)$($aw)*.unwrap_err();
                match &err {
                    Error::Decode { key, target, .. } => {
                        assert_eq!(key.as_deref(), Some(bad.as_str()));
                        assert!(target.ends_with("Profile"), "{target}");
                    }
                    other => panic!("not a decode error: {other:?}"),
                }
                assert!(err.to_string().contains(&bad), "{err}");
                assert!(!err.is_connection_broken());
                // The reply was read whole: the next command on the same
                // connection gets its own reply.
                assert_eq!(
                    c.get::<String>(&bad)$($aw)*.unwrap().as_deref(),
                    Some("\u{1}not a profile")
                );

                let err = c.mget::<String, $codec<Profile>>(p.as_str())$($aw)*.unwrap_err();
                match &err {
                    Error::Decode { key, .. } => assert_eq!(key.as_deref(), Some(bad.as_str())),
                    other => panic!("not a decode error: {other:?}"),
                }
                assert_eq!(c.count(p.as_str())$($aw)*.unwrap(), 2);
                let good_back = c.get::<$codec<Profile>>(&good)$($aw)*.unwrap();
                assert_eq!(good_back.map($codec::into_inner), Some(Profile::nth(2)));
            });

            connected_test!(fn in_a_pipeline_and_a_namespace_the_error_names_the_key(c) {
                let p = $crate::unique_prefix(concat!(stringify!($module), "nsbad"));
                let bad = format!("{p}bad");
                c.set(&bad, "\u{1}not a profile", Ttl::Seconds(600))$($aw)*.unwrap();
                let decode_key = |err: Error| match err {
                    Error::Decode { key, .. } => key,
                    other => panic!("not a decode error: {other:?}"),
                };

                let mut pipe = c.pipeline();
                let typed = pipe.get::<$codec<Profile>>(&bad);
                let raw = pipe.get::<String>(&bad);
                let mut results = c.run(pipe)$($aw)*.unwrap();
                assert_eq!(decode_key(results.take(typed).unwrap_err()).as_deref(), Some(bad.as_str()));
                assert_eq!(results.take(raw).unwrap().as_deref(), Some("\u{1}not a profile"));

                // Under a namespace, the key the caller gave (no prefix).
                #[allow(unused_mut)]
                let mut ns = c.namespace(p.as_str()).unwrap();
                let err = ns.get::<$codec<Profile>>("bad")$($aw)*.unwrap_err();
                assert_eq!(decode_key(err).as_deref(), Some("bad"));
                let err = ns.mget::<String, $codec<Profile>>("ba")$($aw)*.unwrap_err();
                assert_eq!(decode_key(err).as_deref(), Some("bad"));
                let mut pipe = ns.pipeline();
                let typed = pipe.get::<$codec<Profile>>("bad");
                let mut results = ns.run(pipe)$($aw)*.unwrap();
                assert_eq!(decode_key(results.take(typed).unwrap_err()).as_deref(), Some("bad"));
                assert_eq!(
                    ns.get::<String>("bad")$($aw)*.unwrap().as_deref(),
                    Some("\u{1}not a profile")
                );
            });
        }
    };
    ($client:tt $($rest:tt)*) => {
        $crate::__values_tests!(@codec json Json $client $($rest)*);
        $crate::__values_tests!(@codec postcard Postcard $client $($rest)*);
        $crate::__values_tests!(@codec msgpack MsgPack $client $($rest)*);
    };
}
