//! The boundary between raw request strings and `shared`'s domain types: parse every field,
//! collect every error (each attributed to its JSON field), so handlers answer 422 once with all
//! of them.

use chrono::NaiveDate;
use shared::error::UserError;
use shared::FieldError;

/// Collects field errors while parsing a request.
#[derive(Debug, Default)]
pub struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    pub fn new() -> Fields {
        Fields::default()
    }

    /// The value, or `None` after recording the error against `field`.
    pub fn take<T, E: UserError>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(e.at(field));
                None
            }
        }
    }

    /// Records an error not produced by a parser.
    pub fn push(&mut self, field: &str, code: &str, message: &str) {
        self.errors.push(FieldError::new(field, code, message));
    }

    /// `Err(422)` if anything was recorded.
    pub fn finish(self) -> Result<(), crate::error::ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(crate::error::ApiError::Invalid(self.errors))
        }
    }
}

impl From<Vec<FieldError>> for Fields {
    fn from(errors: Vec<FieldError>) -> Fields {
        Fields { errors }
    }
}

impl Extend<FieldError> for Fields {
    fn extend<I: IntoIterator<Item = FieldError>>(&mut self, iter: I) {
        self.errors.extend(iter);
    }
}

/// A simple field error type for server-side checks that `shared` does not cover.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SimpleError {
    pub code: &'static str,
    pub message: &'static str,
}

impl UserError for SimpleError {
    fn code(&self) -> &'static str {
        self.code
    }
    fn message(&self) -> String {
        self.message.to_owned()
    }
}

/// A 6-digit SMS verification code.
pub fn parse_sms_code(s: &str) -> Result<String, SimpleError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(SimpleError {
            code: "sms_code_empty",
            message: "请输入短信验证码",
        });
    }
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SimpleError {
            code: "sms_code_format",
            message: "短信验证码为6位数字",
        });
    }
    Ok(s.to_owned())
}

/// A calendar date `YYYY-MM-DD`.
pub fn parse_date(
    s: &str,
    empty_code: &'static str,
    empty_message: &'static str,
) -> Result<NaiveDate, SimpleError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(SimpleError {
            code: empty_code,
            message: empty_message,
        });
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| SimpleError {
        code: "date_invalid",
        message: "日期格式不正确,应为YYYY-MM-DD",
    })
}

/// A non-empty string (the value is not inspected further).
pub fn required(s: &str, code: &'static str, message: &'static str) -> Result<(), SimpleError> {
    if s.trim().is_empty() {
        Err(SimpleError { code, message })
    } else {
        Ok(())
    }
}

/// Masks a stored phone for display; stored phones were parsed on the way in.
pub fn mask_phone(phone: &str) -> String {
    shared::phone::MobilePhone::parse(phone)
        .map(|p| p.masked())
        .unwrap_or_else(|_| "***********".to_owned())
}

/// Masks a stored name for display.
pub fn mask_name(name: &str) -> String {
    shared::name::PersonName::parse(name)
        .map(|n| n.masked())
        .unwrap_or_else(|_| "**".to_owned())
}

/// Masks a stored ID number for display.
pub fn mask_id_number(id: &str, today: NaiveDate) -> String {
    shared::id::IdNumber::parse(id, today)
        .map(|n| n.masked())
        .unwrap_or_else(|_| "******************".to_owned())
}

// ---- identity (个人用户, 实名认证, password appeals) -------------------------------------------

/// The snake-case wire name of a unit enum (`IdentityRegion`, `DocumentKind`, `Sex`).
pub fn snake<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A unit enum from its wire name.
pub fn from_snake<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_owned())).ok()
}

pub fn parse_identity_region(s: &str) -> Result<shared::identity::IdentityRegion, SimpleError> {
    if s.trim().is_empty() {
        return Err(SimpleError {
            code: "identity_region_empty",
            message: "请选择类型",
        });
    }
    from_snake(s).ok_or(SimpleError {
        code: "identity_region_invalid",
        message: "类型不正确,请重新选择",
    })
}

pub fn parse_document_kind(s: &str) -> Result<shared::id::DocumentKind, SimpleError> {
    if s.trim().is_empty() {
        return Err(SimpleError {
            code: "document_kind_empty",
            message: "请选择证件类型",
        });
    }
    from_snake(s).ok_or(SimpleError {
        code: "document_kind_invalid",
        message: "证件类型不正确,请重新选择",
    })
}

/// The decision of a reviewer's request (submissions, confirmations, real-name reviews, password
/// appeals): approve, or reject with a `Reason`; every problem at once.
pub fn parse_decision(
    req: &shared::api::review::DecisionRequest,
) -> crate::error::ApiResult<shared::lifecycle::ReviewEvent> {
    use crate::error::ApiError;
    use shared::lifecycle::{Reason, ReviewEvent};
    match req.decision.as_str() {
        "approve" => Ok(ReviewEvent::Approve),
        "reject" => {
            let reason = req.reason.as_deref().unwrap_or("");
            if reason.trim().is_empty() {
                return Err(ApiError::field("reason", "required", "请填写不通过原因"));
            }
            Reason::parse(reason)
                .map(|reason| ReviewEvent::Reject { reason })
                .map_err(|e| ApiError::field("reason", e.code(), &e.message()))
        }
        _ => Err(ApiError::field(
            "decision",
            "decision_invalid",
            "审核结果应为通过或不通过",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_codes_are_six_digits() {
        assert_eq!(parse_sms_code(" 123456 ").unwrap(), "123456");
        assert_eq!(parse_sms_code("").unwrap_err().code, "sms_code_empty");
        assert_eq!(parse_sms_code("12345").unwrap_err().code, "sms_code_format");
        assert_eq!(
            parse_sms_code("12345a").unwrap_err().code,
            "sms_code_format"
        );
        assert_eq!(
            parse_sms_code("１２３４５６").unwrap_err().code,
            "sms_code_format"
        );
    }

    #[test]
    fn dates_parse_strictly() {
        assert!(parse_date("2015-03-01", "e", "m").is_ok());
        assert_eq!(parse_date("", "e", "m").unwrap_err().code, "e");
        assert_eq!(
            parse_date("2015-02-30", "e", "m").unwrap_err().code,
            "date_invalid"
        );
        assert_eq!(
            parse_date("20150301", "e", "m").unwrap_err().code,
            "date_invalid"
        );
    }

    #[test]
    fn fields_collect_every_error() {
        let mut f = Fields::new();
        assert_eq!(f.take("a", parse_sms_code("1")), None);
        assert_eq!(f.take("b", parse_sms_code("")), None);
        assert_eq!(
            f.take("c", parse_sms_code("123456")).as_deref(),
            Some("123456")
        );
        match f.finish() {
            Err(crate::error::ApiError::Invalid(errs)) => {
                assert_eq!(errs.len(), 2);
                assert_eq!(
                    (errs[0].field.as_str(), errs[0].code.as_str()),
                    ("a", "sms_code_format")
                );
                assert_eq!(
                    (errs[1].field.as_str(), errs[1].code.as_str()),
                    ("b", "sms_code_empty")
                );
            }
            _ => panic!("expected invalid fields"),
        }
    }
}
