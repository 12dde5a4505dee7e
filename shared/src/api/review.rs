//! The annual review intake API (`/api/v1/reviews/...`, `/api/v1/uploads`,
//! `/api/v1/liveness/challenges`): request and response bodies.

use serde::{Deserialize, Serialize};

use crate::form::ReviewFormDraft;
use crate::liveness::{Action, ActionAt, FlashStep};

/// The answer to a submission (seed 000's result screen), word for word.
pub const SUBMITTED_MESSAGE: &str =
    "您的年度登记已经提交审核,请于10个工作日后查看年度登记审核是否通过";

/// `GET /api/v1/reviews/current`: this year's review of the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentReview {
    /// The review year (the current year in China).
    pub year: i32,
    /// The person's category, e.g. `self_employed_officer`.
    pub category: String,
    /// Its Chinese label, e.g. `自主择业军转干部`.
    pub category_label: String,
    /// `shared::lifecycle::StatusKind` as snake_case, e.g. `not_started`, `overdue`.
    pub status: String,
    /// The status's Chinese label.
    pub status_label: String,
    /// First day of the review window (`YYYY-MM-DD`).
    pub opens: String,
    /// Last day that counts as on time (`YYYY-MM-DD`).
    pub deadline: String,
    /// Last year's accepted form, for prefill (页面自动带入上一年填报的信息); `None` if there is none.
    pub prefill: Option<ReviewFormDraft>,
    /// The server copy of this year's draft, if one was saved.
    pub draft: Option<ReviewFormDraft>,
    /// 【不通过原因】 when the last submission was rejected.
    pub rejection_reason: Option<String>,
    /// What happens to this category when the deadline is missed (seed 001's wording).
    pub consequences: String,
}

/// `PUT /api/v1/reviews/current/draft`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveDraftRequest {
    pub form: ReviewFormDraft,
}

/// What an uploaded image is for (the `kind` part of `POST /api/v1/uploads`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadKind {
    /// 身份证人像面
    IdFront,
    /// 身份证国徽面
    IdBack,
    /// 特殊人群核验: a photo holding today's newspaper.
    NewspaperPhoto,
    /// A camera frame of the liveness check.
    LivenessFrame,
    /// A person's reference photo for the 1:1 face comparison (基准照片), uploaded by an
    /// administrator (or staff) with the person's consent; veterans cannot upload this kind.
    ReferencePhoto,
}

impl UploadKind {
    pub const ALL: [UploadKind; 5] = [
        UploadKind::IdFront,
        UploadKind::IdBack,
        UploadKind::NewspaperPhoto,
        UploadKind::LivenessFrame,
        UploadKind::ReferencePhoto,
    ];

    /// The wire name, e.g. `id_front`.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadKind::IdFront => "id_front",
            UploadKind::IdBack => "id_back",
            UploadKind::NewspaperPhoto => "newspaper_photo",
            UploadKind::LivenessFrame => "liveness_frame",
            UploadKind::ReferencePhoto => "reference_photo",
        }
    }

    /// The kind named `s`, if any.
    pub fn parse(s: &str) -> Option<UploadKind> {
        UploadKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// `POST /api/v1/uploads` → 201.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadCreated {
    pub upload_id: String,
}

/// `POST /api/v1/liveness/challenges` → 201.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeIssued {
    pub challenge_id: String,
    pub nonce: String,
    /// The actions to perform, in order.
    pub actions: Vec<Action>,
    /// RFC 3339, UTC.
    pub expires_at: String,
    /// The colour flash (炫彩) to show full-screen before the actions while the face holds
    /// still: `shared::liveness::FlashSchedule::from_nonce` of `nonce`, given here too for
    /// clients that do not link `shared`. Empty when the challenge has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flash: Vec<FlashStep>,
}

/// One camera frame of a liveness attempt: an upload of kind `liveness_frame` and its time in
/// milliseconds since the attempt started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFrame {
    pub upload_id: String,
    pub t_ms: u64,
}

/// `POST /api/v1/liveness/challenges/{id}/evidence`: the frames the server re-checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRequest {
    pub frames: Vec<EvidenceFrame>,
    /// The actions the app saw, in the challenge's order, with their times.
    pub claimed: Vec<ActionAt>,
    /// When the first flash colour was shown, in the frames' milliseconds (required when the
    /// challenge has a flash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash_started_ms: Option<u64>,
}

/// The 1:1 comparison of the live face with the person's reference photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceMatch {
    /// Cosine similarity in [-1, 1]; `None` when there was nothing to compare (no reference
    /// photo, or no usable face).
    pub score: Option<f32>,
    pub same_person: bool,
}

/// `POST /api/v1/liveness/challenges/{id}/evidence` → 200.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceResult {
    pub passed: bool,
    /// `None` when passed; otherwise a stable code: one of
    /// `shared::liveness::FailReason::as_str()` (`action_timeout`, `no_motion`, `wrong_order`,
    /// `no_face`, `multiple_faces`, `different_person`, `claim_mismatch`, `no_evidence`,
    /// `no_reference_photo`, `presentation_attack`, `flash_not_detected`, `evidence_reused`) or
    /// `face_mismatch` (the live face is not the reference photo's).
    pub reason: Option<String>,
    /// The reason in Chinese, for the screen; `None` when passed.
    pub message: Option<String>,
    pub face_match: FaceMatch,
    /// Failed comparisons of this person this year, after this attempt (特殊人群核验 opens
    /// after more than 3 for the categories that have it).
    pub failed_comparisons: u32,
}

/// `POST /api/v1/reviews/current/submissions` (with an `Idempotency-Key` header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionRequest {
    pub form: ReviewFormDraft,
    pub id_front_upload: String,
    pub id_back_upload: String,
    /// A passed liveness challenge of the caller. Empty (or absent) when submitting through the
    /// special-population check with `newspaper_photo_upload` instead; exactly one of the two.
    #[serde(default)]
    pub liveness_challenge_id: String,
    /// 特殊人群核验: an upload of kind `newspaper_photo` (a photo holding today's newspaper),
    /// instead of a passed challenge. Only for 军休干部 and 无军籍退休职工 after more than 3
    /// failed face comparisons this year; the review then waits for a person
    /// (`special_check_pending`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newspaper_photo_upload: Option<String>,
}

/// `POST /api/v1/reviews/current/submissions` → 201.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionAccepted {
    pub submission_id: String,
    /// Always `submitted` (or `resubmitted` after a rejection).
    pub status: String,
    pub message: String,
}

/// `GET /api/v1/review-queue`: one page of submissions waiting in the reviewer's districts,
/// oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewQueue {
    pub items: Vec<QueueItem>,
    pub page: u32,
    pub per_page: u32,
    /// How many submissions match, over all pages.
    pub total: u64,
}

/// One submission in the queue (the name masked; the detail shows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    pub submission_id: String,
    /// `submitted`, `resubmitted`, …
    pub status: String,
    /// RFC 3339.
    pub submitted_at: String,
    pub year: i32,
    pub category: String,
    pub category_label: String,
    pub district: String,
    pub masked_name: String,
    /// What the item is: `submission` (the person's own), `assisted_submission` (done by staff on
    /// the person's behalf), `special_population` (newspaper photo check), `confirmation` (a
    /// staff 现场确认/远程确认: `GET /api/v1/confirmations/{id}`) or `death` (a death record:
    /// `GET /api/v1/death-records/{id}`). For the last two, `submission_id` is that record's id.
    #[serde(default = "default_queue_kind")]
    pub kind: String,
}

fn default_queue_kind() -> String {
    "submission".to_owned()
}

/// `GET /api/v1/submissions/{id}`: what a reviewer decides on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionDetail {
    pub submission_id: String,
    pub status: String,
    pub submitted_at: String,
    pub year: i32,
    pub category: String,
    pub category_label: String,
    pub district: String,
    /// The submitted form.
    pub form: ReviewFormDraft,
    pub id_front_upload: String,
    pub id_back_upload: String,
    pub liveness_challenge_id: String,
    /// Last year's accepted form, for comparison; `None` if there is none.
    pub last_year: Option<ReviewFormDraft>,
    /// The paths of the fields that differ from last year (e.g. `basic.residence_address`).
    pub changed_fields: Vec<String>,
    /// The reason of a rejection, once decided.
    pub decision_reason: Option<String>,
    /// Submitted through the special-population check (特殊人群核验): the newspaper photo
    /// stands in for a passed liveness check; `liveness_challenge_id` is then the latest failed
    /// face comparison, for the reviewer to compare.
    #[serde(default)]
    pub special_population: bool,
    /// The newspaper photo (an upload id, served by `GET /api/v1/uploads/{id}`).
    #[serde(default)]
    pub newspaper_photo_upload: Option<String>,
    /// The face-match score of the liveness evidence against the reference photo (cosine
    /// similarity; ≥ 0.6 is the same person), when there was one.
    #[serde(default)]
    pub face_match_score: Option<f32>,
    /// The liveness evidence's frames (upload ids, in time order).
    #[serde(default)]
    pub liveness_frames: Vec<String>,
    /// The staff member (user id) who did this review on the person's behalf (assisted), if any.
    #[serde(default)]
    pub assisted_by: Option<String>,
    /// That staff member's name.
    #[serde(default)]
    pub assisted_by_name: Option<String>,
}

/// `POST /api/v1/submissions/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRequest {
    /// `approve` or `reject`.
    pub decision: String,
    /// Required for `reject` (【不通过原因】).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/v1/submissions/{id}/decision` → 200.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionResult {
    pub submission_id: String,
    /// `approved` or `rejected`.
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_kinds_round_trip_through_their_names() {
        for k in UploadKind::ALL {
            assert_eq!(UploadKind::parse(k.as_str()), Some(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        assert_eq!(UploadKind::parse("selfie"), None);
        assert_eq!(UploadKind::parse("ID_FRONT"), None);
    }
}
