//! The one error shape of the API: `application/problem+json`.
//!
//! ```json
//! {"status": 422, "code": "invalid_fields", "message": "填写的信息有误,请按提示修改",
//!  "errors": [{"field": "id_number", "code": "id_number_checksum", "message": "…"}]}
//! ```

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An API error as the server sends it and the app reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The HTTP status, repeated in the body.
    pub status: u16,
    /// Stable snake_case code, e.g. `account_locked`.
    pub code: String,
    /// Chinese message to show to the user.
    pub message: String,
    /// Per-field errors (for `invalid_fields`), every one at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds until the request may be retried (for `too_many_requests`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// RFC 3339 time the account lock ends (for `account_locked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<String>,
    /// What a write ran into (for `conflict`, 409): e.g. the person submitted on their own
    /// phone, or was recorded deceased, after the tablet queued the write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<Conflict>,
}

/// The state a conflicting write found (`conflict`, 409). Nothing was overwritten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The review's status now (`shared::lifecycle::StatusKind`, e.g. `submitted`, `deceased`).
    pub status: String,
    pub status_label: String,
    /// When that status was reached (RFC 3339), if known.
    pub since: Option<String>,
    /// What happened, in Chinese, e.g. `本人已于2025-03-02 10:15自行提交年审`.
    pub detail: String,
}

impl Problem {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            status,
            code: code.into(),
            message: message.into(),
            errors: Vec::new(),
            retry_after: None,
            locked_until: None,
            conflict: None,
        }
    }

    /// 422 with every field error at once.
    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        Problem {
            errors,
            ..Problem::new(422, "invalid_fields", "填写的信息有误,请按提示修改")
        }
    }

    /// The first error reported for `field`, if any.
    pub fn field(&self, field: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.field == field)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for Problem {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_round_trip_and_empty_extras_are_omitted() {
        let p = Problem::invalid_fields(vec![FieldError::new(
            "phone",
            "phone_invalid",
            "手机号码格式不正确",
        )]);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["status"], 422);
        assert_eq!(json["errors"][0]["field"], "phone");
        assert!(json.get("retry_after").is_none());
        let back: Problem = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.field("phone").unwrap().code, "phone_invalid");
    }
}
