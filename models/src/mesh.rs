//! MediaPipe Face Mesh: 468 3-D points from a 192×192 crop around a detected face, the crop
//! rotated so the eye line is horizontal (MediaPipe's `face_detection_to_roi`: box centre,
//! 1.5 × the longer side, rotation from the two eye keypoints).

use crate::detect::{keypoint, FaceDetection};
use crate::error::ModelError;
use crate::frame::{luma, warp_into, Affine, Frame};
use crate::net::Net;

pub(crate) const INPUT: usize = 192;
pub const NUM_POINTS: usize = 468;
const ROI_SCALE: f32 = 1.5;
/// Face-presence score below which the mesh is not trusted.
pub const MIN_PRESENCE: f32 = 0.5;

/// The face mesh of one face, in view pixels. `z` is depth in the same pixel scale (smaller =
/// nearer the camera), relative to the face's centre.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceMesh {
    pub points: Vec<[f32; 3]>,
    /// The same points in the roll-corrected crop (192×192 px): x runs along the eye line.
    pub crop_points: Vec<[f32; 3]>,
    /// Sigmoid of the model's face-presence logit.
    pub presence: f32,
    /// Light and sharpness of the face region of the crop.
    pub crop_stats: CropStats,
}

impl FaceMesh {
    pub fn point(&self, i: usize) -> [f32; 3] {
        self.points.get(i).copied().unwrap_or([0.0; 3])
    }

    pub fn crop_point(&self, i: usize) -> [f32; 3] {
        self.crop_points.get(i).copied().unwrap_or([0.0; 3])
    }
}

/// Measured on the central part of the face crop (the face itself, little background).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CropStats {
    /// Mean luma, 0–255.
    pub mean_luma: f32,
    /// Variance of the 4-neighbour Laplacian of luma (0–255 units) at the crop's fixed scale:
    /// low = blurred.
    pub laplacian_var: f32,
}

/// A square crop of the frame, rotated: what the landmark model is run on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Roi {
    pub cx: f32,
    pub cy: f32,
    /// Side, view pixels.
    pub size: f32,
    /// Radians; the crop's x axis points along `(cos, sin)` in the view.
    pub angle: f32,
}

impl Roi {
    /// MediaPipe's `face_detection_to_roi`: box centre, 1.5 × the longer side, rotated so the
    /// detector's two eye keypoints are level.
    pub fn from_detection(face: &FaceDetection) -> Roi {
        let (cx, cy) = face.center();
        let a = face.keypoints[keypoint::EYE_A];
        let b = face.keypoints[keypoint::EYE_B];
        Roi {
            cx,
            cy,
            size: face.width().max(face.height()) * ROI_SCALE,
            angle: (b[1] - a[1]).atan2(b[0] - a[0]),
        }
    }

    /// The mesh's own frame (as MediaPipe's `face_landmarks_to_roi` before scaling): rotated
    /// so the outer eye corners (33 → 263) are level, centred on the points' bounding box in
    /// that rotated frame, side = the box's longer side.
    pub fn of_mesh(mesh: &FaceMesh) -> Roi {
        let (a, b) = (mesh.point(33), mesh.point(263));
        let angle = (b[1] - a[1]).atan2(b[0] - a[0]);
        let (sin, cos) = angle.sin_cos();
        let (mut umin, mut umax, mut vmin, mut vmax) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for p in &mesh.points {
            let u = p[0] * cos + p[1] * sin;
            let v = -p[0] * sin + p[1] * cos;
            umin = umin.min(u);
            umax = umax.max(u);
            vmin = vmin.min(v);
            vmax = vmax.max(v);
        }
        let (uc, vc) = ((umin + umax) / 2.0, (vmin + vmax) / 2.0);
        Roi {
            cx: uc * cos - vc * sin,
            cy: uc * sin + vc * cos,
            size: (umax - umin).max(vmax - vmin),
            angle,
        }
    }

    /// A point given in this crop's frame, in units of its side, from the centre → view.
    pub fn in_view(&self, p: [f32; 2]) -> [f32; 2] {
        let (sin, cos) = self.angle.sin_cos();
        let (u, v) = (p[0] * self.size, p[1] * self.size);
        [self.cx + u * cos - v * sin, self.cy + u * sin + v * cos]
    }

    /// The inverse of [`in_view`](Self::in_view).
    pub fn in_crop(&self, p: [f32; 2]) -> [f32; 2] {
        let (sin, cos) = self.angle.sin_cos();
        let (x, y) = (p[0] - self.cx, p[1] - self.cy);
        if self.size > 0.0 {
            [
                (x * cos + y * sin) / self.size,
                (-x * sin + y * cos) / self.size,
            ]
        } else {
            [0.0; 2]
        }
    }
}

pub(crate) struct Landmarker {
    net: Net,
    input: Vec<f32>,
}

impl Landmarker {
    pub(crate) fn net_mut(&mut self) -> &mut Net {
        &mut self.net
    }

    pub fn load(bytes: &[u8]) -> Result<Landmarker, ModelError> {
        let net = Net::load(crate::assets::LANDMARKS.name, bytes, [1, 3, INPUT, INPUT])?;
        let input = vec![0.0; net.input_len()];
        Ok(Landmarker { net, input })
    }

    /// The mesh of `face`; `None` when the model says there is no face in the crop.
    pub fn mesh(
        &mut self,
        frame: &Frame<'_>,
        face: &FaceDetection,
    ) -> Result<Option<FaceMesh>, ModelError> {
        self.mesh_in(frame, &Roi::from_detection(face))
    }

    /// The mesh in a given crop; `None` when the model says there is no face in it.
    pub fn mesh_in(
        &mut self,
        frame: &Frame<'_>,
        roi: &Roi,
    ) -> Result<Option<FaceMesh>, ModelError> {
        let Roi {
            cx,
            cy,
            size,
            angle,
        } = *roi;
        if !(size.is_finite()
            && size > 1.0
            && angle.is_finite()
            && cx.is_finite()
            && cy.is_finite())
        {
            return Ok(None);
        }
        let map = Affine::rotated_square(cx, cy, size, angle, INPUT);
        warp_into(frame, &map, INPUT, 0.0, 1.0 / 255.0, 0.0, &mut self.input);
        let crop_stats = crop_stats(&self.input);
        let outputs = self.net.run(&self.input)?;
        let fail = || ModelError::Inference {
            name: crate::assets::LANDMARKS.name,
            detail: "unexpected outputs".into(),
        };
        let raw = outputs
            .iter()
            .find(|o| o.len() == NUM_POINTS * 3)
            .ok_or_else(fail)?;
        let logit = outputs
            .iter()
            .find(|o| o.len() == 1)
            .and_then(|o| o.first().copied())
            .ok_or_else(fail)?;
        let presence = 1.0 / (1.0 + (-logit.clamp(-80.0, 80.0)).exp());
        if presence < MIN_PRESENCE {
            return Ok(None);
        }
        let z_scale = map.scale();
        let mut points = Vec::with_capacity(NUM_POINTS);
        let mut crop_points = Vec::with_capacity(NUM_POINTS);
        for p in raw.chunks_exact(3) {
            let (x, y) = map.apply(p[0], p[1]);
            points.push([x, y, p[2] * z_scale]);
            crop_points.push([p[0], p[1], p[2]]);
        }
        Ok(Some(FaceMesh {
            points,
            crop_points,
            presence,
            crop_stats,
        }))
    }
}

/// Luma mean and Laplacian variance over the central half of the crop (values 0–1 in `input`).
fn crop_stats(input: &[f32]) -> CropStats {
    let plane = INPUT * INPUT;
    let lum = |x: usize, y: usize| -> f32 {
        let i = y * INPUT + x;
        let px = [
            input.get(i).copied().unwrap_or(0.0),
            input.get(plane + i).copied().unwrap_or(0.0),
            input.get(2 * plane + i).copied().unwrap_or(0.0),
        ];
        luma(px) * 255.0
    };
    let (lo, hi) = (INPUT / 4, INPUT * 3 / 4);
    let (mut sum, mut n) = (0.0f64, 0u32);
    let (mut lap_sum, mut lap_sq, mut ln) = (0.0f64, 0.0f64, 0u32);
    for y in lo..hi {
        for x in lo..hi {
            let c = lum(x, y);
            sum += c as f64;
            n += 1;
            let lap = lum(x - 1, y) + lum(x + 1, y) + lum(x, y - 1) + lum(x, y + 1) - 4.0 * c;
            lap_sum += lap as f64;
            lap_sq += (lap as f64) * (lap as f64);
            ln += 1;
        }
    }
    let mean_luma = if n > 0 { (sum / n as f64) as f32 } else { 0.0 };
    let laplacian_var = if ln > 0 {
        let m = lap_sum / ln as f64;
        (lap_sq / ln as f64 - m * m).max(0.0) as f32
    } else {
        0.0
    };
    CropStats {
        mean_luma,
        laplacian_var,
    }
}
