//! The model's own table of which Rust type reads and writes which logical
//! type (the crate's `FixedElem` docs state it; this restates it, so a
//! change on either side fails the checks), and typed access by that table.

use chunkpool::{Column, Error, FieldType, LogicalType};

/// A typed accessor family of `Column`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
}

pub const ALL: [Access; 10] = [
    Access::I8,
    Access::I16,
    Access::I32,
    Access::I64,
    Access::U8,
    Access::U16,
    Access::U32,
    Access::U64,
    Access::F32,
    Access::F64,
];

/// Whether `a` reads and writes columns of `field`.
pub fn accepts(field: FieldType, a: Access) -> bool {
    use LogicalType as L;
    matches!(
        (field.logical(), a),
        (L::Int8, Access::I8)
            | (L::Int16, Access::I16)
            | (L::Int32, Access::I32)
            | (
                L::Int64 | L::Date | L::Datetime | L::Timestamp | L::Duration,
                Access::I64
            )
            | (L::UInt8 | L::Bool, Access::U8)
            | (L::UInt16, Access::U16)
            | (L::UInt32, Access::U32)
            | (L::UInt64, Access::U64)
            | (L::Float32, Access::F32)
            | (L::Float64, Access::F64)
    )
}

/// Whether `a` writes columns of `field`: every type it reads but `Bool`,
/// which `u8` reads and does not write (a `Bool` column holds 0 and 1
/// only, and is written as `bool`).
pub fn writes(field: FieldType, a: Access) -> bool {
    accepts(field, a) && field.logical() != LogicalType::Bool
}

/// The access a field's values are generated through: the first of [`ALL`]
/// it accepts (none for raw bytes, decimals and strings).
pub fn native(field: FieldType) -> Option<Access> {
    ALL.into_iter().find(|&a| accepts(field, a))
}

/// Appends the element whose native-endian bytes are `b` through `a`.
pub fn append(col: &mut Column, a: Access, b: &[u8]) -> Result<(), Error> {
    macro_rules! go {
        ($t:ty, $m:ident) => {
            col.$m(<$t>::from_ne_bytes(b.try_into().expect("element size")))
        };
    }
    match a {
        Access::I8 => go!(i8, try_append_i8),
        Access::I16 => go!(i16, try_append_i16),
        Access::I32 => go!(i32, try_append_i32),
        Access::I64 => go!(i64, try_append_i64),
        Access::U8 => go!(u8, try_append_u8),
        Access::U16 => go!(u16, try_append_u16),
        Access::U32 => go!(u32, try_append_u32),
        Access::U64 => go!(u64, try_append_u64),
        Access::F32 => col.try_append_f32(f32::from_bits(u32::from_ne_bytes(
            b.try_into().expect("element size"),
        ))),
        Access::F64 => col.try_append_f64(f64::from_bits(u64::from_ne_bytes(
            b.try_into().expect("element size"),
        ))),
    }
}

/// Row `row` read through `a` (`get_*`), as native-endian bytes.
pub fn get(col: &Column, a: Access, row: usize) -> Result<Vec<u8>, Error> {
    Ok(match a {
        Access::I8 => col.try_get_i8(row)?.to_ne_bytes().to_vec(),
        Access::I16 => col.try_get_i16(row)?.to_ne_bytes().to_vec(),
        Access::I32 => col.try_get_i32(row)?.to_ne_bytes().to_vec(),
        Access::I64 => col.try_get_i64(row)?.to_ne_bytes().to_vec(),
        Access::U8 => col.try_get_u8(row)?.to_ne_bytes().to_vec(),
        Access::U16 => col.try_get_u16(row)?.to_ne_bytes().to_vec(),
        Access::U32 => col.try_get_u32(row)?.to_ne_bytes().to_vec(),
        Access::U64 => col.try_get_u64(row)?.to_ne_bytes().to_vec(),
        Access::F32 => col.try_get_f32(row)?.to_bits().to_ne_bytes().to_vec(),
        Access::F64 => col.try_get_f64(row)?.to_bits().to_ne_bytes().to_vec(),
    })
}

/// `$go!(T)` with `T` the Rust type of the access `$a`.
macro_rules! by_access {
    ($a:expr, $go:ident) => {
        match $a {
            Access::I8 => go!(i8),
            Access::I16 => go!(i16),
            Access::I32 => go!(i32),
            Access::I64 => go!(i64),
            Access::U8 => go!(u8),
            Access::U16 => go!(u16),
            Access::U32 => go!(u32),
            Access::U64 => go!(u64),
            Access::F32 => go!(f32),
            Access::F64 => go!(f64),
        }
    };
}

/// Every row read through `a`'s slice view (`as_slice`), as native-endian
/// bytes.
pub fn slice(col: &Column, a: Access) -> Result<Vec<u8>, Error> {
    macro_rules! go {
        ($t:ty) => {
            col.try_as_slice::<$t>()?
                .iter()
                .flat_map(|x| x.to_ne_bytes())
                .collect()
        };
    }
    Ok(by_access!(a, go))
}

/// Overwrites every element through `a`'s mutable slice view with the
/// bytes `gen(row)` gives.
pub fn write_slice(
    col: &mut Column,
    a: Access,
    mut gen: impl FnMut(usize) -> Vec<u8>,
) -> Result<(), Error> {
    macro_rules! go {
        ($t:ty) => {
            for (i, x) in col.try_as_mut_slice::<$t>()?.iter_mut().enumerate() {
                *x = <$t>::from_ne_bytes(gen(i)[..].try_into().expect("element size"));
            }
        };
    }
    by_access!(a, go);
    Ok(())
}

/// Decodes native-endian element bytes as `T`.
macro_rules! elem {
    ($t:ty, $b:expr) => {
        <$t>::from_ne_bytes($b[..].try_into().expect("element size"))
    };
}

/// The element size of `a`'s Rust type.
pub fn size(a: Access) -> usize {
    macro_rules! go {
        ($t:ty) => {
            std::mem::size_of::<$t>()
        };
    }
    by_access!(a, go)
}

/// `append_option` (or `try_append_option`) through `a` of the element
/// whose native-endian bytes are `v`, or a NULL.
pub fn append_option(
    col: &mut Column,
    a: Access,
    v: Option<&[u8]>,
    panicking: bool,
) -> Result<(), Error> {
    macro_rules! go {
        ($t:ty) => {{
            let v = v.map(|b| elem!($t, b));
            if panicking {
                col.append_option(v);
                Ok(())
            } else {
                col.try_append_option(v)
            }
        }};
    }
    by_access!(a, go)
}

/// `extend_from_slice` (or its `try_` form) through `a`.
pub fn extend_from_slice(
    col: &mut Column,
    a: Access,
    vals: &[Vec<u8>],
    panicking: bool,
) -> Result<(), Error> {
    macro_rules! go {
        ($t:ty) => {{
            let v: Vec<$t> = vals.iter().map(|b| elem!($t, b)).collect();
            if panicking {
                col.extend_from_slice(&v);
                Ok(())
            } else {
                col.try_extend_from_slice(&v)
            }
        }};
    }
    by_access!(a, go)
}

/// `extend_from_parts` (or its `try_` form) through `a`, with no validity
/// bitmap: every row valid.
pub fn extend_from_parts(
    col: &mut Column,
    a: Access,
    vals: &[Vec<u8>],
    panicking: bool,
) -> Result<(), Error> {
    macro_rules! go {
        ($t:ty) => {{
            let v: Vec<$t> = vals.iter().map(|b| elem!($t, b)).collect();
            if panicking {
                col.extend_from_parts(&v, None);
                Ok(())
            } else {
                col.try_extend_from_parts(&v, None)
            }
        }};
    }
    by_access!(a, go)
}

/// `extend_options` (or its `try_` form) through `a`; for an odd number
/// of values, the bulk form that means the same, `extend_from_parts` with
/// a validity bitmap, whose NULL slots hold a filler the column must not
/// keep (a NULL element reads zero either way).
pub fn extend_options(
    col: &mut Column,
    a: Access,
    vals: &[Option<Vec<u8>>],
    panicking: bool,
) -> Result<(), Error> {
    macro_rules! go {
        ($t:ty) => {{
            if vals.len() % 2 == 1 {
                let filler = vec![0xa5u8; std::mem::size_of::<$t>()];
                let v: Vec<$t> = vals
                    .iter()
                    .map(|o| elem!($t, o.as_ref().unwrap_or(&filler)))
                    .collect();
                let mut bits = vec![0u8; vals.len().div_ceil(8)];
                for (i, o) in vals.iter().enumerate() {
                    bits[i / 8] |= u8::from(o.is_some()) << (i % 8);
                }
                return if panicking {
                    col.extend_from_parts(&v, Some(&bits));
                    Ok(())
                } else {
                    col.try_extend_from_parts(&v, Some(&bits))
                };
            }
            let v = vals.iter().map(|o| o.as_ref().map(|b| elem!($t, b)));
            if panicking && vals.len() % 4 == 0 {
                // `Extend<Option<T>>`, which panics as `extend_options` does.
                col.extend(v);
                Ok(())
            } else if panicking {
                col.extend_options(v);
                Ok(())
            } else {
                col.try_extend_options(v)
            }
        }};
    }
    by_access!(a, go)
}

/// Row `row` read through `a` with `value` (`try_value`), as
/// native-endian bytes (`None`: NULL).
pub fn value(
    col: &Column,
    a: Access,
    row: usize,
    panicking: bool,
) -> Result<Option<Vec<u8>>, Error> {
    macro_rules! go {
        ($t:ty) => {{
            let v = if panicking {
                col.value::<$t>(row)
            } else {
                col.try_value::<$t>(row)?
            };
            Ok(v.map(|x| x.to_ne_bytes().to_vec()))
        }};
    }
    by_access!(a, go)
}

/// Every row read through `a`'s iterator (`iter` / `try_iter`), as
/// native-endian bytes; read backwards too, which must agree.
pub fn iter(col: &Column, a: Access, panicking: bool) -> Result<Vec<Option<Vec<u8>>>, Error> {
    macro_rules! go {
        ($t:ty) => {{
            let bytes = |x: Option<$t>| x.map(|x| x.to_ne_bytes().to_vec());
            let (fwd, len, mut back): (Vec<_>, usize, Vec<_>) = if panicking {
                let it = col.iter::<$t>();
                (
                    it.map(bytes).collect(),
                    col.iter::<$t>().len(),
                    col.iter::<$t>().rev().map(bytes).collect(),
                )
            } else {
                let it = col.try_iter::<$t>()?;
                (
                    it.map(bytes).collect(),
                    col.try_iter::<$t>()?.len(),
                    col.try_iter::<$t>()?.rev().map(bytes).collect(),
                )
            };
            back.reverse();
            assert_eq!(fwd, back, "{a:?} iter forwards and backwards");
            assert_eq!(len, fwd.len(), "{a:?} iter len");
            Ok(fwd)
        }};
    }
    by_access!(a, go)
}
