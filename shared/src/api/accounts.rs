//! Accounts and login: the request and response bodies of `/api/v1/sms-codes`, `/accounts`,
//! `/captchas`, `/sessions`, `/password-resets` and `/me`.
//!
//! Requests carry raw strings, as typed by the user: the server parses each one with the domain
//! types of this crate and reports every field error at once. A missing string field reads as
//! empty (`#[serde(default)]`), so it gets the field's own "please enter …" error rather than a
//! generic decoding failure.

use serde::{Deserialize, Serialize};

/// Why an SMS code is requested. Each code is good only for its purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsPurpose {
    Register,
    Login,
    ResetPassword,
    ChangePhone,
    /// 自然人申诉找回密码: proves the appeal's contact phone is reachable.
    PasswordAppeal,
}

impl SmsPurpose {
    pub const ALL: [SmsPurpose; 5] = [
        SmsPurpose::Register,
        SmsPurpose::Login,
        SmsPurpose::ResetPassword,
        SmsPurpose::ChangePhone,
        SmsPurpose::PasswordAppeal,
    ];

    /// The wire name, e.g. `reset_password`.
    pub fn as_str(self) -> &'static str {
        match self {
            SmsPurpose::Register => "register",
            SmsPurpose::Login => "login",
            SmsPurpose::ResetPassword => "reset_password",
            SmsPurpose::ChangePhone => "change_phone",
            SmsPurpose::PasswordAppeal => "password_appeal",
        }
    }

    /// Parses a wire name; `None` for anything else.
    pub fn from_wire(s: &str) -> Option<SmsPurpose> {
        SmsPurpose::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// `POST /api/v1/sms-codes` → 202.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsCodeRequest {
    #[serde(default)]
    pub phone: String,
    /// `register`, `login`, `reset_password`, `change_phone` or `password_appeal`.
    #[serde(default)]
    pub purpose: String,
}

/// `POST /api/v1/accounts` → 201 [`RegisterResponse`].
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    /// 身份证有效期始, `YYYY-MM-DD`.
    #[serde(default)]
    pub id_valid_from: String,
    /// 身份证有效期止, `YYYY-MM-DD`; `null` = 长期有效.
    #[serde(default)]
    pub id_valid_to: Option<String>,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub sms_code: String,
    #[serde(default)]
    pub password: String,
    /// 我已阅读并同意《个人注册协议》.
    #[serde(default)]
    pub agree_terms: bool,
}

impl std::fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterRequest")
            .field("agree_terms", &self.agree_terms)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterResponse {
    pub user_id: String,
}

/// `GET /api/v1/captchas`: a slider captcha. The user drags the piece horizontally into the notch
/// of the background; the answer is the piece's x offset in background pixels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captcha {
    pub id: String,
    /// Base64 (standard alphabet) PNG of the background with the notch.
    pub background_png: String,
    /// Base64 PNG of the piece (transparent outside its outline).
    pub piece_png: String,
    /// Where the piece sits vertically (its top edge, in background pixels).
    pub piece_y: u32,
    /// Background size in pixels.
    pub width: u32,
    pub height: u32,
    /// RFC 3339 time after which the captcha is no longer accepted.
    pub expires_at: String,
}

/// The user's answer to a [`Captcha`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptchaAnswer {
    #[serde(default)]
    pub id: String,
    /// The piece's x offset where the user released it.
    #[serde(default)]
    pub x: i64,
}

/// `POST /api/v1/sessions`: `login` is the mobile number or the ID number.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub captcha: Option<CaptchaAnswer>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("captcha", &self.captcha)
            .finish_non_exhaustive()
    }
}

/// `POST /api/v1/sessions/sms`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsLoginRequest {
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub sms_code: String,
}

impl std::fmt::Debug for SmsLoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmsLoginRequest { .. }")
    }
}

/// The role of an account. Staff and reviewers are scoped to districts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 服务对象: a veteran or pensioner in the roster.
    Veteran,
    /// 社区/服务站工作人员.
    Staff,
    /// 退役军人事务部门审核人员.
    Reviewer,
    Admin,
    /// 个人用户: a natural person outside the roster (a family member, unit staff, a newly
    /// discharged veteran). Has no annual review.
    Person,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Veteran => "veteran",
            Role::Staff => "staff",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
            Role::Person => "person",
        }
    }

    pub fn from_wire(s: &str) -> Option<Role> {
        [
            Role::Veteran,
            Role::Staff,
            Role::Reviewer,
            Role::Admin,
            Role::Person,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Veteran => "服务对象",
            Role::Staff => "工作人员",
            Role::Reviewer => "审核人员",
            Role::Admin => "管理员",
            Role::Person => "个人用户",
        }
    }
}

/// 200 from both login endpoints.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionResponse {
    /// Bearer token for `Authorization: Bearer …`.
    pub token: String,
    /// RFC 3339.
    pub expires_at: String,
    pub user: SessionUser,
}

impl std::fmt::Debug for SessionResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionResponse")
            .field("token", &"***")
            .field("expires_at", &self.expires_at)
            .field("user", &self.user)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: String,
    pub role: Role,
    /// e.g. `**松`.
    pub masked_name: String,
}

/// `POST /api/v1/password-resets` → 204.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetRequest {
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub sms_code: String,
    #[serde(default)]
    pub new_password: String,
}

impl std::fmt::Debug for PasswordResetRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordResetRequest { .. }")
    }
}

/// `PUT /api/v1/me/phone` → 204.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePhoneRequest {
    #[serde(default)]
    pub new_phone: String,
    #[serde(default)]
    pub sms_code: String,
}

impl std::fmt::Debug for ChangePhoneRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePhoneRequest { .. }")
    }
}

/// A GB/T 2260 district, with its full name (`北京市/东城区`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct District {
    pub code: String,
    pub name: String,
}

/// `GET /api/v1/me`: the caller's own profile, with personal data masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub id: String,
    pub role: Role,
    /// e.g. `**松`.
    pub masked_name: String,
    /// e.g. `110101********123X`; `None` for accounts without an ID number.
    pub masked_id_number: Option<String>,
    /// e.g. `133****1234`.
    pub masked_phone: String,
    /// Category of a veteran (`military_retiree`, …); `None` for staff.
    pub category: Option<String>,
    /// Its Chinese label, e.g. `自主择业军转干部`.
    pub category_label: Option<String>,
    /// A veteran's district (from the roster); the districts a staff member or reviewer serves.
    pub districts: Vec<District>,
}

/// `GET /api/v1/dev/sms-outbox?phone=` (demo mode only): messages sent to a phone, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub phone: String,
    pub text: String,
    /// The code in the message, for tests and testers.
    pub code: Option<String>,
    pub sent_at: String,
}

/// `GET /api/v1/dev/captchas/{id}` (demo mode only): the answer to a captcha.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptchaSolution {
    pub id: String,
    pub x: i64,
}

/// One security event of the audit log (`GET /api/v1/audit-log`, admins only). Never holds
/// secrets: no passwords, codes, tokens, full ID numbers or phones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub event: String,
    pub user_id: Option<String>,
    pub detail: std::collections::BTreeMap<String, String>,
}

impl From<Role> for crate::lifecycle::Actor {
    /// The account's role as the one acting on a review.
    fn from(role: Role) -> Self {
        match role {
            // A 个人用户 has no review of their own; on a review they could only ever act as the
            // person it belongs to (the routes check that it is theirs: they have none).
            Role::Veteran | Role::Person => crate::lifecycle::Actor::Veteran,
            Role::Staff => crate::lifecycle::Actor::Staff,
            Role::Reviewer => crate::lifecycle::Actor::Reviewer,
            Role::Admin => crate::lifecycle::Actor::Admin,
        }
    }
}

// ---- staff, reviewer and admin accounts (created by an administrator) ----------------------

/// `POST /api/v1/admin/accounts` → 201 [`StaffAccountCreated`]: a 工作人员, 审核员 or 管理员
/// account. It has no password: the holder sets one with 忘记密码 (an SMS code to this phone),
/// so no password ever passes through the administrator.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateStaffAccount {
    /// `staff`, `reviewer` or `admin`.
    pub role: String,
    pub name: String,
    pub phone: String,
    /// The holder's 居民身份证号, optional (they may then also log in with it).
    #[serde(default)]
    pub id_number: Option<String>,
    /// The districts a staff member or reviewer works on (none for an admin).
    #[serde(default)]
    pub districts: Vec<String>,
}

impl std::fmt::Debug for CreateStaffAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateStaffAccount")
            .field("role", &self.role)
            .field("districts", &self.districts)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccountCreated {
    pub user_id: String,
    pub role: Role,
    /// What the administrator tells the holder.
    pub message: String,
}

/// `PUT /api/v1/admin/accounts/{user_id}/status` → 200 [`StaffAccountView`]: 停用 (every
/// session ends; logging in is refused with `account_disabled`) or 启用 again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccountStatus {
    pub disabled: bool,
}

/// One account in `GET /api/v1/admin/accounts` (staff, reviewers, admins), masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccountView {
    pub user_id: String,
    pub role: Role,
    pub role_label: String,
    pub masked_name: String,
    pub masked_phone: String,
    pub districts: Vec<String>,
    pub disabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccountList {
    pub items: Vec<StaffAccountView>,
}
