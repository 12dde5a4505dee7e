//! Community and service-centre staff (工作人员) on a tablet (issue 8), one module per kind of
//! work: [`people`] (the list of their districts and one person), [`photos`] (photos taken for a
//! person), [`assisted`] (代为年审: a liveness challenge for the person and the submission),
//! [`confirmations`] (现场确认 / 远程确认), [`deaths`] (死亡核减), [`reference_photo`] (采集基准照片)
//! and [`summary`] (counts per district). What reviewers and administrators do with this work is
//! in `routes::reviewer` and `routes::admin`.
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
//!   confirmation or an assisted submission, `RecordDeath`).
//!
//! This module holds what the kinds of work share: the caller's scope, operation ids and their
//! replays, conflicts, field checks and the audit.

pub mod assisted;
pub mod confirmations;
pub mod deaths;
pub mod people;
pub mod photos;
pub mod reference_photo;
pub mod summary;

use axum::http::HeaderMap;
use axum::response::Response;
use chrono::DateTime;
use shared::api::accounts::Role;
use shared::api::problem::Conflict;
use shared::api::staff::StaffUploadKind;
use shared::lifecycle::{Actor, ReviewEvent, ReviewStatus};

use super::{audit, created_json};
use crate::clock::rfc3339;
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult};
use crate::extract::{idempotency_key, AuthUser};
use crate::reviews::{status_json, PersonReview};
use crate::state::AppState;
use crate::store::{StaffRecord, StaffWrite, WriteOutcome};
use crate::yearly::ThisYear;

/// Longest free text (notes), in characters.
const MAX_NOTES: usize = 500;

/// The caller (staff) and one person of their districts; anything else is 404.
async fn scoped_person(
    st: &AppState,
    user: &AuthUser,
    person_id: &str,
) -> ApiResult<(PersonReview, ThisYear)> {
    user.require(&[Role::Staff])?;
    let year = ThisYear::now(st).await?;
    let row = st
        .store
        .staff_person(Some(&user.user_id), person_id, i64::from(year.year))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((PersonReview::of(row, &year)?, year))
}

/// A staff write about to be checked: the person, the year, the operation id, or the stored
/// answer when the id was used before.
struct Operation {
    person: PersonReview,
    year: ThisYear,
    key: String,
}

impl Operation {
    /// Scope, operation id (`Idempotency-Key`) and replay, in that order: a person outside the
    /// caller's districts is 404 before a missing key is 422. `Err(Ok(answer))` is the stored
    /// answer of the same operation on the same person.
    async fn start(
        st: &AppState,
        user: &AuthUser,
        person_id: &str,
        headers: &HeaderMap,
        operation: &str,
    ) -> ApiResult<Result<Operation, Response>> {
        let (person, year) = scoped_person(st, user, person_id).await?;
        let key = idempotency_key(headers)?;
        if let Some(op) = st.store.staff_op(&user.user_id, &key).await? {
            return replayed(op, operation, &person.row.person_id).map(Err);
        }
        Ok(Ok(Operation { person, year, key }))
    }

    fn person_id(&self) -> &str {
        &self.person.row.person_id
    }

    /// The review's next status when staff apply `event` (`conflict` 409 if the review is no
    /// longer open to it), as JSON for the compare-and-set.
    fn next_status(&self, event: ReviewEvent) -> ApiResult<(ReviewStatus, String)> {
        let next = self
            .person
            .status
            .apply_as(Actor::Staff, event)
            .map_err(ApiError::Transition)?;
        let json = status_json(&next)?;
        Ok((next, json))
    }

    /// The write of `record` with `answer`, moving the review from its stored status to
    /// `new_status` (none: the review stays as it is).
    fn write<'a>(
        &'a self,
        user: &'a AuthUser,
        new_status: Option<&'a str>,
        answer: &'a str,
        record: StaffRecord<'a>,
        now: i64,
    ) -> StaffWrite<'a> {
        StaffWrite {
            staff_id: &user.user_id,
            op_key: &self.key,
            person_id: self.person_id(),
            year: i64::from(self.year.year),
            old_status: new_status.map(|_| self.person.stored_json.as_str()),
            new_status,
            response: answer,
            record,
            now,
        }
    }
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
fn conflict(v: &PersonReview, detail: Option<&str>) -> ApiError {
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
    kind: StaffUploadKind,
) -> ApiResult<bool> {
    match st.store.staff_upload(upload_id).await? {
        Some(u) if u.user_id == user.user_id && u.for_person_id.as_deref() == Some(person_id) => {
            if kind.as_str() == u.kind {
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
