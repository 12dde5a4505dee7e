//! The colour of a frame's face skin and of the background behind it, for the colour-flash check
//! (`shared::liveness::flash`): the screen's light must change the face's colour in step with
//! the challenge's sequence, and the far background much less.
//!
//! - **Skin**: three disks on the mesh — forehead and both cheeks, away from eyes, brows, lips and
//!   hair, which move or have colours of their own — each of radius 6 % of the face's width
//!   (the mesh's outer cheek points 234 → 454).
//! - **Background**: fixed parts of the frame — the top fifth, and the outer sixths of the
//!   upper 60 % — less the face box widened by 40 % on each side (hair, ears and shoulders are
//!   as near the screen as the face and are lit as much). Fixed parts, not parts that follow the
//!   face: when the head moves the same wall stays in the sample.
//! - Pixels with a channel ≥ 250 (a clipped highlight, a lamp, a window) are left out: a clipped
//!   channel cannot show a change.
//!
//! Means are of 8-bit sRGB values; `shared` converts them as it needs.

use shared::liveness::ColourSample;

use crate::detect::FaceDetection;
use crate::frame::Frame;
use crate::mesh::FaceMesh;

/// Mesh points at the centres of the skin disks: forehead (151) and the cheeks (50, 280).
const SKIN_POINTS: [usize; 3] = [151, 50, 280];
/// Outer cheek points whose distance is the face's width.
const FACE_SIDES: (usize, usize) = (234, 454);
/// Disk radius ÷ face width.
const SKIN_RADIUS: f32 = 0.06;
/// The background parts of the frame (fractions of its height and width): the top band, and
/// the outer columns of the upper part.
const TOP_BAND: f32 = 0.2;
const SIDE_COLUMN: f32 = 1.0 / 6.0;
const SIDE_DEPTH: f32 = 0.6;
/// The face box widened by this fraction of its size on each side is never background.
const FACE_MARGIN: f32 = 0.4;
/// A background needs at least this many samples (of the ~6,400-point grid).
const MIN_BACKGROUND_SAMPLES: usize = 150;
/// Channel values from here on are clipped highlights.
const CLIPPED: f32 = 250.0;

#[derive(Default)]
struct Mean {
    sum: [f64; 3],
    n: usize,
}

impl Mean {
    fn add(&mut self, p: [f32; 3]) {
        if p.iter().all(|c| *c < CLIPPED) {
            for (s, c) in self.sum.iter_mut().zip(p) {
                *s += f64::from(c);
            }
            self.n += 1;
        }
    }

    fn get(&self, min: usize) -> Option<[f32; 3]> {
        (self.n >= min.max(1)).then(|| self.sum.map(|s| (s / self.n as f64) as f32))
    }
}

/// The colour sample of one face (its detection box and mesh, in view pixels).
pub fn colour_sample(
    frame: &Frame<'_>,
    face: &FaceDetection,
    mesh: &FaceMesh,
) -> Option<ColourSample> {
    colour_sample_mapped(frame, face, mesh, |_, _, p| p)
}

/// [`colour_sample`] of the frame as `map` changes it: `map(x, y, rgb)` gives the pixel at view
/// coordinates `(x, y)` (0–255 channels). The evaluation uses it to light only the sampled
/// pixels of a recorded frame (`crate::simulate::lit_pixel`) instead of the whole frame.
pub fn colour_sample_mapped(
    frame: &Frame<'_>,
    face: &FaceDetection,
    mesh: &FaceMesh,
    map: impl Fn(f32, f32, [f32; 3]) -> [f32; 3],
) -> Option<ColourSample> {
    let (a, b) = (mesh.point(FACE_SIDES.0), mesh.point(FACE_SIDES.1));
    let face_width = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    if !(face_width.is_finite() && face_width >= 8.0) {
        return None;
    }
    let radius = (face_width * SKIN_RADIUS).max(2.0);
    // About 9 × 9 samples per disk.
    let step = (radius / 4.0).max(1.0);
    let mut skin = Mean::default();
    for i in SKIN_POINTS {
        let c = mesh.point(i);
        let mut dy = -radius;
        while dy <= radius {
            let mut dx = -radius;
            while dx <= radius {
                if dx * dx + dy * dy <= radius * radius {
                    let (x, y) = (c[0] + dx, c[1] + dy);
                    if let Some(p) = frame.sample(x, y) {
                        skin.add(map(x, y, p));
                    }
                }
                dx += step;
            }
            dy += step;
        }
    }
    let face_rgb = skin.get(20)?;

    let (w, h) = (frame.width() as f32, frame.height() as f32);
    let (bw, bh) = (face.width(), face.height());
    let (fx0, fx1) = (face.xmin - FACE_MARGIN * bw, face.xmax + FACE_MARGIN * bw);
    let (fy0, fy1) = (face.ymin - FACE_MARGIN * bh, face.ymax + FACE_MARGIN * bh);
    let grid = (w.min(h) / 80.0).max(1.0);
    let mut background = Mean::default();
    let mut y = grid / 2.0;
    while y < h * SIDE_DEPTH.max(TOP_BAND) {
        let mut x = grid / 2.0;
        while x < w {
            let in_part = y < h * TOP_BAND || x < w * SIDE_COLUMN || x > w * (1.0 - SIDE_COLUMN);
            let near_face = x >= fx0 && x <= fx1 && y >= fy0 && y <= fy1;
            if in_part && !near_face {
                if let Some(p) = frame.sample(x, y) {
                    background.add(map(x, y, p));
                }
            }
            x += grid;
        }
        y += grid;
    }
    Some(ColourSample {
        face: face_rgb,
        background: background.get(MIN_BACKGROUND_SAMPLES),
    })
}
