//! 采集基准照片: a reference photo for someone who has none, taken by staff with the person's
//! consent, for the 1:1 comparison of later liveness checks.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use shared::api::staff::{ReferencePhotoRequest, ReferencePhotoStored, StaffUploadKind};

use super::{check_staff_upload, conflict, write_and_audit, Operation};
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use crate::store::{NewReferencePhoto, StaffRecord};
use crate::tokens;

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
    let op = match Operation::start(&st, &user, &id, &headers, "reference_photo").await? {
        Ok(op) => op,
        Err(answer) => return Ok(answer),
    };
    let (v, person_id) = (&op.person, op.person_id());
    let mut fields = Fields::new();
    if !req.consent {
        fields.push("consent", "consent_required", "采集基准照片须经本人同意");
    }
    let upload_ok = check_staff_upload(
        &st,
        &mut fields,
        &user,
        person_id,
        "upload_id",
        req.upload_id.trim(),
        StaffUploadKind::ReferencePhoto,
    )
    .await?;
    fields.finish()?;
    if !upload_ok {
        return Err(ApiError::internal("upload checked"));
    }
    if v.row.reference_photo.is_some() {
        return Err(conflict(v, Some("该人员已有基准照片,如需更换请联系管理员")));
    }
    let upload_id = req.upload_id.trim();
    let upload = st
        .store
        .staff_upload(upload_id)
        .await?
        .ok_or_else(|| ApiError::internal("upload vanished"))?;
    // One clear face, embedded now (the same check as the administrators' route).
    let embedding = crate::reference_photos::embedding_text(&st, &upload.blob_key).await?;
    let now = st.clock.unix();
    let photo_id = tokens::new_id();
    let answer = serde_json::to_string(&ReferencePhotoStored {
        person_id: person_id.to_owned(),
        has_reference_photo: true,
    })
    .map_err(ApiError::internal)?;
    let record = StaffRecord::ReferencePhoto(NewReferencePhoto {
        id: &photo_id,
        person_id,
        upload_id: Some(upload_id),
        blob_key: &upload.blob_key,
        embedding: &embedding,
        source: "staff",
        captured_by: Some(&user.user_id),
        consent_at: Some(now),
        now,
    });
    let w = op.write(&user, None, &answer, record, now);
    write_and_audit(
        &st,
        &user,
        &w,
        "reference_photo_captured",
        serde_json::json!({"person_id": person_id, "reference_photo_id": photo_id, "upload_id": upload_id, "consent": true}),
    )
    .await
}
