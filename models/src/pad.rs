//! Passive presentation-attack detection (PAD): a small network scores a face crop as live or
//! spoof — a screen's moiré and glare, a print's flat texture — on a few key frames of a session
//! (`session::PadPlan` picks them; `shared::liveness::pad` decides on the median).
//!
//! The network is `pad_liveness.onnx` (MODELS.md "Presentation-attack detection": provenance,
//! licence, what it catches and what it does not). Its crop, as measured there: a square around
//! the detector's box centre, side 1.2 × the box's longer side, not rotated, resampled to 32×32
//! with the same warp as every other model input, RGB values ÷ 255 (the file's first layer swaps
//! to the BGR the network was trained on), black outside the frame. Output 1 of the softmax is
//! the live probability.
//!
//! It is a weak signal on its own (per frame AUC 0.95 on the test material; simulated screen
//! replays pass it), which is why it only ever judges a session by the median of several frames,
//! and why the colour flash carries the replay defence.

use shared::liveness::PadConfig;

use crate::detect::FaceDetection;
use crate::error::ModelError;
use crate::frame::{warp_into, Affine, Frame};
use crate::net::Net;

pub(crate) const INPUT: usize = 32;
/// Crop side ÷ the detector box's longer side (measured best of 1.0–2.2, MODELS.md).
const CROP_SCALE: f32 = 1.2;
/// Index of the live class in the network's two outputs.
const LIVE: usize = 1;

/// The decision's thresholds for this network: the session's median live score must reach
/// 0.15 over at least 3 scored frames. On the test material (MODELS.md) every session of the two
/// real video replays scores below it, while 1.5–3.4 % of genuine clip sessions do too (talking,
/// a face in profile, looking down).
pub fn pad_config() -> PadConfig {
    PadConfig {
        min_live_median: 0.15,
        min_frames: 3,
    }
}

pub(crate) struct PadNet {
    net: Net,
    input: Vec<f32>,
}

impl PadNet {
    pub(crate) fn load(bytes: &[u8]) -> Result<PadNet, ModelError> {
        let net = Net::load("pad_liveness", bytes, [1, 3, INPUT, INPUT])?;
        let input = vec![0.0; net.input_len()];
        Ok(PadNet { net, input })
    }

    pub(crate) fn net_mut(&mut self) -> &mut Net {
        &mut self.net
    }

    /// The live probability (0–1) of the face in `face`'s box; `None` for an empty box.
    pub(crate) fn live_probability(
        &mut self,
        frame: &Frame<'_>,
        face: &FaceDetection,
    ) -> Result<Option<f32>, ModelError> {
        let side = face.width().max(face.height()) * CROP_SCALE;
        if !(side.is_finite() && side >= 4.0) {
            return Ok(None);
        }
        let (cx, cy) = face.center();
        let map = Affine::rotated_square(cx, cy, side, 0.0, INPUT);
        warp_into(frame, &map, INPUT, 0.0, 1.0 / 255.0, 0.0, &mut self.input);
        let out = self.net.run(&self.input)?;
        Ok(out
            .first()
            .and_then(|probs| probs.get(LIVE))
            .copied()
            .filter(|p| p.is_finite()))
    }
}
