#!/usr/bin/env python3
"""Subset Noto Sans SC to the characters the app needs, so the shipped font stays small.

Source: npm package `@expo-google-fonts/noto-sans-sc` 0.4.3 (static TrueType builds of
Google Fonts' "Noto Sans SC", font version 2.004, SIL Open Font License 1.1; see OFL.txt).

    npm pack @expo-google-fonts/noto-sans-sc@0.4.3 && tar xzf expo-google-fonts-noto-sans-sc-0.4.3.tgz
    pip install fonttools==4.68.0
    python3 app/fonts/subset.py package/400Regular/NotoSansSC_400Regular.ttf app/fonts/NotoSansSC-Regular-subset.ttf

Kept: every character of GB2312 (the 6,763 common hanzi of levels 1 and 2 plus its symbols,
full-width forms and punctuation), printable ASCII, Latin-1 punctuation, the middle dots used in
names of ethnic minorities (U+00B7 ·, U+30FB ・, U+2022 •), general and CJK punctuation, and the
few symbols the UI draws (✓ ✗ › ‹ → ←). Dropped: vertical metrics, hinting.

The font keeps its name (Noto Sans SC). The OFL reserves no font name for Noto, so a modified
version may keep it; the license text ships beside the font (OFL.txt).
"""
import sys

from fontTools import subset


def gb2312_chars():
    chars = set()
    # GB2312 is encoded in EUC-CN as two bytes, each 0xA1..0xFE.
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def extra_chars():
    ranges = [
        (0x20, 0x7E),      # printable ASCII
        (0xA0, 0xBF),      # Latin-1 punctuation and signs (incl. · U+00B7)
        (0xD7, 0xD7), (0xF7, 0xF7),  # × ÷
        (0x2010, 0x2027),  # dashes, quotes, bullet •, ellipsis
        (0x2030, 0x203A),  # per mille, primes, ‹ ›
        (0x2190, 0x2193),  # arrows
        (0x2713, 0x2717),  # ✓ ✔ ✕ ✖ ✗
        (0x3000, 0x303F),  # CJK punctuation
        (0x30FB, 0x30FB),  # katakana middle dot ・
        (0xFF01, 0xFF5E),  # full-width ASCII
        (0xFFE0, 0xFFE5),  # full-width signs ￥
    ]
    return {chr(c) for lo, hi in ranges for c in range(lo, hi + 1)}


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: subset.py IN.ttf OUT.ttf")
    src, dst = sys.argv[1], sys.argv[2]
    text = "".join(sorted(gb2312_chars() | extra_chars()))
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.hinting = False
    options.drop_tables += ["vhea", "vmtx", "VORG", "BASE", "STAT"]
    font = subset.load_font(src, options)
    sub = subset.Subsetter(options)
    sub.populate(text=text)
    sub.subset(font)
    subset.save_font(font, dst, options)
    print(f"{dst}: {len(text)} characters requested, {len(font.getGlyphOrder())} glyphs")


if __name__ == "__main__":
    main()
