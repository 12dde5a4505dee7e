//! The liveness endpoints of [`FakeAccounts`]: challenges with a configurable action list, and
//! evidence checked for what the app controls (its own uploads, the claimed actions in the
//! challenge's order inside the frames' time span, single use, expiry). It does not run the
//! face models: tests script the server's face comparison with
//! [`FakeAccounts::script_evidence`] (face_mismatch, no_reference_photo, …).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rand::seq::SliceRandom;
use shared::api::review::UploadKind;
use shared::liveness::{Action, FailReason};

use super::{problem, FakeAccounts};
use crate::api::liveness::{
    is_path_safe, ChallengeIssued, EvidenceRequest, EvidenceResult, FaceMatch, LivenessApi,
};
use crate::api::{ApiError, Token};

/// How long an ordinary challenge lives (the server's `MAX_CHALLENGE_TTL_SECS`); a staff
/// offline challenge gets its own expiry through [`FakeLiveness::set_expiry`].
const TTL_SECS: i64 = 120;

struct FakeChallenge {
    owner: usize,
    actions: Vec<Action>,
    expires_at: DateTime<Utc>,
    used: bool,
}

/// What the next evidence call answers once the request itself is fine.
#[derive(Debug, Clone)]
pub struct ScriptedVerdict {
    /// `face_mismatch`, `no_reference_photo`, `different_person`, … (`None`: passed).
    pub reason: Option<String>,
    pub message: Option<String>,
    pub score: Option<f32>,
}

#[derive(Default)]
pub(super) struct FakeLiveness {
    challenges: HashMap<String, FakeChallenge>,
    /// Exactly these actions in this order; `None`: 摇头 and 点头 in random order (what the
    /// recorded p07 clips can pass).
    actions: Option<Vec<Action>>,
    /// Failed face comparisons this year, by owner.
    failed: HashMap<usize, u32>,
    scripted: Vec<ScriptedVerdict>,
    requests: Vec<EvidenceRequest>,
    expire_all: bool,
    /// Reference photos (`GET /api/v1/me/reference-photo`), by owner.
    reference_photos: HashMap<usize, Vec<u8>>,
}

impl FakeLiveness {
    /// Gives the challenge `id` another expiry (a staff offline challenge lives 72 hours, not
    /// the ordinary two minutes). Unknown id: ignored.
    pub(super) fn set_expiry(&mut self, id: &str, expires_at: DateTime<Utc>) {
        if let Some(ch) = self.challenges.get_mut(id) {
            ch.expires_at = expires_at;
        }
    }

    /// Moves every challenge's expiry `by` into the past, as if that much time had gone by.
    #[cfg(test)]
    pub(super) fn age(&mut self, by: Duration) {
        for ch in self.challenges.values_mut() {
            ch.expires_at -= by;
        }
    }
}

impl FakeAccounts {
    /// Every new challenge asks for exactly `actions`, in this order.
    pub fn set_liveness_actions(&self, actions: Vec<Action>) {
        self.lock().liveness.actions = Some(actions);
    }

    /// The next evidence calls answer these verdicts (front first) after the request checks.
    pub fn script_evidence(&self, verdicts: Vec<ScriptedVerdict>) {
        self.lock().liveness.scripted.extend(verdicts);
    }

    /// The reference photo the account with `phone` gets from `GET /api/v1/me/reference-photo`
    /// (`None`: 404 `no_reference_photo`). Unknown phone: ignored.
    pub fn set_reference_photo(&self, phone: &str, photo: Option<Vec<u8>>) {
        let mut state = self.lock();
        let Some(owner) = state.accounts.iter().position(|a| a.person.phone == phone) else {
            return;
        };
        match photo {
            Some(p) => state.liveness.reference_photos.insert(owner, p),
            None => state.liveness.reference_photos.remove(&owner),
        };
    }

    /// Every challenge issued so far is past its expiry.
    pub fn expire_challenges(&self) {
        self.lock().liveness.expire_all = true;
    }

    /// The evidence requests received, oldest first.
    pub fn evidence_requests(&self) -> Vec<EvidenceRequest> {
        self.lock().liveness.requests.clone()
    }

    fn owner_of(&self, token: &Token) -> Result<usize, ApiError> {
        self.lock()
            .tokens
            .get(token.expose())
            .copied()
            .ok_or_else(|| problem(401, "unauthorized", "登录已过期,请重新登录"))
    }
}

fn verdict(reason: FailReason, failed_comparisons: u32) -> EvidenceResult {
    EvidenceResult {
        passed: false,
        reason: Some(reason.as_str().into()),
        message: Some(reason.message_zh().into()),
        face_match: FaceMatch {
            score: None,
            same_person: false,
        },
        failed_comparisons,
    }
}

impl LivenessApi for FakeAccounts {
    fn reference_photo(&self, token: &Token) -> Result<Option<Vec<u8>>, ApiError> {
        let owner = self.owner_of(token)?;
        Ok(self.lock().liveness.reference_photos.get(&owner).cloned())
    }

    fn new_challenge(&self, token: &Token) -> Result<ChallengeIssued, ApiError> {
        let owner = self.owner_of(token)?;
        let mut state = self.lock();
        let actions = state.liveness.actions.clone().unwrap_or_else(|| {
            let mut a = vec![Action::ShakeHead, Action::Nod];
            a.shuffle(&mut rand::thread_rng());
            a
        });
        state.next_id += 1;
        // The server's formats: 32 and 64 lower-case hex characters.
        let id = shared::liveness::ChallengeId::generate(&mut rand::thread_rng())
            .as_str()
            .to_owned();
        let expires_at = Utc::now() + Duration::seconds(TTL_SECS);
        state.liveness.challenges.insert(
            id.clone(),
            FakeChallenge {
                owner,
                actions: actions.clone(),
                expires_at,
                used: false,
            },
        );
        Ok(ChallengeIssued {
            challenge_id: id,
            nonce: shared::liveness::Nonce::generate(&mut rand::thread_rng())
                .as_str()
                .to_owned(),
            actions,
            expires_at: expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }

    fn send_evidence(
        &self,
        token: &Token,
        challenge_id: &str,
        req: &EvidenceRequest,
    ) -> Result<EvidenceResult, ApiError> {
        let owner = self.owner_of(token)?;
        let mut guard = self.lock();
        let state = &mut *guard;
        state.liveness.requests.push(req.clone());
        let not_found = || problem(404, "not_found", "身份核验记录不存在,请重新核验");
        if !is_path_safe(challenge_id) {
            return Err(not_found());
        }
        let expire_all = state.liveness.expire_all;
        let Some(ch) = state.liveness.challenges.get_mut(challenge_id) else {
            return Err(not_found());
        };
        if ch.owner != owner {
            return Err(not_found());
        }
        if ch.used {
            return Err(problem(409, "challenge_used", "该次核验已提交,请重新核验"));
        }
        if expire_all || Utc::now() > ch.expires_at {
            return Err(problem(410, "challenge_expired", "核验已超时,请重新核验"));
        }
        ch.used = true;
        let actions = ch.actions.clone();
        let failed = *state.liveness.failed.get(&owner).unwrap_or(&0);
        for f in &req.frames {
            if state.review.uploads.get(&f.upload_id) != Some(&(owner, UploadKind::LivenessFrame)) {
                return Err(ApiError::Problem(crate::api::Problem::invalid_fields(
                    vec![shared::FieldError::new(
                        "frames",
                        "upload_not_found",
                        "核验画面不存在或已失效,请重新核验",
                    )],
                )));
            }
        }
        if req.frames.is_empty() {
            return Ok(verdict(FailReason::NoEvidence, failed));
        }
        let first = req.frames.iter().map(|f| f.t_ms).min().unwrap_or(0);
        let last = req.frames.iter().map(|f| f.t_ms).max().unwrap_or(0);
        let claimed: Vec<Action> = req.claimed.iter().map(|c| c.action).collect();
        let in_span = req.claimed.iter().all(|c| (first..=last).contains(&c.t_ms));
        let increasing = req.claimed.windows(2).all(|w| w[0].t_ms < w[1].t_ms);
        if claimed != actions || !in_span || !increasing {
            return Ok(verdict(FailReason::ClaimMismatch, failed));
        }
        if !state.liveness.scripted.is_empty() {
            let s = state.liveness.scripted.remove(0);
            if s.reason.is_some() {
                let comparison = matches!(
                    s.reason.as_deref(),
                    Some("face_mismatch" | "different_person")
                );
                let failed = failed + u32::from(comparison);
                state.liveness.failed.insert(owner, failed);
                return Ok(EvidenceResult {
                    passed: false,
                    reason: s.reason,
                    message: s.message,
                    face_match: FaceMatch {
                        score: s.score,
                        same_person: false,
                    },
                    failed_comparisons: failed,
                });
            }
        }
        state
            .review
            .challenges
            .insert(challenge_id.to_owned(), owner);
        Ok(EvidenceResult {
            passed: true,
            reason: None,
            message: None,
            face_match: FaceMatch {
                score: Some(0.8),
                same_person: true,
            },
            failed_comparisons: failed,
        })
    }
}
