//! Evidence cannot be used twice: the server keeps a compact fingerprint of every accepted
//! evidence — a 256-bit perceptual hash of each frame's face region ([`FrameHash`], computed by
//! the `models` crate) — and refuses new evidence whose frames repeat an earlier challenge's.
//!
//! A live person never gives the same picture twice: sensor noise, light and small movements
//! change every frame. A replayed evidence (the same frames uploaded again, re-encoded, resized
//! or lightly edited) keeps frame after frame within a few bits of the original. So the rule is
//! per frame *and* per evidence: a frame matches when its hash is within
//! [`ReuseConfig::max_bits`] of a frame of the earlier evidence, and the evidence is a reuse
//! when at least [`ReuseConfig::min_matching_frames`] frames and
//! [`ReuseConfig::min_matching_fraction`] of them match one earlier evidence.

use serde::{Deserialize, Serialize};

/// A frame's perceptual hash: 256 bits.
pub type FrameHash = [u64; 4];

/// Bits in which two hashes differ.
pub fn distance(a: &FrameHash, b: &FrameHash) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// The thresholds of the reuse rule (measured in `models`' `pad_eval`: frames of one person's
/// different recordings, and frames re-encoded or resized).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReuseConfig {
    /// Largest Hamming distance (of 256 bits) for two frame hashes to count as the same picture.
    pub max_bits: u32,
    /// Fewest matching frames for a reuse…
    pub min_matching_frames: usize,
    /// …and the least fraction of the new evidence's frames that must match.
    pub min_matching_fraction: f32,
}

impl Default for ReuseConfig {
    fn default() -> Self {
        ReuseConfig {
            max_bits: 10,
            min_matching_frames: 3,
            min_matching_fraction: 0.3,
        }
    }
}

/// How many of `new`'s frame hashes have a near-identical hash in `earlier`.
pub fn matching_frames(new: &[FrameHash], earlier: &[FrameHash], max_bits: u32) -> usize {
    new.iter()
        .filter(|h| earlier.iter().any(|e| distance(h, e) <= max_bits))
        .count()
}

impl ReuseConfig {
    /// Whether the frames `new` repeat the accepted evidence `earlier`.
    pub fn is_reuse(&self, new: &[FrameHash], earlier: &[FrameHash]) -> bool {
        if new.is_empty() || earlier.is_empty() {
            return false;
        }
        let m = matching_frames(new, earlier, self.max_bits);
        m >= self.min_matching_frames.max(1)
            && m as f32 >= self.min_matching_fraction * new.len() as f32
    }
}

/// The fingerprint as stored: 64 hex characters per frame, comma-separated (compact, and the
/// same on SQLite and PostgreSQL).
pub fn hashes_to_text(hashes: &[FrameHash]) -> String {
    hashes
        .iter()
        .map(|h| h.iter().map(|w| format!("{w:016x}")).collect::<String>())
        .collect::<Vec<_>>()
        .join(",")
}

/// The stored form back; unreadable parts are skipped.
pub fn hashes_from_text(s: &str) -> Vec<FrameHash> {
    s.split(',')
        .filter_map(|h| {
            let h = h.trim();
            if h.len() != 64 || !h.is_ascii() {
                return None;
            }
            let mut out = [0u64; 4];
            for (i, w) in out.iter_mut().enumerate() {
                *w = u64::from_str_radix(&h[i * 16..i * 16 + 16], 16).ok()?;
            }
            Some(out)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_matches_and_a_new_recording_does_not() {
        let c = ReuseConfig::default();
        let spread = |i: u64, m: u64| -> FrameHash {
            [1, 2, 3, 4].map(|k: u64| (i * 4 + k).wrapping_mul(m))
        };
        let old: Vec<FrameHash> = (0..30u64)
            .map(|i| spread(i, 0x9E37_79B9_7F4A_7C15))
            .collect();
        // The same frames with a few bits flipped each (re-encoded).
        let replay: Vec<FrameHash> = old
            .iter()
            .map(|h| [h[0] ^ 0b101, h[1], h[2] ^ 1, h[3]])
            .collect();
        assert!(c.is_reuse(&replay, &old));
        // Unrelated hashes.
        let fresh: Vec<FrameHash> = (100..130u64)
            .map(|i| spread(i, 0xD1B5_4A32_D192_ED03))
            .collect();
        assert!(!c.is_reuse(&fresh, &old));
        // Two matching frames of thirty are not enough.
        let mut mostly_fresh = fresh.clone();
        mostly_fresh[0] = old[0];
        mostly_fresh[1] = old[1];
        assert!(!c.is_reuse(&mostly_fresh, &old));
        assert!(!c.is_reuse(&[], &old));
    }

    #[test]
    fn fingerprints_round_trip_through_text() {
        let h = vec![[0, 1, u64::MAX, 0x0123_4567_89ab_cdef], [7; 4]];
        assert_eq!(hashes_from_text(&hashes_to_text(&h)), h);
        let one = format!("{}{}", "0".repeat(63), "1");
        assert_eq!(hashes_from_text(&format!("zz,{one}")), vec![[0, 0, 0, 1]]);
        assert!(hashes_from_text("").is_empty());
        assert!(hashes_from_text("é".repeat(32).as_str()).is_empty());
    }
}
