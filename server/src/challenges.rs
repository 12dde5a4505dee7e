//! Liveness challenges, for every route that issues or uses one: issuing (the veteran's own,
//! and staff's for a person), the one rule a submission's challenge must meet, and which person
//! a staff member's challenge is for. The evidence re-check is `routes::liveness` with
//! `crate::recheck`.

use chrono::Datelike;
use shared::api::review::ChallengeIssued;
use shared::liveness::{Action, Challenge, ChallengeId, FlashSchedule};
use shared::FieldError;

use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::extract::AuthUser;
use crate::state::AppState;
use crate::store::NewChallenge;

/// A liveness check counts for a submission this long after it passed (seconds).
pub const LIVENESS_VALID_SECS: i64 = 30 * 60;

const CHALLENGE_FIELD: &str = "liveness_challenge_id";

/// Issues a challenge to `user_id` (`shared::liveness::Challenge::issue` with the OS RNG and
/// `--liveness-actions`: 2–3 actions, two minutes; `ttl_secs` instead of two minutes when
/// given) and stores it with its owner. Every challenge has a colour flash, its sequence derived
/// from the nonce (`shared::liveness::flash`); the answer spells it out for the app.
pub async fn issue(
    st: &AppState,
    user_id: &str,
    ttl_secs: Option<i64>,
) -> ApiResult<ChallengeIssued> {
    let challenge = Challenge::issue(&mut rand::rngs::OsRng, &st.liveness_actions, st.clock.now());
    let actions: Vec<Action> = challenge.actions().iter().collect();
    let actions_json = serde_json::to_string(&actions).map_err(ApiError::internal)?;
    let issued_at = challenge.issued_at().timestamp();
    let expires_at = match ttl_secs {
        Some(ttl) => issued_at + ttl,
        None => challenge.expires_at().timestamp(),
    };
    st.store
        .insert_challenge(&NewChallenge {
            id: challenge.id().as_str(),
            user_id,
            nonce: challenge.nonce().as_str(),
            actions: &actions_json,
            issued_at,
            expires_at,
            flash: true,
        })
        .await?;
    Ok(ChallengeIssued {
        challenge_id: challenge.id().as_str().to_owned(),
        nonce: challenge.nonce().as_str().to_owned(),
        actions,
        expires_at: rfc3339(expires_at),
        flash: FlashSchedule::from_nonce(challenge.nonce())
            .steps()
            .to_vec(),
    })
}

/// The liveness rule of a submission, in one place: `challenge_id` must be a challenge issued to
/// `user_id` (for `for_person` when staff submit on someone's behalf; `None` for the veteran's
/// own) whose evidence passed the server's re-check (`passed_at`) within the last 30 minutes,
/// and not used by another submission. `None` when it holds; otherwise the field error.
pub async fn check_for_submission(
    st: &AppState,
    user_id: &str,
    for_person: Option<&str>,
    challenge_id: &str,
) -> ApiResult<Option<FieldError>> {
    let Ok(id) = ChallengeId::parse(challenge_id) else {
        return Ok(Some(not_found()));
    };
    let c = match st.store.challenge(id.as_str()).await? {
        Some(c) if c.user_id == user_id && c.for_person_id.as_deref() == for_person => c,
        // Someone else's challenge gets the same answer as a missing one.
        _ => return Ok(Some(not_found())),
    };
    let now = st.clock.unix();
    Ok(match c.passed_at {
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
        Some(_) if c.submitted_at.is_some() => Some(used()),
        Some(_) => None,
    })
}

/// The challenge named by a submission does not exist or is not the caller's (the same answer
/// for both: never reveal someone else's challenge).
fn not_found() -> FieldError {
    FieldError::new(
        CHALLENGE_FIELD,
        "challenge_not_found",
        "身份核验记录不存在,请重新进行人脸识别",
    )
}

/// The challenge already backs another submission (also when a concurrent submission took it
/// first).
pub fn used() -> FieldError {
    FieldError::new(
        CHALLENGE_FIELD,
        "challenge_used",
        "该次人脸识别已用于提交,请重新进行人脸识别",
    )
}

/// The person a staff member's liveness challenge was issued for, for the evidence endpoint:
/// the challenge must be the caller's, issued for a person
/// (`POST /api/v1/staff/people/{id}/liveness/challenges`) who is still in the caller's
/// districts. Anything else is 404, as for someone else's challenge.
pub async fn staff_challenge_person(
    st: &AppState,
    user: &AuthUser,
    challenge_id: &str,
) -> ApiResult<String> {
    let person_id = st
        .store
        .staff_challenge(challenge_id)
        .await?
        .filter(|c| c.user_id == user.user_id)
        .and_then(|c| c.for_person_id)
        .ok_or(ApiError::NotFound)?;
    let year = i64::from(st.clock.today_cn().year());
    let row = st
        .store
        .staff_person(Some(&user.user_id), &person_id, year)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(row.person_id)
}
