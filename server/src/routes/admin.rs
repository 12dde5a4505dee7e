//! Administration (admins only): the audit log, the yearly review windows per category, and the
//! benefits office's payment-status export.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use shared::api::accounts::{AuditEntry, Role};
use shared::category::Category;

use crate::clock::rfc3339;
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, AuthUser};
use crate::state::AppState;

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
