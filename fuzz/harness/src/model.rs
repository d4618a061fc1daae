//! The plain model: what every live chunk must contain, which slots share a
//! column, and what each allocator's counters must say.
//!
//! A model column is an `Arc<MCol>` per slot, mirroring the crate's own
//! `Own` / `Shared(Arc)` slots: two slots share a column exactly when they
//! hold the same `Arc`, a column is mutable exactly when its `Arc` is
//! unique, and `Arc::into_inner` tells which slot is a column's last user
//! (where it is recycled).

use crate::fresh::check_new_chunk;
use crate::input::{pattern, ColOp, Val};
use crate::logical::{self, Access};
use crate::verify::verify;
use chunkpool::{Chunk, Error, FieldType, PoolConfig};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// One row: the NULL flag and the element bytes (a fixed NULL holds zeroes
/// unless written through a slice; a var NULL is empty).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub null: bool,
    pub bytes: Vec<u8>,
}

/// The model of one column buffer.
#[derive(Debug)]
pub struct MCol {
    /// Buffer identity: two live columns have the same id exactly when they
    /// are the same buffer (same `data_ptr`).
    pub id: u64,
    pub field: FieldType,
    pub rows: Vec<Row>,
    pub avoid: bool,
    /// The most data bytes this buffer held since it was handed out: its
    /// data capacity is at least this much (capacities never shrink).
    pub peak_data: usize,
}

impl MCol {
    pub fn new(field: FieldType) -> MCol {
        MCol {
            id: next_id(),
            field,
            rows: Vec::new(),
            avoid: false,
            peak_data: 0,
        }
    }

    pub fn data_len(&self) -> usize {
        self.rows.iter().map(|r| r.bytes.len()).sum()
    }

    /// Records the data now held in `peak_data`; after every write.
    pub fn note_peak(&mut self) {
        self.peak_data = self.peak_data.max(self.data_len());
    }
}

/// The model of one live chunk.
#[derive(Debug)]
pub struct MChunk {
    pub slots: Vec<Arc<MCol>>,
    pub capacity: usize,
    pub required: usize,
    /// Index of the pool it returns to; `None` for an unpooled chunk.
    pub home: Option<usize>,
    /// Never retyped, replaced, swapped or cloned into, never part of a
    /// `make_ref`: every column is the one `alloc` handed out for this
    /// layout and capacity.
    pub pristine: bool,
    /// The selection vector (`set_sel`): kept by everything but
    /// `set_sel` and `reset`, whatever happens to the rows.
    pub sel: Option<Vec<u32>>,
    /// The row count of a chunk without columns
    /// (`set_num_virtual_rows`); 0 while it has columns.
    pub virtual_rows: usize,
}

/// A real chunk and its model.
#[derive(Debug)]
pub struct Live {
    pub chunk: Chunk,
    pub m: MChunk,
}

impl Live {
    pub fn fields(&self) -> Vec<FieldType> {
        self.m.slots.iter().map(|c| c.field).collect()
    }
}

/// What a pool's counters must say, from what the harness did to it.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    pub allocated: u64,
    pub returned: u64,
    /// Columns handed out in allocated chunks.
    pub columns: u64,
    /// Columns whose last user gave them back while marked avoid_reusing.
    pub avoid: u64,
    /// Other columns given back.
    pub returned_plain: u64,
    /// Var columns given back that held more data than TiDB's flat
    /// oversize limit, when the pool has that rule: the pool must have
    /// counted at least these as oversize.
    pub oversize_min: u64,
    /// Distinct size codes (0 = var) of the columns given back.
    pub codes: BTreeSet<usize>,
    /// Some `trim` dropped cached buffers without counting them.
    pub trimmed: bool,
}

impl Expect {
    pub fn on_alloc(&mut self, ncols: usize) {
        self.allocated += 1;
        self.columns += ncols as u64;
    }

    /// A column's last user handed it back to this pool.
    pub fn on_column_back(&mut self, col: &MCol, cfg: &PoolConfig) {
        if col.avoid {
            self.avoid += 1;
            return;
        }
        self.returned_plain += 1;
        self.codes.insert(col.field.elem_size().unwrap_or(0));
        // Under a per-row limit the rows a column holds decide, which the
        // model does not track: only TiDB's flat rule gives a lower bound.
        let flat = cfg.max_cached_var_bytes_per_row() == 0;
        if flat && col.field.is_var() && col.peak_data > cfg.max_cached_var_bytes() {
            self.oversize_min += 1;
        }
    }

    pub fn merge(&mut self, o: &Expect) {
        self.allocated += o.allocated;
        self.returned += o.returned;
        self.columns += o.columns;
        self.avoid += o.avoid;
        self.returned_plain += o.returned_plain;
        self.oversize_min += o.oversize_min;
        self.codes.extend(o.codes.iter().copied());
        self.trimmed |= o.trimmed;
    }
}

/// Where the columns a step gives back are recorded: one `Expect` per pool.
pub trait Sink {
    fn column_back(&mut self, home: usize, col: &MCol);
    fn chunk_back(&mut self, home: usize);
}

/// Per-pool expectations indexed by pool number, all with one config.
#[derive(Debug)]
pub struct Sinks<'a> {
    pub cfg: &'a PoolConfig,
    pub exp: &'a mut Vec<Expect>,
}

/// Per-pool expectations where pools have different configs.
#[derive(Debug)]
pub struct MultiSinks<'a> {
    pub cfgs: &'a [PoolConfig],
    pub exp: &'a mut Vec<Expect>,
}

impl Sink for MultiSinks<'_> {
    fn column_back(&mut self, home: usize, col: &MCol) {
        self.exp[home].on_column_back(col, &self.cfgs[home]);
    }
    fn chunk_back(&mut self, home: usize) {
        self.exp[home].returned += 1;
    }
}

impl Sink for Sinks<'_> {
    fn column_back(&mut self, home: usize, col: &MCol) {
        self.exp[home].on_column_back(col, self.cfg);
    }
    fn chunk_back(&mut self, home: usize) {
        self.exp[home].returned += 1;
    }
}

/// Gives back the column `slot` held if it was its last user.
pub fn release(slot: Arc<MCol>, home: Option<usize>, sink: &mut dyn Sink) {
    if let (Some(col), Some(h)) = (Arc::into_inner(slot), home) {
        sink.column_back(h, &col);
    }
}

/// What `try_alloc(fields, capacity, max)` must return: the chunk capacity,
/// or the error.
pub fn expected_alloc(fields: &[FieldType], capacity: usize, max: usize) -> Result<usize, Error> {
    if capacity == 0 {
        return Err(Error::ZeroCapacity);
    }
    if max == 0 {
        return Err(Error::ZeroMaxChunkSize);
    }
    let rows = capacity.min(max);
    for &field in fields {
        let per_row = field.elem_size().unwrap_or(8);
        let fits = rows
            .checked_mul(per_row)
            // Data is allocated in whole 64-byte blocks: the byte size
            // must leave room to round up (`ColumnPlan::new`).
            .is_some_and(|b| b <= isize::MAX as usize - 64)
            && (field.elem_size().is_some()
                || rows.checked_add(1).and_then(|n| n.checked_mul(8)).is_some());
        if !fits {
            return Err(Error::CapacityOverflow { field, rows });
        }
    }
    Ok(rows)
}

/// Checks an allocation result against [`expected_alloc`] and, on success,
/// checks invariant 2 ([`check_new_chunk`]) and wraps the chunk with a
/// fresh model. Every allocation the harness makes goes through here.
pub fn admit(
    got: Result<Chunk, Error>,
    fields: &[FieldType],
    capacity: usize,
    max: usize,
    home: Option<usize>,
) -> Option<Live> {
    let want = expected_alloc(fields, capacity, max);
    match (got, want) {
        (Ok(mut chunk), Ok(cap)) => {
            check_new_chunk(&mut chunk, fields, capacity, max);
            assert_eq!(
                chunk.is_pooled(),
                home.is_some(),
                "is_pooled of a new chunk"
            );
            let live = Live {
                chunk,
                m: MChunk {
                    slots: fields.iter().map(|&f| Arc::new(MCol::new(f))).collect(),
                    capacity: cap,
                    required: max,
                    home,
                    pristine: true,
                    sel: None,
                    virtual_rows: 0,
                },
            };
            verify(&live);
            for i in 0..live.m.slots.len() {
                assert!(
                    !live.chunk.column(i).avoid_reusing(),
                    "a handed-out column is marked avoid_reusing"
                );
            }
            Some(live)
        }
        (Err(e), Err(w)) => {
            assert_eq!(e, w, "alloc error");
            None
        }
        (got, want) => panic!(
            "alloc({fields:?}, {capacity}, {max}): got {:?}, expected {want:?}",
            got.map(|c| format!("{c:?}"))
        ),
    }
}

/// Drops a live chunk: its columns whose last user it was go back to its
/// pool, and the pool counts one returned chunk.
pub fn drop_live(live: Live, sink: &mut dyn Sink) {
    let Live { chunk, m } = live;
    #[cfg(feature = "arrow")]
    crate::arrays::drop_through_export(chunk);
    #[cfg(not(feature = "arrow"))]
    drop(chunk);
    if let Some(h) = m.home {
        sink.chunk_back(h);
    }
    for slot in m.slots {
        release(slot, m.home, sink);
    }
}

/// Errors alike, `TypeMismatch` by its `actual` type only.
pub fn same_error_kind(got: &Error, want: &Error) -> bool {
    match (got, want) {
        (Error::TypeMismatch { actual: a, .. }, Error::TypeMismatch { actual: b, .. }) => a == b,
        _ => got == want,
    }
}

/// A `TypeMismatch` on `field` (compare with [`same_error_kind`]).
pub fn mismatch(field: FieldType) -> Error {
    Error::TypeMismatch {
        expected: "",
        actual: field,
    }
}

/// Applies `op` to column `c` of `live` and to the model; the outcome
/// (success or the error) must agree.
pub fn col_op(live: &mut Live, c: usize, op: &ColOp) {
    let real = live.chunk.try_column_mut(c);
    let model = Arc::get_mut(&mut live.m.slots[c]);
    let (real, m) = match (real, model) {
        (Ok(r), Some(m)) => (r, m),
        (Err(e), None) => {
            assert_eq!(e, Error::SharedColumn { column: c });
            return;
        }
        (r, m) => panic!(
            "try_column_mut({c}): got {:?}, model says shared = {}",
            r.map(|_| ()),
            m.is_none()
        ),
    };
    let field = m.field;
    let size = field.elem_size();
    let outcome: Result<(), Error> = match op {
        ColOp::Append(v) => append(real, m, v, 0),
        ColOp::AppendMany { n, seed } => {
            for i in 0..u64::from(*n % 65) {
                let v = if *seed % 5 == 0 && i % 3 == 2 {
                    Val::Null
                } else {
                    Val::Elem(*seed)
                };
                append(real, m, &v, i).expect("generated values fit the column");
            }
            Ok(())
        }
        ColOp::Resize { rows, null } => {
            let got = real.try_resize(usize::from(*rows), *null);
            match size {
                None => check_err(got, mismatch(field)),
                Some(s) => {
                    got.expect("resize of a fixed column");
                    m.rows = (0..*rows)
                        .map(|_| Row {
                            null: *null,
                            bytes: vec![0; s],
                        })
                        .collect();
                    Ok(())
                }
            }
        }
        ColOp::WriteSlice { seed } if field == FieldType::BOOL => {
            // No mutable u8 view of a Bool column: its rows are set one by
            // one with `set_bool`.
            check_err(real.try_as_mut_slice::<u8>().map(|_| ()), mismatch(field))
                .expect("no u8 slice of a Bool column");
            for (i, row) in m.rows.iter_mut().enumerate() {
                let v = pattern(u64::from(*seed), i as u64, 1)[0] & 1 == 1;
                if i % 2 == 0 {
                    real.set_bool(i, v);
                } else {
                    real.try_set_bool(i, v).expect("set_bool of a row in range");
                }
                row.bytes = vec![u8::from(v)];
            }
            let n = m.rows.len();
            check_err(
                real.try_set_bool(n, true),
                Error::RowOutOfRange { row: n, len: n },
            )
        }
        ColOp::WriteSlice { seed } => match (logical::native(field), size) {
            (Some(a), Some(size)) if seed % 2 == 0 => {
                let mut written = 0;
                logical::write_slice(real, a, |i| {
                    written += 1;
                    pattern(u64::from(*seed), i as u64, size)
                })
                .expect("the slice of the column's own type");
                assert_eq!(written, m.rows.len(), "slice length");
                for (i, row) in m.rows.iter_mut().enumerate() {
                    row.bytes = pattern(u64::from(*seed), i as u64, size);
                }
                Ok(())
            }
            (_, Some(size)) => {
                // Each element's raw bytes, in place (`fixed_bytes_mut`).
                if !logical::writes(field, Access::U64) {
                    check_err(real.try_as_mut_slice::<u64>().map(|_| ()), mismatch(field))
                        .expect("no u64 slice");
                }
                for (i, row) in m.rows.iter_mut().enumerate() {
                    let b = pattern(u64::from(*seed), i as u64, size);
                    if i % 2 == 0 {
                        real.fixed_bytes_mut(i).copy_from_slice(&b);
                    } else {
                        let dst = real.try_fixed_bytes_mut(i).expect("a row in range");
                        dst.copy_from_slice(&b);
                    }
                    row.bytes = b;
                }
                let n = m.rows.len();
                let past = real.try_fixed_bytes_mut(n).map(|_| ());
                check_err(past, Error::RowOutOfRange { row: n, len: n })
            }
            (_, None) => {
                check_err(real.try_as_mut_slice::<u64>().map(|_| ()), mismatch(field))
                    .expect("no u64 slice");
                check_err(real.try_fixed_bytes_mut(0).map(|_| ()), mismatch(field))
            }
        },
        ColOp::SetAvoidReusing(a) => {
            real.set_avoid_reusing(*a);
            m.avoid = *a;
            Ok(())
        }
        ColOp::Reset => {
            real.reset();
            m.rows.clear();
            Ok(())
        }
        ColOp::ResetAs(f) => {
            real.reset_as(f.ty());
            m.field = f.ty();
            m.rows.clear();
            live.m.pristine = false;
            Ok(())
        }
        ColOp::Build { op, panicking } => crate::build::build_op(real, m, op, *panicking),
        ColOp::Spare { seed } => {
            write_spare(real, *seed);
            Ok(())
        }
    };
    m.note_peak();
    outcome.expect("column op outcome");
}

/// [`ColOp::Spare`]: fills every byte `spare_capacity_mut` offers with
/// bytes generated from `seed`. The model does not change: the column
/// must read as before (checked after every step), and later writes must
/// not show what was written here.
pub fn write_spare(col: &mut chunkpool::Column, seed: u8) {
    let mut x = u64::from(seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let spare = col.spare_capacity_mut();
    for w in spare.data.iter_mut() {
        w.write(next());
    }
    for o in spare.offsets.iter_mut() {
        o.write(next() as i64);
    }
    for b in spare.null_bitmap.iter_mut() {
        // Never 0: a set bit where the column expects a clear one shows.
        b.write(next() as u8 | 0x81);
    }
}

/// Checks that an operation the model rejects failed with that error and
/// changed nothing (the column is verified afterwards).
pub fn check_err(got: Result<(), Error>, want: Error) -> Result<(), Error> {
    match got {
        Err(e) if same_error_kind(&e, &want) => Ok(()),
        other => panic!("expected {want:?}, got {other:?}"),
    }
}

/// The outcome of a typed append through `a` of the element whose
/// native-endian bytes are `b`, and the bytes the model expects in the
/// column (`None`: the column's logical type must refuse it).
fn typed(
    real: &mut chunkpool::Column,
    field: FieldType,
    a: Access,
    b: &[u8],
) -> (Result<(), Error>, Option<Vec<u8>>) {
    (
        logical::append(real, a, b),
        logical::writes(field, a).then(|| b.to_vec()),
    )
}

/// Appends `v` to the real column and the model; a value the column's
/// logical type does not take must be rejected with `TypeMismatch` and
/// leave the column as it was.
pub fn append(real: &mut chunkpool::Column, m: &mut MCol, v: &Val, i: u64) -> Result<(), Error> {
    let field = m.field;
    let size = field.elem_size();
    let (got, bytes): (Result<(), Error>, Option<Vec<u8>>) = match v {
        Val::I64(x) => typed(real, field, Access::I64, &x.to_ne_bytes()),
        Val::U64(x) => typed(real, field, Access::U64, &x.to_ne_bytes()),
        Val::F64(x) => typed(real, field, Access::F64, &x.to_ne_bytes()),
        Val::I32(x) => typed(real, field, Access::I32, &x.to_ne_bytes()),
        Val::U32(x) => typed(real, field, Access::U32, &x.to_ne_bytes()),
        Val::F32(x) => typed(real, field, Access::F32, &x.to_ne_bytes()),
        Val::Bytes(b) => match size {
            None => (real.try_append_bytes(b), Some(b.clone())),
            Some(_) if field == FieldType::BOOL && b.len() == 1 && b[0] > 1 => {
                // A Bool column holds 0 and 1 only.
                let got = real.try_append_fixed_bytes(b);
                return check_err(got, Error::InvalidBool { value: b[0] });
            }
            Some(n) => (
                real.try_append_fixed_bytes(b),
                (b.len() == n).then(|| b.clone()),
            ),
        },
        Val::Str(s) => match size {
            None => {
                real.append_str(s);
                (Ok(()), Some(s.as_bytes().to_vec()))
            }
            Some(_) => (real.try_append_bytes(s.as_bytes()), None),
        },
        Val::Elem(seed) => {
            let seed = u64::from(*seed);
            match (size, logical::native(field)) {
                (None, _) => {
                    let b = pattern(seed, i, ((seed + i * 7) % 97) as usize);
                    (real.try_append_bytes(&b), Some(b))
                }
                (Some(_), _) if field == FieldType::BOOL => {
                    let v = pattern(seed, i, 1)[0] & 1 == 1;
                    (real.try_append_bool(v), Some(vec![u8::from(v)]))
                }
                (Some(n), Some(a)) => {
                    let b = pattern(seed, i, n);
                    (logical::append(real, a, &b), Some(b))
                }
                (Some(n), None) => {
                    let b = pattern(seed, i, n);
                    (real.try_append_fixed_bytes(&b), Some(b))
                }
            }
        }
        Val::Null => {
            real.append_null();
            m.rows.push(Row {
                null: true,
                bytes: vec![0; size.unwrap_or(0)],
            });
            return Ok(());
        }
    };
    match bytes {
        Some(bytes) => {
            got.expect("append of a matching value");
            m.rows.push(Row { null: false, bytes });
            Ok(())
        }
        None => check_err(got, mismatch(field)),
    }
}

/// `make_ref(src, dst)` on the chunk and the model.
pub fn make_ref(live: &mut Live, src: usize, dst: usize, sink: &mut dyn Sink) {
    live.chunk.make_ref(src, dst);
    live.m.pristine = false;
    if src == dst {
        return;
    }
    let shared = Arc::clone(&live.m.slots[src]);
    let old = std::mem::replace(&mut live.m.slots[dst], shared);
    release(old, live.m.home, sink);
}

/// `dst_live.make_ref_to(dst, &mut src_live, src)`.
pub fn make_ref_to(
    dst_live: &mut Live,
    dst: usize,
    src_live: &mut Live,
    src: usize,
    sink: &mut dyn Sink,
) {
    if dst_live.m.sel.is_some() || src_live.m.sel.is_some() {
        // TiDB's rule: refused, and nothing changes.
        let got = dst_live
            .chunk
            .try_make_ref_to(dst, &mut src_live.chunk, src);
        assert_eq!(
            got,
            Err(Error::HasSelection),
            "make_ref_to with a selection"
        );
        return;
    }
    dst_live.chunk.make_ref_to(dst, &mut src_live.chunk, src);
    dst_live.m.pristine = false;
    src_live.m.pristine = false;
    let shared = Arc::clone(&src_live.m.slots[src]);
    let old = std::mem::replace(&mut dst_live.m.slots[dst], shared);
    release(old, dst_live.m.home, sink);
}

/// `Chunk::reset`: every column is cleared and the selection dropped;
/// slots that share one column (`make_ref`) still share one: the same,
/// cleared, if the chunk holds every reference to it, else a new empty one
/// of the same type (another chunk still reads the old one).
pub fn reset_chunk(live: &mut Live) {
    live.chunk.reset();
    live.m.sel = None;
    live.m.virtual_rows = 0;
    let slots = &mut live.m.slots;
    for i in 0..slots.len() {
        if Arc::strong_count(&slots[i]) == 1 {
            Arc::get_mut(&mut slots[i]).expect("unique").rows.clear();
            continue;
        }
        if (0..i).any(|k| Arc::ptr_eq(&slots[k], &slots[i])) {
            continue; // Its group was reset with its first slot.
        }
        let group: Vec<usize> = (i..slots.len())
            .filter(|&k| Arc::ptr_eq(&slots[k], &slots[i]))
            .collect();
        let field = slots[i].field;
        let inside = Arc::strong_count(&slots[i]) == group.len();
        let old = Arc::clone(&slots[i]);
        let placeholder = Arc::new(MCol::new(field));
        for &k in &group {
            slots[k] = Arc::clone(&placeholder);
        }
        let col = if inside {
            let mut col = Arc::try_unwrap(old).expect("only this chunk held it");
            col.rows.clear();
            col
        } else {
            live.m.pristine = false;
            MCol::new(field)
        };
        drop(placeholder);
        let shared = Arc::new(col);
        for &k in &group {
            slots[k] = Arc::clone(&shared);
        }
    }
}
