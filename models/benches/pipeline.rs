//! Speed of the face pipeline, single thread (tract runs on the calling thread).
//!
//! `cargo bench -p models` — per-frame pipeline (detect + mesh + eye contours + signals) on
//! 640×480 frames, embedding per face, and each network alone on the same input shapes as
//! `convert/ort_bench.py` (onnxruntime) so the two can be put side by side.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use models::assets::{DETECTOR, EMBEDDER, EYES, LANDMARKS};
use models::FaceModels;

fn stats(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut models = FaceModels::load_bundled()?;
    println!("| what | median ms | p95 ms | n |");
    println!("|---|---|---|---|");

    // Each network alone, fixed pseudo-random input (same shapes as the onnxruntime script).
    for (m, len) in [
        (DETECTOR, 3 * 128 * 128),
        (LANDMARKS, 3 * 192 * 192),
        (EYES, 3 * 64 * 64),
        (EMBEDDER, 3 * 112 * 112),
    ] {
        let input: Vec<f32> = (0..len)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
            .collect();
        for _ in 0..5 {
            models.run_raw(&m, &input)?;
        }
        let mut ms = Vec::new();
        for _ in 0..100 {
            let t = Instant::now();
            models.run_raw(&m, &input)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let (med, p95) = stats(ms);
        println!("| tract {} | {med:.2} | {p95:.2} | 100 |", m.name);
    }

    let Some(dir) = common::faces_dir() else {
        println!("face test data not found: pipeline timings skipped");
        return Ok(());
    };
    // Real frames, resized to 640×480 (the p01 and p07 clips).
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
    for f in frames.iter().take(5) {
        models.analyze(&models::Frame::new(f, 640, 480)?, 0)?;
    }
    let (mut per_frame, mut detect, mut embed) = (Vec::new(), Vec::new(), Vec::new());
    for (k, f) in frames.iter().enumerate() {
        let frame = models::Frame::new(f, 640, 480)?;
        let t = Instant::now();
        models.detect(&frame)?;
        detect.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let a = models.analyze(&frame, k as u64 * 67)?;
        per_frame.push(t.elapsed().as_secs_f64() * 1e3);
        if let Some(mesh) = &a.mesh {
            let t = Instant::now();
            models.embed(&frame, mesh)?;
            embed.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    for (name, v) in [
        ("detection incl. pre/post-processing, 640×480", detect),
        (
            "per-frame pipeline (detect + mesh + eyes + signals), 640×480",
            per_frame,
        ),
        ("embedding per face (align + MobileFaceNet)", embed),
    ] {
        let n = v.len();
        let (med, p95) = stats(v);
        println!("| {name} | {med:.2} | {p95:.2} | {n} |");
    }
    Ok(())
}
