//! A 256-bit perceptual hash of a frame's face region, the fingerprint the server keeps of every
//! accepted evidence frame (`shared::liveness::reuse` has the rule that compares them).
//!
//! pHash, finer than the usual 64 bits: the region (the face box widened by a quarter on each
//! side, or the whole frame when no face was found) averaged down to 64×64 luma, its 2-D DCT,
//! and one bit per coefficient of the top-left 16×16 block (without the DC term): above or below
//! their median. These frequencies survive JPEG re-encoding, resizing and noise; the finer ones
//! among them also change between two moments of a person holding still (the eyes, the light),
//! which the usual 8×8 block does not see (measured in `--example pad_eval`).

use crate::detect::FaceDetection;
use crate::frame::{luma, Frame};

pub use shared::liveness::reuse::FrameHash;

const N: usize = 64;
const K: usize = 16;
/// The region around the face box, as a fraction of its size on each side.
const MARGIN: f32 = 0.25;

/// The hash of `frame`'s region around `face` (the whole frame when `None`).
pub fn face_hash(frame: &Frame<'_>, face: Option<&FaceDetection>) -> FrameHash {
    let (w, h) = (frame.width() as f32, frame.height() as f32);
    let (x0, y0, x1, y1) = match face {
        Some(f) => {
            let (mw, mh) = (f.width() * MARGIN, f.height() * MARGIN);
            (
                (f.xmin - mw).max(0.0),
                (f.ymin - mh).max(0.0),
                (f.xmax + mw).min(w),
                (f.ymax + mh).min(h),
            )
        }
        None => (0.0, 0.0, w, h),
    };
    let (rw, rh) = ((x1 - x0).max(1.0), (y1 - y0).max(1.0));
    // 64×64 cells, each the mean of 2×2 bilinear samples.
    let mut grey = vec![[0f32; N]; N];
    for (j, row) in grey.iter_mut().enumerate() {
        for (i, cell) in row.iter_mut().enumerate() {
            let (mut sum, mut n) = (0.0, 0);
            for sy in 0..2 {
                for sx in 0..2 {
                    let x = x0 + (i as f32 + (sx as f32 + 0.5) / 2.0) * rw / N as f32;
                    let y = y0 + (j as f32 + (sy as f32 + 0.5) / 2.0) * rh / N as f32;
                    if let Some(p) = frame.sample(x, y) {
                        sum += luma(p);
                        n += 1;
                    }
                }
            }
            *cell = if n > 0 { sum / n as f32 } else { 0.0 };
        }
    }
    // DCT-II of rows then columns, only the K lowest frequencies.
    let basis: Vec<[f32; N]> = (0..K)
        .map(|u| {
            let mut b = [0f32; N];
            for (x, v) in b.iter_mut().enumerate() {
                *v = (std::f32::consts::PI * (2 * x + 1) as f32 * u as f32 / (2 * N) as f32).cos();
            }
            b
        })
        .collect();
    let mut rows = vec![[0f32; K]; N];
    for (y, r) in grey.iter().enumerate() {
        for (u, b) in basis.iter().enumerate() {
            rows[y][u] = r.iter().zip(b).map(|(a, c)| a * c).sum();
        }
    }
    let mut coef = [0f32; K * K];
    for (v, b) in basis.iter().enumerate() {
        for u in 0..K {
            coef[v * K + u] = (0..N).map(|y| rows[y][u] * b[y]).sum();
        }
    }
    let ac = &coef[1..];
    let mut sorted = ac.to_vec();
    sorted.sort_by(f32::total_cmp);
    let median = sorted[sorted.len() / 2];
    let mut hash = [0u64; 4];
    for (i, c) in ac.iter().enumerate() {
        if *c > median {
            hash[i / 64] |= 1 << (i % 64);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
        let mut v = Vec::with_capacity((w * h * 3) as usize);
        for y in 0..h {
            for x in 0..w {
                v.extend(f(x, y));
            }
        }
        v
    }

    fn pattern(x: u32, y: u32) -> [u8; 3] {
        let v = ((x as f32 / 7.0).sin() * 60.0 + (y as f32 / 11.0).cos() * 60.0 + 128.0) as u8;
        [v, v / 2, 255 - v]
    }

    #[test]
    fn small_changes_keep_the_hash_and_another_picture_does_not() {
        let a = image(160, 120, pattern);
        let noisy = image(160, 120, |x, y| {
            let p = pattern(x, y);
            let n = ((x * 31 + y * 17) % 7) as u8;
            [p[0].saturating_add(n), p[1], p[2].saturating_sub(n)]
        });
        let other = image(160, 120, |x, y| pattern(y, x + 40));
        let h = |d: &[u8]| face_hash(&Frame::new(d, 160, 120).unwrap(), None);
        let bits = shared::liveness::reuse::distance;
        assert!(
            bits(&h(&a), &h(&noisy)) <= 16,
            "{}",
            bits(&h(&a), &h(&noisy))
        );
        assert!(
            bits(&h(&a), &h(&other)) > 60,
            "{}",
            bits(&h(&a), &h(&other))
        );
        assert_eq!(h(&a), h(&a), "deterministic");
    }
}
