//! Administration (admins only): the audit log, the yearly review windows per category, the
//! benefits office's payment-status export, which districts staff and reviewers work on, and
//! undoing a mistaken death record.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use shared::api::accounts::{AuditEntry, Role};
use shared::api::staff::{DeathUndone, SetDistricts, StaffDistricts, UndoDeathRequest};
use shared::category::Category;
use shared::lifecycle::{Actor, EventKind, Reason, ReviewEvent, TransitionError};
use shared::UserError;

use crate::clock::rfc3339;
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, AuthUser};
use crate::reviews::{parse_status, status_json, PersonReview};
use crate::state::AppState;
use crate::yearly::ThisYear;

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    limit: Option<i64>,
}

/// `GET /api/v1/audit-log?limit=N` (default 100, at most 1000), newest first.
pub async fn audit_log(
    State(st): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    user.require(&[Role::Admin])?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = st.store.audit_recent(limit).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: rfc3339(r.at),
                event: r.event,
                user_id: r.user_id,
                detail: serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(
                    &r.detail,
                )
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect(),
            })
            .collect(),
    ))
}

// ---- yearly rules and payment status (seed 001) ---------------------------------------------

/// `?year=YYYY` (and, for the export, `&category=`).
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<String>,
    category: Option<String>,
}

/// `GET /api/v1/admin/review-windows?year=YYYY` (default: this year): every category's window,
/// announcement day and consequence as the server applies them (admins only).
pub async fn review_windows(
    State(st): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<Vec<shared::api::yearly::YearlyRule>>> {
    user.require(&[Role::Admin])?;
    let year = match q.year.as_deref() {
        None => chrono::Datelike::year(&st.clock.today_cn()),
        Some(y) => {
            let mut fields = Fields::new();
            let year = crate::yearly::parse_year(&mut fields, Some(y));
            fields.finish()?;
            year.ok_or_else(|| ApiError::internal("year checked"))?
        }
    };
    let rules = crate::yearly::all_rules(&st.store, year).await?;
    Ok(Json(rules.iter().map(|r| r.to_api()).collect()))
}

/// `PUT /api/v1/admin/review-windows/{year}/{category}` `{opens, deadline, announced_on}` → 200
/// the category's rules for the year (admins only; audited as `review_window_set`).
pub async fn set_review_window(
    State(st): State<AppState>,
    user: AuthUser,
    Path((year, category)): Path<(String, String)>,
    ApiJson(req): ApiJson<shared::api::yearly::SetReviewWindow>,
) -> ApiResult<Json<shared::api::yearly::YearlyRule>> {
    user.require(&[Role::Admin])?;
    let mut fields = Fields::new();
    let year = crate::yearly::parse_year(&mut fields, Some(&year));
    let category = fields.take("category", Category::parse(&category));
    let row = crate::yearly::parse_window(year, category, &req, fields)?;
    let (Some(year), Some(category)) = (year, category) else {
        return Err(ApiError::internal(
            "window checked without year or category",
        ));
    };
    let now = st.clock.unix();
    let detail = serde_json::json!({
        "year": year, "category": row.category, "opens": row.opens,
        "deadline": row.deadline, "announced_on": row.announced_on,
    });
    st.store
        .set_review_window(i64::from(year), &row, &user.user_id, &detail, now)
        .await?;
    let rules = crate::yearly::rules(&st.store, category, year).await?;
    Ok(Json(rules.to_api()))
}

/// `GET /api/v1/admin/payment-status.csv?year=YYYY[&category=NAME]`: every person of the roster
/// with their review and payment status for the year, as the benefits office's CSV (admins
/// only; audited as `payment_status_exported`). Names masked; no ID numbers or phones.
pub async fn payment_status_csv(
    State(st): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Response> {
    user.require(&[Role::Admin])?;
    let mut fields = Fields::new();
    let year = crate::yearly::parse_year(&mut fields, q.year.as_deref());
    let category = match q.category.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => fields.take("category", Category::parse(c)),
    };
    fields.finish()?;
    let year = year.ok_or_else(|| ApiError::internal("year checked"))?;
    let today = st.clock.today_cn();
    let rules = crate::yearly::all_rules(&st.store, year).await?;
    let rows = st
        .store
        .payment_rows(i64::from(year), category.map(Category::as_str), None)
        .await?;
    let mut lines = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(r) = Category::parse(&row.category)
            .ok()
            .and_then(|c| rules.iter().find(|r| r.category == c))
        else {
            return Err(ApiError::internal("unknown category in the roster"));
        };
        lines.push(crate::yearly::person_payment(row, r, today)?);
    }
    let body = crate::yearly::to_csv(&lines)?;
    st.store
        .audit(
            "payment_status_exported",
            Some(&user.user_id),
            &serde_json::json!({
                "year": year,
                "category": category.map(Category::as_str),
                "rows": lines.len(),
            }),
            st.clock.unix(),
        )
        .await?;
    let filename = format!("attachment; filename=\"payment-status-{year}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        body,
    )
        .into_response())
}

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
    let year = ThisYear::now(&st).await?;
    let row = st
        .store
        .staff_person(None, &id, i64::from(year.year))
        .await?
        .ok_or(ApiError::NotFound)?;
    let v = PersonReview::of(row, &year)?;
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
        return Err(ApiError::Transition(TransitionError::Illegal {
            from: stored.kind(),
            event: EventKind::UndoDeath,
        }));
    }
    super::audit(
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
