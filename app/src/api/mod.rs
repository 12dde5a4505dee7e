//! Talking to the server: [`HttpClient`] calls `/api/v1` over HTTP (reqwest, rustls) — the
//! accounts endpoints (issue 3), the review intake ([`review`]), liveness ([`liveness`]) and the
//! staff and reviewer endpoints ([`staff`]); those modules hold the request and answer types.
//! There is one implementation of the server, the `server` crate: the app's tests run it
//! in-process and talk to it through this client. Every error the server sends is `application/problem+json`; it arrives here as
//! [`ApiError::Problem`] carrying the server's [`Problem`] (its Chinese message is what the
//! user sees).

mod http;
pub mod liveness;
pub mod review;
pub mod staff;

pub use http::HttpClient;
pub use shared::api::accounts::{
    Captcha, CaptchaAnswer, LoginRequest, PasswordResetRequest, Profile, RegisterRequest,
    RegisterResponse, SessionResponse, SmsCodeRequest, SmsLoginRequest, SmsPurpose,
};
pub use shared::api::problem::Problem;

use shared::error::UserError;

/// A bearer token. Never printed: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Why a call to the server did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an `application/problem+json` error.
    #[error("{}", .0.message)]
    Problem(Problem),
    /// No answer: the server is unreachable, the connection broke or timed out.
    #[error("无法连接服务器,请检查网络后重试")]
    Network,
    /// An answer the app cannot read (wrong shape, or an error without a problem body).
    #[error("服务器暂时无法处理您的请求,请稍后再试")]
    BadResponse { status: u16 },
}

/// Codes the accounts API documents (issue 3); [`ApiError::code`] returns one of these, or
/// `server_error` for a code this version of the app does not know.
const KNOWN_CODES: &[&str] = &[
    "invalid_fields",
    "bad_credentials",
    "account_locked",
    "too_many_requests",
    "not_enrolled",
    "real_name_mismatch",
    "already_registered",
    "phone_not_in_roster",
    "unauthorized",
    "forbidden",
    "not_found",
    "sms_code_invalid",
    "captcha_invalid",
    "captcha_expired",
    "payload_too_large",
    "malformed_json",
    // The review intake API.
    "phone_in_use",
    "too_large",
    "unsupported_media",
    "unsupported_media_type",
    "no_review",
    "illegal_transition",
    "idempotency_key_required",
    "internal_error",
    // The liveness endpoints.
    "challenge_used",
    "challenge_expired",
    "upload_not_found",
    // The staff and reviewer endpoints (issue 8).
    "conflict",
    "idempotency_key_reused",
    "transition_not_permitted",
    "no_reference_photo",
];

impl ApiError {
    /// The server's problem, if it sent one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            ApiError::Problem(p) => Some(p),
            _ => None,
        }
    }

    /// The server's code as sent (also for codes not in [`KNOWN_CODES`]).
    pub fn wire_code(&self) -> &str {
        match self {
            ApiError::Problem(p) => &p.code,
            _ => self.code(),
        }
    }
}

impl UserError for ApiError {
    fn code(&self) -> &'static str {
        match self {
            ApiError::Problem(p) => KNOWN_CODES
                .iter()
                .copied()
                .find(|c| *c == p.code)
                .unwrap_or("server_error"),
            ApiError::Network => "network_unreachable",
            ApiError::BadResponse { .. } => "bad_response",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_problem_codes_pass_through_and_unknown_ones_are_generic() {
        let locked = ApiError::Problem(Problem::new(423, "account_locked", "账号已锁定"));
        assert_eq!(locked.code(), "account_locked");
        assert_eq!(locked.message(), "账号已锁定");
        let odd = ApiError::Problem(Problem::new(418, "teapot", "我是茶壶"));
        assert_eq!(odd.code(), "server_error");
        assert_eq!(odd.wire_code(), "teapot");
        assert_eq!(odd.message(), "我是茶壶");
        assert_eq!(ApiError::Network.code(), "network_unreachable");
        assert!(ApiError::Network.message().contains("网络"));
    }

    #[test]
    fn token_debug_is_redacted() {
        let t = Token::new("secret-token-value");
        assert_eq!(format!("{t:?}"), "Token(***)");
        assert_eq!(t.expose(), "secret-token-value");
    }
}
