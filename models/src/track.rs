//! Following one face through a video without running the detector on every frame, as
//! MediaPipe's face mesh does: the next frame's landmark crop comes from this frame's mesh, and
//! the detector runs again only every few frames, when the mesh loses the face, when it moves
//! fast, or when the video changes (size, mirroring, time going back or a long gap). When the
//! face moved enough that the crop lagged behind it, the mesh is measured a second time in the
//! crop it implies (a few % of frames).
//!
//! The crop derived from the mesh is calibrated against the detector's at the last detection
//! (size ratio, centre offset and angle, in the mesh's own frame), so a tracked frame's crop —
//! and the crop statistics, box and keypoints measured from it — match what the detector
//! would have given, and the quality thresholds keep their meaning.
//!
//! Several faces stay honest: the other faces the detector found are kept (with their boxes
//! from that detection) until the next detection, at most `detect_every − 1` frames later, so
//! "more than one face" holds on every frame in between; a face that *enters* is noticed at
//! the next detection.

use crate::detect::FaceDetection;
use crate::mesh::{FaceMesh, Roi};

/// When the detector runs while a face is followed.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackConfig {
    /// Run the detector on at least every n-th frame (1 = every frame, no tracking).
    pub detect_every: u32,
    /// A tracked mesh with a lower face-presence score is not trusted: the detector runs on the
    /// same frame instead.
    pub min_presence: f32,
    /// When the crop a tracked mesh implies is off the crop it was measured in by more than
    /// this fraction of the crop's side (centre shift, or change of size), the face moved fast
    /// and the crop lagged: the mesh is measured again in the new crop.
    pub refine_motion: f32,
    /// Run the detector on the next frame when the face moved more than this fraction of its
    /// crop since the previous frame (centre shift, or change of size).
    pub max_motion: f32,
    /// Frames further apart than this (ms) do not continue a track.
    pub max_gap_ms: u64,
}

impl Default for TrackConfig {
    fn default() -> Self {
        TrackConfig {
            detect_every: 5,
            min_presence: 0.9,
            refine_motion: 0.05,
            max_motion: 0.2,
            max_gap_ms: 500,
        }
    }
}

/// The detection relative to the mesh's own frame ([`Roi::of_mesh`]) on the frame where both
/// were measured.
#[derive(Debug, Clone, PartialEq)]
struct Calibration {
    /// The landmark crop: centre (mesh frame, units of the mesh side), side ÷ mesh side,
    /// angle − mesh angle.
    crop_centre: [f32; 2],
    crop_scale: f32,
    crop_angle: f32,
    /// The detection box: centre (mesh frame), width and height ÷ mesh side.
    box_centre: [f32; 2],
    box_size: [f32; 2],
    keypoints: [[f32; 2]; 6],
    score: f32,
}

impl Calibration {
    fn new(face: &FaceDetection, mesh: &Roi) -> Calibration {
        let crop = Roi::from_detection(face);
        let (cx, cy) = face.center();
        let side = mesh.size.max(f32::EPSILON);
        Calibration {
            crop_centre: mesh.in_crop([crop.cx, crop.cy]),
            crop_scale: crop.size / side,
            crop_angle: wrap_angle(crop.angle - mesh.angle),
            box_centre: mesh.in_crop([cx, cy]),
            box_size: [face.width() / side, face.height() / side],
            keypoints: face.keypoints.map(|k| mesh.in_crop(k)),
            score: face.score,
        }
    }

    fn crop(&self, mesh: &Roi) -> Roi {
        let [cx, cy] = mesh.in_view(self.crop_centre);
        Roi {
            cx,
            cy,
            size: mesh.size * self.crop_scale,
            angle: mesh.angle + self.crop_angle,
        }
    }

    fn detection(&self, mesh: &Roi) -> FaceDetection {
        let [cx, cy] = mesh.in_view(self.box_centre);
        let (w, h) = (self.box_size[0] * mesh.size, self.box_size[1] * mesh.size);
        FaceDetection {
            score: self.score,
            xmin: cx - w / 2.0,
            ymin: cy - h / 2.0,
            xmax: cx + w / 2.0,
            ymax: cy + h / 2.0,
            keypoints: self.keypoints.map(|k| mesh.in_view(k)),
        }
    }
}

fn wrap_angle(a: f32) -> f32 {
    let tau = std::f32::consts::TAU;
    (a + std::f32::consts::PI).rem_euclid(tau) - std::f32::consts::PI
}

#[derive(Debug, Clone)]
struct Track {
    /// Frame width, height and mirroring the track belongs to.
    view: (u32, u32, bool),
    last_t_ms: u64,
    /// Frames since the detector last ran.
    since_detect: u32,
    calibration: Calibration,
    /// The mesh's own frame on the last frame.
    mesh: Roi,
    /// The other faces of the last detection.
    others: Vec<FaceDetection>,
    /// Detect on the next frame (fast motion).
    detect_next: bool,
}

/// The state of one video's face tracking; one per camera session ([`crate::LivenessRunner`]
/// holds one). Feed it frames in time order through [`crate::FaceModels::analyze_tracked`].
#[derive(Debug, Clone, Default)]
pub struct FaceTracker {
    config: TrackConfig,
    track: Option<Track>,
    detections: u32,
    frames: u32,
    refinements: u32,
}

/// What the tracker suggests for the next frame.
pub(crate) struct Plan {
    pub crop: Roi,
    pub others: Vec<FaceDetection>,
}

impl FaceTracker {
    pub fn new(config: TrackConfig) -> FaceTracker {
        FaceTracker {
            config,
            ..FaceTracker::default()
        }
    }

    pub fn config(&self) -> &TrackConfig {
        &self.config
    }

    /// Forgets the followed face: the next frame runs the detector.
    pub fn reset(&mut self) {
        self.track = None;
    }

    /// Frames seen, and on how many of them the detector ran.
    pub fn counts(&self) -> (u32, u32) {
        (self.frames, self.detections)
    }

    /// Tracked frames whose mesh was measured twice (the face moved fast).
    pub fn refinements(&self) -> u32 {
        self.refinements
    }

    /// The crop to try on this frame without the detector, if the track goes on.
    pub(crate) fn plan(&mut self, view: (u32, u32, bool), t_ms: u64) -> Option<Plan> {
        self.frames = self.frames.saturating_add(1);
        let t = self.track.as_ref()?;
        let continues = t.view == view
            && t_ms > t.last_t_ms
            && t_ms - t.last_t_ms <= self.config.max_gap_ms
            && t.since_detect.saturating_add(1) < self.config.detect_every.max(1)
            && !t.detect_next;
        if !continues {
            self.track = None;
            return None;
        }
        Some(Plan {
            crop: t.calibration.crop(&t.mesh),
            others: t.others.clone(),
        })
    }

    /// The crop to measure `mesh` again in, when the one it was measured in (`crop`) lagged
    /// behind a fast-moving face.
    pub(crate) fn refine(&mut self, mesh: &FaceMesh, crop: &Roi) -> Option<Roi> {
        let t = self.track.as_ref()?;
        let roi = Roi::of_mesh(mesh);
        if !(roi.size > 1.0 && crop.size > 1.0) {
            return None;
        }
        let next = t.calibration.crop(&roi);
        let shift = ((next.cx - crop.cx).powi(2) + (next.cy - crop.cy).powi(2)).sqrt();
        let grow = (next.size / crop.size).ln().abs();
        let limit = self.config.refine_motion;
        let lagged = shift > limit * crop.size || grow > limit;
        if lagged {
            self.refinements = self.refinements.saturating_add(1);
        }
        lagged.then_some(next)
    }

    /// A tracked mesh on frame `t_ms`: its detection-like box, or `None` (and the track ends)
    /// when the mesh is not trusted.
    pub(crate) fn follow(&mut self, t_ms: u64, mesh: &FaceMesh) -> Option<FaceDetection> {
        let min_presence = self.config.min_presence;
        let max_motion = self.config.max_motion;
        let t = self.track.as_mut()?;
        if mesh.presence < min_presence {
            self.track = None;
            return None;
        }
        let roi = Roi::of_mesh(mesh);
        let shift = ((roi.cx - t.mesh.cx).powi(2) + (roi.cy - t.mesh.cy).powi(2)).sqrt();
        let grow = (roi.size / t.mesh.size.max(f32::EPSILON)).ln().abs();
        if !(roi.size > 1.0 && shift.is_finite() && grow.is_finite()) {
            self.track = None;
            return None;
        }
        t.detect_next = shift > max_motion * t.mesh.size || grow > max_motion;
        t.mesh = roi;
        t.last_t_ms = t_ms;
        t.since_detect += 1;
        Some(t.calibration.detection(&roi))
    }

    /// The detector ran on frame `t_ms`: start a track on the main face when its mesh is good.
    pub(crate) fn detected(
        &mut self,
        view: (u32, u32, bool),
        t_ms: u64,
        faces: &[FaceDetection],
        main: Option<usize>,
        mesh: Option<&FaceMesh>,
    ) {
        self.detections = self.detections.saturating_add(1);
        self.track = None;
        let (Some(i), Some(mesh)) = (main, mesh) else {
            return;
        };
        let Some(face) = faces.get(i) else { return };
        if mesh.presence < self.config.min_presence {
            return;
        }
        let roi = Roi::of_mesh(mesh);
        if !(roi.size > 1.0 && roi.cx.is_finite() && roi.cy.is_finite()) {
            return;
        }
        self.track = Some(Track {
            view,
            last_t_ms: t_ms,
            since_detect: 0,
            calibration: Calibration::new(face, &roi),
            mesh: roi,
            others: faces
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != i)
                .map(|(_, f)| *f)
                .collect(),
            detect_next: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_maps_back_to_the_detection() {
        let face = FaceDetection {
            score: 0.9,
            xmin: 100.0,
            ymin: 80.0,
            xmax: 200.0,
            ymax: 190.0,
            keypoints: [
                [130.0, 120.0],
                [170.0, 125.0],
                [150.0, 145.0],
                [150.0, 170.0],
                [105.0, 130.0],
                [195.0, 135.0],
            ],
        };
        let mesh = Roi {
            cx: 152.0,
            cy: 140.0,
            size: 130.0,
            angle: 0.1,
        };
        let c = Calibration::new(&face, &mesh);
        let d = c.detection(&mesh);
        for (a, b) in [
            (d.xmin, face.xmin),
            (d.ymin, face.ymin),
            (d.xmax, face.xmax),
            (d.ymax, face.ymax),
            (d.keypoints[2][0], face.keypoints[2][0]),
            (d.keypoints[2][1], face.keypoints[2][1]),
        ] {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
        let crop = c.crop(&mesh);
        let want = Roi::from_detection(&face);
        assert!((crop.cx - want.cx).abs() < 1e-3 && (crop.size - want.size).abs() < 1e-3);
        assert!((crop.angle - want.angle).abs() < 1e-5);
        // The same face moved by (+30, −10) and 20 % larger: the box follows.
        let moved = Roi {
            cx: 182.0,
            cy: 130.0,
            size: 156.0,
            angle: 0.1,
        };
        let d = c.detection(&moved);
        assert!((d.width() - face.width() * 1.2).abs() < 1e-2);
        assert!((d.center().0 - (face.center().0 + 30.0 + 0.2 * (150.0 - 152.0))).abs() < 0.5);
    }

    #[test]
    fn the_detector_runs_every_nth_frame_and_after_a_gap() {
        let mut t = FaceTracker::new(TrackConfig {
            detect_every: 3,
            ..TrackConfig::default()
        });
        let view = (640, 480, false);
        // No track yet.
        assert!(t.plan(view, 0).is_none());
        let face = FaceDetection {
            score: 0.9,
            xmin: 100.0,
            ymin: 100.0,
            xmax: 200.0,
            ymax: 200.0,
            keypoints: [[150.0, 150.0]; 6],
        };
        let mesh = FaceMesh {
            points: vec![[110.0, 90.0, 0.0], [190.0, 210.0, 0.0]],
            crop_points: vec![],
            presence: 0.99,
            crop_stats: crate::mesh::CropStats {
                mean_luma: 100.0,
                laplacian_var: 50.0,
            },
        };
        t.detected(view, 0, &[face], Some(0), Some(&mesh));
        assert!(t.plan(view, 100).is_some());
        assert!(t.follow(100, &mesh).is_some());
        assert!(t.plan(view, 200).is_some());
        assert!(t.follow(200, &mesh).is_some());
        // Third frame since the detection: detect again.
        assert!(t.plan(view, 300).is_none());
        t.detected(view, 300, &[face], Some(0), Some(&mesh));
        // Another size, time going back, a long gap: no track.
        assert!(t.plan((320, 240, false), 400).is_none());
        t.detected(view, 400, &[face], Some(0), Some(&mesh));
        assert!(t.plan(view, 399).is_none());
        t.detected(view, 400, &[face], Some(0), Some(&mesh));
        assert!(t.plan(view, 2000).is_none());
        // A weak mesh ends the track.
        t.detected(view, 0, &[face], Some(0), Some(&mesh));
        assert!(t.plan(view, 100).is_some());
        let weak = FaceMesh {
            presence: 0.3,
            ..mesh.clone()
        };
        assert!(t.follow(100, &weak).is_none());
        assert!(t.plan(view, 200).is_none());
        assert_eq!(t.counts(), (9, 5));
    }
}
