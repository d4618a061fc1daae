//! `Column::select_where` (a selection from a predicate) against a plain
//! filter over a `Vec` model, and values of every short length (the
//! inline copy of a row's bytes) through appends and row movement.

use chunkpool::{Chunk, Column, Error, FieldType};

fn rng(seed: u64) -> impl FnMut(usize) -> usize {
    let mut s = seed;
    move |below| {
        s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        ((s >> 33) as usize) % below.max(1)
    }
}

/// Rows of `I32` with NULLs (some NULL rows keep a stored value that the
/// predicate would accept), selected against a filter over the model.
#[test]
fn select_where_matches_a_filter_over_the_rows() {
    let mut next = rng(5);
    for case in 0..300 {
        let rows = next(300);
        let mut c = Column::new(FieldType::I32, 4);
        let mut model: Vec<Option<i32>> = Vec::new();
        for _ in 0..rows {
            let v = next(100) as i32 - 20;
            c.append_i32(v);
            model.push(Some(v));
        }
        // NULLs by `set_null`: the stored value stays underneath.
        if case % 3 != 0 {
            for (r, m) in model.iter_mut().enumerate() {
                if next(5) == 0 {
                    c.set_null(r, true);
                    *m = None;
                }
            }
        }
        let limit = next(100) as i32 - 20;
        let prefix: Vec<u32> = (0..next(4) as u32).map(|x| 1000 + x).collect();
        let mut sel = prefix.clone();
        let mut seen = 0;
        let n = c.select_where(&mut sel, |v: i32| {
            seen += 1;
            v <= limit
        });
        let want: Vec<u32> = model
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_some_and(|v| v <= limit))
            .map(|(i, _)| i as u32)
            .collect();
        assert_eq!(seen, rows, "the predicate sees every row once");
        assert_eq!(n, want.len());
        assert_eq!(&sel[..prefix.len()], &prefix[..], "earlier entries kept");
        assert_eq!(&sel[prefix.len()..], &want[..], "case {case}");
    }
}

#[test]
fn select_where_reads_every_fixed_type_it_names() {
    let f: Column = [1.5f64, -2.0, 3.0].into_iter().collect();
    let mut sel = Vec::new();
    assert_eq!(f.select_where(&mut sel, |v: f64| v > 0.0), 2);
    assert_eq!(sel, [0, 2]);

    let mut days = Column::new(FieldType::DATE, 4);
    days.extend([19_000i64, 19_005, 18_000]);
    sel.clear();
    days.select_where(&mut sel, |d: i64| d >= 19_000);
    assert_eq!(sel, [0, 1]);

    let flags: Column = [true, false, true].into_iter().collect();
    sel.clear();
    flags.select_where(&mut sel, |b: u8| b == 1);
    assert_eq!(sel, [0, 2]);

    let empty = Column::new(FieldType::I64, 0);
    sel.clear();
    assert_eq!(empty.select_where(&mut sel, |_: i64| true), 0);
    assert!(sel.is_empty());
}

#[test]
fn a_type_the_column_does_not_hold_is_refused_and_sel_unchanged() {
    let mut c = Column::new(FieldType::I64, 2);
    c.append_i64(1);
    let mut sel = vec![9, 8];
    for r in [
        c.try_select_where(&mut sel, |_: f64| true),
        c.try_select_where(&mut sel, |_: i32| true),
        Column::new(FieldType::UTF8, 1).try_select_where(&mut sel, |_: i64| true),
    ] {
        assert!(matches!(r, Err(Error::TypeMismatch { .. })), "{r:?}");
    }
    assert_eq!(sel, [9, 8]);
    let panic = std::panic::catch_unwind(|| {
        let mut s = Vec::new();
        Column::new(FieldType::F32, 1).select_where(&mut s, |_: i64| true)
    });
    assert!(panic.is_err());
}

/// The selection drives row movement and the chunk's own selection.
#[test]
fn a_selection_moves_the_rows_it_names() {
    let fields = [FieldType::I32, FieldType::UTF8];
    let mut scan = Chunk::new(&fields, 64, 64);
    for i in 0..50 {
        scan.column_mut(0).append_i32(i % 7);
        scan.column_mut(1).append_str(&format!("row{i}"));
    }
    let mut sel = Vec::new();
    scan.column(0).select_where(&mut sel, |q: i32| q == 3);
    let mut kept = Chunk::new(&fields, 64, 64);
    kept.append_selected(&scan, &sel);
    let names: Vec<_> = (0..kept.num_rows())
        .map(|r| kept.column(1).value_str(r).unwrap().to_owned())
        .collect();
    let want: Vec<_> = (0..50)
        .filter(|i| i % 7 == 3)
        .map(|i| format!("row{i}"))
        .collect();
    assert_eq!(names, want);
    scan.set_sel(Some(sel));
    assert_eq!(scan.num_rows(), want.len());
    assert_eq!(scan.row(1).value_str(1), Some("row10"));
}

/// Every length from 0 to 80 bytes, one row each, appended, moved by a
/// selection and by runs, and read back byte for byte: the inline copy
/// covers each length class (0, 1–3, 4–7, 8–15, 16–32) and its edges.
#[test]
fn values_of_every_short_length_round_trip() {
    let value = |n: usize| -> Vec<u8> { (0..n).map(|i| (n * 31 + i * 7) as u8).collect() };
    let fields = [FieldType::BINARY];
    let mut c = Chunk::new(&fields, 4, 4); // grows along the way
    for n in 0..=80 {
        c.column_mut(0).append_bytes(&value(n));
    }
    for n in 0..=80 {
        assert_eq!(c.column(0).get_bytes(n), &value(n)[..], "length {n}");
    }
    // Every other row (single-row runs), then all of them (one run).
    let odd: Vec<u32> = (0..=80).filter(|n| n % 2 == 1).collect();
    let mut moved = Chunk::new(&fields, 4, 4);
    moved.append_selected(&c, &odd);
    moved.append_rows(&c, 0..81);
    for (i, &n) in odd.iter().enumerate() {
        assert_eq!(moved.column(0).get_bytes(i), &value(n as usize)[..]);
    }
    for n in 0..=80 {
        assert_eq!(moved.column(0).get_bytes(odd.len() + n), &value(n)[..]);
    }
    // And as strings (the `&str` path), next to a NULL.
    let mut s = Column::new(FieldType::UTF8, 2);
    for n in 0..=40 {
        let text = "abcdefghij".repeat(4)[..n].to_owned();
        s.append_option_str(Some(&text));
        s.append_option_str(None);
        assert_eq!(s.value_str(2 * n), Some(&text[..]));
        assert_eq!(s.value_str(2 * n + 1), None);
    }
}
