//! Values that survive change, run by every runtime crate with the values
//! suite ([`suite!`](crate::suite!)`(values, …)`, in a module `skew`): a
//! stored value that no longer decodes reads
//! as a miss through `Lenient` (only that key, in an MGET too), and
//! compressed values live beside plain ones under one prefix.

use std::collections::BTreeMap;

use bytes::Bytes;
use gibson_policy::{Compressed, Json, Lenient};
use gibson_proto::{AsyncCommands, Error, Ttl};

use crate::client::{connected, SuiteClient};
use crate::unique_prefix;
use crate::values::Profile;

/// The good values under a namespace.
pub const GOOD: usize = 10;

const TTL: Ttl = Ttl::Seconds(600);

/// A value the old release wrote: a `Profile` without its other fields.
const SKEWED: &str = r#"{"name":"written by the old release"}"#;

/// The key of the `i`th good value.
fn item(i: usize) -> String {
    format!("item:{i}")
}

/// The MGET of every item: [`GOOD`] values, the skewed one left out.
fn check_lenient_pairs(pairs: Vec<(String, Lenient<Json<Profile>>)>) {
    let got: BTreeMap<String, Profile> = pairs
        .into_iter()
        .map(|(k, v)| (k, v.into_inner().into_inner()))
        .collect();
    let want: BTreeMap<String, Profile> = (0..GOOD).map(|i| (item(i), Profile::nth(i))).collect();
    assert_eq!(got, want, "the good values, and no pair for the skewed one");
}

/// The strict MGET's error: a decode error naming the skewed key.
fn check_strict_error(err: Error) {
    assert!(
        matches!(&err, Error::Decode { key: Some(k), .. } if k.ends_with("item:skewed")),
        "{err}"
    );
}

/// How many values a lenient read took for misses in [`lenient_reads`]:
/// one in the MGET, one in the GET.
pub const LENIENT_MISSES: u64 = 2;

/// Under the namespace `ns`: [`GOOD`] profiles as JSON and one value of
/// the old release that does not decode as one. A strict MGET fails on
/// it; a lenient one returns the good values and leaves it out (a miss);
/// a lenient GET of it is a miss and the value stays on the server.
pub async fn lenient_reads<N: AsyncCommands>(ns: &N) {
    for i in 0..GOOD {
        ns.set(item(i), Json(Profile::nth(i)), TTL).await.unwrap();
    }
    ns.set("item:skewed", SKEWED, TTL).await.unwrap();
    let strict = ns.mget::<String, Json<Profile>>("item:").await;
    check_strict_error(strict.unwrap_err());
    check_lenient_pairs(ns.mget("item:").await.unwrap());
    let skewed = ns
        .get::<Lenient<Json<Profile>>>("item:skewed")
        .await
        .unwrap();
    assert_eq!(skewed, None);
    let good = ns.get::<Lenient<Json<Profile>>>(item(3)).await.unwrap();
    assert_eq!(good.map(|v| v.0 .0), Some(Profile::nth(3)));
    let raw = ns.get::<String>("item:skewed").await.unwrap();
    assert_eq!(raw.as_deref(), Some(SKEWED), "a miss deletes nothing");
}

/// A list of `n` profiles: some 8 KB as JSON for 100, under 1 KiB for 1.
fn document(n: usize) -> Vec<Profile> {
    (0..n).map(Profile::nth).collect()
}

type Doc = Compressed<Json<Vec<Profile>>>;

/// What is written under a prefix, by key: large documents as plain JSON
/// (written before compression was used), large ones compressed, small
/// ones through `Compressed` (below its threshold: plain).
fn written() -> Vec<(String, Vec<Profile>, Kind)> {
    let mut all = Vec::new();
    for i in 0..3 {
        all.push((format!("plain:{i}"), document(100 + i), Kind::Plain));
        all.push((format!("zstd:{i}"), document(100 + i), Kind::Compressed));
        all.push((format!("small:{i}"), document(1 + i), Kind::Small));
    }
    all
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    Compressed,
    Small,
}

/// The stored bytes are as `kind` says: compressed ones start with the
/// marker and are smaller than the JSON.
fn check_stored(key: &str, raw: &Bytes, doc: &[Profile], kind: Kind) {
    let json = serde_json::to_vec(doc).unwrap();
    match kind {
        Kind::Compressed => {
            assert_eq!(
                raw.first(),
                Some(&gibson_policy::COMPRESSED_MARKER),
                "{key}"
            );
            assert!(
                raw.len() < json.len() / 2,
                "{key}: {} of {}",
                raw.len(),
                json.len()
            );
        }
        Kind::Plain | Kind::Small => assert_eq!(&raw[..], &json[..], "{key}"),
    }
}

/// The MGET of the prefix: every document, whatever its kind.
fn check_read_back(p: &str, pairs: Vec<(String, Doc)>) {
    let got: BTreeMap<String, Vec<Profile>> = pairs.into_iter().map(|(k, v)| (k, v.0 .0)).collect();
    let want: BTreeMap<String, Vec<Profile>> = written()
        .into_iter()
        .map(|(k, doc, _)| (format!("{p}{k}"), doc))
        .collect();
    assert_eq!(got.len(), want.len());
    assert!(got == want, "every value reads back under {p}");
}

/// Compressed and plain values under one prefix: all read back by GET and
/// MGET through `Compressed<Json<_>>`, and the large ones written through
/// it are stored compressed.
pub async fn compressed_beside_plain<C: AsyncCommands>(cache: &C) {
    let p = unique_prefix("compressed");
    for (k, doc, kind) in written() {
        let key = format!("{p}{k}");
        match kind {
            Kind::Plain => cache.set(key.as_str(), Json(&doc), TTL).await,
            Kind::Compressed | Kind::Small => {
                cache.set(key.as_str(), Compressed(Json(&doc)), TTL).await
            }
        }
        .unwrap();
        let raw = cache.get::<Bytes>(key.as_str()).await.unwrap().unwrap();
        check_stored(&key, &raw, &doc, kind);
        let back = cache
            .get::<Doc>(key.as_str())
            .await
            .unwrap()
            .map(|v| v.0 .0);
        assert!(back.as_ref() == Some(&doc), "{key} reads back");
    }
    check_read_back(&p, cache.mget(p.as_str()).await.unwrap());
}

/// [`lenient_reads`] under a namespace of a client `C` of the test server;
/// the misses counted (`gibson.client.undecodable`) and warned when
/// `built` says the client does.
#[cfg(feature = "observe")]
pub async fn a_value_that_no_longer_decodes_is_a_miss_of_its_key_only<C: SuiteClient>(
    built: crate::built::Built,
) {
    let (_server, c) = connected::<C>().await;
    let ns = c.namespace(&unique_prefix("skew")).unwrap();
    let misses = (gibson_policy::UNDECODABLE_METRIC, LENIENT_MISSES);
    crate::built::observed(built, misses, lenient_reads(&ns), |events| {
        let misses = LENIENT_MISSES as usize;
        crate::observe::checks::warned(events, "item:skewed", "read as a miss", misses);
    })
    .await;
}

/// [`compressed_beside_plain`] on a client `C` of the test server.
pub async fn compressed_and_plain_values_share_a_prefix<C: SuiteClient>() {
    let (_server, c) = connected::<C>().await;
    compressed_beside_plain(&c).await;
}
