//! The liveness endpoints the 身份核验 step uses: a challenge from the server, then the evidence
//! (frames uploaded as `kind=liveness_frame` with [`super::HttpClient::upload_image`], plus
//! the claimed action times) and the server's verdict. The 特殊人群核验 photo is an upload of kind
//! `newspaper_photo` through the same `upload_image`.
//!
//! Contract (HELPERS.md, `shared::api::review`): `POST /api/v1/liveness/challenges` → 201
//! [`ChallengeIssued`]; `POST /api/v1/liveness/challenges/{id}/evidence` [`EvidenceRequest`] →
//! 200 [`EvidenceResult`]; 409 `challenge_used`, 410 `challenge_expired`, 404 for someone
//! else's challenge; `GET /api/v1/me/reference-photo` → 200 the image, 404 `no_reference_photo`.

pub use shared::api::review::{
    ChallengeIssued, EvidenceFrame, EvidenceRequest, EvidenceResult, FaceMatch,
};
pub use shared::liveness::ActionAt;

/// Whether `id` can go into a URL path as is (the server's ids are ASCII letters and digits;
/// anything else is refused before a request is made).
pub(crate) fn is_path_safe(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_go_into_paths() {
        assert!(is_path_safe("ch0123abc"));
        assert!(!is_path_safe(""));
        assert!(!is_path_safe("../admin"));
        assert!(!is_path_safe("a/b"));
        assert!(!is_path_safe("a?b=1"));
    }
}
