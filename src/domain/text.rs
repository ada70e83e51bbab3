//! Text that people type: trimmed, length-checked in characters, free of control characters
//! (PostgreSQL rejects U+0000, and the others only ever arrive by accident or attack).

/// Why a typed value was not accepted, worded for the person who typed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextError {
    Empty,
    TooLong(usize),
    ControlCharacter,
    Invalid(&'static str),
    /// Over a limit in 字 (SPEC.md §3a).
    Zishu {
        limit: usize,
        count: usize,
    },
}

impl TextError {
    pub fn message(&self) -> String {
        match self {
            TextError::Empty => "此项不能为空".to_string(),
            TextError::TooLong(max) => format!("最多 {max} 个字"),
            TextError::ControlCharacter => "含有无法识别的字符，请重新输入".to_string(),
            TextError::Invalid(msg) => (*msg).to_string(),
            TextError::Zishu { limit, count } => {
                format!("最多 {limit} 字，现有 {count} 字（按字数统计规则计算），请删减后再保存")
            }
        }
    }
}

/// Trims `raw` and checks it holds 1 to `max` characters and no control characters.
pub fn required(raw: &str, max: usize) -> Result<String, TextError> {
    let value = optional(raw, max)?;
    if value.is_empty() {
        return Err(TextError::Empty);
    }
    Ok(value)
}

/// Text typed into a multi-line box (a description, a reason): line breaks, which a
/// browser sends as CR LF, become spaces; other control characters are refused as in
/// [`required`].
pub fn paragraph(raw: &str, max: usize) -> Result<String, TextError> {
    required(&raw.replace("\r\n", " ").replace(['\r', '\n'], " "), max)
}

/// Like [`required`] but allows an empty value.
pub fn optional(raw: &str, max: usize) -> Result<String, TextError> {
    if raw.chars().any(|c| c.is_control()) {
        return Err(TextError::ControlCharacter);
    }
    let value = raw.trim();
    if value.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    Ok(value.to_string())
}

/// The longest run of letters, digits and signs an account may hold between spaces and
/// Chinese characters: a web address fits; ten thousand letters in a row are no account.
pub const LONGEST_WORD: usize = 200;

/// An account typed into a large box (事迹): line breaks kept (CR LF becomes LF), other
/// control characters (a tab pasted from a document among them) refused, at most `limit`
/// 字 counted as SPEC.md §3a counts them, at most `max_chars` characters in all, and no
/// word longer than [`LONGEST_WORD`]. Empty is allowed: a draft may lack it.
pub fn account(raw: &str, limit: usize, max_chars: usize) -> Result<String, TextError> {
    let text = raw.replace("\r\n", "\n").replace('\r', "\n");
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(TextError::ControlCharacter);
    }
    let text = text.trim().to_string();
    let n = super::zishu::count(&text);
    if n > limit {
        return Err(TextError::Zishu { limit, count: n });
    }
    if text.chars().count() > max_chars {
        return Err(TextError::Invalid(
            "太长了：字母、数字和符号也计入总长度，请删减后再保存",
        ));
    }
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_whitespace() || super::zishu::is_wide(c) {
            0
        } else {
            run + 1
        };
        if run > LONGEST_WORD {
            return Err(TextError::Invalid(
                "有一段连续的字母、数字或符号过长（超过 200 个），请检查是否粘贴有误",
            ));
        }
    }
    Ok(text)
}

/// A sign-in name: 3 to 32 of a-z, 0-9, `_`, `.`, `-` (upper case is folded).
pub fn username(raw: &str) -> Result<String, TextError> {
    let value = required(raw, 32)?.to_lowercase();
    if value.chars().count() < 3
        || !value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c))
    {
        return Err(TextError::Invalid(
            "用户名应为 3 到 32 位小写字母、数字或 _ . -",
        ));
    }
    Ok(value)
}

/// A password: 8 to 128 characters, any characters but control characters; not trimmed.
pub fn password(raw: &str) -> Result<String, TextError> {
    if raw.chars().any(|c| c.is_control()) {
        return Err(TextError::ControlCharacter);
    }
    let n = raw.chars().count();
    if n < 8 {
        return Err(TextError::Invalid("密码至少 8 位"));
    }
    if n > 128 {
        return Err(TextError::Invalid("密码最多 128 位"));
    }
    Ok(raw.to_string())
}

/// The common passwords refused whatever their kinds of characters, shipped in the binary.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// A password as 等保 2.0 (GB/T 22239) expects an account's: 8 to 128 characters of at least
/// three kinds (lower-case letters, capital letters, digits, symbols), not containing the
/// username, and not a common password.
pub fn strong_password(raw: &str, username: &str) -> Result<String, TextError> {
    let p = password(raw)?;
    let kinds = [
        p.chars().any(|c| c.is_ascii_lowercase()),
        p.chars().any(|c| c.is_ascii_uppercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .into_iter()
    .filter(|k| *k)
    .count();
    if kinds < 3 {
        return Err(TextError::Invalid(
            "密码须包含大写字母、小写字母、数字、符号中的至少三类",
        ));
    }
    let lower = p.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err(TextError::Invalid("密码不能包含用户名"));
    }
    if COMMON_PASSWORDS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .any(|l| l == lower)
    {
        return Err(TextError::Invalid("这是常见密码，容易被猜中，请换一个"));
    }
    Ok(p)
}

/// A whole number in `min..=max`, as typed (half-width digits only, optional sign).
pub fn integer(raw: &str, min: i64, max: i64) -> Result<i64, TextError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(TextError::Empty);
    }
    let n: i64 = value
        .parse()
        .map_err(|_| TextError::Invalid("请输入整数（半角数字）"))?;
    if n < min || n > max {
        return Err(TextError::Invalid("数值超出允许范围"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_line_box_keeps_its_lines_as_spaces_and_refuses_other_controls() {
        assert_eq!(
            paragraph("第一行\r\n第二行\n第三行\r", 100).as_deref(),
            Ok("第一行 第二行 第三行")
        );
        assert_eq!(paragraph("\r\n\n", 100), Err(TextError::Empty));
        assert_eq!(paragraph("a\tb", 100), Err(TextError::ControlCharacter));
        assert_eq!(paragraph("a\u{0}b", 100), Err(TextError::ControlCharacter));
    }

    #[test]
    fn required_text_is_trimmed_and_counted_in_characters() {
        assert_eq!(required("  不动产登记 ", 5).unwrap(), "不动产登记");
        assert_eq!(required("不动产登记中心", 5), Err(TextError::TooLong(5)));
        assert_eq!(required("   ", 5), Err(TextError::Empty));
    }

    #[test]
    fn nul_and_other_control_characters_are_refused() {
        assert_eq!(required("a\0b", 10), Err(TextError::ControlCharacter));
        assert_eq!(optional("a\u{7}", 10), Err(TextError::ControlCharacter));
    }

    #[test]
    fn usernames_fold_case_and_refuse_other_characters() {
        assert_eq!(username("Admin").unwrap(), "admin");
        assert!(username("王五").is_err());
        assert!(username("ab").is_err());
    }

    #[test]
    fn integers_refuse_full_width_digits_and_out_of_range_values() {
        assert!(integer("１００", 0, 1000).is_err());
        assert!(integer("1001", 0, 1000).is_err());
        assert_eq!(integer(" 12 ", 0, 1000).unwrap(), 12);
    }
}

/// A score typed into a form: 0 to 100 with at most two decimals, half-width digits, in
/// hundredths. Empty means no score.
pub fn score(raw: &str) -> Result<Option<i32>, &'static str> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value
        .chars()
        .any(|c| ('０'..='９').contains(&c) || c == '．')
    {
        return Err("请使用半角数字，如 95.5");
    }
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (value.contains('.') && !digits(frac)) {
        return Err("分数应为数字，如 95 或 95.5");
    }
    if frac.len() > 2 {
        return Err("分数最多两位小数");
    }
    if int.len() > 3 {
        return Err("分数应在 0 到 100 之间");
    }
    let whole: i32 = int.parse().map_err(|_| "分数应为数字，如 95 或 95.5")?;
    let cents: i32 = format!("{frac:0<2}").parse().unwrap_or(0);
    let h = whole * 100 + cents;
    if h > 10_000 {
        return Err("分数应在 0 到 100 之间");
    }
    Ok(Some(h))
}

#[cfg(test)]
mod score_tests {
    use super::score;

    #[test]
    fn scores_are_read_exactly_with_at_most_two_decimals() {
        assert_eq!(score("95.5"), Ok(Some(9550)));
        assert_eq!(score(" 100 "), Ok(Some(10000)));
        assert_eq!(score("0.05"), Ok(Some(5)));
        assert_eq!(score(""), Ok(None));
        for bad in [
            "100.001",
            "101",
            "-1",
            "NaN",
            "1e2",
            "９５",
            "95.",
            ".5",
            "95,5",
            "１００",
        ] {
            assert!(score(bad).is_err(), "{bad}");
        }
    }
}

/// Days on duty typed into a form: a whole number from 0 to 366. Empty means not entered.
pub fn days(raw: &str) -> Result<Option<i32>, &'static str> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) || value.len() > 3 {
        return Err("在岗天数应为 0 到 366 之间的整数（半角数字）");
    }
    let d: i32 = value
        .parse()
        .map_err(|_| "在岗天数应为 0 到 366 之间的整数（半角数字）")?;
    if d > 366 {
        return Err("在岗天数应为 0 到 366 之间的整数（半角数字）");
    }
    Ok(Some(d))
}

#[cfg(test)]
mod password_policy {
    use super::strong_password;

    #[test]
    fn three_kinds_not_the_username_and_not_common() {
        assert!(strong_password("Xinmima-2026", "head01").is_ok());
        assert!(strong_password("Qz7!mW2#kR", "head01").is_ok());
        for weak in ["abcdefgh", "abcd1234", "ABCD1234", "abcdABCD"] {
            assert!(strong_password(weak, "head01").is_err(), "{weak}");
        }
        assert!(strong_password("Head01-2026!", "head01").is_err());
        for common in [
            "Admin@123",
            "P@ssw0rd",
            "Aa123456",
            "Woaini@1314",
            "1qaz@WSX",
        ] {
            assert!(strong_password(common, "head01").is_err(), "{common}");
        }
        assert!(strong_password("Ab1!", "x").is_err(), "too short");
        assert!(crate::password::random_password().len() == 12);
        assert!(strong_password(&crate::password::random_password(), "").is_ok());
    }
}
