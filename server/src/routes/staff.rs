//! Community and service-centre staff (工作人员) on a tablet (issue 8), and what reviewers and
//! administrators do with their work.
//!
//! - Staff see and act only on people whose roster district is one of theirs
//!   (`user_districts`, set by an administrator: `PUT /api/v1/admin/staff/{id}/districts`). A
//!   person outside them is 404, exactly like one that does not exist, for every read and write.
//! - Every read of a person's data and every write is in the audit log (ids only).
//! - Every write takes an `Idempotency-Key` (the tablet's operation id from its offline queue) and
//!   is stored in one transaction with its answer (`staff_operations`): the same key again gets
//!   the same answer and records nothing. A key reused for another operation or person is 422
//!   `idempotency_key_reused`.
//! - A write the person's review has moved past (they submitted on their own phone, were
//!   confirmed by someone else, were recorded deceased) is 409 `conflict`, with the status and
//!   since when in the problem body; nothing is overwritten.
//! - Every status change goes through `shared::lifecycle` as `Actor::Staff` (`Submit` for a
//!   confirmation or an assisted submission, `RecordDeath`), `Actor::Reviewer` or
//!   `Actor::Admin` (`UndoDeath`, with a reason).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Datelike, NaiveDate};
use serde::Deserialize;
use shared::api::accounts::Role;
use shared::api::problem::Conflict;
use shared::api::review::{
    ChallengeIssued, DecisionRequest, DecisionResult, SubmissionAccepted, SubmissionRequest,
    UploadCreated, SUBMITTED_MESSAGE,
};
use shared::api::staff::{
    ConfirmationDetail, ConfirmationKind, ConfirmationMethod, ConfirmationRecorded,
    ConfirmationRequest, DeathRecordDetail, DeathRecorded, DeathRequest, DeathUndone,
    DistrictCounts, DistrictSummary, ReferencePhotoRequest, ReferencePhotoStored, SetDistricts,
    StaffChallengeRequest, StaffDistricts, StaffPeople, StaffPersonDetail, StaffPersonItem,
    StaffUploadKind, UndoDeathRequest, OFFLINE_CHALLENGE_TTL_HOURS,
};
use shared::category::Category;
use shared::form::ReviewFormDraft;
use shared::lifecycle::{Actor, EventKind, Reason, ReviewEvent, ReviewStatus, StatusKind};
use shared::liveness::{Action, Challenge, ChallengeId};
use shared::{FieldError, UserError};

use crate::clock::rfc3339;
use crate::domain::{mask_id_number, mask_name, Fields};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, AuthUser};
use crate::state::AppState;
use crate::store::{
    NewAssisted, NewChallenge, NewConfirmation, NewDeath, NewReferencePhoto, StaffPersonRow,
    StaffRecord, StaffWrite, WriteOutcome,
};
use crate::tokens;
use crate::yearly::{self, YearRules};

/// Longest operation id (`Idempotency-Key`).
const MAX_OPERATION_KEY: usize = 128;
/// Largest page of the staff list.
pub const MAX_PER_PAGE: u32 = 200;
/// A confirmation may be dated this far ahead of the server's clock (tablet clocks drift).
const CLOCK_SKEW_SECS: i64 = 5 * 60;
/// Longest free text (notes), in characters.
const MAX_NOTES: usize = 500;
/// Longest delegate name, in characters.
const MAX_DELEGATE: usize = 50;
/// Longest search string, in characters.
const MAX_QUERY: usize = 50;

/// Staff image decodes running at once (the veteran's upload route has its own cap).
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

// ---- shared pieces ----------------------------------------------------------------------------

/// This year's rules for every category, and today.
struct Year {
    year: i32,
    today: NaiveDate,
    rules: Vec<YearRules>,
}

async fn this_year(st: &AppState) -> ApiResult<Year> {
    let today = st.clock.today_cn();
    let year = today.year();
    let rules = yearly::all_rules(&st.store, year).await?;
    Ok(Year { year, today, rules })
}

impl Year {
    fn rules(&self, category: Category) -> ApiResult<&YearRules> {
        self.rules
            .iter()
            .find(|r| r.category == category)
            .ok_or_else(|| ApiError::internal("no rules for a category"))
    }
}

/// A person with their review as it stands today.
struct PersonView {
    row: StaffPersonRow,
    category: Category,
    /// The stored status (`NotStarted` without a row), and its JSON for compare-and-set.
    stored_json: String,
    /// As it stands today (overdue once the window closed without a submission).
    status: ReviewStatus,
    opens: NaiveDate,
    deadline: NaiveDate,
}

fn parse_status(json: Option<&str>) -> ApiResult<ReviewStatus> {
    match json {
        Some(s) => {
            serde_json::from_str(s).map_err(|e| ApiError::internal(format!("stored status: {e}")))
        }
        None => Ok(ReviewStatus::NotStarted),
    }
}

fn status_json(status: &ReviewStatus) -> ApiResult<String> {
    serde_json::to_string(status).map_err(ApiError::internal)
}

fn view(row: StaffPersonRow, year: &Year) -> ApiResult<PersonView> {
    let category = Category::parse(&row.category)
        .map_err(|_| ApiError::internal("unknown category in the roster"))?;
    let rules = year.rules(category)?;
    let stored = parse_status(row.status.as_deref())?;
    let stored_json = match &row.status {
        Some(s) => s.clone(),
        None => status_json(&stored)?,
    };
    let status = yearly::effective_status(&stored, &rules.window, year.today);
    Ok(PersonView {
        category,
        stored_json,
        status,
        opens: rules.window.opens(),
        deadline: rules.window.deadline(),
        row,
    })
}

/// The caller (staff) and one person of their districts; anything else is 404.
async fn scoped_person(
    st: &AppState,
    user: &AuthUser,
    person_id: &str,
) -> ApiResult<(PersonView, Year)> {
    user.require(&[Role::Staff])?;
    let year = this_year(st).await?;
    let row = st
        .store
        .staff_person(Some(&user.user_id), person_id, i64::from(year.year))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((view(row, &year)?, year))
}

#[derive(Deserialize)]
struct LastReview {
    form: ReviewFormDraft,
}

fn last_year_form(last_review: Option<&str>) -> Option<ReviewFormDraft> {
    serde_json::from_str::<LastReview>(last_review?)
        .ok()
        .map(|l| l.form)
}

fn draft_form(draft: Option<&str>) -> Option<ReviewFormDraft> {
    serde_json::from_str(draft?).ok()
}

/// The `Idempotency-Key` header: 1–128 visible ASCII characters.
fn operation_key(headers: &HeaderMap) -> ApiResult<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| {
            !k.is_empty() && k.len() <= MAX_OPERATION_KEY && k.bytes().all(|b| b.is_ascii_graphic())
        })
        .map(str::to_owned)
        .ok_or(ApiError::IdempotencyKeyMissing)
}

fn created_json(body: String) -> Response {
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// The stored answer if `key` was used: the same answer for the same operation on the same
/// person, 422 `idempotency_key_reused` for anything else.
async fn replay(
    st: &AppState,
    user: &AuthUser,
    key: &str,
    operation: &str,
    person_id: &str,
) -> ApiResult<Option<Response>> {
    st.store
        .staff_op(&user.user_id, key)
        .await?
        .map(|op| replayed(op, operation, person_id))
        .transpose()
}

/// A stored operation's answer, if it was the same operation on the same person; 422
/// `idempotency_key_reused` otherwise.
fn replayed(op: crate::store::StaffOpRow, operation: &str, person_id: &str) -> ApiResult<Response> {
    if op.operation == operation && op.person_id == person_id {
        Ok(created_json(op.response))
    } else {
        Err(ApiError::field(
            "Idempotency-Key",
            "idempotency_key_reused",
            "该操作编号已用于其他操作,请重新生成后提交",
        ))
    }
}

/// 409 `conflict`: what the person's review is now, and since when.
fn conflict(v: &PersonView, detail: Option<&str>) -> ApiError {
    let since = v.row.status_changed_at.map(rfc3339);
    let when = v
        .row
        .status_changed_at
        .and_then(|t| DateTime::from_timestamp(t + 8 * 3600, 0))
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    let detail = detail
        .map(str::to_owned)
        .unwrap_or_else(|| match &v.status {
            ReviewStatus::Submitted | ReviewStatus::Resubmitted => {
                format!("该人员本年度年审已于{when}提交,正在等待审核,无需重复办理")
            }
            ReviewStatus::SpecialCheckPending => {
                format!("该人员已于{when}提交特殊人群核验,正在等待审核,无需重复办理")
            }
            ReviewStatus::Approved => format!("该人员本年度年审已于{when}审核通过,无需重复办理"),
            ReviewStatus::Deceased { died_on, .. } => {
                format!("该人员已登记死亡(死亡日期{died_on}),不能再办理年审")
            }
            other => format!("该人员的年审状态已变为「{}」", other.label_zh()),
        });
    ApiError::Conflict(Conflict {
        status: v.status.kind().as_str().to_owned(),
        status_label: v.status.label_zh().to_owned(),
        since,
        detail,
    })
}

/// Optional free text: trimmed, `None` when blank, at most `max` characters, no control
/// characters but line breaks.
fn optional_text(
    fields: &mut Fields,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let s = value.map(str::trim).filter(|s| !s.is_empty())?;
    if s.chars().count() > max {
        fields.push(field, "text_too_long", &format!("不能超过{max}个字"));
        return None;
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        fields.push(field, "text_invalid_chars", "含有无法识别的字符");
        return None;
    }
    Some(s.to_owned())
}

/// Whether `upload_id` is an upload the caller made for this person, of `kind`. Another's, a
/// missing one, or one for another person get the same answer.
async fn check_staff_upload(
    st: &AppState,
    fields: &mut Fields,
    user: &AuthUser,
    person_id: &str,
    field: &str,
    upload_id: &str,
    kinds: &[StaffUploadKind],
) -> ApiResult<bool> {
    match st.store.staff_upload(upload_id).await? {
        Some(u) if u.user_id == user.user_id && u.for_person_id.as_deref() == Some(person_id) => {
            if kinds.iter().any(|k| k.as_str() == u.kind) {
                Ok(true)
            } else {
                fields.push(field, "upload_wrong_kind", "上传的图片类型不对,请重新上传");
                Ok(false)
            }
        }
        _ => {
            fields.push(field, "upload_not_found", "图片不存在或已失效,请重新上传");
            Ok(false)
        }
    }
}

async fn audit(
    st: &AppState,
    event: &str,
    user: &AuthUser,
    detail: serde_json::Value,
) -> ApiResult<()> {
    st.store
        .audit(event, Some(&user.user_id), &detail, st.clock.unix())
        .await?;
    Ok(())
}

/// Runs a prepared write and answers it: 201 with the answer, the stored answer on a replay,
/// 409 `conflict` if the review moved meanwhile (re-read to say what it is now).
async fn finish_write(
    st: &AppState,
    user: &AuthUser,
    w: &StaffWrite<'_>,
) -> ApiResult<Result<Response, WriteOutcome>> {
    match st.store.staff_write(w).await? {
        WriteOutcome::Created(answer) => Ok(Ok(created_json(answer))),
        WriteOutcome::Replayed(op) => replayed(op, w.record.operation(), w.person_id).map(Ok),
        WriteOutcome::StatusChanged => {
            let (v, _) = scoped_person(st, user, w.person_id).await?;
            Err(conflict(&v, None))
        }
        other => Ok(Err(other)),
    }
}

/// Runs a prepared write whose only outcomes are created, replayed or a conflict (a
/// confirmation, a death, a reference photo), then audits it.
async fn write_and_audit(
    st: &AppState,
    user: &AuthUser,
    w: &StaffWrite<'_>,
    event: &str,
    detail: serde_json::Value,
) -> ApiResult<Response> {
    let r = finish_write(st, user, w)
        .await?
        .map_err(|_| ApiError::internal("unexpected write outcome"))?;
    audit(st, event, user, detail).await?;
    Ok(r)
}

/// Whether a recorded death stops the person's payments, and from when: a `Deceased` review
/// stops payment on the day of death, whatever the category's yearly rule says (核减退出).
/// `None` for any other status.
pub fn payment_stopped_by_death(status: &ReviewStatus) -> Option<NaiveDate> {
    match status {
        ReviewStatus::Deceased { died_on, .. } => Some(*died_on),
        _ => None,
    }
}

// ---- the staff list and one person -------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct PeopleQuery {
    owing: Option<String>,
    sort: Option<String>,
    q: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

/// How the staff list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    /// Earliest deadline first (then district, person).
    Deadline,
    /// By residence address (unknown last), for planning visits.
    Address,
}

/// Whether a person matches the search: part of the full name, or part of the masked ID number
/// as the list shows it (e.g. its last four characters).
fn matches_query(q: &str, name: &str, masked_id: &str) -> bool {
    let q_upper = q.to_uppercase();
    name.contains(q) || masked_id.contains(&q_upper)
}

/// `GET /api/v1/staff/people?owing=true&sort=deadline|address&q=&page=&per_page=`: the people of
/// the caller's districts (by default only those who still owe this year's review), names and
/// ID numbers masked. Audited.
pub async fn people(
    State(st): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<PeopleQuery>,
) -> ApiResult<Json<StaffPeople>> {
    user.require(&[Role::Staff])?;
    let mut fields = Fields::new();
    let owing_only = match q.owing.as_deref().map(str::trim) {
        None | Some("") | Some("true") => true,
        Some("false") => false,
        Some(_) => {
            fields.push("owing", "owing_invalid", "owing应为true或false");
            true
        }
    };
    let sort = match q.sort.as_deref().map(str::trim) {
        None | Some("") | Some("deadline") => Sort::Deadline,
        Some("address") => Sort::Address,
        Some(_) => {
            fields.push(
                "sort",
                "sort_invalid",
                "排序方式应为deadline(截止日期)或address(地址)",
            );
            Sort::Deadline
        }
    };
    let query = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if query.is_some_and(|s| s.chars().count() > MAX_QUERY) {
        fields.push(
            "q",
            "text_too_long",
            &format!("搜索内容不能超过{MAX_QUERY}个字"),
        );
    }
    let page = q.page.unwrap_or(1);
    if page == 0 {
        fields.push("page", "page_invalid", "页码应从1开始");
    }
    let per_page = q.per_page.unwrap_or(50);
    if per_page == 0 || per_page > MAX_PER_PAGE {
        fields.push("per_page", "per_page_invalid", "每页条数应为1到200");
    }
    fields.finish()?;

    let year = this_year(&st).await?;
    let rows = st
        .store
        .staff_people(&user.user_id, i64::from(year.year))
        .await?;
    let mut items = Vec::new();
    for row in rows {
        let v = view(row, &year)?;
        let masked_id = mask_id_number(&v.row.id_number, year.today);
        if let Some(q) = query {
            if !matches_query(q, &v.row.name, &masked_id) {
                continue;
            }
        }
        let owing = v.status.editable();
        if owing_only && !owing {
            continue;
        }
        let address = draft_form(v.row.draft.as_deref())
            .and_then(|d| d.basic.residence_address)
            .or_else(|| {
                last_year_form(v.row.last_review.as_deref()).and_then(|f| f.basic.residence_address)
            });
        items.push(StaffPersonItem {
            person_id: v.row.person_id.clone(),
            masked_name: mask_name(&v.row.name),
            masked_id_number: masked_id,
            category: v.category.as_str().to_owned(),
            category_label: v.category.label_zh().to_owned(),
            district: v.row.district.clone(),
            status: v.status.kind().as_str().to_owned(),
            status_label: v.status.label_zh().to_owned(),
            deadline: v.deadline.to_string(),
            address,
            owing,
            has_reference_photo: v.row.reference_photo.is_some(),
        });
    }
    match sort {
        Sort::Deadline => items.sort_by(|a, b| {
            (&a.deadline, &a.district, &a.person_id).cmp(&(&b.deadline, &b.district, &b.person_id))
        }),
        Sort::Address => items.sort_by(|a, b| {
            // Unknown addresses last.
            (a.address.is_none(), &a.address, &a.person_id).cmp(&(
                b.address.is_none(),
                &b.address,
                &b.person_id,
            ))
        }),
    }
    let total = items.len() as u64;
    let start = (page as usize - 1).saturating_mul(per_page as usize);
    let items: Vec<_> = items
        .into_iter()
        .skip(start)
        .take(per_page as usize)
        .collect();
    audit(
        &st,
        "staff_people_read",
        &user,
        serde_json::json!({
            "owing": owing_only, "sort": if sort == Sort::Address { "address" } else { "deadline" },
            "searched": query.is_some(), "page": page, "count": items.len(),
        }),
    )
    .await?;
    Ok(Json(StaffPeople {
        items,
        page,
        per_page,
        total,
    }))
}

/// `GET /api/v1/staff/people/{id}`: one person of the caller's districts, with last year's form
/// for prefill, this year's draft and review status. Audited.
pub async fn person(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<StaffPersonDetail>> {
    let (v, year) = scoped_person(&st, &user, &id).await?;
    audit(
        &st,
        "staff_person_read",
        &user,
        serde_json::json!({"person_id": v.row.person_id}),
    )
    .await?;
    let prefill =
        last_year_form(v.row.last_review.as_deref()).map(|f| match f.validate(year.today) {
            Ok(form) => form.prefill_next_year(),
            Err(_) => {
                let mut d = f;
                d.verification = Default::default();
                d
            }
        });
    Ok(Json(StaffPersonDetail {
        person_id: v.row.person_id.clone(),
        name: v.row.name.clone(),
        masked_id_number: mask_id_number(&v.row.id_number, year.today),
        category: v.category.as_str().to_owned(),
        category_label: v.category.label_zh().to_owned(),
        district: v.row.district.clone(),
        year: year.year,
        status: v.status.kind().as_str().to_owned(),
        status_label: v.status.label_zh().to_owned(),
        status_changed_at: v.row.status_changed_at.map(rfc3339),
        opens: v.opens.to_string(),
        deadline: v.deadline.to_string(),
        prefill,
        draft: draft_form(v.row.draft.as_deref()),
        has_reference_photo: v.row.reference_photo.is_some(),
        died_on: payment_stopped_by_death(&v.status).map(|d| d.to_string()),
        consequences: v.category.overdue_consequence_zh().to_owned(),
    }))
}

// ---- uploads and liveness challenges for a person ----------------------------------------------

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::UploadTooLarge
    } else {
        ApiError::BadRequest
    }
}

/// `POST /api/v1/staff/people/{id}/uploads` (multipart `kind`, `file`) → 201 `{upload_id}`: a
/// photo taken by staff for this person (ID card, newspaper photo, liveness frame, death
/// evidence, reference photo). Checked and re-encoded exactly like the veteran's uploads; owned by
/// the staff member, recorded as for the person (reviewers of the district may read it).
pub async fn upload(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<UploadCreated>)> {
    let (v, _) = scoped_person(&st, &user, &id).await?;
    let mut multipart = multipart.map_err(|_| ApiError::UnsupportedMediaType)?;
    let mut kind: Option<Option<StaffUploadKind>> = None;
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("kind") => {
                let text = field.text().await.map_err(multipart_error)?;
                kind = Some(StaffUploadKind::parse(text.trim()));
            }
            Some("file") => {
                let bytes = field.bytes().await.map_err(multipart_error)?;
                if bytes.len() > super::review::MAX_UPLOAD_BYTES {
                    return Err(ApiError::UploadTooLarge);
                }
                file = Some(bytes);
            }
            _ => {}
        }
    }
    let mut fields = Fields::new();
    let kind = match kind {
        Some(Some(k)) => Some(k),
        Some(None) => {
            fields.push(
                "kind",
                "upload_kind_invalid",
                "图片类型应为身份证人像面、身份证国徽面、读报照片、人脸识别画面、死亡证明材料或基准照片之一",
            );
            None
        }
        None => {
            fields.push("kind", "required", "请选择图片类型");
            None
        }
    };
    if file.is_none() {
        fields.push("file", "required", "请选择要上传的图片");
    }
    fields.finish()?;
    let (Some(kind), Some(file)) = (kind, file) else {
        return Err(ApiError::internal("upload checked without its parts"));
    };
    let permit = DECODES.acquire().await.map_err(ApiError::internal)?;
    let (bytes, ext, content_type) =
        tokio::task::spawn_blocking(move || super::review::reencode(&file))
            .await
            .map_err(ApiError::internal)??;
    drop(permit);
    let upload_id = tokens::new_id();
    let blob_key = format!("{upload_id}.{ext}");
    let size = bytes.len() as i64;
    let blobs = Arc::clone(&st.blobs);
    {
        let key = blob_key.clone();
        tokio::task::spawn_blocking(move || blobs.put(&key, &bytes))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::internal(format!("blob store: {e}")))?;
    }
    st.store
        .insert_staff_upload(
            &upload_id,
            &user.user_id,
            &v.row.person_id,
            kind.as_str(),
            &blob_key,
            content_type,
            size,
            st.clock.unix(),
        )
        .await?;
    audit(
        &st,
        "staff_upload",
        &user,
        serde_json::json!({"person_id": v.row.person_id, "upload_id": upload_id, "kind": kind.as_str()}),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(UploadCreated { upload_id })))
}

/// `POST /api/v1/staff/people/{id}/liveness/challenges` (optional body
/// [`StaffChallengeRequest`]) → 201: a liveness challenge for the person, issued to the staff
/// member (who sends its evidence). The evidence is compared with the PERSON's reference photo
/// (`Store::staff_challenge` gives the person).
///
/// With `{"offline": true}` the challenge lives [`OFFLINE_CHALLENGE_TTL_HOURS`] instead of two
/// minutes: the tablet fetches one per person while online, runs the face check at a home visit
/// without a network and sends the evidence when it syncs (then submits at once: the 30-minute
/// rule between a passed evidence and the submission is unchanged). The veteran's own
/// challenges (`routes::review`) always live two minutes. Audited with `offline`.
pub async fn new_challenge(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<ChallengeIssued>)> {
    let (v, _) = scoped_person(&st, &user, &id).await?;
    // No body (or only whitespace) is the default request.
    let req: StaffChallengeRequest = if body.iter().all(u8::is_ascii_whitespace) {
        StaffChallengeRequest::default()
    } else {
        crate::extract::decode_json(&body)?
    };
    if payment_stopped_by_death(&v.status).is_some() {
        return Err(conflict(&v, None));
    }
    let challenge = Challenge::issue(&mut rand::rngs::OsRng, &st.liveness_actions, st.clock.now());
    let actions: Vec<Action> = challenge.actions().iter().collect();
    let actions_json = serde_json::to_string(&actions).map_err(ApiError::internal)?;
    let expires_at = if req.offline {
        challenge.issued_at().timestamp() + OFFLINE_CHALLENGE_TTL_HOURS * 3600
    } else {
        challenge.expires_at().timestamp()
    };
    st.store
        .insert_challenge(&NewChallenge {
            id: challenge.id().as_str(),
            user_id: &user.user_id,
            nonce: challenge.nonce().as_str(),
            actions: &actions_json,
            issued_at: challenge.issued_at().timestamp(),
            expires_at,
        })
        .await?;
    st.store
        .set_challenge_person(challenge.id().as_str(), &v.row.person_id)
        .await?;
    audit(
        &st,
        "staff_challenge_issued",
        &user,
        serde_json::json!({"person_id": v.row.person_id, "challenge_id": challenge.id().as_str(), "offline": req.offline}),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ChallengeIssued {
            challenge_id: challenge.id().as_str().to_owned(),
            nonce: challenge.nonce().as_str().to_owned(),
            actions,
            expires_at: rfc3339(expires_at),
        }),
    ))
}

/// The liveness rule of an assisted submission, the same as the veteran's
/// (`routes::review::check_challenge`: passed within 30 minutes, unused), except that the
/// challenge must have been issued to the caller FOR this person.
async fn check_staff_challenge(
    st: &AppState,
    user: &AuthUser,
    person_id: &str,
    challenge_id: &str,
) -> ApiResult<Option<FieldError>> {
    let not_found = || Some(super::review::challenge_not_found());
    let Ok(id) = ChallengeId::parse(challenge_id) else {
        return Ok(not_found());
    };
    let Some(c) = st.store.staff_challenge(id.as_str()).await? else {
        return Ok(not_found());
    };
    if c.user_id != user.user_id || c.for_person_id.as_deref() != Some(person_id) {
        return Ok(not_found());
    }
    Ok(super::review::challenge_unusable(
        c.passed_at,
        c.submitted_at,
        st.clock.unix(),
    ))
}

// ---- staff writes ------------------------------------------------------------------------------

/// `POST /api/v1/staff/people/{id}/submissions` (header `Idempotency-Key`) → 201
/// `SubmissionAccepted`: the person's review done by staff on their behalf (上门认证): the form,
/// the ID photos and a liveness challenge issued for the person, all uploaded by the caller. The
/// submission is marked assisted, with the staff member recorded. 409 `conflict` if the review
/// is no longer open (submitted on their own phone meanwhile, approved, deceased).
pub async fn submit(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SubmissionRequest>,
) -> ApiResult<Response> {
    let (v, year) = scoped_person(&st, &user, &id).await?;
    let key = operation_key(&headers)?;
    let person_id = v.row.person_id.clone();
    if let Some(r) = replay(&st, &user, &key, "submission", &person_id).await? {
        return Ok(r);
    }
    let mut draft = req.form.clone();
    draft.basic.id_front_photo = Some(req.id_front_upload.clone());
    draft.basic.id_back_photo = Some(req.id_back_upload.clone());
    draft.verification.liveness_challenge_id = Some(req.liveness_challenge_id.clone());
    let mut fields = Fields::new();
    let form = match draft.validate(year.today) {
        Ok(form) => {
            if let Err(errors) = form.check_submittable() {
                for e in errors {
                    fields.push(&e.field, &e.code, &e.message);
                }
            }
            if form.basic().name.as_str() != v.row.name {
                fields.push("basic.name", "name_mismatch", "姓名与建档立卡信息不一致");
            }
            if form.basic().id_number.as_str() != v.row.id_number {
                fields.push(
                    "basic.id_number",
                    "id_number_mismatch",
                    "身份证号与建档立卡信息不一致",
                );
            }
            Some(form)
        }
        Err(errors) => {
            for e in errors {
                fields.push(&e.field, &e.code, &e.message);
            }
            None
        }
    };
    check_staff_upload(
        &st,
        &mut fields,
        &user,
        &person_id,
        "id_front_upload",
        &req.id_front_upload,
        &[StaffUploadKind::IdFront],
    )
    .await?;
    check_staff_upload(
        &st,
        &mut fields,
        &user,
        &person_id,
        "id_back_upload",
        &req.id_back_upload,
        &[StaffUploadKind::IdBack],
    )
    .await?;
    if let Some(e) =
        check_staff_challenge(&st, &user, &person_id, &req.liveness_challenge_id).await?
    {
        fields.push(&e.field, &e.code, &e.message);
    }
    fields.finish()?;
    let form = form.ok_or_else(|| ApiError::internal("form checked"))?;
    if !v.status.editable() {
        return Err(conflict(&v, None));
    }
    let next = v
        .status
        .apply_as(Actor::Staff, ReviewEvent::Submit)
        .map_err(ApiError::Transition)?;
    let submission_id = tokens::new_id();
    let answer = serde_json::to_string(&SubmissionAccepted {
        submission_id: submission_id.clone(),
        status: next.kind().as_str().to_owned(),
        message: SUBMITTED_MESSAGE.to_owned(),
    })
    .map_err(ApiError::internal)?;
    let form_json = serde_json::to_string(&form.to_draft()).map_err(ApiError::internal)?;
    // The person's own account owns the submission if they have one (the decision's SMS goes
    // to them); otherwise the staff member's.
    let owner = st
        .store
        .user_for_person(&person_id)
        .await?
        .unwrap_or_else(|| user.user_id.clone());
    let new_status = status_json(&next)?;
    let w = StaffWrite {
        staff_id: &user.user_id,
        op_key: &key,
        person_id: &person_id,
        year: i64::from(year.year),
        old_status: Some(&v.stored_json),
        new_status: Some(&new_status),
        response: &answer,
        record: StaffRecord::Submission(NewAssisted {
            id: &submission_id,
            owner_user_id: &owner,
            form: &form_json,
            id_front_upload: &req.id_front_upload,
            id_back_upload: &req.id_back_upload,
            liveness_challenge_id: &req.liveness_challenge_id,
            status: next.kind().as_str(),
        }),
        now: st.clock.unix(),
    };
    match finish_write(&st, &user, &w).await? {
        Ok(r) => {
            audit(
                &st,
                "assisted_submission",
                &user,
                serde_json::json!({"person_id": person_id, "submission_id": submission_id}),
            )
            .await?;
            Ok(r)
        }
        Err(_) => Err(ApiError::field(
            "liveness_challenge_id",
            "challenge_used",
            "该次人脸识别已用于提交,请重新进行人脸识别",
        )),
    }
}

/// `POST /api/v1/staff/people/{id}/confirmations` (header `Idempotency-Key`) → 201: a 现场确认
/// or 远程确认 (who: the caller and an optional delegate; when; how; notes; the photo holding the
/// ID card and today's newspaper — required for a remote one). The review becomes `submitted`
/// (`ReviewEvent::Submit` as staff) and the confirmation waits in the reviewer's queue.
pub async fn confirm(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ConfirmationRequest>,
) -> ApiResult<Response> {
    let (v, year) = scoped_person(&st, &user, &id).await?;
    let key = operation_key(&headers)?;
    let person_id = v.row.person_id.clone();
    if let Some(r) = replay(&st, &user, &key, "confirmation", &person_id).await? {
        return Ok(r);
    }
    let mut fields = Fields::new();
    let kind = ConfirmationKind::parse(req.kind.trim());
    if kind.is_none() {
        fields.push(
            "kind",
            "confirmation_kind_invalid",
            "确认方式应为现场确认(on_site)或远程确认(remote)",
        );
    }
    let method = ConfirmationMethod::parse(req.method.trim());
    match (kind, method) {
        (_, None) => fields.push(
            "method",
            "confirmation_method_invalid",
            "核验方式应为at_centre、home_visit、video_call或phone_call",
        ),
        (Some(k), Some(m)) if !k.methods().contains(&m) => fields.push(
            "method",
            "confirmation_method_mismatch",
            &format!("{}不能使用「{}」方式", k.label_zh(), m.label_zh()),
        ),
        _ => {}
    }
    let now = st.clock.unix();
    let confirmed_at = match DateTime::parse_from_rfc3339(req.confirmed_at.trim()) {
        Ok(t) => {
            let t = t.timestamp();
            let local_year = DateTime::from_timestamp(t + 8 * 3600, 0).map(|d| d.year());
            if t > now + CLOCK_SKEW_SECS {
                fields.push(
                    "confirmed_at",
                    "confirmed_at_future",
                    "确认时间不能晚于当前时间",
                );
            } else if local_year != Some(year.year) {
                fields.push(
                    "confirmed_at",
                    "confirmed_at_outside_year",
                    "确认时间应在本年度内",
                );
            }
            Some(t)
        }
        Err(_) => {
            fields.push(
                "confirmed_at",
                "datetime_invalid",
                "确认时间格式不正确,应为RFC 3339格式",
            );
            None
        }
    };
    let delegate = optional_text(
        &mut fields,
        "delegate_name",
        req.delegate_name.as_deref(),
        MAX_DELEGATE,
    );
    let notes = optional_text(&mut fields, "notes", req.notes.as_deref(), MAX_NOTES);
    let photo = req
        .photo_upload
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match photo {
        Some(p) => {
            check_staff_upload(
                &st,
                &mut fields,
                &user,
                &person_id,
                "photo_upload",
                p,
                &[StaffUploadKind::NewspaperPhoto],
            )
            .await?;
        }
        None if kind.is_some_and(ConfirmationKind::photo_required) => fields.push(
            "photo_upload",
            "photo_required",
            "远程确认需上传本人手持身份证及当日报刊的免冠照片",
        ),
        None => {}
    }
    fields.finish()?;
    let (Some(kind), Some(method), Some(confirmed_at)) = (kind, method, confirmed_at) else {
        return Err(ApiError::internal("confirmation checked without its parts"));
    };
    if !v.status.editable() {
        return Err(conflict(&v, None));
    }
    let next = v
        .status
        .apply_as(Actor::Staff, ReviewEvent::Submit)
        .map_err(ApiError::Transition)?;
    let confirmation_id = tokens::new_id();
    let answer = serde_json::to_string(&ConfirmationRecorded {
        confirmation_id: confirmation_id.clone(),
        person_id: person_id.clone(),
        status: next.kind().as_str().to_owned(),
        message: format!("{}已记录,待审核人员审核", kind.label_zh()),
    })
    .map_err(ApiError::internal)?;
    let new_status = status_json(&next)?;
    let w = StaffWrite {
        staff_id: &user.user_id,
        op_key: &key,
        person_id: &person_id,
        year: i64::from(year.year),
        old_status: Some(&v.stored_json),
        new_status: Some(&new_status),
        response: &answer,
        record: StaffRecord::Confirmation(NewConfirmation {
            id: &confirmation_id,
            kind: kind.as_str(),
            method: method.as_str(),
            confirmed_at,
            delegate_name: delegate.as_deref(),
            notes: notes.as_deref(),
            photo_upload: photo,
        }),
        now,
    };
    write_and_audit(
        &st,
        &user,
        &w,
        "staff_confirmation_recorded",
        serde_json::json!({"person_id": person_id, "confirmation_id": confirmation_id, "kind": kind.as_str()}),
    )
    .await
}

/// `POST /api/v1/staff/people/{id}/death` (header `Idempotency-Key`) → 201: records the
/// person's death (核减退出) with the date and an evidence photo. The review becomes `deceased`
/// (`ReviewEvent::RecordDeath`), which stops the payment; only an administrator can undo it.
pub async fn record_death(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<DeathRequest>,
) -> ApiResult<Response> {
    let (v, year) = scoped_person(&st, &user, &id).await?;
    let key = operation_key(&headers)?;
    let person_id = v.row.person_id.clone();
    if let Some(r) = replay(&st, &user, &key, "death", &person_id).await? {
        return Ok(r);
    }
    let mut fields = Fields::new();
    let died_on = fields.take(
        "died_on",
        crate::domain::parse_date(&req.died_on, "required", "请填写死亡日期"),
    );
    if died_on.is_some_and(|d| d > year.today) {
        fields.push("died_on", "died_on_future", "死亡日期不能晚于今天");
    }
    check_staff_upload(
        &st,
        &mut fields,
        &user,
        &person_id,
        "evidence_upload",
        req.evidence_upload.trim(),
        &[StaffUploadKind::DeathEvidence],
    )
    .await?;
    let notes = optional_text(&mut fields, "notes", req.notes.as_deref(), MAX_NOTES);
    fields.finish()?;
    let died_on = died_on.ok_or_else(|| ApiError::internal("date checked"))?;
    if payment_stopped_by_death(&v.status).is_some() {
        return Err(conflict(&v, None));
    }
    let next = v
        .status
        .apply_as(Actor::Staff, ReviewEvent::RecordDeath { died_on })
        .map_err(ApiError::Transition)?;
    let record_id = tokens::new_id();
    let answer = serde_json::to_string(&DeathRecorded {
        death_record_id: record_id.clone(),
        person_id: person_id.clone(),
        status: next.kind().as_str().to_owned(),
        payment_stopped: true,
        message: "死亡信息已登记,待遇已停发,待审核人员核实".to_owned(),
    })
    .map_err(ApiError::internal)?;
    let new_status = status_json(&next)?;
    let died = died_on.to_string();
    let w = StaffWrite {
        staff_id: &user.user_id,
        op_key: &key,
        person_id: &person_id,
        year: i64::from(year.year),
        old_status: Some(&v.stored_json),
        new_status: Some(&new_status),
        response: &answer,
        record: StaffRecord::Death(NewDeath {
            id: &record_id,
            died_on: &died,
            evidence_upload: req.evidence_upload.trim(),
            notes: notes.as_deref(),
        }),
        now: st.clock.unix(),
    };
    write_and_audit(
        &st,
        &user,
        &w,
        "death_recorded",
        serde_json::json!({"person_id": person_id, "death_record_id": record_id}),
    )
    .await
}

/// `POST /api/v1/staff/people/{id}/reference-photo` (header `Idempotency-Key`)
/// `{upload_id, consent: true}` → 201: a reference photo (基准照片) for someone who has none,
/// taken by staff with the person's consent (required). The upload (kind `reference_photo`,
/// made by the caller for the person) becomes the roster's reference photo.
pub async fn reference_photo(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ReferencePhotoRequest>,
) -> ApiResult<Response> {
    let (v, year) = scoped_person(&st, &user, &id).await?;
    let key = operation_key(&headers)?;
    let person_id = v.row.person_id.clone();
    if let Some(r) = replay(&st, &user, &key, "reference_photo", &person_id).await? {
        return Ok(r);
    }
    let mut fields = Fields::new();
    if !req.consent {
        fields.push("consent", "consent_required", "采集基准照片须经本人同意");
    }
    let upload_ok = check_staff_upload(
        &st,
        &mut fields,
        &user,
        &person_id,
        "upload_id",
        req.upload_id.trim(),
        &[StaffUploadKind::ReferencePhoto],
    )
    .await?;
    fields.finish()?;
    if !upload_ok {
        return Err(ApiError::internal("upload checked"));
    }
    if v.row.reference_photo.is_some() {
        return Err(conflict(
            &v,
            Some("该人员已有基准照片,如需更换请联系管理员"),
        ));
    }
    let upload_id = req.upload_id.trim();
    let upload = st
        .store
        .staff_upload(upload_id)
        .await?
        .ok_or_else(|| ApiError::internal("upload vanished"))?;
    // One clear face, embedded now (the same check as the administrators' route).
    let embedding = super::liveness::reference_embedding_text(&st, &upload.blob_key).await?;
    let now = st.clock.unix();
    let photo_id = tokens::new_id();
    let answer = serde_json::to_string(&ReferencePhotoStored {
        person_id: person_id.clone(),
        has_reference_photo: true,
    })
    .map_err(ApiError::internal)?;
    let w = StaffWrite {
        staff_id: &user.user_id,
        op_key: &key,
        person_id: &person_id,
        year: i64::from(year.year),
        old_status: None,
        new_status: None,
        response: &answer,
        record: StaffRecord::ReferencePhoto(NewReferencePhoto {
            id: &photo_id,
            person_id: &person_id,
            upload_id: Some(upload_id),
            blob_key: &upload.blob_key,
            embedding: &embedding,
            source: "staff",
            captured_by: Some(&user.user_id),
            consent_at: Some(now),
            now,
        }),
        now,
    };
    write_and_audit(
        &st,
        &user,
        &w,
        "reference_photo_captured",
        serde_json::json!({"person_id": person_id, "reference_photo_id": photo_id, "upload_id": upload_id, "consent": true}),
    )
    .await
}

/// The person a staff member's liveness challenge was issued for, for the evidence endpoint
/// (`routes::liveness::evidence`): the challenge must be the caller's, issued for a person
/// (`POST /api/v1/staff/people/{id}/liveness/challenges`) who is still in the caller's
/// districts. Anything else is 404, as for someone else's challenge.
pub async fn challenge_person(
    st: &AppState,
    user: &AuthUser,
    challenge_id: &str,
) -> ApiResult<String> {
    let c = st
        .store
        .staff_challenge(challenge_id)
        .await?
        .filter(|c| c.user_id == user.user_id)
        .ok_or(ApiError::NotFound)?;
    let person_id = c.for_person_id.ok_or(ApiError::NotFound)?;
    let (v, _) = scoped_person(st, user, &person_id).await?;
    Ok(v.row.person_id)
}

// ---- administrators ----------------------------------------------------------------------------

/// `POST /api/v1/admin/people/{id}/death/undo` `{reason}` → 200: withdraws a mistaken death
/// record (administrators only; the reason is required). The review returns to the status it
/// had before; the record is kept, marked undone with the reason. Audited.
pub async fn undo_death(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UndoDeathRequest>,
) -> ApiResult<Json<DeathUndone>> {
    user.require(&[Role::Admin])?;
    let reason = Reason::parse(&req.reason)
        .map_err(|e| ApiError::field("reason", e.code(), &e.message()))?;
    let year = this_year(&st).await?;
    let row = st
        .store
        .staff_person(None, &id, i64::from(year.year))
        .await?
        .ok_or(ApiError::NotFound)?;
    let v = view(row, &year)?;
    let stored = parse_status(Some(&v.stored_json))?;
    let next = stored
        .apply_as(
            Actor::Admin,
            ReviewEvent::UndoDeath {
                by: Actor::Admin,
                reason: reason.clone(),
            },
        )
        .map_err(ApiError::Transition)?;
    let (record_id, _) = st
        .store
        .live_death_record(&v.row.person_id, i64::from(year.year))
        .await?
        .ok_or_else(|| ApiError::internal("deceased without a death record"))?;
    let done = st
        .store
        .undo_death(
            &v.row.person_id,
            i64::from(year.year),
            &record_id,
            &v.stored_json,
            &status_json(&next)?,
            &user.user_id,
            reason.as_str(),
            st.clock.unix(),
        )
        .await?;
    if !done {
        return Err(ApiError::Transition(
            shared::lifecycle::TransitionError::Illegal {
                from: stored.kind(),
                event: EventKind::UndoDeath,
            },
        ));
    }
    audit(
        &st,
        "death_undone",
        &user,
        serde_json::json!({"person_id": v.row.person_id, "death_record_id": record_id}),
    )
    .await?;
    Ok(Json(DeathUndone {
        person_id: v.row.person_id,
        death_record_id: record_id,
        status: next.kind().as_str().to_owned(),
    }))
}

/// `PUT /api/v1/admin/staff/{user_id}/districts` `{districts}` → 200: which districts' people a
/// staff member (or reviewer) works on (administrators only; audited as `staff_districts_set`
/// with the districts before and after). An empty list unassigns everyone.
pub async fn set_districts(
    State(st): State<AppState>,
    user: AuthUser,
    Path(target): Path<String>,
    ApiJson(req): ApiJson<SetDistricts>,
) -> ApiResult<Json<StaffDistricts>> {
    user.require(&[Role::Admin])?;
    let (role, _) = if target.len() > 64 {
        None
    } else {
        st.store.user_role_name(&target).await?
    }
    .ok_or(ApiError::NotFound)?;
    let mut fields = Fields::new();
    if role != Role::Staff.as_str() && role != Role::Reviewer.as_str() {
        fields.push("user_id", "not_staff", "只能为工作人员或审核人员分配地区");
    }
    const MAX_DISTRICTS: usize = 100;
    if req.districts.len() > MAX_DISTRICTS {
        fields.push("districts", "too_many_districts", "一次最多分配100个地区");
    }
    let mut districts = Vec::new();
    for (i, d) in req.districts.iter().enumerate().take(MAX_DISTRICTS) {
        if let Some(code) = fields.take(
            &format!("districts[{i}]"),
            shared::region::RegionCode::parse(d),
        ) {
            let code = code.as_str().to_owned();
            if !districts.contains(&code) {
                districts.push(code);
            }
        }
    }
    fields.finish()?;
    districts.sort();
    let before = st.store.user_districts(&target).await?;
    st.store
        .set_user_districts(
            &target,
            &districts,
            &user.user_id,
            &serde_json::json!({"target_user_id": target, "before": before, "after": districts}),
            st.clock.unix(),
        )
        .await?;
    Ok(Json(StaffDistricts {
        user_id: target,
        role,
        districts,
    }))
}

// ---- district summary --------------------------------------------------------------------------

/// Counts per district for staff leads: the caller's districts (staff), or every district with
/// people (administrators).
async fn summary_counts(st: &AppState, user: &AuthUser) -> ApiResult<DistrictSummary> {
    user.require(&[Role::Staff, Role::Admin])?;
    let year = this_year(st).await?;
    let scope = (user.role == Role::Staff).then_some(user.user_id.as_str());
    let rows = st
        .store
        .payment_rows(i64::from(year.year), None, scope)
        .await?;
    let mut by_district: BTreeMap<String, DistrictCounts> = BTreeMap::new();
    if let Some(staff) = scope {
        for d in st.store.user_districts(staff).await? {
            by_district.insert(d.clone(), empty_counts(d));
        }
    }
    for row in &rows {
        let category = Category::parse(&row.category)
            .map_err(|_| ApiError::internal("unknown category in the roster"))?;
        let line = yearly::person_payment(row, year.rules(category)?, year.today)?;
        let c = by_district
            .entry(row.district.clone())
            .or_insert_with(|| empty_counts(row.district.clone()));
        c.total += 1;
        let bucket = match line.review_status {
            StatusKind::Deceased => &mut c.deceased,
            StatusKind::Approved => &mut c.reviewed,
            StatusKind::Submitted | StatusKind::Resubmitted | StatusKind::SpecialCheckPending => {
                &mut c.pending
            }
            _ if line.payment.payment_stopped() => &mut c.suspended,
            StatusKind::Suspended => &mut c.suspended,
            StatusKind::Overdue => &mut c.overdue,
            _ => &mut c.owing,
        };
        *bucket += 1;
    }
    Ok(DistrictSummary {
        year: year.year,
        districts: by_district.into_values().collect(),
    })
}

fn empty_counts(district: String) -> DistrictCounts {
    let district_name = shared::region::RegionCode::parse(&district)
        // `北京市/东城区` → `北京市东城区`.
        .map(|c| c.full_name().replace('/', ""))
        .unwrap_or_default();
    DistrictCounts {
        district,
        district_name,
        total: 0,
        reviewed: 0,
        pending: 0,
        owing: 0,
        overdue: 0,
        suspended: 0,
        deceased: 0,
    }
}

/// `GET /api/v1/staff/summary`: reviewed / pending / owing / overdue / suspended / deceased
/// counts per district (staff: their districts; administrators: all). Audited.
pub async fn summary(
    State(st): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<DistrictSummary>> {
    let s = summary_counts(&st, &user).await?;
    audit(
        &st,
        "staff_summary_read",
        &user,
        serde_json::json!({"year": s.year, "districts": s.districts.len()}),
    )
    .await?;
    Ok(Json(s))
}

/// The CSV header of the summary (Chinese, for spreadsheets).
pub const SUMMARY_CSV_HEADER: [&str; 9] = [
    "地区代码",
    "地区名称",
    "总人数",
    "已审核通过",
    "待审核",
    "未完成",
    "逾期",
    "暂停发放",
    "已核减(死亡)",
];

/// The summary as CSV: a UTF-8 byte-order mark, the header, one line per district.
pub fn summary_csv(s: &DistrictSummary) -> ApiResult<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(SUMMARY_CSV_HEADER)
            .map_err(ApiError::internal)?;
        for d in &s.districts {
            w.write_record([
                d.district.clone(),
                d.district_name.clone(),
                d.total.to_string(),
                d.reviewed.to_string(),
                d.pending.to_string(),
                d.owing.to_string(),
                d.overdue.to_string(),
                d.suspended.to_string(),
                d.deceased.to_string(),
            ])
            .map_err(ApiError::internal)?;
        }
        w.flush().map_err(ApiError::internal)?;
    }
    Ok(out)
}

/// `GET /api/v1/staff/summary.csv`: the same as CSV (audited as `staff_summary_exported`).
pub async fn summary_export(State(st): State<AppState>, user: AuthUser) -> ApiResult<Response> {
    let s = summary_counts(&st, &user).await?;
    let body = summary_csv(&s)?;
    audit(
        &st,
        "staff_summary_exported",
        &user,
        serde_json::json!({"year": s.year, "districts": s.districts.len()}),
    )
    .await?;
    let filename = format!("attachment; filename=\"district-summary-{}.csv\"", s.year);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        body,
    )
        .into_response())
}

// ---- reviewers: confirmations and death records -------------------------------------------------

fn category_of(s: &str) -> ApiResult<Category> {
    Category::parse(s).map_err(|_| ApiError::internal("unknown category in the roster"))
}

/// `GET /api/v1/confirmations/{id}`: a staff confirmation in the reviewer's districts (404
/// otherwise). Audited.
pub async fn confirmation_detail(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ConfirmationDetail>> {
    user.require(&[Role::Reviewer])?;
    let c = st
        .store
        .confirmation_for_reviewer(&user.user_id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit(
        &st,
        "confirmation_read",
        &user,
        serde_json::json!({"confirmation_id": c.id, "person_id": c.person_id}),
    )
    .await?;
    let category = category_of(&c.category)?;
    let kind = ConfirmationKind::parse(&c.kind).ok_or_else(|| ApiError::internal("stored kind"))?;
    let method =
        ConfirmationMethod::parse(&c.method).ok_or_else(|| ApiError::internal("stored method"))?;
    Ok(Json(ConfirmationDetail {
        confirmation_id: c.id,
        person_id: c.person_id,
        masked_name: mask_name(&c.name),
        category: category.as_str().to_owned(),
        category_label: category.label_zh().to_owned(),
        district: c.district,
        year: i32::try_from(c.year).map_err(ApiError::internal)?,
        kind: kind.as_str().to_owned(),
        kind_label: kind.label_zh().to_owned(),
        method: method.as_str().to_owned(),
        method_label: method.label_zh().to_owned(),
        confirmed_at: rfc3339(c.confirmed_at),
        delegate_name: c.delegate_name,
        notes: c.notes,
        photo_upload: c.photo_upload,
        staff_id: c.staff_id,
        staff_name: c.staff_name,
        status: c.status,
        recorded_at: rfc3339(c.created_at),
        decision_reason: c.decision_reason,
    }))
}

/// `POST /api/v1/confirmations/{id}/decision` `{decision, reason}` → 200: approve (the year's
/// review is done) or reject with a reason (the person corrects it), like a submission.
pub async fn decide_confirmation(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> ApiResult<Json<DecisionResult>> {
    user.require(&[Role::Reviewer])?;
    let event = super::reviewer::parse_decision(&req)?;
    let c = st
        .store
        .confirmation_for_reviewer(&user.user_id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let event_kind = event.kind();
    let illegal = |from: StatusKind| {
        ApiError::Transition(shared::lifecycle::TransitionError::Illegal {
            from,
            event: event_kind,
        })
    };
    if c.status != "submitted" {
        let from = if c.status == "approved" {
            StatusKind::Approved
        } else {
            StatusKind::Rejected
        };
        return Err(illegal(from));
    }
    let row = st
        .store
        .review(&c.person_id, c.year)
        .await?
        .ok_or_else(|| ApiError::internal("confirmation without a review"))?;
    let stored = parse_status(Some(&row.status))?;
    let next = stored
        .apply_as(Actor::Reviewer, event)
        .map_err(ApiError::Transition)?;
    let reason = match &next {
        ReviewStatus::Rejected { reason } => Some(reason.as_str().to_owned()),
        _ => None,
    };
    let new_status = next.kind().as_str();
    let done = st
        .store
        .decide_confirmation(
            &c.id,
            &c.person_id,
            c.year,
            &user.user_id,
            new_status,
            &row.status,
            &status_json(&next)?,
            reason.as_deref(),
            st.clock.unix(),
        )
        .await?;
    if !done {
        return Err(illegal(stored.kind()));
    }
    audit(
        &st,
        "confirmation_decision",
        &user,
        serde_json::json!({"confirmation_id": c.id, "decision": new_status}),
    )
    .await?;
    Ok(Json(DecisionResult {
        submission_id: c.id,
        status: new_status.to_owned(),
    }))
}

/// `GET /api/v1/death-records/{id}`: a death record in the reviewer's districts (404
/// otherwise). Audited.
pub async fn death_detail(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DeathRecordDetail>> {
    user.require(&[Role::Reviewer])?;
    let d = st
        .store
        .death_for_reviewer(&user.user_id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit(
        &st,
        "death_record_read",
        &user,
        serde_json::json!({"death_record_id": d.id, "person_id": d.person_id}),
    )
    .await?;
    let category = category_of(&d.category)?;
    Ok(Json(DeathRecordDetail {
        death_record_id: d.id,
        person_id: d.person_id,
        masked_name: mask_name(&d.name),
        category: category.as_str().to_owned(),
        category_label: category.label_zh().to_owned(),
        district: d.district,
        year: i32::try_from(d.year).map_err(ApiError::internal)?,
        died_on: d.died_on,
        evidence_upload: d.evidence_upload,
        notes: d.notes,
        staff_id: d.staff_id,
        staff_name: d.staff_name,
        status: d.status,
        recorded_at: rfc3339(d.created_at),
        undo_reason: d.undo_reason,
    }))
}

/// `POST /api/v1/death-records/{id}/decision` `{decision: "approve"}` → 200: a reviewer checked
/// the record (it leaves the queue). A mistaken record is not rejected here: an administrator
/// undoes it (`POST /api/v1/admin/people/{id}/death/undo`).
pub async fn decide_death(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> ApiResult<Json<DecisionResult>> {
    user.require(&[Role::Reviewer])?;
    match req.decision.as_str() {
        "approve" => {}
        "reject" => {
            return Err(ApiError::field(
                "decision",
                "death_reject_not_allowed",
                "死亡登记有误的,请联系管理员撤销",
            ))
        }
        _ => {
            return Err(ApiError::field(
                "decision",
                "decision_invalid",
                "审核结果应为通过或不通过",
            ))
        }
    }
    let d = st
        .store
        .death_for_reviewer(&user.user_id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !st
        .store
        .check_death_record(&d.id, &user.user_id, st.clock.unix())
        .await?
    {
        return Err(ApiError::Transition(
            shared::lifecycle::TransitionError::Illegal {
                from: if d.status == "undone" {
                    StatusKind::NotStarted
                } else {
                    StatusKind::Approved
                },
                event: EventKind::Approve,
            },
        ));
    }
    audit(
        &st,
        "death_record_checked",
        &user,
        serde_json::json!({"death_record_id": d.id}),
    )
    .await?;
    Ok(Json(DecisionResult {
        submission_id: d.id,
        status: "approved".to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_matches_names_and_masked_ids_only() {
        assert!(matches_query("建国", "王建国", "110101********0011"));
        assert!(matches_query("0011", "王建国", "110101********0011"));
        assert!(matches_query("001x", "王建国", "110101********001X"));
        // The hidden middle digits cannot be searched for.
        assert!(!matches_query("19600101", "王建国", "110101********0011"));
        assert!(!matches_query("李", "王建国", "110101********0011"));
    }

    #[test]
    fn only_a_death_stops_payment_by_itself() {
        let d = NaiveDate::from_ymd_opt(2025, 2, 3).unwrap();
        let dead = ReviewStatus::NotStarted
            .apply(ReviewEvent::RecordDeath { died_on: d })
            .unwrap();
        assert_eq!(payment_stopped_by_death(&dead), Some(d));
        assert_eq!(payment_stopped_by_death(&ReviewStatus::Suspended), None);
    }

    #[test]
    fn summary_csv_has_bom_header_and_counts() {
        let s = DistrictSummary {
            year: 2025,
            districts: vec![DistrictCounts {
                total: 3,
                reviewed: 1,
                deceased: 2,
                ..empty_counts("110101".to_owned())
            }],
        };
        let text = String::from_utf8(summary_csv(&s).unwrap()).unwrap();
        let text = text.strip_prefix('\u{feff}').unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), SUMMARY_CSV_HEADER.join(","));
        assert_eq!(lines.next().unwrap(), "110101,北京市东城区,3,1,0,0,0,0,2");
    }
}
