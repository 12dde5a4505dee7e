//! The slider captcha: a random background with a puzzle-shaped notch, and the piece that fits
//! it. The user drags the piece horizontally; the answer is the piece's x offset.
//!
//! The piece's row (`piece_y`) is given to the client; only the column is secret. The answer is
//! accepted within [`TOLERANCE`] pixels, once, within [`TTL_SECS`].

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use rand::{Rng, SeedableRng};

/// Background size.
pub const WIDTH: u32 = 300;
pub const HEIGHT: u32 = 160;
/// Piece bounding box (a 44×44 square with two round tabs).
pub const PIECE: u32 = 52;
/// Accepted distance between the answer and the true x, in pixels.
pub const TOLERANCE: i64 = 6;
/// How long a captcha can be answered.
pub const TTL_SECS: i64 = 120;

/// A generated captcha and its answer.
pub struct Generated {
    pub background_png: Vec<u8>,
    pub piece_png: Vec<u8>,
    pub x: u32,
    pub y: u32,
}

/// Whether (px, py), relative to the piece box, is inside the piece.
fn in_piece(px: i64, py: i64) -> bool {
    let body = (0..44).contains(&px) && (8..52).contains(&py);
    let top_tab = (px - 22).pow(2) + (py - 8).pow(2) <= 64;
    let right_tab = (px - 44).pow(2) + (py - 30).pow(2) <= 49;
    body || top_tab || right_tab
}

/// Whether (px, py) is on the piece's outline (inside, with a neighbour outside).
fn on_edge(px: i64, py: i64) -> bool {
    in_piece(px, py)
        && [(1, 0), (-1, 0), (0, 1), (0, -1)]
            .iter()
            .any(|(dx, dy)| !in_piece(px + dx, py + dy))
}

/// Whether a client's answer is close enough to the true offset.
pub fn accepts(true_x: i64, answer_x: i64) -> bool {
    (true_x - answer_x).abs() <= TOLERANCE
}

/// Draws a new captcha.
pub fn generate() -> Result<Generated, image::ImageError> {
    let mut rng = rand::rngs::StdRng::from_entropy();
    let x = rng.gen_range(PIECE + 20..WIDTH - PIECE - 4);
    let y = rng.gen_range(4..HEIGHT - PIECE - 4);

    // Background: a diagonal two-colour gradient, then random discs and bars, then noise, so the
    // notch cannot be found by looking for the one flat region.
    let c1: [f32; 3] = [
        rng.gen_range(40.0..200.0),
        rng.gen_range(40.0..200.0),
        rng.gen_range(40.0..200.0),
    ];
    let c2: [f32; 3] = [
        rng.gen_range(40.0..200.0),
        rng.gen_range(40.0..200.0),
        rng.gen_range(40.0..200.0),
    ];
    let mut bg = RgbImage::from_fn(WIDTH, HEIGHT, |px, py| {
        let t = (px + py) as f32 / (WIDTH + HEIGHT) as f32;
        let mix = |i: usize| (c1[i] * (1.0 - t) + c2[i] * t) as u8;
        Rgb([mix(0), mix(1), mix(2)])
    });
    for _ in 0..18 {
        let (cx, cy) = (
            rng.gen_range(0..WIDTH) as i64,
            rng.gen_range(0..HEIGHT) as i64,
        );
        let r = rng.gen_range(8..40i64);
        let color = Rgb([rng.gen(), rng.gen(), rng.gen()]);
        let bar = rng.gen_bool(0.3);
        for py in (cy - r).max(0)..(cy + r).min(HEIGHT as i64) {
            for px in (cx - r).max(0)..(cx + r).min(WIDTH as i64) {
                let inside = if bar {
                    (py - cy).abs() < r / 4
                } else {
                    (px - cx).pow(2) + (py - cy).pow(2) <= r * r
                };
                if inside {
                    if let Some(p) = bg.get_pixel_mut_checked(px as u32, py as u32) {
                        *p = color;
                    }
                }
            }
        }
    }
    // Coarse noise (8×2-pixel cells): breaks up flat areas but keeps the PNG small (a few
    // dozen KB) for phones on slow mobile data.
    for cy in 0..HEIGHT / 2 {
        for cx in 0..WIDTH / 8 {
            let n: i16 = rng.gen_range(-10..=10);
            for py in cy * 2..cy * 2 + 2 {
                for px in cx * 8..cx * 8 + 8 {
                    if let Some(p) = bg.get_pixel_mut_checked(px, py) {
                        for c in p.0.iter_mut() {
                            *c = (i16::from(*c) + n).clamp(0, 255) as u8;
                        }
                    }
                }
            }
        }
    }

    // The piece: the background's pixels under the outline, with a white edge.
    let piece = RgbaImage::from_fn(PIECE, PIECE, |px, py| {
        let (ix, iy) = (i64::from(px), i64::from(py));
        if !in_piece(ix, iy) {
            return Rgba([0, 0, 0, 0]);
        }
        if on_edge(ix, iy) {
            return Rgba([255, 255, 255, 255]);
        }
        let Rgb([r, g, b]) = *bg.get_pixel(x + px, y + py);
        Rgba([r, g, b, 255])
    });

    // The notch: darken the hole, outline it.
    for py in 0..PIECE {
        for px in 0..PIECE {
            let (ix, iy) = (i64::from(px), i64::from(py));
            if !in_piece(ix, iy) {
                continue;
            }
            if let Some(p) = bg.get_pixel_mut_checked(x + px, y + py) {
                if on_edge(ix, iy) {
                    *p = Rgb([235, 235, 235]);
                } else {
                    for c in p.0.iter_mut() {
                        *c /= 3;
                    }
                }
            }
        }
    }

    let mut background_png = Vec::new();
    bg.write_to(&mut Cursor::new(&mut background_png), ImageFormat::Png)?;
    let mut piece_png = Vec::new();
    piece.write_to(&mut Cursor::new(&mut piece_png), ImageFormat::Png)?;
    Ok(Generated {
        background_png,
        piece_png,
        x,
        y,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_decodable_pngs_with_the_notch_at_the_answer() {
        for _ in 0..5 {
            let g = generate().unwrap();
            let bg = image::load_from_memory(&g.background_png)
                .unwrap()
                .to_rgb8();
            let piece = image::load_from_memory(&g.piece_png).unwrap().to_rgba8();
            assert_eq!((bg.width(), bg.height()), (WIDTH, HEIGHT));
            assert_eq!((piece.width(), piece.height()), (PIECE, PIECE));
            assert!(g.x + PIECE <= WIDTH && g.y + PIECE <= HEIGHT);
            assert!(
                g.background_png.len() < 60_000,
                "background is {} bytes",
                g.background_png.len()
            );
            // Inside the notch the background is dark (≤ 255/3 + noise is already applied before).
            let inner = bg.get_pixel(g.x + 20, g.y + 30);
            assert!(inner.0.iter().all(|&c| c <= 85), "notch pixel {inner:?}");
            // Outside the outline the piece is transparent; inside it is opaque.
            assert_eq!(piece.get_pixel(51, 0).0[3], 0);
            assert_eq!(piece.get_pixel(20, 30).0[3], 255);
        }
    }

    #[test]
    fn tolerance_is_small() {
        assert!(accepts(100, 100));
        assert!(accepts(100, 106));
        assert!(accepts(100, 94));
        assert!(!accepts(100, 107));
        assert!(!accepts(100, 0));
    }
}
