//! 现场确认 (at the service centre or at home) and 远程确认 (video or phone call), recorded by
//! staff for a reviewer to check.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Datelike};
use shared::api::staff::{
    ConfirmationKind, ConfirmationMethod, ConfirmationRecorded, ConfirmationRequest,
    StaffUploadKind,
};
use shared::lifecycle::ReviewEvent;

use super::{check_staff_upload, conflict, optional_text, write_and_audit, Operation, MAX_NOTES};
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use crate::store::{NewConfirmation, StaffRecord};
use crate::tokens;

/// A confirmation may be dated this far ahead of the server's clock (tablet clocks drift).
const CLOCK_SKEW_SECS: i64 = 5 * 60;
/// Longest delegate name, in characters.
const MAX_DELEGATE: usize = 50;

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
    let op = match Operation::start(&st, &user, &id, &headers, "confirmation").await? {
        Ok(op) => op,
        Err(answer) => return Ok(answer),
    };
    let (v, person_id) = (&op.person, op.person_id());
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
            } else if local_year != Some(op.year.year) {
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
                person_id,
                "photo_upload",
                p,
                StaffUploadKind::NewspaperPhoto,
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
        return Err(conflict(v, None));
    }
    let (next, new_status) = op.next_status(ReviewEvent::Submit)?;
    let confirmation_id = tokens::new_id();
    let answer = serde_json::to_string(&ConfirmationRecorded {
        confirmation_id: confirmation_id.clone(),
        person_id: person_id.to_owned(),
        status: next.kind().as_str().to_owned(),
        message: format!("{}已记录,待审核人员审核", kind.label_zh()),
    })
    .map_err(ApiError::internal)?;
    let record = StaffRecord::Confirmation(NewConfirmation {
        id: &confirmation_id,
        kind: kind.as_str(),
        method: method.as_str(),
        confirmed_at,
        delegate_name: delegate.as_deref(),
        notes: notes.as_deref(),
        photo_upload: photo,
    });
    let w = op.write(&user, Some(&new_status), &answer, record, now);
    write_and_audit(
        &st,
        &user,
        &w,
        "staff_confirmation_recorded",
        serde_json::json!({"person_id": person_id, "confirmation_id": confirmation_id, "kind": kind.as_str()}),
    )
    .await
}
