//! Talking to the server: the accounts endpoints of `/api/v1` (issue 3).
//!
//! [`AccountsApi`] is what the screens call; [`HttpClient`] implements it over HTTP (reqwest,
//! rustls), [`fake::FakeAccounts`] in memory for tests and for trying the app without a server.
//! Every error the server sends is `application/problem+json`; it arrives here as
//! [`ApiError::Problem`] carrying the server's [`Problem`] (its Chinese message is what the
//! user sees).

pub mod fake;
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

/// The accounts endpoints, as the screens use them. Blocking: the UI calls them off its thread.
///
/// Every implementation also serves the review endpoints ([`review::ReviewApi`]), the
/// liveness endpoints ([`liveness::LivenessApi`]) and the staff and reviewer endpoints
/// ([`staff::StaffApi`], [`staff::ReviewerApi`]).
pub trait AccountsApi:
    review::ReviewApi + liveness::LivenessApi + staff::StaffApi + staff::ReviewerApi + Send + Sync
{
    /// `GET /api/v1/captchas`.
    fn captcha(&self) -> Result<Captcha, ApiError>;
    /// `POST /api/v1/sessions`.
    fn login(&self, req: &LoginRequest) -> Result<SessionResponse, ApiError>;
    /// `POST /api/v1/sessions/sms`.
    fn login_sms(&self, req: &SmsLoginRequest) -> Result<SessionResponse, ApiError>;
    /// `POST /api/v1/sms-codes` (202).
    fn send_sms_code(&self, req: &SmsCodeRequest) -> Result<(), ApiError>;
    /// `POST /api/v1/accounts` (201).
    fn register(&self, req: &RegisterRequest) -> Result<RegisterResponse, ApiError>;
    /// `POST /api/v1/password-resets` (204).
    fn reset_password(&self, req: &PasswordResetRequest) -> Result<(), ApiError>;
    /// `GET /api/v1/me`.
    fn me(&self, token: &Token) -> Result<Profile, ApiError>;
    /// `DELETE /api/v1/sessions/current` (204).
    fn logout(&self, token: &Token) -> Result<(), ApiError>;
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
