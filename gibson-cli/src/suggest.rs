//! "Did you mean": the known name closest to a mistyped one.

/// The name of `names` closest to `typed` (case-insensitive), when it is
/// within one edit for names of up to 4 letters and two edits above; the
/// first of equally close names.
pub(crate) fn closest<'a>(
    typed: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let typed = typed.to_ascii_uppercase();
    names
        .into_iter()
        .map(|name| (edits(&typed, &name.to_ascii_uppercase()), name))
        .filter(|&(d, name)| d <= if name.len() <= 4 { 1 } else { 2 })
        .min_by_key(|&(d, _)| d)
        .map(|(_, name)| name)
}

/// The edits (insertions, deletions, substitutions, and swaps of two
/// neighbouring letters) that turn `a` into `b`: the optimal string
/// alignment distance, counted in bytes (names are ASCII).
fn edits(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // d[i][j]: the distance between a[..i] and b[..j].
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitute = d[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = substitute.min(d[i - 1][j] + 1).min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edits("GET", "GET"), 0);
        assert_eq!(edits("GTE", "GET"), 1);
        assert_eq!(edits("MGTE", "MGET"), 1);
        assert_eq!(edits("GT", "GET"), 1);
        assert_eq!(edits("MGETT", "MGET"), 1);
        assert_eq!(edits("", "PING"), 4);
    }

    #[test]
    fn the_closest_name_within_reach() {
        let names = ["SET", "GET", "MGET", "STATS", "KEYS", "COUNT"];
        assert_eq!(closest("gett", names), Some("GET"));
        assert_eq!(closest("mgte", names), Some("MGET"));
        assert_eq!(closest("xyz", names), None);
        assert_eq!(closest("stat", names), Some("STATS"));
        assert_eq!(closest("cuont", names), Some("COUNT"));
        assert_eq!(closest("key", names), Some("KEYS"));
        assert_eq!(closest("flushall", names), None);
    }
}
