//! One liveness attempt: the challenge's actions, checked in order against timed frames.
//!
//! # Rules
//! - The actions must be done in the challenge's order, each within
//!   [`DetectorConfig::action_timeout_ms`] of being prompted (the first from the first frame with
//!   a face, each next one from when the previous was done). An action counts only if it was
//!   completed strictly after the previous one.
//! - Actions that were not asked for (a natural blink, a nod while answering someone) are
//!   ignored. An asked-for action done *before its turn* is remembered: if the session then runs
//!   out of time, the reason is [`FailReason::WrongOrder`] (the evidence shows the actions in
//!   the wrong order and never in the right one). Doing the prompted action afterwards still
//!   passes: the evidence then contains the actions in the right order.
//! - A still photo (no motion at all) never completes an action and fails as
//!   [`FailReason::NoMotion`] when the time runs out.
//! - No usable face for [`DetectorConfig::no_face_timeout_ms`] in a row fails as
//!   [`FailReason::NoFace`]; several faces for [`DetectorConfig::multiple_faces_timeout_ms`] in a
//!   row as [`FailReason::MultipleFaces`].
//! - Identity ("the same person throughout") needs face embeddings from the models crate; the
//!   caller reports a change with [`LivenessSession::fail`]`(FailReason::DifferentPerson)`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::action::Action;
use super::challenge::ChallengeActions;
use super::detector::{ActionDetector, Detection, DetectorConfig, FrameError};
use super::signals::{FrameSignals, QualityIssue};
use crate::error::UserError;

/// An action and the time it was done (or claimed to be done), in the frames' milliseconds.
///
/// JSON: `{"action": "blink", "t_ms": 1234}` (the shape of the evidence's `claimed` items).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ActionAt {
    pub action: Action,
    pub t_ms: u64,
}

impl From<(Action, u64)> for ActionAt {
    fn from((action, t_ms): (Action, u64)) -> Self {
        ActionAt { action, t_ms }
    }
}

/// Why a liveness attempt failed. Serialised as its snake_case code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// The prompted action was not done in time (seed: 未按要求做动作, 准备时间过长).
    ActionTimeout,
    /// Nothing moved at all during the attempt: a still photo or a frozen picture.
    NoMotion,
    /// Asked-for actions were done, but not in the asked order.
    WrongOrder,
    /// No usable face for too long.
    NoFace,
    /// More than one face in the frame for too long.
    MultipleFaces,
    /// The face changed identity during the attempt (reported by the caller, which has the
    /// face embeddings).
    DifferentPerson,
    /// The client's claimed action times do not agree with what the frames show.
    ClaimMismatch,
    /// No usable evidence was received (no frames).
    NoEvidence,
    /// The challenge expired before the evidence arrived (reported by the caller).
    ChallengeExpired,
    /// There is no reference photo to compare with (reported by the caller; seed 001:
    /// 人脸比对无基准照片). Never produced by the session itself.
    NoReferencePhoto,
    /// The anti-spoofing network judged the face a picture: a screen, a print or a mask
    /// (reported by the caller, see [`super::pad`]).
    PresentationAttack,
    /// The face did not reflect the challenge's colour sequence (see [`super::flash`]).
    FlashNotDetected,
    /// The frames repeat an earlier challenge's frames (reported by the server, which keeps
    /// fingerprints of accepted evidence).
    EvidenceReused,
}

impl FailReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            FailReason::ActionTimeout => "action_timeout",
            FailReason::NoMotion => "no_motion",
            FailReason::WrongOrder => "wrong_order",
            FailReason::NoFace => "no_face",
            FailReason::MultipleFaces => "multiple_faces",
            FailReason::DifferentPerson => "different_person",
            FailReason::ClaimMismatch => "claim_mismatch",
            FailReason::NoEvidence => "no_evidence",
            FailReason::ChallengeExpired => "challenge_expired",
            FailReason::NoReferencePhoto => "no_reference_photo",
            FailReason::PresentationAttack => "presentation_attack",
            FailReason::FlashNotDetected => "flash_not_detected",
            FailReason::EvidenceReused => "evidence_reused",
        }
    }

    /// True for the reasons that count like a failed face comparison towards the
    /// special-population check (特殊人群核验, seed 001): the face itself was not accepted.
    pub const fn counts_as_face_failure(self) -> bool {
        matches!(
            self,
            FailReason::PresentationAttack
                | FailReason::FlashNotDetected
                | FailReason::EvidenceReused
        )
    }

    /// The Chinese message on the failure screen (seed 000 核验身份失败, seed 001).
    pub const fn message_zh(self) -> &'static str {
        match self {
            FailReason::ActionTimeout => "动作未完成,请重新核验",
            FailReason::NoMotion => "未检测到动作,请按提示做动作",
            FailReason::WrongOrder => "未按提示顺序做动作,请重新核验",
            FailReason::NoFace => "未检测到人脸,请重新核验",
            FailReason::MultipleFaces => "请保持单人入镜,请重新核验",
            FailReason::DifferentPerson => "核验为非同一人,请本人重新核验",
            FailReason::ClaimMismatch => "核验数据不一致,请重新核验",
            FailReason::NoEvidence => "未收到核验画面,请重新核验",
            FailReason::ChallengeExpired => "核验已超时,请重新核验",
            FailReason::NoReferencePhoto => {
                "人脸比对无基准照片,请前往退役军人服务中心(站)采集基准照片"
            }
            FailReason::PresentationAttack => "请勿使用照片或视频,请本人正对摄像头重新核验",
            FailReason::FlashNotDetected => "光线变化未检测到,请在室内正对屏幕、保持不动,重新核验",
            FailReason::EvidenceReused => "核验画面已使用过,请勿使用照片或视频,请本人重新核验",
        }
    }
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for FailReason {}

impl UserError for FailReason {
    fn code(&self) -> &'static str {
        self.as_str()
    }
    fn message(&self) -> String {
        self.message_zh().to_owned()
    }
}

/// The outcome of a liveness attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub passed: bool,
    /// `None` exactly when `passed`.
    pub reason: Option<FailReason>,
    /// The action being prompted when the attempt failed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_action: Option<Action>,
    /// The challenge's actions done so far, with the time each was completed.
    pub done_at: Vec<ActionAt>,
}

impl Verdict {
    fn pass(done_at: Vec<ActionAt>) -> Verdict {
        Verdict {
            passed: true,
            reason: None,
            failed_action: None,
            done_at,
        }
    }

    fn fail(reason: FailReason, failed_action: Option<Action>, done_at: Vec<ActionAt>) -> Verdict {
        Verdict {
            passed: false,
            reason: Some(reason),
            failed_action,
            done_at,
        }
    }
}

/// The one hint the camera screen shows next to the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hint {
    /// Fix the picture first (no face, too dark, too far …).
    Quality(QualityIssue),
    /// The face is fine but the prompted action is not happening: 请按提示做动作.
    FollowPrompt,
}

impl Hint {
    pub const fn text_zh(self) -> &'static str {
        match self {
            Hint::Quality(issue) => issue.guidance_zh(),
            Hint::FollowPrompt => "请按提示做动作",
        }
    }
}

/// What the camera screen shows after a frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Index of the action being prompted (= `total` once all are done).
    pub index: usize,
    /// Number of actions in the challenge.
    pub total: usize,
    /// The action being prompted; `None` once the session is over.
    pub action: Option<Action>,
    /// The single most useful hint, if any.
    pub hint: Option<Hint>,
    /// Time left for the prompted action.
    pub time_left_ms: u64,
    /// The final verdict, once the session is over.
    pub verdict: Option<Verdict>,
    /// Set when the last frame was refused or unusable.
    pub frame_error: Option<FrameError>,
}

impl Progress {
    /// The main text for the screen: the prompt (请眨眼 …) or, when finished, the result.
    pub fn prompt_zh(&self) -> &'static str {
        match (&self.verdict, self.action) {
            (Some(v), _) if v.passed => "核验成功",
            (Some(v), _) => v.reason.map_or("核验失败", FailReason::message_zh),
            (None, Some(a)) => a.prompt_zh(),
            (None, None) => "",
        }
    }
}

/// Ranges of every signal over the session, to recognise a picture that never moves.
#[derive(Debug, Clone, Copy, Default)]
struct MotionRange {
    frames: u32,
    min: [f32; 6],
    max: [f32; 6],
}

impl MotionRange {
    fn add(&mut self, values: [f32; 6]) {
        if self.frames == 0 {
            self.min = values;
            self.max = values;
        } else {
            for ((lo, hi), v) in self.min.iter_mut().zip(self.max.iter_mut()).zip(values) {
                *lo = lo.min(v);
                *hi = hi.max(v);
            }
        }
        self.frames = self.frames.saturating_add(1);
    }

    /// [yaw, pitch, mean EAR, MAR, box cx, box cy]
    fn is_still(&self, c: &DetectorConfig) -> bool {
        if self.frames < 2 {
            return true;
        }
        let range = |i: usize| self.max[i] - self.min[i];
        let eye_range_ratio = if self.max[2] > 0.0 {
            range(2) / self.max[2]
        } else {
            0.0
        };
        range(0) < c.still_max_angle_range_deg
            && range(1) < c.still_max_angle_range_deg
            && eye_range_ratio < c.still_max_eye_range_ratio
            && range(3) < c.still_max_mouth_range
            && range(4) < c.still_max_box_shift
            && range(5) < c.still_max_box_shift
    }
}

/// A liveness attempt in progress. Feed frames with [`push`](Self::push); end it with
/// [`finish`](Self::finish) when the frames stop.
#[derive(Debug, Clone)]
pub struct LivenessSession {
    actions: ChallengeActions,
    config: DetectorConfig,
    detector: ActionDetector,
    index: usize,
    done: Vec<ActionAt>,
    /// Time of the last accepted frame.
    now: Option<u64>,
    /// When the prompted action's clock started (`None` until the first usable face).
    action_since: Option<u64>,
    /// The first action's clock starts no earlier than this (the colour flash runs first).
    hold_until: Option<u64>,
    /// When the first usable face was seen.
    first_face: Option<u64>,
    no_face_since: Option<u64>,
    multi_face_since: Option<u64>,
    /// Time without a usable face while the current action was prompted.
    no_face_ms_this_action: u64,
    /// Challenge actions detected before their turn (evidence of the wrong order).
    out_of_turn: Vec<Detection>,
    follow_prompt_until: Option<u64>,
    motion: MotionRange,
    last_issue: Option<QualityIssue>,
    detections: Vec<Detection>,
    frames_seen: usize,
    verdict: Option<Verdict>,
}

impl LivenessSession {
    pub fn new(actions: ChallengeActions, config: DetectorConfig) -> LivenessSession {
        LivenessSession {
            detector: ActionDetector::new(config.clone()),
            actions,
            config,
            index: 0,
            done: Vec::new(),
            now: None,
            action_since: None,
            hold_until: None,
            first_face: None,
            no_face_since: None,
            multi_face_since: None,
            no_face_ms_this_action: 0,
            out_of_turn: Vec::new(),
            follow_prompt_until: None,
            motion: MotionRange::default(),
            last_issue: None,
            detections: Vec::new(),
            frames_seen: 0,
            verdict: None,
        }
    }

    pub fn actions(&self) -> &ChallengeActions {
        &self.actions
    }

    /// The first action is prompted no earlier than `t_ms`: until then the person holds still
    /// for the colour flash ([`super::flash`]), and that time does not count against the
    /// action's [`DetectorConfig::action_timeout_ms`].
    ///
    /// May be called again (the app holds the actions back while it waits for a steady face,
    /// with `u64::MAX`, then gives the flash's real end): the last call counts.
    pub fn hold_until(&mut self, t_ms: u64) {
        self.hold_until = Some(t_ms);
        if self.index == 0 {
            if let Some(first) = self.first_face {
                self.action_since = Some(first.max(t_ms));
            }
        }
    }

    /// Every action detected so far (asked for or not), in order of completion.
    pub fn detections(&self) -> &[Detection] {
        &self.detections
    }

    /// The verdict, once the session is over.
    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdict.as_ref()
    }

    pub fn is_finished(&self) -> bool {
        self.verdict.is_some()
    }

    /// Consumes the next frame. Frames after the end are ignored; refused frames are reported in
    /// [`Progress::frame_error`] and change nothing.
    pub fn push(&mut self, frame: &FrameSignals) -> Progress {
        if self.verdict.is_some() {
            return self.progress(None);
        }
        let detections = match self.detector.push(frame) {
            Err(FrameError::TimeNotIncreasing) => {
                return self.progress(Some(FrameError::TimeNotIncreasing))
            }
            Err(FrameError::InvalidSignals) => Err(FrameError::InvalidSignals),
            Ok(ds) => Ok(ds),
        };
        let t = frame.t_ms;
        let dt = self.now.map_or(0, |prev| t.saturating_sub(prev));
        self.now = Some(t);
        self.frames_seen += 1;
        self.last_issue = frame.primary_issue();

        let usable = frame.single_face();
        if let Some(face) = usable {
            let (cx, cy) = face.face_box.center();
            let ear = (face.left_eye_openness + face.right_eye_openness) / 2.0;
            self.motion.add([
                face.yaw_deg,
                face.pitch_deg,
                ear,
                face.mouth_openness,
                cx,
                cy,
            ]);
            self.no_face_since = None;
            if self.first_face.is_none() {
                self.first_face = Some(t);
                self.action_since = Some(t.max(self.hold_until.unwrap_or(0)));
            }
        } else if frame.faces <= 1 {
            self.no_face_since.get_or_insert(t);
            if self.action_since.is_some() {
                self.no_face_ms_this_action = self.no_face_ms_this_action.saturating_add(dt);
            }
        } else {
            // Several faces: a face is there, the multiple-faces rule below deals with it.
            self.no_face_since = None;
        }
        if frame.faces > 1 {
            self.multi_face_since.get_or_insert(t);
        } else {
            self.multi_face_since = None;
        }

        let deadline = self.deadline();
        let frame_error = detections.as_ref().err().copied();
        for d in detections.unwrap_or_default() {
            self.on_detection(d, deadline);
            if self.verdict.is_some() {
                return self.progress(frame_error);
            }
        }

        let c = &self.config;
        if self
            .multi_face_since
            .is_some_and(|s| t.saturating_sub(s) >= c.multiple_faces_timeout_ms)
        {
            self.finish_with(FailReason::MultipleFaces);
        } else if self
            .no_face_since
            .is_some_and(|s| t.saturating_sub(s) >= c.no_face_timeout_ms)
        {
            self.finish_with(FailReason::NoFace);
        } else if deadline.is_some_and(|d| t > d) {
            let reason = self.timeout_reason();
            self.finish_with(reason);
        }
        self.progress(frame_error)
    }

    /// Ends the session (no more frames): passes if every action was done, otherwise fails
    /// with the most fitting reason. Idempotent.
    pub fn finish(&mut self) -> Verdict {
        if self.verdict.is_none() {
            let reason = if self.frames_seen == 0 {
                FailReason::NoEvidence
            } else {
                self.timeout_reason()
            };
            self.finish_with(reason);
        }
        self.verdict
            .clone()
            .unwrap_or_else(|| Verdict::fail(FailReason::NoEvidence, None, Vec::new()))
    }

    /// Fails the session for a reason found by the caller, e.g. `DifferentPerson` when the face
    /// embeddings show a change of identity, or `ChallengeExpired`. Overrides a pass (identity
    /// may be checked after the actions); an earlier failure keeps its reason.
    pub fn fail(&mut self, reason: FailReason) -> Verdict {
        match &self.verdict {
            Some(v) if !v.passed => {}
            _ => {
                let action = self.actions.get(self.index);
                self.verdict = Some(Verdict::fail(reason, action, self.done.clone()));
            }
        }
        self.verdict
            .clone()
            .unwrap_or_else(|| Verdict::fail(reason, None, Vec::new()))
    }

    /// The current state, as after the last frame.
    pub fn progress_now(&self) -> Progress {
        self.progress(None)
    }

    fn on_detection(&mut self, d: Detection, deadline: Option<u64>) {
        self.detections.push(d);
        let Some(current) = self.actions.get(self.index) else {
            return;
        };
        let after_previous = self.done.last().is_none_or(|prev| d.end_ms > prev.t_ms);
        let in_time = deadline.is_none_or(|dl| d.end_ms <= dl);
        if d.action == current && after_previous && in_time {
            self.done.push(ActionAt {
                action: d.action,
                t_ms: d.end_ms,
            });
            self.index += 1;
            self.action_since = Some(d.end_ms);
            self.no_face_ms_this_action = 0;
            self.follow_prompt_until = None;
            if self.index == self.actions.len() {
                self.verdict = Some(Verdict::pass(self.done.clone()));
            }
        } else if self
            .actions
            .position(d.action)
            .is_some_and(|j| j > self.index)
        {
            self.out_of_turn.push(d);
            self.follow_prompt_until =
                Some(d.end_ms.saturating_add(self.config.follow_prompt_hold_ms));
        }
    }

    /// When the prompted action's time runs out (`None` before the first usable face).
    fn deadline(&self) -> Option<u64> {
        self.action_since
            .map(|s| s.saturating_add(self.config.action_timeout_ms))
    }

    fn timeout_reason(&self) -> FailReason {
        // An asked-for action at or after the current one seen out of turn: wrong order.
        let wrong_order = self.out_of_turn.iter().any(|d| {
            self.actions
                .position(d.action)
                .is_some_and(|j| j >= self.index)
        });
        if wrong_order {
            return FailReason::WrongOrder;
        }
        let waited = match (self.action_since, self.now) {
            (Some(s), Some(n)) => n.saturating_sub(s),
            _ => 0,
        };
        if self.action_since.is_none() || self.no_face_ms_this_action.saturating_mul(2) > waited {
            return FailReason::NoFace;
        }
        if self.motion.is_still(&self.config) {
            return FailReason::NoMotion;
        }
        FailReason::ActionTimeout
    }

    fn finish_with(&mut self, reason: FailReason) {
        if self.verdict.is_none() {
            let action = self.actions.get(self.index);
            self.verdict = Some(Verdict::fail(reason, action, self.done.clone()));
        }
    }

    fn progress(&self, frame_error: Option<FrameError>) -> Progress {
        let now = self.now.unwrap_or(0);
        let finished = self.verdict.is_some();
        let action = if finished {
            None
        } else {
            self.actions.get(self.index)
        };
        let time_left_ms = match self.deadline() {
            _ if finished => 0,
            Some(d) => d.saturating_sub(now),
            None => self.config.action_timeout_ms,
        };
        let hint = if finished {
            None
        } else if let Some(issue) = self.last_issue {
            Some(Hint::Quality(issue))
        } else {
            let out_of_turn = self.follow_prompt_until.is_some_and(|u| now <= u);
            let slow = self
                .action_since
                .is_some_and(|s| now.saturating_sub(s) >= self.config.follow_prompt_after_ms);
            (out_of_turn || slow).then_some(Hint::FollowPrompt)
        };
        Progress {
            index: self.index,
            total: self.actions.len(),
            action,
            hint,
            time_left_ms,
            verdict: self.verdict.clone(),
            frame_error,
        }
    }
}

/// The server's re-check: recomputes the verdict from the uploaded frames and checks that the
/// client's claimed action times agree with it.
///
/// Frames are sorted by `t_ms` first (uploads may arrive in any order; duplicate times keep the
/// first frame). The claims must name exactly the challenge's actions, in its order, at strictly
/// increasing times, each within [`DetectorConfig::claim_tolerance_ms`] of a detection of that
/// action in the frames. A verdict that fails on the frames keeps the frames' reason; one that
/// passes on the frames but disagrees with the claims fails as [`FailReason::ClaimMismatch`].
pub fn verify_claims_with(
    config: &DetectorConfig,
    actions: &ChallengeActions,
    frames: &[FrameSignals],
    claimed: &[ActionAt],
) -> Verdict {
    verify_claims_held(config, actions, frames, claimed, None)
}

/// [`verify_claims_with`] for a challenge whose first action was prompted no earlier than
/// `hold_until` (the colour flash ran first; see [`LivenessSession::hold_until`]).
pub fn verify_claims_held(
    config: &DetectorConfig,
    actions: &ChallengeActions,
    frames: &[FrameSignals],
    claimed: &[ActionAt],
    hold_until: Option<u64>,
) -> Verdict {
    if frames.is_empty() {
        return Verdict::fail(FailReason::NoEvidence, actions.get(0), Vec::new());
    }
    let mut sorted: Vec<&FrameSignals> = frames.iter().collect();
    sorted.sort_by_key(|f| f.t_ms);

    let mut session = LivenessSession::new(actions.clone(), config.clone());
    if let Some(t) = hold_until {
        session.hold_until(t);
    }
    for frame in &sorted {
        session.push(frame);
        if session.is_finished() {
            break;
        }
    }
    let verdict = session.finish();
    if !verdict.passed {
        return verdict;
    }
    // The claims may point at any occurrence of an action, also after the session passed.
    let mut detector = ActionDetector::new(config.clone());
    let detections: Vec<Detection> = sorted
        .iter()
        .filter_map(|f| detector.push(f).ok())
        .flatten()
        .collect();

    let tol = config.claim_tolerance_ms;
    let names_match = claimed.len() == actions.len()
        && claimed
            .iter()
            .zip(actions.iter())
            .all(|(c, a)| c.action == a);
    let increasing = claimed
        .windows(2)
        .all(|w| matches!(w, [a, b] if a.t_ms < b.t_ms));
    let supported = claimed.iter().all(|c| {
        detections.iter().any(|d| {
            d.action == c.action
                && c.t_ms.saturating_add(tol) >= d.start_ms
                && c.t_ms <= d.end_ms.saturating_add(tol)
        })
    });
    if names_match && increasing && supported {
        verdict
    } else {
        Verdict::fail(FailReason::ClaimMismatch, None, verdict.done_at)
    }
}

/// [`verify_claims_with`] using the default [`DetectorConfig`].
pub fn verify_claims(
    actions: &ChallengeActions,
    frames: &[FrameSignals],
    claimed: &[ActionAt],
) -> Verdict {
    verify_claims_with(&DetectorConfig::default(), actions, frames, claimed)
}
