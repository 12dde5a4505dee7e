//! Reviewers (审核人员), scoped to their districts: the queue (submissions and staff work: 现场/
//! 远程确认, death records), one submission with last year's form for comparison, a
//! confirmation or a death record, and the decisions (approve, or reject with a reason; a death
//! record is only checked — an administrator undoes a mistaken one). Every read of a person's
//! data is audited. Decisions go through `shared::lifecycle`.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use shared::api::accounts::Role;
use shared::api::review::{
    DecisionRequest, DecisionResult, QueueItem, ReviewQueue, SubmissionDetail,
};
use shared::api::staff::{
    ConfirmationDetail, ConfirmationKind, ConfirmationMethod, DeathRecordDetail,
};
use shared::category::Category;
use shared::form::ReviewFormDraft;
use shared::lifecycle::{self, EventKind, ReviewStatus, StatusKind};
use shared::FieldError;

use super::audit;
use crate::clock::rfc3339;
use crate::domain::{mask_name, parse_decision};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, AuthUser};
use crate::reviews::{last_year_form, parse_status, status_json};
use crate::state::AppState;
use crate::store::Decision;

/// Largest page of the queue.
pub const MAX_PER_PAGE: u32 = 100;

/// The statuses a submission can have (and the queue can be filtered by).
const SUBMISSION_STATUSES: [StatusKind; 5] = [
    StatusKind::Submitted,
    StatusKind::Resubmitted,
    StatusKind::SpecialCheckPending,
    StatusKind::Approved,
    StatusKind::Rejected,
];

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    status: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

fn category_of(s: &str) -> ApiResult<Category> {
    Category::parse(s).map_err(|_| ApiError::internal("unknown category in the roster"))
}

/// `GET /api/v1/review-queue?status=submitted&page=1&per_page=20`: submissions in the
/// reviewer's districts, oldest first.
pub async fn queue(
    State(st): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<ReviewQueue>> {
    user.require(&[Role::Reviewer])?;
    let mut errors = Vec::new();
    let wanted = q.status.as_deref().unwrap_or("submitted");
    let status = SUBMISSION_STATUSES
        .into_iter()
        .find(|k| k.as_str() == wanted);
    if status.is_none() {
        errors.push(FieldError::new(
            "status",
            "status_invalid",
            "审核状态不正确",
        ));
    }
    let page = q.page.unwrap_or(1);
    if page == 0 {
        errors.push(FieldError::new("page", "page_invalid", "页码应从1开始"));
    }
    let per_page = q.per_page.unwrap_or(20);
    if per_page == 0 || per_page > MAX_PER_PAGE {
        errors.push(FieldError::new(
            "per_page",
            "per_page_invalid",
            "每页条数应为1到100",
        ));
    }
    let Some(status) = status.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let offset = i64::from(page - 1) * i64::from(per_page);
    let (rows, total) = st
        .store
        // Submissions, staff confirmations and death records of the districts (issue 8).
        .review_queue_all(&user.user_id, status.as_str(), i64::from(per_page), offset)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let category = category_of(&r.category)?;
        items.push(QueueItem {
            submission_id: r.id,
            status: r.status,
            submitted_at: rfc3339(r.created_at),
            year: i32::try_from(r.year).map_err(ApiError::internal)?,
            category: category.as_str().to_owned(),
            category_label: category.label_zh().to_owned(),
            district: r.district,
            masked_name: mask_name(&r.name),
            kind: r.kind,
        });
    }
    st.store
        .audit(
            "review_queue_read",
            Some(&user.user_id),
            &serde_json::json!({"status": status.as_str(), "page": page, "count": items.len()}),
            st.clock.unix(),
        )
        .await?;
    Ok(Json(ReviewQueue {
        items,
        page,
        per_page,
        total: u64::try_from(total).unwrap_or(0),
    }))
}

/// `GET /api/v1/submissions/{id}`: the submission, last year's form and what changed. Outside
/// the reviewer's districts: 404, as if it did not exist.
pub async fn detail(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<SubmissionDetail>> {
    user.require(&[Role::Reviewer])?;
    let s = st
        .store
        .submission_for_reviewer(&user.user_id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let form: ReviewFormDraft = serde_json::from_str(&s.form)
        .map_err(|e| ApiError::internal(format!("stored form: {e}")))?;
    let last_year = last_year_form(s.last_review.as_deref());
    let today = st.clock.today_cn();
    let changed_fields = match &last_year {
        Some(last) => match (last.validate(today), form.validate(today)) {
            (Ok(before), Ok(after)) => shared::form::diff(&before, &after)
                .into_iter()
                .map(|c| c.path.to_owned())
                .collect(),
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    let category = category_of(&s.category)?;
    let (assisted_by, assisted_by_name) = match st.store.submission_assisted_by(&s.id).await? {
        Some((id, name)) => (Some(id), Some(name)),
        None => (None, None),
    };
    // The liveness evidence (frames, face-match score) and the special-population check.
    let evidence = st
        .store
        .challenge_evidence(&s.liveness_challenge_id)
        .await?;
    let (special_population, newspaper_photo_upload) = st.store.submission_special(&s.id).await?;
    st.store
        .audit(
            "submission_read",
            Some(&user.user_id),
            &serde_json::json!({"submission_id": s.id, "person_id": s.person_id}),
            st.clock.unix(),
        )
        .await?;
    Ok(Json(SubmissionDetail {
        submission_id: s.id,
        status: s.status,
        submitted_at: rfc3339(s.created_at),
        year: i32::try_from(s.year).map_err(ApiError::internal)?,
        category: category.as_str().to_owned(),
        category_label: category.label_zh().to_owned(),
        district: s.district,
        form,
        id_front_upload: s.id_front_upload,
        id_back_upload: s.id_back_upload,
        liveness_challenge_id: s.liveness_challenge_id,
        last_year,
        changed_fields,
        decision_reason: s.decision_reason,
        special_population,
        newspaper_photo_upload,
        face_match_score: evidence.face_score,
        liveness_frames: evidence.frames,
        assisted_by,
        assisted_by_name,
    }))
}

/// `POST /api/v1/submissions/{id}/decision` `{decision, reason}` → 200 `{submission_id, status}`.
/// The veteran then sees 通过 or 未通过 with the reason, and gets an SMS.
pub async fn decide(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> ApiResult<Json<DecisionResult>> {
    user.require(&[Role::Reviewer])?;
    let event = parse_decision(&req)?;
    let s = st
        .store
        .submission_for_reviewer(&user.user_id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let illegal = |from: StatusKind, event: EventKind| {
        ApiError::Transition(lifecycle::TransitionError::Illegal { from, event })
    };
    // Only a submission still waiting can be decided (not an older, already decided one).
    let sub_kind = SUBMISSION_STATUSES
        .into_iter()
        .find(|k| k.as_str() == s.status)
        .ok_or_else(|| ApiError::internal("unknown submission status"))?;
    if !matches!(
        sub_kind,
        StatusKind::Submitted | StatusKind::Resubmitted | StatusKind::SpecialCheckPending
    ) {
        return Err(illegal(sub_kind, event.kind()));
    }
    let row = st
        .store
        .review(&s.person_id, s.year)
        .await?
        .ok_or_else(|| ApiError::internal("submission without a review"))?;
    let stored = parse_status(Some(&row.status))?;
    let event_kind = event.kind();
    let next = stored
        .apply_as(lifecycle::Actor::Reviewer, event)
        .map_err(ApiError::Transition)?;
    let reason = match &next {
        ReviewStatus::Rejected { reason } => Some(reason.as_str().to_owned()),
        _ => None,
    };
    let now = st.clock.unix();
    let new_status = next.kind().as_str();
    let done = st
        .store
        .decide(&Decision {
            submission_id: &s.id,
            person_id: &s.person_id,
            year: s.year,
            reviewer_id: &user.user_id,
            old_status: &s.status,
            new_status,
            old_review_status: &row.status,
            new_review_status: &status_json(&next)?,
            reason: reason.as_deref(),
            now,
        })
        .await?;
    if !done {
        // Someone decided first.
        return Err(illegal(stored.kind(), event_kind));
    }
    st.store
        .audit(
            "review_decision",
            Some(&user.user_id),
            &serde_json::json!({"submission_id": s.id, "decision": new_status}),
            now,
        )
        .await?;
    // An assisted submission of someone without an account belongs to the staff member: no SMS.
    let assisted_by = st.store.submission_assisted_by(&s.id).await?;
    let owner_phone = if assisted_by.is_some_and(|(staff, _)| staff == s.user_id) {
        None
    } else {
        st.store.user_phone(&s.user_id).await?
    };
    if let Some(phone) = owner_phone {
        let text = if reason.is_some() {
            "【战友】您的年度登记审核未通过,请登录查看不通过原因,修改后再次提交。"
        } else {
            "【战友】您的年度登记审核已通过。"
        };
        if let Err(e) = st.sms.send(&phone, text).await {
            tracing::warn!(error = %e, "decision SMS not sent");
        }
    }
    Ok(Json(DecisionResult {
        submission_id: s.id,
        status: new_status.to_owned(),
    }))
}

// ---- staff work: confirmations and death records ------------------------------------------

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
    let event = parse_decision(&req)?;
    let c = st
        .store
        .confirmation_for_reviewer(&user.user_id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let event_kind = event.kind();
    let illegal = |from: StatusKind| {
        ApiError::Transition(lifecycle::TransitionError::Illegal {
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
        .apply_as(lifecycle::Actor::Reviewer, event)
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
        return Err(ApiError::Transition(lifecycle::TransitionError::Illegal {
            from: if d.status == "undone" {
                StatusKind::NotStarted
            } else {
                StatusKind::Approved
            },
            event: EventKind::Approve,
        }));
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
    use shared::lifecycle::ReviewEvent;

    fn req(decision: &str, reason: Option<&str>) -> DecisionRequest {
        DecisionRequest {
            decision: decision.to_owned(),
            reason: reason.map(str::to_owned),
        }
    }

    fn code(r: ApiResult<ReviewEvent>) -> String {
        match r {
            Ok(e) => e.kind().as_str().to_owned(),
            Err(ApiError::Invalid(errs)) => format!("{}:{}", errs[0].field, errs[0].code),
            Err(e) => e.code().to_owned(),
        }
    }

    #[test]
    fn decisions_parse_and_rejections_need_a_reason() {
        assert_eq!(code(parse_decision(&req("approve", None))), "approve");
        assert_eq!(
            code(parse_decision(&req("reject", Some("照片模糊")))),
            "reject"
        );
        assert_eq!(
            code(parse_decision(&req("reject", None))),
            "reason:required"
        );
        assert_eq!(
            code(parse_decision(&req("reject", Some("  ")))),
            "reason:required"
        );
        assert!(
            code(parse_decision(&req("reject", Some(&"长".repeat(501))))).starts_with("reason:")
        );
        assert_eq!(
            code(parse_decision(&req("maybe", None))),
            "decision:decision_invalid"
        );
    }
}
