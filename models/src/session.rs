//! A liveness attempt over real frames: each frame → [`FrameSignals`] → the shared
//! [`LivenessSession`], while checking that the face stays the same person (embedding
//! similarity to the first good frame), that it is not a picture (the anti-spoofing network on
//! key frames, [`PadPlan`]) and that it reflected the challenge's colour flash
//! (`shared::liveness::flash`).
//!
//! The app and the server's re-check both run this, so they decide alike; the server runs it on
//! the uploaded frames itself.

use shared::liveness::{
    check_flash, ChallengeActions, DetectorConfig, FailReason, FlashConfig, FlashOutcome,
    FlashSchedule, LivenessSession, PadConfig, PadOutcome, Progress, TimedColour, Verdict,
};

use crate::embed::Embedding;
use crate::error::ModelError;
use crate::frame::Frame;
use crate::pipeline::{FaceModels, FrameAnalysis};
use crate::track::FaceTracker;

/// The shared detector's thresholds, tuned to what *these* models measure on the real clips
/// (MODELS.md "Detector tuning" has the per-clip numbers).
///
/// - Blink: the mesh of `mediapipe` 0.10.14 closes its eyelids on a blink, but less far than
///   an eye-contour model: the real blinks in the clips reach 0.46–0.62 of the open-eye
///   baseline (mean of both eyes; p01 0.48–0.62, p02 0.46, p03 0.57, p04 0.60), while the
///   non-blinks with the head at rest stay ≥ 0.68 (p07_nod looking up 0.68, p08_look_up_down
///   0.71, p13's replay 0.73, p05's narrowing 0.76, p12's smile 0.78). The close ratio sits
///   between them (0.65, default 0.70) and each eye must be below 0.70 (default 0.80).
/// - Pose reference: clamped to ±10° (default 25°). p09_turn starts already turned ≈ 43°, so
///   with ±25° its reference was 25° and the first side needed 40°, which the clip holds only
///   before the baseline is ready. People are asked to face the camera, so a resting pose
///   beyond 10° is treated as "started mid-turn"; the neutral clips (resting at up to −19°)
///   still move < 6°, far from the 15° a side needs.
pub fn detector_config() -> DetectorConfig {
    DetectorConfig {
        blink_close_ratio: 0.65,
        blink_each_eye_max_ratio: 0.70,
        pose_reference_max_deg: 10.0,
        ..DetectorConfig::default()
    }
}

/// How identity is followed during a session.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityConfig {
    /// A frame is compared only when its face is this close to frontal (|yaw| and |pitch|,
    /// degrees): embeddings of a face in profile are not comparable.
    pub max_pose_deg: f32,
    /// Compare at most once in this many milliseconds (frame time): an embedding costs
    /// ≈ 12 ms here and 60–150 ms on a Cortex-A55, several times a whole tracked frame. A
    /// few per second still see another person within a second or two — also one standing
    /// in for the colour flash alone (3 s).
    pub every_ms: u64,
    /// A compared frame below this similarity to the anchor counts as a different person…
    pub min_similarity: f32,
    /// …and this many such frames in a row fail the session with `DifferentPerson`.
    pub consecutive: u32,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            max_pose_deg: 20.0,
            every_ms: 600,
            min_similarity: crate::embed::MATCH_THRESHOLD,
            consecutive: 2,
        }
    }
}

/// Which frames the anti-spoofing network scores, and how the scores are judged.
#[derive(Debug, Clone, PartialEq)]
pub struct PadPlan {
    pub config: PadConfig,
    /// A usable, near-frontal face is scored at most once per this many milliseconds…
    pub every_ms: u64,
    /// …and at most this many times per session (the network costs a few milliseconds).
    pub max_frames: usize,
    /// Only faces this close to frontal (|yaw|, |pitch|, degrees) are scored: the network was
    /// trained on near-frontal crops.
    pub max_pose_deg: f32,
}

impl Default for PadPlan {
    fn default() -> Self {
        PadPlan {
            config: crate::pad::pad_config(),
            every_ms: 400,
            max_frames: 12,
            max_pose_deg: 25.0,
        }
    }
}

/// During the colour flash the face mesh runs on one frame in this many; the frames between
/// sample the colour at the last mesh (the face holds still there: the app starts the flash
/// on a steady face and starts it again when the face moves). The flash is the densest part of
/// an evidence (a frame every 60 ms for 3 s), so this is what keeps the server's re-check of
/// one evidence under 1.5 s of CPU (MODELS.md "Speed"). A face that moves anyway puts less skin
/// under the reused disks: its colours follow the sequence less well, which can only fail a
/// session, never pass one.
pub const FLASH_MESH_EVERY: u32 = 2;

/// The last mesh may be reused this long after the frame it was measured on (frame time).
pub const FLASH_REUSE_MAX_MS: u64 = 150;

/// The colour flash of a challenge, as the runner checks it.
#[derive(Debug, Clone, PartialEq)]
struct FlashPlan {
    schedule: FlashSchedule,
    config: FlashConfig,
    /// When the sequence started, in frame time (`None` until the app shows it / the
    /// evidence says).
    start_ms: Option<u64>,
}

/// Result of a finished attempt.
#[derive(Debug, Clone)]
pub struct SessionOutcome {
    pub verdict: Verdict,
    /// The anti-spoofing decision (`None` when it was not asked for, or the actions failed
    /// first).
    pub pad: Option<PadOutcome>,
    /// The colour-flash check (`None` when the challenge has none, or the actions failed first).
    pub flash: Option<FlashOutcome>,
    /// Lowest similarity to the anchor among compared frames (`None` if none was compared).
    pub lowest_similarity: Option<f32>,
    /// Frames compared for identity.
    pub identity_checks: u32,
    /// The anchor face (first good frame), for the 1:1 comparison with the reference photo.
    pub anchor: Option<Embedding>,
}

/// One liveness attempt in progress.
pub struct LivenessRunner {
    session: LivenessSession,
    identity: IdentityConfig,
    tracker: FaceTracker,
    anchor: Option<Embedding>,
    /// When identity was last compared.
    compared_ms: Option<u64>,
    low_in_a_row: u32,
    lowest: Option<f32>,
    checks: u32,
    pad: Option<PadPlan>,
    pad_scores: Vec<f32>,
    pad_last_ms: Option<u64>,
    flash: Option<FlashPlan>,
    colours: Vec<TimedColour>,
    /// The mesh runs on one flash frame in this many ([`FLASH_MESH_EVERY`]).
    flash_mesh_every: u32,
    /// The last flash frame the mesh ran on (one face, with a mesh), its size, and how many
    /// frames have reused it since.
    flash_meshed: Option<(FrameAnalysis, (u32, u32, bool), u32)>,
}

impl std::fmt::Debug for LivenessRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivenessRunner")
            .field("session", &self.session)
            .field("checks", &self.checks)
            .finish()
    }
}

impl LivenessRunner {
    pub fn new(
        actions: ChallengeActions,
        config: DetectorConfig,
        identity: IdentityConfig,
    ) -> LivenessRunner {
        LivenessRunner {
            session: LivenessSession::new(actions, config),
            identity,
            tracker: FaceTracker::default(),
            anchor: None,
            compared_ms: None,
            low_in_a_row: 0,
            lowest: None,
            checks: 0,
            pad: Some(PadPlan::default()),
            pad_scores: Vec::new(),
            pad_last_ms: None,
            flash: None,
            colours: Vec::new(),
            flash_mesh_every: FLASH_MESH_EVERY,
            flash_meshed: None,
        }
    }

    /// Runs the mesh on one flash frame in `n` (1: on every frame; evaluation compares them).
    pub fn with_flash_mesh_every(mut self, n: u32) -> LivenessRunner {
        self.flash_mesh_every = n.max(1);
        self
    }

    /// Replaces the anti-spoofing plan; `None` turns the network off (evaluation of the other
    /// layers alone; the app and the server always run it).
    pub fn with_pad(mut self, plan: Option<PadPlan>) -> LivenessRunner {
        self.pad = plan;
        self
    }

    /// The challenge has a colour flash: the face must reflect `schedule` (see
    /// [`flash_started`](Self::flash_started)).
    pub fn with_flash(mut self, schedule: FlashSchedule, config: FlashConfig) -> LivenessRunner {
        self.flash = Some(FlashPlan {
            schedule,
            config,
            start_ms: None,
        });
        self
    }

    /// The flash sequence started at `t_ms` (frame time): the app calls it as it shows the first
    /// colour, the server with the time the evidence gives. The first action's clock starts
    /// when the sequence (and the camera's lag) is over.
    pub fn flash_started(&mut self, t_ms: u64) {
        if let Some(plan) = self.flash.as_mut() {
            plan.start_ms = Some(t_ms);
        }
        if let Some(end) = self.hold_until() {
            self.session.hold_until(end);
        }
    }

    /// Holds the first action back until `t_ms` (`u64::MAX`: until further notice, while the app
    /// waits for a steady face to start the flash on); [`flash_started`](Self::flash_started)
    /// replaces it with the flash's end.
    pub fn hold_actions_until(&mut self, t_ms: u64) {
        self.session.hold_until(t_ms);
    }

    /// Whether `t_ms` falls within the flash (and the camera's lag after it), once started.
    fn in_flash(&self, t_ms: u64) -> bool {
        match (
            self.flash.as_ref().and_then(|p| p.start_ms),
            self.hold_until(),
        ) {
            (Some(start), Some(end)) => t_ms >= start && t_ms <= end,
            _ => false,
        }
    }

    /// Until when the first action is not prompted (the flash and the camera's lag), once the
    /// flash has started.
    pub fn hold_until(&self) -> Option<u64> {
        let plan = self.flash.as_ref()?;
        Some(
            plan.start_ms?
                .saturating_add(plan.schedule.total_ms())
                .saturating_add(plan.config.max_lag_ms),
        )
    }

    /// The flash sequence, if the challenge has one.
    pub fn flash_schedule(&self) -> Option<&FlashSchedule> {
        self.flash.as_ref().map(|p| &p.schedule)
    }

    /// The live scores of the frames scored so far.
    pub fn pad_scores(&self) -> &[f32] {
        &self.pad_scores
    }

    /// Analyses one frame taken at `t_ms` (frames in time order: the face is followed from
    /// frame to frame, see [`FaceModels::analyze_tracked`]), feeds it to the session and
    /// checks identity.
    pub fn push(
        &mut self,
        models: &mut FaceModels,
        frame: &Frame<'_>,
        t_ms: u64,
    ) -> Result<(FrameAnalysis, Progress), ModelError> {
        if let Some(analysis) = self.reuse_flash_mesh(frame, t_ms) {
            let progress = self.session.push(&analysis.signals);
            if let (Some(colour), false) = (analysis.colour, self.session.is_finished()) {
                self.colours.push(TimedColour { t_ms, colour });
            }
            return Ok((analysis, progress));
        }
        let analysis = models.analyze_tracked(frame, t_ms, &mut self.tracker)?;
        self.flash_meshed = (self.in_flash(t_ms)
            && analysis.signals.single_face().is_some()
            && analysis.mesh.is_some())
        .then(|| {
            (
                analysis.clone(),
                (frame.width(), frame.height(), frame.is_mirrored()),
                0,
            )
        });
        let progress = self.session.push(&analysis.signals);
        if self.session.is_finished() && !progress.verdict.as_ref().is_some_and(|v| v.passed) {
            return Ok((analysis, progress));
        }
        let single = analysis.signals.single_face();
        if let (Some(_), Some(colour), Some(_)) = (single, analysis.colour, &self.flash) {
            self.colours.push(TimedColour { t_ms, colour });
        }
        if let (Some(plan), Some(face), Some(det)) = (&self.pad, single, analysis.face()) {
            let due = self
                .pad_last_ms
                .is_none_or(|last| t_ms.saturating_sub(last) >= plan.every_ms);
            let frontal = face.yaw_deg.abs() <= plan.max_pose_deg
                && face.pitch_deg.abs() <= plan.max_pose_deg;
            // Not under the flash's coloured light: the network was trained on ordinary light.
            let lit = self.in_flash(t_ms);
            if due && frontal && !lit && self.pad_scores.len() < plan.max_frames {
                if let Some(score) = models.pad_score(frame, det)? {
                    self.pad_scores.push(score);
                    self.pad_last_ms = Some(t_ms);
                }
            }
        }
        // Any frontal frame, blurred or dark ones too: a comparison that waited for a sharp
        // frame could be dodged by blurring the frames of a stand-in.
        let good = single.is_some_and(|f| {
            f.yaw_deg.abs() <= self.identity.max_pose_deg
                && f.pitch_deg.abs() <= self.identity.max_pose_deg
        });
        let due = self
            .compared_ms
            .is_none_or(|last| t_ms.saturating_sub(last) >= self.identity.every_ms);
        if let (true, true, Some(mesh)) = (good, due, &analysis.mesh) {
            if let Some(e) = models.embed(frame, mesh)? {
                self.compared_ms = Some(t_ms);
                self.check_identity(e);
            }
        }
        Ok((analysis, self.session.progress_now()))
    }

    /// A flash frame between meshed ones: the last flash frame's analysis at this frame's time,
    /// with this frame's colour sampled at that mesh (see [`FLASH_MESH_EVERY`]). `None` when
    /// the mesh is due: outside the flash, after `flash_mesh_every − 1` reuses, when the last
    /// frame had no single face with a mesh, when it is older than 150 ms or
    /// the frame's size changed.
    fn reuse_flash_mesh(&mut self, frame: &Frame<'_>, t_ms: u64) -> Option<FrameAnalysis> {
        if !self.in_flash(t_ms) || self.session.is_finished() {
            return None;
        }
        let every = self.flash_mesh_every;
        let (last, size, reused) = self.flash_meshed.as_mut()?;
        let fresh = t_ms >= last.signals.t_ms
            && t_ms - last.signals.t_ms <= FLASH_REUSE_MAX_MS
            && *size == (frame.width(), frame.height(), frame.is_mirrored());
        if !fresh || *reused + 1 >= every {
            return None;
        }
        let (face, mesh) = (last.face()?, last.mesh.as_ref()?);
        let colour = crate::colour::colour_sample(frame, face, mesh);
        *reused += 1;
        let mut analysis = last.clone();
        analysis.signals.t_ms = t_ms;
        analysis.frame_luma = frame.mean_luma();
        analysis.colour = colour;
        Some(analysis)
    }

    /// Compares with the anchor (or makes this the anchor); fails the session on a change.
    pub fn check_identity(&mut self, e: Embedding) {
        let Some(anchor) = &self.anchor else {
            self.anchor = Some(e);
            return;
        };
        let s = anchor.similarity(&e);
        self.checks += 1;
        self.lowest = Some(self.lowest.map_or(s, |l| l.min(s)));
        if s < self.identity.min_similarity {
            self.low_in_a_row += 1;
            if self.low_in_a_row >= self.identity.consecutive.max(1) {
                self.session.fail(FailReason::DifferentPerson);
            }
        } else {
            self.low_in_a_row = 0;
        }
    }

    pub fn is_finished(&self) -> bool {
        self.session.is_finished()
    }

    pub fn session(&self) -> &LivenessSession {
        &self.session
    }

    /// Frames analysed so far, and on how many of them the face detector ran.
    pub fn detector_runs(&self) -> (u32, u32) {
        self.tracker.counts()
    }

    /// Ends the attempt (no more frames). When the actions passed, the anti-spoofing decision
    /// and the colour flash are checked, in that order: a picture fails as
    /// [`FailReason::PresentationAttack`], a face that did not follow the colours as
    /// [`FailReason::FlashNotDetected`].
    pub fn finish(mut self) -> SessionOutcome {
        let mut verdict = self.session.finish();
        let mut pad = None;
        let mut flash = None;
        if verdict.passed {
            if let Some(plan) = &self.pad {
                let outcome = plan.config.decide(&self.pad_scores);
                if !outcome.passed {
                    verdict = self.session.fail(FailReason::PresentationAttack);
                }
                pad = Some(outcome);
            }
        }
        if verdict.passed {
            if let Some(plan) = &self.flash {
                let outcome = match plan.start_ms {
                    Some(start) => check_flash(&plan.schedule, start, &self.colours, &plan.config),
                    None => FlashOutcome::failed(
                        shared::liveness::FlashFailure::NotCovered,
                        plan.schedule.steps().len(),
                    ),
                };
                if !outcome.passed {
                    verdict = self.session.fail(FailReason::FlashNotDetected);
                }
                flash = Some(outcome);
            }
        }
        SessionOutcome {
            verdict,
            pad,
            flash,
            lowest_similarity: self.lowest,
            identity_checks: self.checks,
            anchor: self.anchor,
        }
    }
}
