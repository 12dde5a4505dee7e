//! Camera frames (RGB, any size, optionally mirrored) and the one resampling routine every model
//! input is made with: an affine warp with bilinear sampling and optional supersampling.

use crate::error::FrameError;

/// Largest accepted width or height (a 8K frame; anything larger is not a camera frame).
pub const MAX_SIDE: u32 = 8192;

/// A borrowed RGB frame, 3 bytes per pixel, row-major, no padding.
///
/// With [`mirrored`](Frame::mirrored) every later step sees the frame flipped left-right (as a
/// selfie preview shows it); coordinates in results are in that flipped view.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    rgb: &'a [u8],
    width: u32,
    height: u32,
    mirror: bool,
}

impl<'a> Frame<'a> {
    /// Checks the size and the buffer length.
    pub fn new(rgb: &'a [u8], width: u32, height: u32) -> Result<Frame<'a>, FrameError> {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(FrameError::BadSize { width, height });
        }
        let expected = width as usize * height as usize * 3;
        if rgb.len() != expected {
            return Err(FrameError::BadLength {
                expected,
                actual: rgb.len(),
            });
        }
        Ok(Frame {
            rgb,
            width,
            height,
            mirror: false,
        })
    }

    /// The same frame, seen flipped left-right when `mirror` is true.
    pub fn mirrored(self, mirror: bool) -> Frame<'a> {
        Frame { mirror, ..self }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn is_mirrored(&self) -> bool {
        self.mirror
    }

    /// Pixel at integer view coordinates, clamped to the frame.
    #[inline]
    fn pixel(&self, x: i32, y: i32) -> [f32; 3] {
        let w = self.width as i32;
        let h = self.height as i32;
        let x = x.clamp(0, w - 1);
        let y = y.clamp(0, h - 1);
        let sx = if self.mirror { w - 1 - x } else { x };
        let i = (y as usize * self.width as usize + sx as usize) * 3;
        match self.rgb.get(i..i + 3) {
            Some(p) => [p[0] as f32, p[1] as f32, p[2] as f32],
            None => [0.0; 3],
        }
    }

    /// Bilinear sample at continuous view coordinates (pixel `i` covers `[i, i+1)`); `None`
    /// outside the frame.
    #[inline]
    pub(crate) fn sample(&self, x: f32, y: f32) -> Option<[f32; 3]> {
        let (w, h) = (self.width as f32, self.height as f32);
        if x >= 1.0 && y >= 1.0 && x < w - 1.0 && y < h - 1.0 {
            // All four pixels inside (x − 0.5 ≥ 0.5, so truncation is the floor): one slice
            // holds them, no clamping; the same values as the general case below.
            let fx = x - 0.5;
            let fy = y - 0.5;
            let (xi, yi) = (fx as usize, fy as usize);
            let ax = fx - xi as f32;
            let ay = fy - yi as f32;
            let stride = self.width as usize * 3;
            // Source columns of view pixels xi (`a`) and xi + 1 (`b`); mirrored, they are
            // w−1−xi and w−2−xi, so the slice starts at the latter.
            let (start, a, b) = if self.mirror {
                ((self.width as usize - 2 - xi) * 3, 3, 0)
            } else {
                (xi * 3, 0, 3)
            };
            let i = yi * stride + start;
            if let Some(q) = self.rgb.get(i..i + stride + 6) {
                let mut out = [0.0; 3];
                for c in 0..3 {
                    let (p00, p10) = (q[a + c] as f32, q[b + c] as f32);
                    let (p01, p11) = (q[stride + a + c] as f32, q[stride + b + c] as f32);
                    let top = p00 + (p10 - p00) * ax;
                    let bottom = p01 + (p11 - p01) * ax;
                    out[c] = top + (bottom - top) * ay;
                }
                return Some(out);
            }
        }
        if !(x >= 0.0 && y >= 0.0 && x <= w && y <= h) {
            return None;
        }
        let fx = x - 0.5;
        let fy = y - 0.5;
        let x0 = floor(fx);
        let y0 = floor(fy);
        let ax = fx - x0;
        let ay = fy - y0;
        let (x0, y0) = (x0 as i32, y0 as i32);
        let p00 = self.pixel(x0, y0);
        let p10 = self.pixel(x0 + 1, y0);
        let p01 = self.pixel(x0, y0 + 1);
        let p11 = self.pixel(x0 + 1, y0 + 1);
        let mut out = [0.0; 3];
        for c in 0..3 {
            let top = p00[c] + (p10[c] - p00[c]) * ax;
            let bottom = p01[c] + (p11[c] - p01[c]) * ax;
            out[c] = top + (bottom - top) * ay;
        }
        Some(out)
    }

    /// Mean luma (0–255) over a coarse grid of the whole frame.
    pub fn mean_luma(&self) -> f32 {
        let step_x = (self.width / 64).max(1);
        let step_y = (self.height / 64).max(1);
        let (mut sum, mut n) = (0.0f64, 0u32);
        let mut y = step_y / 2;
        while y < self.height {
            let mut x = step_x / 2;
            while x < self.width {
                let p = self.pixel(x as i32, y as i32);
                sum += luma(p) as f64;
                n += 1;
                x += step_x;
            }
            y += step_y;
        }
        if n == 0 {
            0.0
        } else {
            (sum / n as f64) as f32
        }
    }
}

/// `v.floor()` for the coordinates `sample` sees (−0.5 ≤ v ≤ 8192): the same value, without the
/// libm call `f32::floor` becomes on x86-64 targets without SSE4.1.
#[inline(always)]
fn floor(v: f32) -> f32 {
    let t = v as i32 as f32;
    if t > v {
        t - 1.0
    } else {
        t
    }
}

/// ITU-R BT.601 luma of an RGB triple.
#[inline]
pub(crate) fn luma(p: [f32; 3]) -> f32 {
    0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]
}

/// Maps output pixel coordinates to view coordinates: `x = a·u + b·v + c`, `y = d·u + e·v + f`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Affine {
    pub a: f32,
    pub b: f32,
    pub c: f32,
    pub d: f32,
    pub e: f32,
    pub f: f32,
}

impl Affine {
    /// Square crop of side `size` (view pixels) centred at `(cx, cy)`, rotated by `angle`
    /// (radians, the crop's x axis points along `(cos, sin)` in the view), sampled into
    /// `out × out` pixels.
    pub fn rotated_square(cx: f32, cy: f32, size: f32, angle: f32, out: usize) -> Affine {
        let s = size / out as f32;
        let (sin, cos) = angle.sin_cos();
        // view = centre + R · ((u − out/2)·s, (v − out/2)·s)
        let half = out as f32 / 2.0;
        let a = cos * s;
        let b = -sin * s;
        let d = sin * s;
        let e = cos * s;
        Affine {
            a,
            b,
            c: cx - a * half - b * half,
            d,
            e,
            f: cy - d * half - e * half,
        }
    }

    #[inline]
    pub fn apply(&self, u: f32, v: f32) -> (f32, f32) {
        (
            self.a * u + self.b * v + self.c,
            self.d * u + self.e * v + self.f,
        )
    }

    /// View pixels per output pixel (the larger axis scale).
    pub fn scale(&self) -> f32 {
        (self.a * self.a + self.d * self.d)
            .sqrt()
            .max((self.b * self.b + self.e * self.e).sqrt())
    }
}

/// Fills `out` (planar CHW, `size × size`, 3 channels) with the frame warped by `map`.
/// Each value is `(v − mean) · inv_std`; pixels outside the frame get `pad` (in 0–255 units).
/// When the warp shrinks the image more than 2×, each output pixel averages k×k samples
/// (box filter) so small inputs are not aliased.
pub(crate) fn warp_into(
    frame: &Frame<'_>,
    map: &Affine,
    size: usize,
    mean: f32,
    inv_std: f32,
    pad: f32,
    out: &mut [f32],
) {
    let plane = size * size;
    if out.len() < plane * 3 {
        return;
    }
    let k = (map.scale() / 1.5).ceil().clamp(1.0, 4.0) as usize;
    let inv_k = 1.0 / k as f32;
    let inv_k2 = inv_k * inv_k;
    if k > 1 && map.b == 0.0 && map.d == 0.0 {
        // Axis-aligned shrink (the detector's letterbox): a box filter of k×k nearest pixels is
        // as good as bilinear sub-samples here and several times cheaper. The source column of
        // every (output column, sub-sample) and the source row of every (output row,
        // sub-sample) are found once; `None` is outside the frame (padding).
        let (fw, fh) = (frame.width as f32, frame.height as f32);
        let stride = frame.width as usize * 3;
        let cols: Vec<Option<usize>> = (0..size * k)
            .map(|n| {
                let (u, i) = (n / k, n % k);
                let x = map.a * (u as f32 + (i as f32 + 0.5) * inv_k) + map.c;
                (x >= 0.0 && x < fw).then(|| {
                    let x = (x as usize).min(frame.width as usize - 1);
                    let sx = if frame.mirror {
                        frame.width as usize - 1 - x
                    } else {
                        x
                    };
                    sx * 3
                })
            })
            .collect();
        let rows: Vec<Option<usize>> = (0..size * k)
            .map(|n| {
                let (v, j) = (n / k, n % k);
                let y = map.e * (v as f32 + (j as f32 + 0.5) * inv_k) + map.f;
                (y >= 0.0 && y < fh).then(|| (y as usize).min(frame.height as usize - 1) * stride)
            })
            .collect();
        for v in 0..size {
            for u in 0..size {
                // Integer sums of the pixels inside (exact, as the f32 sums were: at most
                // 16 × 255), plus the padding.
                let (mut acc, mut padded) = ([0u32; 3], 0u32);
                for row in &rows[v * k..(v + 1) * k] {
                    for col in &cols[u * k..(u + 1) * k] {
                        match (row, col) {
                            (Some(r), Some(c)) => match frame.rgb.get(r + c..r + c + 3) {
                                Some(p) => {
                                    acc[0] += u32::from(p[0]);
                                    acc[1] += u32::from(p[1]);
                                    acc[2] += u32::from(p[2]);
                                }
                                None => padded += 1,
                            },
                            _ => padded += 1,
                        }
                    }
                }
                let idx = v * size + u;
                for (c, value) in acc.iter().enumerate() {
                    let sum = *value as f32 + padded as f32 * pad;
                    out[c * plane + idx] = (sum * inv_k2 - mean) * inv_std;
                }
            }
        }
        return;
    }
    if k > 1 {
        if let Some(half) = HalfRes::covering(frame, map, size) {
            // A shrink of more than 1.5×: sample a 2×2-box downsampled copy of the crop's
            // region instead, with a quarter of the samples (a mipmap level).
            half.warp_into(frame, map, size, mean, inv_std, pad, out);
            return;
        }
    }
    let offsets: Vec<f32> = (0..k).map(|i| (i as f32 + 0.5) * inv_k).collect();
    for v in 0..size {
        for u in 0..size {
            let mut acc = [0.0f32; 3];
            for &oj in &offsets {
                for &oi in &offsets {
                    let su = u as f32 + oi;
                    let sv = v as f32 + oj;
                    let (x, y) = map.apply(su, sv);
                    let p = frame.sample(x, y).unwrap_or([pad; 3]);
                    acc[0] += p[0];
                    acc[1] += p[1];
                    acc[2] += p[2];
                }
            }
            let idx = v * size + u;
            for (c, value) in acc.iter().enumerate() {
                out[c * plane + idx] = (value * inv_k2 - mean) * inv_std;
            }
        }
    }
}

/// A 2×2-box downsampled copy of the part of the view a warp reads: half-pixel `(i, j)` is the
/// mean of view pixels `x0 + 2i … x0 + 2i + 1`, `y0 + 2j … y0 + 2j + 1`. Sampling it bilinearly
/// filters about as a box of 2×2 bilinear samples of the view does, at a quarter of the cost.
struct HalfRes {
    x0: f32,
    y0: f32,
    w: usize,
    h: usize,
    rgb: Vec<f32>,
}

impl HalfRes {
    /// The half-resolution copy of the view pixels `map` reads for a `size × size` output (its
    /// bounding box plus a margin, inside the frame); `None` if the crop misses the frame.
    fn covering(frame: &Frame<'_>, map: &Affine, size: usize) -> Option<HalfRes> {
        let s = size as f32;
        let corners = [(0.0, 0.0), (s, 0.0), (0.0, s), (s, s)].map(|(u, v)| map.apply(u, v));
        let min_x = corners.iter().map(|c| c.0).fold(f32::INFINITY, f32::min);
        let max_x = corners
            .iter()
            .map(|c| c.0)
            .fold(f32::NEG_INFINITY, f32::max);
        let min_y = corners.iter().map(|c| c.1).fold(f32::INFINITY, f32::min);
        let max_y = corners
            .iter()
            .map(|c| c.1)
            .fold(f32::NEG_INFINITY, f32::max);
        if !(min_x.is_finite() && max_x.is_finite() && min_y.is_finite() && max_y.is_finite()) {
            return None;
        }
        let (fw, fh) = (frame.width as f32, frame.height as f32);
        let x0 = (min_x.floor() - 2.0).clamp(0.0, fw);
        let y0 = (min_y.floor() - 2.0).clamp(0.0, fh);
        let x1 = (max_x.ceil() + 2.0).clamp(0.0, fw);
        let y1 = (max_y.ceil() + 2.0).clamp(0.0, fh);
        let w = ((x1 - x0) / 2.0).ceil() as usize;
        let h = ((y1 - y0) / 2.0).ceil() as usize;
        if w == 0 || h == 0 {
            return None;
        }
        let (x0i, y0i) = (x0 as i32, y0 as i32);
        let mut rgb = vec![0.0f32; w * h * 3];
        for j in 0..h {
            let y = y0i + 2 * j as i32;
            for i in 0..w {
                let x = x0i + 2 * i as i32;
                let (a, b) = (frame.pixel(x, y), frame.pixel(x + 1, y));
                let (c, d) = (frame.pixel(x, y + 1), frame.pixel(x + 1, y + 1));
                let o = (j * w + i) * 3;
                for ch in 0..3 {
                    rgb[o + ch] = (a[ch] + b[ch] + c[ch] + d[ch]) * 0.25;
                }
            }
        }
        Some(HalfRes { x0, y0, w, h, rgb })
    }

    /// Bilinear sample at view coordinates `(x, y)` (clamped to the copy's edges).
    #[inline]
    fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        let fx = ((x - self.x0) * 0.5 - 0.5).clamp(0.0, (self.w - 1) as f32);
        let fy = ((y - self.y0) * 0.5 - 0.5).clamp(0.0, (self.h - 1) as f32);
        let (xi, yi) = (fx as usize, fy as usize);
        let (ax, ay) = (fx - xi as f32, fy - yi as f32);
        let xn = (xi + 1).min(self.w - 1);
        let yn = (yi + 1).min(self.h - 1);
        let at = |x: usize, y: usize| (y * self.w + x) * 3;
        let (i00, i10, i01, i11) = (at(xi, yi), at(xn, yi), at(xi, yn), at(xn, yn));
        let mut out = [0.0; 3];
        for (c, o) in out.iter_mut().enumerate() {
            let p = |i: usize| self.rgb.get(i + c).copied().unwrap_or(0.0);
            let top = p(i00) + (p(i10) - p(i00)) * ax;
            let bottom = p(i01) + (p(i11) - p(i01)) * ax;
            *o = top + (bottom - top) * ay;
        }
        out
    }

    /// [`warp_into`] reading this copy: each output pixel averages k×k samples, k now for half
    /// the shrink; samples outside the frame get `pad`, as in the full-resolution path.
    #[allow(clippy::too_many_arguments)]
    fn warp_into(
        &self,
        frame: &Frame<'_>,
        map: &Affine,
        size: usize,
        mean: f32,
        inv_std: f32,
        pad: f32,
        out: &mut [f32],
    ) {
        let plane = size * size;
        let k = (map.scale() / 3.0).ceil().clamp(1.0, 4.0) as usize;
        let inv_k = 1.0 / k as f32;
        let inv_k2 = inv_k * inv_k;
        let (fw, fh) = (frame.width as f32, frame.height as f32);
        let offsets: Vec<f32> = (0..k).map(|i| (i as f32 + 0.5) * inv_k).collect();
        for v in 0..size {
            for u in 0..size {
                let mut acc = [0.0f32; 3];
                for &oj in &offsets {
                    for &oi in &offsets {
                        let (x, y) = map.apply(u as f32 + oi, v as f32 + oj);
                        let p = if x >= 0.0 && y >= 0.0 && x <= fw && y <= fh {
                            self.sample(x, y)
                        } else {
                            [pad; 3]
                        };
                        acc[0] += p[0];
                        acc[1] += p[1];
                        acc[2] += p[2];
                    }
                }
                let idx = v * size + u;
                for (c, value) in acc.iter().enumerate() {
                    if let Some(o) = out.get_mut(c * plane + idx) {
                        *o = (value * inv_k2 - mean) * inv_std;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_sizes_and_lengths() {
        assert!(matches!(
            Frame::new(&[], 0, 10),
            Err(FrameError::BadSize { .. })
        ));
        assert!(matches!(
            Frame::new(&[0; 11], 2, 2),
            Err(FrameError::BadLength {
                expected: 12,
                actual: 11
            })
        ));
        assert!(Frame::new(&[0; 12], 2, 2).is_ok());
    }

    #[test]
    fn mirroring_flips_left_and_right() {
        // 2×1 frame: left pixel red, right pixel blue.
        let rgb = [255, 0, 0, 0, 0, 255];
        let f = Frame::new(&rgb, 2, 1).unwrap();
        assert_eq!(f.sample(0.5, 0.5), Some([255.0, 0.0, 0.0]));
        let m = f.mirrored(true);
        assert_eq!(m.sample(0.5, 0.5), Some([0.0, 0.0, 255.0]));
        assert_eq!(m.sample(-1.0, 0.5), None);
    }

    /// The bilinear sample computed the plain way: four clamped pixels.
    fn plain_sample(f: &Frame<'_>, x: f32, y: f32) -> [f32; 3] {
        let (fx, fy) = (x - 0.5, y - 0.5);
        let (x0, y0) = (fx.floor(), fy.floor());
        let (ax, ay) = (fx - x0, fy - y0);
        let (x0, y0) = (x0 as i32, y0 as i32);
        let (p00, p10) = (f.pixel(x0, y0), f.pixel(x0 + 1, y0));
        let (p01, p11) = (f.pixel(x0, y0 + 1), f.pixel(x0 + 1, y0 + 1));
        let mut out = [0.0; 3];
        for c in 0..3 {
            let top = p00[c] + (p10[c] - p00[c]) * ax;
            let bottom = p01[c] + (p11[c] - p01[c]) * ax;
            out[c] = top + (bottom - top) * ay;
        }
        out
    }

    #[test]
    fn fast_paths_give_the_plain_values() {
        let (w, h) = (37u32, 23u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 7919 % 251) as u8).collect();
        for mirror in [false, true] {
            let f = Frame::new(&rgb, w, h).unwrap().mirrored(mirror);
            for k in 0..2000 {
                let (x, y) = ((k as f32 * 0.377) % 37.0, (k as f32 * 0.611) % 23.0);
                assert_eq!(f.sample(x, y), Some(plain_sample(&f, x, y)), "({x}, {y})");
            }
            // Letterbox shrink (k = 4 box filter), padding above and below.
            let size = 8;
            let scale = 37.0 / size as f32;
            let map = Affine {
                a: scale,
                b: 0.0,
                c: 0.0,
                d: 0.0,
                e: scale,
                f: -(size as f32 * scale - 23.0) / 2.0,
            };
            let mut out = vec![0.0; size * size * 3];
            warp_into(&f, &map, size, 0.0, 1.0, 7.0, &mut out);
            let k = (map.scale() / 1.5).ceil() as usize;
            assert_eq!(k, 4);
            for v in 0..size {
                for u in 0..size {
                    let mut acc = [0.0f32; 3];
                    for j in 0..k {
                        for i in 0..k {
                            let (x, y) = map.apply(
                                u as f32 + (i as f32 + 0.5) / k as f32,
                                v as f32 + (j as f32 + 0.5) / k as f32,
                            );
                            let p = if x >= 0.0 && y >= 0.0 && x < w as f32 && y < h as f32 {
                                f.pixel(x as i32, y as i32)
                            } else {
                                [7.0; 3]
                            };
                            for c in 0..3 {
                                acc[c] += p[c];
                            }
                        }
                    }
                    for c in 0..3 {
                        let want = acc[c] / (k * k) as f32;
                        let got = out[c * size * size + v * size + u];
                        assert!((got - want).abs() < 1e-4, "({u}, {v}) {c}: {got} vs {want}");
                    }
                }
            }
        }
    }

    #[test]
    fn rotated_warp_gives_the_plain_values() {
        let (w, h) = (41u32, 29u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 7919 % 251) as u8).collect();
        for mirror in [false, true] {
            let f = Frame::new(&rgb, w, h).unwrap().mirrored(mirror);
            // Sides 12 and 17 px into 12 px (k = 1: shrinks over 1.5× take the half-resolution
            // path, tested below); the second sticks out of the frame.
            for (side, cx) in [(12.0, 20.0), (17.0, 36.0)] {
                let size = 12;
                let map = Affine::rotated_square(cx, 14.0, side, 0.3, size);
                let k = (map.scale() / 1.5).ceil().clamp(1.0, 4.0) as usize;
                let mut out = vec![0.0; size * size * 3];
                warp_into(&f, &map, size, 10.0, 0.5, 3.0, &mut out);
                for v in 0..size {
                    for u in 0..size {
                        let mut acc = [0.0f32; 3];
                        for j in 0..k {
                            for i in 0..k {
                                let su = u as f32 + (i as f32 + 0.5) * (1.0 / k as f32);
                                let sv = v as f32 + (j as f32 + 0.5) * (1.0 / k as f32);
                                let (x, y) = map.apply(su, sv);
                                let inside = x >= 0.0 && y >= 0.0 && x <= w as f32 && y <= h as f32;
                                let p = if inside {
                                    plain_sample(&f, x, y)
                                } else {
                                    [3.0; 3]
                                };
                                for c in 0..3 {
                                    acc[c] += p[c];
                                }
                            }
                        }
                        let inv_k2 = (1.0 / k as f32) * (1.0 / k as f32);
                        for c in 0..3 {
                            let want = (acc[c] * inv_k2 - 10.0) * 0.5;
                            let got = out[c * size * size + v * size + u];
                            assert_eq!(got, want, "k {k}, ({u}, {v}) channel {c}");
                        }
                    }
                }
            }
        }
    }

    /// A shrink over 1.5× samples the 2×2-box half-resolution copy: on a smooth image it
    /// agrees with the full-resolution box of bilinear samples; a flat image stays exactly flat;
    /// outside the frame is padding, in both.
    #[test]
    fn shrinking_warp_samples_the_half_resolution_copy() {
        let (w, h) = (160u32, 120u32);
        let smooth: Vec<u8> = (0..h)
            .flat_map(|y| {
                (0..w).flat_map(move |x| [(x + y) as u8, (2 * x) as u8, (100 + y / 2) as u8])
            })
            .collect();
        let flat = vec![77u8; (w * h * 3) as usize];
        for mirror in [false, true] {
            let f = Frame::new(&smooth, w, h).unwrap().mirrored(mirror);
            let g = Frame::new(&flat, w, h).unwrap().mirrored(mirror);
            // 50 px into 16 px (scale 3.1: k = 3 at full resolution), partly off the top.
            let size = 16;
            let map = Affine::rotated_square(70.0, 20.0, 50.0, 0.4, size);
            let mut half = vec![0.0; size * size * 3];
            warp_into(&f, &map, size, 0.0, 1.0, 5.0, &mut half);
            let mut flat_out = vec![0.0; size * size * 3];
            warp_into(&g, &map, size, 0.0, 1.0, 77.0, &mut flat_out);
            assert!(flat_out.iter().all(|v| (v - 77.0).abs() < 1e-3));
            let k = 3;
            for v in 0..size {
                for u in 0..size {
                    let mut acc = [0.0f32; 3];
                    for j in 0..k {
                        for i in 0..k {
                            let su = u as f32 + (i as f32 + 0.5) / k as f32;
                            let sv = v as f32 + (j as f32 + 0.5) / k as f32;
                            let (x, y) = map.apply(su, sv);
                            let p = f.sample(x, y).unwrap_or([5.0; 3]);
                            for c in 0..3 {
                                acc[c] += p[c];
                            }
                        }
                    }
                    for c in 0..3 {
                        let want = acc[c] / (k * k) as f32;
                        let got = half[c * size * size + v * size + u];
                        // Rows that straddle the frame's edge mix padding differently.
                        let (_, y) = map.apply(u as f32 + 0.5, v as f32 + 0.5);
                        if y > 4.0 {
                            assert!((got - want).abs() < 1.5, "({u}, {v}) {c}: {got} vs {want}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn identity_warp_copies_pixels() {
        let rgb: Vec<u8> = (0..4 * 4 * 3).map(|i| (i * 5) as u8).collect();
        let f = Frame::new(&rgb, 4, 4).unwrap();
        let map = Affine::rotated_square(2.0, 2.0, 4.0, 0.0, 4);
        let mut out = vec![0.0; 48];
        warp_into(&f, &map, 4, 0.0, 1.0, 0.0, &mut out);
        // pixel (u=1, v=2), channel 1 → rgb index (2*4+1)*3+1
        assert_eq!(out[16 + 2 * 4 + 1], rgb[(2 * 4 + 1) * 3 + 1] as f32);
    }
}
