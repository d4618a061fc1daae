//! The bulk appends in Arrow's layout (`extend_from_parts`,
//! `extend_bytes_from_parts`, `extend_str_from_parts`) give exactly the
//! column that appending the same rows one by one gives, after any number
//! of rows already there, for both offset widths, with and without a
//! validity bitmap, NULL rows with bytes included; and bad input is an
//! `InvalidRows` error that leaves the column unchanged.

use chunkpool::{ChunkAllocator, Column, Error, FieldType, LockFreeAllocator, OffsetElem};

/// A deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Rows in Arrow's layout: values with `junk` leading bytes, offsets from
/// there on, validity, and the rows themselves as a model.
struct Parts {
    values: String,
    offsets: Vec<i64>,
    validity: Option<Vec<u8>>,
    rows: Vec<Option<String>>,
}

fn parts(rng: &mut Rng, n: usize, nulls: bool, null_bytes: bool) -> Parts {
    const PIECES: [&str; 5] = ["a", "é", "xyz", "€", ""];
    let mut values = "junk".repeat(rng.below(3) as usize);
    let mut offsets = vec![values.len() as i64];
    let mut validity = nulls.then(|| vec![0u8; n.div_ceil(8)]);
    let mut rows = Vec::new();
    for i in 0..n {
        let s: String = (0..rng.below(6))
            .map(|_| PIECES[rng.below(5) as usize])
            .collect();
        let valid = !nulls || rng.below(3) != 0;
        if valid {
            if let Some(v) = validity.as_mut() {
                v[i / 8] |= 1 << (i % 8);
            }
            values.push_str(&s);
            rows.push(Some(s));
        } else {
            if null_bytes {
                // Arrow allows a NULL slot to span bytes.
                values.push_str("gone");
            }
            rows.push(None);
        }
        offsets.push(values.len() as i64);
    }
    Parts {
        values,
        offsets,
        validity,
        rows,
    }
}

/// A column of `field` with `pre` rows appended one by one.
fn column_with(field: FieldType, pre: usize) -> Column {
    let mut c = Column::new(field, 4);
    for i in 0..pre {
        if i % 3 == 1 {
            c.append_null();
        } else {
            c.append_str(&"p".repeat(i));
        }
    }
    c
}

/// What a column shows: rows, offsets, bitmap and NULL count.
#[derive(Debug, PartialEq)]
struct View {
    rows: Vec<Option<Vec<u8>>>,
    offsets: Vec<i64>,
    bitmap: Vec<u8>,
    nulls: usize,
}

fn view(c: &Column) -> View {
    View {
        rows: c.iter_bytes().map(|r| r.map(<[u8]>::to_vec)).collect(),
        offsets: c.offsets().to_vec(),
        bitmap: c.null_bitmap().to_vec(),
        nulls: c.null_count(),
    }
}

/// Bad input: offsets, values, validity, and the `at` the error names.
type Bad<'a> = (&'a [i64], &'a str, Option<&'a [u8]>, usize);

fn check_var<O: OffsetElem + TryFrom<i64>>(rng: &mut Rng)
where
    <O as TryFrom<i64>>::Error: std::fmt::Debug,
{
    for case in 0..200 {
        let n = rng.below(150) as usize;
        let (nulls, null_bytes) = (case % 3 != 0, case % 5 == 0);
        let p = parts(rng, n, nulls, null_bytes);
        let offsets: Vec<O> = p.offsets.iter().map(|&o| O::try_from(o).unwrap()).collect();
        let pre = rng.below(11) as usize;
        let mut want = column_with(FieldType::UTF8, pre);
        for r in &p.rows {
            want.append_option_str(r.as_deref());
        }
        let mut by_str = column_with(FieldType::UTF8, pre);
        by_str.extend_str_from_parts(&offsets, &p.values, p.validity.as_deref());
        assert_eq!(
            view(&by_str),
            view(&want),
            "case {case}: str, {pre} rows before"
        );
        let strs: Vec<_> = by_str.iter_str().collect();
        assert_eq!(strs.len(), pre + n);
        let mut by_bytes = column_with(FieldType::BINARY, pre);
        by_bytes.extend_bytes_from_parts(&offsets, p.values.as_bytes(), p.validity.as_deref());
        assert_eq!(
            view(&by_bytes),
            view(&want),
            "case {case}: bytes, {pre} rows before"
        );
    }
}

#[test]
fn string_parts_match_row_by_row_appends() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    check_var::<i32>(&mut rng);
    check_var::<i64>(&mut rng);
}

#[test]
fn fixed_parts_match_row_by_row_appends() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..200 {
        let n = rng.below(150) as usize;
        let values: Vec<i32> = (0..n).map(|_| rng.next() as i32).collect();
        let validity: Option<Vec<u8>> = (case % 2 == 0).then(|| {
            // Bits past the last row set too: they must be ignored.
            (0..n.div_ceil(8)).map(|_| rng.next() as u8).collect()
        });
        let pre = rng.below(11) as usize;
        let start = |c: &mut Column| {
            for i in 0..pre {
                c.append_option((i % 2 == 0).then_some(i as i32));
            }
        };
        let mut want = Column::new(FieldType::I32, 4);
        start(&mut want);
        for (i, &v) in values.iter().enumerate() {
            let valid = validity
                .as_ref()
                .map_or(true, |b| b[i / 8] & (1 << (i % 8)) != 0);
            want.append_option(valid.then_some(v));
        }
        let mut got = Column::new(FieldType::I32, 4);
        start(&mut got);
        got.extend_from_parts(&values, validity.as_deref());
        assert_eq!(got.as_slice::<i32>(), want.as_slice::<i32>(), "case {case}");
        assert_eq!(got.null_bitmap(), want.null_bitmap(), "case {case}");
        assert_eq!(got.null_count(), want.null_count(), "case {case}");
    }
}

#[test]
fn bad_parts_are_errors_that_change_nothing() {
    let mut c = column_with(FieldType::UTF8, 5);
    let before = view(&c);
    let cases: [Bad<'_>; 5] = [
        (&[0, -1], "ab", None, 1),
        (&[0, 2, 1], "ab", None, 2),
        (&[0, 3], "ab", None, 1),
        (&[0, 1], "é", None, 1),
        (&[0; 10], "", Some(&[0xff]), 1),
    ];
    for (offsets, values, validity, at) in cases {
        let err = c
            .try_extend_str_from_parts(offsets, values, validity)
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidRows { at: a, .. } if a == at),
            "{offsets:?}: {err}"
        );
        assert_eq!(view(&c), before, "{offsets:?}");
    }
    // 64-bit extremes, where a difference of two offsets wraps: each is
    // refused at the first offset that is wrong, and changes nothing.
    let extremes: [(&[i64], usize); 6] = [
        (&[1, i64::MIN, 2], 1),
        (&[0, i64::MAX, 2], 1),
        (&[0, 1, i64::MIN + 1, 2], 2),
        (&[i64::MIN, 0], 0),
        (&[0, 2, i64::MAX], 2),
        (&[2, 1, 2], 1),
    ];
    for (offsets, at) in extremes {
        let err = c
            .try_extend_str_from_parts(offsets, "ab", None)
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidRows { at: a, .. } if a == at),
            "{offsets:?}: {err}"
        );
        assert_eq!(view(&c), before, "{offsets:?}");
        let err = c
            .try_extend_bytes_from_parts(offsets, b"ab", Some(&[0xff]))
            .unwrap_err();
        assert!(matches!(err, Error::InvalidRows { at: a, .. } if a == at));
        assert_eq!(view(&c), before, "{offsets:?}");
    }
    assert!(matches!(
        c.try_extend_from_parts(&[1i32], None),
        Err(Error::TypeMismatch { .. })
    ));
    let mut fixed = Column::new(FieldType::I64, 4);
    assert!(matches!(
        fixed.try_extend_bytes_from_parts(&[0i32, 1], b"a", None),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        fixed.try_extend_from_parts(&[0i64; 9], Some(&[0xff])),
        Err(Error::InvalidRows { at: 1, .. })
    ));
    assert!(fixed.is_empty());
    // Empty input is zero rows, not an error.
    c.extend_str_from_parts::<i32>(&[], "", None);
    c.extend_str_from_parts(&[7i32], "seven..", None);
    assert_eq!(view(&c), before);
}

#[test]
fn a_pooled_column_takes_bulk_rows_and_goes_home() {
    let pool = LockFreeAllocator::new();
    let mut rng = Rng(7);
    for _ in 0..4 {
        let p = parts(&mut rng, 1024, true, false);
        let mut chk = pool.alloc(&[FieldType::UTF8], 1024, 1024);
        chk.column_mut(0)
            .extend_str_from_parts(&p.offsets, &p.values, p.validity.as_deref());
        let got: Vec<_> = chk
            .column(0)
            .iter_str()
            .map(|s| s.map(str::to_owned))
            .collect();
        assert_eq!(got, p.rows);
    }
    let s = pool.stats();
    assert_eq!((s.chunks_allocated, s.chunks_from_cache), (4, 3), "{s:?}");
}

#[cfg(feature = "arrow")]
#[test]
fn only_str_parts_vouch_for_utf8() {
    let mut chk = chunkpool::Chunk::new(&[FieldType::UTF8, FieldType::UTF8], 4, 4);
    chk.column_mut(0)
        .extend_str_from_parts(&[0i32, 2], "ok", None);
    chk.column_mut(1)
        .extend_bytes_from_parts(&[0i32, 2], &[0xff, 0xfe], None);
    let err = chk.into_record_batch().unwrap_err();
    assert!(err.to_string().contains("UTF-8"), "{err}");

    let mut chk = chunkpool::Chunk::new(&[FieldType::UTF8], 4, 4);
    chk.column_mut(0)
        .extend_str_from_parts(&[0i32, 2], "ok", None);
    assert_eq!(chk.into_record_batch().unwrap().num_rows(), 1);
}

/// Short ASCII rows skip the per-offset character checks, long rows check
/// each offset piece by piece as they are copied: both give the rows, and
/// a split character is found in either, even past the first 16 KiB.
#[test]
fn every_check_path_finds_the_rows_and_the_splits() {
    for (rows, width, fill) in [
        (3000, 10, "a"),
        (3000, 10, "é"),
        (400, 150, "a"),
        (400, 150, "€"),
    ] {
        let row = fill.repeat(width / fill.len());
        let values = row.repeat(rows);
        let offsets: Vec<i64> = (0..=rows).map(|r| (r * row.len()) as i64).collect();
        let mut c = Column::new(FieldType::UTF8, 4);
        c.extend_str_from_parts(&offsets, &values, None);
        assert_eq!(c.len(), rows);
        assert!(
            c.iter_str().all(|s| s == Some(row.as_str())),
            "{rows} x {width} {fill}"
        );
        if fill.len() > 1 {
            // One offset near the end moved inside a character.
            let mut bad = offsets.clone();
            bad[rows - 1] += 1;
            let err = c
                .try_extend_str_from_parts(&bad, &values, None)
                .unwrap_err();
            assert!(
                matches!(err, Error::InvalidRows { at, .. } if at == rows - 1),
                "{err}"
            );
            assert_eq!(c.len(), rows, "unchanged after the error");
        }
    }
}

/// Every offset list of up to four entries drawn from values around zero,
/// the values' length and the 64-bit extremes (where differences wrap) is
/// accepted exactly when its offsets rise within the values, and a refusal
/// names the first bad offset and changes nothing. With and without a
/// validity bitmap (NULL rows whose slots span bytes take another path),
/// appended after rows already there.
#[test]
fn offsets_are_accepted_exactly_when_they_rise_within_the_values() {
    let values = "abcd";
    let len = values.len() as i64;
    let picks: [i64; 12] = [
        0,
        1,
        3,
        len,
        len + 1,
        -1,
        i64::MIN,
        i64::MIN + 1,
        i64::MAX,
        i64::MAX - 1,
        1 << 62,
        -(1 << 62) - 1,
    ];
    let mut c = Column::new(FieldType::UTF8, 4);
    c.append_str("before");
    let before = c.clone();
    let mut lists = vec![vec![]];
    for _ in 0..4 {
        let longer: Vec<Vec<i64>> = lists
            .iter()
            .filter(|l: &&Vec<i64>| l.len() == lists.last().map_or(0, Vec::len))
            .flat_map(|l| {
                picks.iter().map(move |&p| {
                    let mut l = l.clone();
                    l.push(p);
                    l
                })
            })
            .collect();
        lists.extend(longer);
    }
    let mut accepted = 0;
    for offsets in &lists {
        // The first offset that is negative, past the values, or below
        // the one before it.
        let first_bad = offsets
            .iter()
            .enumerate()
            .position(|(i, &o)| o < 0 || o > len || (i > 0 && o < offsets[i - 1]));
        for validity in [None, Some(&[0b0101u8][..])] {
            match (
                c.try_extend_str_from_parts(offsets, values, validity),
                first_bad,
            ) {
                (Ok(()), None) => {
                    accepted += 1;
                    let rows = offsets.len().saturating_sub(1);
                    assert_eq!(c.len(), 1 + rows, "{offsets:?}");
                    c = before.clone();
                }
                (Err(Error::InvalidRows { at, .. }), Some(bad)) => {
                    assert_eq!(at, bad, "{offsets:?}");
                    assert_eq!(c.len(), 1, "{offsets:?}");
                    assert_eq!(c.value_str(0), Some("before"));
                }
                (r, bad) => panic!("{offsets:?} {validity:?}: {r:?}, first bad {bad:?}"),
            }
        }
    }
    // Rising lists of the in-range picks were among them.
    assert!(accepted > 100, "{accepted}");
}
