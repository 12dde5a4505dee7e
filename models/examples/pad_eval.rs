//! How well the liveness check resists presentation attacks, measured on
//! `../shared/testdata/faces` (ISO/IEC 30107-3 terms): APCER per attack species (the share of
//! attacks accepted) and BPCER on the genuine clips (the share of genuine sessions refused),
//! layer by layer — the actions, the anti-spoofing network (PAD), the colour flash — and all
//! three together, as the app and the server decide.
//!
//! `cargo run --release -p models --example pad_eval [-- --trials N]` (default 60 trials per
//! clip and species; `ZHANYOU_FACES_DIR` overrides where the data is).
//!
//! What is real and what is simulated (see `models::simulate` for the models):
//! - REAL: every frame and still; the attack material p13 (a video re-filmed off a laptop),
//!   p10 (a phone replaying a video), p14 (a printed poster) and p15 (a phone screen). The PAD
//!   and action layers run on them as they are.
//! - SIMULATED: all colour-flash light (no clip was filmed under a flashing phone): the screen's
//!   reflection on genuine faces (positives), and for attacks the light a replay screen reflects
//!   evenly, the old sequence a recording carries, or none for an injected video; the screen
//!   replays of genuine clips (`simulate::screen_recapture`) for the PAD layer.
//! Because the flash positives and negatives come from a model, the flash numbers say the
//! detector separates what the model says is different; a phone in a real room must confirm them.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use models::simulate::{self, Lighting, PixelBox, Recapture};
use models::{FaceModels, FrameAnalysis};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::liveness::{
    check_flash, ActionDetector, FlashColour, FlashConfig, FlashSchedule, PadConfig, ReuseConfig,
    TimedColour,
};

/// One analysed recording: frame times, the frames and what the models found on each.
struct Recording {
    name: String,
    frames: Vec<(u64, common::Rgb, FrameAnalysis)>,
}

fn analyse(
    models: &mut FaceModels,
    name: &str,
    frames: Vec<(u64, common::Rgb)>,
) -> Result<Recording, models::ModelError> {
    let mut tracker = models::FaceTracker::default();
    let mut out = Vec::with_capacity(frames.len());
    for (t, img) in frames {
        let a = models.analyze_tracked(&img.frame(), t, &mut tracker)?;
        out.push((t, img, a));
    }
    Ok(Recording {
        name: name.to_owned(),
        frames: out,
    })
}

fn pixel_box(a: &FrameAnalysis) -> Option<PixelBox> {
    a.face().map(|f| PixelBox {
        xmin: f.xmin,
        ymin: f.ymin,
        xmax: f.xmax,
        ymax: f.ymax,
    })
}

fn normal(rng: &mut StdRng) -> f32 {
    // Box–Muller.
    let u1: f32 = rng.gen_range(1e-6..1.0);
    let u2: f32 = rng.gen_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

/// What a trial's camera sees at a pixel, besides the recorded content.
#[derive(Clone, Copy)]
enum Light {
    /// A live face under the phone's flash (multiplicative, face ≫ background).
    Live(Lighting),
    /// A flat surface: the same light added everywhere (linear units).
    Flat(f32),
    /// No light from the phone reaches the picture (an injected video).
    None,
}

/// The recording's own history: a colour sequence it was filmed under (a replay of an earlier
/// session) with its start and lag, or none.
#[derive(Clone)]
struct Old {
    schedule: Option<FlashSchedule>,
    start: u64,
    lag: u64,
    light: Lighting,
}

/// One trial's conditions.
struct Trial {
    schedule: FlashSchedule,
    start: u64,
    lag: u64,
    light: Light,
    old: Old,
    recapture: Option<Recapture>,
    /// Per-channel camera gain drift (automatic white balance / exposure), per second.
    drift: [f32; 3],
    noise: f32,
    /// Tint the whole frame with the live sequence (a naive injection that knows the nonce).
    tint_all: Option<f32>,
}

fn random_lighting(rng: &mut StdRng) -> Lighting {
    let k_face = rng.gen_range(0.04..0.30);
    let warm = rng.gen_range(-0.15f32..0.15);
    Lighting {
        k_face,
        k_background: k_face * rng.gen_range(0.0..0.15),
        ambient: [1.0 + warm, 1.0, 1.0 - warm],
    }
}

/// Whether the face holds still (as the app asks during the flash) in the frames `idx`:
/// yaw and pitch within 10° of the first, the box centre within 5 % of the frame.
fn holds_still(rec: &Recording, idx: &[usize]) -> bool {
    let faces: Vec<_> = idx
        .iter()
        .filter_map(|i| {
            rec.frames
                .get(*i)
                .and_then(|f| f.2.signals.single_face().copied())
        })
        .collect();
    let Some(first) = faces.first() else {
        return false;
    };
    let (cx, cy) = first.face_box.center();
    faces.iter().all(|f| {
        let (x, y) = f.face_box.center();
        (f.yaw_deg - first.yaw_deg).abs() <= 10.0
            && (f.pitch_deg - first.pitch_deg).abs() <= 10.0
            && (x - cx).abs() <= 0.05
            && (y - cy).abs() <= 0.05
    })
}

/// The colour samples of a recording under `trial`, frame times looped back and forth so the
/// flash is covered (clips shorter than the sequence), and whether the face held still during
/// the flash.
fn trial_samples(
    rec: &Recording,
    trial: &Trial,
    rng: &mut StdRng,
    config: &FlashConfig,
    mesh_every: u32,
) -> (Vec<TimedColour>, bool) {
    let n = rec.frames.len();
    if n == 0 {
        return (Vec::new(), false);
    }
    let mut in_flash: Vec<usize> = Vec::new();
    let dt = if n > 1 {
        (rec.frames[n - 1].0 - rec.frames[0].0) / (n as u64 - 1)
    } else {
        66
    };
    let end = trial.start + trial.schedule.total_ms() + 600;
    let flash_end = trial.start + trial.schedule.total_ms() + config.max_lag_ms;
    let count = (end / dt.max(1) + 1) as usize;
    let mut out = Vec::with_capacity(count);
    // (frame index, time, reuses) of the last flash frame the mesh ran on.
    let mut meshed: Option<(usize, u64, u32)> = None;
    for k in 0..count {
        // Ping-pong through the frames.
        let period = 2 * n.saturating_sub(1).max(1);
        let i = k % period;
        let i = if i < n { i } else { period - i };
        let i = i.min(n - 1);
        let t = k as u64 * dt;
        if t >= trial.start && t <= trial.start + trial.schedule.total_ms() {
            in_flash.push(i);
        }
        let reuse = match meshed {
            Some((j, tj, r))
                if t <= flash_end
                    && r + 1 < mesh_every
                    && t - tj <= models::session::FLASH_REUSE_MAX_MS as u64 =>
            {
                meshed = Some((j, tj, r + 1));
                Some(j)
            }
            _ => None,
        };
        let a = &rec.frames[reuse.unwrap_or(i)].2;
        let img = &rec.frames[i].1;
        if reuse.is_none() {
            let usable = a.signals.single_face().is_some() && a.mesh.is_some();
            meshed = (t >= trial.start && t <= flash_end && usable).then_some((i, t, 0));
        }
        let (Some(face), Some(mesh), Some(bx)) = (a.face(), &a.mesh, pixel_box(a)) else {
            continue;
        };
        if a.signals.single_face().is_none() {
            continue;
        }
        let live = trial
            .schedule
            .colour_at(t as i64 - trial.start as i64 - trial.lag as i64);
        let old =
            trial.old.schedule.as_ref().and_then(|s| {
                s.colour_at(t as i64 - trial.old.start as i64 - trial.old.lag as i64)
            });
        let secs = t as f32 / 1000.0;
        let gain = trial.drift.map(|d| 1.0 + d * secs);
        let noise_seed: u64 = rng.gen();
        let cell = std::cell::RefCell::new(StdRng::seed_from_u64(noise_seed));
        let frame = img.frame();
        let sample = models::colour::colour_sample_mapped(&frame, face, mesh, |x, y, p| {
            // 1. What was recorded (with the light of the session it was filmed in).
            let mut p = simulate::lit_pixel(p, x, y, &bx, old, &trial.old.light);
            // 2. Re-filmed off a screen: tone curve and moiré.
            if let Some(r) = &trial.recapture {
                let (sin, cos) = r.moire_angle.sin_cos();
                let phase = (x * cos + y * sin) / r.moire_period * std::f32::consts::TAU;
                p = p.map(|v| {
                    let v = ((v / 255.0).clamp(0.0, 1.0).powf(r.gamma) - 0.5) * r.contrast + 0.5;
                    (v * 255.0 + r.moire * phase.sin()).clamp(0.0, 255.0)
                });
            }
            // 3. The live phone's light on what the camera films.
            p = match trial.light {
                Light::Live(l) => simulate::lit_pixel(p, x, y, &bx, live, &l),
                Light::Flat(s) => flat(p, live, s),
                Light::None => p,
            };
            if let (Some(s), Some(c)) = (trial.tint_all, live) {
                p = tint(p, c, s);
            }
            // 4. The camera: gain drift, sensor noise, 8 bits.
            let mut r = cell.borrow_mut();
            [0, 1, 2].map(|c| {
                (p[c] * gain[c] + trial.noise * normal(&mut r))
                    .round()
                    .clamp(0.0, 255.0)
            })
        });
        if let Some(colour) = sample {
            out.push(TimedColour { t_ms: t, colour });
        }
    }
    let still = holds_still(rec, &in_flash);
    (out, still)
}

fn srgb_to_linear(v: f32) -> f32 {
    let s = (v / 255.0).clamp(0.0, 1.0);
    if s <= 0.04045 {
        s / 12.92
    } else {
        ((s + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_to_srgb(v: f32) -> f32 {
    let v = v.clamp(0.0, 1.0);
    255.0
        * if v <= 0.003_130_8 {
            v * 12.92
        } else {
            1.055 * v.powf(1.0 / 2.4) - 0.055
        }
}

fn flat(p: [f32; 3], colour: Option<FlashColour>, strength: f32) -> [f32; 3] {
    let Some(c) = colour else { return p };
    let rgb = c.rgb();
    [0, 1, 2].map(|i| linear_to_srgb(srgb_to_linear(p[i]) + strength * f32::from(rgb[i]) / 255.0))
}

fn tint(p: [f32; 3], colour: FlashColour, k: f32) -> [f32; 3] {
    let rgb = colour.rgb();
    [0, 1, 2].map(|i| linear_to_srgb(srgb_to_linear(p[i]) * (1.0 + k * f32::from(rgb[i]) / 255.0)))
}

fn random_schedule(rng: &mut StdRng) -> FlashSchedule {
    FlashSchedule::from_seed(rng.gen())
}

/// A species of trials: how each trial is drawn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Species {
    Genuine,
    /// A recording (of an earlier session with its own sequence, or none) replayed on a screen
    /// held to the camera.
    ScreenReplay,
    /// The same recording injected as the camera (a virtual camera or a hooked app).
    Injected,
    /// An injected video whose whole frame is tinted with the right sequence.
    InjectedTinted,
    /// A printed photo held at the face's distance (lit like a face).
    Print,
}

fn draw_trial(species: Species, rng: &mut StdRng) -> Trial {
    let schedule = random_schedule(rng);
    let start = rng.gen_range(200..1200);
    let old = if species != Species::Genuine && rng.gen_bool(0.5) {
        Old {
            schedule: Some(random_schedule(rng)),
            start: rng.gen_range(0..2000),
            lag: rng.gen_range(20..250),
            light: random_lighting(rng),
        }
    } else {
        Old {
            schedule: None,
            start: 0,
            lag: 0,
            light: random_lighting(rng),
        }
    };
    let light = match species {
        Species::Genuine | Species::Print => Light::Live(random_lighting(rng)),
        Species::ScreenReplay => Light::Flat(rng.gen_range(0.01..0.10)),
        Species::Injected | Species::InjectedTinted => Light::None,
    };
    let recapture = (species == Species::ScreenReplay).then(|| Recapture {
        scale: rng.gen_range(0.3..0.6),
        gamma: rng.gen_range(0.8..1.25),
        contrast: rng.gen_range(0.7..1.0),
        moire: rng.gen_range(3.0..12.0),
        moire_period: rng.gen_range(3.0..9.0),
        moire_angle: rng.gen_range(0.0..3.1),
    });
    let d = 0.04;
    Trial {
        schedule,
        start,
        lag: rng.gen_range(20..250),
        light,
        old,
        recapture,
        drift: [
            rng.gen_range(-d..d),
            rng.gen_range(-d..d),
            rng.gen_range(-d..d),
        ],
        noise: rng.gen_range(1.0..4.0),
        tint_all: (species == Species::InjectedTinted).then(|| rng.gen_range(0.05..0.3)),
    }
}

struct Tally {
    passed: usize,
    trials: usize,
    correlations: Vec<f32>,
    /// Per trial: the correlation and whether every other condition held (coverage,
    /// background), for the threshold sweep.
    sweep: Vec<(f32, bool, bool)>,
    /// Trials in which the face held still during the flash, and how many of them passed.
    still: (usize, usize),
}

/// The flash frames' mesh interval evaluated: `PAD_EVAL_FLASH_MESH_EVERY` (1: a mesh on every
/// frame), else the runner's own.
fn mesh_every() -> u32 {
    std::env::var("PAD_EVAL_FLASH_MESH_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(models::session::FLASH_MESH_EVERY)
        .max(1)
}

fn flash_trials(
    rec: &Recording,
    species: Species,
    trials: usize,
    rng: &mut StdRng,
    config: &FlashConfig,
) -> Tally {
    let mut t = Tally {
        passed: 0,
        trials: 0,
        correlations: Vec::new(),
        sweep: Vec::new(),
        still: (0, 0),
    };
    let any_correlation = FlashConfig {
        min_correlation: -1.0,
        ..config.clone()
    };
    for _ in 0..trials {
        let trial = draw_trial(species, rng);
        let (samples, still) = trial_samples(rec, &trial, rng, config, mesh_every());
        let out = check_flash(&trial.schedule, trial.start, &samples, config);
        if still {
            t.still.1 += 1;
            if out.passed {
                t.still.0 += 1;
            }
        }
        let others = check_flash(&trial.schedule, trial.start, &samples, &any_correlation);
        t.sweep
            .push((others.correlation.unwrap_or(-1.0), others.passed, still));
        t.trials += 1;
        if out.passed {
            t.passed += 1;
        }
        if let Some(r) = out.correlation {
            t.correlations.push(r);
        }
    }
    t
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        "-".to_owned()
    } else {
        format!("{:.1} % ({n}/{d})", 100.0 * n as f64 / d as f64)
    }
}

fn quantiles(v: &mut [f32]) -> String {
    if v.is_empty() {
        return "-".to_owned();
    }
    v.sort_by(f32::total_cmp);
    let q = |p: f32| v[((v.len() - 1) as f32 * p).round() as usize];
    format!("{:.2} / {:.2} / {:.2}", q(0.05), q(0.5), q(0.95))
}

/// The PAD decision of a recording, key frames as `LivenessRunner` picks them.
fn pad_session(
    models: &mut FaceModels,
    frames: &[(u64, &common::Rgb, &FrameAnalysis)],
) -> (bool, Vec<f32>) {
    let plan = models::session::PadPlan::default();
    let mut scores = Vec::new();
    let mut last: Option<u64> = None;
    for (t, img, a) in frames {
        let (Some(face), Some(det)) = (a.signals.single_face(), a.face()) else {
            continue;
        };
        let due = last.is_none_or(|l| t.saturating_sub(l) >= plan.every_ms);
        let frontal =
            face.yaw_deg.abs() <= plan.max_pose_deg && face.pitch_deg.abs() <= plan.max_pose_deg;
        if due && frontal && scores.len() < plan.max_frames {
            if let Ok(Some(s)) = models.pad_score(&img.frame(), det) {
                scores.push(s);
                last = Some(*t);
            }
        }
    }
    (plan.config.decide(&scores).passed, scores)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = common::faces_dir() else {
        println!("face test data not found (shared/testdata/faces); nothing to evaluate");
        return Ok(());
    };
    let args: Vec<String> = std::env::args().collect();
    let trials: usize = args
        .iter()
        .position(|a| a == "--trials")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let mut models = FaceModels::load_bundled()?;
    let detector = models::detector_config();
    let flash_config = FlashConfig::default();
    let pad_config: PadConfig = models::session::PadPlan::default().config;
    let mut rng = StdRng::seed_from_u64(20261203);

    // ---- the recordings ----
    let load = |clip: &common::Clip| -> Vec<(u64, common::Rgb)> {
        common::clip_frames(&dir.join(clip.frames_dir), clip.fps)
            .into_iter()
            .map(|(t, p)| (t, common::load_rgb(&p)))
            .collect()
    };
    let started = Instant::now();
    let mut genuine: Vec<(Recording, Option<shared::liveness::Action>)> = Vec::new();
    let mut attacks_real: Vec<Recording> = Vec::new();
    for clip in common::CLIPS {
        match clip.expect {
            common::Expect::Actions(a) => genuine.push((
                analyse(&mut models, clip.name, load(clip))?,
                a.first().copied(),
            )),
            common::Expect::NoAction => {
                genuine.push((analyse(&mut models, clip.name, load(clip))?, None))
            }
            common::Expect::Report if clip.name.contains("replay") => {
                attacks_real.push(analyse(&mut models, clip.name, load(clip))?)
            }
            _ => {}
        }
    }
    println!(
        "Analysed {} genuine and {} replay recordings in {:.1} s.\n",
        genuine.len(),
        attacks_real.len(),
        started.elapsed().as_secs_f64()
    );

    // ---- layer 1: actions (real frames; the clip's own action as the challenge) ----
    println!("## Layer 1 — actions (real frames)\n");
    println!("| recording | challenge | detected | passes |");
    println!("|---|---|---|---|");
    let mut actions_pass = std::collections::HashMap::new();
    for (rec, action) in &genuine {
        let signals: Vec<_> = rec.frames.iter().map(|f| f.2.signals.clone()).collect();
        let report = ActionDetector::detect_all(detector.clone(), &signals);
        let ok = action.is_none_or(|a| report.detections.iter().any(|d| d.action == a));
        actions_pass.insert(rec.name.clone(), ok);
        println!(
            "| {} | {} | {} | {} |",
            rec.name,
            action.map_or("(neutral: any single action)".to_owned(), |a| a.to_string()),
            report
                .detections
                .iter()
                .map(|d| d.action.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if ok { "yes" } else { "no" }
        );
    }
    for rec in &attacks_real {
        let signals: Vec<_> = rec.frames.iter().map(|f| f.2.signals.clone()).collect();
        let report = ActionDetector::detect_all(detector.clone(), &signals);
        let faces = signals.iter().filter(|s| s.single_face().is_some()).count();
        println!(
            "| {} (attack, real) | an action it shows | {} | {} (face in {faces}/{} frames) |",
            rec.name,
            report
                .detections
                .iter()
                .map(|d| d.action.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if report.detections.is_empty() {
                "no"
            } else {
                "yes"
            },
            signals.len()
        );
    }

    // ---- layer 2: PAD ----
    println!(
        "\n## Layer 2 — anti-spoofing network (median live score of the session's key frames ≥ {})\n",
        pad_config.min_live_median
    );
    println!("| material | real/sim | sessions | refused | key-frame scores 5 % / 50 % / 95 % |");
    println!("|---|---|---|---|---|");
    let mut pad_genuine_pass = std::collections::HashMap::new();
    let (mut g_refused, mut g_total) = (0, 0);
    let mut g_scores = Vec::new();
    for (rec, _) in &genuine {
        let frames: Vec<_> = rec.frames.iter().map(|(t, i, a)| (*t, i, a)).collect();
        let (ok, mut s) = pad_session(&mut models, &frames);
        pad_genuine_pass.insert(rec.name.clone(), ok);
        g_total += 1;
        if !ok {
            g_refused += 1;
        }
        println!(
            "| {} | real, genuine | 1 | {} | {} |",
            rec.name,
            if ok { "no" } else { "YES" },
            quantiles(&mut s.clone())
        );
        g_scores.append(&mut s);
    }
    println!(
        "| **all genuine clips** | real | {g_total} | BPCER {} | {} |",
        pct(g_refused, g_total),
        quantiles(&mut g_scores)
    );
    let mut pad_attack_pass = std::collections::HashMap::new();
    for rec in &attacks_real {
        let frames: Vec<_> = rec.frames.iter().map(|(t, i, a)| (*t, i, a)).collect();
        let (ok, mut s) = pad_session(&mut models, &frames);
        pad_attack_pass.insert(rec.name.clone(), ok);
        println!(
            "| {} | real, attack | 1 | {} | {} |",
            rec.name,
            if ok { "no (ACCEPTED)" } else { "yes" },
            quantiles(&mut s)
        );
    }
    // Simulated screen replays of every genuine clip, several screens each.
    let (mut sim_accepted, mut sim_total) = (0, 0);
    let mut sim_scores = Vec::new();
    let screens = 4;
    for (rec, _) in &genuine {
        for _ in 0..screens {
            let r = Recapture {
                scale: rng.gen_range(0.3..0.6),
                gamma: rng.gen_range(0.8..1.25),
                contrast: rng.gen_range(0.7..1.0),
                moire: rng.gen_range(3.0..12.0),
                moire_period: rng.gen_range(3.0..9.0),
                moire_angle: rng.gen_range(0.0..3.1),
            };
            let mut tracker = models::FaceTracker::default();
            let mut frames = Vec::new();
            for (t, img, _) in rec.frames.iter().step_by(3) {
                let mut rgb = img.data.clone();
                simulate::screen_recapture(
                    &mut simulate::Image {
                        rgb: &mut rgb,
                        width: img.width,
                        height: img.height,
                    },
                    &r,
                );
                let copy = common::Rgb {
                    data: rgb,
                    width: img.width,
                    height: img.height,
                };
                let a = models.analyze_tracked(&copy.frame(), *t, &mut tracker)?;
                frames.push((*t, copy, a));
            }
            let view: Vec<_> = frames.iter().map(|(t, i, a)| (*t, i, a)).collect();
            let (ok, mut s) = pad_session(&mut models, &view);
            sim_total += 1;
            if ok {
                sim_accepted += 1;
            }
            sim_scores.append(&mut s);
        }
    }
    println!(
        "| genuine clips re-filmed off a screen | simulated | {sim_total} | APCER {} | {} |",
        pct(sim_accepted, sim_total),
        quantiles(&mut sim_scores)
    );
    println!(
        "\nStills (one image each; a still is one key frame, so the decision is its score):\n"
    );
    println!("| still | real | score | decision |");
    println!("|---|---|---|---|");
    let stills = [
        (
            "negatives/presentation_attack/p14_print_attack.jpg",
            "print (attack)",
        ),
        (
            "negatives/presentation_attack/p15_replay_phone_attack.jpg",
            "phone screen (attack)",
        ),
        (
            "negatives/presentation_attack/p16_genuine_live.jpg",
            "genuine",
        ),
    ];
    for (path, what) in stills {
        let img = common::load_rgb(&dir.join(path));
        let a = models.analyze_still(&img.frame())?;
        let score = match a.face() {
            Some(f) => models.pad_score(&img.frame(), f)?,
            None => None,
        };
        let live = score.is_some_and(|s| s >= pad_config.min_live_median);
        println!(
            "| {path} ({what}) | real | {} | {} |",
            score.map_or("no face".to_owned(), |s| format!("{s:.3}")),
            if live { "live" } else { "spoof" }
        );
    }
    // Genuine stills: the enrolment stills and the verification set (many cameras).
    let mut still_scores = Vec::new();
    let mut still_refused = 0;
    for entry in walk(&dir.join("stills"))
        .into_iter()
        .chain(walk(&dir.join("verification")))
    {
        let img = common::load_rgb(&entry);
        let a = models.analyze_still(&img.frame())?;
        if let Some(f) = a.face() {
            if let Some(s) = models.pad_score(&img.frame(), f)? {
                if s < pad_config.min_live_median {
                    still_refused += 1;
                }
                still_scores.push(s);
            }
        }
    }
    let n = still_scores.len();
    println!(
        "| stills/ and verification/ ({n} genuine photos, many cameras) | real | 5/50/95 %: {} | BPCER per photo {} |",
        quantiles(&mut still_scores),
        pct(still_refused, n)
    );

    // ---- layer 3: colour flash (simulated light) ----
    println!(
        "\n## Layer 3 — colour flash (SIMULATED light; {trials} trials per recording and species; \
         correlation ≥ {}, background ratio ≤ {}; the mesh on one flash frame in {})\n",
        flash_config.min_correlation,
        flash_config.max_background_ratio,
        mesh_every()
    );
    println!("| recording | species | passed | correlation 5 % / 50 % / 95 % |");
    println!("|---|---|---|---|");
    let mut flash_rates: std::collections::HashMap<(String, &'static str), (usize, usize)> =
        std::collections::HashMap::new();
    let mut sweeps: Vec<(&'static str, Vec<(f32, bool, bool)>)> = Vec::new();
    let mut still_genuine = (0usize, 0usize);
    let species_list: [(Species, &'static str); 5] = [
        (Species::Genuine, "genuine"),
        (Species::ScreenReplay, "screen replay"),
        (Species::Injected, "injected video"),
        (Species::InjectedTinted, "injected, whole frame tinted"),
        (Species::Print, "print (lit like a face)"),
    ];
    for (rec, _) in &genuine {
        for (species, label) in species_list {
            let mut t = flash_trials(rec, species, trials, &mut rng, &flash_config);
            flash_rates.insert((rec.name.clone(), label), (t.passed, t.trials));
            sweeps.push((label, std::mem::take(&mut t.sweep)));
            if species == Species::Genuine {
                still_genuine.0 += t.still.0;
                still_genuine.1 += t.still.1;
            }
            println!(
                "| {} | {label} | {} | {} |",
                rec.name,
                pct(t.passed, t.trials),
                quantiles(&mut t.correlations)
            );
        }
    }
    for rec in &attacks_real {
        for (species, label) in [(
            Species::ScreenReplay,
            "screen replay (real footage, sim light)",
        )] {
            let mut t = flash_trials(rec, species, trials, &mut rng, &flash_config);
            flash_rates.insert((rec.name.clone(), label), (t.passed, t.trials));
            println!(
                "| {} | {label} | {} | {} |",
                rec.name,
                pct(t.passed, t.trials),
                quantiles(&mut t.correlations)
            );
        }
    }

    // Threshold sweep of the correlation (everything else as configured).
    println!("\nPass rate by `min_correlation` (all recordings of each species together):\n");
    let thresholds = [0.6f32, 0.65, 0.7, 0.75, 0.8, 0.85];
    println!(
        "| species | {} |",
        thresholds
            .iter()
            .map(|t| format!("≥ {t}"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|{}", "---|".repeat(thresholds.len()));
    let rows: Vec<(String, Vec<(f32, bool, bool)>)> = species_list
        .iter()
        .map(|(_, label)| {
            let all = sweeps
                .iter()
                .filter(|(l, _)| l == label)
                .flat_map(|(_, v)| v.iter().copied())
                .collect();
            (label.to_string(), all)
        })
        .chain(std::iter::once((
            "genuine, face still during the flash".to_owned(),
            sweeps
                .iter()
                .filter(|(l, _)| *l == "genuine")
                .flat_map(|(_, v)| v.iter().copied().filter(|x| x.2))
                .collect(),
        )))
        .collect();
    for (label, all) in rows {
        let cells: Vec<String> = thresholds
            .iter()
            .map(|t| {
                pct(
                    all.iter().filter(|(r, ok, _)| *ok && r >= t).count(),
                    all.len(),
                )
            })
            .collect();
        println!("| {label} | {} |", cells.join(" | "));
    }

    // ---- all layers together ----
    println!("\n## All layers (accepted = actions ∧ PAD ∧ flash)\n");
    println!("| species | material | APCER / BPCER | which layer stops it |");
    println!("|---|---|---|---|");
    let sum = |label: &str| {
        flash_rates
            .iter()
            .filter(|((_, l), _)| *l == label)
            .fold((0, 0), |(p, n), (_, (a, b))| (p + a, n + b))
    };
    // Genuine: refused if any layer refuses.
    let (mut g_ok, mut g_n) = (0, 0);
    for (rec, _) in &genuine {
        let (p, n) = flash_rates[&(rec.name.clone(), "genuine")];
        let layers = actions_pass[&rec.name] && pad_genuine_pass[&rec.name];
        g_n += n;
        if layers {
            g_ok += p;
        }
    }
    println!(
        "| genuine | {} real clips × {trials} simulated flashes | BPCER {} | - |",
        genuine.len(),
        pct(g_n - g_ok, g_n)
    );
    println!(
        "| genuine, face still during the flash (what the app waits for) | {} of those trials | flash BPCER {} | - |",
        still_genuine.1,
        pct(still_genuine.1 - still_genuine.0, still_genuine.1)
    );
    for (label, what, stops) in [
        (
            "screen replay",
            "genuine clips, simulated screen",
            "flash; PAD (see layer 2)",
        ),
        ("injected video", "genuine clips, no live light", "flash"),
        (
            "injected, whole frame tinted",
            "genuine clips, naive tint",
            "flash (background test)",
        ),
        (
            "print (lit like a face)",
            "genuine clips as a stand-in for a print",
            "actions (a print cannot blink or turn) and PAD; the flash does NOT stop a print",
        ),
    ] {
        let (p, n) = sum(label);
        println!("| {label} | {what} | flash alone {} | {stops} |", pct(p, n));
    }
    for rec in &attacks_real {
        let (p, n) = flash_rates[&(rec.name.clone(), "screen replay (real footage, sim light)")];
        let pad_ok = pad_attack_pass[&rec.name];
        println!(
            "| screen replay | {} (real) | APCER {} (PAD {}, flash alone {}) | {} |",
            rec.name,
            pct(if pad_ok { p } else { 0 }, n),
            if pad_ok { "accepts" } else { "refuses" },
            pct(p, n),
            if pad_ok { "flash" } else { "PAD, flash" }
        );
    }

    // ---- evidence reuse ----
    let reuse = ReuseConfig::default();
    println!(
        "\n## Evidence reuse (256-bit perceptual hash of the face region; a frame matches within {} bits; \
         a reuse needs ≥ {} matching frames and ≥ {:.0} % of them)\n",
        reuse.max_bits,
        reuse.min_matching_frames,
        reuse.min_matching_fraction * 100.0
    );
    use shared::liveness::reuse::{distance, FrameHash};
    let hashes = |rec: &Recording| -> Vec<FrameHash> {
        rec.frames
            .iter()
            .map(|(_, img, a)| models::fingerprint::face_hash(&img.frame(), a.face()))
            .collect()
    };
    // Each frame's nearest hash among `others`.
    let nearest = |h: &FrameHash, others: &[FrameHash]| {
        others.iter().map(|o| distance(h, o)).min().unwrap_or(256)
    };
    println!("| compared | nearest distance 5 % / 50 % / 95 % (bits) | frames matching | refused as reuse |");
    println!("|---|---|---|---|");
    let by_name = |n: &str| genuine.iter().find(|(r, _)| r.name == n).map(|(r, _)| r);
    let mut false_reuse = 0;
    let mut comparisons = 0;
    for (a, b, what) in [
        (
            "p07_neutral",
            "p07_nod",
            "same person, same place, next seconds of one video",
        ),
        (
            "p07_nod",
            "p07_turn_left_right",
            "same person, another video",
        ),
        (
            "p08_turn_left_right",
            "p08_look_up_down",
            "same person, same video",
        ),
        ("p01_blink", "p02_blink", "two people"),
    ] {
        if let (Some(x), Some(y)) = (by_name(a), by_name(b)) {
            let (hx, hy) = (hashes(x), hashes(y));
            let mut d: Vec<f32> = hx.iter().map(|h| nearest(h, &hy) as f32).collect();
            let m = shared::liveness::reuse::matching_frames(&hx, &hy, reuse.max_bits);
            let r = reuse.is_reuse(&hx, &hy);
            comparisons += 1;
            if r {
                false_reuse += 1;
            }
            println!(
                "| {a} vs {b} ({what}) | {} | {m}/{} | {} |",
                quantiles(&mut d),
                hx.len(),
                if r { "YES (wrong)" } else { "no" }
            );
        }
    }
    // Within each genuine clip: a frame against the frames at least a second away (the person a
    // moment later).
    let mut later: Vec<f32> = Vec::new();
    for (rec, _) in &genuine {
        let h = hashes(rec);
        for (i, (t, _, _)) in rec.frames.iter().enumerate() {
            let far: Vec<FrameHash> = rec
                .frames
                .iter()
                .zip(&h)
                .filter(|((u, _, _), _)| u.abs_diff(*t) >= 1000)
                .map(|(_, x)| *x)
                .collect();
            if !far.is_empty() {
                later.push(nearest(&h[i], &far) as f32);
            }
        }
    }
    println!(
        "| every genuine frame vs its own clip ≥ 1 s away | {} | - | - |",
        quantiles(&mut later)
    );
    // The same frames re-encoded (JPEG 70), resized 90 %, with noise: what a replay of accepted
    // evidence looks like after the server's re-encoding.
    let mut again_d: Vec<f32> = Vec::new();
    let mut replayed = 0;
    for (rec, _) in &genuine {
        let original = hashes(rec);
        let mut again = Vec::new();
        for (_, img, a) in &rec.frames {
            let edited = edit(img, &mut rng);
            let scale = edited.width as f32 / img.width as f32;
            let face = a.face().map(|f| models::FaceDetection {
                xmin: f.xmin * scale,
                ymin: f.ymin * scale,
                xmax: f.xmax * scale,
                ymax: f.ymax * scale,
                ..*f
            });
            again.push(models::fingerprint::face_hash(
                &edited.frame(),
                face.as_ref(),
            ));
        }
        for (x, y) in original.iter().zip(&again) {
            again_d.push(distance(x, y) as f32);
        }
        if reuse.is_reuse(&again, &original) {
            replayed += 1;
        }
    }
    println!(
        "| each genuine clip vs itself re-encoded (JPEG 70, 90 % size, noise) | {} | - | {replayed}/{} refused |",
        quantiles(&mut again_d),
        genuine.len()
    );
    println!("\nOther recordings wrongly refused as reuse: {false_reuse}/{comparisons}.");
    println!("\nTotal time {:.0} s.", started.elapsed().as_secs_f64());
    Ok(())
}

/// A frame re-encoded as JPEG 70 at 90 % size with a little noise.
fn edit(img: &common::Rgb, rng: &mut StdRng) -> common::Rgb {
    let buf = image::RgbImage::from_raw(img.width, img.height, img.data.clone()).expect("image");
    let (w, h) = ((img.width * 9 / 10).max(1), (img.height * 9 / 10).max(1));
    let mut small = image::imageops::resize(&buf, w, h, image::imageops::FilterType::Triangle);
    for p in small.pixels_mut() {
        for c in p.0.iter_mut() {
            *c = (f32::from(*c) + 2.0 * normal(rng))
                .round()
                .clamp(0.0, 255.0) as u8;
        }
    }
    let mut jpeg = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 70);
    small.write_with_encoder(enc).expect("jpeg");
    let back = image::load_from_memory(&jpeg).expect("decode").to_rgb8();
    let (width, height) = back.dimensions();
    common::Rgb {
        data: back.into_raw(),
        width,
        height,
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p
                .extension()
                .is_some_and(|x| x == "jpg" || x == "jpeg" || x == "png")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
