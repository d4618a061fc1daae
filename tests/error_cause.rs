//! Errors keep their cause: an `Error::Arrow` raised because arrow-rs
//! refused data carries arrow's own message, shows it in `Display` and
//! returns it from `source()`; errors with no underlying one have no
//! source. `Error` stays free of destructors with or without the `arrow`
//! feature, so a `const` may match on a `Result<_, Error>`.

use chunkpool::{Error, FieldType};
use std::error::Error as _;

/// Compiles only while `Result<FieldType, Error>` has no destructor.
const UUID: FieldType = match FieldType::fixed(16) {
    Ok(f) => f,
    Err(_) => panic!("16 is a valid size"),
};

#[test]
fn errors_without_a_cause_have_no_source() {
    assert_eq!(UUID.elem_size(), Some(16));
    for e in [
        Error::ZeroCapacity,
        Error::InvalidBool { value: 2 },
        Error::InvalidDecimal {
            precision: 0,
            scale: 0,
        },
        Error::RowOutOfRange { row: 1, len: 0 },
    ] {
        assert!(e.source().is_none(), "{e}");
    }
    assert!(!std::mem::needs_drop::<Error>());
}

#[cfg(feature = "arrow")]
mod arrow {
    use chunkpool::{ArrowCause, Chunk, Column, Error, FieldType};
    use std::error::Error as _;

    /// A `Utf8` column holding a row that is not UTF-8, which arrow-rs's
    /// string array refuses.
    fn bad_utf8() -> Column {
        let mut c = Column::new(FieldType::UTF8, 2);
        c.append_str("ok");
        c.append_bytes(&[0xff, 0xfe]);
        c
    }

    fn cause_of(e: &Error) -> ArrowCause {
        match e {
            Error::Arrow {
                cause: Some(cause), ..
            } => *cause,
            other => panic!("no cause: {other:?}"),
        }
    }

    #[test]
    fn arrow_refusals_keep_arrows_message() {
        let err = bad_utf8().into_array().unwrap_err();
        let cause = cause_of(&err);
        assert!(cause.message().contains("UTF-8"), "{cause}");
        assert!(cause.message().len() <= ArrowCause::CAPACITY);
        let shown = err.to_string();
        assert!(
            shown.starts_with("arrow: a row of a Utf8 column is not valid UTF-8: "),
            "{shown}"
        );
        assert!(shown.ends_with(cause.message()), "{shown}");
        let source = err.source().expect("arrow's message as the source");
        assert_eq!(source.to_string(), cause.message());
        assert!(source.source().is_none());
        // Clone and equality see the cause.
        assert_eq!(err.clone(), err);
        // In a chunk the column is named, and the cause kept.
        let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 2, 2);
        chk.column_mut(0).extend_from_slice(&[1i64, 2]);
        *chk.column_mut(1) = bad_utf8();
        let err = chk.into_record_batch().unwrap_err();
        assert!(matches!(
            err,
            Error::Arrow {
                column: Some(1),
                cause: Some(_),
                ..
            }
        ));
        assert!(err.to_string().starts_with("arrow: column 1: "), "{err}");
        assert_eq!(cause_of(&err), cause);
    }

    #[test]
    fn our_own_refusals_have_no_cause() {
        let mut chk = Chunk::new(&[FieldType::I64], 2, 2);
        chk.column_mut(0).append_i64(1);
        chk.set_sel(Some(vec![0]));
        let err = chk.into_record_batch().unwrap_err();
        assert!(matches!(err, Error::Arrow { cause: None, .. }), "{err:?}");
        assert!(err.source().is_none());
    }
}
