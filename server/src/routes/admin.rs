//! Administration: the audit log (admins only).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use shared::api::accounts::{AuditEntry, Role};

use crate::clock::rfc3339;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, AuthUser};
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
