//! What the models crate measures on each camera frame, and the quality hints shown to the user.
//!
//! These types travel from the app to the server (serde) and are produced by `models` from real
//! frames; the detector treats every value as untrusted input.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The signals of one camera frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameSignals {
    /// Capture time in milliseconds from any fixed origin (e.g. the start of the session).
    /// Frames must be fed to a detector in increasing `t_ms`.
    pub t_ms: u64,
    /// Number of faces found in the frame.
    pub faces: u32,
    /// The measured face (the main face when there are several), `None` when no face was found.
    pub face: Option<FaceSignals>,
    /// Quality problems of this frame, in any order.
    #[serde(default)]
    pub issues: Vec<QualityIssue>,
}

/// Measurements of one face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceSignals {
    /// Normalised to the frame: x, y, width, height in 0..=1.
    pub face_box: FaceBox,
    /// Eye aspect ratio (EAR) of the eye on the image's left side.
    pub left_eye_openness: f32,
    /// EAR of the eye on the image's right side.
    pub right_eye_openness: f32,
    /// MAR: inner-lip gap / mouth width.
    pub mouth_openness: f32,
    /// Degrees; 0 = frontal; + = nose points to the image's LEFT edge.
    pub yaw_deg: f32,
    /// Degrees; 0 = level; + = chin DOWN.
    pub pitch_deg: f32,
}

/// A face's bounding box, normalised to the frame (0..=1 when fully inside it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceBox {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl FaceBox {
    /// Centre of the box.
    pub fn center(&self) -> (f32, f32) {
        (self.x + self.width / 2.0, self.y + self.height / 2.0)
    }

    /// Finite, positive size, and not absurdly far outside the frame (a partly visible face may
    /// stick out, so up to one frame width/height beyond the edges is accepted).
    pub fn is_plausible(&self) -> bool {
        let finite = [self.x, self.y, self.width, self.height]
            .iter()
            .all(|v| v.is_finite());
        finite
            && self.width > 0.0
            && self.height > 0.0
            && self.width <= 2.0
            && self.height <= 2.0
            && (-1.0..=2.0).contains(&self.x)
            && (-1.0..=2.0).contains(&self.y)
    }
}

/// Highest plausible eye aspect ratio (wide-open eyes measure about 0.3–0.45).
pub const MAX_PLAUSIBLE_EAR: f32 = 1.5;
/// Highest plausible mouth aspect ratio (a wide-open mouth measures about 0.7–1.0).
pub const MAX_PLAUSIBLE_MAR: f32 = 3.0;
/// Largest plausible |yaw| or |pitch| in degrees.
pub const MAX_PLAUSIBLE_ANGLE_DEG: f32 = 120.0;

impl FaceSignals {
    /// Every value finite and within physical limits. Frames failing this are not used for
    /// detection (see `FrameError::InvalidSignals`).
    pub fn is_plausible(&self) -> bool {
        let in_range = |v: f32, lo: f32, hi: f32| v.is_finite() && v >= lo && v <= hi;
        self.face_box.is_plausible()
            && in_range(self.left_eye_openness, 0.0, MAX_PLAUSIBLE_EAR)
            && in_range(self.right_eye_openness, 0.0, MAX_PLAUSIBLE_EAR)
            && in_range(self.mouth_openness, 0.0, MAX_PLAUSIBLE_MAR)
            && in_range(
                self.yaw_deg,
                -MAX_PLAUSIBLE_ANGLE_DEG,
                MAX_PLAUSIBLE_ANGLE_DEG,
            )
            && in_range(
                self.pitch_deg,
                -MAX_PLAUSIBLE_ANGLE_DEG,
                MAX_PLAUSIBLE_ANGLE_DEG,
            )
    }
}

/// A problem with a frame that keeps the liveness check from working, with its guidance.
///
/// Serialised snake_case: `no_face`, `multiple_faces`, `too_dark`, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityIssue {
    NoFace,
    MultipleFaces,
    TooDark,
    TooBright,
    Blurred,
    TooFar,
    TooNear,
    OutOfFrame,
}

impl QualityIssue {
    /// Every issue, most important first (see [`priority`](Self::priority)).
    pub const BY_PRIORITY: [QualityIssue; 8] = [
        QualityIssue::NoFace,
        QualityIssue::MultipleFaces,
        QualityIssue::OutOfFrame,
        QualityIssue::TooFar,
        QualityIssue::TooNear,
        QualityIssue::TooDark,
        QualityIssue::TooBright,
        QualityIssue::Blurred,
    ];

    /// Stable snake_case name (the serde name).
    pub const fn as_str(self) -> &'static str {
        match self {
            QualityIssue::NoFace => "no_face",
            QualityIssue::MultipleFaces => "multiple_faces",
            QualityIssue::TooDark => "too_dark",
            QualityIssue::TooBright => "too_bright",
            QualityIssue::Blurred => "blurred",
            QualityIssue::TooFar => "too_far",
            QualityIssue::TooNear => "too_near",
            QualityIssue::OutOfFrame => "out_of_frame",
        }
    }

    /// The live guidance shown on the camera screen (seed 000: 离摄像头过远、过近、环境光线过暗 …).
    pub const fn guidance_zh(self) -> &'static str {
        match self {
            QualityIssue::NoFace => "未检测到人脸",
            QualityIssue::MultipleFaces => "请保持单人入镜",
            QualityIssue::TooDark => "光线过暗",
            QualityIssue::TooBright => "光线过亮",
            QualityIssue::Blurred => "画面模糊,请保持稳定",
            QualityIssue::TooFar => "离摄像头过远",
            QualityIssue::TooNear => "离摄像头过近",
            QualityIssue::OutOfFrame => "请将面部完整置于取景框内",
        }
    }

    /// 0 = most important. The screen shows one hint at a time, the one the person should fix
    /// first: without a (single) face nothing else can be judged; then getting the face into the
    /// frame at the right distance (the person can fix that at once); then light, which may need
    /// moving elsewhere; blur last, as it is often a side effect of doing the actions or of
    /// low light.
    pub fn priority(self) -> u8 {
        match self {
            QualityIssue::NoFace => 0,
            QualityIssue::MultipleFaces => 1,
            QualityIssue::OutOfFrame => 2,
            QualityIssue::TooFar => 3,
            QualityIssue::TooNear => 4,
            QualityIssue::TooDark => 5,
            QualityIssue::TooBright => 6,
            QualityIssue::Blurred => 7,
        }
    }

    /// The single most useful issue of a list, if any.
    pub fn most_important(issues: &[QualityIssue]) -> Option<QualityIssue> {
        issues.iter().copied().min_by_key(|i| i.priority())
    }
}

impl fmt::Display for QualityIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FrameSignals {
    /// A frame with exactly one plausible face, or `None`.
    pub fn single_face(&self) -> Option<&FaceSignals> {
        match (&self.face, self.faces) {
            (Some(face), 1) if face.is_plausible() => Some(face),
            _ => None,
        }
    }

    /// The issue to show for this frame: the face count speaks first (a frame reporting 0 faces is
    /// `NoFace` and one reporting several is `MultipleFaces`, even when `issues` forgot to say so),
    /// then the most important listed issue.
    pub fn primary_issue(&self) -> Option<QualityIssue> {
        if self.faces == 0 || self.face.is_none() {
            return Some(QualityIssue::NoFace);
        }
        if self.faces > 1 {
            return Some(QualityIssue::MultipleFaces);
        }
        QualityIssue::most_important(&self.issues)
    }
}
