//! Photos staff take for a person (ID card, newspaper photo, liveness frames, death evidence,
//! reference photo), before the write that uses them.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use shared::api::review::UploadCreated;
use shared::api::staff::StaffUploadKind;

use super::{audit, scoped_person};
use crate::error::{ApiError, ApiResult};
use crate::extract::AuthUser;
use crate::state::AppState;

/// `POST /api/v1/staff/people/{id}/uploads` (multipart `kind`, `file`) → 201 `{upload_id}`: a
/// photo taken by staff for this person. Checked and re-encoded exactly like the veteran's
/// uploads (`crate::uploads`); owned by the staff member, recorded as for the person (reviewers
/// of the district may read it). Audited.
pub async fn upload(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<UploadCreated>)> {
    let (v, _) = scoped_person(&st, &user, &id).await?;
    let parts = crate::uploads::read_parts(multipart).await?;
    let kind = parts.kind.as_deref().and_then(StaffUploadKind::parse);
    let errors = parts.missing_errors(
        kind.is_some(),
        "身份证人像面、身份证国徽面、读报照片、人脸识别画面、死亡证明材料或基准照片",
    );
    let (Some(kind), Some(file), true) = (kind, parts.file, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let image = crate::uploads::store_image(&st, file).await?;
    st.store
        .insert_staff_upload(
            &image.upload_id,
            &user.user_id,
            &v.row.person_id,
            kind.as_str(),
            &image.blob_key,
            image.content_type,
            image.size,
            st.clock.unix(),
        )
        .await?;
    audit(
        &st,
        "staff_upload",
        &user,
        serde_json::json!({"person_id": v.row.person_id, "upload_id": image.upload_id, "kind": kind.as_str()}),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadCreated {
            upload_id: image.upload_id,
        }),
    ))
}
