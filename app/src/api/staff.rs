//! The endpoints staff (工作人员, on a tablet) and reviewers (审核人员) use.
//!
//! [`StaffApi`]: the people of the staff member's districts, doing a review on someone's behalf
//! (uploads, a liveness challenge for the PERSON — its evidence goes through
//! [`super::liveness::LivenessApi::send_evidence`] with the staff token — and the assisted
//! submission), 现场确认/远程确认, deaths, reference photos and the district summary. Every write
//! carries the tablet's operation id as `Idempotency-Key`, so the offline queue may send it again.
//! A write that meets a person whose review moved on answers 409 `conflict` with a
//! [`shared::api::problem::Conflict`] in the problem body.
//!
//! [`ReviewerApi`]: the review queue of the reviewer's districts, a submission / confirmation /
//! death record in detail, the decisions, and the images they refer to.
//!
//! Contract: `shared::api::staff`, `shared::api::review`, and the server's OpenAPI document.

pub use shared::api::problem::Conflict;
pub use shared::api::review::{
    ChallengeIssued, DecisionRequest, DecisionResult, QueueItem, ReviewQueue, SubmissionAccepted,
    SubmissionDetail, SubmissionRequest, UploadCreated,
};
pub use shared::api::staff::{
    ConfirmationDetail, ConfirmationRecorded, ConfirmationRequest, DeathRecordDetail,
    DeathRecorded, DeathRequest, DistrictSummary, ReferencePhotoRequest, ReferencePhotoStored,
    StaffChallengeRequest, StaffPeople, StaffPersonDetail, StaffPersonItem, StaffUploadKind,
    OFFLINE_CHALLENGE_TTL_HOURS,
};
pub use shared::api::staff::{ConfirmationKind, ConfirmationMethod};

use super::{ApiError, Token};

/// How the staff list is asked for (`GET /api/v1/staff/people?owing=&sort=&q=&page=&per_page=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleQuery {
    /// Only those who still owe this year's review (the server's default), or everyone.
    pub owing_only: bool,
    pub sort: PeopleSort,
    /// Part of the full name, or part of the masked ID number as the list shows it.
    pub q: Option<String>,
    pub page: u32,
    pub per_page: u32,
}

impl Default for PeopleQuery {
    fn default() -> Self {
        PeopleQuery {
            owing_only: true,
            sort: PeopleSort::Deadline,
            q: None,
            page: 1,
            per_page: 100,
        }
    }
}

/// The order of the staff list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeopleSort {
    /// Earliest deadline first.
    #[default]
    Deadline,
    /// By residence address, for planning visits.
    Address,
}

impl PeopleSort {
    pub fn as_str(self) -> &'static str {
        match self {
            PeopleSort::Deadline => "deadline",
            PeopleSort::Address => "address",
        }
    }
}

/// The staff endpoints. Blocking: called off the UI thread.
pub trait StaffApi: Send + Sync {
    /// `GET /api/v1/staff/people`.
    fn staff_people(&self, token: &Token, query: &PeopleQuery) -> Result<StaffPeople, ApiError>;
    /// `GET /api/v1/staff/people/{id}`.
    fn staff_person(&self, token: &Token, person_id: &str) -> Result<StaffPersonDetail, ApiError>;
    /// `POST /api/v1/staff/people/{id}/uploads` (multipart `kind`, `file`) → 201.
    fn staff_upload(
        &self,
        token: &Token,
        person_id: &str,
        kind: StaffUploadKind,
        bytes: Vec<u8>,
        file_name: &str,
    ) -> Result<UploadCreated, ApiError>;
    /// `POST /api/v1/staff/people/{id}/liveness/challenges` → 201: a challenge for the person
    /// (two minutes, like the veteran's).
    fn staff_challenge(&self, token: &Token, person_id: &str) -> Result<ChallengeIssued, ApiError>;
    /// The same with `{"offline": true}`: a challenge living [`OFFLINE_CHALLENGE_TTL_HOURS`],
    /// fetched while online and used at a home visit without a network (the evidence is sent at
    /// sync time, then the submission right after it).
    fn staff_offline_challenge(
        &self,
        token: &Token,
        person_id: &str,
    ) -> Result<ChallengeIssued, ApiError>;
    /// `POST /api/v1/staff/people/{id}/submissions` with `Idempotency-Key` → 201.
    fn staff_submit(
        &self,
        token: &Token,
        person_id: &str,
        idempotency_key: &str,
        req: &SubmissionRequest,
    ) -> Result<SubmissionAccepted, ApiError>;
    /// `POST /api/v1/staff/people/{id}/confirmations` with `Idempotency-Key` → 201.
    fn staff_confirm(
        &self,
        token: &Token,
        person_id: &str,
        idempotency_key: &str,
        req: &ConfirmationRequest,
    ) -> Result<ConfirmationRecorded, ApiError>;
    /// `POST /api/v1/staff/people/{id}/death` with `Idempotency-Key` → 201.
    fn staff_record_death(
        &self,
        token: &Token,
        person_id: &str,
        idempotency_key: &str,
        req: &DeathRequest,
    ) -> Result<DeathRecorded, ApiError>;
    /// `POST /api/v1/staff/people/{id}/reference-photo` with `Idempotency-Key` → 201.
    fn staff_reference_photo(
        &self,
        token: &Token,
        person_id: &str,
        idempotency_key: &str,
        req: &ReferencePhotoRequest,
    ) -> Result<ReferencePhotoStored, ApiError>;
    /// `GET /api/v1/staff/summary`.
    fn staff_summary(&self, token: &Token) -> Result<DistrictSummary, ApiError>;
}

/// The reviewer endpoints. Blocking: called off the UI thread.
pub trait ReviewerApi: Send + Sync {
    /// `GET /api/v1/review-queue?status=&page=` (oldest first).
    fn review_queue(&self, token: &Token, status: &str, page: u32)
        -> Result<ReviewQueue, ApiError>;
    /// `GET /api/v1/submissions/{id}`.
    fn submission(&self, token: &Token, id: &str) -> Result<SubmissionDetail, ApiError>;
    /// `POST /api/v1/submissions/{id}/decision`.
    fn decide_submission(
        &self,
        token: &Token,
        id: &str,
        req: &DecisionRequest,
    ) -> Result<DecisionResult, ApiError>;
    /// `GET /api/v1/confirmations/{id}`.
    fn confirmation(&self, token: &Token, id: &str) -> Result<ConfirmationDetail, ApiError>;
    /// `POST /api/v1/confirmations/{id}/decision`.
    fn decide_confirmation(
        &self,
        token: &Token,
        id: &str,
        req: &DecisionRequest,
    ) -> Result<DecisionResult, ApiError>;
    /// `GET /api/v1/death-records/{id}`.
    fn death_record(&self, token: &Token, id: &str) -> Result<DeathRecordDetail, ApiError>;
    /// `POST /api/v1/death-records/{id}/decision`.
    fn decide_death(
        &self,
        token: &Token,
        id: &str,
        req: &DecisionRequest,
    ) -> Result<DecisionResult, ApiError>;
    /// `GET /api/v1/uploads/{id}`: an image (JPEG or PNG bytes) the reviewer may see.
    fn upload_bytes(&self, token: &Token, upload_id: &str) -> Result<Vec<u8>, ApiError>;
}
