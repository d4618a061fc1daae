//! The column builders (`append_option*`, `set_null`, `extend_*`, the
//! bulk `extend_*_from_parts`) against the model, and every NULL-aware
//! reader (`value`, `value_bytes`, `value_str`, `iter*`) checked on every
//! column after every step.
//!
//! A builder call the column's type does not take must fail with
//! `TypeMismatch` and leave the column as it was; a `set_null` past the
//! length with `RowOutOfRange`. `set_null` keeps a row's stored element,
//! so the model's `Row` keeps its bytes whichever way it is marked.

use crate::input::{pattern, Acc, BuildOp, PartsTail, VarParts};
use crate::logical::{self, Access, ALL};
use crate::model::{check_err, mismatch, same_error_kind, MCol, Row};
use crate::panics::expect_error_panic;
use chunkpool::{Column, Error, FieldType};

impl Acc {
    /// The accessor this byte picks for a column of `field`.
    pub fn access(self, field: FieldType) -> Access {
        if self.0 % 2 == 0 {
            logical::native(field).unwrap_or(Access::I64)
        } else {
            ALL[usize::from(self.0 / 2) % ALL.len()]
        }
    }
}

/// The element bytes a typed call writes for `seed`, `i`.
fn gen(a: Access, seed: u8, i: usize) -> Vec<u8> {
    pattern(u64::from(seed), i as u64, logical::size(a))
}

/// What a builder call must do to the model's rows: the rows it appends,
/// or the error (`set_null` is handled apart).
fn predict(m: &MCol, op: &BuildOp) -> Result<Vec<Row>, Error> {
    let field = m.field;
    let zeros = vec![0; field.elem_size().unwrap_or(0)];
    let typed = |acc: Acc| {
        let a = acc.access(field);
        if logical::writes(field, a) {
            Ok(a)
        } else {
            Err(mismatch(field))
        }
    };
    let var = || {
        if field.is_var() {
            Ok(())
        } else {
            Err(mismatch(field))
        }
    };
    let value = |bytes: Vec<u8>| Row { null: false, bytes };
    let null = || Row {
        null: true,
        bytes: zeros.clone(),
    };
    Ok(match op {
        BuildOp::AppendOption { acc, val } => {
            let a = typed(*acc)?;
            vec![val.map_or_else(null, |s| value(gen(a, s, 0)))]
        }
        BuildOp::AppendOptionBytes(v) => {
            var()?;
            vec![v.clone().map_or_else(null, value)]
        }
        BuildOp::AppendOptionStr(v) => {
            var()?;
            vec![v
                .as_ref()
                .map_or_else(null, |s| value(s.as_bytes().to_vec()))]
        }
        BuildOp::SetNull { .. } | BuildOp::SetNulls { .. } => Vec::new(),
        BuildOp::ExtendBools { vals, .. } => {
            if field != FieldType::BOOL {
                return Err(mismatch(field));
            }
            vals.iter()
                .map(|v| v.map_or_else(null, |b| value(vec![u8::from(b)])))
                .collect()
        }
        BuildOp::ReserveBytes { .. } => {
            var()?;
            Vec::new()
        }
        BuildOp::AppendNulls(n) => (0..n % 33).map(|_| null()).collect(),
        BuildOp::ExtendFromSlice { acc, n, seed } | BuildOp::ExtendFromParts { acc, n, seed } => {
            let a = typed(*acc)?;
            (0..usize::from(n % 33))
                .map(|i| value(gen(a, *seed, i)))
                .collect()
        }
        BuildOp::ExtendOptions { acc, vals } => {
            let a = typed(*acc)?;
            vals.iter()
                .enumerate()
                .map(|(i, v)| v.map_or_else(null, |s| value(gen(a, s, i))))
                .collect()
        }
        BuildOp::ExtendBytes(vals) => {
            var()?;
            vals.iter().map(|b| value(b.clone())).collect()
        }
        BuildOp::ExtendStr(vals) => {
            var()?;
            vals.iter().map(|s| value(s.as_bytes().to_vec())).collect()
        }
        BuildOp::ExtendVarParts(p) => {
            var()?;
            let laid = Laid::new(p);
            if let Some(e) = laid.error(p) {
                return Err(e);
            }
            // A NULL row is empty, whatever its slot spans.
            let mut rows: Vec<Row> = p
                .rows
                .iter()
                .map(|r| {
                    r.as_ref()
                        .map_or_else(null, |s| value(s.as_bytes().to_vec()))
                })
                .collect();
            if p.tail == PartsTail::Split {
                // The bytes form takes the first byte of a character as a row.
                rows.push(value("é".as_bytes()[..1].to_vec()));
            }
            rows
        }
    })
}

/// A [`VarParts`] call in Arrow's layout: the values after a junk prefix,
/// `i64` offsets into them, the validity bitmap.
struct Laid {
    values: Vec<u8>,
    offsets: Vec<i64>,
    bits: Vec<u8>,
}

impl Laid {
    fn new(p: &VarParts) -> Laid {
        let mut values = b"ab".to_vec();
        let mut offsets = vec![values.len() as i64];
        let mut valid = Vec::new();
        for r in &p.rows {
            match r {
                Some(s) => values.extend_from_slice(s.as_bytes()),
                None if p.filler => values.extend_from_slice(b"zz"),
                None => {}
            }
            offsets.push(values.len() as i64);
            valid.push(r.is_some());
        }
        match p.tail {
            PartsTail::Split => {
                // Ends after the first of the two bytes of 'é'.
                offsets.push(values.len() as i64 + 1);
                values.extend_from_slice("é".as_bytes());
                valid.push(true);
            }
            PartsTail::Past => {
                offsets.push(values.len() as i64 + 1);
                valid.push(true);
            }
            PartsTail::None | PartsTail::ShortBitmap => {}
        }
        let n = valid.len();
        let mut bits = vec![0u8; n.div_ceil(8)];
        for (i, &v) in valid.iter().enumerate() {
            bits[i / 8] |= u8::from(v) << (i % 8);
        }
        if let Some(last) = bits.last_mut() {
            if n % 8 != 0 {
                // Bits past the last row: set, and to be ignored.
                *last |= 0xff << (n % 8);
            }
        }
        if p.tail == PartsTail::ShortBitmap {
            bits.pop();
        }
        Laid {
            values,
            offsets,
            bits,
        }
    }

    /// Rows the call appends.
    fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The error the call must fail with, in the order the crate checks:
    /// the bitmap's length, then the offsets, then (for `&str`) the
    /// character boundaries.
    fn error(&self, p: &VarParts) -> Option<Error> {
        let n = self.rows();
        let invalid = |reason, at| Some(Error::InvalidRows { reason, at });
        match p.tail {
            PartsTail::ShortBitmap if n > 0 => invalid(
                "the validity bitmap has fewer bits than there are rows",
                self.bits.len(),
            ),
            PartsTail::Past => invalid("an offset past the values", n),
            PartsTail::Split if p.text => invalid("an offset inside a UTF-8 character", n),
            _ => None,
        }
    }

    /// Data bytes a failing call leaves the column room for beyond what
    /// it holds: a `&str` split is found after the rows were copied,
    /// unless a NULL slot spans bytes (then the rows go one by one, and
    /// the boundaries are checked first).
    fn grown_on_error(&self, p: &VarParts) -> usize {
        let null_slot_bytes = p.filler && p.rows.iter().any(Option::is_none);
        if p.tail == PartsTail::Split && p.text && !null_slot_bytes {
            (self.offsets[self.rows()] - self.offsets[0]) as usize
        } else {
            0
        }
    }
}

/// The call itself, on the real column (`panicking`: the panicking form).
fn call(real: &mut Column, field: FieldType, op: &BuildOp, panicking: bool) -> Result<(), Error> {
    macro_rules! either {
        ($try:expr, $panicking:expr) => {
            if panicking {
                $panicking;
                Ok(())
            } else {
                $try
            }
        };
    }
    match op {
        BuildOp::AppendOption { acc, val } => {
            let a = acc.access(field);
            let bytes = val.map(|s| gen(a, s, 0));
            logical::append_option(real, a, bytes.as_deref(), panicking)
        }
        BuildOp::AppendOptionBytes(v) => either!(
            real.try_append_option_bytes(v.as_deref()),
            real.append_option_bytes(v.as_deref())
        ),
        BuildOp::AppendOptionStr(v) => either!(
            real.try_append_option_str(v.as_deref()),
            real.append_option_str(v.as_deref())
        ),
        BuildOp::SetNull { row, null } => {
            let row = row.resolve(real.len());
            either!(real.try_set_null(row, *null), real.set_null(row, *null))
        }
        BuildOp::AppendNulls(n) => {
            let n = usize::from(n % 33);
            either!(real.try_append_nulls(n), real.append_nulls(n))
        }
        BuildOp::ExtendBools { vals, packed: true } => {
            let n = vals.len();
            let mut bits = vec![0u8; n.div_ceil(8)];
            let mut valid = vec![0u8; n.div_ceil(8)];
            for (i, v) in vals.iter().enumerate() {
                // A NULL row's value bit is set: it must not show.
                bits[i / 8] |= u8::from(v.unwrap_or(true)) << (i % 8);
                valid[i / 8] |= u8::from(v.is_some()) << (i % 8);
            }
            let validity = vals.iter().any(Option::is_none).then_some(&valid[..]);
            either!(
                real.try_extend_bools_from_parts(&bits, n, validity),
                real.extend_bools_from_parts(&bits, n, validity)
            )
        }
        BuildOp::ExtendBools {
            vals,
            packed: false,
        } => match vals.iter().copied().collect::<Option<Vec<bool>>>() {
            Some(plain) => either!(real.try_extend_bools(&plain), real.extend_bools(&plain)),
            None => either!(
                real.try_extend_option_bools(vals.iter().copied()),
                real.extend(vals.iter().copied())
            ),
        },
        BuildOp::ReserveBytes { rows, bytes } => {
            let (rows, bytes) = (usize::from(*rows), usize::from(*bytes));
            either!(
                real.try_reserve_bytes(rows, bytes),
                real.reserve_bytes(rows, bytes)
            )
        }
        BuildOp::SetNulls { start, end, null } => {
            let (a, b) = (start.resolve(real.len()), end.resolve(real.len()));
            either!(real.try_set_nulls(a..b, *null), real.set_nulls(a..b, *null))
        }
        BuildOp::ExtendFromSlice { acc, n, seed } => {
            let a = acc.access(field);
            let vals: Vec<Vec<u8>> = (0..usize::from(n % 33)).map(|i| gen(a, *seed, i)).collect();
            logical::extend_from_slice(real, a, &vals, panicking)
        }
        BuildOp::ExtendFromParts { acc, n, seed } => {
            let a = acc.access(field);
            let vals: Vec<Vec<u8>> = (0..usize::from(n % 33)).map(|i| gen(a, *seed, i)).collect();
            logical::extend_from_parts(real, a, &vals, panicking)
        }
        BuildOp::ExtendVarParts(p) => {
            let laid = Laid::new(p);
            #[cfg(feature = "arrow")]
            if let Some(array) = crate::arrays::var_array(field, p, &laid.values, &laid.offsets) {
                return either!(
                    real.try_extend_from_array(&*array),
                    real.extend_from_array(&*array)
                );
            }
            let validity = Some(&laid.bits[..]);
            let text = std::str::from_utf8(&laid.values).expect("strings and ASCII, back to back");
            macro_rules! parts {
                ($offsets:expr) => {
                    if p.text {
                        either!(
                            real.try_extend_str_from_parts($offsets, text, validity),
                            real.extend_str_from_parts($offsets, text, validity)
                        )
                    } else {
                        either!(
                            real.try_extend_bytes_from_parts($offsets, &laid.values, validity),
                            real.extend_bytes_from_parts($offsets, &laid.values, validity)
                        )
                    }
                };
            }
            if p.wide {
                parts!(&laid.offsets[..])
            } else {
                let narrow: Vec<i32> = laid
                    .offsets
                    .iter()
                    .map(|&o| i32::try_from(o).expect("small"))
                    .collect();
                parts!(&narrow[..])
            }
        }
        BuildOp::ExtendOptions { acc, vals } => {
            let a = acc.access(field);
            let vals: Vec<Option<Vec<u8>>> = vals
                .iter()
                .enumerate()
                .map(|(i, v)| v.map(|s| gen(a, s, i)))
                .collect();
            logical::extend_options(real, a, &vals, panicking)
        }
        // An odd number of rows goes through the bulk form that means the
        // same (offsets of `i32` or `i64`, starting past a junk prefix).
        BuildOp::ExtendBytes(vals) if vals.len() % 2 == 1 => {
            let (values, offsets) = parts(vals.iter().map(Vec::as_slice));
            match narrow(&offsets, vals.len()) {
                Some(o) => either!(
                    real.try_extend_bytes_from_parts(&o, &values, None),
                    real.extend_bytes_from_parts(&o, &values, None)
                ),
                None => either!(
                    real.try_extend_bytes_from_parts(&offsets, &values, None),
                    real.extend_bytes_from_parts(&offsets, &values, None)
                ),
            }
        }
        BuildOp::ExtendStr(vals) if vals.len() % 2 == 1 => {
            let (values, offsets) = parts(vals.iter().map(String::as_bytes));
            let text = String::from_utf8(values).expect("strings, back to back");
            match narrow(&offsets, vals.len()) {
                Some(o) => either!(
                    real.try_extend_str_from_parts(&o, &text, None),
                    real.extend_str_from_parts(&o, &text, None)
                ),
                None => either!(
                    real.try_extend_str_from_parts(&offsets, &text, None),
                    real.extend_str_from_parts(&offsets, &text, None)
                ),
            }
        }
        BuildOp::ExtendBytes(vals) => either!(
            real.try_extend_bytes(vals.iter().map(Vec::as_slice)),
            real.extend_bytes(vals.iter().map(Vec::as_slice))
        ),
        // The panicking form of an even number of rows goes through
        // `Extend<&str>` every other time.
        BuildOp::ExtendStr(vals) if vals.len() % 4 == 0 => either!(
            real.try_extend_str(vals.iter().map(String::as_str)),
            real.extend(vals.iter().map(String::as_str))
        ),
        BuildOp::ExtendStr(vals) => either!(
            real.try_extend_str(vals.iter().map(String::as_str)),
            real.extend_str(vals.iter().map(String::as_str))
        ),
    }
}

/// Rows in Arrow's layout: their bytes back to back after a junk prefix
/// ("ab"), and `i64` offsets into that.
fn parts<'a>(rows: impl Iterator<Item = &'a [u8]>) -> (Vec<u8>, Vec<i64>) {
    let mut values = b"ab".to_vec();
    let mut offsets = vec![values.len() as i64];
    for r in rows {
        values.extend_from_slice(r);
        offsets.push(values.len() as i64);
    }
    (values, offsets)
}

/// The offsets as `i32`, for every other row count (`rows % 4 == 1`).
fn narrow(offsets: &[i64], rows: usize) -> Option<Vec<i32>> {
    (rows % 4 == 1).then(|| {
        offsets
            .iter()
            .map(|&o| i32::try_from(o).expect("small"))
            .collect()
    })
}

/// Applies a builder call to the real column and the model; the outcome
/// must be the model's, exactly (a refused call changes nothing: the
/// column is verified afterwards).
pub fn build_op(
    real: &mut Column,
    m: &mut MCol,
    op: &BuildOp,
    panicking: bool,
) -> Result<(), Error> {
    let want = match op {
        BuildOp::SetNull { row, null } => {
            let len = m.rows.len();
            let row = row.resolve(len);
            match m.rows.get_mut(row) {
                Some(r) => {
                    r.null = *null;
                    Ok(Vec::new())
                }
                None => Err(Error::RowOutOfRange { row, len }),
            }
        }
        BuildOp::SetNulls { start, end, null } => {
            let len = m.rows.len();
            let (a, b) = (start.resolve(len), end.resolve(len));
            if a > b {
                Err(Error::RowOutOfRange { row: a, len: b })
            } else if b > len {
                Err(Error::RowOutOfRange {
                    row: a.max(len),
                    len,
                })
            } else {
                m.rows[a..b].iter_mut().for_each(|r| r.null = *null);
                Ok(Vec::new())
            }
        }
        _ => predict(m, op),
    };
    let field = m.field;
    match want {
        Ok(rows) => {
            call(real, field, op, panicking).expect("a builder call the model accepts");
            m.rows.extend(rows);
            if let BuildOp::ReserveBytes { bytes, .. } = op {
                // The data buffer holds at least this much now.
                m.peak_data = m.peak_data.max(m.data_len() + usize::from(*bytes));
            }
            Ok(())
        }
        Err(want) => {
            let got = call(real, field, op, false);
            if let (Err(_), BuildOp::ExtendVarParts(p)) = (&got, op) {
                // The buffers keep what they grew to before the error.
                let grown = m.data_len() + Laid::new(p).grown_on_error(p);
                m.peak_data = m.peak_data.max(grown);
            }
            if let Err(e) = &got {
                assert!(same_error_kind(e, &want), "expected {want:?}, got {e:?}");
                if panicking {
                    expect_error_panic(e, || {
                        let _ = call(real, field, op, true);
                    });
                }
            }
            check_err(got, want)
        }
    }
}

/// Every NULL-aware reader of `col` against the model `m`: the `try_`
/// forms on every row, the panicking forms where they succeed, and a
/// mismatch for every reader the column's type does not take.
pub fn verify_reads(col: &Column, m: &MCol) {
    let n = m.rows.len();
    let field = m.field;
    let want: Vec<Option<Vec<u8>>> = m
        .rows
        .iter()
        .map(|r| (!r.null).then(|| r.bytes.clone()))
        .collect();
    let is_mismatch =
        |e: &Error| matches!(e, Error::TypeMismatch { actual, .. } if *actual == field);
    let oob = Error::RowOutOfRange { row: n, len: n };
    for a in ALL {
        if field.elem_size().is_some() && logical::accepts(field, a) {
            assert_eq!(
                logical::iter(col, a, false).as_ref(),
                Ok(&want),
                "{a:?} try_iter"
            );
            assert_eq!(
                logical::iter(col, a, true).as_ref(),
                Ok(&want),
                "{a:?} iter"
            );
            for (r, w) in want.iter().enumerate() {
                assert_eq!(
                    logical::value(col, a, r, r % 2 == 1).as_ref(),
                    Ok(w),
                    "{a:?} value({r})"
                );
            }
            assert_eq!(
                logical::value(col, a, n, false),
                Err(oob.clone()),
                "{a:?} value past the end"
            );
        } else {
            let e = logical::value(col, a, 0, false).expect_err("value of another type");
            assert!(is_mismatch(&e), "{a:?} value: {e:?}");
            let e = logical::iter(col, a, false).expect_err("iter of another type");
            assert!(is_mismatch(&e), "{a:?} iter: {e:?}");
        }
    }
    if field.is_var() {
        let got: Vec<Option<Vec<u8>>> = col
            .try_iter_bytes()
            .expect("iter_bytes of a var column")
            .map(|b| b.map(<[u8]>::to_vec))
            .collect();
        assert_eq!(got, want, "try_iter_bytes");
        assert_eq!(col.iter_bytes().len(), n);
        assert!(col
            .iter_bytes()
            .rev()
            .map(|b| b.map(<[u8]>::to_vec))
            .eq(want.iter().rev().cloned()));
        for (r, w) in want.iter().enumerate() {
            assert_eq!(
                col.try_value_bytes(r)
                    .map(|b| b.map(<[u8]>::to_vec))
                    .as_ref(),
                Ok(w)
            );
            assert_eq!(col.value_bytes(r).map(<[u8]>::to_vec).as_ref(), w.as_ref());
        }
        assert_eq!(
            col.try_value_bytes(n),
            Err(oob.clone()),
            "value_bytes past the end"
        );
    } else {
        assert!(is_mismatch(
            &col.try_value_bytes(0)
                .expect_err("value_bytes of a fixed column")
        ));
        assert!(is_mismatch(
            &col.try_iter_bytes()
                .err()
                .expect("iter_bytes of a fixed column")
        ));
    }
    if field == FieldType::UTF8 {
        let strs: Vec<Result<Option<&str>, Error>> = want
            .iter()
            .enumerate()
            .map(|(row, w)| match w {
                None => Ok(None),
                Some(b) => std::str::from_utf8(b)
                    .map(Some)
                    .map_err(|_| Error::InvalidUtf8 { row }),
            })
            .collect();
        let got: Vec<_> = col.try_iter_str().expect("iter_str of Utf8").collect();
        assert_eq!(got, strs, "try_iter_str");
        for (r, s) in strs.iter().enumerate() {
            assert_eq!(&col.try_value_str(r), s, "try_value_str({r})");
            if let Ok(s) = s {
                assert_eq!(&col.value_str(r), s, "value_str({r})");
            }
        }
        if strs.iter().all(Result::is_ok) {
            let all: Vec<Option<&str>> = strs.into_iter().map(Result::unwrap).collect();
            assert_eq!(col.iter_str().collect::<Vec<_>>(), all, "iter_str");
            assert!(
                col.iter_str().rev().eq(all.into_iter().rev()),
                "iter_str backwards"
            );
        }
        assert_eq!(col.try_value_str(n), Err(oob), "value_str past the end");
    } else {
        assert!(is_mismatch(
            &col.try_value_str(0)
                .expect_err("value_str of a non-Utf8 column")
        ));
        assert!(is_mismatch(
            &col.try_iter_str()
                .err()
                .expect("iter_str of a non-Utf8 column")
        ));
    }
    assert_eq!(
        col.null_count(),
        m.rows.iter().filter(|r| r.null).count(),
        "null_count"
    );
}
