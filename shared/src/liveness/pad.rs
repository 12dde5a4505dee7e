//! Passive presentation-attack detection (PAD): how the per-frame live scores of the `models`
//! crate's anti-spoofing network become one decision for a session.
//!
//! The network looks at the face crop of a few key frames (a screen's moiré and glare, a print's
//! flat texture and edges) and gives each a probability that the face is live. One frame can be
//! wrong either way (motion blur, a bright spot), so the session is judged on the **median** of
//! its scored frames: an attack must fool most of them, a genuine session survives a bad frame.
//! The server computes the scores itself from the uploaded frames; the app's are never trusted.

use serde::{Deserialize, Serialize};

/// The decision's thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PadConfig {
    /// The median live probability must reach this (measured in `models`' `pad_eval`; see
    /// MODELS.md "Presentation-attack detection").
    pub min_live_median: f32,
    /// Fewest scored frames for a decision; fewer fail (there was too little face to judge).
    pub min_frames: usize,
}

impl Default for PadConfig {
    fn default() -> Self {
        PadConfig {
            min_live_median: 0.5,
            min_frames: 3,
        }
    }
}

/// The session's PAD decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PadOutcome {
    pub passed: bool,
    /// Frames scored.
    pub frames: usize,
    /// Median live probability of the scored frames (`None` without any).
    pub median: Option<f32>,
    /// The lowest score.
    pub min: Option<f32>,
}

impl PadConfig {
    /// Decides on the live probabilities of a session's key frames (any order; values outside
    /// 0..=1 or not finite are treated as 0, "not live").
    pub fn decide(&self, scores: &[f32]) -> PadOutcome {
        let mut s: Vec<f32> = scores
            .iter()
            .map(|v| {
                if v.is_finite() {
                    v.clamp(0.0, 1.0)
                } else {
                    0.0
                }
            })
            .collect();
        s.sort_by(f32::total_cmp);
        let median = match s.len() {
            0 => None,
            n if n % 2 == 1 => Some(s[n / 2]),
            n => Some((s[n / 2 - 1] + s[n / 2]) / 2.0),
        };
        PadOutcome {
            passed: s.len() >= self.min_frames.max(1)
                && median.is_some_and(|m| m >= self.min_live_median),
            frames: s.len(),
            median,
            min: s.first().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_decides() {
        let c = PadConfig::default();
        assert!(
            c.decide(&[0.9, 0.8, 0.1]).passed,
            "one bad frame is tolerated"
        );
        assert!(!c.decide(&[0.9, 0.2, 0.1]).passed, "most frames spoof");
        assert_eq!(c.decide(&[0.2, 0.8, 0.6, 0.4]).median, Some(0.5));
        assert!(c.decide(&[0.2, 0.8, 0.6, 0.4]).passed);
    }

    #[test]
    fn too_few_frames_or_garbage_fail() {
        let c = PadConfig::default();
        assert!(!c.decide(&[]).passed);
        assert!(!c.decide(&[0.99, 0.99]).passed);
        let g = c.decide(&[f32::NAN, f32::INFINITY, 7.0]);
        assert_eq!(g.median, Some(0.0));
        assert!(!g.passed);
    }
}
