//! The annual review intake (年审): this year's review, the server copy of the draft, image
//! uploads, liveness challenges and the submission itself.
//!
//! Every rule comes from `shared`: the form's validation (`shared::form`), the review's state
//! machine (`shared::lifecycle`), the category's window and consequences (`shared::category`) and
//! the challenge (`shared::liveness`). Only veterans in the roster have a review.

use std::io::Cursor;

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use shared::api::accounts::Role;
use shared::api::review::{
    ChallengeIssued, CurrentReview, SaveDraftRequest, SubmissionAccepted, SubmissionRequest,
    UploadCreated, UploadKind, SUBMITTED_MESSAGE,
};
use shared::category::{Category, ReviewWindow};
use shared::form::ReviewFormDraft;
use shared::lifecycle::{self, ReviewEvent, ReviewStatus};
use shared::liveness::{Action, Challenge, ChallengeId};
use shared::FieldError;

use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use crate::store::{NewChallenge, NewSubmission, NewUpload, ReviewPerson, SubmitOutcome};
use crate::tokens;
use crate::yearly::effective_status;

/// Largest image accepted by `POST /api/v1/uploads` (the file part), in bytes.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;
/// The upload route's body limit: the image plus room for the multipart framing and `kind`.
pub const UPLOAD_BODY_LIMIT: usize = MAX_UPLOAD_BYTES + 16 * 1024;
/// A liveness check counts for a submission this long after it passed (seconds).
pub const LIVENESS_VALID_SECS: i64 = 30 * 60;
/// Longest `Idempotency-Key` accepted.
const MAX_IDEMPOTENCY_KEY: usize = 128;

/// Image decodes/re-encodes running at once (each may allocate up to 256 MiB, and is CPU-bound).
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

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

fn parse_status(json: &str) -> ApiResult<ReviewStatus> {
    serde_json::from_str(json).map_err(|e| ApiError::internal(format!("stored status: {e}")))
}

fn status_json(status: &ReviewStatus) -> ApiResult<String> {
    serde_json::to_string(status).map_err(ApiError::internal)
}

/// Last year's accepted form as stored in the roster (`{"year", "status", "form"}`).
#[derive(Deserialize)]
struct LastReview {
    form: ReviewFormDraft,
}

/// Next year's starting draft from last year's accepted review, without the liveness
/// reference (earned again every year). `None` if there is none or it cannot be read.
fn prefill(last_review: Option<&str>, today: NaiveDate) -> Option<ReviewFormDraft> {
    let last: LastReview = match serde_json::from_str(last_review?) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "unreadable last review in the roster");
            return None;
        }
    };
    match last.form.validate(today) {
        Ok(form) => Some(form.prefill_next_year()),
        // Still a useful start (e.g. a reference that is no longer accepted): send the draft.
        Err(_) => {
            let mut draft = last.form;
            draft.verification = Default::default();
            Some(draft)
        }
    }
}

/// `GET /api/v1/reviews/current`: this year's review of the caller.
pub async fn current(State(st): State<AppState>, user: AuthUser) -> ApiResult<Json<CurrentReview>> {
    let ctx = context(&st, &user).await?;
    let row = st
        .store
        .review(&ctx.person.person_id, i64::from(ctx.year))
        .await?;
    let stored = match &row {
        Some(r) => parse_status(&r.status)?,
        None => ReviewStatus::NotStarted,
    };
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
        let stored = match &row {
            Some(r) => parse_status(&r.status)?,
            None => ReviewStatus::NotStarted,
        };
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
    let challenge = Challenge::issue(&mut rand::rngs::OsRng, &st.liveness_actions, st.clock.now());
    let actions: Vec<Action> = challenge.actions().iter().collect();
    let actions_json = serde_json::to_string(&actions).map_err(ApiError::internal)?;
    let expires_at = challenge.expires_at().timestamp();
    st.store
        .insert_challenge(&NewChallenge {
            id: challenge.id().as_str(),
            user_id: &user.user_id,
            nonce: challenge.nonce().as_str(),
            actions: &actions_json,
            issued_at: challenge.issued_at().timestamp(),
            expires_at,
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ChallengeIssued {
            challenge_id: challenge.id().as_str().to_owned(),
            nonce: challenge.nonce().as_str().to_owned(),
            actions,
            expires_at: rfc3339(expires_at),
        }),
    ))
}

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::UploadTooLarge
    } else {
        ApiError::BadRequest
    }
}

/// Decodes `bytes` as a JPEG or PNG (by content, not name) and encodes it again, which drops
/// every metadata block (EXIF, GPS, comments). Returns the new bytes, extension and media type.
pub fn reencode(bytes: &[u8]) -> Result<(Vec<u8>, &'static str, &'static str), ApiError> {
    use image::ImageFormat;
    let format = image::guess_format(bytes).map_err(|_| ApiError::UnsupportedMedia)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png) {
        return Err(ApiError::UnsupportedMedia);
    }
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    // A small file can claim huge dimensions: cap what decoding may allocate.
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(8192);
    limits.max_image_height = Some(8192);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| ApiError::UnsupportedMedia)?;
    let mut out = Vec::new();
    match format {
        ImageFormat::Png => {
            img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
                .map_err(ApiError::internal)?;
            Ok((out, "png", "image/png"))
        }
        _ => {
            let rgb = img.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
                .encode_image(&rgb)
                .map_err(ApiError::internal)?;
            Ok((out, "jpg", "image/jpeg"))
        }
    }
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
    let mut multipart = multipart.map_err(|_| ApiError::UnsupportedMediaType)?;
    let mut kind: Option<Result<UploadKind, ()>> = None;
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("kind") => {
                let text = field.text().await.map_err(multipart_error)?;
                kind = Some(UploadKind::parse(text.trim()).ok_or(()));
            }
            Some("file") => {
                let bytes = field.bytes().await.map_err(multipart_error)?;
                if bytes.len() > MAX_UPLOAD_BYTES {
                    return Err(ApiError::UploadTooLarge);
                }
                file = Some(bytes);
            }
            // Unknown parts are skipped (read and dropped, within the body limit).
            _ => {}
        }
    }
    let mut errors = Vec::new();
    let kind = match kind {
        Some(Ok(k)) => Some(k),
        Some(Err(())) => {
            errors.push(FieldError::new(
                "kind",
                "upload_kind_invalid",
                "图片类型应为身份证人像面、身份证国徽面、读报照片或人脸识别画面之一",
            ));
            None
        }
        None => {
            errors.push(FieldError::new("kind", "required", "请选择图片类型"));
            None
        }
    };
    if file.is_none() {
        errors.push(FieldError::new("file", "required", "请选择要上传的图片"));
    }
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
    let (Some(kind), Some(file), true) = (kind, file, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    // Decoding may take up to 256 MiB and a core: at most two at once; the rest wait their turn.
    let permit = DECODES.acquire().await.map_err(ApiError::internal)?;
    let (bytes, ext, content_type) = tokio::task::spawn_blocking(move || reencode(&file))
        .await
        .map_err(ApiError::internal)??;
    drop(permit);
    let upload_id = tokens::new_id();
    let blob_key = format!("{upload_id}.{ext}");
    let blobs = st.blobs.clone();
    let size = bytes.len() as i64;
    {
        let key = blob_key.clone();
        tokio::task::spawn_blocking(move || blobs.put(&key, &bytes))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::internal(format!("blob store: {e}")))?;
    }
    st.store
        .insert_upload(
            &NewUpload {
                id: &upload_id,
                user_id: &user.user_id,
                kind: kind.as_str(),
                blob_key: &blob_key,
                content_type,
                size,
            },
            st.clock.unix(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(UploadCreated { upload_id })))
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
        // A veteran's own upload, or one staff made for a person (issue 8), of the districts.
        let ok = st
            .store
            .upload_in_reviewer_districts(&user.user_id, &id)
            .await?
            || st
                .store
                .staff_upload_in_reviewer_districts(&user.user_id, &id)
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
    let blobs = st.blobs.clone();
    let key = row.blob_key.clone();
    let bytes = tokio::task::spawn_blocking(move || blobs.get(&key))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(format!("blob store: {e}")))?;
    let content_type = if row.content_type == "image/png" {
        "image/png"
    } else {
        "image/jpeg"
    };
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// The `Idempotency-Key` header: 1–128 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| {
            !k.is_empty()
                && k.len() <= MAX_IDEMPOTENCY_KEY
                && k.bytes().all(|b| b.is_ascii_graphic())
        })
        .map(str::to_owned)
        .ok_or(ApiError::IdempotencyKeyMissing)
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

/// The liveness rule of a submission, in one place: `challenge_id` must be a challenge of the
/// caller whose evidence passed the server's re-check (`passed_at`) within the last 30 minutes,
/// and not used by another submission. `None` when it holds.
async fn check_challenge(
    st: &AppState,
    user_id: &str,
    challenge_id: &str,
) -> ApiResult<Option<FieldError>> {
    let not_found = || Some(challenge_not_found());
    let Ok(id) = ChallengeId::parse(challenge_id) else {
        return Ok(not_found());
    };
    let Some(c) = st.store.challenge(id.as_str()).await? else {
        return Ok(not_found());
    };
    if c.user_id != user_id {
        return Ok(not_found());
    }
    Ok(challenge_unusable(
        c.passed_at,
        c.submitted_at,
        st.clock.unix(),
    ))
}

const CHALLENGE_FIELD: &str = "liveness_challenge_id";

/// The challenge named by a submission does not exist or is not the caller's (the same answer
/// for both: never reveal someone else's challenge).
pub(crate) fn challenge_not_found() -> FieldError {
    FieldError::new(
        CHALLENGE_FIELD,
        "challenge_not_found",
        "身份核验记录不存在,请重新进行人脸识别",
    )
}

/// Why a found challenge cannot back a submission at `now`: not passed, passed more than 30
/// minutes ago, or already used. `None` when it can. Shared by the veteran's and the staff's
/// submissions.
pub(crate) fn challenge_unusable(
    passed_at: Option<i64>,
    submitted_at: Option<i64>,
    now: i64,
) -> Option<FieldError> {
    match passed_at {
        None => Some(FieldError::new(
            CHALLENGE_FIELD,
            "liveness_not_passed",
            "人脸识别未通过,请重新进行人脸识别",
        )),
        Some(at) if now - at > LIVENESS_VALID_SECS => Some(FieldError::new(
            CHALLENGE_FIELD,
            "liveness_stale",
            "人脸识别已超过30分钟,请重新进行人脸识别",
        )),
        Some(_) if submitted_at.is_some() => Some(FieldError::new(
            CHALLENGE_FIELD,
            "challenge_used",
            "该次人脸识别已用于提交,请重新进行人脸识别",
        )),
        Some(_) => None,
    }
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
        .latest_face_mismatch_challenge(
            &user.user_id,
            crate::routes::liveness::year_start_unix(ctx.year),
        )
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

fn created_json(body: String) -> Response {
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
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
    let form = match draft.validate(ctx.today) {
        Ok(form) => {
            if let Err(e) = form.check_submittable() {
                // On the special path a missing challenge is already explained.
                errors.extend(e.into_iter().filter(|_| special.is_none()));
            }
            // The form is the caller's own: the person the roster holds for this account.
            if form.basic().name.as_str() != ctx.person.name {
                errors.push(FieldError::new(
                    "basic.name",
                    "name_mismatch",
                    "姓名与建档立卡信息不一致",
                ));
            }
            if form.basic().id_number.as_str() != ctx.person.id_number {
                errors.push(FieldError::new(
                    "basic.id_number",
                    "id_number_mismatch",
                    "身份证号与本人账号不一致",
                ));
            }
            Some(form)
        }
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let uploads = [
        ("id_front_upload", &req.id_front_upload, UploadKind::IdFront),
        ("id_back_upload", &req.id_back_upload, UploadKind::IdBack),
    ];
    for (field, id, kind) in uploads {
        errors.extend(check_upload(st, &user.user_id, field, id, kind).await?);
    }
    if special.is_none() {
        errors.extend(check_challenge(st, &user.user_id, &req.liveness_challenge_id).await?);
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
    let stored = parse_status(&old_status)?;
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
    let submission_id = tokens::new_id();
    let answer = serde_json::to_string(&SubmissionAccepted {
        submission_id: submission_id.clone(),
        status: next.kind().as_str().to_owned(),
        message: SUBMITTED_MESSAGE.to_owned(),
    })
    .map_err(ApiError::internal)?;
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
        SubmitOutcome::ChallengeUsed => Err(ApiError::field(
            "liveness_challenge_id",
            "challenge_used",
            "该次人脸识别已用于提交,请重新进行人脸识别",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_makes_unsubmitted_reviews_overdue_only() {
        let window = Category::EntitledGroup.default_window(2025).unwrap();
        let inside = NaiveDate::from_ymd_opt(2025, 2, 1).unwrap();
        let after = NaiveDate::from_ymd_opt(2025, 4, 1).unwrap();
        assert_eq!(
            effective_status(&ReviewStatus::Draft, &window, inside),
            ReviewStatus::Draft
        );
        assert_eq!(
            effective_status(&ReviewStatus::Draft, &window, after),
            ReviewStatus::Overdue
        );
        assert_eq!(
            effective_status(&ReviewStatus::Submitted, &window, after),
            ReviewStatus::Submitted
        );
        let rejected = ReviewStatus::Rejected {
            reason: shared::lifecycle::Reason::parse("照片不清晰").unwrap(),
        };
        assert_eq!(effective_status(&rejected, &window, after), rejected);
    }

    #[test]
    fn reencoding_refuses_non_images() {
        assert!(matches!(
            reencode(b"GIF89a not really"),
            Err(ApiError::UnsupportedMedia)
        ));
        assert!(matches!(
            reencode(b"\x89PNG\r\n\x1a\n truncated"),
            Err(ApiError::UnsupportedMedia)
        ));
        assert!(matches!(reencode(b""), Err(ApiError::UnsupportedMedia)));
    }
}
