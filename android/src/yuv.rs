//! Camera frames: `YUV_420_888` (what the NDK's `AImageReader` gives for the Camera2 API) to the
//! app's RGB frames, turned upright.
//!
//! `YUV_420_888` is three planes, each with its own row stride and pixel stride: the chroma planes
//! are half size in both directions and are either planar (pixel stride 1, I420) or interleaved
//! (pixel stride 2, NV12/NV21 seen through two views). Camera2 produces full-range BT.601 (JFIF)
//! values, so that is what is converted here.
//!
//! The front camera's sensor is mounted rotated (usually 270°): [`upright`] rotates the picture by
//! the sensor orientation so that a face is upright, and mirrors it as a selfie preview is.

/// One plane of a `YUV_420_888` image.
#[derive(Debug, Clone, Copy)]
pub struct Plane<'a> {
    pub data: &'a [u8],
    /// Bytes from one row to the next.
    pub row_stride: usize,
    /// Bytes from one sample to the next within a row.
    pub pixel_stride: usize,
}

/// Why a frame could not be converted (the camera handed over something inconsistent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YuvError {
    #[error("frame size {0}x{1} is empty or odd-sized beyond what YUV 4:2:0 allows")]
    BadSize(u32, u32),
    #[error("plane {plane} is too short: needs {needed} bytes, has {has}")]
    ShortPlane {
        plane: usize,
        needed: usize,
        has: usize,
    },
    #[error("plane {0} has a zero pixel stride or a row stride shorter than a row")]
    BadStride(usize),
}

/// The bytes a plane of `w`×`h` samples needs (the last row need not be padded to the stride).
fn needed(p: &Plane<'_>, w: usize, h: usize) -> usize {
    if w == 0 || h == 0 {
        return 0;
    }
    (h - 1) * p.row_stride + (w - 1) * p.pixel_stride + 1
}

fn check(p: &Plane<'_>, index: usize, w: usize, h: usize) -> Result<(), YuvError> {
    if p.pixel_stride == 0 || p.row_stride < (w - 1) * p.pixel_stride + 1 {
        return Err(YuvError::BadStride(index));
    }
    let need = needed(p, w, h);
    if p.data.len() < need {
        return Err(YuvError::ShortPlane {
            plane: index,
            needed: need,
            has: p.data.len(),
        });
    }
    Ok(())
}

#[inline]
fn clamp(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// Converts a `YUV_420_888` image to packed RGB (`width * height * 3` bytes, row by row).
pub fn yuv420_to_rgb(
    width: u32,
    height: u32,
    y: Plane<'_>,
    u: Plane<'_>,
    v: Plane<'_>,
) -> Result<Vec<u8>, YuvError> {
    if width == 0 || height == 0 || width > 16384 || height > 16384 {
        return Err(YuvError::BadSize(width, height));
    }
    let (w, h) = (width as usize, height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    check(&y, 0, w, h)?;
    check(&u, 1, cw, ch)?;
    check(&v, 2, cw, ch)?;
    let mut rgb = vec![0u8; w * h * 3];
    for row in 0..h {
        let y_row = row * y.row_stride;
        let u_row = (row / 2) * u.row_stride;
        let v_row = (row / 2) * v.row_stride;
        let out = &mut rgb[row * w * 3..(row + 1) * w * 3];
        for col in 0..w {
            let yy = i32::from(y.data[y_row + col * y.pixel_stride]);
            let uu = i32::from(u.data[u_row + (col / 2) * u.pixel_stride]) - 128;
            let vv = i32::from(v.data[v_row + (col / 2) * v.pixel_stride]) - 128;
            // Full-range BT.601 in 16.16 fixed point: 1.402, 0.344136, 0.714136, 1.772.
            let r = yy + ((91_881 * vv + 32_768) >> 16);
            let g = yy - ((22_554 * uu + 46_802 * vv - 32_768) >> 16);
            let b = yy + ((116_130 * uu + 32_768) >> 16);
            out[col * 3] = clamp(r);
            out[col * 3 + 1] = clamp(g);
            out[col * 3 + 2] = clamp(b);
        }
    }
    Ok(rgb)
}

/// Rotates packed RGB clockwise by `degrees` (0, 90, 180 or 270; anything else is taken modulo
/// 360 and rounded down to a quarter turn) and, with `mirror`, flips it left to right afterwards.
/// Returns the new width, height and pixels.
pub fn upright(
    width: u32,
    height: u32,
    rgb: &[u8],
    degrees: i32,
    mirror: bool,
) -> (u32, u32, Vec<u8>) {
    let (w, h) = (width as usize, height as usize);
    assert_eq!(rgb.len(), w * h * 3, "rgb buffer does not match its size");
    let quarter = degrees.rem_euclid(360) / 90;
    let (nw, nh) = if quarter % 2 == 1 { (h, w) } else { (w, h) };
    let mut out = vec![0u8; rgb.len()];
    for sy in 0..h {
        for sx in 0..w {
            let (mut dx, dy) = match quarter {
                1 => (h - 1 - sy, sx),
                2 => (w - 1 - sx, h - 1 - sy),
                3 => (sy, w - 1 - sx),
                _ => (sx, sy),
            };
            if mirror {
                dx = nw - 1 - dx;
            }
            let s = (sy * w + sx) * 3;
            let d = (dy * nw + dx) * 3;
            out[d..d + 3].copy_from_slice(&rgb[s..s + 3]);
        }
    }
    (nw as u32, nh as u32, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Full-range BT.601 RGB → YUV (the inverse, in floating point, as a reference).
    fn to_yuv(r: u8, g: u8, b: u8) -> (u8, u8, u8) {
        let (r, g, b) = (f64::from(r), f64::from(g), f64::from(b));
        let y = 0.299 * r + 0.587 * g + 0.114 * b;
        let u = 128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b;
        let v = 128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b;
        let q = |x: f64| x.round().clamp(0.0, 255.0) as u8;
        (q(y), q(u), q(v))
    }

    /// Builds a 4x4 image of four 2x2 colour blocks, in the given chroma layout and with padded
    /// rows, and returns the planes' buffers and strides.
    fn image(colors: [[u8; 3]; 4], interleaved: bool) -> (Vec<u8>, Vec<u8>, usize, usize) {
        let (w, h, pad) = (4usize, 4usize, 3usize);
        let y_stride = w + pad;
        let mut y = vec![0u8; y_stride * h];
        let c_stride = if interleaved { w + pad } else { w / 2 + pad };
        let mut c = vec![0u8; c_stride * (h / 2) + 1];
        for by in 0..2 {
            for bx in 0..2 {
                let [r, g, b] = colors[by * 2 + bx];
                let (yy, uu, vv) = to_yuv(r, g, b);
                for dy in 0..2 {
                    for dx in 0..2 {
                        y[(by * 2 + dy) * y_stride + bx * 2 + dx] = yy;
                    }
                }
                if interleaved {
                    // NV12 seen as U plane at offset 0 and V plane at offset 1, pixel stride 2.
                    c[by * c_stride + bx * 2] = uu;
                    c[by * c_stride + bx * 2 + 1] = vv;
                } else {
                    c[by * c_stride + bx] = uu;
                }
            }
        }
        (y, c, y_stride, c_stride)
    }

    fn close(a: &[u8], b: [u8; 3]) -> bool {
        a.iter()
            .zip(b)
            .all(|(x, y)| (i32::from(*x) - i32::from(y)).abs() <= 3)
    }

    const COLORS: [[u8; 3]; 4] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [200, 160, 120]];

    #[test]
    fn interleaved_chroma_converts_back_to_the_colours() {
        let (y, c, ys, cs) = image(COLORS, true);
        let yp = Plane {
            data: &y,
            row_stride: ys,
            pixel_stride: 1,
        };
        let up = Plane {
            data: &c,
            row_stride: cs,
            pixel_stride: 2,
        };
        let vp = Plane {
            data: &c[1..],
            row_stride: cs,
            pixel_stride: 2,
        };
        let rgb = yuv420_to_rgb(4, 4, yp, up, vp).unwrap();
        assert_eq!(rgb.len(), 4 * 4 * 3);
        for (i, color) in COLORS.iter().enumerate() {
            let (bx, by) = (i % 2, i / 2);
            for (dx, dy) in [(0, 0), (1, 1)] {
                let p = ((by * 2 + dy) * 4 + bx * 2 + dx) * 3;
                assert!(
                    close(&rgb[p..p + 3], *color),
                    "block {i}: {:?} vs {color:?}",
                    &rgb[p..p + 3]
                );
            }
        }
    }

    #[test]
    fn planar_chroma_converts_back_to_the_colours() {
        // Planar: separate U and V buffers with pixel stride 1.
        let (y, u, ys, cs) = image(COLORS, false);
        let v_colors = COLORS.map(|[r, g, b]| {
            let (_, _, v) = to_yuv(r, g, b);
            v
        });
        let mut v = vec![0u8; u.len()];
        for by in 0..2 {
            for bx in 0..2 {
                v[by * cs + bx] = v_colors[by * 2 + bx];
            }
        }
        let rgb = yuv420_to_rgb(
            4,
            4,
            Plane {
                data: &y,
                row_stride: ys,
                pixel_stride: 1,
            },
            Plane {
                data: &u,
                row_stride: cs,
                pixel_stride: 1,
            },
            Plane {
                data: &v,
                row_stride: cs,
                pixel_stride: 1,
            },
        )
        .unwrap();
        // Bottom-right block (200, 160, 120), a skin tone.
        let p = (3 * 4 + 3) * 3;
        assert!(close(&rgb[p..p + 3], COLORS[3]), "{:?}", &rgb[p..p + 3]);
        let p = 0;
        assert!(close(&rgb[p..p + 3], COLORS[0]), "{:?}", &rgb[p..p + 3]);
    }

    #[test]
    fn short_planes_and_bad_strides_are_errors_not_panics() {
        let y = vec![0u8; 15];
        let c = vec![128u8; 8];
        let yp = Plane {
            data: &y,
            row_stride: 4,
            pixel_stride: 1,
        };
        let cp = Plane {
            data: &c,
            row_stride: 2,
            pixel_stride: 1,
        };
        assert_eq!(
            yuv420_to_rgb(4, 4, yp, cp, cp).unwrap_err(),
            YuvError::ShortPlane {
                plane: 0,
                needed: 16,
                has: 15
            }
        );
        let y = vec![0u8; 16];
        let yp = Plane {
            data: &y,
            row_stride: 4,
            pixel_stride: 1,
        };
        let zero = Plane {
            data: &c,
            row_stride: 2,
            pixel_stride: 0,
        };
        assert_eq!(
            yuv420_to_rgb(4, 4, yp, zero, cp).unwrap_err(),
            YuvError::BadStride(1)
        );
        assert_eq!(
            yuv420_to_rgb(0, 4, yp, cp, cp).unwrap_err(),
            YuvError::BadSize(0, 4)
        );
        // The last row need not be padded to the full stride.
        let y = vec![0u8; 3 * 8 + 4];
        let yp = Plane {
            data: &y,
            row_stride: 8,
            pixel_stride: 1,
        };
        assert!(yuv420_to_rgb(4, 4, yp, cp, cp).is_ok());
    }

    /// A 3x2 image whose pixels are numbered 0..6 (in the red channel).
    fn numbered() -> Vec<u8> {
        (0..6u8).flat_map(|i| [i, 0, 0]).collect()
    }

    fn reds(rgb: &[u8]) -> Vec<u8> {
        rgb.chunks(3).map(|p| p[0]).collect()
    }

    #[test]
    fn rotation_and_mirroring_move_pixels_where_they_belong() {
        // 0 1 2
        // 3 4 5
        let src = numbered();
        let (w, h, r) = upright(3, 2, &src, 0, false);
        assert_eq!((w, h, reds(&r)), (3, 2, vec![0, 1, 2, 3, 4, 5]));
        // Clockwise 90°: 3 0 / 4 1 / 5 2.
        let (w, h, r) = upright(3, 2, &src, 90, false);
        assert_eq!((w, h, reds(&r)), (2, 3, vec![3, 0, 4, 1, 5, 2]));
        let (w, h, r) = upright(3, 2, &src, 180, false);
        assert_eq!((w, h, reds(&r)), (3, 2, vec![5, 4, 3, 2, 1, 0]));
        // 270° (the usual front sensor): 2 5 / 1 4 / 0 3.
        let (w, h, r) = upright(3, 2, &src, 270, false);
        assert_eq!((w, h, reds(&r)), (2, 3, vec![2, 5, 1, 4, 0, 3]));
        // Mirrored after rotating: 5 2 / 4 1 / 3 0.
        let (w, h, r) = upright(3, 2, &src, 270, true);
        assert_eq!((w, h, reds(&r)), (2, 3, vec![5, 2, 4, 1, 3, 0]));
        // -90 is 270.
        assert_eq!(
            upright(3, 2, &src, -90, false).2,
            upright(3, 2, &src, 270, false).2
        );
    }
}
