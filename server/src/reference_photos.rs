//! Reference photos (基准照片) taken by a person's hand, for the routes that record one (the
//! administrators' `PUT /api/v1/admin/people/{id}/reference-photo` and staff's
//! `POST /api/v1/staff/people/{id}/reference-photo`): the photo must show one clear face, whose
//! embedding is stored with it for the 1:1 comparison of the liveness re-check.

use crate::error::{ApiError, ApiResult};
use crate::recheck::{self, ReferenceFace};
use crate::state::AppState;

/// The face in a reference photo, found by the models on the re-check's pool.
pub async fn face_of(st: &AppState, photo: Vec<u8>) -> ApiResult<ReferenceFace> {
    st.recheck
        .pool
        .run(move |m| recheck::reference_embedding(m, &photo))
        .await
        .map_err(ApiError::internal)
}

/// The embedding (as stored, [`recheck::embedding_to_text`]) of the one clear face in the
/// uploaded reference photo `blob_key`; 422 on field `upload_id` when there is no face or more
/// than one.
pub async fn embedding_text(st: &AppState, blob_key: &str) -> ApiResult<String> {
    let bytes = crate::uploads::read_blob(st, blob_key).await?;
    match face_of(st, bytes).await? {
        ReferenceFace::Face(e) => Ok(recheck::embedding_to_text(&e)),
        ReferenceFace::NoFace => Err(ApiError::field(
            "upload_id",
            "reference_no_face",
            "照片中未检测到清晰的人脸,请正面免冠重新拍摄",
        )),
        ReferenceFace::MultipleFaces => Err(ApiError::field(
            "upload_id",
            "reference_multiple_faces",
            "照片中有多张人脸,请单人正面重新拍摄",
        )),
    }
}
