//! A chunk layout's identity: the sequence of its columns' field types,
//! reduced to one comparable key.

use crate::field::FieldType;

/// Fields an exact key can hold: 12 bits a field (its
/// [`identity`](FieldType::identity): the logical type, size and a
/// decimal's precision and scale) and 4 bits of length fit in 124 bits,
/// below [`HASHED`].
const EXACT_FIELDS: usize = 10;
/// Set in keys that are hashes, so a hash never equals an exact key.
const HASHED: u128 = 1 << 127;

/// The identity of a layout. For up to ten fields it is exact (the field
/// identities packed side by side: logical types, not only sizes, so an
/// `[Int64]` layout never passes for `[Float64]`), so equal keys mean equal
/// layouts; wider
/// layouts get a hash, and [`LayoutKey::matches`] compares the fields too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct LayoutKey([u64; 2]);

impl LayoutKey {
    /// The key of `fields`.
    #[inline]
    pub(super) fn of(fields: impl ExactSizeIterator<Item = FieldType>) -> LayoutKey {
        let n = fields.len();
        if n <= EXACT_FIELDS {
            // 12 bits a field, shifted in, then 4 bits of length.
            let packed = fields.fold(0u128, |acc, f| (acc << 12) | f.identity() as u128);
            LayoutKey::from_bits((packed << 4) | n as u128)
        } else {
            // FNV-1a over the identities.
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for f in fields {
                h = (h ^ u64::from(f.identity())).wrapping_mul(0x0000_0100_0000_01b3);
            }
            LayoutKey::from_bits(HASHED | ((n as u128) << 64) | h as u128)
        }
    }

    /// Kept as two words, not a `u128`: 8-byte alignment keeps the cached
    /// chunk records the hot path moves around 16 bytes smaller.
    #[inline]
    fn from_bits(bits: u128) -> LayoutKey {
        LayoutKey([bits as u64, (bits >> 64) as u64])
    }

    #[inline]
    fn bits(self) -> u128 {
        (self.0[1] as u128) << 64 | self.0[0] as u128
    }

    /// Whether a layout with this key, whose fields are `have`, is `want`
    /// (whose key is `self` too): free for exact keys.
    #[inline]
    pub(super) fn matches(
        self,
        other: LayoutKey,
        have: impl Iterator<Item = FieldType>,
        want: &[FieldType],
    ) -> bool {
        self == other && (self.bits() & HASHED == 0 || have.eq(want.iter().copied()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_keys_tell_layouts_apart() {
        let k = |f: &[FieldType]| LayoutKey::of(f.iter().copied());
        let (a, b) = (FieldType::I64, FieldType::VAR);
        assert_ne!(k(&[a, b]), k(&[b, a]));
        assert_ne!(k(&[a]), k(&[a, FieldType::VAR]));
        assert_ne!(k(&[]), k(&[FieldType::VAR]));
        let big = FieldType::fixed(crate::MAX_ELEM_SIZE).unwrap();
        assert_ne!(k(&[big; 10]), k(&[big; 9]));
        assert_ne!(
            k(&[a, b]),
            k(&[FieldType::F64, FieldType::VAR]),
            "same physical shape, other logical types"
        );
        assert_ne!(k(&[FieldType::UTF8]), k(&[FieldType::BINARY]));
        assert_ne!(k(&[a]), k(&[FieldType::fixed(8).unwrap()]));
        let dec = |p, s| FieldType::decimal(p, s).unwrap();
        assert_ne!(k(&[dec(4, 2)]), k(&[FieldType::DECIMAL]));
        assert_ne!(k(&[dec(4, 2)]), k(&[dec(4, 1)]));
        assert_ne!(k(&[dec(65, 30); 10]), k(&[dec(65, 29); 10]));
        assert_eq!(k(&[dec(4, 2), b]), k(&[dec(4, 2), FieldType::BINARY]));
        assert_eq!(k(&[a, b]), k(&[FieldType::I64, FieldType::BINARY]));
        // Wide layouts hash; `matches` compares the fields.
        let wide = [a; 11];
        let mut other = wide;
        other[10] = FieldType::F32;
        let key = k(&wide);
        assert!(key.matches(key, wide.iter().copied(), &wide));
        assert!(!key.matches(key, other.iter().copied(), &wide));
        assert_ne!(key, k(&[a; 10]));
    }
}
