//! Community and service-centre staff (工作人员) on a tablet, and what reviewers see of their
//! work (`/api/v1/staff/...`, `/api/v1/confirmations/...`, `/api/v1/death-records/...`,
//! `/api/v1/admin/staff/...`): request and response bodies.
//!
//! Every staff write carries an `Idempotency-Key` header (the tablet's operation id, kept in its
//! offline queue): the same key again returns the same answer and records nothing twice. A write
//! that meets a person whose review moved on meanwhile (submitted on their own phone, recorded
//! deceased) is answered 409 `conflict` with a [`crate::api::problem::Conflict`] in the problem
//! body, never applied over it.
//!
//! Times travel as RFC 3339 strings, days as `YYYY-MM-DD`, so a bad value is a field error.

use serde::{Deserialize, Serialize};

use crate::form::ReviewFormDraft;

/// `GET /api/v1/staff/people`: people in the caller's districts (names and ID numbers masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPeople {
    pub items: Vec<StaffPersonItem>,
    pub page: u32,
    pub per_page: u32,
    /// How many people match, over all pages.
    pub total: u64,
}

/// One person in the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPersonItem {
    pub person_id: String,
    pub masked_name: String,
    /// e.g. `110101********0011`.
    pub masked_id_number: String,
    pub category: String,
    pub category_label: String,
    pub district: String,
    /// `shared::lifecycle::StatusKind` of this year's review as it stands today.
    pub status: String,
    pub status_label: String,
    /// Last day of this year's window (`YYYY-MM-DD`).
    pub deadline: String,
    /// The residence address of the latest form (this year's draft, else last year's), for
    /// planning visits; `None` if unknown.
    pub address: Option<String>,
    /// Whether the person still owes this year's review.
    pub owing: bool,
    pub has_reference_photo: bool,
}

/// `GET /api/v1/staff/people/{id}`: one person, for doing their review on their behalf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPersonDetail {
    pub person_id: String,
    pub name: String,
    pub masked_id_number: String,
    pub category: String,
    pub category_label: String,
    pub district: String,
    pub year: i32,
    pub status: String,
    pub status_label: String,
    /// When the review's status last changed (RFC 3339); `None` if nothing happened this year.
    pub status_changed_at: Option<String>,
    pub opens: String,
    pub deadline: String,
    /// Last year's accepted form, for prefill; `None` if there is none.
    pub prefill: Option<ReviewFormDraft>,
    /// The server copy of this year's draft, if any.
    pub draft: Option<ReviewFormDraft>,
    pub has_reference_photo: bool,
    /// `YYYY-MM-DD` when the person is recorded as deceased.
    pub died_on: Option<String>,
    pub consequences: String,
}

/// How a staff confirmation was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationKind {
    /// 现场确认: the person in front of the staff member (at the centre, or at home).
    OnSite,
    /// 远程确认: by video or phone call, e.g. with relatives at the centre.
    Remote,
}

impl ConfirmationKind {
    pub const ALL: [ConfirmationKind; 2] = [ConfirmationKind::OnSite, ConfirmationKind::Remote];

    pub fn as_str(self) -> &'static str {
        match self {
            ConfirmationKind::OnSite => "on_site",
            ConfirmationKind::Remote => "remote",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ConfirmationKind::OnSite => "现场确认",
            ConfirmationKind::Remote => "远程确认",
        }
    }

    pub fn parse(s: &str) -> Option<ConfirmationKind> {
        ConfirmationKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The methods that fit this kind.
    pub fn methods(self) -> &'static [ConfirmationMethod] {
        match self {
            ConfirmationKind::OnSite => {
                &[ConfirmationMethod::AtCentre, ConfirmationMethod::HomeVisit]
            }
            ConfirmationKind::Remote => {
                &[ConfirmationMethod::VideoCall, ConfirmationMethod::PhoneCall]
            }
        }
    }

    /// Seed 001 (远程确认): "可能需要提供本人手持身份证及当日报刊(或手写日期)的免冠照片". A remote
    /// confirmation needs that photo; an on-site one may have it.
    pub fn photo_required(self) -> bool {
        matches!(self, ConfirmationKind::Remote)
    }
}

/// The means of a confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationMethod {
    /// 到服务中心(站)现场办理.
    AtCentre,
    /// 上门核验.
    HomeVisit,
    /// 微信视频等视频通话.
    VideoCall,
    /// 电话.
    PhoneCall,
}

impl ConfirmationMethod {
    pub const ALL: [ConfirmationMethod; 4] = [
        ConfirmationMethod::AtCentre,
        ConfirmationMethod::HomeVisit,
        ConfirmationMethod::VideoCall,
        ConfirmationMethod::PhoneCall,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConfirmationMethod::AtCentre => "at_centre",
            ConfirmationMethod::HomeVisit => "home_visit",
            ConfirmationMethod::VideoCall => "video_call",
            ConfirmationMethod::PhoneCall => "phone_call",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ConfirmationMethod::AtCentre => "服务中心(站)现场办理",
            ConfirmationMethod::HomeVisit => "上门核验",
            ConfirmationMethod::VideoCall => "视频通话",
            ConfirmationMethod::PhoneCall => "电话",
        }
    }

    pub fn parse(s: &str) -> Option<ConfirmationMethod> {
        ConfirmationMethod::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// `POST /api/v1/staff/people/{id}/confirmations` (header `Idempotency-Key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationRequest {
    /// `on_site` (现场确认) or `remote` (远程确认).
    pub kind: String,
    /// `at_centre` / `home_visit` (on site), `video_call` / `phone_call` (remote).
    pub method: String,
    /// When it happened (RFC 3339; may lie in the past when synced from an offline queue; not
    /// in the future, within this review year).
    pub confirmed_at: String,
    /// Who came or took part on the person's behalf (e.g. a relative at the centre), if anyone.
    #[serde(default)]
    pub delegate_name: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// An upload (`newspaper_photo`) of the person holding their ID card and today's newspaper;
    /// required for `remote`.
    #[serde(default)]
    pub photo_upload: Option<String>,
}

/// `POST /api/v1/staff/people/{id}/confirmations` → 201.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationRecorded {
    pub confirmation_id: String,
    pub person_id: String,
    /// The review's status afterwards (`submitted`: waiting for a reviewer).
    pub status: String,
    pub message: String,
}

/// `POST /api/v1/staff/people/{id}/death` (header `Idempotency-Key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeathRequest {
    /// `YYYY-MM-DD`, not in the future.
    pub died_on: String,
    /// An upload (`death_evidence`) of the evidence (e.g. 死亡证明).
    pub evidence_upload: String,
    #[serde(default)]
    pub notes: Option<String>,
}

/// `POST /api/v1/staff/people/{id}/death` → 201.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeathRecorded {
    pub death_record_id: String,
    pub person_id: String,
    /// Always `deceased`.
    pub status: String,
    /// Always `true`: a death stops the person's payment.
    pub payment_stopped: bool,
    pub message: String,
}

/// `POST /api/v1/admin/people/{id}/death/undo` (administrators only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoDeathRequest {
    pub reason: String,
}

/// `POST /api/v1/admin/people/{id}/death/undo` → 200.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeathUndone {
    pub person_id: String,
    pub death_record_id: String,
    /// The status restored (the one before the death was recorded).
    pub status: String,
}

/// `POST /api/v1/staff/people/{id}/reference-photo` (header `Idempotency-Key`): a reference
/// photo (基准照片) captured by staff for someone who has none, with the person's consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferencePhotoRequest {
    /// An upload (`reference_photo`) made by the caller for this person.
    pub upload_id: String,
    /// The person agreed to the photo being kept for face comparison; must be `true`.
    pub consent: bool,
}

/// `POST /api/v1/staff/people/{id}/reference-photo` → 201.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferencePhotoStored {
    pub person_id: String,
    pub has_reference_photo: bool,
}

/// `POST /api/v1/staff/people/{id}/liveness/challenges` (optional body; no body or `{}` is the
/// default). `offline: true` asks for a challenge that lives
/// [`OFFLINE_CHALLENGE_TTL_HOURS`] instead of two minutes: the tablet fetches one per person
/// while online, does the check at the person's home without a network, and sends the evidence
/// when it syncs. Only staff may ask for it; the veteran's own challenges always live two
/// minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StaffChallengeRequest {
    #[serde(default)]
    pub offline: bool,
}

/// How long an offline staff challenge lives (see [`StaffChallengeRequest`]): long enough for a
/// round of home visits over a weekend, short enough that an unused one does not linger.
pub const OFFLINE_CHALLENGE_TTL_HOURS: i64 = 72;

/// What a staff upload is for (the `kind` part of `POST /api/v1/staff/people/{id}/uploads`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffUploadKind {
    IdFront,
    IdBack,
    /// The person holding their ID card and today's newspaper.
    NewspaperPhoto,
    LivenessFrame,
    /// Evidence of a death (死亡证明 and the like).
    DeathEvidence,
    /// A new reference photo (基准照片).
    ReferencePhoto,
}

impl StaffUploadKind {
    pub const ALL: [StaffUploadKind; 6] = [
        StaffUploadKind::IdFront,
        StaffUploadKind::IdBack,
        StaffUploadKind::NewspaperPhoto,
        StaffUploadKind::LivenessFrame,
        StaffUploadKind::DeathEvidence,
        StaffUploadKind::ReferencePhoto,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StaffUploadKind::IdFront => "id_front",
            StaffUploadKind::IdBack => "id_back",
            StaffUploadKind::NewspaperPhoto => "newspaper_photo",
            StaffUploadKind::LivenessFrame => "liveness_frame",
            StaffUploadKind::DeathEvidence => "death_evidence",
            StaffUploadKind::ReferencePhoto => "reference_photo",
        }
    }

    pub fn parse(s: &str) -> Option<StaffUploadKind> {
        StaffUploadKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// `GET /api/v1/confirmations/{id}`: a staff confirmation as a reviewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationDetail {
    pub confirmation_id: String,
    pub person_id: String,
    pub masked_name: String,
    pub category: String,
    pub category_label: String,
    pub district: String,
    pub year: i32,
    pub kind: String,
    pub kind_label: String,
    pub method: String,
    pub method_label: String,
    pub confirmed_at: String,
    pub delegate_name: Option<String>,
    pub notes: Option<String>,
    /// `GET /api/v1/uploads/{id}` serves it to reviewers of the district.
    pub photo_upload: Option<String>,
    pub staff_id: String,
    pub staff_name: String,
    /// `submitted`, `approved` or `rejected`.
    pub status: String,
    pub recorded_at: String,
    pub decision_reason: Option<String>,
}

/// `GET /api/v1/death-records/{id}`: a death record as a reviewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeathRecordDetail {
    pub death_record_id: String,
    pub person_id: String,
    pub masked_name: String,
    pub category: String,
    pub category_label: String,
    pub district: String,
    pub year: i32,
    pub died_on: String,
    pub evidence_upload: String,
    pub notes: Option<String>,
    pub staff_id: String,
    pub staff_name: String,
    /// `submitted` (to be checked), `approved` (checked by a reviewer) or `undone` (withdrawn by
    /// an administrator).
    pub status: String,
    pub recorded_at: String,
    pub undo_reason: Option<String>,
}

/// `GET /api/v1/staff/summary`: counts per district for staff leads. Every person is counted
/// once, in the first bucket that applies: deceased, suspended, overdue, pending, reviewed,
/// owing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistrictSummary {
    pub year: i32,
    pub districts: Vec<DistrictCounts>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistrictCounts {
    pub district: String,
    /// The region's name, e.g. `北京市东城区`.
    pub district_name: String,
    pub total: u64,
    /// Approved this year.
    pub reviewed: u64,
    /// Submitted (or confirmed by staff), waiting for a reviewer.
    pub pending: u64,
    /// Not done yet, the window still open (including rejected ones to correct).
    pub owing: u64,
    /// The deadline passed, payment not stopped (yet).
    pub overdue: u64,
    /// Payment suspended or stopped for missing the review.
    pub suspended: u64,
    pub deceased: u64,
}

/// `PUT /api/v1/admin/staff/{user_id}/districts` (administrators only): the districts whose
/// people a staff member (or reviewer) works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetDistricts {
    /// GB/T 2260 codes, e.g. `110101`.
    pub districts: Vec<String>,
}

/// `PUT /api/v1/admin/staff/{user_id}/districts` → 200.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffDistricts {
    pub user_id: String,
    pub role: String,
    pub districts: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_methods_round_trip_and_fit() {
        for k in ConfirmationKind::ALL {
            assert_eq!(ConfirmationKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for m in ConfirmationMethod::ALL {
            assert_eq!(ConfirmationMethod::parse(m.as_str()), Some(m));
            // Every method belongs to exactly one kind.
            let owners = ConfirmationKind::ALL
                .iter()
                .filter(|k| k.methods().contains(&m))
                .count();
            assert_eq!(owners, 1, "{m:?}");
        }
        for k in StaffUploadKind::ALL {
            assert_eq!(StaffUploadKind::parse(k.as_str()), Some(k));
        }
        assert!(ConfirmationKind::Remote.photo_required());
        assert!(!ConfirmationKind::OnSite.photo_required());
        assert_eq!(ConfirmationKind::parse("video"), None);
    }
}
