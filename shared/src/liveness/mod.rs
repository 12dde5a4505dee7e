//! The liveness challenge protocol: which actions a person is asked to do, what the camera
//! measured on each frame, and whether the actions were really done, in order and in time.
//!
//! - [`action`]: the four actions (眨眼 blink, 张嘴 open mouth, 摇头 shake head, 点头 nod) and the
//!   set a deployment allows (`--liveness-actions shake_head,nod`).
//! - [`challenge`]: the server-issued challenge (id, nonce, 2–3 actions in random order, expiry
//!   ≤ 2 minutes).
//! - [`flash`]: the colour-flash part of a challenge (炫彩活体): a colour sequence derived from
//!   the nonce, and the check that the face's reflected light followed it.
//! - [`reuse`]: evidence cannot be used twice — the rule on frame fingerprints.
//! - [`pad`]: passive presentation-attack detection — how the per-frame live scores of the
//!   `models` crate's anti-spoofing network become a session verdict.
//! - [`signals`]: per-frame face signals produced by the `models` crate, and quality hints.
//! - [`detector`]: turns a time-ordered sequence of signals into detected actions with times,
//!   against per-person running baselines; every threshold is in [`DetectorConfig`].
//! - [`session`]: one attempt — progress per action, the final [`Verdict`], and the server's
//!   re-check [`verify_claims`].
//! - [`synth`]: scripted synthetic signal sequences, for tests here and in the server.
//!
//! Architecture invariant: pure logic. Time comes in as the frames' `t_ms` (or a `now`
//! parameter), randomness as an `rng` parameter.

pub mod action;
pub mod challenge;
pub mod detector;
pub mod flash;
pub mod pad;
pub mod reuse;
pub mod session;
pub mod signals;
pub mod synth;

pub use action::{Action, ActionSet, ActionSetError};
pub use challenge::{
    draw_actions, Challenge, ChallengeActions, ChallengeError, ChallengeId, Nonce, MAX_ACTIONS,
    MAX_CHALLENGE_TTL_SECS, MIN_ACTIONS,
};
pub use detector::{ActionDetector, Detection, DetectionReport, DetectorConfig, FrameError};
pub use flash::{
    check_flash, ColourSample, FlashColour, FlashConfig, FlashFailure, FlashOutcome, FlashSchedule,
    FlashStep, TimedColour,
};
pub use pad::{PadConfig, PadOutcome};
pub use reuse::ReuseConfig;
pub use session::{
    verify_claims, verify_claims_held, verify_claims_with, ActionAt, FailReason, Hint,
    LivenessSession, Progress, Verdict,
};
pub use signals::{FaceBox, FaceSignals, FrameSignals, QualityIssue};
