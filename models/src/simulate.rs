//! Simulated camera material, for testing the colour flash and presentation-attack detection
//! without a phone: what the screen's light does to a recorded frame, and what a frame looks like
//! re-filmed off a screen. The evaluation (`--example pad_eval`), the end-to-end tests and the
//! desktop app's recorded camera (`--camera-frames`) use it; no verdict does.
//!
//! Everything here is a *model* of the physics, stated so a reader can judge it:
//! - **A live face lit by the screen** ([`reflect`]): diffuse reflection multiplies. In linear
//!   light each channel becomes `v · (1 + k · c / a)`, with `c` the screen colour (0 or 1 per
//!   channel), `a` the ambient light's colour (≈ 1) and `k` the screen's irradiance relative to
//!   the ambient light: ≈ 0.05–0.5 for a phone at 30 cm indoors (a phone screen gives the face
//!   ≈ 20–50 lux; rooms are lit with 50–500 lux), ≈ 0.01 in daylight. `k` falls off with the
//!   square of the distance, so the background (1–3 m behind) gets `k_background` ≈ 1–10 % of it.
//!   The face region is an ellipse around the detection box with a soft edge.
//! - **A flat screen or print re-filmed** ([`screen_recapture`]): the picture is resampled
//!   (the screen's pixel grid), its tones bent (the screen's gamma and contrast), overlaid with
//!   a moiré grating (the grid beating with the camera's sensor), and the live screen's light
//!   reflects off its glass *additively and evenly* ([`reflect_flat`]).

use shared::liveness::FlashColour;

/// sRGB 8-bit → linear light (0..1), by table.
fn to_linear_table() -> [f32; 256] {
    let mut t = [0.0f32; 256];
    for (i, v) in t.iter_mut().enumerate() {
        let s = i as f32 / 255.0;
        *v = if s <= 0.04045 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        };
    }
    t
}

fn to_srgb(v: f32) -> u8 {
    let v = v.clamp(0.0, 1.0);
    let s = if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    };
    (s * 255.0 + 0.5) as u8
}

/// An axis-aligned face box in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelBox {
    pub xmin: f32,
    pub ymin: f32,
    pub xmax: f32,
    pub ymax: f32,
}

/// How strongly the screen lights the face and the background.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lighting {
    /// Screen irradiance on the face ÷ ambient (see the module doc).
    pub k_face: f32,
    /// The same for the background.
    pub k_background: f32,
    /// The ambient light's colour (linear, per channel, ≈ 1): a warm lamp is `[1.1, 1.0, 0.8]`.
    pub ambient: [f32; 3],
}

/// A phone held at arm's length in a room: the screen gives the face 15 % of the ambient light
/// and the room behind it 1 %. What the desktop app's recorded camera and the end-to-end tests
/// add to recorded frames during the flash.
pub const ARM_LENGTH: Lighting = Lighting {
    k_face: 0.15,
    k_background: 0.01,
    ambient: [1.0, 1.0, 1.0],
};

/// An RGB image, 3 bytes per pixel.
pub struct Image<'a> {
    pub rgb: &'a mut [u8],
    pub width: u32,
    pub height: u32,
}

/// The weight (0..1) of the face's lighting at a pixel: 1 inside an ellipse 1.1× the box
/// (the face and the hair around it), falling to 0 over another 0.3× (neck, shoulders, ears are
/// nearly as close to the screen).
fn face_weight(b: &PixelBox, x: f32, y: f32) -> f32 {
    let (cx, cy) = ((b.xmin + b.xmax) / 2.0, (b.ymin + b.ymax) / 2.0);
    let (rx, ry) = (
        ((b.xmax - b.xmin) / 2.0).max(1.0),
        ((b.ymax - b.ymin) / 2.0).max(1.0),
    );
    let d = (((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2)).sqrt();
    ((1.4 - d) / 0.3).clamp(0.0, 1.0)
}

/// One pixel (0–255 channels, at view coordinates `x`, `y`) of a live face lit by the screen
/// showing `colour` (`None`: the camera preview is on screen, nothing is added).
pub fn lit_pixel(
    p: [f32; 3],
    x: f32,
    y: f32,
    face: &PixelBox,
    colour: Option<FlashColour>,
    light: &Lighting,
) -> [f32; 3] {
    let Some(colour) = colour else { return p };
    let m = face_weight(face, x, y);
    let k = light.k_background + (light.k_face - light.k_background) * m;
    let c = colour.rgb();
    [0, 1, 2].map(|ch| {
        let gain = f32::from(c[ch]) / 255.0 / light.ambient[ch].max(0.05);
        f32::from(to_srgb(srgb_to_linear(p[ch]) * (1.0 + k * gain)))
    })
}

fn srgb_to_linear(v: f32) -> f32 {
    let s = (v / 255.0).clamp(0.0, 1.0);
    if s <= 0.04045 {
        s / 12.92
    } else {
        ((s + 0.055) / 1.055).powf(2.4)
    }
}

/// A live face lit by the screen showing `colour`, the whole image ([`lit_pixel`] on every
/// pixel).
pub fn reflect(
    img: &mut Image<'_>,
    face: &PixelBox,
    colour: Option<FlashColour>,
    light: &Lighting,
) {
    if colour.is_none() {
        return;
    }
    let w = img.width as usize;
    for (i, px) in img.rgb.chunks_exact_mut(3).enumerate() {
        let (x, y) = ((i % w) as f32 + 0.5, (i / w) as f32 + 0.5);
        let lit = lit_pixel(
            [f32::from(px[0]), f32::from(px[1]), f32::from(px[2])],
            x,
            y,
            face,
            colour,
            light,
        );
        for ch in 0..3 {
            px[ch] = lit[ch] as u8;
        }
    }
}

/// A flat surface (screen glass, glossy paper) reflecting the screen's light: the same light
/// added everywhere, `strength` in linear units (0.02–0.1 is a phone at 30 cm on glass).
pub fn reflect_flat(img: &mut Image<'_>, colour: Option<FlashColour>, strength: f32) {
    let Some(colour) = colour else { return };
    let lin = to_linear_table();
    let add = colour.rgb().map(|v| f32::from(v) / 255.0 * strength);
    for px in img.rgb.chunks_exact_mut(3) {
        for ch in 0..3 {
            px[ch] = to_srgb(lin[px[ch] as usize] + add[ch]);
        }
    }
}

/// How a re-filmed screen distorts a picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recapture {
    /// The screen's resolution relative to the frame (0.3–0.6: a face on a laptop screen).
    pub scale: f32,
    /// Tone curve exponent (screen gamma × camera; 0.8–1.25).
    pub gamma: f32,
    /// Contrast around mid-grey (0.7–1.0: screens lose contrast when re-filmed).
    pub contrast: f32,
    /// Amplitude of the moiré grating, 0–255 units (3–12).
    pub moire: f32,
    /// Period of the grating in pixels (3–9) and its angle (radians).
    pub moire_period: f32,
    pub moire_angle: f32,
}

/// Re-renders the picture as if filmed off a screen (see the module doc). Deterministic.
pub fn screen_recapture(img: &mut Image<'_>, r: &Recapture) {
    let (w, h) = (img.width as usize, img.height as usize);
    if w == 0 || h == 0 {
        return;
    }
    // Resample through the screen's grid: box-average down, bilinear up.
    let (sw, sh) = (
        ((w as f32 * r.scale).round() as usize).clamp(1, w),
        ((h as f32 * r.scale).round() as usize).clamp(1, h),
    );
    let mut small = vec![0f32; sw * sh * 3];
    let mut count = vec![0u32; sw * sh];
    for y in 0..h {
        let sy = (y * sh / h).min(sh - 1);
        for x in 0..w {
            let sx = (x * sw / w).min(sw - 1);
            let (si, i) = (sy * sw + sx, (y * w + x) * 3);
            for c in 0..3 {
                small[si * 3 + c] += f32::from(img.rgb[i + c]);
            }
            count[si] += 1;
        }
    }
    for (i, n) in count.iter().enumerate() {
        let n = (*n).max(1) as f32;
        for c in 0..3 {
            small[i * 3 + c] /= n;
        }
    }
    let (sin, cos) = r.moire_angle.sin_cos();
    let period = r.moire_period.max(2.0);
    for y in 0..h {
        let fy = ((y as f32 + 0.5) * sh as f32 / h as f32 - 0.5).clamp(0.0, (sh - 1) as f32);
        let (y0, ay) = (fy as usize, fy.fract());
        let y1 = (y0 + 1).min(sh - 1);
        for x in 0..w {
            let fx = ((x as f32 + 0.5) * sw as f32 / w as f32 - 0.5).clamp(0.0, (sw - 1) as f32);
            let (x0, ax) = (fx as usize, fx.fract());
            let x1 = (x0 + 1).min(sw - 1);
            let phase = (x as f32 * cos + y as f32 * sin) / period * std::f32::consts::TAU;
            let grating = r.moire * phase.sin();
            for c in 0..3 {
                let p = |xx: usize, yy: usize| small[(yy * sw + xx) * 3 + c];
                let top = p(x0, y0) + (p(x1, y0) - p(x0, y0)) * ax;
                let bottom = p(x0, y1) + (p(x1, y1) - p(x0, y1)) * ax;
                let v = (top + (bottom - top) * ay) / 255.0;
                let v = (v.clamp(0.0, 1.0).powf(r.gamma) - 0.5) * r.contrast + 0.5;
                img.rgb[(y * w + x) * 3 + c] =
                    (v * 255.0 + grating).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(w: u32, h: u32, v: u8) -> Vec<u8> {
        vec![v; (w * h * 3) as usize]
    }

    #[test]
    fn the_face_is_lit_far_more_than_the_background() {
        let (w, h) = (64u32, 64u32);
        let mut rgb = grey(w, h, 128);
        let face = PixelBox {
            xmin: 24.0,
            ymin: 24.0,
            xmax: 40.0,
            ymax: 40.0,
        };
        let light = Lighting {
            k_face: 0.2,
            k_background: 0.0,
            ambient: [1.0; 3],
        };
        reflect(
            &mut Image {
                rgb: &mut rgb,
                width: w,
                height: h,
            },
            &face,
            Some(FlashColour::Red),
            &light,
        );
        let at = |x: usize, y: usize| &rgb[(y * w as usize + x) * 3..][..3];
        assert!(at(32, 32)[0] > 135, "red channel of the face brightened");
        assert_eq!(at(32, 32)[1], 128, "green untouched by red light");
        assert_eq!(at(2, 2), [128, 128, 128], "background not lit");
    }

    #[test]
    fn a_flat_reflection_adds_the_same_light_everywhere() {
        let (w, h) = (8u32, 8u32);
        let mut rgb = grey(w, h, 60);
        reflect_flat(
            &mut Image {
                rgb: &mut rgb,
                width: w,
                height: h,
            },
            Some(FlashColour::Blue),
            0.05,
        );
        assert!(rgb.chunks(3).all(|p| p[0] == 60 && p[1] == 60 && p[2] > 60));
    }

    #[test]
    fn recapture_keeps_size_and_is_deterministic() {
        let (w, h) = (40u32, 30u32);
        let base: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
        let r = Recapture {
            scale: 0.4,
            gamma: 1.1,
            contrast: 0.85,
            moire: 6.0,
            moire_period: 5.0,
            moire_angle: 0.3,
        };
        let mut a = base.clone();
        let mut b = base.clone();
        for img in [&mut a, &mut b] {
            screen_recapture(
                &mut Image {
                    rgb: img,
                    width: w,
                    height: h,
                },
                &r,
            );
        }
        assert_eq!(a, b);
        assert_ne!(a, base);
    }
}
