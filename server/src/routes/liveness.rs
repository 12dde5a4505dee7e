//! The liveness evidence and reference photos: `POST /api/v1/liveness/challenges/{id}/evidence`
//! re-runs the face models on the uploaded frames ([`crate::recheck`]) and compares the face
//! with the person's reference photo; `PUT /api/v1/admin/people/{person_id}/reference-photo`
//! records a reference photo (admins, with the person's consent).
//!
//! The verdict is the server's, never the app's: the app's claimed action times are only
//! checked against what the frames show.

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Datelike;
use serde::Deserialize;
use shared::api::accounts::Role;
use shared::api::problem::Problem;
use shared::api::review::{EvidenceRequest, EvidenceResult, FaceMatch, UploadKind};
use shared::liveness::reuse::{hashes_from_text, hashes_to_text};
use shared::liveness::{
    Action, ChallengeActions, ChallengeId, FailReason, FlashSchedule, Nonce, ReuseConfig,
};
use shared::FieldError;

use crate::error::{problem_response, ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser};
use crate::recheck::{self, RecheckInput, ReferenceFace, MAX_EVIDENCE_FRAMES};
use crate::state::AppState;
use crate::store::{ClaimOutcome, NewReferencePhoto};
use crate::tokens;

/// The reason code of a failed 1:1 comparison (not a `FailReason`: the liveness itself passed).
pub const FACE_MISMATCH: &str = "face_mismatch";
const FACE_MISMATCH_ZH: &str = "人脸比对不通过,请本人重新核验";

fn problem(status: StatusCode, code: &str, message: &str) -> Response {
    problem_response(status, &Problem::new(status.as_u16(), code, message))
}

fn failed(reason: &str, message: &str, score: Option<f32>, failures: i64) -> EvidenceResult {
    EvidenceResult {
        passed: false,
        reason: Some(reason.to_owned()),
        message: Some(message.to_owned()),
        face_match: FaceMatch {
            score,
            same_person: false,
        },
        failed_comparisons: u32::try_from(failures).unwrap_or(u32::MAX),
    }
}

/// Checks the request's frames: how many, each an upload of the caller's of kind
/// `liveness_frame`, no upload or time twice, none used as evidence before. Returns the blob
/// keys in request order, or every problem at once.
async fn check_frames(
    st: &AppState,
    user_id: &str,
    req: &EvidenceRequest,
) -> ApiResult<Vec<String>> {
    if req.frames.len() > MAX_EVIDENCE_FRAMES {
        return Err(ApiError::field(
            "frames",
            "too_many_frames",
            &format!("核验画面过多,每次最多{MAX_EVIDENCE_FRAMES}帧"),
        ));
    }
    let mut errors = Vec::new();
    let mut keys = Vec::with_capacity(req.frames.len());
    let mut ids = HashSet::new();
    let mut times = HashSet::new();
    for (i, f) in req.frames.iter().enumerate() {
        let field = format!("frames[{i}].upload_id");
        let row = if f.upload_id.is_empty() || f.upload_id.len() > 64 {
            None
        } else {
            st.store.upload(&f.upload_id).await?
        };
        match row {
            Some(u) if u.user_id == user_id => {
                if u.kind != UploadKind::LivenessFrame.as_str() {
                    errors.push(FieldError::new(
                        &field,
                        "upload_wrong_kind",
                        "上传的图片类型不对,请重新上传",
                    ));
                }
                keys.push(u.blob_key);
            }
            // Another person's upload gets the same answer as a missing one.
            _ => errors.push(FieldError::new(
                &field,
                "upload_not_found",
                "图片不存在或已失效,请重新上传",
            )),
        }
        if !ids.insert(f.upload_id.as_str()) {
            errors.push(FieldError::new(
                &field,
                "upload_duplicate",
                "同一画面不能重复提交",
            ));
        }
        if !times.insert(f.t_ms) {
            errors.push(FieldError::new(
                format!("frames[{i}].t_ms"),
                "t_ms_duplicate",
                "画面时间重复",
            ));
        }
    }
    if errors.is_empty() {
        let ids: Vec<String> = req.frames.iter().map(|f| f.upload_id.clone()).collect();
        for used in st.store.frames_already_used(&ids).await? {
            errors.extend(frame_used_error(req, &used));
        }
    }
    if errors.is_empty() {
        Ok(keys)
    } else {
        Err(ApiError::Invalid(errors))
    }
}

fn frame_used_error(req: &EvidenceRequest, upload_id: &str) -> Option<FieldError> {
    let i = req.frames.iter().position(|f| f.upload_id == upload_id)?;
    Some(FieldError::new(
        format!("frames[{i}].upload_id"),
        "upload_used",
        "该画面已用于另一次核验,请重新进行人脸识别",
    ))
}

/// `POST /api/v1/liveness/challenges/{id}/evidence` → 200 [`EvidenceResult`]. The caller's
/// challenge only (404 otherwise), once (409 `challenge_used`), before it expires (410
/// `challenge_expired`). Bad frames are field errors (422) and do not use the challenge up.
pub async fn evidence(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EvidenceRequest>,
) -> ApiResult<Response> {
    user.require(&[Role::Veteran, Role::Staff])?;
    let id = ChallengeId::parse(&id).map_err(|_| ApiError::NotFound)?;
    // Staff send the evidence of a challenge they issued FOR a person of their districts (an
    // assisted review, issue 8): the face is compared with THAT person's reference photo.
    let person_id = match user.role {
        Role::Staff => crate::challenges::staff_challenge_person(&st, &user, id.as_str()).await?,
        _ => {
            st.store
                .review_person(&user.user_id)
                .await?
                .ok_or(ApiError::NoReview)?
                .person_id
        }
    };
    let challenge = st
        .store
        .evidence_challenge(id.as_str())
        .await?
        .filter(|c| c.user_id == user.user_id)
        .ok_or(ApiError::NotFound)?;
    if challenge.evidence_at.is_some() {
        return Ok(challenge_used());
    }
    let now = st.clock.unix();
    if now > challenge.expires_at {
        return Ok(problem(
            StatusCode::GONE,
            "challenge_expired",
            FailReason::ChallengeExpired.message_zh(),
        ));
    }
    let keys = check_frames(&st, &user.user_id, &req).await?;
    if challenge.flash && req.flash_started_ms.is_none() {
        return Err(ApiError::field(
            "flash_started_ms",
            "flash_started_required",
            "缺少炫彩核验的开始时间,请更新应用后重新核验",
        ));
    }
    let actions: Vec<Action> = serde_json::from_str(&challenge.actions)
        .map_err(|e| ApiError::internal(format!("stored actions: {e}")))?;
    let actions = ChallengeActions::new(actions)
        .map_err(|e| ApiError::internal(format!("stored actions: {e}")))?;
    let flash = if challenge.flash {
        let nonce = Nonce::parse(&challenge.nonce)
            .map_err(|e| ApiError::internal(format!("stored nonce: {e}")))?;
        Some(FlashSchedule::from_nonce(&nonce))
    } else {
        None
    };

    // Single use from here on: a concurrent second evidence gets 409.
    let mut frame_ids: Vec<(u64, String)> = req
        .frames
        .iter()
        .map(|f| (f.t_ms, f.upload_id.clone()))
        .collect();
    frame_ids.sort();
    let ordered: Vec<String> = frame_ids.into_iter().map(|(_, id)| id).collect();
    match st.store.claim_evidence(id.as_str(), &ordered, now).await? {
        ClaimOutcome::Claimed => {}
        ClaimOutcome::AlreadyUsed => return Ok(challenge_used()),
        ClaimOutcome::FramesUsed(used) => {
            let errors = used
                .iter()
                .filter_map(|u| frame_used_error(&req, u))
                .collect();
            return Err(ApiError::Invalid(errors));
        }
    }
    let year = i64::from(st.clock.today_cn().year());
    let result = run_evidence(
        &st,
        &user,
        &Attempt {
            person_id: &person_id,
            year,
            challenge_id: id.as_str(),
            issued_at: challenge.issued_at,
            actions,
            flash,
        },
        &req,
        keys,
    )
    .await;
    match result {
        Ok(r) => {
            st.store
                .audit(
                    "liveness_evidence",
                    Some(&user.user_id),
                    &serde_json::json!({
                        "challenge_id": id.as_str(), "passed": r.passed,
                        "reason": r.reason, "frames": req.frames.len(),
                    }),
                    st.clock.unix(),
                )
                .await?;
            Ok((StatusCode::OK, Json(r)).into_response())
        }
        Err(e) => {
            // The challenge stays used; the attempt is recorded as not judged.
            st.store
                .record_evidence_result(id.as_str(), "error", Some("internal_error"), None, None)
                .await?;
            Err(e)
        }
    }
}

fn challenge_used() -> Response {
    problem(
        StatusCode::CONFLICT,
        "challenge_used",
        "该次人脸识别已提交过核验画面,请重新开始人脸识别",
    )
}

/// The challenge an evidence answers, and whose it is.
struct Attempt<'a> {
    person_id: &'a str,
    year: i64,
    challenge_id: &'a str,
    issued_at: i64,
    actions: ChallengeActions,
    flash: Option<FlashSchedule>,
}

/// Slack on "the frames cannot span more time than passed since the challenge was issued":
/// the phone's clock and the server's disagree a little on when a second starts.
const FRAME_SPAN_SLACK_MS: u64 = 5_000;

/// Which earlier accepted evidence of the person the frames repeat, if any: the frames' hashes
/// match by [`ReuseConfig`], and (when both have one) the anchor faces are the same person — two
/// people photographed in one room are not a replay of each other.
fn reused_evidence(
    rows: &[crate::store::FingerprintRow],
    fingerprints: &[shared::liveness::reuse::FrameHash],
    anchor: Option<&models::Embedding>,
) -> Option<String> {
    let config = ReuseConfig::default();
    rows.iter()
        .find(|row| {
            let same_person = match (anchor, row.embedding.as_deref()) {
                (Some(a), Some(text)) => recheck::embedding_from_text(text)
                    .is_none_or(|e| a.similarity(&e) >= models::MATCH_THRESHOLD),
                _ => true,
            };
            same_person && config.is_reuse(fingerprints, &hashes_from_text(&row.hashes))
        })
        .map(|row| row.challenge_id.clone())
}

/// The re-check proper, after the challenge was taken: load the frames, run the models, refuse
/// a replay of earlier evidence, compare with the reference photo, record the verdict.
async fn run_evidence(
    st: &AppState,
    user: &AuthUser,
    attempt: &Attempt<'_>,
    req: &EvidenceRequest,
    keys: Vec<String>,
) -> ApiResult<EvidenceResult> {
    let (person_id, year, challenge_id) = (attempt.person_id, attempt.year, attempt.challenge_id);
    let reference = reference_for(st, person_id).await?;
    let want_enrolment = st.demo && reference.is_none();

    let blobs = st.blobs.clone();
    let times: Vec<u64> = req.frames.iter().map(|f| f.t_ms).collect();
    let frames = tokio::task::spawn_blocking(move || {
        keys.iter()
            .zip(times)
            .enumerate()
            .map(|(i, (k, t))| blobs.get(k).map(|b| (t, b, i)))
            .collect::<std::io::Result<Vec<_>>>()
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::internal(format!("blob store: {e}")))?;

    let input = RecheckInput {
        actions: attempt.actions.clone(),
        frames,
        claimed: req.claimed.clone(),
        flash: attempt
            .flash
            .clone()
            .map(|schedule| (schedule, req.flash_started_ms)),
        want_enrolment,
    };
    let started = std::time::Instant::now();
    let outcome = st
        .recheck
        .pool
        .run(move |m| recheck::recheck(m, input))
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(
        frames = outcome.frames_analysed,
        ms = started.elapsed().as_millis() as u64,
        passed = outcome.verdict.passed,
        "liveness re-check"
    );

    let failures_now = || async { st.store.face_mismatches(person_id, year).await };
    // A failure before any face comparison: recorded, answered with the failures so far. The
    // reasons that say "this face was not accepted" count like a failed comparison.
    let fail_before_comparing = |reason: FailReason| async move {
        st.store
            .record_evidence_result(challenge_id, "failed", Some(reason.as_str()), None, None)
            .await?;
        let failures = if reason.counts_as_face_failure() {
            st.store
                .record_face_mismatch(person_id, year, st.clock.unix())
                .await?
        } else {
            st.store.face_mismatches(person_id, year).await?
        };
        Ok::<_, ApiError>(failed(reason.as_str(), reason.message_zh(), None, failures))
    };
    let earlier = st.store.fingerprints(person_id).await?;
    if let Some(original) =
        reused_evidence(&earlier, &outcome.fingerprints, outcome.anchor.as_ref())
    {
        tracing::warn!(
            challenge_id,
            "evidence repeats an earlier accepted evidence"
        );
        st.store
            .audit(
                "liveness_evidence_reused",
                Some(&user.user_id),
                &serde_json::json!({"challenge_id": challenge_id, "repeats": original}),
                st.clock.unix(),
            )
            .await?;
        return fail_before_comparing(FailReason::EvidenceReused).await;
    }
    let span_ms = match (
        req.frames.iter().map(|f| f.t_ms).min(),
        req.frames.iter().map(|f| f.t_ms).max(),
    ) {
        (Some(lo), Some(hi)) => hi - lo,
        _ => 0,
    };
    let elapsed_ms = u64::try_from(st.clock.unix().saturating_sub(attempt.issued_at))
        .unwrap_or(0)
        .saturating_mul(1000);
    if span_ms > elapsed_ms.saturating_add(FRAME_SPAN_SLACK_MS) {
        // Frames from before the challenge existed (a recording) cannot answer it.
        return fail_before_comparing(FailReason::ClaimMismatch).await;
    }
    if !outcome.verdict.passed {
        let reason = outcome.verdict.reason.unwrap_or(FailReason::NoEvidence);
        return fail_before_comparing(reason).await;
    }
    let Some(anchor) = outcome.anchor else {
        // The actions were seen, but never a frontal face to compare.
        return fail_before_comparing(FailReason::NoFace).await;
    };
    let reference = match (reference, outcome.enrolment) {
        (Some(r), _) => r,
        (None, Some((index, embedding))) if want_enrolment => {
            // Demo mode only: the best frame becomes the reference photo, so testers can go
            // end to end. Audited as such.
            let upload_id = &req.frames[index].upload_id;
            let blob_key = st
                .store
                .upload(upload_id)
                .await?
                .map(|u| u.blob_key)
                .ok_or_else(|| ApiError::internal("enrolment frame vanished"))?;
            let photo_id = tokens::new_id();
            st.store
                .insert_reference_photo(&NewReferencePhoto {
                    id: &photo_id,
                    person_id,
                    upload_id: Some(upload_id),
                    blob_key: &blob_key,
                    embedding: &recheck::embedding_to_text(&embedding),
                    source: "demo_enrolment",
                    captured_by: Some(&user.user_id),
                    consent_at: None,
                    now: st.clock.unix(),
                })
                .await?;
            st.store
                .audit(
                    "reference_photo_demo_enrolled",
                    Some(&user.user_id),
                    &serde_json::json!({
                        "person_id": person_id, "reference_photo_id": photo_id,
                        "challenge_id": challenge_id,
                    }),
                    st.clock.unix(),
                )
                .await?;
            embedding
        }
        (None, _) => return fail_before_comparing(FailReason::NoReferencePhoto).await,
    };
    match models::compare(Some(&reference), &anchor) {
        models::Comparison::Match { similarity } => {
            st.store
                .record_evidence_result(
                    challenge_id,
                    "passed",
                    None,
                    Some(similarity),
                    Some(st.clock.unix()),
                )
                .await?;
            st.store
                .insert_fingerprint(
                    challenge_id,
                    person_id,
                    &hashes_to_text(&outcome.fingerprints),
                    Some(&recheck::embedding_to_text(&anchor)),
                    st.clock.unix(),
                )
                .await?;
            Ok(EvidenceResult {
                passed: true,
                reason: None,
                message: None,
                face_match: FaceMatch {
                    score: Some(similarity),
                    same_person: true,
                },
                failed_comparisons: u32::try_from(failures_now().await?).unwrap_or(u32::MAX),
            })
        }
        models::Comparison::NoMatch { similarity } => {
            st.store
                .record_evidence_result(
                    challenge_id,
                    "failed",
                    Some(FACE_MISMATCH),
                    Some(similarity),
                    None,
                )
                .await?;
            let failures = st
                .store
                .record_face_mismatch(person_id, year, st.clock.unix())
                .await?;
            Ok(failed(
                FACE_MISMATCH,
                FACE_MISMATCH_ZH,
                Some(similarity),
                failures,
            ))
        }
        models::Comparison::NoReferencePhoto => Err(ApiError::internal("reference vanished")),
    }
}

/// The person's reference embedding: the newest reference photo; else the photo
/// `import-roster` stored, embedded now and kept (source `roster_import`).
async fn reference_for(st: &AppState, person_id: &str) -> ApiResult<Option<models::Embedding>> {
    if let Some(row) = st.store.reference_photo(person_id).await? {
        return recheck::embedding_from_text(&row.embedding)
            .map(Some)
            .ok_or_else(|| ApiError::internal("stored reference embedding is unreadable"));
    }
    let Some(Some(file)) = st.store.roster_reference_file(person_id).await? else {
        return Ok(None);
    };
    let path = st.recheck.data_dir.join(&file);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| ApiError::internal(format!("roster reference photo: {e}")))?;
    let face = crate::reference_photos::face_of(st, bytes).await?;
    let ReferenceFace::Face(embedding) = face else {
        tracing::warn!("a roster reference photo has no single usable face");
        return Ok(None);
    };
    let embedding = *embedding;
    st.store
        .insert_reference_photo(&NewReferencePhoto {
            id: &tokens::new_id(),
            person_id,
            upload_id: None,
            blob_key: &file,
            embedding: &recheck::embedding_to_text(&embedding),
            source: "roster_import",
            captured_by: None,
            consent_at: None,
            now: st.clock.unix(),
        })
        .await?;
    Ok(Some(embedding))
}

/// `GET /api/v1/me/reference-photo` → 200 the caller's own reference photo (the newest; else
/// the photo `import-roster` stored), `image/jpeg` or `image/png`; 404 `no_reference_photo` if
/// there is none. Veterans only, and only their own person's photo: the app shows it beside the
/// captured photo when the 1:1 comparison fails (issue 6). Like a veteran's read of their own
/// uploads, not audited.
pub async fn my_reference_photo(State(st): State<AppState>, user: AuthUser) -> ApiResult<Response> {
    user.require(&[Role::Veteran])?;
    let person_id = st
        .store
        .review_person(&user.user_id)
        .await?
        .ok_or(ApiError::NoReview)?
        .person_id;
    let bytes = match st.store.reference_photo(&person_id).await? {
        Some(row) if row.source == "roster_import" => {
            Some(read_data_file(&st, &row.blob_key).await?)
        }
        Some(row) => {
            let blobs = st.blobs.clone();
            let key = row.blob_key;
            Some(
                tokio::task::spawn_blocking(move || blobs.get(&key))
                    .await
                    .map_err(ApiError::internal)?
                    .map_err(|e| ApiError::internal(format!("blob store: {e}")))?,
            )
        }
        None => match st.store.roster_reference_file(&person_id).await? {
            Some(Some(file)) => Some(read_data_file(&st, &file).await?),
            _ => None,
        },
    };
    let Some(bytes) = bytes else {
        return Ok(problem(
            StatusCode::NOT_FOUND,
            "no_reference_photo",
            "人脸比对无基准照片",
        ));
    };
    let content_type = if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else {
        "image/jpeg"
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response())
}

/// A file `import-roster` stored under the data directory.
async fn read_data_file(st: &AppState, file: &str) -> ApiResult<Vec<u8>> {
    tokio::fs::read(st.recheck.data_dir.join(file))
        .await
        .map_err(|e| ApiError::internal(format!("roster reference photo: {e}")))
}

/// `PUT /api/v1/admin/people/{person_id}/reference-photo` body.
#[derive(Debug, Deserialize)]
pub struct ReferencePhotoRequest {
    pub upload_id: String,
    /// The person agreed to the photo being used for face comparison; must be `true`.
    #[serde(default)]
    pub consent: bool,
}

/// `PUT /api/v1/admin/people/{person_id}/reference-photo` `{upload_id, consent: true}` → 200
/// `{reference_photo_id, person_id}`: the upload (the admin's own, kind `reference_photo`, one
/// clear face) becomes the person's reference photo for the 1:1 comparison. Admins only;
/// audited as `reference_photo_set`. Unknown person: 404.
pub async fn set_reference_photo(
    State(st): State<AppState>,
    user: AuthUser,
    Path(person_id): Path<String>,
    ApiJson(req): ApiJson<ReferencePhotoRequest>,
) -> ApiResult<Json<serde_json::Value>> {
    user.require(&[Role::Admin])?;
    if person_id.len() > 64 || st.store.roster_reference_file(&person_id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let mut errors = Vec::new();
    if !req.consent {
        errors.push(FieldError::new(
            "consent",
            "consent_required",
            "采集基准照片须经本人同意",
        ));
    }
    let upload = if req.upload_id.is_empty() || req.upload_id.len() > 64 {
        None
    } else {
        st.store.upload(&req.upload_id).await?
    };
    let blob_key = match upload {
        Some(u) if u.user_id == user.user_id => {
            if u.kind != UploadKind::ReferencePhoto.as_str() {
                errors.push(FieldError::new(
                    "upload_id",
                    "upload_wrong_kind",
                    "上传的图片类型不对,请上传基准照片",
                ));
            }
            Some(u.blob_key)
        }
        _ => {
            errors.push(FieldError::new(
                "upload_id",
                "upload_not_found",
                "图片不存在或已失效,请重新上传",
            ));
            None
        }
    };
    let (Some(blob_key), true) = (blob_key, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let embedding = crate::reference_photos::embedding_text(&st, &blob_key).await?;
    let now = st.clock.unix();
    let photo_id = tokens::new_id();
    st.store
        .insert_reference_photo(&NewReferencePhoto {
            id: &photo_id,
            person_id: &person_id,
            upload_id: Some(&req.upload_id),
            blob_key: &blob_key,
            embedding: &embedding,
            source: "admin",
            captured_by: Some(&user.user_id),
            consent_at: Some(now),
            now,
        })
        .await?;
    st.store
        .audit(
            "reference_photo_set",
            Some(&user.user_id),
            &serde_json::json!({
                "person_id": person_id, "reference_photo_id": photo_id,
                "upload_id": req.upload_id, "consent": true,
            }),
            now,
        )
        .await?;
    Ok(Json(serde_json::json!({
        "reference_photo_id": photo_id,
        "person_id": person_id,
    })))
}
