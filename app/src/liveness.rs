//! The on-device half of 身份核验: the face models, loaded once and off the UI thread
//! ([`ModelsHandle`]), and one attempt ([`run_attempt`]): camera frames through
//! `models::LivenessRunner` until the challenge's actions are done (or failed), keeping the
//! evidence frames the server re-checks (≤ 10 fps, JPEG, ≤ 640 px wide, `t_ms` since the attempt
//! started).
//!
//! No Slint here: the screen ([`crate::liveness_ui`]) runs [`run_attempt`] on a worker thread
//! and receives each [`LiveUpdate`] through `slint::invoke_from_event_loop`; the controller tests
//! run it inline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use models::simulate::PixelBox;
use models::{FaceModels, IdentityConfig, LivenessRunner};
use shared::error::UserError;
use shared::liveness::{
    ChallengeActions, FlashColour, FlashConfig, FlashSchedule, FrameSignals, Progress, Verdict,
};

use crate::platform::camera::{Camera, CameraError, Frame};

/// Kept evidence frames are at least this far apart (10 fps).
pub const KEEP_EVERY_MS: u64 = 100;
/// While the colour flash shows, frames are kept this far apart (≥ 4 per colour step, which
/// the server's flash check needs); these are never thinned out.
pub const FLASH_KEEP_EVERY_MS: u64 = 60;
/// Evidence frames are scaled down to at most this width.
pub const MAX_EVIDENCE_WIDTH: u32 = 640;
/// JPEG quality of the evidence frames.
pub const JPEG_QUALITY: u8 = 85;
/// The preview sent to the screen is scaled down to at most this width.
pub const PREVIEW_WIDTH: u32 = 320;
/// At most this many evidence frames are sent (the server's limit); a long attempt keeps every
/// other frame outside the flash once it is reached, at half the rate from then on.
pub const MAX_EVIDENCE_FRAMES: usize = 150;
/// After the last action the camera keeps recording evidence this long (frame time, no
/// analysis): the server re-checks fewer frames than the device saw and needs the end of the
/// last movement too.
pub const TAIL_MS: u64 = 1_000;
/// An attempt never runs longer than this (frame time), whatever the camera does.
pub const MAX_ATTEMPT_MS: u64 = 120_000;
/// The colour flash starts once the face has been in view, alone and without a quality problem
/// this long…
pub const FLASH_STEADY_MS: u64 = 600;
/// …or after this long in any case (the server judges what the frames show).
pub const FLASH_WAIT_MAX_MS: u64 = 8_000;
/// During the flash the face must hold still: yaw and pitch within this many degrees of where
/// they were when it started, the box centre within this fraction of the frame. Otherwise the
/// flash starts again (a moving face changes colour by itself and would fail the check).
pub const FLASH_MAX_TURN_DEG: f32 = 10.0;
pub const FLASH_MAX_SHIFT: f32 = 0.05;
/// How often the flash starts again before it runs to its end whatever the face does.
pub const FLASH_MAX_RESTARTS: u32 = 3;

/// Why the models could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ModelsError {
    #[error("人脸识别模型加载失败,请重新安装应用后再试")]
    Load(String),
}

impl UserError for ModelsError {
    fn code(&self) -> &'static str {
        "models_unavailable"
    }
    fn message(&self) -> String {
        self.to_string()
    }
}

enum Slot {
    Idle,
    Loading,
    Ready(Box<FaceModels>),
    Failed(String),
}

struct ModelsCell {
    slot: Mutex<Slot>,
    changed: Condvar,
    load_time: Mutex<Option<Duration>>,
}

/// The face models, loaded once per app (≈ 10 MB of networks; verifying and optimising them
/// takes a noticeable time, see [`ModelsHandle::load_time`]). Cheap to clone.
#[derive(Clone)]
pub struct ModelsHandle(Arc<ModelsCell>);

impl Default for ModelsHandle {
    fn default() -> Self {
        ModelsHandle::new()
    }
}

impl std::fmt::Debug for ModelsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelsHandle")
            .field("load_time", &self.load_time())
            .finish()
    }
}

impl ModelsHandle {
    /// Not loaded yet: the first [`with`](Self::with) or [`preload`](Self::preload) loads them.
    pub fn new() -> ModelsHandle {
        ModelsHandle(Arc::new(ModelsCell {
            slot: Mutex::new(Slot::Idle),
            changed: Condvar::new(),
            load_time: Mutex::new(None),
        }))
    }

    /// Starts loading on a background thread (if not loaded or loading already).
    pub fn preload(&self) {
        let mut slot = self.lock();
        if matches!(*slot, Slot::Idle) {
            *slot = Slot::Loading;
            drop(slot);
            let me = self.clone();
            std::thread::spawn(move || me.load_now());
        }
    }

    /// How long loading took, once loaded.
    pub fn load_time(&self) -> Option<Duration> {
        *self.0.load_time.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.0.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn load_now(&self) {
        let started = Instant::now();
        let loaded = FaceModels::load_bundled();
        let took = started.elapsed();
        *self.0.load_time.lock().unwrap_or_else(|e| e.into_inner()) = Some(took);
        eprintln!("liveness: face models loaded in {} ms", took.as_millis());
        let mut slot = self.lock();
        *slot = match loaded {
            Ok(m) => Slot::Ready(Box::new(m)),
            Err(e) => Slot::Failed(e.to_string()),
        };
        self.0.changed.notify_all();
    }

    /// Runs `f` with the models, loading them on this thread first if nobody has, or waiting
    /// for a load in progress. One caller at a time (an attempt holds them for its duration).
    pub fn with<T>(&self, f: impl FnOnce(&mut FaceModels) -> T) -> Result<T, ModelsError> {
        let mut slot = self.lock();
        loop {
            match &*slot {
                Slot::Idle => {
                    *slot = Slot::Loading;
                    drop(slot);
                    self.load_now();
                    slot = self.lock();
                }
                // Taken by another attempt, or loading: wait for it.
                Slot::Loading => {
                    slot = self.0.changed.wait(slot).unwrap_or_else(|e| e.into_inner());
                }
                Slot::Failed(e) => return Err(ModelsError::Load(e.clone())),
                Slot::Ready(_) => break,
            }
        }
        let Slot::Ready(mut models) = std::mem::replace(&mut *slot, Slot::Loading) else {
            unreachable!("checked above")
        };
        drop(slot);
        // Put the models back even if `f` panics.
        struct Return<'a>(&'a ModelsHandle, Option<Box<FaceModels>>);
        impl Drop for Return<'_> {
            fn drop(&mut self) {
                if let Some(m) = self.1.take() {
                    *self.0.lock() = Slot::Ready(m);
                    self.0 .0.changed.notify_all();
                }
            }
        }
        let mut guard = Return(self, None);
        let out = f(&mut models);
        guard.1 = Some(models);
        Ok(out)
    }
}

/// A small RGB picture for the screen's camera preview.
#[derive(Clone, PartialEq, Eq)]
pub struct Preview {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl std::fmt::Debug for Preview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Preview({}x{})", self.width, self.height)
    }
}

/// Where the colour flash (炫彩) of an attempt stands, for the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashState {
    /// The challenge has none, or it is over: the actions are prompted.
    Off,
    /// Waiting for a steady face: 请正对屏幕,保持不动.
    Preparing,
    /// The screen shows this colour full-screen: 请保持不动.
    Showing(FlashColour),
}

/// What the screen shows after a frame.
#[derive(Debug, Clone)]
pub struct LiveUpdate {
    /// `None` when the preview is not wanted (tests).
    pub preview: Option<Preview>,
    pub progress: Progress,
    pub signals: FrameSignals,
    /// Milliseconds since the attempt started.
    pub t_ms: u64,
    pub flash: FlashState,
}

/// One evidence frame: JPEG bytes and the time since the attempt started.
#[derive(Clone)]
pub struct KeptFrame {
    pub t_ms: u64,
    pub jpeg: Vec<u8>,
}

impl std::fmt::Debug for KeptFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeptFrame(t_ms={}, {} bytes)",
            self.t_ms,
            self.jpeg.len()
        )
    }
}

/// Per-frame model time of an attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FrameTimes {
    pub frames: u32,
    pub total: Duration,
    pub max: Duration,
}

impl FrameTimes {
    fn add(&mut self, d: Duration) {
        self.frames += 1;
        self.total += d;
        self.max = self.max.max(d);
    }

    /// Mean time per frame.
    pub fn mean(&self) -> Duration {
        if self.frames == 0 {
            Duration::ZERO
        } else {
            self.total / self.frames
        }
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The session reached its verdict (passed or failed).
    Verdict,
    /// The camera had no more frames (a recording without loop).
    CameraEnded,
    /// [`AttemptOptions::cancel`] was set (the person left the screen).
    Cancelled,
    /// The challenge's expiry or [`MAX_ATTEMPT_MS`] was reached.
    TimeUp,
}

/// The result of one attempt on the device. `Debug` leaves the pictures out.
#[derive(Clone)]
pub struct Captured {
    pub verdict: Verdict,
    pub ended: Ended,
    /// The evidence frames, in time order.
    pub frames: Vec<KeptFrame>,
    /// The photo shown on a failure screen: the most frontal kept frame with one face.
    pub photo: Option<Vec<u8>>,
    pub times: FrameTimes,
    /// When the (last) colour flash started, in the frames' milliseconds; `None` when the
    /// challenge has none or it never started.
    pub flash_started_ms: Option<u64>,
}

impl std::fmt::Debug for Captured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Captured")
            .field("verdict", &self.verdict)
            .field("ended", &self.ended)
            .field("frames", &self.frames.len())
            .field("photo", &self.photo.as_ref().map(Vec::len))
            .field("times", &self.times)
            .field("flash_started_ms", &self.flash_started_ms)
            .finish()
    }
}

/// Why an attempt could not run.
#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    #[error("{}", .0.message())]
    Camera(CameraError),
    #[error("{}", .0.message())]
    Models(ModelsError),
    #[error("人脸识别出错,请重新核验")]
    Model(String),
}

impl UserError for AttemptError {
    fn code(&self) -> &'static str {
        match self {
            AttemptError::Camera(e) => e.code(),
            AttemptError::Models(e) => e.code(),
            AttemptError::Model(_) => "model_error",
        }
    }
    fn message(&self) -> String {
        self.to_string()
    }
}

/// How to run an attempt.
pub struct AttemptOptions {
    /// Set to stop the attempt early.
    pub cancel: Arc<AtomicBool>,
    /// The challenge's expiry on this machine's clock.
    pub deadline: Option<Instant>,
    /// Send a preview picture with each update.
    pub preview: bool,
    /// The camera shows a mirror image (a selfie preview); the models are told.
    pub mirrored: bool,
    /// The challenge's colour flash, shown before the actions.
    pub flash: Option<FlashSchedule>,
}

impl Default for AttemptOptions {
    fn default() -> Self {
        AttemptOptions {
            cancel: Arc::new(AtomicBool::new(false)),
            deadline: None,
            preview: false,
            mirrored: false,
            flash: None,
        }
    }
}

/// The flash's course through an attempt.
enum FlashRun {
    Off,
    /// Since when the face has been steady, if it is.
    Waiting(Option<u64>),
    /// Started at `start`; the face's pose and box centre then.
    Showing {
        start: u64,
        pose: (f32, f32),
        centre: (f32, f32),
    },
}

/// The face box of an analysis in unmirrored frame pixels (what the camera's frame holds).
fn camera_box(analysis: &models::FrameAnalysis, width: u32, mirrored: bool) -> Option<PixelBox> {
    analysis.face().map(|f| {
        let (xmin, xmax) = if mirrored {
            (width as f32 - f.xmax, width as f32 - f.xmin)
        } else {
            (f.xmin, f.xmax)
        };
        PixelBox {
            xmin,
            ymin: f.ymin,
            xmax,
            ymax: f.ymax,
        }
    })
}

fn to_image(frame: &Frame) -> Option<image::RgbImage> {
    image::RgbImage::from_raw(frame.width, frame.height, frame.rgb.clone())
}

fn scaled(img: &image::RgbImage, max_width: u32) -> image::RgbImage {
    if img.width() <= max_width {
        return img.clone();
    }
    let h = (u64::from(img.height()) * u64::from(max_width) / u64::from(img.width())).max(1);
    image::imageops::resize(
        img,
        max_width,
        h as u32,
        image::imageops::FilterType::Triangle,
    )
}

/// JPEG bytes of `img` (≤ [`MAX_EVIDENCE_WIDTH`] wide).
pub fn evidence_jpeg(img: &image::RgbImage) -> Option<Vec<u8>> {
    let img = scaled(img, MAX_EVIDENCE_WIDTH);
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
    img.write_with_encoder(enc).ok()?;
    Some(out)
}

fn preview_of(img: &image::RgbImage, mirrored: bool) -> Preview {
    let mut p = scaled(img, PREVIEW_WIDTH);
    if mirrored {
        image::imageops::flip_horizontal_in_place(&mut p);
    }
    Preview {
        width: p.width(),
        height: p.height(),
        rgb: p.into_raw(),
    }
}

/// Runs one attempt: frames from `camera` through the models until the session's verdict, the
/// end of the camera, the deadline or `cancel`. `on_update` is called after every frame.
///
/// Before each frame the camera is told which action is being asked for ([`Camera::want`]).
pub fn run_attempt(
    models: &mut FaceModels,
    camera: &mut dyn Camera,
    actions: ChallengeActions,
    opts: &AttemptOptions,
    mut on_update: impl FnMut(LiveUpdate),
) -> Result<Captured, AttemptError> {
    let mut runner = LivenessRunner::new(
        actions.clone(),
        models::detector_config(),
        IdentityConfig::default(),
    );
    let mut flash = FlashRun::Off;
    let mut flash_started_ms = None;
    let mut restarts = 0u32;
    if let Some(schedule) = &opts.flash {
        runner = runner.with_flash(schedule.clone(), FlashConfig::default());
        runner.hold_actions_until(u64::MAX);
        flash = FlashRun::Waiting(None);
    }
    let mut kept: Vec<KeptFrame> = Vec::new();
    // Whether each kept frame was taken while the flash showed (those are never thinned out).
    let mut in_flash: Vec<bool> = Vec::new();
    let mut next_keep = 0u64;
    let mut keep_every = KEEP_EVERY_MS;
    let mut start: Option<u64> = None;
    let mut times = FrameTimes::default();
    // (|yaw| + |pitch|, kept index) of the most frontal kept frame with one face.
    let mut best: Option<(f32, Vec<u8>)> = None;
    let mut action = actions.get(0);
    let ended = loop {
        if opts.cancel.load(Ordering::Relaxed) {
            break Ended::Cancelled;
        }
        if opts.deadline.is_some_and(|d| Instant::now() >= d) {
            break Ended::TimeUp;
        }
        camera.want(action);
        let Some(frame) = camera.next_frame().map_err(AttemptError::Camera)? else {
            break Ended::CameraEnded;
        };
        let t0 = *start.get_or_insert(frame.t_ms);
        let t_ms = frame.t_ms.saturating_sub(t0);
        if t_ms > MAX_ATTEMPT_MS {
            break Ended::TimeUp;
        }
        let began = Instant::now();
        let view = models::Frame::new(&frame.rgb, frame.width, frame.height)
            .map_err(|e| AttemptError::Model(e.to_string()))?
            .mirrored(opts.mirrored);
        let (analysis, progress) = runner
            .push(models, &view, t_ms)
            .map_err(|e| AttemptError::Model(e.to_string()))?;
        times.add(began.elapsed());
        // The flash: wait for a steady face, show the sequence, start again if the face moves.
        let face = analysis.signals.single_face().copied();
        let steady = face.is_some() && analysis.signals.primary_issue().is_none();
        flash = match (flash, &opts.flash) {
            (FlashRun::Waiting(since), Some(_)) => {
                let since = if steady { since.or(Some(t_ms)) } else { None };
                let ready = since.is_some_and(|s| t_ms.saturating_sub(s) >= FLASH_STEADY_MS);
                match face {
                    Some(f) if ready || (face.is_some() && t_ms >= FLASH_WAIT_MAX_MS) => {
                        runner.flash_started(t_ms);
                        flash_started_ms = Some(t_ms);
                        FlashRun::Showing {
                            start: t_ms,
                            pose: (f.yaw_deg, f.pitch_deg),
                            centre: f.face_box.center(),
                        }
                    }
                    _ => FlashRun::Waiting(since),
                }
            }
            (
                FlashRun::Showing {
                    start,
                    pose,
                    centre,
                },
                Some(schedule),
            ) => {
                let moved = face.is_none_or(|f| {
                    let (x, y) = f.face_box.center();
                    (f.yaw_deg - pose.0).abs() > FLASH_MAX_TURN_DEG
                        || (f.pitch_deg - pose.1).abs() > FLASH_MAX_TURN_DEG
                        || (x - centre.0).abs() > FLASH_MAX_SHIFT
                        || (y - centre.1).abs() > FLASH_MAX_SHIFT
                });
                if t_ms >= start + schedule.total_ms() {
                    FlashRun::Off
                } else if moved && restarts < FLASH_MAX_RESTARTS {
                    restarts += 1;
                    runner.hold_actions_until(u64::MAX);
                    FlashRun::Waiting(None)
                } else {
                    FlashRun::Showing {
                        start,
                        pose,
                        centre,
                    }
                }
            }
            _ => FlashRun::Off,
        };
        let flash_state = match (&flash, &opts.flash) {
            (FlashRun::Waiting(_), _) => FlashState::Preparing,
            (FlashRun::Showing { start, .. }, Some(schedule)) => schedule
                .colour_at(t_ms as i64 - *start as i64)
                .map_or(FlashState::Off, FlashState::Showing),
            _ => FlashState::Off,
        };
        camera.screen(
            match flash_state {
                FlashState::Showing(c) => Some(c),
                _ => None,
            },
            camera_box(&analysis, frame.width, opts.mirrored),
        );
        let flashing = matches!(flash, FlashRun::Showing { .. });
        let signals = analysis.signals;
        action = if matches!(flash, FlashRun::Off) {
            progress.action
        } else {
            None
        };
        let img = to_image(&frame);
        let finished = runner.is_finished();
        // The frame that completes the last action is always kept (the claimed time must lie
        // within the evidence): it replaces the previous kept frame when that one is too close,
        // which keeps every gap ≥ KEEP_EVERY_MS.
        let must_keep = finished && progress.verdict.as_ref().is_some_and(|v| v.passed);
        if must_keep && t_ms < next_keep && in_flash.last() == Some(&false) {
            kept.pop();
            in_flash.pop();
            next_keep = 0;
        }
        // During the flash a frame every FLASH_KEEP_EVERY_MS (the server needs each colour
        // step), otherwise every `keep_every`.
        let due = if flashing {
            kept.last()
                .is_none_or(|k| t_ms >= k.t_ms + FLASH_KEEP_EVERY_MS)
        } else {
            t_ms >= next_keep || must_keep
        };
        if due {
            if let Some(jpeg) = img.as_ref().and_then(evidence_jpeg) {
                if let Some(face) = signals.single_face() {
                    let off = face.yaw_deg.abs() + face.pitch_deg.abs();
                    if best.as_ref().is_none_or(|b| off < b.0) {
                        best = Some((off, jpeg.clone()));
                    }
                }
                if kept.len() >= MAX_EVIDENCE_FRAMES {
                    thin_out(&mut kept, &mut in_flash);
                    keep_every *= 2;
                }
                kept.push(KeptFrame { t_ms, jpeg });
                in_flash.push(flashing);
                next_keep = t_ms + keep_every;
            }
        }
        on_update(LiveUpdate {
            preview: if opts.preview {
                img.as_ref().map(|i| preview_of(i, opts.mirrored))
            } else {
                None
            },
            progress,
            signals,
            t_ms,
            flash: flash_state,
        });
        if finished {
            break Ended::Verdict;
        }
    };
    if ended == Ended::Verdict && runner.session().verdict().is_some_and(|v| v.passed) {
        let end = kept.last().map_or(0, |k| k.t_ms);
        camera.want(None);
        while let Some(frame) = camera.next_frame().map_err(AttemptError::Camera)? {
            let t_ms = frame.t_ms.saturating_sub(start.unwrap_or(0));
            if t_ms > end + TAIL_MS || opts.cancel.load(Ordering::Relaxed) {
                break;
            }
            if t_ms >= next_keep && kept.len() < MAX_EVIDENCE_FRAMES {
                if let Some(jpeg) = to_image(&frame).as_ref().and_then(evidence_jpeg) {
                    kept.push(KeptFrame { t_ms, jpeg });
                    in_flash.push(false);
                    next_keep = t_ms + keep_every;
                }
            }
        }
    }
    let outcome = runner.finish();
    Ok(Captured {
        verdict: outcome.verdict,
        ended,
        frames: kept,
        photo: best.map(|b| b.1),
        times,
        flash_started_ms,
    })
}

/// Drops every other kept frame taken outside the flash (the flash's frames all stay: the
/// server checks each colour step).
fn thin_out(kept: &mut Vec<KeptFrame>, in_flash: &mut Vec<bool>) {
    let mut outside = 0usize;
    let keep: Vec<bool> = in_flash
        .iter()
        .map(|&flash| {
            if flash {
                return true;
            }
            outside += 1;
            outside % 2 == 1
        })
        .collect();
    let mut it = keep.iter();
    kept.retain(|_| *it.next().unwrap_or(&true));
    let mut it = keep.iter();
    in_flash.retain(|_| *it.next().unwrap_or(&true));
}

/// Recorded clips of `../shared/testdata/faces` laid out for [`crate::platform::camera::Recorded`]
/// (symlinks; the data is never copied). For tests, benches and testers.
#[doc(hidden)]
pub mod testdata {
    use std::path::{Path, PathBuf};

    /// `shared/testdata/faces` next to the repository, if present.
    pub fn faces_dir() -> Option<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/faces");
        dir.join("MANIFEST.md").is_file().then_some(dir)
    }

    /// p07's head shake and nod as per-action clips in `into` (`shake_head/`, `nod/`), after
    /// one second of p07 looking at the camera (`neutral/`, the first 15 frames of
    /// `p07_neutral_frames`): a person faces the camera before the first prompt, and the
    /// detectors need that resting pose (the shake clip starts turning at once).
    pub fn p07_actions(into: &Path) -> std::io::Result<()> {
        let faces = faces_dir().ok_or_else(|| std::io::Error::other("no test data"))?;
        let neutral = into.join("neutral");
        std::fs::create_dir_all(&neutral)?;
        let mut files: Vec<_> =
            std::fs::read_dir(faces.join("actions/neutral/p07_neutral_frames"))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
                .collect();
        files.sort();
        for f in files.iter().take(15) {
            if let Some(name) = f.file_name() {
                link(f, &neutral.join(name))?;
            }
        }
        link(
            &faces.join("actions/turn_head/p07_turn_left_right_frames"),
            &into.join("shake_head"),
        )?;
        link(&faces.join("actions/nod/p07_nod_frames"), &into.join("nod"))
    }

    /// A flat recording of one still photo repeated `n` times (a photo held up to the camera).
    pub fn still_photo(photo: &Path, n: usize, into: &Path) -> std::io::Result<()> {
        for i in 0..n {
            link(photo, &into.join(format!("{i:04}.jpg")))?;
        }
        Ok(())
    }

    #[cfg(unix)]
    fn link(from: &Path, to: &Path) -> std::io::Result<()> {
        std::os::unix::fs::symlink(from.canonicalize()?, to)
    }

    #[cfg(not(unix))]
    fn link(from: &Path, to: &Path) -> std::io::Result<()> {
        Err(std::io::Error::other(format!(
            "symlinks needed for {} → {}",
            from.display(),
            to.display()
        )))
    }
}
