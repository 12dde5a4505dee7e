//! Turns a time-ordered stream of [`FrameSignals`] into "action A was done from `start_ms` to
//! `end_ms`".
//!
//! # How it decides
//! Every signal is judged against a *running baseline* of the same person in the same session,
//! not against fixed population numbers: eye openness differs between people (and with glasses),
//! and a resting head pose is rarely exactly frontal. Each baseline is a quantile of the recent
//! samples (the last [`DetectorConfig::baseline_window_ms`]) that looked "at rest"; samples taken
//! during an action are not admitted, so an action does not drag its own reference along. When
//! nothing has been admitted for a whole window (the person settled into a new pose), the baseline
//! starts again from the new samples.
//!
//! - **Blink**: both eyes' EAR fall below [`blink_close_ratio`](DetectorConfig::blink_close_ratio)
//!   × their open-eye baseline and recover above
//!   [`blink_reopen_ratio`](DetectorConfig::blink_reopen_ratio) × baseline within
//!   [`blink_max_ms`](DetectorConfig::blink_max_ms), while the head is near its resting pose and
//!   does not move. EAR shrinks when the head turns or looks down, so blinks are not looked for then.
//! - **Open mouth**: MAR above an absolute level *and* well above the closed-mouth baseline, held
//!   for [`mouth_hold_ms`](DetectorConfig::mouth_hold_ms). Fires once per opening.
//! - **Shake head**: yaw goes at least [`shake_side_deg`](DetectorConfig::shake_side_deg) to one
//!   side of the reference *and* at least as far to the other side, both within
//!   [`shake_max_ms`](DetectorConfig::shake_max_ms). Both sides are required: turning one way is
//!   what people do when they glance away, and "摇头" means left and right. The threshold per side
//!   is moderate so that an elderly person with a stiff neck can still pass.
//! - **Nod**: pitch goes at least [`nod_down_deg`](DetectorConfig::nod_down_deg) chin-down from the
//!   reference and comes back within [`nod_max_ms`](DetectorConfig::nod_max_ms), with the head not
//!   turned. Chin-up alone is not a nod.
//!
//! The pose reference is the yaw/pitch baseline clamped to
//! ±[`pose_reference_max_deg`](DetectorConfig::pose_reference_max_deg): the app asks people to
//! face the camera, so a "resting" pose far from frontal means the clip started in the middle of
//! a turn.
//!
//! # Untrusted input
//! Frames whose time does not increase are refused ([`FrameError::TimeNotIncreasing`]) and change
//! nothing. Frames with non-finite or impossible values ([`FrameError::InvalidSignals`]) count as
//! frames without a face. Nothing here panics on any input.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::action::Action;
use super::signals::{FaceSignals, FrameSignals};
use crate::error::UserError;

/// Every threshold of the detector and of the session, with the reasoning behind each default.
///
/// The defaults were chosen against the levels described in the face test data's MANIFEST
/// (MediaPipe Face Mesh EAR/MAR, solvePnP angles): deliberate eye closures reach about 0.5× the
/// open-eye EAR, a held smile about 0.8×, a neutral face dips at most ~17 %; open mouths reach MAR
/// 0.6–0.74 while speech reaches ~0.5; head turns reach 30–60° of yaw while a still face varies by
/// < 4°; nods are about ±12° of pitch. The `models` crate may tune them on real clips.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectorConfig {
    // ---- baselines ----
    /// How far back baselines look. 2.5 s holds enough "at rest" frames between actions and
    /// forgets an old pose quickly once the person settles into a new one.
    pub baseline_window_ms: u64,
    /// Samples a baseline needs before detection starts: 4 frames is ~130 ms at 30 fps and
    /// ~270 ms at 15 fps, short enough not to miss an action done right at the start.
    pub baseline_min_samples: usize,
    /// A yaw/pitch sample is admitted to its baseline only within this many degrees of it
    /// (a still face varies by < 4°; a turn or nod goes well beyond 6°).
    pub pose_admit_deg: f32,
    /// The pose reference is the baseline clamped to ±this. People are asked to face the camera;
    /// a resting pose beyond 25° means the clip started mid-turn (a neutral clip rests at −24°).
    pub pose_reference_max_deg: f32,
    /// A gap longer than this without a usable face abandons half-done actions (the face was
    /// lost for a second: what follows cannot be joined with what came before).
    pub max_gap_ms: u64,

    // ---- blink ----
    /// Quantile of recent open-eye EAR used as the eye baseline. An upper quantile keeps the
    /// baseline at the open level even when the person blinks often.
    pub eye_baseline_quantile: f32,
    /// Eyes count as closed when the mean of both eyes' EAR ratios (EAR ÷ baseline) is below
    /// this. Deliberate closures reach ~0.5, a smile ~0.8 and a neutral eyelid dip ~0.83, so 0.70
    /// sits between them with margin for landmark noise (±3 %).
    pub blink_close_ratio: f32,
    /// …and each eye's own ratio is below this, so one eye (a wink, or one eye foreshortened by
    /// a turn) cannot produce a blink.
    pub blink_each_eye_max_ratio: f32,
    /// The eyes count as open again above this ratio; the blink ends there. Between close and
    /// reopen ratios the eyes are "half open" and the blink continues (hysteresis).
    pub blink_reopen_ratio: f32,
    /// Longest blink from first closed frame to reopening. Natural blinks take 100–400 ms and
    /// deliberate ones up to ~500 ms (the test clips); elderly people squeezing their eyes shut
    /// take longer, so 1 s. Longer closures are "eyes closed", not a blink.
    pub blink_max_ms: u64,
    /// Blinks are only looked for while |yaw − reference| is at most this: turning the head
    /// shrinks the far eye's EAR by itself.
    pub blink_max_yaw_deg: f32,
    /// …and |pitch − reference| at most this: looking down makes the eyelids look closed.
    pub blink_max_pitch_deg: f32,
    /// A blink is dropped when yaw or pitch moves more than this between its first closed frame
    /// and its end: the head is essentially still during a real blink, while an EAR dip caused by
    /// a turn or a nod comes with motion.
    pub blink_max_pose_change_deg: f32,

    // ---- open mouth ----
    /// Absolute MAR the mouth must reach. Closed mouths measure < 0.1, speech up to ~0.5 in
    /// peaks, deliberately opened mouths 0.6–0.75.
    pub mouth_open_min: f32,
    /// …and the MAR must exceed the closed-mouth baseline (median) by this much, so a person
    /// whose lips rest apart still has to open.
    pub mouth_open_above_baseline: f32,
    /// The opening must be held this long (first to last frame): syllables in speech are
    /// shorter; a deliberate opening lasts a second. 150 ms is 5–6 frames at 30 fps, 4 at 15 fps.
    pub mouth_hold_ms: u64,

    // ---- shake head ----
    /// Degrees of yaw the head must reach on *each* side of the reference. Real turns reach
    /// 30–60°, a still face varies < 4°, measurement error is up to ±10° near profile; 15° asks
    /// for a clear but modest turn, within reach of a stiff elderly neck.
    pub shake_side_deg: f32,
    /// Each side must be held at least this long (first to last frame beyond the threshold),
    /// which rejects single-frame pose glitches: 2 frames at 10–15 fps, 3 at 30 fps.
    pub shake_side_hold_ms: u64,
    /// Both sides must be reached within this time. The clips' turns reach the second side
    /// 0.6–2 s after the first; 4 s allows a slow, careful shake.
    pub shake_max_ms: u64,

    // ---- nod ----
    /// Degrees the chin must go down from the reference. The nod clip moves about ±12°; talking
    /// moves the head only a few degrees.
    pub nod_down_deg: f32,
    /// The nod ends when pitch comes back below `nod_down_deg × this` above the reference.
    pub nod_return_fraction: f32,
    /// Down and back within this time; a longer look down is not a nod.
    pub nod_max_ms: u64,
    /// A nod is only started while |yaw − reference| is at most this (pitch readings are poor
    /// on a turned head, and a shake must not count as a nod).
    pub nod_max_yaw_deg: f32,

    // ---- session ----
    /// Time allowed for each action, from the moment it is prompted (for the first action: the
    /// first frame with a face). The seed fails an action whose 准备时间过长; 10 s is generous for
    /// an 80-year-old yet keeps a session well inside the 2-minute challenge.
    pub action_timeout_ms: u64,
    /// The session fails after this long without any usable face in a row.
    pub no_face_timeout_ms: u64,
    /// The session fails after this long with more than one face in a row (a passer-by for a
    /// moment is tolerated; a second person staying in the frame is not).
    pub multiple_faces_timeout_ms: u64,
    /// After this long on one action without success the hint 请按提示做动作 is shown.
    pub follow_prompt_after_ms: u64,
    /// How long the hint 请按提示做动作 stays after an action was done out of turn.
    pub follow_prompt_hold_ms: u64,
    /// When the server re-checks, a claimed action time must lie within this distance of a
    /// detection of the same action (client and server may see different frames).
    pub claim_tolerance_ms: u64,
    /// "No motion at all" (a still photo or a frozen image) when, over the whole session, yaw
    /// and pitch each moved less than this…
    pub still_max_angle_range_deg: f32,
    /// …the mean EAR varied by less than this fraction of its maximum…
    pub still_max_eye_range_ratio: f32,
    /// …the MAR varied by less than this…
    pub still_max_mouth_range: f32,
    /// …and the face box centre moved less than this fraction of the frame.
    pub still_max_box_shift: f32,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            baseline_window_ms: 2_500,
            baseline_min_samples: 4,
            pose_admit_deg: 6.0,
            pose_reference_max_deg: 25.0,
            max_gap_ms: 1_000,

            eye_baseline_quantile: 0.75,
            blink_close_ratio: 0.70,
            blink_each_eye_max_ratio: 0.80,
            blink_reopen_ratio: 0.85,
            blink_max_ms: 1_000,
            blink_max_yaw_deg: 20.0,
            blink_max_pitch_deg: 15.0,
            blink_max_pose_change_deg: 8.0,

            mouth_open_min: 0.40,
            mouth_open_above_baseline: 0.25,
            mouth_hold_ms: 150,

            shake_side_deg: 15.0,
            shake_side_hold_ms: 60,
            shake_max_ms: 4_000,

            nod_down_deg: 10.0,
            nod_return_fraction: 0.5,
            nod_max_ms: 3_000,
            nod_max_yaw_deg: 20.0,

            action_timeout_ms: 10_000,
            no_face_timeout_ms: 5_000,
            multiple_faces_timeout_ms: 3_000,
            follow_prompt_after_ms: 5_000,
            follow_prompt_hold_ms: 2_000,
            claim_tolerance_ms: 600,
            still_max_angle_range_deg: 1.5,
            still_max_eye_range_ratio: 0.05,
            still_max_mouth_range: 0.03,
            still_max_box_shift: 0.01,
        }
    }
}

/// One detected action: the person was doing it from `start_ms` and completed it at `end_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detection {
    pub action: Action,
    /// First frame of the action (first closed-eye frame, first frame beyond a threshold …).
    pub start_ms: u64,
    /// The frame at which the action was complete (eyes open again, mouth held open long enough,
    /// second side reached, chin back up). This is the action's "done at" time.
    pub end_ms: u64,
}

/// Why a frame was not (fully) used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum FrameError {
    /// `t_ms` is not after the previous accepted frame's; the frame is ignored entirely.
    #[error("frame time does not increase")]
    TimeNotIncreasing,
    /// A face value is non-finite or physically impossible; the frame counts as having no face.
    #[error("frame face signals are not finite or out of range")]
    InvalidSignals,
}

impl UserError for FrameError {
    fn code(&self) -> &'static str {
        match self {
            FrameError::TimeNotIncreasing => "frame_time_not_increasing",
            FrameError::InvalidSignals => "frame_signals_invalid",
        }
    }

    fn message(&self) -> String {
        match self {
            FrameError::TimeNotIncreasing => "核验画面时间顺序错误".to_owned(),
            FrameError::InvalidSignals => "核验画面数据无效".to_owned(),
        }
    }
}

/// Most samples a baseline keeps (bounds the work per frame whatever the frame rate).
const BASELINE_CAPACITY: usize = 256;

/// Recent admitted samples of one signal.
#[derive(Debug, Clone, Default)]
struct Baseline {
    samples: VecDeque<(u64, f32)>,
    scratch: Vec<f32>,
}

impl Baseline {
    fn expire(&mut self, now: u64, window_ms: u64) {
        let oldest = now.saturating_sub(window_ms);
        while self.samples.front().is_some_and(|(t, _)| *t < oldest) {
            self.samples.pop_front();
        }
    }

    fn push(&mut self, t: u64, v: f32) {
        if v.is_finite() {
            if self.samples.len() >= BASELINE_CAPACITY {
                self.samples.pop_front();
            }
            self.samples.push_back((t, v));
        }
    }

    fn clear(&mut self) {
        self.samples.clear();
    }

    /// The `q` quantile of the samples once there are at least `min_samples`.
    fn quantile(&mut self, q: f32, min_samples: usize) -> Option<f32> {
        if self.samples.is_empty() || self.samples.len() < min_samples {
            return None;
        }
        self.scratch.clear();
        self.scratch.extend(self.samples.iter().map(|(_, v)| *v));
        self.scratch.sort_by(f32::total_cmp);
        let q = if q.is_finite() {
            q.clamp(0.0, 1.0)
        } else {
            0.5
        };
        let last = self.scratch.len() - 1;
        let idx = ((last as f32) * q).round() as usize;
        self.scratch.get(idx.min(last)).copied()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum BlinkState {
    /// Eyes open (or not yet judged); a closing starts a blink.
    Open,
    /// Eyes closed since `start`, head pose then.
    Closed { start: u64, yaw0: f32, pitch0: f32 },
    /// Something disqualified the current closure (head turned, too long, face lost); wait
    /// for the eyes to be open at rest again.
    WaitOpen,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum MouthState {
    Closed,
    Opening {
        start: u64,
    },
    /// Fired for this opening; wait for the mouth to close before firing again.
    Fired,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum NodState {
    Level,
    /// Chin down since `start`, measured from the pitch `reference` of that moment (frozen: the
    /// baseline may restart while the head is held down, which must not look like a return).
    Down {
        start: u64,
        reference: f32,
    },
    /// Down too long, or started while turned; wait for the head to come back.
    WaitLevel,
}

/// A run of consecutive frames beyond a yaw threshold on one side.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SideRun {
    start: u64,
    last: u64,
    /// This run already served a detected shake.
    consumed: bool,
}

/// One side of a shake, reached and held: `start` of the run, `reached` when held long enough.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SideVisit {
    start: u64,
    reached: u64,
}

/// Streaming action detector: feed frames in time order with [`push`](Self::push).
///
/// It detects all four actions all the time; which ones were asked for, and in which order, is
/// the [`LivenessSession`](super::LivenessSession)'s business.
#[derive(Debug, Clone)]
pub struct ActionDetector {
    config: DetectorConfig,
    last_t: Option<u64>,
    last_face_t: Option<u64>,

    left_eye: Baseline,
    right_eye: Baseline,
    mouth: Baseline,
    yaw: Baseline,
    pitch: Baseline,

    blink: BlinkState,
    mouth_state: MouthState,
    pos_run: Option<SideRun>,
    neg_run: Option<SideRun>,
    pos_visit: Option<SideVisit>,
    neg_visit: Option<SideVisit>,
    nod: NodState,
}

/// Baseline values available for this frame.
#[derive(Debug, Clone, Copy)]
struct Refs {
    yaw: Option<f32>,
    pitch: Option<f32>,
    left_eye: Option<f32>,
    right_eye: Option<f32>,
    mouth: Option<f32>,
    /// Raw (unclamped) pose baselines, for admission.
    yaw_raw: Option<f32>,
    pitch_raw: Option<f32>,
}

impl ActionDetector {
    pub fn new(config: DetectorConfig) -> ActionDetector {
        ActionDetector {
            config,
            last_t: None,
            last_face_t: None,
            left_eye: Baseline::default(),
            right_eye: Baseline::default(),
            mouth: Baseline::default(),
            yaw: Baseline::default(),
            pitch: Baseline::default(),
            blink: BlinkState::Open,
            mouth_state: MouthState::Closed,
            pos_run: None,
            neg_run: None,
            pos_visit: None,
            neg_visit: None,
            nod: NodState::Level,
        }
    }

    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// Time of the last accepted frame.
    pub fn last_t_ms(&self) -> Option<u64> {
        self.last_t
    }

    /// Consumes the next frame and returns the actions completed at it (usually none, rarely
    /// more than one).
    ///
    /// `Err(TimeNotIncreasing)`: the frame was ignored. `Err(InvalidSignals)`: the frame's time
    /// was accepted but it was treated as a frame without a face.
    pub fn push(&mut self, frame: &FrameSignals) -> Result<Vec<Detection>, FrameError> {
        let t = frame.t_ms;
        if self.last_t.is_some_and(|last| t <= last) {
            return Err(FrameError::TimeNotIncreasing);
        }
        self.last_t = Some(t);

        let window = self.config.baseline_window_ms;
        for b in [
            &mut self.left_eye,
            &mut self.right_eye,
            &mut self.mouth,
            &mut self.yaw,
            &mut self.pitch,
        ] {
            b.expire(t, window);
        }

        let invalid = frame.face.as_ref().is_some_and(|f| !f.is_plausible());
        let face = frame.single_face().copied();

        // A long gap abandons every half-done action.
        let gap_too_long = self
            .last_face_t
            .is_some_and(|lf| t.saturating_sub(lf) > self.config.max_gap_ms);
        if gap_too_long {
            self.reset_events();
        }

        let Some(face) = face else {
            self.on_no_face();
            return if invalid {
                Err(FrameError::InvalidSignals)
            } else {
                Ok(Vec::new())
            };
        };
        self.last_face_t = Some(t);

        let refs = self.refs();
        let mut out = Vec::new();
        if let Some(d) = self.step_blink(t, &face, &refs) {
            out.push(d);
        }
        if let Some(d) = self.step_mouth(t, &face, &refs) {
            out.push(d);
        }
        if let Some(d) = self.step_shake(t, &face, &refs) {
            out.push(d);
        }
        if let Some(d) = self.step_nod(t, &face, &refs) {
            out.push(d);
        }
        self.admit(t, &face, &refs);
        Ok(out)
    }

    /// Runs a detector over a whole sequence (e.g. one clip). Frames that are refused are
    /// counted, not fatal.
    pub fn detect_all(config: DetectorConfig, frames: &[FrameSignals]) -> DetectionReport {
        let mut detector = ActionDetector::new(config);
        let mut report = DetectionReport::default();
        for frame in frames {
            match detector.push(frame) {
                Ok(ds) => report.detections.extend(ds),
                Err(FrameError::TimeNotIncreasing) => report.out_of_order_frames += 1,
                Err(FrameError::InvalidSignals) => report.invalid_frames += 1,
            }
        }
        report
    }

    fn reset_events(&mut self) {
        self.blink = BlinkState::Open;
        self.mouth_state = MouthState::Closed;
        self.pos_run = None;
        self.neg_run = None;
        self.pos_visit = None;
        self.neg_visit = None;
        self.nod = NodState::Level;
    }

    fn on_no_face(&mut self) {
        // A closure interrupted by a lost face is ambiguous: wait for open eyes.
        if matches!(self.blink, BlinkState::Closed { .. }) {
            self.blink = BlinkState::WaitOpen;
        }
        if matches!(self.mouth_state, MouthState::Opening { .. }) {
            self.mouth_state = MouthState::Closed;
        }
        // Side runs need consecutive frames; visits and a nod in progress survive short gaps
        // (a face near profile or looking down is often lost for a few frames).
        self.pos_run = None;
        self.neg_run = None;
    }

    fn refs(&mut self) -> Refs {
        let c = &self.config;
        let min = c.baseline_min_samples;
        let clamp_ref = |v: f32| {
            let m = if c.pose_reference_max_deg.is_finite() {
                c.pose_reference_max_deg.abs()
            } else {
                0.0
            };
            v.clamp(-m, m)
        };
        let yaw_raw = self.yaw.quantile(0.5, min);
        let pitch_raw = self.pitch.quantile(0.5, min);
        // An eye baseline near zero cannot serve as a divisor.
        let eye = |v: Option<f32>| v.filter(|b| *b > 0.02);
        Refs {
            yaw: yaw_raw.map(clamp_ref),
            pitch: pitch_raw.map(clamp_ref),
            left_eye: eye(self.left_eye.quantile(c.eye_baseline_quantile, min)),
            right_eye: eye(self.right_eye.quantile(c.eye_baseline_quantile, min)),
            mouth: self.mouth.quantile(0.5, min),
            yaw_raw,
            pitch_raw,
        }
    }

    /// Whether the head is near its resting pose (for blinks and eye-baseline admission).
    fn head_at_rest(&self, face: &FaceSignals, refs: &Refs) -> bool {
        match (refs.yaw, refs.pitch) {
            (Some(y), Some(p)) => {
                (face.yaw_deg - y).abs() <= self.config.blink_max_yaw_deg
                    && (face.pitch_deg - p).abs() <= self.config.blink_max_pitch_deg
            }
            _ => false,
        }
    }

    fn eye_ratios(face: &FaceSignals, refs: &Refs) -> Option<(f32, f32)> {
        let (l, r) = (refs.left_eye?, refs.right_eye?);
        Some((face.left_eye_openness / l, face.right_eye_openness / r))
    }

    fn step_blink(&mut self, t: u64, face: &FaceSignals, refs: &Refs) -> Option<Detection> {
        let c = &self.config;
        let Some((rl, rr)) = Self::eye_ratios(face, refs) else {
            self.blink = BlinkState::Open;
            return None;
        };
        if !self.head_at_rest(face, refs) {
            if !matches!(self.blink, BlinkState::Open) || (rl + rr) / 2.0 < c.blink_reopen_ratio {
                self.blink = BlinkState::WaitOpen;
            }
            return None;
        }
        let mean = (rl + rr) / 2.0;
        let closed = mean < c.blink_close_ratio && rl.max(rr) < c.blink_each_eye_max_ratio;
        let reopened = mean >= c.blink_reopen_ratio;
        match self.blink {
            BlinkState::Open => {
                if closed {
                    self.blink = BlinkState::Closed {
                        start: t,
                        yaw0: face.yaw_deg,
                        pitch0: face.pitch_deg,
                    };
                }
                None
            }
            BlinkState::Closed {
                start,
                yaw0,
                pitch0,
            } => {
                let moved = (face.yaw_deg - yaw0).abs() > c.blink_max_pose_change_deg
                    || (face.pitch_deg - pitch0).abs() > c.blink_max_pose_change_deg;
                if moved || t.saturating_sub(start) > c.blink_max_ms {
                    self.blink = if reopened {
                        BlinkState::Open
                    } else {
                        BlinkState::WaitOpen
                    };
                    return None;
                }
                if reopened {
                    self.blink = BlinkState::Open;
                    return Some(Detection {
                        action: Action::Blink,
                        start_ms: start,
                        end_ms: t,
                    });
                }
                None
            }
            BlinkState::WaitOpen => {
                if reopened {
                    self.blink = BlinkState::Open;
                }
                None
            }
        }
    }

    fn step_mouth(&mut self, t: u64, face: &FaceSignals, refs: &Refs) -> Option<Detection> {
        let c = &self.config;
        let Some(base) = refs.mouth else {
            self.mouth_state = MouthState::Closed;
            return None;
        };
        let level = c.mouth_open_min.max(base + c.mouth_open_above_baseline);
        let mar = face.mouth_openness;
        let open = mar >= level;
        match self.mouth_state {
            MouthState::Closed => {
                if open {
                    self.mouth_state = MouthState::Opening { start: t };
                    if c.mouth_hold_ms == 0 {
                        self.mouth_state = MouthState::Fired;
                        return Some(Detection {
                            action: Action::OpenMouth,
                            start_ms: t,
                            end_ms: t,
                        });
                    }
                }
                None
            }
            MouthState::Opening { start } => {
                if !open {
                    self.mouth_state = MouthState::Closed;
                    None
                } else if t.saturating_sub(start) >= c.mouth_hold_ms {
                    self.mouth_state = MouthState::Fired;
                    Some(Detection {
                        action: Action::OpenMouth,
                        start_ms: start,
                        end_ms: t,
                    })
                } else {
                    None
                }
            }
            MouthState::Fired => {
                // Hysteresis: the mouth must close clearly before another opening counts.
                if mar < level * 0.75 {
                    self.mouth_state = MouthState::Closed;
                }
                None
            }
        }
    }

    fn step_shake(&mut self, t: u64, face: &FaceSignals, refs: &Refs) -> Option<Detection> {
        let c = &self.config;
        let yaw_ref = refs.yaw?;
        let d = face.yaw_deg - yaw_ref;
        let side = c.shake_side_deg;
        let hold = c.shake_side_hold_ms;

        let update = |run: &mut Option<SideRun>, visit: &mut Option<SideVisit>, beyond: bool| {
            if !beyond {
                *run = None;
                return;
            }
            let r = run.get_or_insert(SideRun {
                start: t,
                last: t,
                consumed: false,
            });
            r.last = t;
            if !r.consumed && r.last.saturating_sub(r.start) >= hold {
                // Remember the latest run that reached this side (its start, and when it counted).
                match visit {
                    Some(v) if v.start == r.start => {}
                    _ => {
                        *visit = Some(SideVisit {
                            start: r.start,
                            reached: t,
                        })
                    }
                }
            }
        };
        update(&mut self.pos_run, &mut self.pos_visit, d >= side);
        update(&mut self.neg_run, &mut self.neg_visit, d <= -side);

        // Forget sides reached too long ago.
        for visit in [&mut self.pos_visit, &mut self.neg_visit] {
            if visit.is_some_and(|v| t.saturating_sub(v.reached) > c.shake_max_ms) {
                *visit = None;
            }
        }
        let (p, n) = (self.pos_visit?, self.neg_visit?);
        let start = p.start.min(n.start);
        if t.saturating_sub(start) > c.shake_max_ms {
            return None;
        }
        self.pos_visit = None;
        self.neg_visit = None;
        // The side held right now served this shake; it must be left and reached again to
        // serve another one.
        for run in [&mut self.pos_run, &mut self.neg_run].into_iter().flatten() {
            run.consumed = true;
        }
        Some(Detection {
            action: Action::ShakeHead,
            start_ms: start,
            end_ms: t,
        })
    }

    fn step_nod(&mut self, t: u64, face: &FaceSignals, refs: &Refs) -> Option<Detection> {
        let c = &self.config;
        let (Some(pitch_ref), Some(yaw_ref)) = (refs.pitch, refs.yaw) else {
            return None;
        };
        let reference = match self.nod {
            NodState::Down { reference, .. } => reference,
            _ => pitch_ref,
        };
        let down = face.pitch_deg - reference;
        let turned = (face.yaw_deg - yaw_ref).abs() > c.nod_max_yaw_deg;
        let back = down <= c.nod_down_deg * c.nod_return_fraction;
        match self.nod {
            NodState::Level => {
                if down >= c.nod_down_deg {
                    self.nod = if turned {
                        NodState::WaitLevel
                    } else {
                        NodState::Down {
                            start: t,
                            reference,
                        }
                    };
                }
                None
            }
            NodState::Down { start, .. } => {
                if t.saturating_sub(start) > c.nod_max_ms {
                    self.nod = if back {
                        NodState::Level
                    } else {
                        NodState::WaitLevel
                    };
                    None
                } else if back {
                    self.nod = NodState::Level;
                    Some(Detection {
                        action: Action::Nod,
                        start_ms: start,
                        end_ms: t,
                    })
                } else {
                    None
                }
            }
            NodState::WaitLevel => {
                if back {
                    self.nod = NodState::Level;
                }
                None
            }
        }
    }

    /// Adds this frame's values to the baselines where they look "at rest".
    fn admit(&mut self, t: u64, face: &FaceSignals, refs: &Refs) {
        let c = &self.config;
        let min = c.baseline_min_samples;

        // Pose: during warm-up everything; then only samples near the baseline. If nothing near
        // the baseline arrives for a whole window, the buffer empties and warm-up starts again.
        let near = |v: f32, base: Option<f32>, buf: &Baseline| match base {
            Some(b) => (v - b).abs() <= c.pose_admit_deg,
            None => buf.samples.len() < min.max(1),
        };
        let admit_yaw = near(face.yaw_deg, refs.yaw_raw, &self.yaw);
        let admit_pitch = near(face.pitch_deg, refs.pitch_raw, &self.pitch);

        // Eyes: only with the head at rest (or while the pose baseline warms up), and not closed.
        let pose_ready = refs.yaw.is_some() && refs.pitch.is_some();
        let eyes_at_rest = if pose_ready {
            self.head_at_rest(face, refs)
        } else {
            true
        };
        let eyes_not_closed = match Self::eye_ratios(face, refs) {
            Some((rl, rr)) => (rl + rr) / 2.0 >= c.blink_close_ratio,
            None => true,
        };
        let admit_eyes = eyes_at_rest && eyes_not_closed;

        // Mouth: closed-ish samples (anything below half the required opening above baseline).
        let admit_mouth = match refs.mouth {
            Some(b) => face.mouth_openness < b + c.mouth_open_above_baseline / 2.0,
            None => true,
        };

        if admit_yaw {
            self.yaw.push(t, face.yaw_deg);
        }
        if admit_pitch {
            self.pitch.push(t, face.pitch_deg);
        }
        if admit_eyes {
            self.left_eye.push(t, face.left_eye_openness);
            self.right_eye.push(t, face.right_eye_openness);
        }
        if admit_mouth {
            self.mouth.push(t, face.mouth_openness);
        }
    }

    /// Forgets all baselines and half-done actions (e.g. after the caller switched cameras).
    pub fn reset(&mut self) {
        for b in [
            &mut self.left_eye,
            &mut self.right_eye,
            &mut self.mouth,
            &mut self.yaw,
            &mut self.pitch,
        ] {
            b.clear();
        }
        self.reset_events();
        self.last_face_t = None;
    }
}

/// The result of [`ActionDetector::detect_all`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DetectionReport {
    /// Every detected action, in time order of completion.
    pub detections: Vec<Detection>,
    /// Frames refused because their time did not increase.
    pub out_of_order_frames: usize,
    /// Frames with impossible values (treated as frames without a face).
    pub invalid_frames: usize,
}

impl DetectionReport {
    /// The detected actions (without times), in order.
    pub fn actions(&self) -> Vec<Action> {
        self.detections.iter().map(|d| d.action).collect()
    }

    pub fn contains(&self, action: Action) -> bool {
        self.detections.iter().any(|d| d.action == action)
    }
}
