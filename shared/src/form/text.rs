//! Free text typed into the form (所在支部, 奖励名称, 具体地址 …) and opaque references to things
//! stored elsewhere (uploaded photos, the liveness result).

use std::fmt;

use serde::Serialize;

use crate::error::UserError;

/// Text typed by a person: trimmed, not empty, at most a given number of characters, no control
/// characters (line breaks only where the field allows several lines; `\r\n` becomes `\n`).
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct FreeText(String);

impl FreeText {
    /// Parses `s` for a field of at most `max_chars` characters; `multiline` allows line breaks.
    pub fn parse(s: &str, max_chars: usize, multiline: bool) -> Result<FreeText, TextError> {
        let s = s.trim().replace("\r\n", "\n");
        if s.is_empty() {
            return Err(TextError::Empty);
        }
        if s.chars()
            .any(|c| c.is_control() && !(multiline && c == '\n'))
        {
            return Err(TextError::InvalidChars);
        }
        if s.chars().count() > max_chars {
            return Err(TextError::TooLong { max_chars });
        }
        Ok(FreeText(s))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FreeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Redacted: free text may hold an address or personal details.
impl fmt::Debug for FreeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FreeText({} chars)", self.0.chars().count())
    }
}

/// Text that cannot be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("text is empty")]
    Empty,
    #[error("text longer than {max_chars} characters")]
    TooLong { max_chars: usize },
    #[error("text contains control characters")]
    InvalidChars,
}

impl UserError for TextError {
    fn code(&self) -> &'static str {
        match self {
            TextError::Empty => "required",
            TextError::TooLong { .. } => "text_too_long",
            TextError::InvalidChars => "text_invalid_chars",
        }
    }
    fn message(&self) -> String {
        match self {
            TextError::Empty => "请填写此项".to_owned(),
            TextError::TooLong { max_chars } => format!("不能超过{max_chars}个字"),
            TextError::InvalidChars => "含有无法识别的字符,请删除后重新输入".to_owned(),
        }
    }
}

/// An opaque reference to something the server stores (an uploaded photo's id, a liveness
/// challenge id): 1–64 characters from `A–Z a–z 0–9 - _ .`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Reference(String);

impl Reference {
    /// The longest reference accepted.
    pub const MAX_LEN: usize = 64;

    /// Parses a reference (surrounding whitespace ignored).
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        let s = s.trim();
        if s.is_empty() || s.len() > Self::MAX_LEN {
            return Err(ReferenceError);
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(ReferenceError);
        }
        Ok(Reference(s.to_owned()))
    }

    /// The reference.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Shows only a prefix: a reference may let someone fetch a photo.
impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix: String = self.0.chars().take(4).collect();
        write!(f, "Reference({prefix}…)")
    }
}

/// A malformed reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed reference")]
pub struct ReferenceError;

impl UserError for ReferenceError {
    fn code(&self) -> &'static str {
        "reference_invalid"
    }
    fn message(&self) -> String {
        "文件编号无效,请重新上传".to_owned()
    }
}
