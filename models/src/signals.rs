//! From a face mesh to the per-frame signals `shared::liveness` reasons about: eye openness
//! (EAR per eye), mouth openness (MAR), head yaw and pitch, and the quality issues of the frame.

use shared::liveness::{FaceBox, FaceSignals, QualityIssue};

use crate::detect::FaceDetection;
use crate::mesh::FaceMesh;

/// Face Mesh indices of the eye contours, in EAR order: outer/inner corner `p1`, `p4`; upper
/// lid `p2`, `p3`; lower lid `p6`, `p5` — EAR = (|p2−p6| + |p3−p5|) / (2 |p1−p4|).
/// `EYE_R` is the subject's right eye (on the image's left in an unmirrored frame).
const EYE_R: [usize; 6] = [33, 160, 158, 133, 153, 144];
const EYE_L: [usize; 6] = [263, 387, 385, 362, 380, 373];
/// Inner lips (upper, lower) and mouth corners.
const LIP_UPPER_INNER: usize = 13;
const LIP_LOWER_INNER: usize = 14;
const MOUTH_CORNER_R: usize = 78;
const MOUTH_CORNER_L: usize = 308;
/// Symmetric pairs of the face oval (MediaPipe's FACE_OVAL contour, mirrored about the
/// forehead 10 – chin 152 midline), used to find the face's left-right axis in 3-D.
const OVAL_PAIRS: [(usize, usize); 17] = [
    (109, 338),
    (67, 297),
    (103, 332),
    (54, 284),
    (21, 251),
    (162, 389),
    (127, 356),
    (234, 454),
    (93, 323),
    (132, 361),
    (58, 288),
    (172, 397),
    (136, 365),
    (150, 379),
    (149, 378),
    (176, 400),
    (148, 377),
];
/// Top (forehead) and bottom (chin) of the oval, for the face's up-down axis.
const OVAL_TOP: [usize; 5] = [10, 109, 338, 67, 297];
const OVAL_BOTTOM: [usize; 5] = [152, 148, 377, 176, 400];

/// Thresholds of the per-frame quality checks, with the data behind each default (measured on
/// `shared/testdata/faces`, see MODELS.md "Quality thresholds").
#[derive(Debug, Clone, PartialEq)]
pub struct QualityConfig {
    /// Face-region mean luma (0–255) below this is too dark. The darkened test images measure
    /// < 15; the dim webcam clip (p10) ~70.
    pub dark_face_luma: f32,
    /// Whole-frame mean luma below this is too dark even when no face is found.
    pub dark_frame_luma: f32,
    /// Face-region mean luma above this is too bright (washed out).
    pub bright_face_luma: f32,
    /// Laplacian variance of the face crop below this is blurred.
    pub blur_laplacian_var: f32,
    /// Face box width / the frame's shorter side below this is too far.
    pub far_face_ratio: f32,
    /// Face box height / frame height (or width / frame width) above this is too near.
    pub near_face_ratio: f32,
    /// The face box may stick out of the frame by this fraction of its size before it is
    /// "partly out of frame".
    pub out_of_frame_margin: f32,
}

impl Default for QualityConfig {
    fn default() -> Self {
        QualityConfig {
            dark_face_luma: 40.0,
            dark_frame_luma: 30.0,
            bright_face_luma: 225.0,
            blur_laplacian_var: 8.0,
            far_face_ratio: 0.12,
            near_face_ratio: 0.95,
            out_of_frame_margin: 0.08,
        }
    }
}

fn dist(a: [f32; 3], b: [f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

fn ear(mesh: &FaceMesh, idx: &[usize; 6]) -> f32 {
    let p = |k: usize| mesh.crop_point(idx[k]);
    let width = dist(p(0), p(3));
    if width <= f32::EPSILON {
        return 0.0;
    }
    (dist(p(1), p(5)) + dist(p(2), p(4))) / (2.0 * width)
}

/// Eye openness (EAR) of the eye on the image's left and right side, from the mesh's eyelid
/// points.
pub fn eye_openness(mesh: &FaceMesh) -> (f32, f32) {
    let r = ear(mesh, &EYE_R);
    let l = ear(mesh, &EYE_L);
    // The crop's x axis runs along the eye line, so the smaller crop x is the image's left
    // (also in a mirrored view).
    let rx = mesh.crop_point(EYE_R[0])[0] + mesh.crop_point(EYE_R[3])[0];
    let lx = mesh.crop_point(EYE_L[0])[0] + mesh.crop_point(EYE_L[3])[0];
    if rx <= lx {
        (r, l)
    } else {
        (l, r)
    }
}

/// Inner-lip gap / mouth width.
pub fn mouth_openness(mesh: &FaceMesh) -> f32 {
    let width = dist(
        mesh.crop_point(MOUTH_CORNER_R),
        mesh.crop_point(MOUTH_CORNER_L),
    );
    if width <= f32::EPSILON {
        return 0.0;
    }
    dist(
        mesh.crop_point(LIP_UPPER_INNER),
        mesh.crop_point(LIP_LOWER_INNER),
    ) / width
}

/// Direction the face points (out of the face, toward the camera when frontal), in the
/// roll-corrected crop frame (x along the eye line, y down, z away from the camera), from the
/// mesh's 3-D points: the left-right axis is the mean of the oval's symmetric pairs, the up-down
/// axis runs from forehead to chin, and the face direction is perpendicular to both.
fn face_direction(mesh: &FaceMesh) -> [f32; 3] {
    let sub = |a: [f32; 3], b: [f32; 3]| [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    let add = |a: [f32; 3], b: [f32; 3]| [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
    let dot = |a: [f32; 3], b: [f32; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let norm = |a: [f32; 3]| {
        let n = dot(a, a).sqrt();
        if n > 0.0 {
            [a[0] / n, a[1] / n, a[2] / n]
        } else {
            [0.0; 3]
        }
    };
    let mut lr = [0.0; 3];
    for (a, b) in OVAL_PAIRS {
        let (pa, pb) = (mesh.crop_point(a), mesh.crop_point(b));
        // From the image-left point to the image-right one.
        lr = add(
            lr,
            if pa[0] <= pb[0] {
                sub(pb, pa)
            } else {
                sub(pa, pb)
            },
        );
    }
    let mut ud = [0.0; 3];
    for (t, b) in OVAL_TOP.iter().zip(OVAL_BOTTOM.iter()) {
        ud = add(ud, sub(mesh.crop_point(*b), mesh.crop_point(*t)));
    }
    let x = norm(lr);
    let d = dot(ud, x);
    let y = norm([ud[0] - d * x[0], ud[1] - d * x[1], ud[2] - d * x[2]]);
    // x × y points into the head (x right, y down, z away is right-handed); the face points
    // the other way.
    let z = [
        x[1] * y[2] - x[2] * y[1],
        x[2] * y[0] - x[0] * y[2],
        x[0] * y[1] - x[1] * y[0],
    ];
    [-z[0], -z[1], -z[2]]
}

/// Yaw in degrees, + = nose toward the image's left edge.
pub fn yaw_deg(mesh: &FaceMesh) -> f32 {
    let n = face_direction(mesh);
    (-n[0]).atan2(-n[2]).to_degrees()
}

/// The raw pitch of a level, frontal face: the oval's forehead points sit further back than its
/// chin points, so the forehead→chin axis leans. Measured as the median raw pitch of the
/// frontal enrolment stills in the test data (see MODELS.md "Head pose").
pub const PITCH_OFFSET_DEG: f32 = 8.0;

/// Pitch as the mesh's depth sees it, before the level-face offset: + = chin down.
pub fn raw_pitch_deg(mesh: &FaceMesh) -> f32 {
    let n = face_direction(mesh);
    n[1].clamp(-1.0, 1.0).asin().to_degrees()
}

/// Pitch in degrees, + = chin down, 0 = a level face.
pub fn pitch_deg(mesh: &FaceMesh) -> f32 {
    raw_pitch_deg(mesh) - PITCH_OFFSET_DEG
}

/// Signals of one face normalised to a `width × height` frame.
pub fn face_signals(face: &FaceDetection, mesh: &FaceMesh, width: f32, height: f32) -> FaceSignals {
    let (left, right) = eye_openness(mesh);
    FaceSignals {
        face_box: FaceBox {
            x: face.xmin / width,
            y: face.ymin / height,
            width: face.width() / width,
            height: face.height() / height,
        },
        left_eye_openness: left,
        right_eye_openness: right,
        mouth_openness: mouth_openness(mesh),
        yaw_deg: yaw_deg(mesh),
        pitch_deg: pitch_deg(mesh),
    }
}

/// Quality issues of the main face (given there is exactly one usable face or several).
pub fn face_issues(
    config: &QualityConfig,
    face: &FaceDetection,
    mesh: Option<&FaceMesh>,
    width: f32,
    height: f32,
) -> Vec<QualityIssue> {
    let mut issues = Vec::new();
    let (fw, fh) = (face.width(), face.height());
    let m = config.out_of_frame_margin;
    let outside = face.xmin < -m * fw
        || face.ymin < -m * fh
        || face.xmax > width + m * fw
        || face.ymax > height + m * fh;
    if outside {
        issues.push(QualityIssue::OutOfFrame);
    }
    if fw < config.far_face_ratio * width.min(height) {
        issues.push(QualityIssue::TooFar);
    }
    if fh > config.near_face_ratio * height || fw > config.near_face_ratio * width {
        issues.push(QualityIssue::TooNear);
    }
    if let Some(mesh) = mesh {
        let s = mesh.crop_stats;
        if s.mean_luma < config.dark_face_luma {
            issues.push(QualityIssue::TooDark);
        } else if s.mean_luma > config.bright_face_luma {
            issues.push(QualityIssue::TooBright);
        }
        // Blur is judged only in usable light: a dark crop has little contrast anyway.
        if s.mean_luma >= config.dark_face_luma && s.laplacian_var < config.blur_laplacian_var {
            issues.push(QualityIssue::Blurred);
        }
    }
    issues
}
