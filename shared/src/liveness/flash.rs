//! The colour-flash part of a challenge (炫彩活体): while the face holds still, the screen shows a
//! short sequence of colours derived from the challenge's nonce, and the light the face reflects
//! must follow that sequence.
//!
//! # Why it stops replays
//! A pre-recorded video (replayed on a screen or injected as the camera) was made before the
//! nonce existed, so it carries another sequence or none. A screen held up to the camera
//! reflects the phone's light off its glass evenly over the whole replayed picture — face and
//! background alike — while a real face, 30 cm from the phone, is lit far more than the room
//! behind it.
//!
//! # How it decides ([`check_flash`])
//! For every frame the `models` crate measures a [`ColourSample`]: the mean colour of the face's
//! skin and of the background beside and above the head. From them:
//! 1. **Correlation, not thresholds on colour.** The face's log-chromaticity *relative to the
//!    background* (`ln(R/G)`, `ln(B/G)` of the face minus the same of the background) is
//!    correlated with the expected direction of each screen colour ([`FlashColour::chroma`]).
//!    Logarithms make the measure independent of brightness (ambient light, exposure, skin
//!    tone: an albedo multiplies, so it only adds a constant, removed with the mean and a
//!    linear trend); taking the background off cancels what the camera does to the whole
//!    picture (automatic white balance and exposure). The camera and display latency is
//!    unknown, so the best lag within [`FlashConfig::max_lag_ms`] is used.
//! 2. **The background must respond much less than the face**, measured in linear light: a
//!    diffuse face reflects light in proportion to its own colour, a screen's glass adds the
//!    same light everywhere. The ratio of the background's response to the face's is a ratio
//!    (no unit), so ambient light and skin tone do not move it either.
//! 3. **The frames must cover the sequence**: most colour steps need a frame well inside them.
//!
//! Pure logic: the frames' times and colour means come in, a [`FlashOutcome`] goes out.

use serde::{Deserialize, Serialize};

use super::challenge::Nonce;

/// A colour the screen shows during the flash. Saturated primaries and secondaries: white and
/// black carry no chromaticity, only brightness, which exposure control takes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlashColour {
    Red,
    Green,
    Blue,
    Yellow,
    Cyan,
    Magenta,
}

impl FlashColour {
    pub const ALL: [FlashColour; 6] = [
        FlashColour::Red,
        FlashColour::Green,
        FlashColour::Blue,
        FlashColour::Yellow,
        FlashColour::Cyan,
        FlashColour::Magenta,
    ];

    /// The screen colour, 8-bit sRGB.
    pub const fn rgb(self) -> [u8; 3] {
        match self {
            FlashColour::Red => [255, 0, 0],
            FlashColour::Green => [0, 255, 0],
            FlashColour::Blue => [0, 0, 255],
            FlashColour::Yellow => [255, 255, 0],
            FlashColour::Cyan => [0, 255, 255],
            FlashColour::Magenta => [255, 0, 255],
        }
    }

    /// Which way the reflected light pushes a face's chromaticity: `(r − g, b − g)` of the
    /// colour (channels 0 or 1). Red `(1, 0)`, green `(−1, −1)`, blue `(0, 1)`, yellow
    /// `(0, −1)`, cyan `(−1, 0)`, magenta `(1, 1)`: six directions around the plane, so a
    /// sequence varies on both axes.
    pub fn chroma(self) -> [f32; 2] {
        let [r, g, b] = self.rgb().map(|c| f32::from(c) / 255.0);
        [r - g, b - g]
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            FlashColour::Red => "red",
            FlashColour::Green => "green",
            FlashColour::Blue => "blue",
            FlashColour::Yellow => "yellow",
            FlashColour::Cyan => "cyan",
            FlashColour::Magenta => "magenta",
        }
    }
}

/// One colour of the sequence and how long it stays on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FlashStep {
    pub colour: FlashColour,
    pub ms: u32,
}

/// Fewest and most colours in a sequence.
pub const MIN_FLASH_STEPS: usize = 8;
pub const MAX_FLASH_STEPS: usize = 10;
/// The durations a step may have. A step must hold at least two frames at the 10 fps the app
/// sends during the flash, after the frames near a change are set aside.
pub const FLASH_STEP_MS: [u32; 3] = [250, 300, 350];

/// The colour sequence of one challenge, derived from its nonce ([`FlashSchedule::from_nonce`]):
/// 8–10 steps of 250–350 ms (2.0–3.5 s in all), no colour twice in a row, varying on both
/// chromaticity axes.
///
/// Why this many: a replay carries some other sequence, and two unrelated sequences of n steps
/// correlate by chance with a spread of about 1/√(2n) (two axes); with 8–10 steps and the lag
/// search, a chance correlation above [`FlashConfig::min_correlation`] is rare (measured in
/// `models`' `pad_eval`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FlashSchedule {
    steps: Vec<FlashStep>,
}

/// SplitMix64: a small, fixed generator, so the sequence a nonce gives never changes with a
/// dependency's version (app and server, and old offline challenges, must agree).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        // n ≤ 6 here: the modulo bias (≤ 6 / 2^64) does not matter.
        (self.next() % n as u64) as usize
    }
}

impl FlashSchedule {
    /// The sequence of a challenge. Deterministic: the app shows it and the server checks it from
    /// the same nonce.
    pub fn from_nonce(nonce: &Nonce) -> FlashSchedule {
        // A nonce is 64 hex characters: fold its four 64-bit words into the seed.
        let hex = nonce.as_str();
        let mut seed = 0x5A48_414E_594F_5521_u64; // "ZHANYOU!"
        for (i, chunk) in hex.as_bytes().chunks(16).enumerate() {
            let word = std::str::from_utf8(chunk)
                .ok()
                .and_then(|s| u64::from_str_radix(s, 16).ok())
                .unwrap_or(0);
            seed ^= word.rotate_left(17 * i as u32);
        }
        FlashSchedule::from_seed(seed)
    }

    /// The sequence for a 64-bit seed (tests, simulations).
    pub fn from_seed(seed: u64) -> FlashSchedule {
        let mut rng = SplitMix64(seed);
        loop {
            let n = MIN_FLASH_STEPS + rng.below(MAX_FLASH_STEPS - MIN_FLASH_STEPS + 1);
            let mut steps: Vec<FlashStep> = Vec::with_capacity(n);
            for _ in 0..n {
                let previous = steps.last().map(|s| s.colour);
                let choices: Vec<FlashColour> = FlashColour::ALL
                    .into_iter()
                    .filter(|c| Some(*c) != previous)
                    .collect();
                let colour = choices[rng.below(choices.len())];
                let ms = FLASH_STEP_MS[rng.below(FLASH_STEP_MS.len())];
                steps.push(FlashStep { colour, ms });
            }
            let schedule = FlashSchedule { steps };
            if schedule.varies_on_both_axes() {
                return schedule;
            }
        }
    }

    /// Rebuilds a sequence from its steps (e.g. one sent over the wire); `None` unless it has
    /// the shape [`from_nonce`](Self::from_nonce) gives.
    pub fn from_steps(steps: Vec<FlashStep>) -> Option<FlashSchedule> {
        let schedule = FlashSchedule { steps };
        let ok_len = (MIN_FLASH_STEPS..=MAX_FLASH_STEPS).contains(&schedule.steps.len());
        let ok_ms = schedule.steps.iter().all(|s| FLASH_STEP_MS.contains(&s.ms));
        let no_repeat = schedule
            .steps
            .windows(2)
            .all(|w| w[0].colour != w[1].colour);
        (ok_len && ok_ms && no_repeat && schedule.varies_on_both_axes()).then_some(schedule)
    }

    fn varies_on_both_axes(&self) -> bool {
        (0..2).all(|axis| {
            let first = self.steps.first().map(|s| s.colour.chroma()[axis]);
            self.steps
                .iter()
                .any(|s| Some(s.colour.chroma()[axis]) != first)
        })
    }

    pub fn steps(&self) -> &[FlashStep] {
        &self.steps
    }

    /// How long the whole sequence is on screen.
    pub fn total_ms(&self) -> u64 {
        self.steps.iter().map(|s| u64::from(s.ms)).sum()
    }

    /// The step on screen `offset_ms` after the sequence started, with its start and end
    /// offsets; `None` before the start and from the end on.
    pub fn step_at(&self, offset_ms: i64) -> Option<(usize, u64, u64)> {
        if offset_ms < 0 {
            return None;
        }
        let offset = offset_ms as u64;
        let mut start = 0u64;
        for (i, s) in self.steps.iter().enumerate() {
            let end = start + u64::from(s.ms);
            if offset < end {
                return Some((i, start, end));
            }
            start = end;
        }
        None
    }

    /// The colour on screen `offset_ms` after the start, if any.
    pub fn colour_at(&self, offset_ms: i64) -> Option<FlashColour> {
        self.step_at(offset_ms)
            .map(|(i, _, _)| self.steps[i].colour)
    }
}

/// Mean colour of one frame's face skin and of its background, as 8-bit sRGB channel means
/// (0–255), measured by the `models` crate. `background` is `None` when too little of the frame
/// lies beside or above the head (the face is too near).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ColourSample {
    pub face: [f32; 3],
    pub background: Option<[f32; 3]>,
}

impl ColourSample {
    fn is_plausible(&self) -> bool {
        let ok = |c: &[f32; 3]| c.iter().all(|v| v.is_finite() && (0.0..=255.0).contains(v));
        ok(&self.face) && self.background.as_ref().is_none_or(ok)
    }
}

/// A frame's time and colour sample, as [`check_flash`] takes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedColour {
    pub t_ms: u64,
    pub colour: ColourSample,
}

/// Every threshold of the colour-flash check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FlashConfig {
    /// Longest delay between the app changing the screen colour and a frame showing it: display
    /// refresh (≤ 50 ms), camera exposure and delivery (≤ 200 ms on slow phones). The best lag
    /// from 0 to this is used.
    pub max_lag_ms: u64,
    /// The lag search's step.
    pub lag_step_ms: u64,
    /// Frames this close to a colour change (at the tried lag) are not used: their exposure may
    /// straddle two colours, and a rolling shutter sees both.
    pub edge_guard_ms: u64,
    /// Fraction of the steps that need at least one usable frame.
    pub min_step_coverage: f32,
    /// Least correlation between the face's relative chromaticity and the sequence. In the
    /// simulations (`pad_eval`: noise, camera drift, 8 bits) a still live face measures 0.9 and
    /// more; a video made under another sequence exceeds 0.8 in about 1 of 1,000 trials, 0.7 in
    /// about 6 (the app makes sure the face holds still during the flash, so the stricter
    /// value costs live faces little).
    pub min_correlation: f32,
    /// Largest background response as a fraction of the face's (linear light). A face at 30 cm
    /// with a wall 1 m behind: ≈ 0.1–0.2; a flat screen reflecting evenly: ≈ 1.
    pub max_background_ratio: f32,
    /// The sequence must start within this long after the first frame (the app waits for a
    /// steady face, then flashes at once).
    pub max_start_delay_ms: u64,
    /// Whether frames must show background beside or above the head (the `models` crate leaves
    /// it out when too little of the frame is background). Without it the flat-picture test
    /// cannot run, so the check fails with [`FlashFailure::NoBackground`].
    pub require_background: bool,
}

impl Default for FlashConfig {
    fn default() -> Self {
        FlashConfig {
            max_lag_ms: 300,
            lag_step_ms: 10,
            edge_guard_ms: 50,
            min_step_coverage: 0.75,
            min_correlation: 0.8,
            max_background_ratio: 0.5,
            max_start_delay_ms: 10_000,
            require_background: true,
        }
    }
}

/// Why the flash check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlashFailure {
    /// The claimed start does not fit the frames (before the first frame, or too late).
    StartOutOfRange,
    /// Too few colour steps have a usable frame (frames missing, or no face during the flash).
    NotCovered,
    /// The face's colour does not follow the sequence.
    NoResponse,
    /// The background responds about as much as the face: a flat picture.
    FlatResponse,
    /// No background beside or above the head to compare with (face too near).
    NoBackground,
}

/// What [`check_flash`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlashOutcome {
    pub passed: bool,
    pub failure: Option<FlashFailure>,
    /// Best correlation over the lags (face relative to background), when computed.
    pub correlation: Option<f32>,
    /// The lag of the best correlation.
    pub lag_ms: u64,
    /// Background response ÷ face response at that lag (linear light), when computed.
    pub background_ratio: Option<f32>,
    /// Steps with at least one usable frame at that lag, and steps in all.
    pub steps_covered: usize,
    pub steps: usize,
}

impl FlashOutcome {
    /// A failure found before any correlation was computed.
    pub fn failed(failure: FlashFailure, steps: usize) -> FlashOutcome {
        FlashOutcome {
            passed: false,
            failure: Some(failure),
            correlation: None,
            lag_ms: 0,
            background_ratio: None,
            steps_covered: 0,
            steps,
        }
    }
}

/// Log-chromaticity `(ln R/G, ln B/G)` of 8-bit channel means (+1 keeps black finite).
fn log_chroma(c: &[f32; 3]) -> [f64; 2] {
    let l = c.map(|v| (f64::from(v) + 1.0).ln());
    [l[0] - l[1], l[2] - l[1]]
}

/// sRGB 8-bit → linear light 0..1.
fn linear(c: f32) -> f64 {
    let v = f64::from(c) / 255.0;
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// Linear-light chromatic differences `(R − G, B − G)`.
fn linear_chroma(c: &[f32; 3]) -> [f64; 2] {
    let l = c.map(linear);
    [l[0] - l[1], l[2] - l[1]]
}

/// Removes the mean and the linear trend in `t` from `v` (least squares).
fn detrend(t: &[f64], v: &mut [f64]) {
    let n = t.len() as f64;
    if t.len() < 2 {
        v.iter_mut().for_each(|x| *x = 0.0);
        return;
    }
    let mt = t.iter().sum::<f64>() / n;
    let mv = v.iter().sum::<f64>() / n;
    let stt: f64 = t.iter().map(|x| (x - mt) * (x - mt)).sum();
    let stv: f64 = t
        .iter()
        .zip(v.iter())
        .map(|(x, y)| (x - mt) * (y - mv))
        .sum();
    let slope = if stt > 0.0 { stv / stt } else { 0.0 };
    for (x, y) in t.iter().zip(v.iter_mut()) {
        *y -= mv + slope * (x - mt);
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Measured and expected series of one lag: per axis, detrended.
struct Series {
    t: Vec<f64>,
    expected: [Vec<f64>; 2],
    relative: [Vec<f64>; 2],
    face_linear: [Vec<f64>; 2],
    background_linear: Option<[Vec<f64>; 2]>,
    covered: usize,
}

fn series(
    schedule: &FlashSchedule,
    start_ms: u64,
    lag_ms: u64,
    frames: &[TimedColour],
    config: &FlashConfig,
) -> Series {
    let mut s = Series {
        t: Vec::new(),
        expected: [Vec::new(), Vec::new()],
        relative: [Vec::new(), Vec::new()],
        face_linear: [Vec::new(), Vec::new()],
        background_linear: Some([Vec::new(), Vec::new()]),
        covered: 0,
    };
    let mut covered = vec![false; schedule.steps().len()];
    let origin = start_ms as i64 + lag_ms as i64;
    for f in frames {
        let offset = f.t_ms as i64 - origin;
        let Some((i, from, to)) = schedule.step_at(offset) else {
            continue;
        };
        let guard = config.edge_guard_ms as i64;
        if offset < from as i64 + guard || offset + guard > to as i64 {
            continue;
        }
        covered[i] = true;
        let e = schedule.steps()[i].colour.chroma();
        let face_log = log_chroma(&f.colour.face);
        let face_lin = linear_chroma(&f.colour.face);
        let (rel, bg_lin) = match &f.colour.background {
            Some(b) => {
                let bl = log_chroma(b);
                (
                    [face_log[0] - bl[0], face_log[1] - bl[1]],
                    Some(linear_chroma(b)),
                )
            }
            None => (face_log, None),
        };
        s.t.push(f.t_ms as f64);
        for axis in 0..2 {
            s.expected[axis].push(f64::from(e[axis]));
            s.relative[axis].push(rel[axis]);
            s.face_linear[axis].push(face_lin[axis]);
        }
        match (bg_lin, s.background_linear.as_mut()) {
            (Some(b), Some(series)) => {
                series[0].push(b[0]);
                series[1].push(b[1]);
            }
            _ => s.background_linear = None,
        }
    }
    s.covered = covered.iter().filter(|c| **c).count();
    for axis in 0..2 {
        detrend(&s.t, &mut s.expected[axis]);
        detrend(&s.t, &mut s.relative[axis]);
        detrend(&s.t, &mut s.face_linear[axis]);
        if let Some(b) = s.background_linear.as_mut() {
            detrend(&s.t, &mut b[axis]);
        }
    }
    s
}

/// Pearson correlation of two two-axis series, the axes taken together.
fn correlation(x: &[Vec<f64>; 2], y: &[Vec<f64>; 2]) -> Option<f64> {
    let sxy = dot(&x[0], &y[0]) + dot(&x[1], &y[1]);
    let sxx = dot(&x[0], &x[0]) + dot(&x[1], &x[1]);
    let syy = dot(&y[0], &y[0]) + dot(&y[1], &y[1]);
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// Least-squares slope of `y` on the expected series `e` (both axes together).
fn slope(e: &[Vec<f64>; 2], y: &[Vec<f64>; 2]) -> f64 {
    let see = dot(&e[0], &e[0]) + dot(&e[1], &e[1]);
    if see > 0.0 {
        (dot(&e[0], &y[0]) + dot(&e[1], &y[1])) / see
    } else {
        0.0
    }
}

/// Checks that the face reflected the schedule's colours, the sequence having started at
/// `start_ms` (frame time). `frames` may be in any order and may include frames outside the
/// flash; frames without a face are simply absent.
pub fn check_flash(
    schedule: &FlashSchedule,
    start_ms: u64,
    frames: &[TimedColour],
    config: &FlashConfig,
) -> FlashOutcome {
    let steps = schedule.steps().len();
    let mut frames: Vec<TimedColour> = frames
        .iter()
        .filter(|f| f.colour.is_plausible())
        .copied()
        .collect();
    frames.sort_by_key(|f| f.t_ms);
    let Some(first) = frames.first().map(|f| f.t_ms) else {
        return FlashOutcome::failed(FlashFailure::NotCovered, steps);
    };
    if start_ms < first.saturating_sub(config.max_lag_ms)
        || start_ms > first.saturating_add(config.max_start_delay_ms)
    {
        return FlashOutcome::failed(FlashFailure::StartOutOfRange, steps);
    }
    let need = (config.min_step_coverage * steps as f32).ceil() as usize;
    // (correlation, lag, series) of the best lag with enough coverage.
    let mut best: Option<(f64, u64, Series)> = None;
    let mut best_covered = 0;
    let mut lag = 0;
    while lag <= config.max_lag_ms {
        let s = series(schedule, start_ms, lag, &frames, config);
        best_covered = best_covered.max(s.covered);
        if s.covered >= need {
            if let Some(r) = correlation(&s.relative, &s.expected) {
                if best.as_ref().is_none_or(|(b, _, _)| r > *b) {
                    best = Some((r, lag, s));
                }
            }
        }
        lag += config.lag_step_ms.max(1);
    }
    let Some((r, lag_ms, s)) = best else {
        return FlashOutcome {
            steps_covered: best_covered,
            ..FlashOutcome::failed(FlashFailure::NotCovered, steps)
        };
    };
    let face_response = slope(&s.expected, &s.face_linear);
    let background_ratio = s.background_linear.as_ref().map(|b| {
        let bg = slope(&s.expected, b);
        if face_response > 0.0 {
            (bg / face_response) as f32
        } else {
            f32::INFINITY
        }
    });
    let failure = if r < f64::from(config.min_correlation) {
        Some(FlashFailure::NoResponse)
    } else {
        match background_ratio {
            None if config.require_background => Some(FlashFailure::NoBackground),
            Some(q) if !(q <= config.max_background_ratio) => Some(FlashFailure::FlatResponse),
            _ => None,
        }
    };
    FlashOutcome {
        passed: failure.is_none(),
        failure,
        correlation: Some(r as f32),
        lag_ms,
        background_ratio,
        steps_covered: s.covered,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nonce(fill: char) -> Nonce {
        Nonce::parse(&fill.to_string().repeat(64)).unwrap()
    }

    #[test]
    fn a_nonce_always_gives_the_same_sequence_and_nonces_differ() {
        let a = FlashSchedule::from_nonce(&nonce('a'));
        assert_eq!(a, FlashSchedule::from_nonce(&nonce('a')));
        assert_ne!(a, FlashSchedule::from_nonce(&nonce('b')));
        // Pinned: a change of derivation would break offline challenges already issued.
        let got: Vec<String> = a
            .steps()
            .iter()
            .map(|s| format!("{}:{}", s.colour.as_str(), s.ms))
            .collect();
        assert_eq!(
            got.join(","),
            "magenta:300,blue:300,green:350,red:250,magenta:350,red:250,yellow:350,magenta:350,blue:300"
        );
        assert!(FlashSchedule::from_steps(a.steps().to_vec()).is_some());
    }

    #[test]
    fn sequences_have_the_documented_shape() {
        for seed in 0..2000u64 {
            let s = FlashSchedule::from_seed(seed);
            assert!((MIN_FLASH_STEPS..=MAX_FLASH_STEPS).contains(&s.steps().len()));
            assert!(s.steps().windows(2).all(|w| w[0].colour != w[1].colour));
            assert!(s.steps().iter().all(|st| FLASH_STEP_MS.contains(&st.ms)));
            assert!(s.varies_on_both_axes());
            assert!((2000..=3500).contains(&s.total_ms()));
        }
    }

    #[test]
    fn step_lookup_follows_the_durations() {
        let s = FlashSchedule::from_seed(7);
        let first = s.steps()[0];
        assert_eq!(s.step_at(-1), None);
        assert_eq!(s.step_at(0), Some((0, 0, u64::from(first.ms))));
        assert_eq!(s.step_at(i64::from(first.ms)).map(|x| x.0), Some(1));
        assert_eq!(s.step_at(s.total_ms() as i64), None);
        assert_eq!(s.colour_at(0), Some(first.colour));
    }

    #[test]
    fn from_steps_refuses_malformed_sequences() {
        let red = FlashStep {
            colour: FlashColour::Red,
            ms: 300,
        };
        let blue = FlashStep {
            colour: FlashColour::Blue,
            ms: 300,
        };
        assert!(
            FlashSchedule::from_steps(vec![red, blue]).is_none(),
            "too short"
        );
        assert!(FlashSchedule::from_steps(vec![red; 8]).is_none(), "repeats");
        let mut odd = vec![red, blue, red, blue, red, blue, red, blue];
        assert!(FlashSchedule::from_steps(odd.clone()).is_some());
        odd[0].ms = 123;
        assert!(FlashSchedule::from_steps(odd).is_none(), "odd duration");
    }

    /// Frames at `fps` from 0 over the schedule (+ margins); the face reflects the colour shown
    /// `lag` earlier with relative gain `k_face`, the background with `k_bg`.
    fn render(
        s: &FlashSchedule,
        start: u64,
        lag: u64,
        k_face: f32,
        k_bg: f32,
        fps: u64,
    ) -> Vec<TimedColour> {
        let skin = [180.0f32, 130.0, 110.0];
        let wall = [120.0f32, 120.0, 125.0];
        let end = start + s.total_ms() + 600;
        (0..)
            .map(|i| i * 1000 / fps)
            .take_while(|t| *t < end)
            .map(|t| {
                let c = s.colour_at(t as i64 - start as i64 - lag as i64);
                let lit = |base: [f32; 3], k: f32| {
                    let add = c.map_or([0.0; 3], |c| c.rgb().map(|v| f32::from(v) / 255.0));
                    [0, 1, 2].map(|i| (base[i] * (1.0 + k * add[i])).min(255.0))
                };
                TimedColour {
                    t_ms: t,
                    colour: ColourSample {
                        face: lit(skin, k_face),
                        background: Some(lit(wall, k_bg)),
                    },
                }
            })
            .collect()
    }

    #[test]
    fn a_face_that_reflects_the_sequence_passes_at_its_lag() {
        let s = FlashSchedule::from_seed(11);
        let frames = render(&s, 500, 120, 0.08, 0.01, 15);
        let out = check_flash(&s, 500, &frames, &FlashConfig::default());
        assert!(out.passed, "{out:?}");
        assert!(out.correlation.unwrap() > 0.95);
        assert!((70..=170).contains(&out.lag_ms), "{out:?}");
    }

    #[test]
    fn another_sequence_or_none_fails() {
        let s = FlashSchedule::from_seed(11);
        let other = FlashSchedule::from_seed(12);
        let frames = render(&other, 500, 100, 0.08, 0.01, 15);
        let out = check_flash(&s, 500, &frames, &FlashConfig::default());
        assert_eq!(out.failure, Some(FlashFailure::NoResponse), "{out:?}");

        let still = render(&s, 500, 100, 0.0, 0.0, 15);
        let out = check_flash(&s, 500, &still, &FlashConfig::default());
        assert!(!out.passed, "{out:?}");
    }

    #[test]
    fn a_picture_tinted_evenly_fails() {
        // The whole frame tinted alike (an injected video coloured by software): the face does
        // not change relative to its background.
        let s = FlashSchedule::from_seed(11);
        let frames = render(&s, 500, 100, 0.08, 0.08, 15);
        let out = check_flash(&s, 500, &frames, &FlashConfig::default());
        assert!(!out.passed, "{out:?}");
    }

    #[test]
    fn a_screen_reflecting_the_light_evenly_fails_as_flat() {
        // A replay screen: the phone's light adds the same amount everywhere (glass), and the
        // replayed face is darker than the replayed wall, so in relative terms the face seems
        // to follow the colours — but the background responds as much as the face.
        let s = FlashSchedule::from_seed(11);
        let frames: Vec<TimedColour> = (0..80u64)
            .map(|i| {
                let t = i * 1000 / 15;
                let add = s
                    .colour_at(t as i64 - 600)
                    .map_or([0.0; 3], |c| c.rgb().map(|v| f32::from(v) / 255.0 * 20.0));
                TimedColour {
                    t_ms: t,
                    colour: ColourSample {
                        face: [0, 1, 2].map(|k| [90.0f32, 60.0, 50.0][k] + add[k]),
                        background: Some([0, 1, 2].map(|k| 200.0 + add[k])),
                    },
                }
            })
            .collect();
        let out = check_flash(&s, 500, &frames, &FlashConfig::default());
        assert_eq!(out.failure, Some(FlashFailure::FlatResponse), "{out:?}");
        assert!(out.correlation.unwrap() > 0.9, "{out:?}");
    }

    #[test]
    fn missing_frames_or_a_start_outside_the_frames_fail() {
        let s = FlashSchedule::from_seed(11);
        let frames = render(&s, 500, 100, 0.08, 0.01, 15);
        let sparse: Vec<TimedColour> = frames.iter().step_by(8).copied().collect();
        let out = check_flash(&s, 500, &sparse, &FlashConfig::default());
        assert_eq!(out.failure, Some(FlashFailure::NotCovered), "{out:?}");
        let late = check_flash(&s, 60_000, &frames, &FlashConfig::default());
        assert_eq!(late.failure, Some(FlashFailure::StartOutOfRange));
        let none = check_flash(&s, 0, &[], &FlashConfig::default());
        assert_eq!(none.failure, Some(FlashFailure::NotCovered));
    }

    #[test]
    fn no_background_fails_only_when_required() {
        let s = FlashSchedule::from_seed(11);
        let mut frames = render(&s, 500, 100, 0.08, 0.01, 15);
        for f in &mut frames {
            f.colour.background = None;
        }
        let out = check_flash(&s, 500, &frames, &FlashConfig::default());
        assert_eq!(out.failure, Some(FlashFailure::NoBackground));
        let lenient = FlashConfig {
            require_background: false,
            ..FlashConfig::default()
        };
        assert!(check_flash(&s, 500, &frames, &lenient).passed);
    }

    #[test]
    fn brightness_and_skin_tone_do_not_matter() {
        let s = FlashSchedule::from_seed(5);
        for scale in [0.3f32, 1.0, 1.3] {
            let mut frames = render(&s, 0, 50, 0.06, 0.0, 15);
            for f in &mut frames {
                f.colour.face = f.colour.face.map(|v| (v * scale).min(255.0));
            }
            let out = check_flash(&s, 0, &frames, &FlashConfig::default());
            assert!(out.passed, "scale {scale}: {out:?}");
        }
    }

    #[test]
    fn garbage_samples_are_ignored_not_a_panic() {
        let s = FlashSchedule::from_seed(3);
        let frames = vec![
            TimedColour {
                t_ms: 10,
                colour: ColourSample {
                    face: [f32::NAN, 1.0, 1.0],
                    background: None,
                },
            },
            TimedColour {
                t_ms: 20,
                colour: ColourSample {
                    face: [1e9, -5.0, 1.0],
                    background: Some([f32::INFINITY; 3]),
                },
            },
        ];
        let out = check_flash(&s, 0, &frames, &FlashConfig::default());
        assert!(!out.passed);
        let _ = check_flash(&s, u64::MAX, &frames, &FlashConfig::default());
    }
}
