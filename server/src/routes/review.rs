//! The annual review intake (年审): this year's review, the server copy of the draft, image
//! uploads, liveness challenges and the submission itself.
//!
//! Every rule comes from `shared`: the form's validation (`shared::form`), the review's state
//! machine (`shared::lifecycle`), the category's window and consequences (`shared::category`) and
//! the challenge (`shared::liveness`). Only veterans in the roster have a review.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, NaiveDate};
use shared::api::accounts::Role;
use shared::api::review::{
    ChallengeIssued, CurrentReview, SaveDraftRequest, SubmissionRequest, UploadCreated, UploadKind,
};
use shared::category::{Category, ReviewWindow};
use shared::form::ReviewFormDraft;
use shared::lifecycle::{self, ReviewEvent, ReviewStatus};
use shared::FieldError;

use super::created_json;
use crate::error::{ApiError, ApiResult};
use crate::extract::{idempotency_key, ApiJson, AuthUser};
use crate::reviews::{
    check_submission_form, parse_status, prefill, status_json, submission_answer,
};
use crate::state::AppState;
use crate::store::{NewSubmission, NewUpload, ReviewPerson, SubmitOutcome};
use crate::yearly::effective_status;

/// The caller's review context for this year.
struct Context {
    person: ReviewPerson,
    category: Category,
    year: i32,
    window: ReviewWindow,
    today: NaiveDate,
}

async fn context(st: &AppState, user: &AuthUser) -> ApiResult<Context> {
    user.require(&[Role::Veteran])?;
    let person = st
        .store
        .review_person(&user.user_id)
        .await?
        .ok_or(ApiError::NoReview)?;
    let category = Category::parse(&person.category)
        .map_err(|_| ApiError::internal("unknown category in the roster"))?;
    let today = st.clock.today_cn();
    let year = today.year();
    // The year's window as configured by an administrator, else the category's default.
    let window = crate::yearly::window(&st.store, category, year).await?;
    Ok(Context {
        person,
        category,
        year,
        window,
        today,
    })
}

/// `GET /api/v1/reviews/current`: this year's review of the caller.
pub async fn current(State(st): State<AppState>, user: AuthUser) -> ApiResult<Json<CurrentReview>> {
    let ctx = context(&st, &user).await?;
    let row = st
        .store
        .review(&ctx.person.person_id, i64::from(ctx.year))
        .await?;
    let stored = parse_status(row.as_ref().map(|r| r.status.as_str()))?;
    let status = effective_status(&stored, &ctx.window, ctx.today);
    let draft = row
        .and_then(|r| r.draft)
        .map(|d| serde_json::from_str::<ReviewFormDraft>(&d))
        .transpose()
        .map_err(|e| ApiError::internal(format!("stored draft: {e}")))?;
    let rejection_reason = match &stored {
        ReviewStatus::Rejected { reason } => Some(reason.as_str().to_owned()),
        _ => None,
    };
    Ok(Json(CurrentReview {
        year: ctx.year,
        category: ctx.category.as_str().to_owned(),
        category_label: ctx.category.label_zh().to_owned(),
        status: status.kind().as_str().to_owned(),
        status_label: status.label_zh().to_owned(),
        opens: ctx.window.opens().to_string(),
        deadline: ctx.window.deadline().to_string(),
        prefill: prefill(ctx.person.last_review.as_deref(), ctx.today),
        draft,
        rejection_reason,
        consequences: ctx.category.overdue_consequence_zh().to_owned(),
    }))
}

/// `PUT /api/v1/reviews/current/draft` → 204: keeps a server copy of the draft (partial forms
/// allowed). The status moves by `ReviewEvent::SaveDraft` (a submitted review cannot be edited:
/// 409 `illegal_transition`).
pub async fn save_draft(
    State(st): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<SaveDraftRequest>,
) -> ApiResult<StatusCode> {
    let ctx = context(&st, &user).await?;
    let year = i64::from(ctx.year);
    let draft = serde_json::to_string(&req.form).map_err(ApiError::internal)?;
    // Compare-and-set on the status: retried if a concurrent request changed it in between.
    for _ in 0..3 {
        let row = st.store.review(&ctx.person.person_id, year).await?;
        let stored = parse_status(row.as_ref().map(|r| r.status.as_str()))?;
        let next = effective_status(&stored, &ctx.window, ctx.today)
            .apply_as(lifecycle::Actor::Veteran, ReviewEvent::SaveDraft)
            .map_err(ApiError::Transition)?;
        let written = st
            .store
            .save_review_draft(
                &ctx.person.person_id,
                year,
                row.as_ref().map(|r| r.status.as_str()),
                &status_json(&next)?,
                &draft,
                st.clock.unix(),
            )
            .await?;
        if written {
            return Ok(StatusCode::NO_CONTENT);
        }
    }
    Err(ApiError::internal(
        "review changed concurrently three times",
    ))
}

/// `POST /api/v1/liveness/challenges` → 201: 2–3 random actions (from `--liveness-actions`),
/// expiring in two minutes, stored with their owner.
pub async fn new_challenge(
    State(st): State<AppState>,
    user: AuthUser,
) -> ApiResult<(StatusCode, Json<ChallengeIssued>)> {
    context(&st, &user).await?;
    let issued = crate::challenges::issue(&st, &user.user_id, None).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// `POST /api/v1/uploads` (multipart: `kind`, `file`) → 201 `{upload_id}`. JPEG or PNG only,
/// checked by decoding (415 `unsupported_media`); over 2 MB → 413 `too_large`. The image is
/// re-encoded (metadata stripped) and kept in the blob store, owned by the caller.
pub async fn upload(
    State(st): State<AppState>,
    user: AuthUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<UploadCreated>)> {
    // Veterans upload their review's images; admins and staff only reference photos (基准照片).
    let takes_reference_photos = matches!(user.role, Role::Admin | Role::Staff);
    if !takes_reference_photos {
        context(&st, &user).await?;
    }
    let parts = crate::uploads::read_parts(multipart).await?;
    let kind = parts.kind.as_deref().and_then(UploadKind::parse);
    let mut errors = parts.missing_errors(
        kind.is_some(),
        "身份证人像面、身份证国徽面、读报照片或人脸识别画面",
    );
    match kind {
        // Staff and admins have no review of their own: reference photos only.
        Some(k) if takes_reference_photos && k != UploadKind::ReferencePhoto => {
            return Err(ApiError::Forbidden)
        }
        Some(UploadKind::ReferencePhoto) if !takes_reference_photos => {
            errors.push(FieldError::new(
                "kind",
                "upload_kind_not_allowed",
                "基准照片须由工作人员采集",
            ));
        }
        _ => {}
    }
    let (Some(kind), Some(file), true) = (kind, parts.file, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let image = crate::uploads::store_image(&st, file).await?;
    st.store
        .insert_upload(
            &NewUpload {
                id: &image.upload_id,
                user_id: &user.user_id,
                kind: kind.as_str(),
                blob_key: &image.blob_key,
                content_type: image.content_type,
                size: image.size,
            },
            st.clock.unix(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadCreated {
            upload_id: image.upload_id,
        }),
    ))
}

/// `GET /api/v1/uploads/{id}`: the stored (re-encoded) image, to its owner and to reviewers of
/// the owner's district (audited). Anyone else: 404, as if it did not exist.
pub async fn get_upload(
    State(st): State<AppState>,
    user: AuthUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> ApiResult<Response> {
    let row = if id.len() > 64 {
        None
    } else {
        st.store.upload(&id).await?
    };
    let Some(row) = row else {
        return Err(ApiError::NotFound);
    };
    let allowed = if row.user_id == user.user_id {
        true
    } else if user.role == Role::Reviewer {
        // A veteran's own upload, one staff made for a person (issue 8), or a real-name scan, of
        // the districts.
        let ok = st
            .store
            .upload_in_reviewer_districts(&user.user_id, &id)
            .await?
            || st
                .store
                .staff_upload_in_reviewer_districts(&user.user_id, &id)
                .await?
            // The signed scans of a manual real-name review (人工审核).
            || st
                .store
                .real_name_upload_in_reviewer_districts(&user.user_id, &id)
                .await?;
        if ok {
            st.store
                .audit(
                    "upload_read",
                    Some(&user.user_id),
                    &serde_json::json!({"upload_id": id, "kind": row.kind}),
                    st.clock.unix(),
                )
                .await?;
        }
        ok
    } else {
        false
    };
    if !allowed {
        return Err(ApiError::NotFound);
    }
    let bytes = crate::uploads::read_blob(&st, &row.blob_key).await?;
    let content_type = if row.content_type == "image/png" {
        "image/png"
    } else {
        "image/jpeg"
    };
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// Whether `upload_id` names an upload of the caller of `kind`. Another person's upload and a
/// missing one get the same answer (nothing tells whether the id exists).
async fn check_upload(
    st: &AppState,
    user_id: &str,
    field: &str,
    upload_id: &str,
    kind: UploadKind,
) -> ApiResult<Option<FieldError>> {
    let row = if upload_id.is_empty() || upload_id.len() > 64 {
        None
    } else {
        st.store.upload(upload_id).await?
    };
    Ok(match row {
        Some(u) if u.user_id == user_id => (u.kind != kind.as_str())
            .then(|| FieldError::new(field, "upload_wrong_kind", "上传的图片类型不对,请重新上传")),
        _ => Some(FieldError::new(
            field,
            "upload_not_found",
            "图片不存在或已失效,请重新上传",
        )),
    })
}

/// A submission through the special-population check (特殊人群核验).
struct SpecialPath {
    /// The latest challenge of the caller this year whose face comparison failed: the evidence
    /// the reviewer compares with the newspaper photo.
    challenge_id: Option<String>,
    failures: u32,
}

/// Which way the submission proves the person: `None` for a passed liveness challenge,
/// `Some` for the newspaper photo. Problems go to `errors`: both or the wrong category or too
/// few failed comparisons (seed 001: 军休干部 and 无军籍退休职工, after more than 3).
async fn special_population(
    st: &AppState,
    user: &AuthUser,
    ctx: &Context,
    req: &SubmissionRequest,
    errors: &mut Vec<FieldError>,
) -> ApiResult<Option<SpecialPath>> {
    const FIELD: &str = "newspaper_photo_upload";
    let Some(upload) = req.newspaper_photo_upload.as_deref() else {
        return Ok(None);
    };
    if !req.liveness_challenge_id.is_empty() {
        errors.push(FieldError::new(
            FIELD,
            "verification_ambiguous",
            "人脸识别与特殊人群核验只能选择一种",
        ));
        return Ok(None);
    }
    errors
        .extend(check_upload(st, &user.user_id, FIELD, upload, UploadKind::NewspaperPhoto).await?);
    let failures = st
        .store
        .face_mismatches(&ctx.person.person_id, i64::from(ctx.year))
        .await?;
    let failures = u32::try_from(failures).unwrap_or(u32::MAX);
    let refused = if !ctx.category.special_population_check_allowed() {
        Some(lifecycle::TransitionError::SpecialPopulationNotAllowed {
            category: ctx.category,
        })
    } else if failures <= lifecycle::SPECIAL_POPULATION_AFTER_FAILED_COMPARISONS {
        Some(lifecycle::TransitionError::NotEnoughFailedComparisons { failed: failures })
    } else {
        None
    };
    let challenge_id = st
        .store
        .latest_face_mismatch_challenge(&user.user_id, crate::clock::year_start_unix(ctx.year))
        .await?;
    match refused {
        Some(e) => {
            use shared::UserError;
            errors.push(FieldError::new(FIELD, e.code(), e.message()));
        }
        None if challenge_id.is_none() => {
            let e = lifecycle::TransitionError::NotEnoughFailedComparisons { failed: 0 };
            use shared::UserError;
            errors.push(FieldError::new(FIELD, e.code(), e.message()));
        }
        None => {}
    }
    Ok(Some(SpecialPath {
        challenge_id,
        failures,
    }))
}

/// `POST /api/v1/reviews/current/submissions` (header `Idempotency-Key`) → 201
/// `{submission_id, status, message}`. The same key again returns the same answer and creates
/// nothing. The uploads' ids replace the form's photo references, and the challenge id its
/// liveness reference; every problem is reported at once (422).
pub async fn submit(
    State(st): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SubmissionRequest>,
) -> ApiResult<Response> {
    let ctx = context(&st, &user).await?;
    let key = idempotency_key(&headers)?;
    if let Some(answer) = st.store.idempotent_response(&user.user_id, &key).await? {
        return Ok(created_json(answer));
    }
    match submit_once(&st, &user, &ctx, &key, &req).await {
        Ok(r) => Ok(r),
        // A concurrent retry with the same key may have committed while this one was checking
        // (its challenge is now used, the status submitted): answer as that one did.
        Err(e) if !matches!(e, ApiError::Internal(_)) => {
            match st.store.idempotent_response(&user.user_id, &key).await? {
                Some(answer) => Ok(created_json(answer)),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

async fn submit_once(
    st: &AppState,
    user: &AuthUser,
    ctx: &Context,
    key: &str,
    req: &SubmissionRequest,
) -> ApiResult<Response> {
    let mut draft = req.form.clone();
    draft.basic.id_front_photo = Some(req.id_front_upload.clone());
    draft.basic.id_back_photo = Some(req.id_back_upload.clone());
    let mut errors = Vec::new();
    // 特殊人群核验: a newspaper photo instead of a passed challenge (exactly one of the two).
    let special = special_population(st, user, ctx, req, &mut errors).await?;
    let challenge_id = match &special {
        Some(s) => s.challenge_id.clone(),
        None => Some(req.liveness_challenge_id.clone()),
    };
    draft.verification.liveness_challenge_id = challenge_id.clone();
    // On the special path a missing challenge is already explained.
    let form = check_submission_form(
        &draft,
        ctx.today,
        &ctx.person.name,
        &ctx.person.id_number,
        special.is_none(),
        &mut errors,
    );
    let uploads = [
        ("id_front_upload", &req.id_front_upload, UploadKind::IdFront),
        ("id_back_upload", &req.id_back_upload, UploadKind::IdBack),
    ];
    for (field, id, kind) in uploads {
        errors.extend(check_upload(st, &user.user_id, field, id, kind).await?);
    }
    if special.is_none() {
        errors.extend(
            crate::challenges::check_for_submission(
                st,
                &user.user_id,
                None,
                &req.liveness_challenge_id,
            )
            .await?,
        );
    }
    let Some(form) = form.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };

    let year = i64::from(ctx.year);
    let now = st.clock.unix();
    let person_id = ctx.person.person_id.as_str();
    let old_status = match st.store.review(person_id, year).await? {
        Some(row) => row.status,
        None => status_json(&ReviewStatus::NotStarted)?,
    };
    let stored = parse_status(Some(&old_status))?;
    let current = effective_status(&stored, &ctx.window, ctx.today);
    let event = match &special {
        Some(s) => ReviewEvent::SubmitSpecialPopulation {
            category: ctx.category,
            failed_comparisons: s.failures,
        },
        None => ReviewEvent::Submit,
    };
    let next = current
        .apply_as(lifecycle::Actor::Veteran, event)
        .map_err(ApiError::Transition)?;
    let challenge_id = challenge_id.unwrap_or_default();
    let (submission_id, answer) = submission_answer(&next)?;
    let form_json = serde_json::to_string(&form.to_draft()).map_err(ApiError::internal)?;
    let outcome = st
        .store
        .create_submission(&NewSubmission {
            id: &submission_id,
            person_id,
            user_id: &user.user_id,
            year,
            form: &form_json,
            id_front_upload: &req.id_front_upload,
            id_back_upload: &req.id_back_upload,
            liveness_challenge_id: &challenge_id,
            special_population: special.is_some(),
            newspaper_photo_upload: req
                .newspaper_photo_upload
                .as_deref()
                .filter(|_| special.is_some()),
            status: next.kind().as_str(),
            old_review_status: &old_status,
            new_review_status: &status_json(&next)?,
            response: &answer,
            idempotency_key: key,
            now,
        })
        .await?;
    match outcome {
        // Audited as `review_submitted` in the same commit (`store::batch`).
        SubmitOutcome::Created(answer) => Ok(created_json(answer)),
        SubmitOutcome::Replayed(answer) => Ok(created_json(answer)),
        SubmitOutcome::StatusChanged => {
            Err(ApiError::Transition(lifecycle::TransitionError::Illegal {
                from: current.kind(),
                event: lifecycle::EventKind::Submit,
            }))
        }
        SubmitOutcome::ChallengeUsed => Err(ApiError::Invalid(vec![crate::challenges::used()])),
    }
}
