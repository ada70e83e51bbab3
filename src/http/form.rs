//! Forms as people (and attackers) send them. `application/x-www-form-urlencoded` bodies are
//! decoded by hand so that every oddity — a wrong content type, invalid UTF-8, a NUL
//! character, a missing or repeated field — becomes a message beside the field instead of a
//! rejection page or a database error.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, header};

use super::error::AppError;
use crate::domain::text::{self, TextError};

/// The fields of a submitted form, in order; values are raw bytes until asked for.
#[derive(Debug, Default, Clone)]
pub struct FormData {
    fields: Vec<(String, Vec<u8>)>,
    /// Positions in `fields` by name, so that a large form is read in linear time.
    index: HashMap<String, Vec<usize>>,
}

impl FormData {
    /// Parses a urlencoded body; any other content type gives an empty form.
    pub fn parse(content_type: Option<&HeaderValue>, body: &[u8]) -> FormData {
        let is_form = content_type
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return FormData::default();
        }
        let fields: Vec<(String, Vec<u8>)> = body
            .split(|&b| b == b'&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (k, v) = match pair.iter().position(|&b| b == b'=') {
                    Some(i) => (&pair[..i], &pair[i + 1..]),
                    None => (pair, &b""[..]),
                };
                (String::from_utf8_lossy(&decode(k)).into_owned(), decode(v))
            })
            .collect();
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (k, _)) in fields.iter().enumerate() {
            index.entry(k.clone()).or_default().push(i);
        }
        FormData { fields, index }
    }

    fn all(&self, name: &str) -> Vec<&[u8]> {
        self.index
            .get(name)
            .map(|at| at.iter().map(|&i| self.fields[i].1.as_slice()).collect())
            .unwrap_or_default()
    }

    /// The distinct field names, in order of first appearance.
    pub fn names(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.fields
            .iter()
            .filter(|(k, _)| seen.insert(k.as_str()))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The first value of a field when it is valid UTF-8 (for the CSRF check).
    pub fn first_utf8(&self, name: &str) -> Option<&str> {
        self.all(name)
            .first()
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Every value of a repeated field (checkboxes), as text; an error when any is not
    /// UTF-8 or holds a control character.
    pub fn all_utf8(&self, name: &str) -> Result<Vec<String>, FieldError> {
        self.all(name)
            .into_iter()
            .map(|v| match std::str::from_utf8(v) {
                Ok(s) if !s.chars().any(char::is_control) => Ok(s.to_string()),
                _ => Err(FieldError::InvalidUtf8),
            })
            .collect()
    }

    /// The one value of a field, as text.
    pub fn raw(&self, name: &str) -> Result<&str, FieldError> {
        match self.all(name).as_slice() {
            [] => Err(FieldError::Missing),
            [one] => std::str::from_utf8(one).map_err(|_| FieldError::InvalidUtf8),
            _ => Err(FieldError::Duplicated),
        }
    }

    /// What was typed, for showing the form again (lossy, never fails).
    pub fn echo(&self, name: &str) -> String {
        self.all(name)
            .first()
            .map(|v| {
                String::from_utf8_lossy(v)
                    .chars()
                    .filter(|c| !c.is_control() || *c == '\n')
                    .take(2000)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether a checkbox is ticked (present with any value).
    pub fn checked(&self, name: &str) -> bool {
        !self.all(name).is_empty()
    }

    /// The fields of a multipart form that are not files, read as a form is.
    pub fn from_parts(parts: &[Part]) -> FormData {
        let fields: Vec<(String, Vec<u8>)> = parts
            .iter()
            .filter(|p| p.file_name.is_none())
            .map(|p| (p.name.clone(), p.data.to_vec()))
            .collect();
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (k, _)) in fields.iter().enumerate() {
            index.entry(k.clone()).or_default().push(i);
        }
        FormData { fields, index }
    }
}

/// Percent-decoding with `+` as space, to bytes (UTF-8 is checked later, per field).
fn decode(input: &[u8]) -> Vec<u8> {
    let replaced: Vec<u8> = input
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&replaced).collect()
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(header::CONTENT_TYPE).cloned();
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("request body could not be read")))?;
        Ok(FormData::parse(content_type.as_ref(), &bytes))
    }
}

/// Why a field could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    Missing,
    Duplicated,
    InvalidUtf8,
    Text(TextError),
    Message(String),
}

impl FieldError {
    pub fn message(&self) -> String {
        match self {
            FieldError::Missing => "缺少此项，请从页面重新填写".to_string(),
            FieldError::Duplicated => "此项提交了多次，请从页面重新填写".to_string(),
            FieldError::InvalidUtf8 => "含有无法识别的字符，请重新输入".to_string(),
            FieldError::Text(e) => e.message(),
            FieldError::Message(m) => m.clone(),
        }
    }
}

impl From<TextError> for FieldError {
    fn from(e: TextError) -> Self {
        FieldError::Text(e)
    }
}

/// Reads the fields of one form, collecting a message per bad field.
pub struct Fields<'a> {
    pub form: &'a FormData,
    pub errors: Errors,
}

/// Messages per field name, plus a count for the summary at the top of the form.
#[derive(Debug, Default, Clone)]
pub struct Errors(BTreeMap<String, String>);

impl Errors {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
    pub fn add(&mut self, name: &str, message: impl Into<String>) {
        self.0
            .entry(name.to_string())
            .or_insert_with(|| message.into());
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn messages(&self) -> Vec<(String, String)> {
        self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// A date as `2026-03-12`, within 2000–2100.
pub fn date(raw: &str) -> Result<time::Date, FieldError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(raw.trim(), &fmt)
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
        .ok_or_else(|| FieldError::Message("日期应如 2026-03-12".to_string()))
}

/// The parser of a select box: one of the ids offered.
pub fn one_of(options: &[(i64, String)]) -> impl FnOnce(&str) -> Result<i64, FieldError> + '_ {
    move |raw| {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(FieldError::Message("请选择一项".to_string()));
        }
        raw.parse::<i64>()
            .ok()
            .filter(|id| options.iter().any(|(o, _)| o == id))
            .ok_or_else(|| FieldError::Message("所选项目不存在或已停用，请重新选择".to_string()))
    }
}

/// The parser of a fixed set of choices (a select's or a radio group's values, `""` among
/// them when nothing chosen is a choice).
pub fn one_of_values<'v>(
    allowed: &'v [&'v str],
) -> impl FnOnce(&str) -> Result<String, FieldError> + 'v {
    move |raw| {
        allowed
            .iter()
            .find(|a| **a == raw.trim())
            .map(|a| a.to_string())
            .ok_or_else(|| FieldError::Message("请从列表中选择".to_string()))
    }
}

impl<'a> Fields<'a> {
    pub fn new(form: &'a FormData) -> Fields<'a> {
        Fields {
            form,
            errors: Errors::default(),
        }
    }

    fn take<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Option<T> {
        match self.form.raw(name).and_then(parse) {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.add(name, e.message());
                None
            }
        }
    }

    /// A required text of at most `max` characters.
    pub fn text(&mut self, name: &str, max: usize) -> Option<String> {
        self.take(name, |raw| Ok(text::required(raw, max)?))
    }

    /// Required text of a multi-line box: line breaks become spaces.
    pub fn paragraph(&mut self, name: &str, max: usize) -> Option<String> {
        self.take(name, |raw| Ok(text::paragraph(raw, max)?))
    }

    /// A whole number in `min..=max`.
    pub fn integer(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        self.take(name, |raw| Ok(text::integer(raw, min, max)?))
    }

    /// One of the ids offered in a select box.
    pub fn choice(&mut self, name: &str, options: &[(i64, String)]) -> Option<i64> {
        self.take(name, one_of(options))
    }

    /// A field parsed by `parse`, with what was typed, to show again when the form comes
    /// back: a form struct reads each of its fields once, by this.
    pub fn read<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> (String, Option<T>) {
        (self.form.echo(name), self.take(name, parse))
    }

    /// A field parsed by `parse`.
    pub fn with<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Option<T> {
        self.take(name, parse)
    }

    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

impl FormData {
    /// Parses bytes as a urlencoded form, whatever the request said they were.
    pub fn parse_query_bytes(bytes: &[u8]) -> FormData {
        FormData::parse(
            Some(&HeaderValue::from_static(
                "application/x-www-form-urlencoded",
            )),
            bytes,
        )
    }

    /// Parses a query string the same way as a form body.
    pub fn parse_query(query: &str) -> FormData {
        FormData::parse(
            Some(&HeaderValue::from_static(
                "application/x-www-form-urlencoded",
            )),
            query.as_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &[u8]) -> FormData {
        FormData::parse(
            Some(&HeaderValue::from_static(
                "application/x-www-form-urlencoded; charset=UTF-8",
            )),
            body,
        )
    }

    #[test]
    fn values_are_percent_and_plus_decoded() {
        let f = form(b"name=%E7%8E%8B+%E8%8A%B3&x=1");
        assert_eq!(f.raw("name").unwrap(), "王 芳");
    }

    #[test]
    fn missing_duplicated_and_invalid_fields_are_told_apart() {
        let f = form(b"a=1&a=2&b=%FF");
        assert_eq!(f.raw("a"), Err(FieldError::Duplicated));
        assert_eq!(f.raw("b"), Err(FieldError::InvalidUtf8));
        assert_eq!(f.raw("c"), Err(FieldError::Missing));
    }

    #[test]
    fn another_content_type_reads_as_an_empty_form() {
        let f = FormData::parse(Some(&HeaderValue::from_static("application/json")), b"a=1");
        assert_eq!(f.raw("a"), Err(FieldError::Missing));
    }

    #[test]
    fn a_nul_character_is_a_field_error_not_a_database_error() {
        let f = form(b"name=a%00b");
        let mut fields = Fields::new(&f);
        assert_eq!(fields.text("name", 10), None);
        assert!(fields.errors.get("name").is_some());
    }
}

/// One part of a `multipart/form-data` body (a file upload form).
pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub data: Bytes,
}

/// Why a multipart body could not be read.
#[derive(Debug)]
pub struct MultipartError;

/// The parts of a `multipart/form-data` body already read into memory; `None` when the
/// content type is not multipart at all.
pub async fn multipart(
    content_type: Option<&HeaderValue>,
    body: Bytes,
) -> Option<Result<Vec<Part>, MultipartError>> {
    let ct = content_type?.to_str().ok()?;
    if !ct
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return None;
    }
    let Ok(boundary) = multer::parse_boundary(ct) else {
        return Some(Err(MultipartError));
    };
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut reader = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    loop {
        match reader.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let file_name = field.file_name().map(str::to_string);
                match field.bytes().await {
                    Ok(data) => parts.push(Part {
                        name,
                        file_name,
                        data,
                    }),
                    Err(_) => return Some(Err(MultipartError)),
                }
                if parts.len() > 20 {
                    return Some(Err(MultipartError));
                }
            }
            Ok(None) => return Some(Ok(parts)),
            Err(_) => return Some(Err(MultipartError)),
        }
    }
}

/// A form that may carry files: its text fields read as a form is, and its parts (files
/// among them). A plain urlencoded form (a browser sends one when no file input is on the
/// page, a script may too) is read the same way, without parts. `Err` when a multipart body
/// is broken.
pub async fn form_with_files(
    headers: &axum::http::HeaderMap,
    body: Bytes,
) -> Result<(Vec<Part>, FormData), MultipartError> {
    let content_type = headers.get(header::CONTENT_TYPE);
    match multipart(content_type, body.clone()).await {
        Some(Ok(parts)) => {
            let form = FormData::from_parts(&parts);
            Ok((parts, form))
        }
        None => Ok((Vec::new(), FormData::parse(content_type, &body))),
        Some(Err(e)) => Err(e),
    }
}

/// A file sent by an upload form.
pub struct Upload {
    /// The file's name as the browser gave it, without control characters, at most 100
    /// characters (for showing it back).
    pub name: String,
    pub data: Bytes,
}

/// The file of field `field` of a multipart upload form; `None` when the body is not such a
/// form or has no file under that name.
pub async fn uploaded_file(
    headers: &axum::http::HeaderMap,
    body: Bytes,
    field: &str,
) -> Option<Upload> {
    let parts = multipart(headers.get(header::CONTENT_TYPE), body)
        .await?
        .ok()?;
    let part = parts
        .into_iter()
        .find(|p| p.name == field && p.file_name.is_some())?;
    Some(Upload {
        name: part
            .file_name
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(100)
            .collect(),
        data: part.data,
    })
}
