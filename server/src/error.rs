//! One error type for every handler, mapped to `application/problem+json`
//! ([`shared::api::problem::Problem`]). Internal errors are logged here and never shown to the
//! caller: they get a generic 500.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use shared::api::problem::{Problem, PROBLEM_JSON};
use shared::lifecycle::TransitionError;
use shared::{FieldError, UserError};

use crate::clock::rfc3339;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422: one or more fields are invalid; every error at once.
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// 400: the body is not JSON.
    #[error("malformed JSON")]
    MalformedJson,
    /// 413: the body is larger than the route allows.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 415: the body is not `application/json`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 400: a query string or path parameter could not be read.
    #[error("bad request")]
    BadRequest,
    /// 401: no valid session token.
    #[error("unauthorized")]
    Unauthorized,
    /// 401: wrong login, password or slider.
    #[error("bad credentials")]
    BadCredentials,
    /// 423: too many failures; the account is locked until the given unix time.
    #[error("account locked")]
    AccountLocked { until: i64 },
    /// 403: the caller's role or scope does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// 403: the person is not in the roster (建档立卡).
    #[error("not enrolled")]
    NotEnrolled,
    /// 403: name and ID number do not match the roster.
    #[error("real name mismatch")]
    RealNameMismatch,
    /// 403: the phone number is not registered for this person in the roster.
    #[error("phone not in roster")]
    PhoneNotInRoster,
    /// 409: the person already has an account.
    #[error("already registered")]
    AlreadyRegistered,
    /// 409: the phone number is bound to another account.
    #[error("phone in use")]
    PhoneInUse,
    /// 429: slow down.
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    /// 404.
    #[error("not found")]
    NotFound,
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 413: an uploaded file is larger than allowed.
    #[error("upload too large")]
    UploadTooLarge,
    /// 415: an uploaded file is not a JPEG or PNG image (checked by decoding it).
    #[error("unsupported media")]
    UnsupportedMedia,
    /// 403: the caller is not a person in the roster (only people under care have a review).
    #[error("no review")]
    NoReview,
    /// 409 (or 403/422, see [`TransitionError`]): the review's status does not allow this.
    #[error("transition: {0}")]
    Transition(shared::lifecycle::TransitionError),
    /// 422: the request needs the `Idempotency-Key` header.
    #[error("idempotency key missing")]
    IdempotencyKeyMissing,
    /// 409: a (possibly queued, offline) write found the person's review moved on meanwhile;
    /// nothing was overwritten. The problem body says what happened.
    #[error("conflict")]
    Conflict(shared::api::problem::Conflict),
    /// A rule of the domain that has its own code and message (e.g. 409
    /// `use_veteran_registration`, `real_name_already_verified`).
    #[error("{code}")]
    Rule {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// 500: logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A single field error, as a 422.
    pub fn field(field: &str, code: &str, message: &str) -> ApiError {
        ApiError::Invalid(vec![FieldError::new(field, code, message)])
    }

    /// The wrong/expired/used SMS code error (a field error on `sms_code`).
    pub fn sms_code_rejected() -> ApiError {
        ApiError::field(
            "sms_code",
            "sms_code_invalid",
            "短信验证码错误或已失效,请重新获取",
        )
    }

    /// A domain rule's refusal with its own `code` and Chinese `message`.
    pub fn rule(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Rule {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(e.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedJson | ApiError::BadRequest => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unauthorized | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::AccountLocked { .. } => StatusCode::LOCKED,
            ApiError::Forbidden
            | ApiError::NotEnrolled
            | ApiError::RealNameMismatch
            | ApiError::PhoneNotInRoster => StatusCode::FORBIDDEN,
            ApiError::AlreadyRegistered | ApiError::PhoneInUse => StatusCode::CONFLICT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UploadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMedia => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NoReview => StatusCode::FORBIDDEN,
            ApiError::Transition(e) => match e {
                TransitionError::Illegal { .. } => StatusCode::CONFLICT,
                TransitionError::NotPermitted { .. } => StatusCode::FORBIDDEN,
                TransitionError::SpecialPopulationNotAllowed { .. }
                | TransitionError::NotEnoughFailedComparisons { .. } => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
            },
            ApiError::IdempotencyKeyMissing => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Rule { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid(_) => "invalid_fields",
            ApiError::MalformedJson => "malformed_json",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::BadRequest => "bad_request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::BadCredentials => "bad_credentials",
            ApiError::AccountLocked { .. } => "account_locked",
            ApiError::Forbidden => "forbidden",
            ApiError::NotEnrolled => "not_enrolled",
            ApiError::RealNameMismatch => "real_name_mismatch",
            ApiError::PhoneNotInRoster => "phone_not_in_roster",
            ApiError::AlreadyRegistered => "already_registered",
            ApiError::PhoneInUse => "phone_in_use",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::UploadTooLarge => "too_large",
            ApiError::UnsupportedMedia => "unsupported_media",
            ApiError::NoReview => "no_review",
            ApiError::Transition(e) => e.code(),
            ApiError::IdempotencyKeyMissing => "idempotency_key_required",
            ApiError::Conflict(_) => "conflict",
            ApiError::Rule { code, .. } => *code,
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn message(&self) -> &'static str {
        match self {
            ApiError::Invalid(_) => "填写的信息有误,请按提示修改",
            ApiError::MalformedJson => "请求格式错误,请升级App后重试",
            ApiError::PayloadTooLarge => "提交的内容过大",
            ApiError::UnsupportedMediaType => "请求格式错误,请升级App后重试",
            ApiError::BadRequest => "请求参数错误",
            ApiError::Unauthorized => "登录已失效,请重新登录",
            ApiError::BadCredentials => "账号、密码或滑块验证错误,多次错误将暂时锁定账号",
            ApiError::AccountLocked { .. } => "密码错误次数过多,账号已暂时锁定,请稍后再试或通过忘记密码找回",
            ApiError::Forbidden => "您没有权限进行此操作",
            ApiError::NotEnrolled => "您尚未在建档立卡系统中登记,无法注册,请联系当地退役军人服务中心(站)",
            ApiError::RealNameMismatch => "实名认证不通过:姓名与身份证号不一致",
            ApiError::PhoneNotInRoster => {
                "该手机号未在建档立卡系统中登记,请先前往就近的退役军人服务中心(站)办理手机号码变更登记"
            }
            ApiError::AlreadyRegistered => "该身份证号已注册,请直接登录",
            ApiError::PhoneInUse => "该手机号已绑定其他账号",
            ApiError::TooManyRequests { .. } => "操作过于频繁,请稍后再试",
            ApiError::NotFound => "请求的内容不存在",
            ApiError::MethodNotAllowed => "不支持的请求方式",
            ApiError::UploadTooLarge => "图片不能超过2MB,请重新拍摄或选择图片",
            ApiError::UnsupportedMedia => "仅支持JPG或PNG格式的图片",
            ApiError::NoReview => "您不在年审名单中,请联系当地退役军人服务中心(站)",
            // Replaced by the transition's own message in `problem`.
            ApiError::Transition(_) => "当前状态不能进行此操作",
            ApiError::IdempotencyKeyMissing => "请求缺少幂等键,请升级App后重试",
            ApiError::Conflict(_) => "该人员的年审状态已发生变化,本次操作未保存,请核实后处理",
            // Replaced by the rule's own message in `problem`.
            ApiError::Rule { .. } => "当前不能进行此操作",
            ApiError::Internal(_) => "系统繁忙,请稍后再试",
        }
    }

    /// The body sent to the caller.
    pub fn problem(&self) -> Problem {
        let mut p = Problem::new(self.status().as_u16(), self.code(), self.message());
        match self {
            ApiError::Invalid(errors) => p.errors = errors.clone(),
            ApiError::TooManyRequests { retry_after } => p.retry_after = Some(*retry_after),
            ApiError::AccountLocked { until } => p.locked_until = Some(rfc3339(*until)),
            ApiError::Transition(e) => p.message = e.message(),
            ApiError::Conflict(c) => p.conflict = Some(c.clone()),
            ApiError::Rule { message, .. } => p.message = message.clone(),
            _ => {}
        }
        p
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(format!("database: {e}"))
    }
}

/// Writes a problem body with its media type.
pub fn problem_response(status: StatusCode, problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_else(|_| b"{}".to_vec());
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "internal error");
        }
        let problem = self.problem();
        let mut res = problem_response(self.status(), &problem);
        if let ApiError::TooManyRequests { retry_after } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_snake_case_code_and_chinese_message() {
        let all = [
            ApiError::Invalid(vec![]),
            ApiError::MalformedJson,
            ApiError::PayloadTooLarge,
            ApiError::UnsupportedMediaType,
            ApiError::BadRequest,
            ApiError::Unauthorized,
            ApiError::BadCredentials,
            ApiError::AccountLocked { until: 0 },
            ApiError::Forbidden,
            ApiError::NotEnrolled,
            ApiError::RealNameMismatch,
            ApiError::PhoneNotInRoster,
            ApiError::AlreadyRegistered,
            ApiError::PhoneInUse,
            ApiError::TooManyRequests { retry_after: 1 },
            ApiError::NotFound,
            ApiError::MethodNotAllowed,
            ApiError::UploadTooLarge,
            ApiError::UnsupportedMedia,
            ApiError::NoReview,
            ApiError::Transition(TransitionError::Illegal {
                from: shared::lifecycle::StatusKind::Approved,
                event: shared::lifecycle::EventKind::SaveDraft,
            }),
            ApiError::IdempotencyKeyMissing,
            ApiError::Conflict(shared::api::problem::Conflict {
                status: "submitted".into(),
                status_label: "已提交,待审核".into(),
                since: None,
                detail: "本人已自行提交".into(),
            }),
            ApiError::Internal("x".into()),
        ];
        for e in all {
            let p = e.problem();
            assert_eq!(p.status, e.status().as_u16());
            assert!(
                p.code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                p.code
            );
            assert!(
                p.message
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{}",
                p.code
            );
        }
    }

    #[test]
    fn internal_details_are_not_returned() {
        let p = ApiError::Internal("database: secret table".into()).problem();
        assert!(!p.message.contains("secret"));
        assert_eq!(p.code, "internal_error");
    }

    #[test]
    fn lock_and_retry_extras_are_filled() {
        assert_eq!(
            ApiError::TooManyRequests { retry_after: 42 }
                .problem()
                .retry_after,
            Some(42)
        );
        assert_eq!(
            ApiError::AccountLocked {
                until: 1_700_000_000
            }
            .problem()
            .locked_until
            .as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
    }
}
