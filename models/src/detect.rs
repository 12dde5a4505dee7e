//! Face detection with MediaPipe's BlazeFace short-range model: letterboxed 128×128 input,
//! SSD anchor decoding and weighted non-maximum suppression, as MediaPipe's
//! `face_detection_short_range` graph does (anchors: 4 layers, strides 8/16/16/16, offsets 0.5,
//! fixed anchor size; scores: sigmoid of raw logits clipped to ±80; NMS IoU 0.3, weighted).

use crate::error::ModelError;
use crate::frame::{warp_into, Affine, Frame};
use crate::net::Net;

pub(crate) const INPUT: usize = 128;
const NUM_ANCHORS: usize = 896;
const VALUES_PER_ANCHOR: usize = 16;
/// MediaPipe's `min_score_thresh` for this model.
pub const MIN_SCORE: f32 = 0.5;
const NMS_IOU: f32 = 0.3;
const RAW_SCORE_LIMIT: f32 = 80.0;
/// Faces found only in a tile need this score: on the test stills, tiles' false faces (a cup,
/// a dark suit) score 0.51–0.58 while real small faces score ≥ 0.90.
pub const MIN_TILE_SCORE: f32 = 0.75;

/// Indexes of the detector's six keypoints.
pub mod keypoint {
    /// The eye nearer the image's left edge (for an upright face).
    pub const EYE_A: usize = 0;
    /// The other eye.
    pub const EYE_B: usize = 1;
    pub const NOSE: usize = 2;
    pub const MOUTH: usize = 3;
}

/// One detected face, in view pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceDetection {
    pub score: f32,
    pub xmin: f32,
    pub ymin: f32,
    pub xmax: f32,
    pub ymax: f32,
    /// Eye, eye, nose tip, mouth centre, ear (tragion), ear.
    pub keypoints: [[f32; 2]; 6],
}

impl FaceDetection {
    pub fn width(&self) -> f32 {
        self.xmax - self.xmin
    }

    pub fn height(&self) -> f32 {
        self.ymax - self.ymin
    }

    pub fn area(&self) -> f32 {
        self.width().max(0.0) * self.height().max(0.0)
    }

    pub fn center(&self) -> (f32, f32) {
        ((self.xmin + self.xmax) / 2.0, (self.ymin + self.ymax) / 2.0)
    }

    fn iou(&self, other: &FaceDetection) -> f32 {
        let ix = (self.xmax.min(other.xmax) - self.xmin.max(other.xmin)).max(0.0);
        let iy = (self.ymax.min(other.ymax) - self.ymin.max(other.ymin)).max(0.0);
        let inter = ix * iy;
        let union = self.area() + other.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }
}

pub(crate) struct Detector {
    net: Net,
    anchors: Vec<[f32; 2]>,
    input: Vec<f32>,
}

impl Detector {
    pub(crate) fn net_mut(&mut self) -> &mut Net {
        &mut self.net
    }

    pub fn load(bytes: &[u8]) -> Result<Detector, ModelError> {
        let net = Net::load(crate::assets::DETECTOR.name, bytes, [1, 3, INPUT, INPUT])?;
        let input = vec![0.0; net.input_len()];
        Ok(Detector {
            net,
            anchors: ssd_anchors(),
            input,
        })
    }

    /// All faces with score ≥ [`MIN_SCORE`], highest score first.
    pub fn detect(&mut self, frame: &Frame<'_>) -> Result<Vec<FaceDetection>, ModelError> {
        self.detect_region(frame, 0.0, 0.0, frame.width() as f32, frame.height() as f32)
    }

    /// For still photos: the whole frame plus overlapping tiles (half the shorter side, half
    /// a tile apart), so faces too small for the 128-px short-range model in the whole frame
    /// (group photos, full-length shots) are found too. A tile's face that touches an inner
    /// tile edge is dropped (it is cut; a neighbouring tile holds it whole); duplicates are
    /// merged, the higher score winning.
    pub fn detect_tiled(&mut self, frame: &Frame<'_>) -> Result<Vec<FaceDetection>, ModelError> {
        let (w, h) = (frame.width() as f32, frame.height() as f32);
        let mut all = self.detect(frame)?;
        let side = w.min(h) / 2.0;
        if side >= 64.0 {
            let stride = side / 2.0;
            let steps = |len: f32| ((len - side) / stride).ceil().max(0.0) as usize + 1;
            for j in 0..steps(h) {
                for i in 0..steps(w) {
                    let x0 = (i as f32 * stride).min(w - side);
                    let y0 = (j as f32 * stride).min(h - side);
                    let edge = side * 0.02;
                    for d in self.detect_region(frame, x0, y0, side, side)? {
                        let cut = (x0 > 0.0 && d.xmin < x0 + edge)
                            || (y0 > 0.0 && d.ymin < y0 + edge)
                            || (x0 + side < w && d.xmax > x0 + side - edge)
                            || (y0 + side < h && d.ymax > y0 + side - edge);
                        if !cut && d.score >= MIN_TILE_SCORE {
                            all.push(d);
                        }
                    }
                }
            }
        }
        all.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut kept: Vec<FaceDetection> = Vec::new();
        for d in all {
            let dup = kept.iter().any(|k| {
                let ix = (k.xmax.min(d.xmax) - k.xmin.max(d.xmin)).max(0.0);
                let iy = (k.ymax.min(d.ymax) - k.ymin.max(d.ymin)).max(0.0);
                let inter = ix * iy;
                k.iou(&d) > NMS_IOU || inter > 0.5 * k.area().min(d.area())
            });
            if !dup {
                kept.push(d);
            }
        }
        Ok(kept)
    }

    /// Faces inside the region `(x0, y0, rw, rh)` of the frame, in frame coordinates.
    fn detect_region(
        &mut self,
        frame: &Frame<'_>,
        x0: f32,
        y0: f32,
        w: f32,
        h: f32,
    ) -> Result<Vec<FaceDetection>, ModelError> {
        // Letterbox: the longer side fills 128 px, centred; padding is black.
        let scale = INPUT as f32 / w.max(h);
        let pad_x = (INPUT as f32 - w * scale) / 2.0;
        let pad_y = (INPUT as f32 - h * scale) / 2.0;
        let inv = 1.0 / scale;
        let map = Affine {
            a: inv,
            b: 0.0,
            c: x0 - pad_x * inv,
            d: 0.0,
            e: inv,
            f: y0 - pad_y * inv,
        };
        warp_into(frame, &map, INPUT, 127.5, 1.0 / 127.5, 0.0, &mut self.input);
        let outputs = self.net.run(&self.input)?;
        let (boxes, scores) = split_outputs(&outputs).ok_or(ModelError::Inference {
            name: crate::assets::DETECTOR.name,
            detail: "unexpected output shapes".to_owned(),
        })?;

        let to_view = |x: f32, y: f32| {
            (
                x0 + (x * INPUT as f32 - pad_x) * inv,
                y0 + (y * INPUT as f32 - pad_y) * inv,
            )
        };
        let mut candidates = Vec::new();
        for (i, anchor) in self.anchors.iter().enumerate() {
            let raw = scores.get(i).copied().unwrap_or(f32::NEG_INFINITY);
            let score = sigmoid(raw.clamp(-RAW_SCORE_LIMIT, RAW_SCORE_LIMIT));
            if score.is_nan() || score < MIN_SCORE {
                continue;
            }
            let Some(r) = boxes.get(i * VALUES_PER_ANCHOR..(i + 1) * VALUES_PER_ANCHOR) else {
                continue;
            };
            let s = INPUT as f32;
            let cx = r[0] / s + anchor[0];
            let cy = r[1] / s + anchor[1];
            let bw = r[2] / s;
            let bh = r[3] / s;
            if !(bw > 0.0 && bh > 0.0) {
                continue;
            }
            let (xmin, ymin) = to_view(cx - bw / 2.0, cy - bh / 2.0);
            let (xmax, ymax) = to_view(cx + bw / 2.0, cy + bh / 2.0);
            let mut keypoints = [[0.0; 2]; 6];
            for (k, kp) in keypoints.iter_mut().enumerate() {
                let (x, y) = to_view(r[4 + 2 * k] / s + anchor[0], r[5 + 2 * k] / s + anchor[1]);
                *kp = [x, y];
            }
            candidates.push(FaceDetection {
                score,
                xmin,
                ymin,
                xmax,
                ymax,
                keypoints,
            });
        }
        Ok(weighted_nms(candidates))
    }
}

/// (regressors [896×16], classificators [896]) whatever order the outputs come in.
fn split_outputs(outputs: &[Vec<f32>]) -> Option<(&[f32], &[f32])> {
    let boxes = outputs
        .iter()
        .find(|o| o.len() == NUM_ANCHORS * VALUES_PER_ANCHOR)?;
    let scores = outputs.iter().find(|o| o.len() == NUM_ANCHORS)?;
    Some((boxes, scores))
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// MediaPipe's SSD anchors for the short-range model (centres only; sizes are fixed at 1).
fn ssd_anchors() -> Vec<[f32; 2]> {
    let strides = [8usize, 16, 16, 16];
    let mut anchors = Vec::with_capacity(NUM_ANCHORS);
    let mut layer = 0;
    while layer < strides.len() {
        let mut last = layer;
        let mut repeats = 0;
        while last < strides.len() && strides[last] == strides[layer] {
            last += 1;
            repeats += 2; // interpolated_scale_aspect_ratio = 1.0: two anchors per layer
        }
        let fm = INPUT / strides[layer];
        for y in 0..fm {
            let cy = (y as f32 + 0.5) / fm as f32;
            for x in 0..fm {
                let cx = (x as f32 + 0.5) / fm as f32;
                for _ in 0..repeats {
                    anchors.push([cx, cy]);
                }
            }
        }
        layer = last;
    }
    anchors
}

/// MediaPipe's weighted NMS: each kept face is the score-weighted mean of the candidates that
/// overlap the best remaining one by more than the IoU threshold.
fn weighted_nms(mut candidates: Vec<FaceDetection>) -> Vec<FaceDetection> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while let Some(best) = candidates.first().copied() {
        let (group, rest): (Vec<FaceDetection>, Vec<FaceDetection>) =
            candidates.into_iter().partition(|c| c.iou(&best) > NMS_IOU);
        let total: f32 = group.iter().map(|c| c.score).sum();
        let mut merged = best;
        if total > 0.0 && !group.is_empty() {
            let avg = |f: &dyn Fn(&FaceDetection) -> f32| {
                group.iter().map(|c| f(c) * c.score).sum::<f32>() / total
            };
            merged.xmin = avg(&|c| c.xmin);
            merged.ymin = avg(&|c| c.ymin);
            merged.xmax = avg(&|c| c.xmax);
            merged.ymax = avg(&|c| c.ymax);
            for k in 0..6 {
                merged.keypoints[k] = [avg(&|c| c.keypoints[k][0]), avg(&|c| c.keypoints[k][1])];
            }
        }
        out.push(merged);
        // `best` overlaps itself, so every round removes at least one candidate.
        candidates = rest;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_match_the_model_layout() {
        let a = ssd_anchors();
        assert_eq!(a.len(), NUM_ANCHORS);
        assert_eq!(a[0], [0.5 / 16.0, 0.5 / 16.0]);
        assert_eq!(a[1], a[0]);
        assert_eq!(a[512], [0.5 / 8.0, 0.5 / 8.0]);
        assert_eq!(a[512 + 5], a[512]);
        assert_ne!(a[512 + 6], a[512]);
    }

    fn det(score: f32, x: f32) -> FaceDetection {
        FaceDetection {
            score,
            xmin: x,
            ymin: 0.0,
            xmax: x + 10.0,
            ymax: 10.0,
            keypoints: [[x, 0.0]; 6],
        }
    }

    #[test]
    fn nms_merges_overlaps_and_keeps_separate_faces() {
        let out = weighted_nms(vec![det(0.6, 1.0), det(0.9, 0.0), det(0.8, 50.0)]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        // weighted mean of x=0 (0.9) and x=1 (0.6)
        assert!((out[0].xmin - 0.4).abs() < 1e-5);
        assert_eq!(out[1].xmin, 50.0);
    }
}
