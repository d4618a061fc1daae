//! TiDB's 40-byte decimal (`MyDecimal`) to and from arrow's `Decimal128`.
//!
//! The 40 bytes, as TiDB lays the struct out: `digitsInt`, `digitsFrac`,
//! `resultFrac` (one signed byte each), `negative` (a byte, 0 or 1), then
//! nine little-endian `i32` words. The integer digits fill the first
//! `ceil(digitsInt / 9)` words (the first holds the leading `digitsInt % 9`
//! digits, or 9), base 10^9, most significant first; the fraction fills
//! the next `ceil(digitsFrac / 9)` words, nine digits each, the last one
//! padded with zeros on the right.

/// Digits a word holds.
const DIGITS: u32 = 9;
/// The base of a word.
const BASE: i128 = 1_000_000_000;
/// Most fraction digits a `MyDecimal` holds.
const MAX_FRAC: i8 = 30;

/// Why a value does not convert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The 40 bytes are not a `MyDecimal` (digit counts or words out of range).
    NotADecimal,
    /// The value has more digits than the precision allows.
    Overflow,
}

fn words_for(digits: i8) -> usize {
    (digits as u32).div_ceil(DIGITS) as usize
}

fn pow10(n: u32) -> i128 {
    10i128.pow(n)
}

/// The value of a `MyDecimal` as an integer at `scale` digits after the
/// point (rounded half away from zero), checked against `precision`.
pub(super) fn to_i128(bytes: &[u8], precision: u8, scale: i8) -> Result<i128, Refusal> {
    let (int_digits, frac_digits) = (bytes[0] as i8, bytes[1] as i8);
    let negative = bytes[3] != 0;
    if !(0..=81).contains(&int_digits) || !(0..=MAX_FRAC).contains(&frac_digits) {
        return Err(Refusal::NotADecimal);
    }
    let (wi, wf) = (words_for(int_digits), words_for(frac_digits));
    if wi + wf > 9 {
        return Err(Refusal::NotADecimal);
    }
    let word = |i: usize| {
        let w = i32::from_le_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().expect("4 bytes"));
        if (0..1_000_000_000).contains(&w) {
            Ok(i128::from(w))
        } else {
            Err(Refusal::NotADecimal)
        }
    };
    let limit = pow10(u32::from(precision));
    let mut v: i128 = 0;
    for i in 0..wi {
        v = v.checked_mul(BASE).ok_or(Refusal::Overflow)? + word(i)?;
        if v >= limit {
            return Err(Refusal::Overflow);
        }
    }
    // The fraction: `scale` digits kept, the next one rounds.
    let scale = scale.max(0) as u32;
    let (mut kept, mut round) = (0u32, false);
    'frac: for i in wi..wi + wf {
        let w = word(i)?;
        for d in (0..DIGITS).rev() {
            let digit = (w / pow10(d)) % 10;
            if kept == scale {
                round = digit >= 5;
                break 'frac;
            }
            v = v.checked_mul(10).ok_or(Refusal::Overflow)? + digit;
            kept += 1;
        }
    }
    v = v
        .checked_mul(pow10(scale - kept))
        .ok_or(Refusal::Overflow)?
        + i128::from(round);
    if v >= limit {
        return Err(Refusal::Overflow);
    }
    Ok(if negative { -v } else { v })
}

/// The `MyDecimal` of `value` at `scale` digits after the point.
pub(super) fn from_i128(value: i128, scale: i8) -> Result<[u8; 40], Refusal> {
    if !(0..=MAX_FRAC).contains(&scale) {
        return Err(Refusal::Overflow);
    }
    let abs = value.unsigned_abs();
    let unit = 10u128.pow(scale as u32);
    let (int_part, frac_part) = (abs / unit, abs % unit);
    let int_digits = if int_part == 0 {
        0
    } else {
        int_part.ilog10() + 1
    };
    let (wi, wf) = (int_digits.div_ceil(DIGITS) as usize, words_for(scale));
    let mut words = [0i32; 9];
    let mut rest = int_part;
    for i in (0..wi).rev() {
        words[i] = (rest % BASE as u128) as i32;
        rest /= BASE as u128;
    }
    // Pad the fraction on the right to whole words, then split it.
    let mut frac = frac_part * 10u128.pow(wf as u32 * DIGITS - scale as u32);
    for i in (wi..wi + wf).rev() {
        words[i] = (frac % BASE as u128) as i32;
        frac /= BASE as u128;
    }
    let mut out = [0u8; 40];
    out[0] = int_digits as u8;
    out[1] = scale as u8;
    out[2] = scale as u8;
    out[3] = u8::from(value < 0);
    for (i, w) in words.iter().enumerate() {
        out[4 + 4 * i..8 + 4 * i].copy_from_slice(&w.to_le_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `MyDecimal` written out by hand.
    fn my(int_digits: i8, frac_digits: i8, negative: bool, words: &[i32]) -> [u8; 40] {
        let mut b = [0u8; 40];
        b[0] = int_digits as u8;
        b[1] = frac_digits as u8;
        b[2] = frac_digits as u8;
        b[3] = u8::from(negative);
        for (i, w) in words.iter().enumerate() {
            b[4 + 4 * i..8 + 4 * i].copy_from_slice(&w.to_le_bytes());
        }
        b
    }

    #[test]
    fn hand_written_values_decode() {
        // 1234567890.5 = words [1, 234567890] . [500000000]
        let d = my(10, 1, false, &[1, 234_567_890, 500_000_000]);
        assert_eq!(to_i128(&d, 20, 1), Ok(12_345_678_905));
        assert_eq!(to_i128(&d, 20, 3), Ok(1_234_567_890_500));
        assert_eq!(
            to_i128(&d, 20, 0),
            Ok(1_234_567_891),
            "rounds half away from zero"
        );
        assert_eq!(to_i128(&d, 10, 1), Err(Refusal::Overflow));
        // -0.001 = [] . [1000000]
        let d = my(0, 3, true, &[1_000_000]);
        assert_eq!(to_i128(&d, 5, 3), Ok(-1));
        assert_eq!(to_i128(&d, 5, 2), Ok(0));
        // Zero, as TiDB's zero value.
        assert_eq!(to_i128(&[0; 40], 1, 0), Ok(0));
        // Not a decimal.
        assert_eq!(
            to_i128(&my(10, 40, false, &[]), 38, 0),
            Err(Refusal::NotADecimal)
        );
        assert_eq!(
            to_i128(&my(9, 0, false, &[-1]), 38, 0),
            Err(Refusal::NotADecimal)
        );
        assert_eq!(
            to_i128(&my(81, 30, false, &[]), 38, 0),
            Err(Refusal::NotADecimal)
        );
    }

    #[test]
    fn encode_decode_round_trip() {
        let values = [
            0i128,
            1,
            -1,
            5,
            999_999_999,
            1_000_000_000,
            -123_456_789_012_345_678,
            10i128.pow(37),
            -(10i128.pow(38) - 1),
        ];
        for v in values {
            for scale in [0i8, 1, 2, 9, 10, 18, 30] {
                let bytes = from_i128(v, scale).unwrap();
                assert_eq!(to_i128(&bytes, 38, scale), Ok(v), "{v} at scale {scale}");
            }
        }
        assert_eq!(
            from_i128(1, 31),
            Err(Refusal::Overflow),
            "MyDecimal holds 30 fraction digits"
        );
        // The words of 1234567890.5 as TiDB lays them out.
        assert_eq!(
            from_i128(12_345_678_905, 1).unwrap(),
            my(10, 1, false, &[1, 234_567_890, 500_000_000])
        );
    }
}
