//! Evaluation on the real face test data: every clip, still and pair, with what was expected,
//! what was detected, and timing.
//!
//! `cargo run -p models --release --example eval` (reads `../shared/testdata/faces` beside the
//! workspace, or `ZHANYOU_FACES_DIR`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::time::Instant;

use common::{Expect, CLIPS, STILLS};
use models::{FaceModels, MATCH_THRESHOLD};
use shared::liveness::{ActionDetector, FrameSignals, QualityIssue};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = common::faces_dir() else {
        println!("face test data not found (shared/testdata/faces); nothing to evaluate");
        return Ok(());
    };
    let mut models = FaceModels::load_bundled()?;
    let config = models::detector_config();
    let mut failures = 0;

    // `-- --untracked`: every frame analysed on its own (detector on every frame), instead of
    // following the face as `LivenessRunner` does.
    let untracked = std::env::args().any(|a| a == "--untracked");
    let (mut detector_runs, mut total_frames, mut refined) = (0, 0, 0);
    println!(
        "## Clips (frames at their stored rate; detector = models::detector_config(); {})\n",
        if untracked {
            "every frame analysed alone"
        } else {
            "face tracked, as LivenessRunner runs"
        }
    );
    println!("| clip | expected | detected (end time s) | frames with 1 face | most frequent issues | ms/frame | ok |");
    println!("|---|---|---|---|---|---|---|");
    for clip in CLIPS {
        let frames = common::clip_frames(&dir.join(clip.frames_dir), clip.fps);
        let mut signals: Vec<FrameSignals> = Vec::new();
        let mut ms = 0.0;
        let mut tracker = models::FaceTracker::new(models::TrackConfig {
            detect_every: if untracked { 1 } else { 5 },
            ..models::TrackConfig::default()
        });
        for (t, path) in &frames {
            let img = common::load_rgb(path);
            let start = Instant::now();
            let a = if untracked {
                models.analyze(&img.frame(), *t)?
            } else {
                models.analyze_tracked(&img.frame(), *t, &mut tracker)?
            };
            ms += start.elapsed().as_secs_f64() * 1000.0;
            signals.push(a.signals);
        }
        detector_runs += tracker.counts().1 as usize;
        refined += tracker.refinements() as usize;
        total_frames += frames.len();
        let report = ActionDetector::detect_all(config.clone(), &signals);
        let detected: Vec<String> = report
            .detections
            .iter()
            .map(|d| format!("{} ({:.1})", d.action, d.end_ms as f64 / 1000.0))
            .collect();
        let single = signals.iter().filter(|s| s.single_face().is_some()).count();
        let mut counts: HashMap<QualityIssue, usize> = HashMap::new();
        for s in &signals {
            for i in &s.issues {
                *counts.entry(*i).or_default() += 1;
            }
        }
        let mut top: Vec<(QualityIssue, usize)> = counts.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.priority().cmp(&b.0.priority())));
        let issues: Vec<String> = top
            .iter()
            .take(3)
            .map(|(i, n)| format!("{i} {n}"))
            .collect();
        let found = |a| report.detections.iter().any(|d| d.action == a);
        let (expected, ok) = match clip.expect {
            Expect::Actions(want) => {
                let all = want.iter().all(|a| found(*a));
                (
                    want.iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join("+"),
                    if all { "yes" } else { "NO" },
                )
            }
            Expect::NoAction => (
                "no action".to_owned(),
                if report.detections.is_empty() {
                    "yes"
                } else {
                    "NO"
                },
            ),
            Expect::Issue(issue) => {
                let n = signals.iter().filter(|s| s.issues.contains(&issue)).count();
                (
                    issue.to_string(),
                    if n * 2 > signals.len() { "yes" } else { "NO" },
                )
            }
            Expect::Report => ("(report)".to_owned(), "-"),
        };
        if ok == "NO" {
            failures += 1;
        }
        println!(
            "| {} | {} | {} | {}/{} | {} | {:.1} | {} |",
            clip.name,
            expected,
            if detected.is_empty() {
                "none".to_owned()
            } else {
                detected.join(", ")
            },
            single,
            signals.len(),
            issues.join(", "),
            ms / frames.len().max(1) as f64,
            ok
        );
    }

    if !untracked {
        println!(
            "\nFace detector ran on {detector_runs} of {total_frames} clip frames (the others \
             followed the face from the previous frame's mesh; {refined} of those measured the \
             mesh twice, the face moving fast)."
        );
    }
    println!("\n## Stills\n");
    println!("| image | expected issue | faces | issues | ok |");
    println!("|---|---|---|---|---|");
    for (path, issue) in STILLS {
        let img = common::load_rgb(&dir.join(path));
        let a = models.analyze_still(&img.frame())?;
        let ok = a.signals.issues.contains(issue);
        if !ok {
            failures += 1;
        }
        let issues: Vec<String> = a.signals.issues.iter().map(|i| i.to_string()).collect();
        println!(
            "| {path} | {issue} | {} | {} | {} |",
            a.signals.faces,
            issues.join(", "),
            if ok { "yes" } else { "NO" }
        );
    }

    println!(
        "\n## Pairs (cosine similarity of MobileFaceNet embeddings; threshold {MATCH_THRESHOLD})\n"
    );
    println!("| pair | same | similarity | decision | ms/embedding |");
    println!("|---|---|---|---|---|");
    let mut scored = Vec::new();
    for (id, a, b, same) in common::pairs(&dir) {
        let mut embs = Vec::new();
        let mut ms = 0.0;
        for p in [&a, &b] {
            let img = common::load_rgb(p);
            let frame = img.frame();
            let an = models.analyze_still(&frame)?;
            let start = Instant::now();
            let e = match &an.mesh {
                Some(m) => models.embed(&frame, m)?,
                None => None,
            };
            ms += start.elapsed().as_secs_f64() * 1000.0;
            embs.push(e);
        }
        match (&embs[0], &embs[1]) {
            (Some(x), Some(y)) => {
                let s = x.similarity(y);
                let decision = models::compare(Some(x), y);
                let ok = decision.is_match() == same;
                if !ok {
                    failures += 1;
                }
                scored.push((s, same));
                println!(
                    "| {id} | {} | {s:.3} | {} | {:.1} |",
                    same as u8,
                    if decision.is_match() {
                        "match"
                    } else {
                        "no match"
                    },
                    ms / 2.0
                );
            }
            _ => {
                failures += 1;
                println!("| {id} | {} | no face found | - | - |", same as u8);
            }
        }
    }
    let pos = scored.iter().filter(|(_, s)| *s).count();
    let neg = scored.len() - pos;
    let tar = scored
        .iter()
        .filter(|(v, s)| *s && *v >= MATCH_THRESHOLD)
        .count();
    let far = scored
        .iter()
        .filter(|(v, s)| !*s && *v >= MATCH_THRESHOLD)
        .count();
    println!("\nAt threshold {MATCH_THRESHOLD}: TAR {tar}/{pos}, FAR {far}/{neg}.");
    println!("\nThreshold sweep:\n");
    println!("| threshold | TAR | FAR |");
    println!("|---|---|---|");
    for t in [0.3f32, 0.4, 0.5, 0.55, 0.58, 0.6, 0.62, 0.65, 0.7] {
        let tar = scored.iter().filter(|(v, s)| *s && *v >= t).count();
        let far = scored.iter().filter(|(v, s)| !*s && *v >= t).count();
        println!("| {t:.2} | {tar}/{pos} | {far}/{neg} |");
    }
    println!("\n{failures} expectation(s) not met.");
    Ok(())
}
