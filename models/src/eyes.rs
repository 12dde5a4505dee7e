//! Eye openness from MediaPipe's iris/eye-contour model (as Face Mesh's `refine_landmarks`
//! does): a 64×64 crop around each eye (2.3 × the corner-to-corner width, rotated along the
//! eye), the image-right eye flipped so both look like the image-left one; EAR from the refined
//! eyelid contour.
//!
//! Why a fourth model: the base mesh's eyelid points barely move when the eyes close (EAR falls
//! to ~0.85 of open on the test clips, and not at all on p02's blink), while this model's
//! contour closes (EAR ~0.3 open → ~0.05 closed).

use crate::error::ModelError;
use crate::frame::{warp_into, Affine, Frame};
use crate::mesh::FaceMesh;
use crate::net::Net;

pub(crate) const INPUT: usize = 64;
const ROI_SCALE: f32 = 2.3;
const CONTOUR_POINTS: usize = 71;
/// Eye corners in the mesh: (subject's right eye) and (subject's left eye).
const EYE_CORNERS: [(usize, usize); 2] = [(33, 133), (362, 263)];
/// Contour indices of the model's output: lower lid 0..=8 (0 and 8 are the corners), upper lid
/// 9..=15. EAR pairs as in the mesh: (160, 144) → (11, 3) and (158, 153) → (13, 5).
const C_CORNER_A: usize = 0;
const C_CORNER_B: usize = 8;
const C_PAIRS: [(usize, usize); 2] = [(11, 3), (13, 5)];

pub(crate) struct EyeModel {
    net: Net,
    input: Vec<f32>,
}

impl EyeModel {
    pub(crate) fn net_mut(&mut self) -> &mut Net {
        &mut self.net
    }

    pub fn load(bytes: &[u8]) -> Result<EyeModel, ModelError> {
        // The iris points (`output_iris`) are not used: their branch is not computed.
        let net = Net::load_outputs(
            crate::assets::EYES.name,
            bytes,
            [1, 3, INPUT, INPUT],
            &["output_eyes_contours_and_brows"],
        )?;
        let input = vec![0.0; net.input_len()];
        Ok(EyeModel { net, input })
    }

    /// EAR of the eye on the image's left and right side; `None` if a crop is degenerate.
    pub fn openness(
        &mut self,
        frame: &Frame<'_>,
        mesh: &FaceMesh,
    ) -> Result<Option<(f32, f32)>, ModelError> {
        let mut ears = Vec::with_capacity(2);
        for (a, b) in EYE_CORNERS {
            let (pa, pb) = (mesh.point(a), mesh.point(b));
            let (ca, cb) = (mesh.crop_point(a), mesh.crop_point(b));
            // Corners ordered image-left → image-right along the roll-corrected eye line.
            let (l, r) = if ca[0] <= cb[0] { (pa, pb) } else { (pb, pa) };
            let eye_x = (ca[0] + cb[0]) / 2.0;
            let width = ((r[0] - l[0]).powi(2) + (r[1] - l[1]).powi(2)).sqrt();
            // MediaPipe's ROI: the two corners' bounding box, square on its longer side.
            let size = (r[0] - l[0]).abs().max((r[1] - l[1]).abs()) * ROI_SCALE;
            let angle = (r[1] - l[1]).atan2(r[0] - l[0]);
            if !(width > 1.0 && size.is_finite() && angle.is_finite()) {
                return Ok(None);
            }
            let map = Affine::rotated_square(
                (l[0] + r[0]) / 2.0,
                (l[1] + r[1]) / 2.0,
                size,
                angle,
                INPUT,
            );
            ears.push((eye_x, map, ()));
        }
        let face_mid = (mesh.crop_point(33)[0] + mesh.crop_point(263)[0]) / 2.0;
        let mut left = None;
        let mut right = None;
        for (eye_x, map, ()) in ears {
            let on_right = eye_x > face_mid;
            // The model expects an image-left eye; the other one is flipped left-right.
            let map = if on_right {
                let s = INPUT as f32;
                Affine {
                    a: -map.a,
                    b: map.b,
                    c: map.c + map.a * s,
                    d: -map.d,
                    e: map.e,
                    f: map.f + map.d * s,
                }
            } else {
                map
            };
            warp_into(frame, &map, INPUT, 0.0, 1.0 / 255.0, 0.0, &mut self.input);
            let outputs = self.net.run(&self.input)?;
            let Some(contour) = outputs.iter().find(|o| o.len() == CONTOUR_POINTS * 3) else {
                return Err(ModelError::Inference {
                    name: crate::assets::EYES.name,
                    detail: "unexpected outputs".into(),
                });
            };
            let p = |i: usize| {
                [
                    contour.get(3 * i).copied().unwrap_or(0.0),
                    contour.get(3 * i + 1).copied().unwrap_or(0.0),
                ]
            };
            let d =
                |a: [f32; 2], b: [f32; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
            let w = d(p(C_CORNER_A), p(C_CORNER_B));
            if w.is_nan() || w <= f32::EPSILON {
                return Ok(None);
            }
            let ear = C_PAIRS.iter().map(|(u, l)| d(p(*u), p(*l))).sum::<f32>() / (2.0 * w);
            if on_right {
                right = Some(ear);
            } else {
                left = Some(ear);
            }
        }
        Ok(left.zip(right))
    }
}
