//! The two hash functions of the ring: libmemcached's one-at-a-time and
//! the first four bytes of an MD5 digest.

use md5::{Digest, Md5};

/// Bob Jenkins' one-at-a-time hash as libmemcached computes it (its
/// "default" hash, `MEMCACHED_HASH_DEFAULT`).
///
/// libmemcached reads each byte through a signed `char` on the platforms
/// Debian builds it for, so a byte of 0x80 or more is added sign-extended
/// (`0xff` adds `0xffff_ffff`, not `0xff`); this function does the same,
/// which the fixtures measured with pylibmc confirm for keys holding such
/// bytes.
///
/// ```
/// use gibson_policy::one_at_a_time;
/// assert_eq!(one_at_a_time(b""), 0);
/// assert_eq!(one_at_a_time(b"a"), 0xca2e_9442);
/// assert_eq!(one_at_a_time(b"The quick brown fox jumps over the lazy dog"), 0x519e_91f5);
/// ```
pub fn one_at_a_time(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0;
    for &b in bytes {
        // `as i8 as u32`: the sign extension of a C `char`.
        h = h.wrapping_add(b as i8 as u32);
        h = h.wrapping_add(h << 10);
        h ^= h >> 6;
    }
    h = h.wrapping_add(h << 3);
    h ^= h >> 11;
    h.wrapping_add(h << 15)
}

/// The MD5 digest of `bytes` as four little-endian `u32`s, in order: the
/// first is a key's hash, all four are ring points (libketama, twemproxy
/// and libmemcached's weighted ketama read digests this way).
///
/// ```
/// use gibson_policy::md5_words;
/// // MD5("") = d41d8cd9 8f00b204 e9800998 ecf8427e
/// assert_eq!(md5_words(b"")[0], 0xd98c_1dd4);
/// ```
pub fn md5_words(bytes: &[u8]) -> [u32; 4] {
    let digest = Md5::digest(bytes);
    let mut out = [0u32; 4];
    for (word, chunk) in out.iter_mut().zip(digest.chunks_exact(4)) {
        *word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_vectors() {
        // Point strings of the fixtures in tests/libmemcached, and a key with
        // a byte above 0x7f (sign-extended: read unsigned it would hash to
        // something else and land on another server for some keys).
        assert_eq!(one_at_a_time(b"127.0.0.1:10181-0"), 0x8795_a0bd);
        assert_eq!(one_at_a_time(b"127.0.0.1-99"), 0xc752_fdcc);
        assert_eq!(one_at_a_time("caf\u{e9}".as_bytes()), 0xd99c_709e);
    }
}
