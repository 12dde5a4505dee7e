//! Real-name identity on the account platform (spec S1): 个人用户 registration and 我的信息
//! (`/api/v1/accounts/personal`, `/api/v1/me/identity`). Strings on the way in (the server
//! parses them with `shared::id` and `shared::identity`, collecting every field error); typed
//! values on the way out.

use serde::{Deserialize, Serialize};

use crate::id::{DocumentKind, Sex};
use crate::identity::{Ethnicity, IdentityRegion, RealNameSource, RealNameStatus};

/// `POST /api/v1/accounts/personal` → 201 [`PersonalRegisterResponse`]: an account for someone
/// outside the roster (a family member, unit staff, a newly discharged veteran).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalRegisterRequest {
    #[serde(default)]
    pub name: String,
    /// `mainland`, `hk_macao_taiwan` or `other` (类型).
    #[serde(default)]
    pub identity_region: String,
    /// A [`DocumentKind`] in snake case (`resident_id_card`, `foreign_passport`, …).
    #[serde(default)]
    pub document_kind: String,
    #[serde(default)]
    pub document_number: String,
    /// 身份证有效期始 (`YYYY-MM-DD`), required for a 居民身份证 only.
    #[serde(default)]
    pub id_valid_from: Option<String>,
    /// 身份证有效期止; `null` = 长期有效.
    #[serde(default)]
    pub id_valid_to: Option<String>,
    /// `male` / `female`; required only when the document does not encode it.
    #[serde(default)]
    pub sex: Option<String>,
    /// GB/T 3304 code (`"01"`) or name; optional.
    #[serde(default)]
    pub ethnicity: Option<String>,
    /// GB/T 2260 district code (所在地区).
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub sms_code: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub agree_terms: bool,
}

impl std::fmt::Debug for PersonalRegisterRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonalRegisterRequest")
            .field("identity_region", &self.identity_region)
            .field("document_kind", &self.document_kind)
            .finish_non_exhaustive()
    }
}

/// An account's real-name status as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameView {
    /// The status (with the reviewer's `reason` when it is `manual_failed`).
    #[serde(flatten)]
    pub status: RealNameStatus,
    /// The seed's wording, e.g. `国家平台实名认证通过`.
    pub label: String,
    pub verified: bool,
    /// Where a verified status came from; `None` while unverified.
    pub source: Option<RealNameSource>,
    /// RFC 3339: since when the status holds.
    pub since: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalRegisterResponse {
    pub user_id: String,
    pub real_name: RealNameView,
}

/// `GET /api/v1/me/identity` (我的信息 → 自然人用户信息管理): the caller's identity record,
/// masked where the screen does not need the full value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityView {
    /// e.g. `**松`.
    pub masked_name: String,
    pub sex: Option<Sex>,
    pub ethnicity: Option<Ethnicity>,
    pub birth_date: Option<String>,
    /// e.g. `133****1234`.
    pub masked_phone: String,
    pub identity_region: Option<IdentityRegion>,
    pub document_kind: Option<DocumentKind>,
    /// e.g. `110105********002X`.
    pub masked_document_number: Option<String>,
    pub id_valid_from: Option<String>,
    /// `None` with a start: 长期有效.
    pub id_valid_to: Option<String>,
    pub address: Option<String>,
    /// GB/T 2260 code of 所在地区 (a veteran's is the roster's).
    pub district: Option<String>,
    pub real_name: RealNameView,
    /// Fields the caller may not change here (a roster veteran's name and document:
    /// "如需修改,请前往就近的退役军人服务中心(站)办理").
    pub locked_fields: Vec<String>,
    /// Required identity fields are missing ("用户信息不全,请及时补充!").
    pub incomplete: bool,
}

/// `PUT /api/v1/me/identity` → 200 [`IdentityUpdateResponse`]: the fields to change (absent =
/// unchanged). Changing a field that triggers verification on a verified account needs
/// `confirm_reverify` (the seed's prompt "已实名认证,修改用户信息可能会重新进行实名认证,确认要修改吗?").
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub identity_region: Option<String>,
    #[serde(default)]
    pub document_kind: Option<String>,
    #[serde(default)]
    pub document_number: Option<String>,
    #[serde(default)]
    pub id_valid_from: Option<String>,
    /// `Some("")` = 长期有效.
    #[serde(default)]
    pub id_valid_to: Option<String>,
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub ethnicity: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub confirm_reverify: bool,
}

impl std::fmt::Debug for IdentityUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityUpdate")
            .field("confirm_reverify", &self.confirm_reverify)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityUpdateResponse {
    pub real_name: RealNameView,
    /// Whether verification ran again.
    pub reverified: bool,
    /// What the app shows, e.g. "实名认证失败,验证失败,请检查输入信息。自然人用户修改个人信息成功。".
    pub message: String,
}

// ---- 人工审核 (manual real-name review) ----------------------------------------------------

/// `POST /api/v1/me/identity/scans` (multipart `kind` + `file`) takes one of these: the signed
/// scans of the ID document (seed 003: "证件需签字上传"). JPEG or PNG, re-encoded like every
/// upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityScanKind {
    /// 证件正面
    Front,
    /// 证件反面
    Back,
}

impl IdentityScanKind {
    pub const ALL: [IdentityScanKind; 2] = [IdentityScanKind::Front, IdentityScanKind::Back];

    /// The multipart `kind` value.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityScanKind::Front => "front",
            IdentityScanKind::Back => "back",
        }
    }

    pub fn parse(s: &str) -> Option<IdentityScanKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind stored with the upload (distinct from the annual review's ID photos).
    pub fn upload_kind(self) -> &'static str {
        match self {
            IdentityScanKind::Front => "real_name_front",
            IdentityScanKind::Back => "real_name_back",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            IdentityScanKind::Front => "证件正面",
            IdentityScanKind::Back => "证件反面",
        }
    }
}

/// `POST /api/v1/me/identity/manual-review` → 201 [`ManualReviewCreated`]: 上传自然人信息, the
/// signed scans for a reviewer. New scans while one is pending replace it ("以最后上传的材料为准").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualReviewRequest {
    pub front_upload_id: String,
    pub back_upload_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualReviewCreated {
    pub request_id: String,
    pub real_name: RealNameView,
    /// e.g. "已提交人工审核,审核结果将以短信通知您。"
    pub message: String,
}

/// One waiting request in `GET /api/v1/real-name-reviews` (the reviewer's districts only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameRequestSummary {
    pub request_id: String,
    pub masked_name: String,
    pub document_kind: Option<DocumentKind>,
    pub district: Option<String>,
    pub submitted_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameRequestList {
    pub items: Vec<RealNameRequestSummary>,
}

/// `GET /api/v1/real-name-reviews/{id}`: what the reviewer compares with the scans, in full
/// (audited as `real_name_request_read`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameRequestDetail {
    pub request_id: String,
    pub name: String,
    pub identity_region: Option<IdentityRegion>,
    pub document_kind: Option<DocumentKind>,
    pub document_number: Option<String>,
    pub id_valid_from: Option<String>,
    pub id_valid_to: Option<String>,
    pub sex: Option<Sex>,
    pub district: Option<String>,
    pub front_upload_id: String,
    pub back_upload_id: String,
    pub submitted_at: String,
    /// `pending`, `approved`, `rejected`, or `superseded` (newer scans or an edit replaced it).
    pub state: String,
    pub reason: Option<String>,
}

/// `POST /api/v1/real-name-reviews/{id}/decision` takes the review's
/// [`DecisionRequest`](crate::api::review::DecisionRequest) (`approve`, or `reject` with a
/// reason) → 200 this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameDecisionResult {
    pub request_id: String,
    pub state: String,
}

// ---- 自然人申诉找回密码 (spec S2 b) ------------------------------------------------------------

/// `POST /api/v1/password-appeals` (multipart, no login: text parts `name`, `identity_region`,
/// `document_kind`, `document_number`, `contact_phone`, `sms_code`, `note` and files `front`,
/// `back`) → 202 this, whether or not an account matches (nothing tells who has one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordAppealAccepted {
    pub message: String,
}

/// The message of every accepted appeal.
pub const APPEAL_ACCEPTED: &str = "申诉已提交,请耐心等待审核,审核结果将以短信形式通知您。";

/// One waiting appeal in `GET /api/v1/password-appeals`: a reviewer sees those whose account is
/// in their districts, an admin those that match no account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordAppealSummary {
    pub appeal_id: String,
    pub masked_name: String,
    pub document_kind: DocumentKind,
    pub matched: bool,
    pub submitted_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordAppealList {
    pub items: Vec<PasswordAppealSummary>,
}

/// The account an appeal's document belongs to, masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealAccount {
    pub masked_name: String,
    pub masked_phone: String,
    pub real_name: String,
    pub created_at: String,
    /// Whether the typed name is the account's.
    pub name_matches: bool,
}

/// `GET /api/v1/password-appeals/{id}` (audited): what was typed, in full, the scans
/// (`GET /api/v1/password-appeals/{id}/scans/{front|back}`), and the matched account or `None`
/// (未找到对应账号).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordAppealDetail {
    pub appeal_id: String,
    pub name: String,
    pub identity_region: IdentityRegion,
    pub document_kind: DocumentKind,
    pub document_number: String,
    pub masked_contact_phone: String,
    pub note: Option<String>,
    pub account: Option<AppealAccount>,
    /// `pending`, `approved`, `used`, `rejected` or `superseded`.
    pub status: String,
    pub status_label: String,
    pub reason: Option<String>,
    pub submitted_at: String,
}

/// `POST /api/v1/password-appeals/{id}/decision` takes a
/// [`DecisionRequest`](crate::api::review::DecisionRequest) → 200 this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordAppealDecided {
    pub appeal_id: String,
    pub status: String,
}

/// `POST /api/v1/password-resets/appeal` → 204: the reset code of an approved appeal (sent to
/// its contact phone) sets a new password.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealResetRequest {
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub reset_code: String,
    #[serde(default)]
    pub new_password: String,
}
