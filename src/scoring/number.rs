//! Exact numbers. JSON numbers are kept as their text ([`Number`]) and parsed exactly into
//! hundredths; all arithmetic is on integers, and the only rounding is half-up at the
//! points SPEC.md names ([`div_round_half_up`]). No binary floating point anywhere.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A JSON value as written in the input, parsed on demand so that a bad one can be refused
/// with a message that names its entrant, voter or rater.
///
/// Read from text only (`serde_json::from_str` / `from_slice`, as `sqlx::types::Json` does):
/// the value's text is borrowed from the input while it is read and kept in place, since a
/// province's file holds hundreds of thousands of them (a `serde_json::Value` is turned into
/// text first).
#[derive(Clone, Debug)]
pub struct Number(Text);

/// Short text kept in place (every number and month written in practice), longer text on
/// the heap.
#[derive(Clone)]
pub enum Text {
    Inline { len: u8, bytes: [u8; 22] },
    Heap(Box<str>),
}

impl Text {
    pub fn new(s: &str) -> Text {
        if s.len() <= 22 {
            let mut bytes = [0u8; 22];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Text::Inline {
                len: s.len() as u8,
                bytes,
            }
        } else {
            Text::Heap(s.into())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Always whole UTF-8: copied from a `&str` of at most 22 bytes.
            Text::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Text::Heap(s) => s,
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::new(&s)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::new(s)
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A JSON string read without an allocation of its own when it is short.
impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text::new(s))
            }
        }
        d.deserialize_str(V)
    }
}

impl Number {
    /// A number of hundredths, written with exactly two decimals (e.g. `95.25`).
    pub fn from_hundredths(h: i64) -> Number {
        Number(Text::new(&Fixed2(h).to_string()))
    }

    /// A whole number.
    pub fn from_integer(n: i64) -> Number {
        Number(Text::new(&n.to_string()))
    }

    /// The text as written.
    pub fn raw(&self) -> &str {
        self.0.as_str()
    }

    /// The value in hundredths, or why it is not one.
    pub fn hundredths(&self) -> Result<i64, NumberError> {
        parse_hundredths(self.raw())
    }

    /// The value as a whole number, or why it is not one.
    pub fn whole(&self) -> Result<i64, NumberError> {
        let h = self.hundredths().map_err(|e| match e {
            NumberError::TooManyDecimals => NumberError::NotWhole,
            other => other,
        })?;
        if h % 100 != 0 {
            return Err(NumberError::NotWhole);
        }
        Ok(h / 100)
    }
}

/// As written.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw())
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        self.raw() == other.raw()
    }
}

/// Written back exactly as it was read (a value that is not a number stays what it was, so
/// that it is refused again by whoever reads it).
impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match serde_json::from_str::<&RawValue>(self.raw()) {
            Ok(raw) => raw.serialize(s),
            Err(_) => s.serialize_str(self.raw()),
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Number, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?;
        Ok(Number(Text::new(raw.get())))
    }
}

/// Why a JSON value is not an acceptable number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberError {
    NotANumber,
    TooManyDecimals,
    NotWhole,
    OutOfRange,
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NumberError::NotANumber => "is not a number",
            NumberError::TooManyDecimals => "has more than two decimals",
            NumberError::NotWhole => "is not a whole number",
            NumberError::OutOfRange => "is out of range",
        })
    }
}

/// Largest magnitude accepted, in hundredths (far beyond any score, count or day total).
const LIMIT: i128 = 1_000_000_000_000_000;

/// Parses the text of a JSON number exactly into hundredths.
pub fn parse_hundredths(text: &str) -> Result<i64, NumberError> {
    if let Some(v) = plain_hundredths(text.as_bytes()) {
        return Ok(v);
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    let negative = bytes.first() == Some(&b'-');
    if negative {
        i += 1;
    }
    let int_start = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = &text[int_start..i];
    if int_digits.is_empty() || (int_digits.len() > 1 && int_digits.starts_with('0')) {
        return Err(NumberError::NotANumber);
    }
    let mut frac_digits = "";
    if i < bytes.len() && bytes[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = &text[start..i];
        if frac_digits.is_empty() {
            return Err(NumberError::NotANumber);
        }
    }
    let mut exponent: i64 = 0;
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        let exp_negative = match bytes.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &text[start..i];
        if digits.is_empty() {
            return Err(NumberError::NotANumber);
        }
        // Anything beyond six digits of exponent is far out of range (or a long way of
        // writing zero, which is handled below).
        let magnitude: i64 = if digits.trim_start_matches('0').len() > 6 {
            10_000_000
        } else {
            digits.parse().map_err(|_| NumberError::NotANumber)?
        };
        exponent = if exp_negative { -magnitude } else { magnitude };
    }
    if i != bytes.len() {
        return Err(NumberError::NotANumber);
    }
    // All the significant digits, with the decimal point after `point` of them.
    let digits = || int_digits.bytes().chain(frac_digits.bytes());
    let len = (int_digits.len() + frac_digits.len()) as i64;
    let point = int_digits.len() as i64 + exponent;
    if digits().all(|b| b == b'0') {
        return Ok(0);
    }
    // In hundredths the point moves two places right: the digits before `cut` are the
    // whole hundredths, the ones after it must all be zero.
    let cut = (point + 2).clamp(0, len) as usize;
    if digits().skip(cut).any(|b| b != b'0') {
        return Err(NumberError::TooManyDecimals);
    }
    let zeros = (point + 2 - len).max(0);
    if zeros > 40 {
        return Err(NumberError::OutOfRange);
    }
    let mut value: i128 = 0;
    for b in digits()
        .take(cut)
        .chain(std::iter::repeat_n(b'0', zeros as usize))
    {
        value = value * 10 + i128::from(b - b'0');
        if value > LIMIT {
            return Err(NumberError::OutOfRange);
        }
    }
    let value = if negative { -value } else { value };
    Ok(value as i64)
}

/// The common case, quickly: `95`, `95.5`, `95.25` (no sign, no exponent, at most two
/// decimals, at most twelve integer digits). `None` sends anything else the long way.
fn plain_hundredths(b: &[u8]) -> Option<i64> {
    let dot = b.iter().position(|&c| c == b'.').unwrap_or(b.len());
    let (int, frac) = (&b[..dot], b.get(dot + 1..).unwrap_or(&[]));
    let leading_zero = int.len() > 1 && int[0] == b'0';
    if int.is_empty()
        || int.len() > 12
        || leading_zero
        || frac.len() > 2
        || (dot < b.len() && frac.is_empty())
    {
        return None;
    }
    let mut v: i64 = 0;
    for &c in int {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    for i in 0..2 {
        let c = frac.get(i).copied().unwrap_or(b'0');
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// `num / den` rounded half up (四舍五入), for `num ≥ 0` and `den > 0`.
pub fn div_round_half_up(num: i128, den: i128) -> i128 {
    debug_assert!(num >= 0 && den > 0);
    (2 * num + den) / (2 * den)
}

/// A value in hundredths, shown with exactly two decimals (`95.25`, `0.00`, `100.00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fixed2(pub i64);

impl fmt::Display for Fixed2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", v / 100, v % 100)
    }
}

impl Serialize for Fixed2 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fixed2 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Fixed2, D::Error> {
        let s = String::deserialize(d)?;
        let raw = s.trim_start_matches('-');
        let ok = raw.len() >= 4 && raw.as_bytes()[raw.len() - 3] == b'.';
        match (ok, parse_hundredths(&s)) {
            (true, Ok(h)) => Ok(Fixed2(h)),
            _ => Err(serde::de::Error::custom(format!(
                "{s:?} is not a number with two decimals"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_parse_exactly_into_hundredths() {
        assert_eq!(parse_hundredths("95.5"), Ok(9550));
        assert_eq!(parse_hundredths("96"), Ok(9600));
        assert_eq!(parse_hundredths("94.25"), Ok(9425));
        assert_eq!(parse_hundredths("100.00"), Ok(10000));
        assert_eq!(parse_hundredths("0"), Ok(0));
        assert_eq!(parse_hundredths("-1"), Ok(-100));
        assert_eq!(parse_hundredths("9.525e1"), Ok(9525));
        assert_eq!(parse_hundredths("9525e-2"), Ok(9525));
        assert_eq!(parse_hundredths("0.0000e999999999999"), Ok(0));
    }

    #[test]
    fn three_decimals_are_refused_however_written() {
        assert_eq!(
            parse_hundredths("95.125"),
            Err(NumberError::TooManyDecimals)
        );
        assert_eq!(
            parse_hundredths("95125e-3"),
            Err(NumberError::TooManyDecimals)
        );
        assert_eq!(
            parse_hundredths("100.001"),
            Err(NumberError::TooManyDecimals)
        );
        assert_eq!(
            parse_hundredths("95.120"),
            Ok(9512),
            "trailing zeros are not decimals"
        );
    }

    #[test]
    fn what_is_not_a_json_number_is_refused() {
        for text in [
            "\"95\"", "true", "null", "[1]", "NaN", "1.", ".5", "01", "+1", "1e", "1e+", "--1",
            "1 ",
        ] {
            assert_eq!(
                parse_hundredths(text),
                Err(NumberError::NotANumber),
                "{text}"
            );
        }
    }

    #[test]
    fn huge_numbers_are_out_of_range_not_a_panic() {
        assert_eq!(parse_hundredths("1e309"), Err(NumberError::OutOfRange));
        assert_eq!(
            parse_hundredths("1e99999999999999999999"),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(
            parse_hundredths("123456789012345678901234567890"),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(
            parse_hundredths("1e-99999999999999999999"),
            Err(NumberError::TooManyDecimals)
        );
    }

    #[test]
    fn rounding_is_half_up() {
        assert_eq!(div_round_half_up(5, 2), 3); // 2.5 -> 3
        assert_eq!(div_round_half_up(91_169, 10), 9117); // 9116.9 -> 9117
        assert_eq!(div_round_half_up(28850, 3), 9617); // 96.1666.. -> 96.17
        assert_eq!(div_round_half_up(1, 3), 0);
    }

    #[test]
    fn fixed2_shows_exactly_two_decimals() {
        assert_eq!(Fixed2(9617).to_string(), "96.17");
        assert_eq!(Fixed2(0).to_string(), "0.00");
        assert_eq!(Fixed2(10000).to_string(), "100.00");
        assert_eq!(Fixed2(5).to_string(), "0.05");
    }
}
