//! Speed of the face pipeline, single thread (tract runs on the calling thread).
//!
//! `cargo bench -p models` — per-frame pipeline (detect + mesh + signals) on
//! 640×480 frames, each frame alone and with the face tracked as `LivenessRunner` runs it;
//! embedding per face; and each network alone on the same input shapes as
//! `convert/ort_bench.py` (onnxruntime) so the two can be put side by side.
//!
//! Two clocks: wall time, and (on Linux) the thread's CPU time, which leaves out the time other
//! processes had the core — on a busy machine the CPU column is the steadier one (sharing the
//! caches with them still slows it somewhat).
//! `BENCH_ONLY=tracked` runs only the tracked pipeline (for a profiler).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use models::assets::{DETECTOR, EMBEDDER, LANDMARKS, PAD};
use models::FaceModels;

/// The calling thread's CPU time in ns (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`, from the C
/// library every Linux program links; the crate itself has no such call).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn cpu_ns() -> Option<u64> {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec (two 64-bit fields on 64-bit Linux).
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.sec as u64 * 1_000_000_000 + ts.nsec as u64)
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn cpu_ns() -> Option<u64> {
    None
}

/// Wall and CPU milliseconds of many runs.
#[derive(Default)]
struct Times {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

impl Times {
    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let (c0, t0) = (cpu_ns(), Instant::now());
        let out = f();
        self.wall.push(t0.elapsed().as_secs_f64() * 1e3);
        if let (Some(a), Some(b)) = (c0, cpu_ns()) {
            self.cpu.push(b.saturating_sub(a) as f64 / 1e6);
        }
        out
    }

    fn row(self, name: &str) -> String {
        let n = self.wall.len();
        let (wm, wp) = stats(self.wall);
        let cpu = if self.cpu.is_empty() {
            "- | -".to_owned()
        } else {
            let (cm, cp) = stats(self.cpu);
            format!("{cm:.2} | {cp:.2}")
        };
        format!("| {name} | {wm:.2} | {wp:.2} | {cpu} | {n} |")
    }
}

fn stats(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut models = FaceModels::load_bundled()?;
    let only_tracked = std::env::var("BENCH_ONLY").is_ok_and(|v| v == "tracked");
    // `BENCH_ONLY=recheck`: the server's re-check rows alone.
    if std::env::var("BENCH_ONLY").is_ok_and(|v| v == "recheck") {
        let frames = bench_frames()?;
        println!("| what | median ms | p95 ms | CPU median ms | CPU p95 ms | n |");
        println!("|---|---|---|---|---|---|");
        recheck_bench(&mut models, &frames, 60, false, 1)?;
        recheck_bench(&mut models, &frames, 120, true, 1)?;
        return recheck_bench(
            &mut models,
            &frames,
            120,
            true,
            models::session::FLASH_MESH_EVERY,
        );
    }
    println!(
        "tract's depthwise kernel here: {}\n",
        models::kernels::depthwise_kernel_in_use().unwrap_or("none (scalar)")
    );
    println!("| what | median ms | p95 ms | CPU median ms | CPU p95 ms | n |");
    println!("|---|---|---|---|---|---|");

    // Each network alone, fixed pseudo-random input (same shapes as the onnxruntime script).
    for (m, len) in [
        (DETECTOR, 3 * 128 * 128),
        (LANDMARKS, 3 * 192 * 192),
        (EMBEDDER, 3 * 112 * 112),
        (PAD, 3 * 32 * 32),
    ] {
        if only_tracked {
            break;
        }
        let input: Vec<f32> = (0..len)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
            .collect();
        for _ in 0..5 {
            models.run_raw(&m, &input)?;
        }
        let mut t = Times::default();
        for _ in 0..100 {
            t.time(|| models.run_raw(&m, &input))?;
        }
        println!("{}", t.row(&format!("tract {}", m.name)));
    }

    let frames = bench_frames()?;
    if frames.is_empty() {
        println!("face test data not found: pipeline timings skipped");
        return Ok(());
    }
    for f in frames.iter().take(5) {
        models.analyze(&models::Frame::new(f, 640, 480)?, 0)?;
    }
    let (mut per_frame, mut detect, mut embed) =
        (Times::default(), Times::default(), Times::default());
    for (k, f) in frames.iter().enumerate() {
        if only_tracked {
            break;
        }
        let frame = models::Frame::new(f, 640, 480)?;
        detect.time(|| models.detect(&frame))?;
        let a = per_frame.time(|| models.analyze(&frame, k as u64 * 67))?;
        if let Some(mesh) = &a.mesh {
            embed.time(|| models.embed(&frame, mesh))?;
        }
    }
    // As `LivenessRunner` runs a video: the face followed from frame to frame, the detector
    // every 5th frame (or sooner when the face is lost or moves fast). Several passes over the
    // frames (a new tracker each time).
    let mut tracked = Times::default();
    let (mut frames_seen, mut detector_runs, mut refined) = (0, 0, 0);
    for _ in 0..if only_tracked { 10 } else { 3 } {
        let mut tracker = models::FaceTracker::default();
        for (k, f) in frames.iter().enumerate() {
            let frame = models::Frame::new(f, 640, 480)?;
            tracked.time(|| models.analyze_tracked(&frame, k as u64 * 67, &mut tracker))?;
        }
        let (n, d) = tracker.counts();
        frames_seen += n;
        detector_runs += d;
        refined += tracker.refinements();
    }
    // Presentation-attack resistance (issue 13): what it adds per frame on the phone — the
    // colour sample on every frame (inside the tracked pipeline above too), the anti-spoofing
    // network on a key frame at most every 400 ms (1 frame in 6 at 15 fps) — and the server's
    // fingerprint of every evidence frame.
    let (mut colour, mut pad, mut print) = (Times::default(), Times::default(), Times::default());
    if !only_tracked {
        for f in &frames {
            let frame = models::Frame::new(f, 640, 480)?;
            let a = models.analyze(&frame, 0)?;
            if let (Some(face), Some(mesh)) = (a.face(), &a.mesh) {
                colour.time(|| models::colour::colour_sample(&frame, face, mesh));
                pad.time(|| models.pad_score(&frame, face))?;
                print.time(|| models::fingerprint::face_hash(&frame, Some(face)));
            }
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (wall_mean, cpu_mean) = (mean(&tracked.wall), mean(&tracked.cpu));
    if !only_tracked {
        println!(
            "{}",
            detect.row("detection incl. pre/post-processing, 640×480")
        );
        println!(
            "{}",
            per_frame
                .row("per-frame pipeline, every frame alone (detect + mesh + signals), 640×480")
        );
    }
    println!(
        "{}",
        tracked.row(
            "per-frame pipeline, face tracked (mesh + signals; detector on some frames), \
             640×480"
        )
    );
    if !only_tracked {
        println!(
            "{}",
            embed.row("embedding per face (align + MobileFaceNet)")
        );
    }
    if !only_tracked {
        let median = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(0.0)
        };
        let (c, p) = (median(&colour.cpu), median(&pad.cpu));
        println!(
            "{}",
            colour.row("colour sample for the flash (skin + background), per frame")
        );
        println!(
            "{}",
            pad.row("anti-spoofing network on a face (crop + pad_liveness)")
        );
        println!(
            "{}",
            print.row("fingerprint of a frame (256-bit face pHash; server only)")
        );
        println!(
            "\nExtra per frame on the phone for presentation-attack resistance (CPU medians): \
             colour {c:.3} ms + PAD {p:.3} ms / 6 = {:.3} ms",
            c + p / 6.0
        );
        recheck_bench(&mut models, &frames, 60, false, 1)?;
        recheck_bench(&mut models, &frames, 120, true, 1)?;
        recheck_bench(
            &mut models,
            &frames,
            120,
            true,
            models::session::FLASH_MESH_EVERY,
        )?;
    }
    println!(
        "\nTracked: mean {wall_mean:.2} ms per frame (CPU {cpu_mean:.2} ms); the detector ran on \
         {detector_runs} of {frames_seen} frames; {refined} tracked frames measured the mesh twice."
    );
    Ok(())
}

/// The server's re-check of one evidence (JPEG decode, `LivenessRunner` with the anti-spoofing
/// network, a fingerprint per frame), CPU time, as `server::recheck::recheck` does it (the
/// server crate is not a dependency here). With `flash`, as the app sends it: 120 frames — a
/// second of lead-in every 100 ms, the flash's 3 s every 60 ms, then the actions and the tail
/// every 100 ms. Without: `n` frames every 100 ms (an evidence before the flash existed).
/// `mesh_every`: the mesh on one flash frame in this many (1: every frame, as before issue 13's
/// last step; the runner's default is `FLASH_MESH_EVERY`).
fn recheck_bench(
    models: &mut FaceModels,
    frames: &[Vec<u8>],
    n: usize,
    flash: bool,
    mesh_every: u32,
) -> Result<(), Box<dyn std::error::Error>> {
    use shared::liveness::{Action, ChallengeActions, FlashConfig, FlashSchedule};
    let jpegs: Vec<Vec<u8>> = frames
        .iter()
        .take(n)
        .map(|f| {
            let img = image::RgbImage::from_raw(640, 480, f.clone()).expect("frame");
            let mut out = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
                .encode_image(&img)
                .expect("jpeg");
            out
        })
        .collect();
    let mut t = Times::default();
    for round in 0..3u64 {
        t.time(|| -> Result<(), Box<dyn std::error::Error>> {
            let mut runner = models::LivenessRunner::new(
                ChallengeActions::new([Action::Blink, Action::ShakeHead])?,
                models::detector_config(),
                models::IdentityConfig::default(),
            )
            .with_flash_mesh_every(mesh_every);
            if flash {
                runner = runner.with_flash(FlashSchedule::from_seed(round), FlashConfig::default());
                runner.flash_started(1_000);
            }
            let t_of = |k: u64| match k {
                _ if !flash => k * 100,
                0..10 => k * 100,
                10..60 => 1_000 + (k - 10) * 60,
                _ => 4_000 + (k - 60) * 100,
            };
            for (k, j) in jpegs.iter().enumerate() {
                let img = image::load_from_memory(j)?.to_rgb8();
                let (w, h) = img.dimensions();
                let frame = models::Frame::new(img.as_raw(), w, h)?;
                let (a, _) = runner.push(models, &frame, t_of(k as u64))?;
                std::hint::black_box(models::fingerprint::face_hash(&frame, a.face()));
            }
            std::hint::black_box(runner.finish());
            Ok(())
        })?;
    }
    println!(
        "{}",
        t.row(&format!(
            "server re-check of one evidence ({} frames{}: decode, runner, fingerprints)",
            jpegs.len(),
            match (flash, mesh_every) {
                (false, _) => " every 100 ms, no flash".to_owned(),
                (true, 1) => ", with the flash, mesh on every flash frame".to_owned(),
                (true, n) => format!(", with the flash, mesh on 1 flash frame in {n}"),
            }
        ))
    );
    Ok(())
}

/// Real frames resized to 640×480 (the p01 and p07 clips); none without the face data.
fn bench_frames() -> Result<Vec<Vec<u8>>, Box<dyn std::error::Error>> {
    let Some(dir) = common::faces_dir() else {
        return Ok(Vec::new());
    };
    let mut frames = Vec::new();
    for (clip, fps) in [
        ("actions/blink/p01_blink_frames", 15.0),
        ("actions/turn_head/p07_turn_left_right_frames", 15.0),
    ] {
        for (_, p) in common::clip_frames(&dir.join(clip), fps) {
            let img = image::open(&p)?.to_rgb8();
            let img =
                image::imageops::resize(&img, 640, 480, image::imageops::FilterType::Triangle);
            frames.push(img.into_raw());
        }
    }
    Ok(frames)
}
