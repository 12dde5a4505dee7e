//! 自然人申诉找回密码 (seed 003 §3.2; spec S2 b): someone who lost the bound phone and the
//! password appeals with signed ID scans and a contact phone; a reviewer of the account's
//! district (an administrator when the document matches no account) decides; an approval sends
//! a single-use reset code to the contact phone — never a password — which sets a new one.
//!
//! The appeal's answer is the same whether or not an account matches, so it cannot be used to
//! find out who has one.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::Rng;
use serde_json::json;
use shared::api::accounts::{Role, SmsPurpose};
use shared::api::identity::{
    AppealAccount, AppealResetRequest, PasswordAppealAccepted, PasswordAppealDecided,
    PasswordAppealDetail, PasswordAppealList, PasswordAppealSummary, APPEAL_ACCEPTED,
};
use shared::api::review::DecisionRequest;
use shared::error::{FieldError, UserError};
use shared::id::IdDocument;
use shared::identity::appeal::{
    AppealEvent, AppealStatus, APPEAL_WINDOW_SECS, MAX_APPEALS_PER_PHONE, RESET_CODE_TTL_SECS,
};
use shared::identity::check_document_kind;
use shared::lifecycle::{Reason, ReviewEvent};
use shared::name::PersonName;
use shared::password::PasswordPolicy;
use shared::phone::MobilePhone;

use crate::clock::rfc3339;
use crate::domain::{
    self, from_snake, mask_name, mask_phone, parse_document_kind, parse_identity_region, snake,
    Fields, SimpleError,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use crate::store::{AppealDecision, AppealRow, NewAppeal};
use crate::tokens;

/// Each scan at most 1 MiB (seed 003: "大小不超过1MB").
pub const MAX_SCAN_BYTES: usize = 1024 * 1024;
/// The appeal route's body limit: two scans and the text parts.
pub const APPEAL_BODY_LIMIT: usize = 2 * MAX_SCAN_BYTES + 16 * 1024;
/// The longest 申诉说明, in characters.
const MAX_NOTE_CHARS: usize = 200;
/// Reset codes: 8 characters of an alphabet without look-alikes (0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const CODE_LEN: usize = 8;

fn parse_note(s: &str) -> Result<Option<String>, SimpleError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > MAX_NOTE_CHARS {
        return Err(SimpleError {
            code: "note_too_long",
            message: "申诉说明不能超过200个字",
        });
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(SimpleError {
            code: "note_invalid_chars",
            message: "申诉说明中含有无法识别的字符",
        });
    }
    Ok(Some(s.to_owned()))
}

/// `POST /api/v1/password-appeals` → 202 [`APPEAL_ACCEPTED`] (no login). Every field is parsed
/// and reported at once; the SMS code proves the contact phone; at most
/// [`MAX_APPEALS_PER_PHONE`] appeals per contact phone a day (429); a newer appeal for the same
/// document replaces a waiting one.
pub async fn submit(
    State(st): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<PasswordAppealAccepted>)> {
    let form = crate::uploads::read_form(multipart, &["front", "back"], MAX_SCAN_BYTES).await?;
    let today = st.clock.today_cn();
    let mut f = Fields::new();
    let name = f.take("name", PersonName::parse(form.text("name")));
    let region = f.take(
        "identity_region",
        parse_identity_region(form.text("identity_region")),
    );
    let kind = f.take(
        "document_kind",
        parse_document_kind(form.text("document_kind")),
    );
    if let (Some(region), Some(kind)) = (region, kind) {
        f.take("document_kind", check_document_kind(region, kind));
    }
    let document = kind.and_then(|kind| {
        f.take(
            "document_number",
            IdDocument::parse(kind, form.text("document_number"), today),
        )
    });
    let phone = f.take(
        "contact_phone",
        MobilePhone::parse(form.text("contact_phone")),
    );
    let code = f.take("sms_code", domain::parse_sms_code(form.text("sms_code")));
    let note = f.take("note", parse_note(form.text("note")));
    if !form.files.contains_key("front") {
        f.push("front", "front_required", "请上传证件正面");
    }
    if !form.files.contains_key("back") {
        f.push("back", "back_required", "请上传证件反面");
    }
    f.finish()?;
    let (Some(name), Some(region), Some(document), Some(phone), Some(code), Some(note)) =
        (name, region, document, phone, code, note)
    else {
        return Err(ApiError::internal(
            "unreachable: fields parsed without error",
        ));
    };
    let now = st.clock.unix();
    let recent = st
        .store
        .appeals_from_phone_since(phone.as_str(), now - APPEAL_WINDOW_SECS)
        .await?;
    if recent >= MAX_APPEALS_PER_PHONE {
        return Err(ApiError::TooManyRequests {
            retry_after: u64::try_from(APPEAL_WINDOW_SECS).unwrap_or(86_400),
        });
    }
    if !st
        .store
        .take_sms_code(
            phone.as_str(),
            SmsPurpose::PasswordAppeal.as_str(),
            &code,
            now,
        )
        .await?
    {
        return Err(ApiError::sms_code_rejected());
    }
    // Both scans are images (re-encoded, metadata dropped) before anything is stored.
    let mut blobs = Vec::new();
    for side in ["front", "back"] {
        let Some(file) = form.files.get(side).cloned() else {
            return Err(ApiError::internal("unreachable: a scan checked above"));
        };
        blobs.push(crate::uploads::store_image(&st, file).await?.blob_key);
    }
    let kind_name = snake(&document.kind());
    let matched = st
        .store
        .user_by_document(&kind_name, document.as_str())
        .await?;
    let district = match &matched {
        Some(user_id) => st
            .store
            .identity_of(user_id)
            .await?
            .and_then(|row| row.roster_district.or(row.record.district)),
        None => None,
    };
    let id = tokens::new_id();
    let superseded = st
        .store
        .insert_appeal(&NewAppeal {
            id: &id,
            name: name.as_str(),
            identity_region: &snake(&region),
            document_kind: &kind_name,
            document_number: document.as_str(),
            contact_phone: phone.as_str(),
            note: note.as_deref(),
            matched_user_id: matched.as_deref(),
            district: district.as_deref(),
            front_blob: &blobs[0],
            back_blob: &blobs[1],
            now,
        })
        .await?;
    st.store
        .audit(
            "password_appeal_submitted",
            matched.as_deref(),
            &json!({"appeal_id": id, "matched": matched.is_some(), "superseded": superseded}),
            now,
        )
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(PasswordAppealAccepted {
            message: APPEAL_ACCEPTED.to_owned(),
        }),
    ))
}

/// An appeal the caller may see: a reviewer's of their districts, any for an administrator;
/// otherwise 404, as if it did not exist.
async fn visible_appeal(st: &AppState, user: &AuthUser, id: &str) -> ApiResult<AppealRow> {
    user.require(&[Role::Reviewer, Role::Admin])?;
    let row = if id.len() > 64 {
        None
    } else {
        st.store.appeal(id).await?
    };
    let row = row.ok_or(ApiError::NotFound)?;
    if user.role == Role::Admin {
        return Ok(row);
    }
    let districts = st.store.user_districts(&user.user_id).await?;
    match &row.district {
        Some(d) if districts.contains(d) => Ok(row),
        _ => Err(ApiError::NotFound),
    }
}

/// `GET /api/v1/password-appeals`: the waiting appeals of the reviewer's districts, or (for an
/// administrator) those matching no account; oldest first.
pub async fn list(
    State(st): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<PasswordAppealList>> {
    user.require(&[Role::Reviewer, Role::Admin])?;
    let reviewer = (user.role == Role::Reviewer).then_some(user.user_id.as_str());
    let rows = st.store.waiting_appeals(reviewer).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        items.push(PasswordAppealSummary {
            masked_name: mask_name(&r.name),
            document_kind: from_snake(&r.document_kind)
                .ok_or_else(|| ApiError::internal("stored document kind"))?,
            matched: r.matched_user_id.is_some(),
            submitted_at: rfc3339(r.created_at),
            appeal_id: r.id,
        });
    }
    Ok(Json(PasswordAppealList { items }))
}

fn status_of(row: &AppealRow) -> ApiResult<AppealStatus> {
    Ok(match row.status.as_str() {
        "pending" => AppealStatus::Pending,
        "approved" => AppealStatus::Approved,
        "used" => AppealStatus::Used,
        "superseded" => AppealStatus::Superseded,
        "rejected" => AppealStatus::Rejected {
            reason: Reason::parse(row.reason.as_deref().unwrap_or("-"))
                .map_err(|_| ApiError::internal("stored appeal reason"))?,
        },
        _ => return Err(ApiError::internal("stored appeal status")),
    })
}

/// `GET /api/v1/password-appeals/{id}` (audited `password_appeal_read`): what was typed, in
/// full, and the account the document belongs to, masked.
pub async fn detail(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<PasswordAppealDetail>> {
    let row = visible_appeal(&st, &user, &id).await?;
    let account = match &row.matched_user_id {
        Some(uid) => match st.store.identity_of(uid).await? {
            Some(i) => Some(AppealAccount {
                masked_name: mask_name(&i.record.name),
                masked_phone: mask_phone(&i.phone),
                real_name: i.status.label_zh().to_owned(),
                created_at: rfc3339(st.store.user_created_at(uid).await?.unwrap_or(0)),
                name_matches: i.record.name == row.name,
            }),
            None => None,
        },
        None => None,
    };
    st.store
        .audit(
            "password_appeal_read",
            Some(&user.user_id),
            &json!({"appeal_id": row.id}),
            st.clock.unix(),
        )
        .await?;
    let status = status_of(&row)?;
    Ok(Json(PasswordAppealDetail {
        name: row.name.clone(),
        identity_region: from_snake(&row.identity_region)
            .ok_or_else(|| ApiError::internal("stored identity region"))?,
        document_kind: from_snake(&row.document_kind)
            .ok_or_else(|| ApiError::internal("stored document kind"))?,
        document_number: row.document_number.clone(),
        masked_contact_phone: mask_phone(&row.contact_phone),
        note: row.note.clone(),
        account,
        status: status.name().to_owned(),
        status_label: status.label_zh().to_owned(),
        reason: row.reason.clone(),
        submitted_at: rfc3339(row.created_at),
        appeal_id: row.id,
    }))
}

/// `GET /api/v1/password-appeals/{id}/scans/{side}` (`front` | `back`): a scan, to whoever may
/// see the appeal.
pub async fn scan(
    State(st): State<AppState>,
    user: AuthUser,
    Path((id, side)): Path<(String, String)>,
) -> ApiResult<Response> {
    let row = visible_appeal(&st, &user, &id).await?;
    let key = match side.as_str() {
        "front" => &row.front_blob,
        "back" => &row.back_blob,
        _ => return Err(ApiError::NotFound),
    };
    let bytes = crate::uploads::read_blob(&st, key).await?;
    let content_type = if key.ends_with(".png") {
        "image/png"
    } else {
        "image/jpeg"
    };
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

fn new_reset_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// `POST /api/v1/password-appeals/{id}/decision` `{decision, reason}` → 200. Approve (only when
/// the document has an account: else 409 `no_matching_account`): a reset code valid 24 h goes
/// to the contact phone. Reject: the reason goes there. Decided or superseded: 409
/// `illegal_transition`.
pub async fn decide(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> ApiResult<Json<PasswordAppealDecided>> {
    user.require(&[Role::Reviewer, Role::Admin])?;
    let event = match crate::domain::parse_decision(&req)? {
        ReviewEvent::Reject { reason } => AppealEvent::Reject { reason },
        _ => AppealEvent::Approve,
    };
    let row = visible_appeal(&st, &user, &id).await?;
    let next = status_of(&row)?
        .apply(event)
        .map_err(|e| ApiError::rule(StatusCode::CONFLICT, e.code(), e.message()))?;
    if next == AppealStatus::Approved && row.matched_user_id.is_none() {
        return Err(ApiError::rule(
            StatusCode::CONFLICT,
            "no_matching_account",
            "未找到对应账号,不能通过该申诉",
        ));
    }
    let now = st.clock.unix();
    let code = (next == AppealStatus::Approved).then(new_reset_code);
    let code_hash = code.as_deref().map(tokens::hash_token);
    let reason = next_reason(&next);
    let done = st
        .store
        .decide_appeal(&AppealDecision {
            id: &row.id,
            status: next.name(),
            reason: reason.as_deref(),
            reset_code_hash: code_hash.as_deref(),
            expires_at: code.as_ref().map(|_| now + RESET_CODE_TTL_SECS),
            decided_by: &user.user_id,
            now,
        })
        .await?;
    if !done {
        return Err(ApiError::rule(
            StatusCode::CONFLICT,
            "illegal_transition",
            "该申诉已处理或已被新的申诉替代,请刷新后查看",
        ));
    }
    st.store
        .audit(
            "password_appeal_decided",
            Some(&user.user_id),
            &json!({"appeal_id": row.id, "decision": next.name()}),
            now,
        )
        .await?;
    let text = match (&code, &reason) {
        (Some(code), _) => {
            format!("【战友】您的密码申诉已通过,请在24小时内使用重置码{code}重置密码。")
        }
        (None, Some(reason)) => format!(
            "【战友】您的密码申诉未通过,原因:{reason}。如有疑问请前往就近的退役军人服务中心(站)。"
        ),
        (None, None) => String::new(),
    };
    if !text.is_empty() {
        if let Err(e) = st.sms.send(&row.contact_phone, &text).await {
            tracing::warn!(error = %e, "appeal decision SMS not sent");
        }
    }
    Ok(Json(PasswordAppealDecided {
        appeal_id: row.id,
        status: next.name().to_owned(),
    }))
}

fn next_reason(s: &AppealStatus) -> Option<String> {
    match s {
        AppealStatus::Rejected { reason } => Some(reason.as_str().to_owned()),
        _ => None,
    }
}

fn parse_reset_code(s: &str) -> Result<String, SimpleError> {
    let s = s.trim().to_ascii_uppercase();
    if s.is_empty() {
        return Err(SimpleError {
            code: "reset_code_empty",
            message: "请输入重置码",
        });
    }
    if s.len() != CODE_LEN || !s.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return Err(SimpleError {
            code: "reset_code_invalid",
            message: "重置码错误或已失效",
        });
    }
    Ok(s)
}

/// `POST /api/v1/password-resets/appeal` `{phone, reset_code, new_password}` → 204: every
/// session of the account ends; the code is used up. A wrong, used or expired code: 422
/// `reset_code_invalid` (one answer for all three); wrong codes count towards the same lock as
/// failed logins, per contact phone.
pub async fn reset(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<AppealResetRequest>,
) -> ApiResult<StatusCode> {
    let mut f = Fields::new();
    let phone = f.take("phone", MobilePhone::parse(&req.phone));
    let code = f.take("reset_code", parse_reset_code(&req.reset_code));
    let password = f.take(
        "new_password",
        PasswordPolicy::Platform.parse(&req.new_password),
    );
    f.finish()?;
    let (Some(phone), Some(code), Some(password)) = (phone, code, password) else {
        return Err(ApiError::internal("unreachable"));
    };
    let now = st.clock.unix();
    let key = format!("appeal:{}", tokens::hash_token(phone.as_str()));
    if let Some(until) = st.store.locked_until(&key, now).await? {
        return Err(ApiError::AccountLocked { until });
    }
    let hash = st.passwords.hash(password.expose()).await?;
    let done = st
        .store
        .reset_by_appeal(phone.as_str(), &tokens::hash_token(&code), &hash, now)
        .await?;
    let Some((appeal_id, user_id)) = done else {
        st.store.record_failure(&key, now).await?;
        return Err(ApiError::Invalid(vec![FieldError::new(
            "reset_code",
            "reset_code_invalid",
            "重置码错误或已失效",
        )]));
    };
    st.store.clear_failures(&key).await?;
    st.store.clear_failures(&format!("user:{user_id}")).await?;
    st.store
        .audit(
            "password_reset_by_appeal",
            Some(&user_id),
            &json!({"appeal_id": appeal_id}),
            now,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
