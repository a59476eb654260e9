//! One KVAL made of several servers' KVALs: MGET's pairs and KEYS' names.

use std::collections::HashSet;

use bytes::{Bytes, BytesMut};

use gibson_proto::{server::PairsWriter, Error, Pairs, Reply, Value, REPLY_HEADER_LEN};

/// A KVAL of `entries`, announcing `unsent` more than it holds (so that a
/// short reply of one server keeps the merged reply short).
pub(crate) fn build_pairs(
    entries: impl Iterator<Item = (Bytes, Value)>,
    unsent: u32,
) -> Result<Reply, Error> {
    let mut buf = BytesMut::new();
    let mut writer = PairsWriter::begin(&mut buf);
    for (key, value) in entries {
        writer.push(&mut buf, &key, &value);
    }
    let announced = writer.count().saturating_add(unsent);
    writer.finish(&mut buf);
    // The KVAL data is what follows the reply header: the count, then the
    // entries.
    let mut data = buf.split_off(REPLY_HEADER_LEN);
    data[..4].copy_from_slice(&announced.to_le_bytes());
    Ok(Reply::Pairs(Pairs::parse(data.freeze())?))
}

/// The pairs the servers did not send of those they announced.
fn unsent(all: &[Pairs]) -> u32 {
    let n: usize = all.iter().map(|p| p.announced() - p.len()).sum();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Keeps the first of each key of `entries` (by `key_of`) when `copies`
/// says a key may come from several servers; all of them otherwise.
fn first_copies<'a, T: 'a>(
    entries: impl Iterator<Item = T> + 'a,
    copies: bool,
    key_of: impl Fn(&T) -> Bytes + 'a,
) -> impl Iterator<Item = T> + 'a {
    let mut seen = HashSet::new();
    entries.filter(move |e| !copies || seen.insert(key_of(e)))
}

/// MGET: every server's pairs in server order, at most `limit` (each key
/// once when `copies`). A reply that reaches the limit is whole whatever
/// the servers left out.
pub(super) fn concat(
    all: impl Iterator<Item = Pairs>,
    limit: Option<u32>,
    copies: bool,
) -> Result<Reply, Error> {
    let all: Vec<Pairs> = all.collect();
    let max = limit.map_or(usize::MAX, |n| n as usize);
    let entries: Vec<(Bytes, Value)> =
        first_copies(all.iter().flat_map(Pairs::iter), copies, |(k, _)| k.clone())
            .take(max)
            .collect();
    let unsent = if entries.len() >= max {
        0
    } else {
        unsent(&all)
    };
    build_pairs(entries.into_iter(), unsent)
}

/// KEYS: every server's names in server order (each once when `copies`),
/// each under its new index `0..n` written in decimal, as one server
/// writes them.
pub(super) fn reindex(all: impl Iterator<Item = Pairs>, copies: bool) -> Result<Reply, Error> {
    let all: Vec<Pairs> = all.collect();
    let names = all.iter().flat_map(Pairs::iter).map(|(_, name)| name);
    let names = first_copies(names, copies, |name| match name {
        Value::Bytes(b) => b.clone(),
        other => Bytes::from(format!("{other:?}")),
    });
    let entries = names
        .enumerate()
        .map(|(i, name)| (Bytes::from(i.to_string()), name));
    build_pairs(entries, unsent(&all))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kval(entries: &[(&str, &str)]) -> Pairs {
        match build_pairs(
            entries
                .iter()
                .map(|(k, v)| (Bytes::copy_from_slice(k.as_bytes()), Value::from(*v))),
            0,
        )
        .unwrap()
        {
            Reply::Pairs(p) => p,
            other => panic!("{other:?}"),
        }
    }

    fn entries(reply: Reply) -> (Vec<(String, String)>, bool) {
        let Reply::Pairs(p) = reply else {
            panic!("{reply:?}")
        };
        let short = p.is_short();
        let list = p
            .iter()
            .map(|(k, v)| {
                let v = v.as_bytes().unwrap().clone();
                (
                    String::from_utf8(k.to_vec()).unwrap(),
                    String::from_utf8(v.to_vec()).unwrap(),
                )
            })
            .collect();
        (list, short)
    }

    #[test]
    fn mget_pairs_keep_server_order_and_the_limit() {
        let a = kval(&[("a:1", "1"), ("a:2", "2")]);
        let b = kval(&[("a:3", "3")]);
        let (all, short) =
            entries(concat([a.clone(), b.clone()].into_iter(), None, false).unwrap());
        assert_eq!(all.len(), 3);
        assert_eq!(all[2], ("a:3".into(), "3".into()));
        assert!(!short);
        let (two, _) = entries(concat([a, b].into_iter(), Some(2), false).unwrap());
        assert_eq!(
            two,
            [("a:1".into(), "1".into()), ("a:2".into(), "2".into())]
        );
    }

    #[test]
    fn keys_are_indexed_again_and_numbers_survive() {
        let a = kval(&[("0", "x:a"), ("1", "x:b")]);
        let b = kval(&[("0", "x:c")]);
        let (keys, _) = entries(reindex([a, b].into_iter(), false).unwrap());
        assert_eq!(
            keys,
            [
                ("0".into(), "x:a".into()),
                ("1".into(), "x:b".into()),
                ("2".into(), "x:c".into())
            ]
        );
        let n = build_pairs([(Bytes::from_static(b"n"), Value::Int(-3))].into_iter(), 0).unwrap();
        let Reply::Pairs(n) = n else { panic!() };
        assert_eq!(n.iter().next().unwrap().1, Value::Int(-3));
    }

    #[test]
    fn a_short_server_reply_keeps_the_merge_short_unless_the_limit_is_met() {
        // Count 2, no entries: an MGET that met expired items.
        let short = Pairs::parse(vec![2, 0, 0, 0].into()).unwrap();
        let full = kval(&[("a:1", "1")]);
        let (list, is_short) =
            entries(concat([full.clone(), short.clone()].into_iter(), None, false).unwrap());
        assert_eq!((list.len(), is_short), (1, true));
        let (list, is_short) = entries(concat([full, short].into_iter(), Some(1), false).unwrap());
        assert_eq!((list.len(), is_short), (1, false));
    }
}
