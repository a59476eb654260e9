//! How the proxy cuts the request stream (client → server) into writes.
//!
//! A Gibson 1.2.1 server cannot read a request whose 4-byte size prefix
//! arrives in more than one read: it stores the later bytes at the wrong
//! place, then hangs or drops the connection. The embedded test server
//! behaves the same. So the proxy may cut request bodies into pieces as small
//! as the test asks for, but it keeps each size prefix whole in one write:
//! a cut that would fall inside a prefix moves to the prefix's end, and a
//! read from the client that ends inside a prefix leaves those bytes held
//! back until the rest arrives.
//!
//! Replies (server → client) are cut anywhere; clients must cope with that.

/// Bytes in a request's size prefix.
const PREFIX_LEN: usize = 4;

/// Follows the request framing across reads and cuts the stream into
/// writes; see the [module docs](self).
#[derive(Debug, Default)]
pub(crate) struct RequestChunker {
    /// Bytes of the current size prefix received so far (while `body_left`
    /// is 0).
    prefix: [u8; PREFIX_LEN],
    prefix_have: usize,
    /// Bytes of the current request (opcode and payload) still to come.
    body_left: u64,
}

impl RequestChunker {
    /// Cuts `data`, the next bytes read from the client, into the writes to
    /// make towards the server. Each write holds at most `chunk` bytes (no
    /// limit when `None`), except that a size prefix is never split: a write
    /// holding one may reach 4 bytes, or `chunk` plus the bytes needed to
    /// finish the prefix. Bytes of an incomplete prefix at the end of `data`
    /// are kept for the next call.
    pub(crate) fn cut(&mut self, data: &[u8], chunk: Option<usize>) -> Vec<Vec<u8>> {
        let limit = chunk.unwrap_or(usize::MAX).max(1);
        let mut writes = Vec::new();
        let mut current = Vec::new();
        let mut rest = data;
        while !rest.is_empty() {
            if self.body_left == 0 {
                let take = (PREFIX_LEN - self.prefix_have).min(rest.len());
                self.prefix[self.prefix_have..self.prefix_have + take]
                    .copy_from_slice(&rest[..take]);
                self.prefix_have += take;
                rest = &rest[take..];
                if self.prefix_have < PREFIX_LEN {
                    break; // held back until the rest of the prefix arrives
                }
                if current.len() >= limit {
                    writes.push(std::mem::take(&mut current));
                }
                current.extend_from_slice(&self.prefix);
                self.prefix_have = 0;
                self.body_left = u64::from(u32::from_le_bytes(self.prefix));
            } else {
                if current.len() >= limit {
                    writes.push(std::mem::take(&mut current));
                }
                let room = limit - current.len();
                let take = usize::try_from(self.body_left)
                    .unwrap_or(usize::MAX)
                    .min(rest.len())
                    .min(room);
                current.extend_from_slice(&rest[..take]);
                self.body_left -= take as u64;
                rest = &rest[take..];
            }
        }
        if !current.is_empty() {
            writes.push(current);
        }
        writes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny deterministic generator, so failures replay.
    struct XorShift(u64);

    impl XorShift {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// A request stream and the offsets where its size prefixes start.
    fn stream(rng: &mut XorShift, requests: usize) -> (Vec<u8>, Vec<usize>) {
        let mut bytes = Vec::new();
        let mut prefixes = Vec::new();
        for i in 0..requests {
            // Mostly small bodies, sometimes empty (a size of 0 is garbage,
            // but the chunker must still follow it), sometimes large.
            let len = match rng.below(10) {
                0 => rng.below(2),
                1 => 300 + rng.below(3000),
                _ => 2 + rng.below(40),
            };
            prefixes.push(bytes.len());
            bytes.extend_from_slice(&(len as u32).to_le_bytes());
            bytes.extend((0..len).map(|j| (i + j) as u8));
        }
        (bytes, prefixes)
    }

    /// Feeds `bytes` to a chunker in reads of random length (so reads end
    /// inside prefixes too) and returns every write it made.
    fn writes(rng: &mut XorShift, bytes: &[u8], chunk: Option<usize>) -> Vec<Vec<u8>> {
        let mut chunker = RequestChunker::default();
        let mut out = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = (1 + rng.below(9)).min(rest.len());
            out.extend(chunker.cut(&rest[..n], chunk));
            rest = &rest[n..];
        }
        out
    }

    /// The byte offsets where writes start.
    fn write_starts(writes: &[Vec<u8>]) -> Vec<usize> {
        writes
            .iter()
            .scan(0, |at, w| {
                let start = *at;
                *at += w.len();
                Some(start)
            })
            .collect()
    }

    #[test]
    fn prefixes_are_never_split_and_everything_arrives_in_order() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for chunk in [Some(1), Some(2), Some(3), Some(5), Some(64), None] {
            for _ in 0..50 {
                let requests = 1 + rng.below(40);
                let (bytes, prefixes) = stream(&mut rng, requests);
                let writes = writes(&mut rng, &bytes, chunk);
                assert_eq!(
                    writes.concat(),
                    bytes,
                    "chunk {chunk:?}: bytes lost or reordered"
                );
                assert!(writes.iter().all(|w| !w.is_empty()), "an empty write");
                let starts = write_starts(&writes);
                for p in &prefixes {
                    let split = (p + 1..p + PREFIX_LEN).find(|at| starts.contains(at));
                    assert_eq!(split, None, "chunk {chunk:?}: prefix at {p} split");
                }
                if let Some(c) = chunk {
                    for w in &writes {
                        assert!(w.len() < c + PREFIX_LEN, "a write of {} bytes", w.len());
                    }
                }
            }
        }
    }

    #[test]
    fn bodies_are_cut_to_the_chunk_size() {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let (bytes, prefixes) = stream(&mut rng, 60);
        let writes = writes(&mut rng, &bytes, Some(1));
        let starts = write_starts(&writes);
        for (start, w) in starts.iter().zip(&writes) {
            if prefixes.contains(start) {
                assert_eq!(w.len(), PREFIX_LEN, "a prefix goes alone in one write");
            } else {
                assert_eq!(w.len(), 1, "body byte at {start} not cut to one byte");
            }
        }
        // Every body byte went in a write of its own.
        assert_eq!(
            writes.len(),
            prefixes.len() + bytes.len() - PREFIX_LEN * prefixes.len()
        );
    }

    #[test]
    fn a_read_ending_inside_a_prefix_holds_it_back() {
        let mut chunker = RequestChunker::default();
        let frame = [3, 0, 0, 0, 19, 0, b'x'];
        assert_eq!(chunker.cut(&frame[..2], Some(1)), Vec::<Vec<u8>>::new());
        assert_eq!(chunker.cut(&frame[2..3], Some(1)), Vec::<Vec<u8>>::new());
        assert_eq!(
            chunker.cut(&frame[3..], Some(1)),
            vec![vec![3, 0, 0, 0], vec![19], vec![0], vec![b'x']]
        );
        // Unchunked: whole frames in one write, a trailing partial prefix held.
        let mut chunker = RequestChunker::default();
        let two = [2, 0, 0, 0, 19, 0, 2, 0];
        assert_eq!(chunker.cut(&two, None), vec![two[..6].to_vec()]);
        assert_eq!(
            chunker.cut(&[0, 0, 19, 0], None),
            vec![vec![2, 0, 0, 0, 19, 0]]
        );
    }
}
