//! The review intake endpoints the wizard, the result screens and 我的 use: this year's review
//! (`GET /api/v1/reviews/current`), image uploads, the submission (with its `Idempotency-Key`) and
//! 换绑手机 (`PUT /api/v1/me/phone`).

pub use shared::api::accounts::ChangePhoneRequest;
pub use shared::api::review::{
    CurrentReview, SubmissionAccepted, SubmissionRequest, UploadCreated, UploadKind,
};

use super::ApiError;

/// Whether an error means "try again later" (nothing was decided): no answer, a timeout, a 5xx,
/// 429, or an expired session (the queue waits for the next login).
pub fn is_transient(e: &ApiError) -> bool {
    match e {
        ApiError::Network => true,
        ApiError::BadResponse { status } => *status >= 500 || *status == 429,
        ApiError::Problem(p) => p.status >= 500 || p.status == 429 || p.status == 401,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Problem;

    #[test]
    fn only_undecided_answers_are_transient() {
        assert!(is_transient(&ApiError::Network));
        assert!(is_transient(&ApiError::BadResponse { status: 503 }));
        assert!(is_transient(&ApiError::Problem(Problem::new(
            500,
            "internal",
            "服务器错误"
        ))));
        assert!(is_transient(&ApiError::Problem(Problem::new(
            401,
            "unauthorized",
            "登录已过期"
        ))));
        assert!(!is_transient(&ApiError::Problem(Problem::new(
            422,
            "invalid_fields",
            "填写有误"
        ))));
        assert!(!is_transient(&ApiError::Problem(Problem::new(
            409,
            "illegal_transition",
            "不能提交"
        ))));
        assert!(!is_transient(&ApiError::BadResponse { status: 200 }));
    }
}
