//! The annual review intake API (`/api/v1/reviews/...`, `/api/v1/uploads`,
//! `/api/v1/liveness/challenges`): request and response bodies.

use serde::{Deserialize, Serialize};

use crate::form::ReviewFormDraft;
use crate::liveness::Action;

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
}

impl UploadKind {
    pub const ALL: [UploadKind; 4] = [
        UploadKind::IdFront,
        UploadKind::IdBack,
        UploadKind::NewspaperPhoto,
        UploadKind::LivenessFrame,
    ];

    /// The wire name, e.g. `id_front`.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadKind::IdFront => "id_front",
            UploadKind::IdBack => "id_back",
            UploadKind::NewspaperPhoto => "newspaper_photo",
            UploadKind::LivenessFrame => "liveness_frame",
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
}

/// `POST /api/v1/reviews/current/submissions` (with an `Idempotency-Key` header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionRequest {
    pub form: ReviewFormDraft,
    pub id_front_upload: String,
    pub id_back_upload: String,
    pub liveness_challenge_id: String,
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
}

/// `GET /api/v1/submissions/{id}`: what a reviewer decides on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
