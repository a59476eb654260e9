//! The points each server puts on the ring, the way libmemcached 1.1
//! computes its continuum (measured against it: `tests/libmemcached`).

use std::borrow::Cow;

use super::hash::{md5_words, one_at_a_time};
use super::Distribution;

/// Points per server on an unweighted one-at-a-time ring.
const POINTS: u32 = 100;
/// Points per server of weight 1 on a weighted (MD5-pointed) ring, four
/// per digest.
const WEIGHTED_POINTS: f32 = 160.0;
/// memcached's default port, which libmemcached leaves out of the point
/// strings.
const MEMCACHED_DEFAULT_PORT: &str = "11211";

/// The string a server's point strings start with: its name, but
/// `host` alone for `host:11211`, and an IPv6 address without its
/// brackets (libmemcached knows hosts by the address pylibmc hands it,
/// which has none).
fn label(name: &str) -> Cow<'_, str> {
    let Some((host, port)) = name
        .rsplit_once(':')
        .filter(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
    else {
        return Cow::Borrowed(name);
    };
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
    match (bare, port) {
        (_, MEMCACHED_DEFAULT_PORT) => Cow::Borrowed(bare.unwrap_or(host)),
        (Some(bare), port) => Cow::Owned(format!("{bare}:{port}")),
        (None, _) => Cow::Borrowed(name),
    }
}

/// `true` when the ring is laid out by libmemcached's weighted rule: always
/// for [`Distribution::Md5`], and for [`Distribution::Ketama`] as soon as a
/// server weighs more than 1 (libmemcached switches to it then).
pub(super) fn is_weighted(distribution: Distribution, weights: &[u32]) -> bool {
    distribution == Distribution::Md5 || weights.iter().any(|&w| w > 1)
}

/// The number of points of a server of `weight` among `servers` weighing
/// `total`, by libmemcached's weighted rule, in its single-precision
/// arithmetic: `floor(weight / total × 160 / 4 × servers + 1e-10) × 4`.
fn weighted_points(weight: u32, total: u64, servers: usize) -> u32 {
    let share = weight as f32 / total as f32;
    let digests = (share * WEIGHTED_POINTS / 4.0 * servers as f32 + 1e-10_f32).floor();
    // NaN (every weight 0) and negatives become 0 points.
    (digests as u32).saturating_mul(4)
}

/// Every point of the ring, `(point, server index)`, sorted by point and
/// then by server index (libmemcached's order for equal points).
pub(super) fn points(
    distribution: Distribution,
    servers: &[String],
    weights: &[u32],
) -> Vec<(u32, usize)> {
    let weighted = is_weighted(distribution, weights);
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    let mut points = Vec::new();
    for (index, (name, &weight)) in servers.iter().zip(weights).enumerate() {
        let label = label(name);
        if weighted {
            let digests = weighted_points(weight, total, servers.len()) / 4;
            for i in 0..digests {
                let words = md5_words(format!("{label}-{i}").as_bytes());
                points.extend(words.into_iter().map(|p| (p, index)));
            }
        } else {
            for i in 0..POINTS {
                let point = one_at_a_time(format!("{label}-{i}").as_bytes());
                points.push((point, index));
            }
        }
    }
    points.sort_unstable();
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(label("127.0.0.1:10181"), "127.0.0.1:10181");
        assert_eq!(label("127.0.0.1:11211"), "127.0.0.1");
        assert_eq!(label("[::1]:10181"), "::1:10181");
        assert_eq!(label("[::1]:11211"), "::1");
        assert_eq!(label("cache-a"), "cache-a");
        assert_eq!(label("/run/gibson.sock"), "/run/gibson.sock");
        assert_eq!(label("host:"), "host:");
    }

    #[test]
    fn weighted_point_counts_follow_libmemcached() {
        // Equal weights: 160 each, except where single precision rounds
        // the share down (25 servers: 39.99999 digests, so 156 points).
        assert_eq!(weighted_points(1, 3, 3), 160);
        assert_eq!(weighted_points(1, 25, 25), 156);
        assert_eq!([1, 5].map(|w| weighted_points(w, 7, 3)), [68, 340]);
        // 1:2:3 (the `weighted` fixture).
        assert_eq!([1, 2, 3].map(|w| weighted_points(w, 6, 3)), [80, 160, 240]);
        assert_eq!(weighted_points(0, 0, 2), 0);
    }

    #[test]
    fn unweighted_ketama_has_100_points_a_server() {
        let names = ["a:1".to_string(), "b:2".to_string()];
        let pts = points(Distribution::Ketama, &names, &[1, 1]);
        assert_eq!(pts.len(), 200);
        assert!(pts.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(pts.iter().filter(|p| p.1 == 1).count(), 100);
        let md5 = points(Distribution::Md5, &names, &[1, 1]);
        assert_eq!(md5.len(), 320);
    }
}
