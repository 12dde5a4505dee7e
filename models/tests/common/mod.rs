//! Helpers shared by the real-face test, the eval example and the benchmark: where the test data
//! is, decoding images, and the clips with what each should show.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `shared/testdata/faces` beside the workspace (override with `ZHANYOU_FACES_DIR`); `None`
/// when absent.
pub fn faces_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ZHANYOU_FACES_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/faces"),
    };
    dir.join("MANIFEST.md").is_file().then_some(dir)
}

/// An RGB image: bytes, width, height.
pub struct Rgb {
    pub data: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl Rgb {
    pub fn frame(&self) -> models::Frame<'_> {
        models::Frame::new(&self.data, self.width, self.height)
            .expect("decoded image is a valid frame")
    }
}

pub fn load_rgb(path: &Path) -> Rgb {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("cannot decode {}: {e}", path.display()))
        .to_rgb8();
    let (width, height) = img.dimensions();
    Rgb {
        data: img.into_raw(),
        width,
        height,
    }
}

/// The JPEG frames of a `*_frames/` folder in order, with their times at `fps`.
pub fn clip_frames(dir: &Path, fps: f32) -> Vec<(u64, PathBuf)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    files.sort();
    files
        .into_iter()
        .enumerate()
        .map(|(k, p)| (((k as f32) * 1000.0 / fps).round() as u64, p))
        .collect()
}

/// What a clip should show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Exactly these actions are detected (at least once each), and no other action.
    Actions(&'static [shared::liveness::Action]),
    /// No action at all.
    NoAction,
    /// Most frames carry this quality issue.
    Issue(shared::liveness::QualityIssue),
    /// Replay attack: reported, no expectation.
    Report,
}

pub struct Clip {
    pub name: &'static str,
    pub frames_dir: &'static str,
    pub fps: f32,
    pub expect: Expect,
}

use shared::liveness::Action::{Blink, Nod, OpenMouth, ShakeHead};
use shared::liveness::QualityIssue as Q;

pub const CLIPS: &[Clip] = &[
    Clip {
        name: "p01_blink",
        frames_dir: "actions/blink/p01_blink_frames",
        fps: 15.0,
        expect: Expect::Actions(&[Blink]),
    },
    Clip {
        name: "p02_blink",
        frames_dir: "actions/blink/p02_blink_frames",
        fps: 15.0,
        expect: Expect::Actions(&[Blink]),
    },
    Clip {
        name: "p03_blink_talking",
        frames_dir: "actions/blink/p03_blink_talking_frames",
        fps: 15.0,
        expect: Expect::Actions(&[Blink]),
    },
    Clip {
        name: "p04_blink_selfie",
        frames_dir: "actions/blink/p04_blink_selfie_frames",
        fps: 15.0,
        expect: Expect::Actions(&[Blink]),
    },
    Clip {
        name: "p05_mouth_open",
        frames_dir: "actions/mouth_open/p05_mouth_open_frames",
        fps: 15.0,
        expect: Expect::Actions(&[OpenMouth]),
    },
    Clip {
        name: "p06_mouth_open",
        frames_dir: "actions/mouth_open/p06_mouth_open_frames",
        fps: 15.0,
        expect: Expect::Actions(&[OpenMouth]),
    },
    Clip {
        name: "p07_turn_left_right",
        frames_dir: "actions/turn_head/p07_turn_left_right_frames",
        fps: 15.0,
        expect: Expect::Actions(&[ShakeHead]),
    },
    Clip {
        name: "p08_turn_left_right",
        frames_dir: "actions/turn_head/p08_turn_left_right_frames",
        fps: 15.0,
        expect: Expect::Actions(&[ShakeHead]),
    },
    Clip {
        name: "p09_turn",
        frames_dir: "actions/turn_head/p09_turn_frames",
        fps: 12.0,
        expect: Expect::Actions(&[ShakeHead]),
    },
    Clip {
        name: "p10_turn_real_webcam",
        frames_dir: "actions/turn_head/p10_turn_real_webcam_frames",
        fps: 15.0,
        expect: Expect::Actions(&[ShakeHead]),
    },
    Clip {
        name: "p07_nod",
        frames_dir: "actions/nod/p07_nod_frames",
        fps: 15.0,
        expect: Expect::Actions(&[Nod]),
    },
    Clip {
        name: "p08_look_up_down",
        frames_dir: "actions/nod/p08_look_up_down_frames",
        fps: 15.0,
        expect: Expect::Report,
    },
    Clip {
        name: "p07_neutral",
        frames_dir: "actions/neutral/p07_neutral_frames",
        fps: 15.0,
        expect: Expect::NoAction,
    },
    Clip {
        name: "p11_neutral",
        frames_dir: "actions/neutral/p11_neutral_frames",
        fps: 15.0,
        expect: Expect::NoAction,
    },
    Clip {
        name: "p12_neutral_smile",
        frames_dir: "actions/neutral/p12_neutral_smile_frames",
        fps: 12.0,
        expect: Expect::NoAction,
    },
    Clip {
        name: "p09_p12_head_roll_two_people",
        frames_dir: "actions/head_roll/p09_p12_head_roll_two_people_frames",
        fps: 12.0,
        expect: Expect::Issue(Q::MultipleFaces),
    },
    Clip {
        name: "p10_replay_phone_screen",
        frames_dir: "negatives/presentation_attack/p10_replay_phone_screen_frames",
        fps: 15.0,
        expect: Expect::Report,
    },
    Clip {
        name: "p13_replay_laptop_screen",
        frames_dir: "negatives/presentation_attack/p13_replay_laptop_screen_frames",
        fps: 10.0,
        expect: Expect::Report,
    },
];

/// Stills with the quality issue each must show.
pub const STILLS: &[(&str, shared::liveness::QualityIssue)] = &[
    ("negatives/too_dark/p07_too_dark.jpg", Q::TooDark),
    ("negatives/too_dark/obama_too_dark.jpg", Q::TooDark),
    ("negatives/no_face/coffee.png", Q::NoFace),
    ("negatives/no_face/cat_chelsea.png", Q::NoFace),
    ("negatives/multi_face/obama_and_biden.jpg", Q::MultipleFaces),
    (
        "negatives/partial_face/obama_partial_face_1.jpg",
        Q::OutOfFrame,
    ),
    (
        "negatives/partial_face/obama_partial_face_2.jpg",
        Q::OutOfFrame,
    ),
];

/// pairs.csv rows: (id, image a, image b, same person).
pub fn pairs(dir: &Path) -> Vec<(String, PathBuf, PathBuf, bool)> {
    let text = std::fs::read_to_string(dir.join("pairs.csv")).expect("pairs.csv readable");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split(',').collect();
            let (id, a, b, same) = (cols.first()?, cols.get(1)?, cols.get(2)?, cols.get(3)?);
            Some((id.to_string(), dir.join(a), dir.join(b), *same == "1"))
        })
        .collect()
}
