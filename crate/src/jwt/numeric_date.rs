//! RFC 7519 §2 NumericDate: seconds since the epoch, possibly fractional, read from the
//! number's decimal text without floating point.
//!
//! Claims are compared with `now`, a whole number of seconds, so a date only needs its
//! floor and whether a fraction follows: `now >= exp` holds exactly when
//! `now >= ceil(exp)`. Reading the text exactly avoids both rounding surprises and the
//! float parsing and formatting code (kilobytes of tables in the wasm builds).

/// A NumericDate as `floor` and whether a non-zero fraction follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumericDate {
    floor: i64,
    fractional: bool,
}

/// Exponents beyond this only matter for zero mantissas (`0e999999`); anything else with
/// such an exponent is out of range either way.
const MAX_EXPONENT: i64 = 1_000;

impl NumericDate {
    /// From a JSON number's text (RFC 8259 §6 grammar, already validated by the reader).
    /// `None` when the value does not fit `i64` seconds (years beyond 292 billion).
    pub fn from_json_number(text: &str) -> Option<NumericDate> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => (mantissa, parse_exponent(exponent)?),
            None => (unsigned, 0),
        };
        let (int_digits, frac_digits) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int_digits.is_empty() {
            return None;
        }
        // The decimal point sits after `point` digits of `int_digits ‖ frac_digits`.
        let point = int_digits.len() as i64 + exponent;
        let digits = || int_digits.bytes().chain(frac_digits.bytes());

        let mut whole: u64 = 0;
        let mut fractional = false;
        for (i, d) in digits().enumerate() {
            let d = decimal_digit(d)?;
            if (i as i64) < point {
                whole = whole.checked_mul(10)?.checked_add(u64::from(d))?;
            } else if d != 0 {
                fractional = true;
            }
        }
        // Zeros the exponent appends after the last digit (`17e8`).
        let written = int_digits.len() + frac_digits.len();
        for _ in written as i64..point.max(written as i64) {
            if whole == 0 {
                break;
            }
            whole = whole.checked_mul(10)?;
        }
        let whole = i64::try_from(whole).ok()?;
        let floor = match (negative, fractional) {
            (false, _) => whole,
            (true, false) => -whole,
            (true, true) => -whole - 1,
        };
        Some(NumericDate { floor, fractional })
    }

    /// The largest whole second not after the date.
    pub fn floor(self) -> i64 {
        self.floor
    }

    /// The smallest whole second not before the date.
    pub fn ceil(self) -> i64 {
        self.floor.saturating_add(i64::from(self.fractional))
    }
}

/// `[+-]digits`, clamped to ±[`MAX_EXPONENT`] (further only changes how far out of range).
fn parse_exponent(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, text.get(1..)?),
        b'+' => (false, text.get(1..)?),
        _ => (false, text),
    };
    let mut value: i64 = 0;
    for d in digits.bytes() {
        value = (value * 10 + i64::from(decimal_digit(d)?)).min(MAX_EXPONENT);
    }
    Some(if negative { -value } else { value })
}

/// The callers pass validated JSON numbers; anything else is refused, never a panic.
fn decimal_digit(b: u8) -> Option<u8> {
    b.is_ascii_digit().then(|| b - b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Option<(i64, i64)> {
        NumericDate::from_json_number(text).map(|d| (d.floor(), d.ceil()))
    }

    #[test]
    fn integers() {
        assert_eq!(date("0"), Some((0, 0)));
        assert_eq!(date("-0"), Some((0, 0)));
        assert_eq!(date("1700000000"), Some((1_700_000_000, 1_700_000_000)));
        assert_eq!(date("-5"), Some((-5, -5)));
        assert_eq!(date("9223372036854775807"), Some((i64::MAX, i64::MAX)));
    }

    #[test]
    fn fractions() {
        assert_eq!(date("1000.5"), Some((1000, 1001)));
        assert_eq!(date("1000.000"), Some((1000, 1000)));
        assert_eq!(date("0.0001"), Some((0, 1)));
        assert_eq!(date("-1.5"), Some((-2, -1)));
        assert_eq!(date("-0.5"), Some((-1, 0)));
    }

    #[test]
    fn exponents() {
        assert_eq!(date("1.7e9"), Some((1_700_000_000, 1_700_000_000)));
        assert_eq!(date("17E+8"), Some((1_700_000_000, 1_700_000_000)));
        assert_eq!(date("1700000000.5e0"), Some((1_700_000_000, 1_700_000_001)));
        assert_eq!(date("17000000005e-1"), Some((1_700_000_000, 1_700_000_001)));
        assert_eq!(date("1e-99999"), Some((0, 1)));
        assert_eq!(date("0e99999"), Some((0, 0)));
        assert_eq!(date("0.000e400"), Some((0, 0)));
        assert_eq!(date("-25e-1"), Some((-3, -2)));
    }

    #[test]
    fn out_of_range_is_none() {
        for text in [
            "9223372036854775808",
            "1e19",
            "1e400",
            "-1e400",
            "1.5e308",
            "",
            "x",
            "1e",
            "1.2.3",
        ] {
            assert_eq!(date(text), None, "{text}");
        }
    }
}
