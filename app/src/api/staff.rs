//! The endpoints staff (工作人员, on a tablet) and reviewers (审核人员) use.
//!
//! The staff endpoints: the people of the staff member's districts, doing a review on someone's behalf
//! (uploads, a liveness challenge for the PERSON — its evidence goes through
//! [`super::HttpClient::send_evidence`] with the staff token — and the assisted
//! submission), 现场确认/远程确认, deaths, reference photos and the district summary. Every write
//! carries the tablet's operation id as `Idempotency-Key`, so the offline queue may send it again.
//! A write that meets a person whose review moved on answers 409 `conflict` with a
//! [`shared::api::problem::Conflict`] in the problem body.
//!
//! The reviewer endpoints: the review queue of the reviewer's districts, a submission / confirmation /
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
