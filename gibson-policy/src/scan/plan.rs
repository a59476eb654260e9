//! The bookkeeping of a scan: which prefix to count, fetch or split.

use bytes::{Bytes, BytesMut};

use gibson_proto::Error;

/// One prefix waiting to be read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    prefix: Bytes,
    /// Its count, when known.
    count: Option<u64>,
}

/// What a scan does next (from [`ScanPlan::step`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanStep {
    /// COUNT this prefix, then call [`ScanPlan::counted`].
    Count(Bytes),
    /// Read this prefix whole with MGET (or KEYS): it holds at most a
    /// page. If the reply breaks the connection, call
    /// [`ScanPlan::too_large`].
    Fetch(Bytes),
    /// The prefix holds more than a page: GET the key equal to it, and
    /// COUNT each of these sub-prefixes (in one pipeline), then call
    /// [`ScanPlan::split`] with their counts.
    Split {
        /// The prefix, read as a key of its own.
        exact: Bytes,
        /// Its one-byte-longer sub-prefixes.
        children: Vec<Bytes>,
    },
    /// Every key was read.
    Done,
}

/// The bookkeeping of a prefix scan (see the [module docs](crate::scan)).
///
/// ```
/// use gibson_policy::scan::{ScanPlan, ScanStep};
///
/// let mut plan = ScanPlan::new("user:", 1000)?;
/// assert_eq!(plan.step(), ScanStep::Count("user:".into()));
/// plan.counted(2500); // too many for one page
/// let ScanStep::Split { exact, children } = plan.step() else { unreachable!() };
/// assert_eq!(exact, "user:");
/// assert_eq!(children[0], "user:\x01");
/// // Only "user:1" and "user:2" hold keys.
/// let counts = children.iter().map(|c| match &c[..] {
///     b"user:1" => 1200, b"user:2" => 1300, _ => 0 }).collect();
/// plan.split(counts);
/// assert_eq!(plan.step(), ScanStep::Split { exact: "user:1".into(), children: ScanPlan::children(b"user:1") });
/// # Ok::<(), gibson_proto::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ScanPlan {
    /// A stack: the next prefix is at the end.
    pending: Vec<Pending>,
    /// The prefix of the last step, waiting for its outcome.
    current: Option<Pending>,
    page: u64,
}

impl ScanPlan {
    /// A scan of `prefix` (not empty) in pages of at most `page` keys.
    pub fn new(prefix: impl AsRef<[u8]>, page: usize) -> Result<ScanPlan, Error> {
        let prefix = prefix.as_ref();
        if prefix.is_empty() {
            return Err(Error::invalid("prefix", "must not be empty"));
        }
        if prefix.iter().any(|&b| b == b' ' || b == 0) {
            return Err(Error::invalid(
                "prefix",
                "must not contain a space or a NUL byte",
            ));
        }
        Ok(ScanPlan {
            pending: vec![Pending {
                prefix: Bytes::copy_from_slice(prefix),
                count: None,
            }],
            current: None,
            page: page.max(1) as u64,
        })
    }

    /// The one-byte-longer sub-prefixes of `prefix`: every byte a key may
    /// hold next (not a space, not NUL), in ascending order.
    pub fn children(prefix: &[u8]) -> Vec<Bytes> {
        (1..=255u8)
            .filter(|&b| b != b' ')
            .map(|b| {
                let mut child = BytesMut::with_capacity(prefix.len() + 1);
                child.extend_from_slice(prefix);
                child.extend_from_slice(&[b]);
                child.freeze()
            })
            .collect()
    }

    /// What to do next.
    pub fn step(&mut self) -> ScanStep {
        let Some(next) = self.pending.pop() else {
            self.current = None;
            return ScanStep::Done;
        };
        let step = match next.count {
            None => ScanStep::Count(next.prefix.clone()),
            Some(n) if n <= self.page => ScanStep::Fetch(next.prefix.clone()),
            Some(_) => ScanStep::Split {
                exact: next.prefix.clone(),
                children: ScanPlan::children(&next.prefix),
            },
        };
        self.current = Some(next);
        step
    }

    /// The outcome of [`ScanStep::Count`]: the prefix holds `n` keys (0
    /// for NOT_FOUND).
    pub fn counted(&mut self, n: u64) {
        if let Some(mut current) = self.current.take() {
            if n > 0 {
                current.count = Some(n);
                self.pending.push(current);
            }
        }
    }

    /// The outcome of [`ScanStep::Split`]: the count of each child, in the
    /// order given.
    pub fn split(&mut self, counts: Vec<u64>) {
        let Some(current) = self.current.take() else {
            return;
        };
        let children = ScanPlan::children(&current.prefix);
        // Pushed in reverse, so that they are read in ascending order.
        for (prefix, n) in children.into_iter().zip(counts).rev() {
            if n > 0 {
                self.pending.push(Pending {
                    prefix,
                    count: Some(n),
                });
            }
        }
    }

    /// The page of [`ScanStep::Fetch`] was too large for one reply: split
    /// it. `Err` when it cannot be split (it holds one key).
    pub fn too_large(&mut self) -> Result<(), Error> {
        let Some(current) = self.current.take() else {
            return Ok(());
        };
        if current.count.is_some_and(|n| n <= 1) {
            return Err(Error::invalid(
                "prefix",
                format!(
                    "{:?}: one key's reply is larger than the server sends",
                    String::from_utf8_lossy(&current.prefix)
                ),
            ));
        }
        // Counted above the page: the next step splits it.
        self.pending.push(Pending {
            prefix: current.prefix,
            count: Some(u64::MAX),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Runs a plan over `keys` as a server would answer, with replies
    /// larger than `max_reply` keys breaking; the keys read.
    fn run(keys: &BTreeSet<Vec<u8>>, prefix: &[u8], page: usize, max_reply: usize) -> Vec<Vec<u8>> {
        let from = |p: &[u8]| -> Vec<Vec<u8>> {
            keys.range(p.to_vec()..)
                .take_while(|k| k.starts_with(p))
                .cloned()
                .collect()
        };
        let under = |p: &[u8]| from(p).len() as u64;
        let mut plan = ScanPlan::new(prefix, page).unwrap();
        let mut read = Vec::new();
        let mut largest = 0;
        loop {
            match plan.step() {
                ScanStep::Count(p) => plan.counted(under(&p)),
                ScanStep::Fetch(p) => {
                    let page = from(&p);
                    if page.len() > max_reply {
                        plan.too_large().unwrap();
                    } else {
                        largest = largest.max(page.len());
                        read.extend(page);
                    }
                }
                ScanStep::Split { exact, children } => {
                    if keys.contains(&exact[..]) {
                        read.push(exact.to_vec());
                    }
                    plan.split(children.iter().map(|c| under(c)).collect());
                }
                ScanStep::Done => break,
            }
        }
        assert!(largest <= page.min(max_reply), "a page of {largest}");
        read
    }

    #[test]
    fn every_key_once_in_pages() {
        let keys: BTreeSet<Vec<u8>> = (0..5000)
            .map(|i| format!("user:{i}").into_bytes())
            .chain([
                b"user:".to_vec(),
                b"user".to_vec(),
                b"other:1".to_vec(),
                b"user:\xff\x01".to_vec(),
            ])
            .collect();
        for (page, max_reply) in [(1000, usize::MAX), (100, 60), (1, 1), (10_000, 700)] {
            let mut read = run(&keys, b"user:", page, max_reply);
            read.sort();
            let want: Vec<Vec<u8>> = keys
                .iter()
                .filter(|k| k.starts_with(b"user:"))
                .cloned()
                .collect();
            assert_eq!(read, want, "page {page}, max reply {max_reply}");
        }
    }

    #[test]
    fn refused_prefixes_and_unsplittable_pages() {
        assert!(ScanPlan::new("", 10).is_err());
        assert!(ScanPlan::new("a b", 10).is_err());
        let mut plan = ScanPlan::new("k", 10).unwrap();
        assert_eq!(plan.step(), ScanStep::Count("k".into()));
        plan.counted(1);
        assert_eq!(plan.step(), ScanStep::Fetch("k".into()));
        assert!(plan.too_large().is_err());
        let mut empty = ScanPlan::new("k", 10).unwrap();
        let _ = empty.step();
        empty.counted(0);
        assert_eq!(empty.step(), ScanStep::Done);
    }
}
