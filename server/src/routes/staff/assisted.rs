//! 代为年审: staff do a person's review on their behalf (上门认证) — a liveness challenge for the
//! person (the person's own face answers it, the evidence goes through
//! `POST /api/v1/liveness/challenges/{id}/evidence` with the staff token), then the submission.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use shared::api::review::{ChallengeIssued, SubmissionRequest};
use shared::api::staff::{StaffChallengeRequest, StaffUploadKind, OFFLINE_CHALLENGE_TTL_HOURS};
use shared::lifecycle::ReviewEvent;

use super::{audit, check_staff_upload, conflict, finish_write, scoped_person, Operation};
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser};
use crate::reviews::{check_submission_form, submission_answer};
use crate::state::AppState;
use crate::store::{NewAssisted, StaffRecord};
use crate::yearly::payment_stopped_by_death;

/// `POST /api/v1/staff/people/{id}/liveness/challenges` (optional body
/// [`StaffChallengeRequest`]) → 201: a liveness challenge for the person, issued to the staff
/// member (who sends its evidence). The evidence is compared with the PERSON's reference photo
/// (`crate::challenges::staff_challenge_person`).
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
    let ttl = req.offline.then_some(OFFLINE_CHALLENGE_TTL_HOURS * 3600);
    let issued = crate::challenges::issue(&st, &user.user_id, ttl).await?;
    st.store
        .set_challenge_person(&issued.challenge_id, &v.row.person_id)
        .await?;
    audit(
        &st,
        "staff_challenge_issued",
        &user,
        serde_json::json!({"person_id": v.row.person_id, "challenge_id": issued.challenge_id, "offline": req.offline}),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

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
    let op = match Operation::start(&st, &user, &id, &headers, "submission").await? {
        Ok(op) => op,
        Err(answer) => return Ok(answer),
    };
    let (v, person_id) = (&op.person, op.person_id());
    let mut draft = req.form.clone();
    draft.basic.id_front_photo = Some(req.id_front_upload.clone());
    draft.basic.id_back_photo = Some(req.id_back_upload.clone());
    draft.verification.liveness_challenge_id = Some(req.liveness_challenge_id.clone());
    let mut errors = Vec::new();
    let form = check_submission_form(
        &draft,
        op.year.today,
        &v.row.name,
        &v.row.id_number,
        true,
        &mut errors,
    );
    let mut fields = Fields::from(errors);
    for (field, upload, kind) in [
        (
            "id_front_upload",
            &req.id_front_upload,
            StaffUploadKind::IdFront,
        ),
        (
            "id_back_upload",
            &req.id_back_upload,
            StaffUploadKind::IdBack,
        ),
    ] {
        check_staff_upload(&st, &mut fields, &user, person_id, field, upload, kind).await?;
    }
    let challenge = crate::challenges::check_for_submission(
        &st,
        &user.user_id,
        Some(person_id),
        &req.liveness_challenge_id,
    )
    .await?;
    fields.extend(challenge);
    fields.finish()?;
    let form = form.ok_or_else(|| ApiError::internal("form checked"))?;
    if !v.status.editable() {
        return Err(conflict(v, None));
    }
    let (next, new_status) = op.next_status(ReviewEvent::Submit)?;
    let (submission_id, answer) = submission_answer(&next)?;
    let form_json = serde_json::to_string(&form.to_draft()).map_err(ApiError::internal)?;
    // The person's own account owns the submission if they have one (the decision's SMS goes
    // to them); otherwise the staff member's.
    let owner = st
        .store
        .user_for_person(person_id)
        .await?
        .unwrap_or_else(|| user.user_id.clone());
    let record = StaffRecord::Submission(NewAssisted {
        id: &submission_id,
        owner_user_id: &owner,
        form: &form_json,
        id_front_upload: &req.id_front_upload,
        id_back_upload: &req.id_back_upload,
        liveness_challenge_id: &req.liveness_challenge_id,
        status: next.kind().as_str(),
    });
    let w = op.write(&user, Some(&new_status), &answer, record, st.clock.unix());
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
        Err(_) => Err(ApiError::Invalid(vec![crate::challenges::used()])),
    }
}
