//! The camera, behind one trait: recorded frames from a directory (`--camera-frames DIR`, for
//! testers without a webcam and for tests) or, with the `webcam` cargo feature, a real webcam
//! through nokhwa.
//!
//! [`Recorded`] is what `--camera-frames DIR` opens. DIR is either
//! - flat: JPEG/PNG frames played in file-name order, looping; or
//! - per action: sub-folders `blink/`, `open_mouth/`, `shake_head/`, `nod/` (any of them, each a
//!   clip of frames; sub-folders may be symlinks) and optionally `neutral/`, played first and
//!   looped until an action is asked for (the person looks at the camera during the flash).
//!   The liveness screen tells the camera which action it is asking for ([`Camera::want`]) and
//!   the source plays that action's clip from its start, looping it until the next action. Like
//!   a person, it reacts to a new prompt after [`REACTION_MS`] (the current clip goes on until
//!   then), so the movement that completed an action is recorded to its end.
//!
//! A recording was not filmed in front of this screen, so during the colour flash (炫彩) it has
//! none of the screen's light on the face: [`Recorded`] adds it, with the reflection model of
//! `models::simulate` (a live face at arm's length, the room behind it far less lit), so that
//! testers and tests can go through the whole 身份核验 with recorded clips. A real camera needs
//! nothing of the sort: the real screen lights the real face.
//!
//! Frames are stamped at the recording's rate: a file `fps` in DIR (e.g. `15`), else 15 fps.
//! With [`Pacing::RealTime`] `next_frame` waits until a frame is due (as a webcam would); with
//! [`Pacing::AsFastAsRead`] it returns at once (tests), the time stamps staying the same.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use models::simulate::{self, PixelBox};
use shared::error::UserError;
use shared::liveness::{Action, FlashColour};

/// One RGB frame.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// Milliseconds since the camera started.
    pub t_ms: u64,
    pub width: u32,
    pub height: u32,
    /// `width * height * 3` bytes, row by row.
    pub rgb: Vec<u8>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the pixels: they are a face.
        write!(
            f,
            "Frame {{ t_ms: {}, {}x{} }}",
            self.t_ms, self.width, self.height
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    #[error("未找到录制的画面目录")]
    NoSuchDir(#[source] std::io::Error),
    #[error("画面目录中没有 JPEG 或 PNG 图片")]
    Empty,
    #[error("画面文件无法读取: {0}")]
    BadFrame(String),
    #[error("无法打开摄像头,请检查摄像头是否连接或被其他程序占用")]
    Unavailable,
    #[error("未获得相机权限,请在系统设置中允许本应用使用相机")]
    PermissionDenied,
}

impl UserError for CameraError {
    fn code(&self) -> &'static str {
        match self {
            CameraError::NoSuchDir(_) => "camera_frames_dir",
            CameraError::Empty => "camera_frames_empty",
            CameraError::BadFrame(_) => "camera_frame_unreadable",
            CameraError::Unavailable => "camera_unavailable",
            CameraError::PermissionDenied => "camera_permission_denied",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

/// A source of frames. `Send`: the liveness worker thread owns it.
pub trait Camera: Send {
    /// The next frame, or `None` when a recording has ended.
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError>;

    /// The action the screen is asking for now (`None` before the first and after the last).
    /// A live camera ignores it; a per-action recording switches to that action's clip.
    fn want(&mut self, _action: Option<Action>) {}

    /// The colour the screen shows from now on (`None`: no flash), and where the face was in
    /// the last frame (view pixels, unmirrored). A live camera ignores it (the screen itself
    /// lights the face); a recording adds the light to the frames it delivers.
    fn screen(&mut self, _colour: Option<FlashColour>, _face: Option<PixelBox>) {}
}

/// A camera whose use the system refused (what Android reports when the user denied the
/// permission); for tests of the explanation screen and `--camera-denied`.
pub struct Denied;

impl Camera for Denied {
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
        Err(CameraError::PermissionDenied)
    }
}

/// Frames read from the JPEG/PNG files of a directory, in file-name order, stamped at `fps`.
pub struct FramesDir {
    files: Vec<PathBuf>,
    next: usize,
    frame_ms: u64,
}

impl FramesDir {
    /// The frames in `dir`; fails if it does not exist or holds no `.jpg`/`.jpeg`/`.png`.
    pub fn open(dir: &Path, fps: u32) -> Result<FramesDir, CameraError> {
        let files = image_files(dir)?;
        if files.is_empty() {
            return Err(CameraError::Empty);
        }
        Ok(FramesDir {
            files,
            next: 0,
            frame_ms: 1000 / u64::from(fps.max(1)),
        })
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl Camera for FramesDir {
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
        let Some(path) = self.files.get(self.next) else {
            return Ok(None);
        };
        let frame = read_frame(path, self.next as u64 * self.frame_ms)?;
        self.next += 1;
        Ok(Some(frame))
    }
}

/// The `.jpg`/`.jpeg`/`.png` files of `dir`, sorted by name.
fn image_files(dir: &Path) -> Result<Vec<PathBuf>, CameraError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(CameraError::NoSuchDir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png"))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn read_frame(path: &Path, t_ms: u64) -> Result<Frame, CameraError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let img = image::open(path)
        .map_err(|_| CameraError::BadFrame(name))?
        .to_rgb8();
    Ok(Frame {
        t_ms,
        width: img.width(),
        height: img.height(),
        rgb: img.into_raw(),
    })
}

/// How a recording is played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// At the recording's rate, as a webcam delivers frames.
    RealTime,
    /// As fast as the reader asks (tests); time stamps are still at the recording's rate.
    AsFastAsRead,
}

/// How long a per-action recording takes to react to a new prompt (frame time).
pub const REACTION_MS: u64 = 700;

/// The frame rate of recordings without an `fps` file (the test data's rate).
pub const DEFAULT_FPS: u32 = 15;

/// The clip folder of each action in a per-action recording.
pub fn action_folder(action: Action) -> &'static str {
    action.as_str()
}

/// A recording played as a camera (`--camera-frames DIR`, see the module docs).
pub struct Recorded {
    /// Flat: one clip under `None`. Per action: a clip per action found.
    clips: Vec<(Option<Action>, Vec<PathBuf>)>,
    /// Played once before anything else, if present.
    neutral: Vec<PathBuf>,
    playing_neutral: bool,
    /// Index into `clips` of the clip playing.
    clip: usize,
    next: usize,
    /// Frames delivered so far (the time stamp counts them).
    delivered: u64,
    frame_ms: f64,
    fps: f64,
    pacing: Pacing,
    started: Option<Instant>,
    reaction_frames: u64,
    /// A clip to switch to once `delivered` reaches the count.
    pending: Option<(usize, u64)>,
    /// The screen's colour and the face's last box (see [`Camera::screen`]).
    light: Option<(FlashColour, PixelBox)>,
    /// An action has been asked for (the neutral lead-in then plays to its end, once).
    wanted: bool,
}

impl std::fmt::Debug for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorded")
            .field(
                "clips",
                &self
                    .clips
                    .iter()
                    .map(|c| (c.0, c.1.len()))
                    .collect::<Vec<_>>(),
            )
            .field("neutral", &self.neutral.len())
            .field("frame_ms", &self.frame_ms)
            .finish()
    }
}

impl Recorded {
    /// Opens `dir` (flat or per action, see the module docs).
    pub fn open(dir: &Path, pacing: Pacing) -> Result<Recorded, CameraError> {
        let flat = image_files(dir)?;
        let fps = std::fs::read_to_string(dir.join("fps"))
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|f| f.is_finite() && *f >= 1.0 && *f <= 240.0)
            .unwrap_or(f64::from(DEFAULT_FPS));
        let mut clips = Vec::new();
        let mut neutral = Vec::new();
        if flat.is_empty() {
            for action in Action::ALL {
                let sub = dir.join(action_folder(action));
                if sub.is_dir() {
                    let files = image_files(&sub)?;
                    if !files.is_empty() {
                        clips.push((Some(action), files));
                    }
                }
            }
            let sub = dir.join("neutral");
            if sub.is_dir() {
                neutral = image_files(&sub)?;
            }
            if clips.is_empty() {
                return Err(CameraError::Empty);
            }
        } else {
            clips.push((None, flat));
        }
        let playing_neutral = !neutral.is_empty();
        Ok(Recorded {
            clips,
            neutral,
            playing_neutral,
            clip: 0,
            next: 0,
            delivered: 0,
            frame_ms: 1000.0 / fps,
            fps,
            pacing,
            started: None,
            reaction_frames: (REACTION_MS as f64 / (1000.0 / fps)).round() as u64,
            pending: None,
            light: None,
            wanted: false,
        })
    }

    /// Reacts to a new prompt after `ms` of frame time instead of [`REACTION_MS`].
    pub fn with_reaction_ms(mut self, ms: u64) -> Recorded {
        self.reaction_frames = (ms as f64 / self.frame_ms).round() as u64;
        self
    }

    /// Frames per second of the recording.
    pub fn fps(&self) -> f64 {
        self.fps
    }

    /// The actions that have their own clip (empty for a flat recording).
    pub fn actions(&self) -> Vec<Action> {
        self.clips.iter().filter_map(|c| c.0).collect()
    }

    /// Number of frames over all clips.
    pub fn len(&self) -> usize {
        self.neutral.len() + self.clips.iter().map(|c| c.1.len()).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Camera for Recorded {
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
        if let Some((clip, at)) = self.pending {
            if self.delivered >= at && !self.playing_neutral {
                self.clip = clip;
                self.next = 0;
                self.pending = None;
            }
        }
        let path = if self.playing_neutral {
            let p = self.neutral[self.next].clone();
            self.next += 1;
            if self.next >= self.neutral.len() {
                // Until an action is asked for (the colour flash comes first), the person
                // keeps looking at the camera: the lead-in plays again.
                self.next = 0;
                self.playing_neutral = !self.wanted;
            }
            p
        } else {
            let files = &self.clips[self.clip].1;
            let p = files[self.next % files.len()].clone();
            self.next = (self.next + 1) % files.len();
            p
        };
        let t_ms = (self.delivered as f64 * self.frame_ms).round() as u64;
        if self.pacing == Pacing::RealTime {
            let started = *self.started.get_or_insert_with(Instant::now);
            let due = started + Duration::from_millis(t_ms);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        self.delivered += 1;
        let mut frame = read_frame(&path, t_ms)?;
        if let Some((colour, face)) = self.light {
            simulate::reflect(
                &mut simulate::Image {
                    rgb: &mut frame.rgb,
                    width: frame.width,
                    height: frame.height,
                },
                &face,
                Some(colour),
                &simulate::ARM_LENGTH,
            );
        }
        Ok(Some(frame))
    }

    fn screen(&mut self, colour: Option<FlashColour>, face: Option<PixelBox>) {
        self.light = colour.zip(face);
    }

    fn want(&mut self, action: Option<Action>) {
        let Some(action) = action else { return };
        let Some(i) = self.clips.iter().position(|c| c.0 == Some(action)) else {
            return;
        };
        self.wanted = true;
        if self.pending.is_some_and(|p| p.0 == i) {
            return;
        }
        if self.clip == i {
            self.pending = None;
            return;
        }
        if self.delivered == 0 || self.playing_neutral {
            // Nothing shown yet, or the neutral lead-in (which plays to its end): the clip
            // starts as soon as it can.
            self.clip = i;
            self.next = 0;
            self.pending = None;
        } else {
            self.pending = Some((i, self.delivered + self.reaction_frames));
        }
    }
}

/// A real webcam (feature `webcam`).
///
/// nokhwa's camera is not `Send`, so it lives on its own capture thread, which opens it, streams
/// decoded RGB frames through a one-slot channel (the newest frame wins; a slow consumer never
/// queues stale frames) and stops when the [`Webcam`] is dropped.
#[cfg(feature = "webcam")]
pub mod webcam {
    use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
    use std::thread::JoinHandle;

    use super::{Camera, CameraError, Frame};
    use nokhwa::pixel_format::RgbFormat;
    use nokhwa::utils::{CameraIndex, RequestedFormat, RequestedFormatType};

    pub struct Webcam {
        frames: Option<Receiver<Result<Frame, CameraError>>>,
        thread: Option<JoinHandle<()>>,
    }

    impl Webcam {
        /// The first camera of the system; an error if it cannot be opened.
        pub fn open_default() -> Result<Webcam, CameraError> {
            let (opened_tx, opened_rx) = mpsc::sync_channel::<Result<(), CameraError>>(1);
            let (tx, rx) = mpsc::sync_channel::<Result<Frame, CameraError>>(1);
            let thread = std::thread::Builder::new()
                .name("webcam".into())
                .spawn(move || capture(opened_tx, tx))
                .map_err(|_| CameraError::Unavailable)?;
            match opened_rx.recv() {
                Ok(Ok(())) => Ok(Webcam {
                    frames: Some(rx),
                    thread: Some(thread),
                }),
                Ok(Err(e)) => {
                    let _ = thread.join();
                    Err(e)
                }
                Err(_) => Err(CameraError::Unavailable),
            }
        }
    }

    fn capture(
        opened: SyncSender<Result<(), CameraError>>,
        frames: SyncSender<Result<Frame, CameraError>>,
    ) {
        let format =
            RequestedFormat::new::<RgbFormat>(RequestedFormatType::AbsoluteHighestFrameRate);
        let cam = nokhwa::Camera::new(CameraIndex::Index(0), format).and_then(|mut cam| {
            cam.open_stream()?;
            Ok(cam)
        });
        let mut cam = match cam {
            Ok(cam) => cam,
            Err(_) => {
                let _ = opened.send(Err(CameraError::Unavailable));
                return;
            }
        };
        let _ = opened.send(Ok(()));
        let started = std::time::Instant::now();
        loop {
            let frame = cam
                .frame()
                .map_err(|_| CameraError::Unavailable)
                .and_then(|buf| {
                    buf.decode_image::<RgbFormat>()
                        .map_err(|_| CameraError::Unavailable)
                })
                .map(|img| Frame {
                    t_ms: started.elapsed().as_millis() as u64,
                    width: img.width(),
                    height: img.height(),
                    rgb: img.into_raw(),
                });
            let failed = frame.is_err();
            match frames.try_send(frame) {
                // The consumer has not taken the previous frame yet: drop this one.
                Ok(()) | Err(TrySendError::Full(_)) => {}
                Err(TrySendError::Disconnected(_)) => break,
            }
            if failed {
                break;
            }
        }
        let _ = cam.stop_stream();
    }

    impl Camera for Webcam {
        fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
            let rx = self.frames.as_ref().ok_or(CameraError::Unavailable)?;
            match rx.recv() {
                Ok(frame) => frame.map(Some),
                Err(_) => Err(CameraError::Unavailable),
            }
        }
    }

    impl Drop for Webcam {
        fn drop(&mut self) {
            // Closing the channel ends the capture loop at its next frame.
            self.frames.take();
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_in_file_name_order_with_timestamps() {
        let dir = tempfile::tempdir().unwrap();
        // Written out of order; two formats; one file that is not an image is skipped.
        for (name, shade) in [
            ("frame_002.jpg", 200u8),
            ("frame_000.png", 10),
            ("frame_001.png", 100),
        ] {
            let img = image::RgbImage::from_pixel(8, 6, image::Rgb([shade, shade, shade]));
            img.save(dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "not a frame").unwrap();
        let mut cam = FramesDir::open(dir.path(), 10).unwrap();
        assert_eq!(cam.len(), 3);
        let shades: Vec<(u64, u8)> = std::iter::from_fn(|| cam.next_frame().unwrap())
            .map(|f| (f.t_ms, f.rgb[0]))
            .collect();
        assert_eq!(shades.len(), 3);
        assert_eq!(
            shades.iter().map(|s| s.0).collect::<Vec<_>>(),
            vec![0, 100, 200]
        );
        assert!(
            shades[0].1 < 20 && (90..110).contains(&shades[1].1) && shades[2].1 > 180,
            "{shades:?}"
        );
        assert!(cam.next_frame().unwrap().is_none());
    }

    fn write_clip(dir: &Path, shades: &[u8]) {
        std::fs::create_dir_all(dir).unwrap();
        for (i, shade) in shades.iter().enumerate() {
            let img = image::RgbImage::from_pixel(4, 4, image::Rgb([*shade; 3]));
            img.save(dir.join(format!("{i:04}.png"))).unwrap();
        }
    }

    fn shades(cam: &mut Recorded, n: usize) -> Vec<(u64, u8)> {
        (0..n)
            .map(|_| {
                let f = cam.next_frame().unwrap().unwrap();
                (f.t_ms, f.rgb[0])
            })
            .collect()
    }

    #[test]
    fn a_flat_recording_loops_at_its_fps() {
        let dir = tempfile::tempdir().unwrap();
        write_clip(dir.path(), &[10, 20, 30]);
        std::fs::write(dir.path().join("fps"), "10\n").unwrap();
        let mut cam = Recorded::open(dir.path(), Pacing::AsFastAsRead).unwrap();
        assert_eq!(cam.len(), 3);
        assert!(cam.actions().is_empty());
        cam.want(Some(Action::Nod)); // no clip per action: ignored
        assert_eq!(
            shades(&mut cam, 5),
            vec![(0, 10), (100, 20), (200, 30), (300, 10), (400, 20)]
        );
    }

    #[test]
    fn a_per_action_recording_plays_neutral_then_the_wanted_clip() {
        let dir = tempfile::tempdir().unwrap();
        write_clip(&dir.path().join("neutral"), &[1, 2]);
        write_clip(&dir.path().join("shake_head"), &[50, 51, 52]);
        write_clip(&dir.path().join("nod"), &[90, 91]);
        let mut cam = Recorded::open(dir.path(), Pacing::AsFastAsRead)
            .unwrap()
            .with_reaction_ms(0);
        assert_eq!(cam.actions(), vec![Action::ShakeHead, Action::Nod]);
        assert_eq!(cam.fps(), 15.0);
        cam.want(Some(Action::Nod));
        // The lead-in plays to its end, then the wanted clip from its start, looping.
        let got: Vec<u8> = shades(&mut cam, 5).into_iter().map(|s| s.1).collect();
        assert_eq!(got, vec![1, 2, 90, 91, 90]);
        cam.want(Some(Action::ShakeHead));
        let got: Vec<(u64, u8)> = shades(&mut cam, 4);
        assert_eq!(
            got.iter().map(|s| s.1).collect::<Vec<_>>(),
            vec![50, 51, 52, 50]
        );
        // Time keeps counting across clips: frame 5 at 15 fps.
        assert_eq!(got[0].0, 333);
        // An action without a clip keeps the current one.
        cam.want(Some(Action::Blink));
        assert_eq!(shades(&mut cam, 1)[0].1, 51);

        // With the default reaction time (700 ms = 10.5 → 11 frames at 15 fps) the clip playing
        // goes on for 11 frames after a new prompt.
        let mut cam = Recorded::open(dir.path(), Pacing::AsFastAsRead).unwrap();
        cam.want(Some(Action::ShakeHead));
        shades(&mut cam, 3); // neutral 1, 2, then shake 50
        cam.want(Some(Action::Nod));
        let got: Vec<u8> = shades(&mut cam, 12).into_iter().map(|s| s.1).collect();
        assert_eq!(got, vec![51, 52, 50, 51, 52, 50, 51, 52, 50, 51, 52, 90]);
    }

    #[test]
    fn real_time_pacing_waits_for_each_frame() {
        let dir = tempfile::tempdir().unwrap();
        write_clip(dir.path(), &[10, 20, 30, 40]);
        std::fs::write(dir.path().join("fps"), "50").unwrap();
        let mut cam = Recorded::open(dir.path(), Pacing::RealTime).unwrap();
        let start = Instant::now();
        shades(&mut cam, 4);
        // Frame 4 is due at 60 ms.
        assert!(start.elapsed() >= Duration::from_millis(60));
        let mut fast = Recorded::open(dir.path(), Pacing::AsFastAsRead).unwrap();
        assert_eq!(shades(&mut fast, 4)[3].0, 60);
    }

    #[test]
    fn a_refused_camera_says_so() {
        let err = Denied.next_frame().unwrap_err();
        assert_eq!(err.code(), "camera_permission_denied");
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("other")).unwrap();
        assert_eq!(
            Recorded::open(dir.path(), Pacing::AsFastAsRead)
                .err()
                .unwrap()
                .code(),
            "camera_frames_empty"
        );
    }

    #[test]
    fn missing_empty_and_broken_directories_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            FramesDir::open(&dir.path().join("nope"), 10)
                .err()
                .unwrap()
                .code(),
            "camera_frames_dir"
        );
        assert_eq!(
            FramesDir::open(dir.path(), 10).err().unwrap().code(),
            "camera_frames_empty"
        );
        std::fs::write(dir.path().join("broken.jpg"), b"not a jpeg").unwrap();
        let mut cam = FramesDir::open(dir.path(), 10).unwrap();
        let err = cam.next_frame().unwrap_err();
        assert_eq!(err.code(), "camera_frame_unreadable");
        assert!(err.message().contains("broken.jpg"));
    }
}
