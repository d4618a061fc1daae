//! Bulk NULLs (TiDB's `AppendNNulls`, `SetNulls`, `HasNull`): the NULL
//! count, the bitmap and the reads agree with a `Vec` model whatever the
//! mix, and a NULL fixed-width row reads as a zeroed element even in
//! buffers a reset kept dirty.

use chunkpool::{Column, Error, FieldType};

#[test]
fn bulk_nulls_agree_with_a_vec() {
    let mut seed = 11u64;
    let mut next = |below: usize| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        ((seed >> 33) as usize) % below.max(1)
    };
    for field in [FieldType::I64, FieldType::UTF8] {
        let mut c = Column::new(field, 2);
        // Each row's value underneath and whether it is NULL: marking a
        // row NULL keeps its value, so unmarking shows it again.
        let mut want: Vec<(i64, bool)> = Vec::new();
        for _ in 0..200 {
            match next(4) {
                0 => {
                    let n = next(20);
                    c.append_nulls(n);
                    want.extend(std::iter::repeat((0, true)).take(n));
                }
                1 if !want.is_empty() => {
                    let a = next(want.len());
                    let b = a + next(want.len() - a + 1);
                    let null = next(2) == 0;
                    c.set_nulls(a..b, null);
                    for w in &mut want[a..b] {
                        w.1 = null;
                    }
                }
                _ => {
                    let v = next(1000) as i64;
                    if field.is_var() {
                        c.append_str(&v.to_string());
                    } else {
                        c.append_i64(v);
                    }
                    want.push((v, false));
                }
            }
            let nulls = want.iter().filter(|w| w.1).count();
            assert_eq!(
                (c.len(), c.null_count(), c.has_null()),
                (want.len(), nulls, nulls > 0)
            );
            for (r, &(v, null)) in want.iter().enumerate() {
                let got = if field.is_var() {
                    // A row appended NULL holds no bytes ("" stands for 0).
                    c.value_str(r).map(|s| s.parse().unwrap_or(0))
                } else {
                    c.value::<i64>(r)
                };
                assert_eq!(got, (!null).then_some(v), "{field:?} row {r}");
            }
        }
    }
}

#[test]
fn null_elements_are_zero_even_in_reused_buffers() {
    let mut c = Column::new(FieldType::I64, 16);
    c.extend_from_slice(&[-1i64; 16]);
    c.reset();
    c.append_nulls(16);
    assert_eq!(c.as_slice::<i64>(), &[0; 16]);
}

/// `2..1`, built at run time (clippy refuses the literal).
fn inverted() -> std::ops::Range<usize> {
    std::hint::black_box(2)..1
}

#[test]
fn bad_ranges_and_sizes_change_nothing() {
    let mut c = Column::new(FieldType::I64, 4);
    c.extend_from_slice(&[1i64, 2]);
    assert_eq!(
        c.try_set_nulls(1..3, true),
        Err(Error::RowOutOfRange { row: 2, len: 2 })
    );
    assert_eq!(
        c.try_set_nulls(inverted(), true),
        Err(Error::RowOutOfRange { row: 2, len: 1 })
    );
    assert!(!c.has_null());
    assert!(matches!(
        c.try_append_nulls(usize::MAX),
        Err(Error::CapacityOverflow { .. })
    ));
    assert_eq!(c.len(), 2);
    c.set_nulls(0..0, true); // an empty range: nothing
    assert!(!c.has_null());
}
