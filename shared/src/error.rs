//! How a rule violation is reported: a stable code for programs, a Chinese message for people.

use serde::{Deserialize, Serialize};

/// Implemented by every parse/validation error in this crate.
///
/// `code` is stable snake_case (programs and tests match on it); `message` is Chinese and is what
/// a veteran sees on screen. Messages never echo the rejected value back (it may be an ID number).
pub trait UserError: std::error::Error {
    /// Stable machine-readable code, e.g. `id_number_checksum`.
    fn code(&self) -> &'static str;
    /// Chinese message for the user, e.g. `身份证号校验位错误,请核对后重新输入`.
    fn message(&self) -> String;
    /// This error, attributed to one input field.
    fn at(&self, field: impl Into<String>) -> FieldError
    where
        Self: Sized,
    {
        FieldError {
            field: field.into(),
            code: self.code().to_owned(),
            message: self.message(),
        }
    }
}

/// One problem with one field of a request or form.
///
/// `field` is the JSON path of the field as the API names it, e.g. `basic.phone` or `id_number`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.code)
    }
}
