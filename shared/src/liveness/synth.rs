//! Scripted synthetic signal sequences: a neutral face plus timed events (a blink, a head turn,
//! a smile …) and seeded noise, sampled at any frame rate.
//!
//! Used by this crate's tests and available to others (the server's tests can produce "a still
//! photo" or "the actions in the wrong order" without cameras or models). The shapes are simple
//! and documented per event; they imitate the levels of the real clips in the face test data
//! (open-eye EAR ≈ 0.30, closed mouth MAR ≈ 0.05).
//!
//! ```
//! use rand::{rngs::StdRng, SeedableRng};
//! use shared::liveness::synth::{Event, Script};
//! let frames = Script::new(30.0, 3_000)
//!     .with(Event::Blink { at_ms: 1_000, closed_ms: 150, depth: 0.3 })
//!     .render(&mut StdRng::seed_from_u64(1));
//! assert_eq!(frames.len(), 91);
//! ```

use std::f32::consts::PI;

use rand::Rng;

use super::signals::{FaceBox, FaceSignals, FrameSignals, QualityIssue};

/// Noise added to every frame (uniform, ± the given amplitude; two draws are summed, so the
/// distribution is triangular).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Noise {
    /// Relative noise of each eye's EAR (0.02 = ±2 %).
    pub ear_rel: f32,
    /// Absolute noise of the MAR.
    pub mar: f32,
    /// Degrees of noise on yaw and pitch.
    pub angle_deg: f32,
    /// Noise on the face box position (fraction of the frame).
    pub box_shift: f32,
}

impl Noise {
    /// No noise at all (an injected, frozen picture).
    pub const NONE: Noise = Noise {
        ear_rel: 0.0,
        mar: 0.0,
        angle_deg: 0.0,
        box_shift: 0.0,
    };

    /// Landmark jitter of a live face on a phone camera.
    pub fn live() -> Noise {
        Noise {
            ear_rel: 0.03,
            mar: 0.01,
            angle_deg: 0.8,
            box_shift: 0.004,
        }
    }

    /// The tiny jitter a camera adds when filming a photo fixed in place.
    pub fn photo() -> Noise {
        Noise {
            ear_rel: 0.004,
            mar: 0.002,
            angle_deg: 0.15,
            box_shift: 0.0005,
        }
    }
}

/// A timed event on top of the neutral face. Times are from the script's start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    /// Both eyes close (50 ms), stay closed at `depth` × the open EAR for `closed_ms`, reopen
    /// (70 ms).
    Blink {
        at_ms: u64,
        closed_ms: u64,
        depth: f32,
    },
    /// One eye closes like a blink; the other stays open.
    Wink {
        at_ms: u64,
        closed_ms: u64,
        depth: f32,
    },
    /// The mouth opens to `mar` (120 ms ramps), held for `hold_ms`.
    OpenMouth { at_ms: u64, hold_ms: u64, mar: f32 },
    /// One full yaw cycle of `period_ms`: to `amplitude_deg` on one side (positive first when
    /// `positive_first`), through the centre, to the other side and back.
    ShakeHead {
        at_ms: u64,
        period_ms: u64,
        amplitude_deg: f32,
        positive_first: bool,
    },
    /// Turn to `yaw_deg` (250 ms ramps), hold `hold_ms`, come back. Both eyes' EAR shrink to
    /// `ear_factor` at the full turn (foreshortening), proportionally on the way.
    Turn {
        at_ms: u64,
        hold_ms: u64,
        yaw_deg: f32,
        ear_factor: f32,
    },
    /// Chin down to `depth_deg` and back, a half sine over `duration_ms`.
    Nod {
        at_ms: u64,
        duration_ms: u64,
        depth_deg: f32,
    },
    /// Eyes narrow to `ear_factor` (200 ms ramps) and the mouth widens slightly.
    Smile {
        from_ms: u64,
        to_ms: u64,
        ear_factor: f32,
    },
    /// Speech: MAR pulses up to `mar_peak` at 4 Hz, pitch wobbles ±`pitch_deg` at 2 Hz.
    Talk {
        from_ms: u64,
        to_ms: u64,
        mar_peak: f32,
        pitch_deg: f32,
    },
    /// No face is found.
    NoFace { from_ms: u64, to_ms: u64 },
    /// A second face is in the frame.
    MultipleFaces { from_ms: u64, to_ms: u64 },
}

/// A neutral face, a list of events and noise, sampled at `fps`.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub fps: f32,
    pub duration_ms: u64,
    /// `t_ms` of the first frame.
    pub start_ms: u64,
    pub neutral: FaceSignals,
    pub noise: Noise,
    pub events: Vec<Event>,
}

/// The default neutral face: frontal, eyes open (EAR 0.30), mouth closed (MAR 0.05).
pub fn neutral_face() -> FaceSignals {
    FaceSignals {
        face_box: FaceBox {
            x: 0.3,
            y: 0.25,
            width: 0.4,
            height: 0.45,
        },
        left_eye_openness: 0.30,
        right_eye_openness: 0.30,
        mouth_openness: 0.05,
        yaw_deg: 0.0,
        pitch_deg: 0.0,
    }
}

/// 0 → 1 over `up` ms from `a`, 1 for `hold` ms, 1 → 0 over `down` ms.
fn trapezoid(t: f32, a: f32, up: f32, hold: f32, down: f32) -> f32 {
    let x = t - a;
    if x <= 0.0 {
        0.0
    } else if x < up {
        x / up
    } else if x <= up + hold {
        1.0
    } else if x < up + hold + down {
        1.0 - (x - up - hold) / down
    } else {
        0.0
    }
}

/// `sin(phase × radians)` for `t` within `[at, at + duration)`, where phase runs 0 → 1; else 0.
fn wave(t: u64, at: u64, duration: u64, radians: f32) -> f32 {
    if duration == 0 || !inside(t, at, at.saturating_add(duration)) {
        return 0.0;
    }
    let phase = (t - at) as f32 / duration as f32;
    (radians * phase).sin()
}

fn inside(t: u64, from: u64, to: u64) -> bool {
    t >= from && t < to
}

impl Script {
    /// A neutral face with live noise, frames from 0 to `duration_ms` inclusive.
    pub fn new(fps: f32, duration_ms: u64) -> Script {
        Script {
            fps,
            duration_ms,
            start_ms: 0,
            neutral: neutral_face(),
            noise: Noise::live(),
            events: Vec::new(),
        }
    }

    pub fn with(mut self, event: Event) -> Script {
        self.events.push(event);
        self
    }

    pub fn noise(mut self, noise: Noise) -> Script {
        self.noise = noise;
        self
    }

    pub fn neutral(mut self, face: FaceSignals) -> Script {
        self.neutral = face;
        self
    }

    pub fn start_at(mut self, start_ms: u64) -> Script {
        self.start_ms = start_ms;
        self
    }

    /// The frame times: `start_ms + round(k × 1000 / fps)` up to the duration.
    pub fn times(&self) -> Vec<u64> {
        let fps = if self.fps.is_finite() && self.fps > 0.0 {
            self.fps as f64
        } else {
            30.0
        };
        let mut out = Vec::new();
        let mut k = 0u64;
        loop {
            let rel = ((k as f64) * 1000.0 / fps).round() as u64;
            if rel > self.duration_ms {
                break;
            }
            out.push(self.start_ms.saturating_add(rel));
            k += 1;
        }
        out
    }

    /// The noiseless face at relative time `t` (ms from the start), or `None` in a no-face span.
    pub fn face_at(&self, t: u64) -> Option<FaceSignals> {
        let n = self.neutral;
        let tf = t as f32;
        let (mut left, mut right) = (1.0f32, 1.0f32);
        let mut mar = n.mouth_openness;
        let mut yaw = n.yaw_deg;
        let mut pitch = n.pitch_deg;
        for e in &self.events {
            match *e {
                Event::NoFace { from_ms, to_ms } if inside(t, from_ms, to_ms) => return None,
                Event::Blink {
                    at_ms,
                    closed_ms,
                    depth,
                } => {
                    let k = trapezoid(tf, at_ms as f32, 50.0, closed_ms as f32, 70.0);
                    left *= 1.0 - (1.0 - depth) * k;
                    right *= 1.0 - (1.0 - depth) * k;
                }
                Event::Wink {
                    at_ms,
                    closed_ms,
                    depth,
                } => {
                    let k = trapezoid(tf, at_ms as f32, 50.0, closed_ms as f32, 70.0);
                    left *= 1.0 - (1.0 - depth) * k;
                }
                Event::OpenMouth {
                    at_ms,
                    hold_ms,
                    mar: target,
                } => {
                    let k = trapezoid(tf, at_ms as f32, 120.0, hold_ms as f32, 120.0);
                    mar += (target - n.mouth_openness) * k;
                }
                Event::ShakeHead {
                    at_ms,
                    period_ms,
                    amplitude_deg,
                    positive_first,
                } => {
                    let sign = if positive_first { 1.0 } else { -1.0 };
                    yaw += sign * amplitude_deg * wave(t, at_ms, period_ms, 2.0 * PI);
                }
                Event::Turn {
                    at_ms,
                    hold_ms,
                    yaw_deg,
                    ear_factor,
                } => {
                    let k = trapezoid(tf, at_ms as f32, 250.0, hold_ms as f32, 250.0);
                    yaw += yaw_deg * k;
                    left *= 1.0 - (1.0 - ear_factor) * k;
                    right *= 1.0 - (1.0 - ear_factor) * k;
                }
                Event::Nod {
                    at_ms,
                    duration_ms,
                    depth_deg,
                } => {
                    pitch += depth_deg * wave(t, at_ms, duration_ms, PI);
                }
                Event::Smile {
                    from_ms,
                    to_ms,
                    ear_factor,
                } => {
                    let hold = to_ms.saturating_sub(from_ms).saturating_sub(200) as f32;
                    let k = trapezoid(tf, from_ms as f32, 200.0, hold, 200.0);
                    left *= 1.0 - (1.0 - ear_factor) * k;
                    right *= 1.0 - (1.0 - ear_factor) * k;
                    mar += 0.03 * k;
                }
                Event::Talk {
                    from_ms,
                    to_ms,
                    mar_peak,
                    pitch_deg,
                } => {
                    let span = to_ms.saturating_sub(from_ms);
                    // 4 Hz mouth pulses and a 2 Hz pitch wobble (phase per second × span).
                    let per_span = span as f32 / 1000.0 * 2.0 * PI;
                    let pulse = wave(t, from_ms, span, 4.0 * per_span).max(0.0);
                    mar += (mar_peak - n.mouth_openness).max(0.0) * pulse;
                    pitch += pitch_deg * wave(t, from_ms, span, 2.0 * per_span);
                }
                _ => {}
            }
        }
        Some(FaceSignals {
            left_eye_openness: n.left_eye_openness * left,
            right_eye_openness: n.right_eye_openness * right,
            mouth_openness: mar,
            yaw_deg: yaw,
            pitch_deg: pitch,
            ..n
        })
    }

    /// Samples the script with noise from `rng`.
    pub fn render(&self, rng: &mut impl Rng) -> Vec<FrameSignals> {
        let mut noise = |amp: f32| {
            if amp > 0.0 {
                (rng.gen_range(-1.0f32..=1.0) + rng.gen_range(-1.0f32..=1.0)) * amp / 2.0
            } else {
                0.0
            }
        };
        let nz = self.noise;
        let mut frames = Vec::new();
        for t in self.times() {
            let rel = t.saturating_sub(self.start_ms);
            let multi = self.events.iter().any(
                |e| matches!(*e, Event::MultipleFaces { from_ms, to_ms } if inside(rel, from_ms, to_ms)),
            );
            let Some(mut face) = self.face_at(rel) else {
                frames.push(FrameSignals {
                    t_ms: t,
                    faces: 0,
                    face: None,
                    issues: vec![QualityIssue::NoFace],
                });
                continue;
            };
            face.left_eye_openness = (face.left_eye_openness * (1.0 + noise(nz.ear_rel))).max(0.0);
            face.right_eye_openness =
                (face.right_eye_openness * (1.0 + noise(nz.ear_rel))).max(0.0);
            face.mouth_openness = (face.mouth_openness + noise(nz.mar)).max(0.0);
            face.yaw_deg += noise(nz.angle_deg);
            face.pitch_deg += noise(nz.angle_deg);
            face.face_box.x += noise(nz.box_shift);
            face.face_box.y += noise(nz.box_shift);
            frames.push(FrameSignals {
                t_ms: t,
                faces: if multi { 2 } else { 1 },
                face: Some(face),
                issues: if multi {
                    vec![QualityIssue::MultipleFaces]
                } else {
                    Vec::new()
                },
            });
        }
        frames
    }
}
