//! The serde values suite: a struct through each codec (`Json`, `Postcard`,
//! `MsgPack`) by SET, GET and MGET, a value that does not decode (the error
//! names the key, the connection goes on), a value a codec refuses. Written
//! once, as `async fn`s generic over the client ([`SuiteClient`]) and the
//! codec ([`Encoded`]), and stamped for every client and codec (a module
//! per codec: `json`, `postcard`, `msgpack`) by [`suite!`](crate::suite!):
//!
//! ```ignore
//! gibson_test_support::suite!(values, client: gibson_tokio, runtimes: [tokio]);
//! ```

use std::fmt::Debug;

use gibson_policy::{Json, MsgPack, Postcard};
use gibson_proto::{AsyncCommands, Error, FromValue, ToArg, Ttl};
use serde::{Deserialize, Serialize};

use crate::client::{connected, SuiteClient};
use crate::unique_prefix;

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

/// [`Profile`] in one codec's wrapper (`Json<Profile>`, …).
pub trait Encoded: ToArg + FromValue + PartialEq + Debug {
    /// The codec's module of tests, and the tag of its key prefixes.
    const TAG: &'static str;
    /// `profile` in the wrapper.
    fn wrap(profile: Profile) -> Self;
    /// The profile inside.
    fn into_inner(self) -> Profile;
}

/// Implements [`Encoded`] for `$codec<Profile>`.
macro_rules! encoded {
    ($($codec:ident $tag:literal),+) => {$(
        impl Encoded for $codec<Profile> {
            const TAG: &'static str = $tag;
            fn wrap(profile: Profile) -> Self {
                $codec(profile)
            }
            fn into_inner(self) -> Profile {
                $codec::into_inner(self)
            }
        }
    )+};
}

encoded!(Json "json", Postcard "postcard", MsgPack "msgpack");

/// Stamps the suite's `#[test]`s for each codec, in a module named after it.
#[doc(hidden)]
#[macro_export]
macro_rules! __values_tests {
    ($run:expr, $client:ty) => {
        $crate::__values_tests!(@codec json Json $run, $client);
        $crate::__values_tests!(@codec postcard Postcard $run, $client);
        $crate::__values_tests!(@codec msgpack MsgPack $run, $client);
        /// Values that survive change ([`skew`](mod@$crate::skew)).
        mod skew {
            $crate::__tests!($run, [$client], skew($crate::built!()):
                a_value_that_no_longer_decodes_is_a_miss_of_its_key_only,
            );
            $crate::__tests!($run, [$client], skew: compressed_and_plain_values_share_a_prefix);
        }
    };
    (@codec $module:ident $codec:ident $run:expr, $client:ty) => {
        /// The suite for one codec.
        mod $module {
            type Codec = $crate::__reexport::$codec<$crate::values::Profile>;
            $crate::__tests!($run, [$client, Codec], values:
                a_struct_round_trips_by_get_and_mget,
                a_value_that_does_not_decode_names_its_key_and_the_connection_goes_on,
                in_a_pipeline_and_a_namespace_the_error_names_the_key,
            );
        }
    };
}

/// Five profiles SET through the codec read back by GET and by MGET.
pub async fn a_struct_round_trips_by_get_and_mget<C: SuiteClient, W: Encoded>() {
    let (_server, c) = connected::<C>().await;
    let p = unique_prefix(W::TAG);
    let profiles: Vec<Profile> = (0..5).map(Profile::nth).collect();
    for (i, profile) in profiles.iter().enumerate() {
        c.set(
            format!("{p}{i}"),
            W::wrap(profile.clone()),
            Ttl::Seconds(600),
        )
        .await
        .unwrap();
    }
    for (i, profile) in profiles.iter().enumerate() {
        let got = c.get::<W>(format!("{p}{i}")).await.unwrap();
        assert_eq!(got.map(W::into_inner).as_ref(), Some(profile));
    }
    assert_eq!(c.get::<W>(format!("{p}absent")).await.unwrap(), None);
    let mut pairs: Vec<(String, W)> = c.mget(p.as_str()).await.unwrap();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let want: Vec<(String, W)> = profiles
        .iter()
        .enumerate()
        .map(|(i, profile)| (format!("{p}{i}"), W::wrap(profile.clone())))
        .collect();
    assert_eq!(pairs, want);
}

/// A value that does not decode is an error naming its key, and the
/// connection goes on.
pub async fn a_value_that_does_not_decode_names_its_key_and_the_connection_goes_on<
    C: SuiteClient,
    W: Encoded,
>() {
    let (_server, c) = connected::<C>().await;
    let p = unique_prefix(&format!("{}bad", W::TAG));
    let (good, bad) = (format!("{p}good"), format!("{p}bad"));
    c.set(&good, W::wrap(Profile::nth(2)), Ttl::Seconds(600))
        .await
        .unwrap();
    c.set(&bad, "\u{1}not a profile", Ttl::Seconds(600))
        .await
        .unwrap();

    let err = c.get::<W>(&bad).await.unwrap_err();
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
        c.get::<String>(&bad).await.unwrap().as_deref(),
        Some("\u{1}not a profile")
    );

    let err = c.mget::<String, W>(p.as_str()).await.unwrap_err();
    match &err {
        Error::Decode { key, .. } => assert_eq!(key.as_deref(), Some(bad.as_str())),
        other => panic!("not a decode error: {other:?}"),
    }
    assert_eq!(c.count(p.as_str()).await.unwrap(), 2);
    let good_back = c.get::<W>(&good).await.unwrap();
    assert_eq!(good_back.map(W::into_inner), Some(Profile::nth(2)));
}

/// In a pipeline, and under a namespace (the key the caller gave), the
/// decode error names the key.
pub async fn in_a_pipeline_and_a_namespace_the_error_names_the_key<C: SuiteClient, W: Encoded>() {
    let (_server, c) = connected::<C>().await;
    let p = unique_prefix(&format!("{}nsbad", W::TAG));
    let bad = format!("{p}bad");
    c.set(&bad, "\u{1}not a profile", Ttl::Seconds(600))
        .await
        .unwrap();
    let decode_key = |err: Error| match err {
        Error::Decode { key, .. } => key,
        other => panic!("not a decode error: {other:?}"),
    };

    let mut pipe = c.pipeline();
    let typed = pipe.get::<W>(&bad);
    let raw = pipe.get::<String>(&bad);
    let mut results = c.run(pipe).await.unwrap();
    assert_eq!(
        decode_key(results.take(typed).unwrap_err()).as_deref(),
        Some(bad.as_str())
    );
    assert_eq!(
        results.take(raw).unwrap().as_deref(),
        Some("\u{1}not a profile")
    );

    // Under a namespace, the key the caller gave (no prefix).
    let ns = c.namespace(p.as_str()).unwrap();
    let err = ns.get::<W>("bad").await.unwrap_err();
    assert_eq!(decode_key(err).as_deref(), Some("bad"));
    let err = ns.mget::<String, W>("ba").await.unwrap_err();
    assert_eq!(decode_key(err).as_deref(), Some("bad"));
    let mut pipe = ns.pipeline();
    let typed = pipe.get::<W>("bad");
    let mut results = ns.run(pipe).await.unwrap();
    assert_eq!(
        decode_key(results.take(typed).unwrap_err()).as_deref(),
        Some("bad")
    );
    assert_eq!(
        ns.get::<String>("bad").await.unwrap().as_deref(),
        Some("\u{1}not a profile")
    );
}
