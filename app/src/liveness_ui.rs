//! Wiring of the 身份核验 panel (`ui/liveness.slint`, global `LivenessPage`) to
//! [`crate::controllers::liveness`]. Runs on the UI thread; the attempt itself runs on a worker
//! thread ([`Runner::Background`]) that sends each frame's view with
//! `slint::invoke_from_event_loop`, or inline in headless tests ([`Runner::Inline`]).
//!
//! Assisted mode (代为年审 by staff on a tablet, `ui/staff.rs`): with
//! [`LivenessUi::set_offline_challenge`] the attempt uses the person's challenge cached on the
//! tablet and runs on the device only; a passed attempt keeps its frames and claimed times
//! ([`LivenessUi::offline_capture`]) for the tablet's queue, which sends them as evidence at sync
//! time (the server re-checks them then).

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use shared::error::UserError;
use slint::{ComponentHandle, SharedPixelBuffer};

use crate::api::liveness::ChallengeIssued;
use crate::api::{ApiError, HttpClient, Token};
use crate::controllers::liveness::{
    self as ctl, camera_outcome, live_view, seconds_left, Failure, Outcome, Step, Verified,
    VerifyError,
};
use crate::liveness::{evidence_jpeg, AttemptOptions, ModelsHandle, Preview};
use crate::platform::camera::{self, Camera, CameraError, Pacing};
use crate::ui::Runner;
use crate::{AppWindow, LivenessPage};

/// Where the camera frames come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraSource {
    /// No camera on this build (no `webcam` feature and no recording): "无法打开摄像头".
    None,
    /// `--camera-frames DIR` (flat or per action, see [`camera::Recorded`]).
    Frames { dir: PathBuf, pacing: Pacing },
    /// The system refused the camera (`--camera-denied`, tests of the explanation screen).
    Denied,
    /// The first webcam (feature `webcam`).
    #[cfg(feature = "webcam")]
    Webcam,
    /// A camera the platform supplies (the Android front camera, opened after the CAMERA
    /// permission). Its preview is not mirrored: the platform hands over upright frames.
    Platform(PlatformCamera),
}

/// Opens a platform camera each time an attempt starts (see [`CameraSource::Platform`]).
#[derive(Clone)]
pub struct PlatformCamera(pub Arc<dyn Fn() -> Result<Box<dyn Camera>, CameraError> + Send + Sync>);

impl std::fmt::Debug for PlatformCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlatformCamera")
    }
}

impl PartialEq for PlatformCamera {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for PlatformCamera {}

impl CameraSource {
    fn open(&self) -> Result<Box<dyn Camera>, CameraError> {
        match self {
            CameraSource::None => Err(CameraError::Unavailable),
            CameraSource::Frames { dir, pacing } => {
                Ok(Box::new(camera::Recorded::open(dir, *pacing)?))
            }
            CameraSource::Denied => Ok(Box::new(camera::Denied)),
            #[cfg(feature = "webcam")]
            CameraSource::Webcam => Ok(Box::new(camera::webcam::Webcam::open_default()?)),
            CameraSource::Platform(open) => (open.0)(),
        }
    }

    /// Recordings are not mirrored; a selfie camera preview is.
    fn mirrored(&self) -> bool {
        #[cfg(feature = "webcam")]
        if matches!(self, CameraSource::Webcam) {
            return true;
        }
        false
    }
}

/// What the panel needs from the rest of the app.
pub struct LivenessHooks {
    pub api: HttpClient,
    pub runner: Runner,
    /// The logged-in user's token, if any.
    pub token: Box<dyn Fn() -> Option<Token>>,
    /// Called with the proof for the submission when the person presses 完成 (or sends the
    /// newspaper photo), and with `None` when it no longer holds (重新核验).
    pub on_verified: Box<dyn Fn(Option<Verified>)>,
}

struct Inner {
    hooks: LivenessHooks,
    camera: CameraSource,
    models: ModelsHandle,
    cancel: Arc<AtomicBool>,
    running: bool,
    /// The outcome on screen (for 完成).
    outcome: Option<Outcome>,
    newspaper: Option<(Vec<u8>, String)>,
    /// Model time per frame of the last attempt (mean, ms) — for the report/bench.
    last_frame_ms: Option<f64>,
    /// Assisted mode (staff doing a person's review on a tablet): the person's challenge from
    /// the tablet's cache; the attempt runs on the device only (see [`OfflineCapture`]).
    offline: Option<ChallengeIssued>,
    /// What the last passed offline attempt captured, for the tablet's queue.
    offline_capture: Option<OfflineCapture>,
}

/// What an offline attempt (assisted mode) keeps for the tablet's queue: the evidence frames
/// (JPEG, ms since the start) and the claimed action times. The server re-runs the models on
/// them when the queue is synced, exactly as for an online attempt. `Debug` leaves the frames
/// out (faces).
#[derive(Clone, PartialEq, Eq)]
pub struct OfflineCapture {
    pub challenge_id: String,
    pub frames: Vec<(Vec<u8>, u64)>,
    pub claimed: Vec<crate::api::liveness::ActionAt>,
    pub flash_started_ms: Option<u64>,
}

impl std::fmt::Debug for OfflineCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfflineCapture")
            .field("challenge_id", &self.challenge_id)
            .field("frames", &self.frames.len())
            .field("claimed", &self.claimed)
            .finish()
    }
}

/// The panel's state; kept by [`crate::ui::Ui`].
pub struct LivenessUi {
    window: slint::Weak<AppWindow>,
    inner: RefCell<Inner>,
}

fn rgb_image(p: &Preview) -> slint::Image {
    let buf = SharedPixelBuffer::<slint::Rgb8Pixel>::clone_from_slice(&p.rgb, p.width, p.height);
    slint::Image::from_rgb8(buf)
}

fn jpeg_image(bytes: &[u8]) -> Option<slint::Image> {
    let img = image::load_from_memory(bytes).ok()?.to_rgb8();
    Some(rgb_image(&Preview {
        width: img.width(),
        height: img.height(),
        rgb: img.into_raw(),
    }))
}

/// The worker's result, back on the UI thread: the attempt, the review category and, on a face
/// mismatch, the person's reference photo (when the server has one and it could be fetched).
type Finished = (Result<ctl::Attempt, VerifyError>, String, Option<Vec<u8>>);

impl LivenessUi {
    /// Wires `LivenessPage`'s callbacks.
    pub fn wire(window: &AppWindow, hooks: LivenessHooks) -> Rc<LivenessUi> {
        let me = Rc::new(LivenessUi {
            window: window.as_weak(),
            inner: RefCell::new(Inner {
                hooks,
                camera: CameraSource::None,
                models: ModelsHandle::new(),
                cancel: Arc::new(AtomicBool::new(false)),
                running: false,
                outcome: None,
                newspaper: None,
                last_frame_ms: None,
                offline: None,
                offline_capture: None,
            }),
        });
        let page = window.global::<LivenessPage>();
        let weak = Rc::downgrade(&me);
        page.on_start(move || {
            if let Some(me) = weak.upgrade() {
                me.start();
            }
        });
        let weak = Rc::downgrade(&me);
        page.on_retry(move || {
            if let Some(me) = weak.upgrade() {
                me.retry();
            }
        });
        let weak = Rc::downgrade(&me);
        page.on_finish(move || {
            if let Some(me) = weak.upgrade() {
                me.finish();
            }
        });
        let weak = Rc::downgrade(&me);
        page.on_open_special(move || {
            if let Some(me) = weak.upgrade() {
                me.page(|p| {
                    p.set_stage("special".into());
                    p.set_status("".into());
                });
            }
        });
        let weak = Rc::downgrade(&me);
        page.on_newspaper_camera(move || {
            if let Some(me) = weak.upgrade() {
                me.newspaper_from_camera();
            }
        });
        let weak = Rc::downgrade(&me);
        page.on_newspaper_file(move || {
            if let Some(me) = weak.upgrade() {
                me.newspaper_from_file();
            }
        });
        let weak = Rc::downgrade(&me);
        page.on_newspaper_send(move || {
            if let Some(me) = weak.upgrade() {
                me.newspaper_send();
            }
        });
        me
    }

    /// Where frames come from (default: none on a build without the `webcam` feature).
    pub fn set_camera(&self, source: CameraSource) {
        self.inner.borrow_mut().camera = source;
    }

    /// Assisted mode: `Some(challenge)` makes the next attempts use this (cached) challenge and
    /// run on the device only, keeping the capture ([`LivenessUi::take_offline_capture`]);
    /// `None` goes back to the normal, online attempt.
    pub fn set_offline_challenge(&self, challenge: Option<ChallengeIssued>) {
        let mut inner = self.inner.borrow_mut();
        inner.offline = challenge;
        inner.offline_capture = None;
    }

    /// What the last passed offline attempt captured (until the next attempt or mode change).
    pub fn offline_capture(&self) -> Option<OfflineCapture> {
        self.inner.borrow().offline_capture.clone()
    }

    /// Test support: stands in for a passed offline attempt (the face models and recorded
    /// frames are not needed to test what happens after it).
    #[doc(hidden)]
    pub fn set_offline_capture_for_test(&self, capture: OfflineCapture) {
        self.inner.borrow_mut().offline_capture = Some(capture);
    }

    /// Starts loading the face models in the background (e.g. when the wizard opens).
    pub fn preload_models(&self) {
        self.inner.borrow().models.preload();
    }

    /// The models (shared with benches and tests).
    pub fn models(&self) -> ModelsHandle {
        self.inner.borrow().models.clone()
    }

    /// Mean model time per frame of the last attempt, in ms.
    pub fn last_frame_ms(&self) -> Option<f64> {
        self.inner.borrow().last_frame_ms
    }

    /// Back to the intro (when the wizard closes); stops a running attempt.
    pub fn reset(&self) {
        self.inner.borrow().cancel.store(true, Ordering::Relaxed);
        self.inner.borrow_mut().outcome = None;
        self.page(|p| {
            p.set_stage("intro".into());
            p.set_status("".into());
            p.set_has_photo(false);
            p.set_has_reference_photo(false);
        });
    }

    fn page(&self, f: impl FnOnce(LivenessPage<'_>)) {
        if let Some(w) = self.window.upgrade() {
            f(w.global::<LivenessPage>());
        }
    }

    fn retry(self: &Rc<Self>) {
        let running = self.inner.borrow().running;
        if running {
            self.inner.borrow().cancel.store(true, Ordering::Relaxed);
            return;
        }
        let had_proof = self.inner.borrow_mut().outcome.take().is_some();
        if had_proof {
            (self.inner.borrow().hooks.on_verified)(None);
        }
        self.start();
    }

    fn finish(&self) {
        let outcome = self.inner.borrow().outcome.clone();
        if let Some(Outcome::Passed(v)) = outcome {
            (self.inner.borrow().hooks.on_verified)(Some(v));
            self.page(|p| p.set_stage("done".into()));
        }
    }

    fn start(self: &Rc<Self>) {
        if self.inner.borrow().offline.is_some() {
            self.start_offline();
            return;
        }
        let (api, runner, token, source, models) = {
            let inner = self.inner.borrow();
            if inner.running {
                return;
            }
            (
                inner.hooks.api.clone(),
                inner.hooks.runner,
                (inner.hooks.token)(),
                inner.camera.clone(),
                inner.models.clone(),
            )
        };
        let Some(token) = token else {
            self.page(|p| p.set_status("登录已过期,请重新登录".into()));
            return;
        };
        let cancel = self.begin_attempt(if models.load_time().is_some() {
            "正在获取核验动作…"
        } else {
            "正在加载人脸识别模型…"
        });
        let mirrored = source.mirrored();
        let job = {
            let api = api.clone();
            move |on_step: &mut dyn FnMut(Step)| -> Finished {
                // The category decides whether 特殊人群核验 may be offered.
                let category = api
                    .current_review(&token)
                    .map(|r| r.category)
                    .unwrap_or_default();
                let mut cam = match source.open() {
                    Ok(c) => c,
                    Err(e) => {
                        return (
                            Err(VerifyError::Attempt(crate::liveness::AttemptError::Camera(
                                e,
                            ))),
                            category,
                            None,
                        )
                    }
                };
                let opts = AttemptOptions {
                    cancel,
                    deadline: None,
                    preview: true,
                    mirrored,
                    // `ctl::verify` takes the flash from the challenge it gets.
                    flash: None,
                };
                let r = ctl::verify(&api, &token, &category, &models, cam.as_mut(), opts, |s| {
                    on_step(s)
                });
                // 不是同一人: fetch the reference photo to show beside the captured one. A
                // failure (none, network) only leaves it out.
                let mismatch = matches!(
                    &r,
                    Ok(ctl::Attempt {
                        outcome: Outcome::Failed {
                            failure: Failure::Mismatch,
                            ..
                        },
                        ..
                    })
                );
                let reference = if mismatch {
                    api.reference_photo(&token).ok().flatten()
                } else {
                    None
                };
                (r, category, reference)
            }
        };
        self.run_job(runner, job);
    }

    /// Assisted mode: the cached challenge, the camera and the models, nothing sent. A passed
    /// attempt keeps its frames and claimed times for the tablet's queue.
    fn start_offline(self: &Rc<Self>) {
        let (challenge, runner, source, models) = {
            let inner = self.inner.borrow();
            if inner.running {
                return;
            }
            let Some(c) = inner.offline.clone() else {
                return;
            };
            (
                c,
                inner.hooks.runner,
                inner.camera.clone(),
                inner.models.clone(),
            )
        };
        let cancel = self.begin_attempt("正在加载人脸识别模型…");
        let mirrored = source.mirrored();
        let job = move |on_step: &mut dyn FnMut(Step)| -> Finished {
            let r = offline_attempt(&challenge, &models, &source, cancel, mirrored, on_step);
            (r, String::new(), None)
        };
        self.run_job(runner, job);
    }

    /// Marks an attempt as running (a fresh cancel flag, no outcome or capture yet) and shows
    /// the loading stage with `status`. Returns the attempt's cancel flag.
    fn begin_attempt(&self, status: &str) -> Arc<AtomicBool> {
        let cancel = Arc::new(AtomicBool::new(false));
        {
            let mut inner = self.inner.borrow_mut();
            inner.cancel = cancel.clone();
            inner.running = true;
            inner.outcome = None;
            inner.offline_capture = None;
        }
        self.page(|p| {
            p.set_stage("loading".into());
            p.set_status(status.into());
            p.set_has_photo(false);
            p.set_has_reference_photo(false);
            p.set_has_preview(false);
            p.set_hint("".into());
            p.set_special_available(false);
            p.set_help("".into());
        });
        cancel
    }

    /// Runs an attempt's `job` with `runner`: inline (tests), or on a thread whose steps are
    /// shown on the UI thread as they come; [`LivenessUi::done`] gets the result.
    fn run_job(
        self: &Rc<Self>,
        runner: Runner,
        job: impl FnOnce(&mut dyn FnMut(Step)) -> Finished + Send + 'static,
    ) {
        match runner {
            Runner::Inline => {
                let expires = RefCell::new(None);
                let me = self.clone();
                let mut apply = |s: Step| me.show_step(s, &expires);
                let result = job(&mut apply);
                self.done(result);
            }
            Runner::Background => {
                let window = self.window.clone();
                let (tx, rx) = futures_channel::oneshot::channel::<Finished>();
                std::thread::spawn(move || {
                    let mut send = |s: Step| {
                        let window = window.clone();
                        let _ = slint::invoke_from_event_loop(move || {
                            if let Some(w) = window.upgrade() {
                                show_step_on(&w, s, &mut None);
                            }
                        });
                    };
                    let _ = tx.send(job(&mut send));
                });
                let weak = Rc::downgrade(self);
                let _ = slint::spawn_local(async move {
                    if let Ok(result) = rx.await {
                        if let Some(me) = weak.upgrade() {
                            me.done(result);
                        }
                    }
                });
            }
        }
    }

    fn show_step(&self, step: Step, expires: &RefCell<Option<DateTime<Utc>>>) {
        if let Some(w) = self.window.upgrade() {
            show_step_on(&w, step, &mut expires.borrow_mut());
        }
    }

    fn done(&self, (result, _category, reference): Finished) {
        self.inner.borrow_mut().running = false;
        let outcome = match result {
            Ok(attempt) => {
                if let Some(c) = &attempt.captured {
                    let ms = c.times.mean().as_secs_f64() * 1000.0;
                    self.inner.borrow_mut().last_frame_ms = Some(ms);
                    eprintln!(
                        "liveness: {} frames analysed, {:.1} ms per frame (max {:.1} ms), {} kept",
                        c.times.frames,
                        ms,
                        c.times.max.as_secs_f64() * 1000.0,
                        c.frames.len()
                    );
                }
                let photo = attempt.captured.as_ref().and_then(|c| c.photo.clone());
                let offline = self.inner.borrow().offline.is_some();
                if let (true, Outcome::Passed(_), Some(c)) =
                    (offline, &attempt.outcome, &attempt.captured)
                {
                    self.inner.borrow_mut().offline_capture = Some(OfflineCapture {
                        challenge_id: attempt.challenge_id.clone(),
                        frames: c.frames.iter().map(|f| (f.jpeg.clone(), f.t_ms)).collect(),
                        claimed: c.verdict.done_at.clone(),
                        flash_started_ms: c.flash_started_ms,
                    });
                }
                (attempt.outcome, photo)
            }
            Err(VerifyError::Attempt(e)) => (camera_outcome(&e), None),
            Err(e) => {
                self.page(|p| {
                    p.set_stage("intro".into());
                    p.set_status(e.message().into());
                });
                return;
            }
        };
        self.show_outcome(outcome.0, outcome.1, reference);
    }

    fn show_outcome(
        &self,
        outcome: Outcome,
        passed_photo: Option<Vec<u8>>,
        reference_photo: Option<Vec<u8>>,
    ) {
        let cancelled = outcome.code() == "cancelled";
        self.inner.borrow_mut().outcome = Some(outcome.clone());
        self.page(|p| {
            p.set_status("".into());
            if cancelled {
                p.set_stage("intro".into());
                return;
            }
            match &outcome {
                Outcome::Passed(_) => {
                    let img = passed_photo.as_deref().and_then(jpeg_image);
                    p.set_has_photo(img.is_some());
                    p.set_has_reference_photo(false);
                    if let Some(img) = img {
                        p.set_photo(img);
                    }
                    p.set_stage("passed".into());
                }
                Outcome::Failed {
                    failure,
                    message,
                    photo,
                    special_check,
                    ..
                } => {
                    let (kind, help) = match failure {
                        Failure::Retry => ("retry", ""),
                        Failure::Mismatch => ("mismatch", ctl::MISMATCH_HELP),
                        Failure::NoReference => ("no_reference", ctl::NO_REFERENCE_HELP),
                        Failure::CameraDenied => ("camera_denied", ""),
                    };
                    let show_photo = *failure == Failure::Mismatch;
                    let img = photo.as_deref().filter(|_| show_photo).and_then(jpeg_image);
                    p.set_has_photo(img.is_some());
                    // The reference photo only beside a captured one.
                    let reference = reference_photo
                        .as_deref()
                        .filter(|_| show_photo && img.is_some())
                        .and_then(jpeg_image);
                    p.set_has_reference_photo(reference.is_some());
                    if let Some(r) = reference {
                        p.set_reference_photo(r);
                    }
                    if let Some(img) = img {
                        p.set_photo(img);
                    }
                    p.set_failure(kind.into());
                    p.set_message(message.as_str().into());
                    p.set_help(if *special_check {
                        ctl::SPECIAL_CHECK_HELP.into()
                    } else {
                        help.into()
                    });
                    p.set_special_available(*special_check);
                    p.set_stage("failed".into());
                }
            }
        });
    }

    fn set_newspaper(&self, bytes: Vec<u8>, name: String) {
        match jpeg_image(&bytes) {
            Some(img) => {
                self.inner.borrow_mut().newspaper = Some((bytes, name));
                self.page(|p| {
                    p.set_newspaper_photo(img);
                    p.set_has_newspaper_photo(true);
                    p.set_newspaper_error("".into());
                });
            }
            None => self.page(|p| {
                p.set_has_newspaper_photo(false);
                p.set_newspaper_error("只能上传JPG或PNG格式的图片".into());
            }),
        }
    }

    fn newspaper_from_camera(&self) {
        let source = self.inner.borrow().camera.clone();
        let shot = source
            .open()
            .and_then(|mut c| c.next_frame()?.ok_or(CameraError::Unavailable));
        match shot {
            Ok(frame) => {
                let jpeg = image::RgbImage::from_raw(frame.width, frame.height, frame.rgb)
                    .and_then(|img| evidence_jpeg(&img));
                match jpeg {
                    Some(j) => self.set_newspaper(j, "newspaper.jpg".into()),
                    None => self.page(|p| p.set_newspaper_error("拍摄失败,请重试".into())),
                }
            }
            Err(e) => {
                let text = if e.code() == "camera_permission_denied" {
                    format!(
                        "{}{}",
                        ctl::CAMERA_PERMISSION_WHY,
                        ctl::CAMERA_PERMISSION_HOW
                    )
                } else {
                    e.message()
                };
                self.page(|p| p.set_newspaper_error(text.into()));
            }
        }
    }

    fn newspaper_from_file(&self) {
        let Some(w) = self.window.upgrade() else {
            return;
        };
        let path = w.global::<LivenessPage>().get_newspaper_path().to_string();
        let path = path.trim();
        if path.is_empty() {
            self.page(|p| p.set_newspaper_error("请输入照片文件的路径".into()));
            return;
        }
        match std::fs::read(path) {
            Ok(bytes) => {
                let name = if path.to_ascii_lowercase().ends_with(".png") {
                    "newspaper.png"
                } else {
                    "newspaper.jpg"
                };
                self.set_newspaper(bytes, name.into());
            }
            Err(_) => self.page(|p| p.set_newspaper_error("无法读取该文件,请检查路径".into())),
        }
    }

    fn newspaper_send(self: &Rc<Self>) {
        let (api, runner, token, photo) = {
            let inner = self.inner.borrow();
            (
                inner.hooks.api.clone(),
                inner.hooks.runner,
                (inner.hooks.token)(),
                inner.newspaper.clone(),
            )
        };
        let (Some(token), Some((bytes, name))) = (token, photo) else {
            self.page(|p| p.set_newspaper_error("请先拍摄或选择照片".into()));
            return;
        };
        self.page(|p| p.set_status("正在上传…".into()));
        let weak = Rc::downgrade(self);
        let job = move || ctl::upload_newspaper_photo(&api, &token, bytes, &name);
        let done = move |r: Result<Verified, ApiError>| {
            let Some(me) = weak.upgrade() else { return };
            match r {
                Ok(v) => {
                    me.inner.borrow_mut().outcome = Some(Outcome::Passed(v.clone()));
                    (me.inner.borrow().hooks.on_verified)(Some(v));
                    me.page(|p| {
                        p.set_status("".into());
                        p.set_stage("special-sent".into());
                    });
                }
                Err(e) => me.page(|p| p.set_status(e.message().into())),
            }
        };
        runner.run(job, done);
    }
}

/// The longest an offline attempt runs when its cached challenge expires later.
const OFFLINE_ATTEMPT_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// One attempt on the device with a cached challenge (assisted mode): no server call. Passed
/// means the device's verdict; the server re-checks the frames when the queue is synced.
fn offline_attempt(
    challenge: &ChallengeIssued,
    models: &ModelsHandle,
    source: &CameraSource,
    cancel: Arc<AtomicBool>,
    mirrored: bool,
    on_step: &mut dyn FnMut(Step),
) -> Result<ctl::Attempt, VerifyError> {
    use crate::liveness::{run_attempt, AttemptError, Ended};
    use shared::liveness::{ChallengeActions, FailReason};
    let actions = ChallengeActions::new(challenge.actions.iter().copied())
        .map_err(|_| VerifyError::BadChallenge)?;
    let expires_at = DateTime::parse_from_rfc3339(&challenge.expires_at)
        .map_err(|_| VerifyError::BadChallenge)?
        .with_timezone(&Utc);
    let left = (expires_at - Utc::now()).to_std().unwrap_or_default();
    if left.is_zero() {
        return Err(VerifyError::Api(ApiError::Problem(
            crate::api::Problem::new(
                410,
                "challenge_expired",
                "本机缓存的核验动作已过期,请联网后点击“更新名单”再试",
            ),
        )));
    }
    let mut cam = source
        .open()
        .map_err(|e| VerifyError::Attempt(AttemptError::Camera(e)))?;
    on_step(Step::Challenge {
        actions: challenge.actions.clone(),
        expires_at: Utc::now()
            + chrono::Duration::from_std(left.min(OFFLINE_ATTEMPT_LIMIT)).unwrap_or_default(),
    });
    let opts = AttemptOptions {
        cancel,
        deadline: Some(std::time::Instant::now() + left.min(OFFLINE_ATTEMPT_LIMIT)),
        preview: true,
        mirrored,
        flash: ctl::flash_schedule(challenge)?,
    };
    let captured = models
        .with(|m| {
            run_attempt(m, cam.as_mut(), actions, &opts, |u| {
                on_step(Step::Frame(Box::new(u)))
            })
        })
        .map_err(|e| VerifyError::Attempt(AttemptError::Models(e)))?
        .map_err(VerifyError::Attempt)?;
    let outcome = if captured.verdict.passed {
        Outcome::Passed(Verified::Challenge(challenge.challenge_id.clone()))
    } else {
        let reason = match captured.ended {
            Ended::TimeUp => Some(FailReason::ChallengeExpired),
            _ => captured.verdict.reason,
        };
        Outcome::Failed {
            failure: match reason {
                Some(FailReason::DifferentPerson) => Failure::Mismatch,
                _ => Failure::Retry,
            },
            code: reason.map_or("cancelled", FailReason::as_str).into(),
            message: reason
                .map_or("身份核验已取消", FailReason::message_zh)
                .into(),
            photo: captured.photo.clone(),
            special_check: false,
        }
    };
    Ok(ctl::Attempt {
        outcome,
        challenge_id: challenge.challenge_id.clone(),
        actions: challenge.actions.clone(),
        captured: Some(captured),
        server: None,
    })
}

/// Applies one step of an attempt to the panel. `expires` remembers the challenge's expiry.
fn show_step_on(w: &AppWindow, step: Step, expires: &mut Option<DateTime<Utc>>) {
    let p = w.global::<LivenessPage>();
    match step {
        Step::Challenge {
            actions,
            expires_at,
        } => {
            *expires = Some(expires_at);
            // Kept in the window so that frames from a worker thread find it.
            p.set_countdown(format!("剩余{}秒", seconds_left(&expires_at, Utc::now())).into());
            p.set_expires_at(expires_at.timestamp() as i32);
            p.set_step_text(format!("第1/{}个动作", actions.len()).into());
            p.set_prompt(actions.first().map_or("", |a| a.prompt_zh()).into());
            p.set_stage("running".into());
        }
        Step::Frame(update) => {
            let left = match expires {
                Some(e) => seconds_left(e, Utc::now()),
                None => i64::from(p.get_expires_at()) - Utc::now().timestamp(),
            };
            let view = live_view(&update.progress, left.max(0));
            let flash = ctl::flash_view(update.flash);
            if let Some(f) = &flash {
                p.set_prompt(f.prompt.into());
                p.set_step_text(f.step.into());
            } else if update.progress.verdict.is_none() {
                p.set_prompt(view.prompt.into());
                p.set_step_text(view.step.into());
            }
            let colour = flash.and_then(|f| f.colour);
            if let Some([r, g, b]) = colour {
                p.set_flash_colour(slint::Color::from_rgb_u8(r, g, b));
            }
            p.set_flashing(colour.is_some());
            p.set_hint(view.hint.into());
            p.set_countdown(view.countdown.into());
            if let Some(preview) = &update.preview {
                p.set_preview(rgb_image(preview));
                p.set_has_preview(true);
            }
        }
        Step::Uploading { frames } => {
            p.set_flashing(false);
            p.set_stage("uploading".into());
            p.set_status(format!("正在上传核验画面({frames}张)…").into());
        }
    }
}
