//! Proof on real faces: the clips, stills and pairs of `shared/testdata/faces` (see its
//! MANIFEST.md). Skipped, with a note, when the data is absent.

mod common;

use std::path::Path;

use common::{Expect, CLIPS, STILLS};
use models::{
    Comparison, FaceModels, FaceTracker, IdentityConfig, LivenessRunner, MATCH_THRESHOLD,
};
use shared::liveness::{
    Action, ActionDetector, ChallengeActions, FailReason, FlashConfig, FlashSchedule, FrameSignals,
    QualityIssue,
};

fn data() -> Option<std::path::PathBuf> {
    let dir = common::faces_dir();
    if dir.is_none() {
        println!("NOTE: shared/testdata/faces not found; real-face tests skipped");
    }
    dir
}

fn signals_of(
    models: &mut FaceModels,
    dir: &Path,
    frames_dir: &str,
    fps: f32,
) -> Vec<FrameSignals> {
    // As the app and the server's re-check run a clip: the face followed from frame to frame.
    let mut tracker = FaceTracker::default();
    common::clip_frames(&dir.join(frames_dir), fps)
        .iter()
        .map(|(t, p)| {
            models
                .analyze_tracked(&common::load_rgb(p).frame(), *t, &mut tracker)
                .expect("analysis runs")
                .signals
        })
        .collect()
}

#[test]
fn action_clips_show_their_action_and_neutral_clips_none() {
    let Some(dir) = data() else { return };
    let mut models = FaceModels::load_bundled().unwrap();
    let mut wrong = Vec::new();
    for clip in CLIPS {
        let want: &[Action] = match clip.expect {
            Expect::Actions(a) => a,
            Expect::NoAction => &[],
            _ => continue,
        };
        let signals = signals_of(&mut models, &dir, clip.frames_dir, clip.fps);
        let got: Vec<Action> = ActionDetector::detect_all(models::detector_config(), &signals)
            .detections
            .iter()
            .map(|d| d.action)
            .collect();
        // Action clips: the action is found (p05 also really blinks, at 1.67 s). Neutral clips:
        // nothing at all.
        let ok = if want.is_empty() {
            got.is_empty()
        } else {
            want.iter().all(|a| got.contains(a))
        };
        println!("{}: want {want:?}, got {got:?}", clip.name);
        if !ok {
            wrong.push(format!("{}: want {want:?}, got {got:?}", clip.name));
        }
    }
    assert!(
        wrong.is_empty(),
        "clips with the wrong actions:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn bad_pictures_get_their_quality_issue() {
    let Some(dir) = data() else { return };
    let mut models = FaceModels::load_bundled().unwrap();
    for (path, issue) in STILLS {
        let img = common::load_rgb(&dir.join(path));
        let a = models.analyze_still(&img.frame()).unwrap();
        println!(
            "{path}: faces {}, issues {:?}",
            a.signals.faces, a.signals.issues
        );
        assert!(
            a.signals.issues.contains(issue),
            "{path}: expected {issue}, got {:?}",
            a.signals.issues
        );
    }
    // Good enrolment stills have one face and no issue at all.
    for path in [
        "stills/p01/p01_enroll.jpg",
        "stills/p05/p05_enroll.jpg",
        "stills/p07/p07_enroll.jpg",
    ] {
        let img = common::load_rgb(&dir.join(path));
        let a = models.analyze(&img.frame(), 0).unwrap();
        assert_eq!(a.signals.faces, 1, "{path}");
        assert!(
            a.signals.issues.is_empty(),
            "{path}: {:?}",
            a.signals.issues
        );
        assert!(a.signals.single_face().is_some(), "{path}");
    }
    // The two-person clip is "several faces" throughout.
    let signals = signals_of(
        &mut models,
        &dir,
        "actions/head_roll/p09_p12_head_roll_two_people_frames",
        12.0,
    );
    let multi = signals
        .iter()
        .filter(|s| s.issues.contains(&QualityIssue::MultipleFaces))
        .count();
    assert!(
        multi * 10 >= signals.len() * 9,
        "{multi}/{} frames with multiple faces",
        signals.len()
    );
}

#[test]
fn mirroring_swaps_eyes_and_yaw_sign() {
    let Some(dir) = data() else { return };
    let mut models = FaceModels::load_bundled().unwrap();
    // A frame of p07 turned with the nose toward the image's right (≈ −40° in MANIFEST).
    let frames = common::clip_frames(
        &dir.join("actions/turn_head/p07_turn_left_right_frames"),
        15.0,
    );
    let (_, path) = frames.iter().find(|(t, _)| *t >= 2_130).unwrap();
    let img = common::load_rgb(path);
    let plain = models
        .analyze(&img.frame(), 0)
        .unwrap()
        .signals
        .face
        .unwrap();
    let mirrored = models
        .analyze(&img.frame().mirrored(true), 0)
        .unwrap()
        .signals
        .face
        .unwrap();
    assert!(
        plain.yaw_deg < -15.0,
        "nose to image right is negative yaw: {}",
        plain.yaw_deg
    );
    assert!(mirrored.yaw_deg > 15.0, "mirrored: {}", mirrored.yaw_deg);
    assert!((plain.left_eye_openness - mirrored.right_eye_openness).abs() < 0.03);
}

#[test]
fn pairs_split_at_the_threshold() {
    let Some(dir) = data() else { return };
    let mut models = FaceModels::load_bundled().unwrap();
    let (mut tar, mut pos, mut far, mut neg) = (0, 0, 0, 0);
    for (id, a, b, same) in common::pairs(&dir) {
        let mut embed = |p: &Path| {
            let img = common::load_rgb(p);
            models.embed_main_face(&img.frame()).unwrap().1
        };
        // Every image has a usable face, S13's phone screen held up to a webcam too (the
        // MANIFEST says MediaPipe's older mesh found none there; the shipped one does).
        let (Some(ea), Some(eb)) = (embed(&a), embed(&b)) else {
            panic!("{id}: no face found");
        };
        let c = models::compare(Some(&ea), &eb);
        println!("{id} same={same} {c:?}");
        if same {
            pos += 1;
            tar += c.is_match() as u32;
        } else {
            neg += 1;
            far += c.is_match() as u32;
        }
        assert!(matches!(
            c,
            Comparison::Match { .. } | Comparison::NoMatch { .. }
        ));
        assert_eq!(
            c.is_match(),
            same,
            "{id}: {c:?} at threshold {MATCH_THRESHOLD}"
        );
    }
    println!("TAR {tar}/{pos}, FAR {far}/{neg}");
    assert_eq!(pos, 13);
    assert_eq!(neg, 11);
}

/// Frames of several clips one after another, with continuous times.
fn spliced(dir: &Path, parts: &[(&str, f32)]) -> Vec<(u64, std::path::PathBuf)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (frames_dir, fps) in parts {
        let frames = common::clip_frames(&dir.join(frames_dir), *fps);
        let last = frames.last().map_or(0, |f| f.0);
        out.extend(frames.into_iter().map(|(t, p)| (t + offset, p)));
        offset += last + (1000.0 / fps) as u64;
    }
    out
}

fn run_session(
    models: &mut FaceModels,
    actions: &[Action],
    frames: &[(u64, std::path::PathBuf)],
) -> models::SessionOutcome {
    let actions = ChallengeActions::new(actions.iter().copied()).unwrap();
    let mut runner = LivenessRunner::new(
        actions,
        models::detector_config(),
        IdentityConfig::default(),
    );
    for (t, p) in frames {
        let img = common::load_rgb(p);
        runner.push(models, &img.frame(), *t).unwrap();
        if runner.is_finished() {
            break;
        }
    }
    runner.finish()
}

#[test]
fn liveness_sessions_on_real_frames() {
    let Some(dir) = data() else { return };
    let mut models = FaceModels::load_bundled().unwrap();
    let turn = ("actions/turn_head/p07_turn_left_right_frames", 15.0);
    let nod = ("actions/nod/p07_nod_frames", 15.0);

    // p07 shakes then nods, as asked: passes, and stays one person.
    let frames = spliced(&dir, &[turn, nod]);
    let out = run_session(&mut models, &[Action::ShakeHead, Action::Nod], &frames);
    assert!(out.verdict.passed, "{:?}", out.verdict);
    assert!(
        out.identity_checks > 5 && out.lowest_similarity.unwrap() >= MATCH_THRESHOLD,
        "{out:?}"
    );

    // Asked to nod first, but shakes first: wrong order.
    let out = run_session(&mut models, &[Action::Nod, Action::ShakeHead], &frames);
    assert_eq!(
        out.verdict.reason,
        Some(FailReason::WrongOrder),
        "{:?}",
        out.verdict
    );

    // A different person takes over mid-session (p07 → p08): different person.
    let frames = spliced(
        &dir,
        &[
            ("actions/neutral/p07_neutral_frames", 15.0),
            ("actions/turn_head/p08_turn_left_right_frames", 15.0),
        ],
    );
    let out = run_session(&mut models, &[Action::ShakeHead, Action::Blink], &frames);
    assert_eq!(
        out.verdict.reason,
        Some(FailReason::DifferentPerson),
        "{:?}",
        out.verdict
    );

    // A still photo held up for 12 s: nothing moves, the session fails.
    let photo = dir.join("stills/p07/p07_enroll.jpg");
    let frames: Vec<_> = (0..180).map(|k| (k * 67, photo.clone())).collect();
    let out = run_session(&mut models, &[Action::Blink, Action::ShakeHead], &frames);
    assert!(!out.verdict.passed);
    assert!(
        matches!(
            out.verdict.reason,
            Some(FailReason::NoMotion | FailReason::ActionTimeout)
        ),
        "{:?}",
        out.verdict
    );
}

/// Following the face (detector every 5th frame) measures what analysing every frame alone
/// measures: same number of faces, and box, pose and eye/mouth openness within small
/// tolerances, on a turning, a nodding and a blinking clip.
#[test]
fn tracked_frames_measure_what_single_frames_measure() {
    let Some(dir) = data() else { return };
    let mut models = FaceModels::load_bundled().unwrap();
    for (clip, fps) in [
        ("actions/turn_head/p07_turn_left_right_frames", 15.0),
        ("actions/nod/p07_nod_frames", 15.0),
        ("actions/blink/p01_blink_frames", 15.0),
    ] {
        let mut tracker = FaceTracker::default();
        let (mut worst_pose, mut worst_eye, mut worst_mouth, mut worst_box) =
            (0f32, 0f32, 0f32, 0f32);
        let frames = common::clip_frames(&dir.join(clip), fps);
        for (t, p) in &frames {
            let img = common::load_rgb(p);
            let alone = models.analyze(&img.frame(), *t).unwrap().signals;
            let tracked = models
                .analyze_tracked(&img.frame(), *t, &mut tracker)
                .unwrap()
                .signals;
            assert_eq!(alone.faces, tracked.faces, "{clip} at {t} ms");
            let (Some(a), Some(b)) = (alone.single_face(), tracked.single_face()) else {
                assert_eq!(
                    alone.face.is_some(),
                    tracked.face.is_some(),
                    "{clip} at {t} ms"
                );
                continue;
            };
            worst_pose = worst_pose
                .max((a.yaw_deg - b.yaw_deg).abs())
                .max((a.pitch_deg - b.pitch_deg).abs());
            let eye = (a.left_eye_openness - b.left_eye_openness)
                .abs()
                .max((a.right_eye_openness - b.right_eye_openness).abs());
            worst_eye = worst_eye.max(eye);
            worst_mouth = worst_mouth.max((a.mouth_openness - b.mouth_openness).abs());
            let (ab, bb) = (a.face_box, b.face_box);
            worst_box = worst_box
                .max((ab.x - bb.x).abs() / ab.width)
                .max((ab.y - bb.y).abs() / ab.height)
                .max((ab.width - bb.width).abs() / ab.width)
                .max((ab.height - bb.height).abs() / ab.height);
        }
        let (seen, detected) = tracker.counts();
        println!(
            "{clip}: detector on {detected}/{seen} frames; worst |Δ| pose {worst_pose:.2}°, \
             eye {worst_eye:.3}, mouth {worst_mouth:.3}, box {worst_box:.3} of its size"
        );
        assert!(detected * 3 < seen, "{clip}: detector on {detected}/{seen}");
        // Measured: pose ≤ 4.4°, mouth ≤ 0.06, box ≤ 14 %; eye EAR (open ≈ 0.3) ≤ 0.053 on the
        // turn and the blinks but 0.12 on the nod: the mesh's eyelid points follow the crop,
        // and while the head tips up fast (p07_nod at 3.9 s and 5.5 s, pitch −15° → −28°) the
        // tracked crop lags the detector's. No blink is counted there (the pose moves more than
        // a blink allows; `--example eval` finds none on p07_nod), and the phone and the
        // server both run the tracked path, so they measure alike.
        assert!(worst_pose < 6.0, "{clip}: pose differs by {worst_pose}°");
        assert!(
            worst_eye < 0.15,
            "{clip}: eye openness differs by {worst_eye}"
        );
        assert!(
            worst_mouth < 0.08,
            "{clip}: mouth openness differs by {worst_mouth}"
        );
        assert!(
            worst_box < 0.15,
            "{clip}: box differs by {worst_box} of its size"
        );
    }
}

/// A flashed session as the app records it: `lead_in` (the person looking at the camera) for
/// the sequence, lit by it (`light`: a live face, or a flat screen's glass) from `start`, then
/// `frames` after it. Each frame goes through the runner; returns its outcome.
fn flashed_session(
    models: &mut FaceModels,
    runner: LivenessRunner,
    schedule: &FlashSchedule,
    lead_in: &[(u64, std::path::PathBuf)],
    frames: &[(u64, std::path::PathBuf)],
    live: bool,
) -> models::SessionOutcome {
    flashed_session_with(models, runner, schedule, lead_in, None, frames, live)
}

/// [`flashed_session`] where `stand_in` (when given) is filmed from the flash's start until the
/// actions' frames.
fn flashed_session_with(
    models: &mut FaceModels,
    runner: LivenessRunner,
    schedule: &FlashSchedule,
    lead_in: &[(u64, std::path::PathBuf)],
    stand_in: Option<&[(u64, std::path::PathBuf)]>,
    frames: &[(u64, std::path::PathBuf)],
    live: bool,
) -> models::SessionOutcome {
    use models::simulate::{self, Image, PixelBox};
    let mut runner = runner;
    let start = 600;
    runner.flash_started(start);
    let lag = 66;
    let end = start + schedule.total_ms() + 400;
    let mut box_of = None;
    let mut t = 0;
    let mut k = 0;
    let mut filmed_stand_in = false;
    while t < end {
        let source = match stand_in {
            Some(s) if t >= start => {
                if !filmed_stand_in {
                    filmed_stand_in = true;
                    box_of = None;
                }
                s
            }
            _ => lead_in,
        };
        let (_, p) = &source[k % source.len()];
        let mut img = common::load_rgb(p);
        let colour = schedule.colour_at(t as i64 - (start + lag) as i64);
        if box_of.is_none() {
            let a = models.analyze(&img.frame(), 0).unwrap();
            box_of = a.face().map(|f| PixelBox {
                xmin: f.xmin,
                ymin: f.ymin,
                xmax: f.xmax,
                ymax: f.ymax,
            });
        }
        let mut image = Image {
            rgb: &mut img.data,
            width: img.width,
            height: img.height,
        };
        match (live, &box_of) {
            (true, Some(b)) => simulate::reflect(&mut image, b, colour, &simulate::ARM_LENGTH),
            _ => simulate::reflect_flat(&mut image, colour, 0.05),
        }
        runner.push(models, &img.frame(), t).unwrap();
        t += lag;
        k += 1;
    }
    for (ft, p) in frames {
        runner
            .push(models, &common::load_rgb(p).frame(), end + ft)
            .unwrap();
    }
    runner.finish()
}

/// Issue 13 on the models' side: a live face lit by the flash passes every layer; the real
/// laptop replay p13 (its own frames as the lead-in and the nod) is refused by the anti-spoofing
/// network, and — with the network off — by the colour flash; identity is not checked here, so
/// that each layer is seen on its own.
#[test]
fn the_flash_and_pad_pass_a_live_face_and_refuse_a_screen_replay() {
    let Some(dir) = data() else { return };
    let mut models = FaceModels::load_bundled().unwrap();
    let schedule = FlashSchedule::from_seed(13);
    let runner = |actions: &[Action]| {
        LivenessRunner::new(
            ChallengeActions::new(actions.iter().copied()).unwrap(),
            models::detector_config(),
            IdentityConfig {
                min_similarity: -1.0,
                ..IdentityConfig::default()
            },
        )
        .with_flash(schedule.clone(), FlashConfig::default())
    };
    let neutral = common::clip_frames(&dir.join("actions/neutral/p07_neutral_frames"), 15.0);
    let nod = common::clip_frames(&dir.join("actions/nod/p07_nod_frames"), 15.0);
    let out = flashed_session(
        &mut models,
        runner(&[Action::Nod]),
        &schedule,
        &neutral[..15],
        &nod,
        true,
    );
    assert!(
        out.verdict.passed,
        "{:?} {:?} {:?}",
        out.verdict, out.pad, out.flash
    );
    assert!(out.pad.as_ref().is_some_and(|p| p.passed), "{:?}", out.pad);
    let flash = out.flash.expect("the flash was checked");
    assert!(
        flash.passed && flash.correlation.unwrap() > 0.9,
        "{flash:?}"
    );
    // The same session with a mesh on every flash frame correlates alike: the frames between
    // meshes sample the colour as well at the last mesh.
    let every = flashed_session(
        &mut models,
        runner(&[Action::Nod]).with_flash_mesh_every(1),
        &schedule,
        &neutral[..15],
        &nod,
        true,
    );
    let every = every.flash.expect("the flash was checked");
    assert!(
        every.passed && (every.correlation.unwrap() - flash.correlation.unwrap()).abs() < 0.05,
        "every frame {every:?}, every other {flash:?}"
    );

    let p13 = common::clip_frames(
        &dir.join("negatives/presentation_attack/p13_replay_laptop_screen_frames"),
        10.0,
    );
    let out = flashed_session(
        &mut models,
        runner(&[Action::Nod]),
        &schedule,
        &p13,
        &p13,
        false,
    );
    assert_eq!(
        out.verdict.reason,
        Some(FailReason::PresentationAttack),
        "{:?} {:?}",
        out.verdict,
        out.pad
    );
    let out = flashed_session(
        &mut models,
        runner(&[Action::Nod]).with_pad(None),
        &schedule,
        &p13,
        &p13,
        false,
    );
    assert_eq!(
        out.verdict.reason,
        Some(FailReason::FlashNotDetected),
        "{:?} {:?}",
        out.verdict,
        out.flash
    );
}

/// During the flash the mesh runs on every other frame ([`models::session::FLASH_MESH_EVERY`]):
/// each frame still gives a colour sample, at the last mesh; outside the flash every frame is
/// analysed.
#[test]
fn flash_frames_between_meshes_sample_the_colour_at_the_last_mesh() {
    let Some(dir) = data() else { return };
    let mut models = FaceModels::load_bundled().unwrap();
    assert_eq!(models::session::FLASH_MESH_EVERY, 2);
    let schedule = FlashSchedule::from_seed(5);
    let mut runner = LivenessRunner::new(
        ChallengeActions::new([Action::Nod]).unwrap(),
        models::detector_config(),
        IdentityConfig::default(),
    )
    .with_flash(schedule.clone(), FlashConfig::default())
    .with_pad(None);
    runner.flash_started(0);
    let neutral = common::clip_frames(&dir.join("actions/neutral/p07_neutral_frames"), 15.0);
    let mut sampled = 0;
    for (k, (_, p)) in neutral.iter().take(20).enumerate() {
        let (a, _) = runner
            .push(&mut models, &common::load_rgb(p).frame(), k as u64 * 60)
            .unwrap();
        sampled += usize::from(a.colour.is_some());
    }
    assert_eq!(sampled, 20, "every flash frame is colour-sampled");
    assert_eq!(
        runner.detector_runs().0,
        10,
        "the mesh ran on every other one"
    );
    let after = runner.hold_until().unwrap() + 100;
    for (k, (_, p)) in neutral.iter().skip(20).take(6).enumerate() {
        runner
            .push(
                &mut models,
                &common::load_rgb(p).frame(),
                after + k as u64 * 100,
            )
            .unwrap();
    }
    assert_eq!(runner.detector_runs().0, 16, "after the flash, every frame");
}

/// Another person cannot stand in for the colour flash alone: identity is compared during the
/// flash too (`IdentityConfig::every_ms`), so a live stand-in lit by the flash
/// between the veteran's lead-in and actions fails as a different person.
#[test]
fn a_stand_in_for_the_flash_alone_is_a_different_person() {
    let Some(dir) = data() else { return };
    let mut models = FaceModels::load_bundled().unwrap();
    let schedule = FlashSchedule::from_seed(21);
    let runner = || {
        LivenessRunner::new(
            ChallengeActions::new([Action::Nod]).unwrap(),
            models::detector_config(),
            IdentityConfig::default(),
        )
        .with_flash(schedule.clone(), FlashConfig::default())
        .with_pad(None)
    };
    let neutral = common::clip_frames(&dir.join("actions/neutral/p07_neutral_frames"), 15.0);
    let nod = common::clip_frames(&dir.join("actions/nod/p07_nod_frames"), 15.0);
    let other = common::clip_frames(&dir.join("actions/blink/p02_blink_frames"), 15.0);
    let same = flashed_session(&mut models, runner(), &schedule, &neutral[..15], &nod, true);
    assert!(same.verdict.passed, "{:?} {:?}", same.verdict, same.flash);
    let out = flashed_session_with(
        &mut models,
        runner(),
        &schedule,
        &neutral[..15],
        Some(&other[..15]),
        &nod,
        true,
    );
    assert_eq!(
        out.verdict.reason,
        Some(FailReason::DifferentPerson),
        "{:?} {:?}",
        out.verdict,
        out.flash
    );
}
