//! META: one field of an item's metadata.

use bytes::BytesMut;
use gibson_proto::{MetaField, ReplyCode};

use super::{number, status, Engine, Flow};

/// META's field matching: the field names are tried in order, and a name
/// matches when the first `min(len, name.len())` bytes agree (so `s`,
/// `si` and `sizexx` all read `size`, `l` reads `left`).
fn meta_field(m: &[u8]) -> Option<MetaField> {
    MetaField::ALL.into_iter().find(|f| {
        let name = f.name().as_bytes();
        let n = m.len().min(name.len());
        m[..n] == name[..n]
    })
}

impl Engine {
    pub(super) fn cmd_meta(
        &mut self,
        key: &[u8],
        rest: Option<&[u8]>,
        now: i64,
        out: &mut BytesMut,
    ) -> Flow {
        let Some(item) = self.live(key, now).and_then(|id| self.tree.item_mut(id)) else {
            return status(out, ReplyCode::NotFound);
        };
        let field = rest.and_then(meta_field);
        let value = field.map(|f| match f {
            MetaField::Size => item.stored_size() as i64,
            MetaField::Encoding => item.encoding(),
            MetaField::Access => item.access,
            MetaField::Created => item.time,
            // The stored 16-bit value.
            MetaField::Ttl => i64::from(item.ttl),
            MetaField::Left => {
                if item.ttl <= 0 {
                    -1
                } else {
                    i64::from(item.ttl) - (now - item.time)
                }
            }
            MetaField::Lock => item.lock,
        });
        item.access = now;
        match value {
            Some(v) => number(out, v),
            None => status(out, ReplyCode::Err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_prefixes() {
        assert!(matches!(meta_field(b"s"), Some(MetaField::Size)));
        assert!(matches!(meta_field(b"sizexx"), Some(MetaField::Size)));
        assert!(matches!(meta_field(b"l"), Some(MetaField::Left)));
        assert!(matches!(meta_field(b"lo"), Some(MetaField::Lock)));
        assert!(matches!(meta_field(b"e"), Some(MetaField::Encoding)));
        assert!(meta_field(b"x").is_none());
        assert!(meta_field(b"sx").is_none());
    }
}
