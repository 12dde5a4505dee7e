//! The window buffer's pixel: `RGBX_8888` (`AHARDWAREBUFFER_FORMAT_R8G8B8X8_UNORM`), 4 bytes in
//! memory order R, G, B, X. Slint's software renderer draws into it through `TargetPixel`
//! (Android-only glue in `platform.rs`); the blending is here so it is tested on the host.

/// One pixel of the window buffer.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rgbx {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub x: u8,
}

impl Rgbx {
    pub const fn opaque(r: u8, g: u8, b: u8) -> Rgbx {
        Rgbx { r, g, b, x: 255 }
    }

    /// Source-over blend of a colour whose channels are already multiplied by `alpha`.
    pub fn blend_premultiplied(&mut self, r: u8, g: u8, b: u8, alpha: u8) {
        let keep = 255 - u16::from(alpha);
        let mix = |dst: u8, src: u8| -> u8 {
            // dst * (255 - a) / 255, rounded, plus the premultiplied source.
            let scaled = (u16::from(dst) * keep + 128) as u32;
            let scaled = ((scaled + (scaled >> 8)) >> 8) as u16;
            (u16::from(src) + scaled).min(255) as u8
        };
        self.r = mix(self.r, r);
        self.g = mix(self.g, g);
        self.b = mix(self.b, b);
        self.x = 255;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_replaces_transparent_keeps_half_mixes() {
        let mut p = Rgbx::opaque(10, 20, 30);
        p.blend_premultiplied(200, 100, 50, 255);
        assert_eq!(p, Rgbx::opaque(200, 100, 50));
        let mut p = Rgbx::opaque(10, 20, 30);
        p.blend_premultiplied(0, 0, 0, 0);
        assert_eq!(p, Rgbx::opaque(10, 20, 30));
        // 50 % white over black: premultiplied (128, 128, 128, 128) → 128.
        let mut p = Rgbx::opaque(0, 0, 0);
        p.blend_premultiplied(128, 128, 128, 128);
        assert_eq!(p, Rgbx::opaque(128, 128, 128));
        // 50 % black over white: 255 * 127 / 255 = 127.
        let mut p = Rgbx::opaque(255, 255, 255);
        p.blend_premultiplied(0, 0, 0, 128);
        assert_eq!(p, Rgbx::opaque(127, 127, 127));
        assert_eq!(std::mem::size_of::<Rgbx>(), 4);
    }
}
