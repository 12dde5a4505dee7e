//! 身份核验 (seed 000 "年审信息填报-身份核验", seed 001 "认证"): what the liveness step shows
//! and decides, without a display.
//!
//! One attempt: a challenge from the server → the actions one at a time on the device
//! ([`crate::liveness::run_attempt`]) → the kept frames uploaded (`kind=liveness_frame`) and the
//! evidence posted with the claimed action times → the server's verdict, turned into an
//! [`Outcome`]: passed (完成 → the wizard's 提交), try again (重新核验), not the same person (the
//! captured photo), no reference photo (what to do), and after more than 3 failed comparisons
//! for 军休干部 / 无军籍退休职工 the 特殊人群核验 path (a photo holding today's newspaper).
//!
//! What passes on to the submission is a [`Verified`].

use chrono::{DateTime, Utc};
use shared::api::review::{SubmissionRequest, UploadKind};
use shared::category::Category;
use shared::error::UserError;
use shared::liveness::{
    Action, ChallengeActions, FailReason, FlashSchedule, Hint, Nonce, Progress,
};

use crate::api::liveness::{
    ActionAt, ChallengeIssued, EvidenceFrame, EvidenceRequest, EvidenceResult,
};
use crate::api::{ApiError, HttpClient, Token};
use crate::liveness::{
    run_attempt, AttemptError, AttemptOptions, Captured, Ended, FlashState, LiveUpdate,
    ModelsHandle,
};
use crate::platform::camera::Camera;

/// 特殊人群核验 opens after more than this many failed face comparisons in a year (seed 001:
/// 比对失败超3次).
pub const SPECIAL_CHECK_AFTER: u32 = 3;

/// Seed 001 (权限): why the camera is needed and how to allow it again.
pub const CAMERA_PERMISSION_TITLE: &str = "需要使用相机";
pub const CAMERA_PERMISSION_WHY: &str = "身份核验(活体认证)需要使用相机拍摄您的面部,核验的信息仅用于年度登记审核使用。未获得相机权限,认证将中断。";
pub const CAMERA_PERMISSION_HOW: &str = "请前往 设置 > 应用 > 权限管理 > 找到“战友” > 开启“相机”权限(建议设为“仅使用期间允许”),然后返回本页点击“重新核验”。";

/// Seed 001 (无基准照片): what to do.
pub const NO_REFERENCE_HELP: &str = "人脸比对无基准照片。请携带身份证,前往您抚恤关系所在的退役军人服务中心(站),联系工作人员在系统中采集基准照片后再进行核验。";

/// Seed 001 (特殊人群核验).
pub const SPECIAL_CHECK_HELP: &str = "您的人脸比对已失败超过3次。请准备好一张当日当地报纸,拍摄一张本人手持当日报纸的免冠照片上传,由工作人员人工核验。";

/// Shown next to the captured photo on a "not the same person" failure: the API has no way to
/// fetch the stored reference photo, so it is not shown side by side.
pub const MISMATCH_HELP: &str = "本次核验采集的照片与人像库中存储的照片经系统核验为非同一人。请本人重新核验;如人像库中存储照片非本人或存在其他问题,请联系相关工作人员。";

/// What the submission carries as proof of identity.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Verified {
    /// A liveness challenge whose evidence the server accepted.
    Challenge(String),
    /// 特殊人群核验: an upload of kind `newspaper_photo`.
    Newspaper(String),
}

impl Verified {
    /// `liveness_challenge_id` of the submission (empty for the newspaper path).
    pub fn challenge_id(&self) -> &str {
        match self {
            Verified::Challenge(id) => id,
            Verified::Newspaper(_) => "",
        }
    }

    /// `newspaper_photo_upload` of the submission.
    pub fn newspaper_upload(&self) -> Option<&str> {
        match self {
            Verified::Challenge(_) => None,
            Verified::Newspaper(id) => Some(id),
        }
    }

    /// Puts this proof into a submission (exactly one of the two fields is set).
    pub fn apply(&self, req: &mut SubmissionRequest) {
        req.liveness_challenge_id = self.challenge_id().to_owned();
        req.newspaper_photo_upload = self.newspaper_upload().map(str::to_owned);
    }
}

/// Which failure screen to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Actions not done, bad picture, expired …: 重新核验 with a new challenge.
    Retry,
    /// Not the same person as the reference photo (`face_mismatch`) or the face changed during
    /// the attempt (`different_person`): the captured photo with the message.
    Mismatch,
    /// `no_reference_photo`: what to do (no retry helps).
    NoReference,
    /// The camera was refused: the seed 001 explanation.
    CameraDenied,
}

/// The end of an attempt, as the screen shows it. `Debug` leaves the photo out (a face).
#[derive(Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed(Verified),
    Failed {
        failure: Failure,
        /// Stable code (`action_timeout`, `face_mismatch`, `camera_permission_denied`, …).
        code: String,
        message: String,
        /// The captured photo (JPEG), for the mismatch screen.
        photo: Option<Vec<u8>>,
        /// Whether 特殊人群核验 is offered.
        special_check: bool,
    },
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Passed(v) => f.debug_tuple("Passed").field(v).finish(),
            Outcome::Failed {
                failure,
                code,
                message,
                photo,
                special_check,
            } => f
                .debug_struct("Failed")
                .field("failure", failure)
                .field("code", code)
                .field("message", message)
                .field(
                    "photo",
                    &photo.as_ref().map(|p| format!("{} bytes", p.len())),
                )
                .field("special_check", special_check)
                .finish(),
        }
    }
}

impl Outcome {
    fn failed(failure: Failure, code: &str, message: impl Into<String>) -> Outcome {
        Outcome::Failed {
            failure,
            code: code.to_owned(),
            message: message.into(),
            photo: None,
            special_check: false,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Outcome::Passed(_) => "passed",
            Outcome::Failed { code, .. } => code,
        }
    }
}

/// Whether 特殊人群核验 is offered to a person of `category` (the API's snake_case code) after
/// `failed_comparisons` failed comparisons.
pub fn special_check_allowed(category: &str, failed_comparisons: u32) -> bool {
    failed_comparisons > SPECIAL_CHECK_AFTER
        && Category::parse(category).is_ok_and(|c| c.special_population_check_allowed())
}

/// The server's verdict on the evidence → what to show.
pub fn outcome_of(result: &EvidenceResult, challenge_id: &str, category: &str) -> Outcome {
    if result.passed {
        return Outcome::Passed(Verified::Challenge(challenge_id.to_owned()));
    }
    let code = result.reason.clone().unwrap_or_else(|| "failed".into());
    let message = result.message.clone().unwrap_or_else(|| {
        serde_json::from_value::<FailReason>(serde_json::Value::String(code.clone()))
            .map_or("身份核验失败,请重新核验", FailReason::message_zh)
            .to_owned()
    });
    let failure = match code.as_str() {
        "face_mismatch" | "different_person" => Failure::Mismatch,
        "no_reference_photo" => Failure::NoReference,
        _ => Failure::Retry,
    };
    Outcome::Failed {
        special_check: special_check_allowed(category, result.failed_comparisons),
        failure,
        code,
        message,
        photo: None,
    }
}

/// The live view of one frame: what the screen shows while the actions are being done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveView {
    /// 请眨眼 / 请张嘴 / 请摇头 / 请点头, or the result once finished.
    pub prompt: String,
    /// 第1/3个动作.
    pub step: String,
    /// One guidance line (离摄像头过远 …), empty when all is well.
    pub hint: String,
    /// 剩余95秒 (until the challenge expires).
    pub countdown: String,
    pub index: usize,
    pub total: usize,
}

/// What the screen shows during the colour flash instead of the action prompt: the prompt,
/// the line above it, and the full-screen colour (`None` while preparing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashView {
    pub prompt: &'static str,
    pub step: &'static str,
    pub colour: Option<[u8; 3]>,
}

/// The flash's view for `state`; `None` once the actions are prompted.
pub fn flash_view(state: FlashState) -> Option<FlashView> {
    match state {
        FlashState::Off => None,
        FlashState::Preparing => Some(FlashView {
            prompt: "请正对屏幕,保持不动",
            step: "即将开始光线核验",
            colour: None,
        }),
        FlashState::Showing(c) => Some(FlashView {
            prompt: "请保持不动",
            step: "屏幕颜色变化中",
            colour: Some(c.rgb()),
        }),
    }
}

/// Seconds left until `expires_at` at `now` (0 when past).
pub fn seconds_left(expires_at: &DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (*expires_at - now).num_seconds().max(0)
}

/// The live view after a frame.
pub fn live_view(progress: &Progress, expires_in_s: i64) -> LiveView {
    let shown = (progress.index + 1).min(progress.total.max(1));
    LiveView {
        prompt: progress.prompt_zh().to_owned(),
        step: format!("第{shown}/{}个动作", progress.total),
        hint: progress
            .hint
            .map(|h: Hint| h.text_zh().to_owned())
            .unwrap_or_default(),
        countdown: format!("剩余{expires_in_s}秒"),
        index: progress.index,
        total: progress.total,
    }
}

/// Why an attempt did not reach the server's verdict.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{}", .0.message())]
    Api(ApiError),
    #[error("{}", .0.message())]
    Attempt(AttemptError),
    #[error("身份核验数据有误,请重新核验")]
    BadChallenge,
}

impl UserError for VerifyError {
    fn code(&self) -> &'static str {
        match self {
            VerifyError::Api(e) => e.code(),
            VerifyError::Attempt(e) => e.code(),
            VerifyError::BadChallenge => "bad_challenge",
        }
    }
    fn message(&self) -> String {
        self.to_string()
    }
}

/// `POST /api/v1/liveness/challenges`, checked: 1–3 distinct actions and a readable expiry.
pub fn new_challenge(
    api: &HttpClient,
    token: &Token,
) -> Result<(ChallengeIssued, ChallengeActions, DateTime<Utc>), VerifyError> {
    let issued = api.new_challenge(token).map_err(VerifyError::Api)?;
    let actions = ChallengeActions::new(issued.actions.iter().copied())
        .map_err(|_| VerifyError::BadChallenge)?;
    flash_schedule(&issued)?;
    let expires = DateTime::parse_from_rfc3339(&issued.expires_at)
        .map_err(|_| VerifyError::BadChallenge)?
        .with_timezone(&Utc);
    Ok((issued, actions, expires))
}

/// The challenge's colour flash (`None` when it has none); a malformed one is refused as
/// [`VerifyError::BadChallenge`] — and must be what the nonce gives, so a server and an app of
/// different versions cannot silently disagree.
pub fn flash_schedule(issued: &ChallengeIssued) -> Result<Option<FlashSchedule>, VerifyError> {
    if issued.flash.is_empty() {
        return Ok(None);
    }
    let from_nonce = Nonce::parse(&issued.nonce)
        .map(|n| FlashSchedule::from_nonce(&n))
        .map_err(|_| VerifyError::BadChallenge)?;
    match FlashSchedule::from_steps(issued.flash.clone()) {
        Some(s) if s == from_nonce => Ok(Some(s)),
        _ => Err(VerifyError::BadChallenge),
    }
}

/// Uploads the kept frames (`kind=liveness_frame`) and posts the evidence with the claimed
/// action times (`verdict.done_at`).
pub fn send_evidence(
    api: &HttpClient,
    token: &Token,
    challenge_id: &str,
    captured: &Captured,
) -> Result<EvidenceResult, ApiError> {
    let mut frames = Vec::with_capacity(captured.frames.len());
    for (i, f) in captured.frames.iter().enumerate() {
        let created = api.upload_image(
            token,
            UploadKind::LivenessFrame,
            f.jpeg.clone(),
            &format!("frame{i:04}.jpg"),
        )?;
        frames.push(EvidenceFrame {
            upload_id: created.upload_id,
            t_ms: f.t_ms,
        });
    }
    let claimed: Vec<ActionAt> = captured.verdict.done_at.clone();
    api.send_evidence(
        token,
        challenge_id,
        &EvidenceRequest {
            frames,
            claimed,
            flash_started_ms: captured.flash_started_ms,
        },
    )
}

/// What a whole attempt produced, for the screen and the tests.
#[derive(Debug)]
pub struct Attempt {
    pub outcome: Outcome,
    pub challenge_id: String,
    pub actions: Vec<Action>,
    /// The device's verdict (before the server's).
    pub captured: Option<Captured>,
    /// The server's answer, when the evidence was sent.
    pub server: Option<EvidenceResult>,
}

/// Progress of an attempt that the screen shows.
#[derive(Debug, Clone)]
pub enum Step {
    /// The challenge arrived; the actions start.
    Challenge {
        actions: Vec<Action>,
        expires_at: DateTime<Utc>,
    },
    /// A frame was analysed.
    Frame(Box<LiveUpdate>),
    /// The actions are done on the device; the frames are being sent.
    Uploading { frames: usize },
}

/// One whole attempt: challenge → camera and models → evidence → outcome. Blocking; the
/// screen runs it on a worker thread, tests inline. `category` is the person's category code
/// (`GET /api/v1/reviews/current`).
pub fn verify(
    api: &HttpClient,
    token: &Token,
    category: &str,
    models: &ModelsHandle,
    camera: &mut dyn Camera,
    opts: AttemptOptions,
    mut on_step: impl FnMut(Step),
) -> Result<Attempt, VerifyError> {
    let (issued, actions, expires_at) = new_challenge(api, token)?;
    on_step(Step::Challenge {
        actions: issued.actions.clone(),
        expires_at,
    });
    let left = (expires_at - Utc::now()).to_std().unwrap_or_default();
    let opts = AttemptOptions {
        deadline: Some(std::time::Instant::now() + left),
        flash: flash_schedule(&issued)?,
        ..opts
    };
    let captured = models
        .with(|m| {
            run_attempt(m, camera, actions, &opts, |u| {
                on_step(Step::Frame(Box::new(u)))
            })
        })
        .map_err(|e| VerifyError::Attempt(AttemptError::Models(e)))?
        .map_err(VerifyError::Attempt)?;
    let mut attempt = Attempt {
        outcome: Outcome::failed(Failure::Retry, "cancelled", ""),
        challenge_id: issued.challenge_id.clone(),
        actions: issued.actions.clone(),
        captured: None,
        server: None,
    };
    // A picture (PAD) or a face that did not reflect the flash: the server judges the frames
    // itself, so that it counts the attempt (特殊人群核验 opens after several) and audits it.
    let server_judges = captured.ended == Ended::Verdict
        && captured
            .verdict
            .reason
            .is_some_and(FailReason::counts_as_face_failure);
    if !captured.verdict.passed && !server_judges {
        // Failed on the device: nothing is sent; the person tries again with a new challenge.
        let reason = match captured.ended {
            Ended::TimeUp => Some(FailReason::ChallengeExpired),
            _ => captured.verdict.reason,
        };
        let code = reason.map_or("cancelled", FailReason::as_str);
        let message = reason.map_or("身份核验已取消", FailReason::message_zh);
        let failure = match reason {
            Some(FailReason::DifferentPerson) => Failure::Mismatch,
            _ => Failure::Retry,
        };
        attempt.outcome = Outcome::Failed {
            failure,
            code: code.into(),
            message: message.into(),
            photo: captured.photo.clone(),
            special_check: false,
        };
        attempt.captured = Some(captured);
        return Ok(attempt);
    }
    on_step(Step::Uploading {
        frames: captured.frames.len(),
    });
    let result =
        send_evidence(api, token, &issued.challenge_id, &captured).map_err(VerifyError::Api)?;
    let mut outcome = outcome_of(&result, &issued.challenge_id, category);
    if let Outcome::Failed { photo, .. } = &mut outcome {
        *photo = captured.photo.clone();
    }
    attempt.outcome = outcome;
    attempt.server = Some(result);
    attempt.captured = Some(captured);
    Ok(attempt)
}

/// 特殊人群核验: uploads the photo holding today's newspaper (`kind=newspaper_photo`; JPEG or
/// PNG bytes from the camera or a file) and returns what the submission carries.
pub fn upload_newspaper_photo(
    api: &HttpClient,
    token: &Token,
    bytes: Vec<u8>,
    file_name: &str,
) -> Result<Verified, ApiError> {
    api.upload_image(token, UploadKind::NewspaperPhoto, bytes, file_name)
        .map(|c| Verified::Newspaper(c.upload_id))
}

/// The outcome when the camera could not be used.
pub fn camera_outcome(e: &AttemptError) -> Outcome {
    match e {
        AttemptError::Camera(c) if c.code() == "camera_permission_denied" => Outcome::failed(
            Failure::CameraDenied,
            c.code(),
            format!("{CAMERA_PERMISSION_WHY}\n{CAMERA_PERMISSION_HOW}"),
        ),
        other => Outcome::failed(Failure::Retry, other.code(), other.message()),
    }
}

#[cfg(test)]
mod tests {
    //! Against the real server (`tests::blocking::Server::shared`: in-process, not in demo
    //! mode, challenges from `shake_head,nod`), with p07's recorded clips; skipped without
    //! `../shared/testdata/faces`.
    use super::*;
    use crate::liveness::testdata;
    use crate::platform::camera::{Denied, Pacing, Recorded};
    use ::tests::blocking::{Server, Veteran};
    use shared::category::Category;
    use shared::liveness::ActionSet;

    /// A fresh veteran of `category` logged in: the client, the token and the person.
    fn log_in(server: &Server, category: Category) -> (HttpClient, Token, Veteran) {
        let vet = server.veteran_in("110101", category);
        let token = Token::new(server.login(vet.phone()));
        (HttpClient::new(server.url()).unwrap(), token, vet)
    }

    /// p07's clips per action in a temp dir; `None` (the test is skipped) without the test data.
    fn clips() -> Option<(tempfile::TempDir, std::path::PathBuf)> {
        let dir = tempfile::tempdir().unwrap();
        if testdata::p07_actions(dir.path()).is_err() {
            eprintln!("skipped: ../shared/testdata/faces not found");
            return None;
        }
        Some((dir, testdata::faces_dir()?))
    }

    fn run(
        api: &HttpClient,
        token: &Token,
        category: &str,
        models: &ModelsHandle,
        camera: &mut dyn Camera,
    ) -> (Attempt, Vec<String>) {
        let mut seen = Vec::new();
        let attempt = verify(
            api,
            token,
            category,
            models,
            camera,
            AttemptOptions::default(),
            |s| {
                if let Step::Frame(u) = s {
                    let v = live_view(&u.progress, 100);
                    if seen.last() != Some(&v.prompt) {
                        seen.push(v.prompt);
                    }
                }
            },
        )
        .unwrap();
        (attempt, seen)
    }

    #[test]
    fn p07_passes_the_servers_recheck_and_the_evidence_follows_the_contract() {
        let Some((dir, faces)) = clips() else {
            return;
        };
        let server = Server::shared();
        let (api, token, vet) = log_in(server, Category::SelfEmployedOfficer);
        server.set_reference_photo(
            &vet.person_id,
            &std::fs::read(faces.join("stills/p07/p07_enroll.jpg")).unwrap(),
        );
        let models = ModelsHandle::new();
        let mut cam = Recorded::open(dir.path(), Pacing::AsFastAsRead).unwrap();
        let (attempt, prompts) = run(&api, &token, "self_employed_officer", &models, &mut cam);
        let Outcome::Passed(Verified::Challenge(id)) = &attempt.outcome else {
            panic!("{:?} (server {:?})", attempt.outcome, attempt.server);
        };
        assert_eq!(id, &attempt.challenge_id);
        let server_said = attempt.server.as_ref().unwrap();
        assert!(server_said.passed && server_said.face_match.same_person);
        // The prompts went one action at a time, in the challenge's (random) order, and the
        // claims the server checked were in that order too.
        let expected: Vec<&str> = attempt.actions.iter().map(|a| a.prompt_zh()).collect();
        assert_eq!(&prompts[..2], &expected[..], "{prompts:?}");
        let captured = attempt.captured.unwrap();
        assert_eq!(
            captured
                .verdict
                .done_at
                .iter()
                .map(|c| c.action)
                .collect::<Vec<_>>(),
            attempt.actions
        );
        assert!(captured.frames.len() >= 10, "{}", captured.frames.len());
        // The flash's frames come every 60 ms (each colour step seen several times; a flash
        // started again after the face moved too), the actions' every 100 ms.
        let flash_from = captured.flash_started_ms.expect("the flash was shown");
        let flash_until = flash_from + 3_600;
        let in_flash = |t: u64| (flash_from..flash_until).contains(&t);
        for w in captured.frames.windows(2) {
            let gap = w[1].t_ms - w[0].t_ms;
            assert!(gap >= crate::liveness::FLASH_KEEP_EVERY_MS, "{w:?}");
            if w[0].t_ms >= flash_until {
                assert!(gap >= crate::liveness::KEEP_EVERY_MS, "{w:?}");
            }
        }
        let flash_frames = captured.frames.iter().filter(|f| in_flash(f.t_ms)).count();
        assert!(flash_frames >= 25, "{flash_frames} frames during the flash");
        for f in &captured.frames {
            let img = image::load_from_memory(&f.jpeg).unwrap();
            assert!(img.width() <= 640);
            assert_eq!(&f.jpeg[..2], &[0xff, 0xd8]); // JPEG
        }
        assert!(captured.photo.is_some());
        eprintln!(
            "{:?}: {} frames, {:.1} ms/frame, load {:?}",
            attempt.actions,
            captured.times.frames,
            captured.times.mean().as_secs_f64() * 1000.0,
            models.load_time()
        );
    }

    #[test]
    fn a_still_photo_fails_on_the_device_and_sends_nothing() {
        let Some((_dir, faces)) = clips() else {
            return;
        };
        let server = Server::shared();
        let (api, token, _) = log_in(server, Category::MilitaryRetiree);
        let still = tempfile::tempdir().unwrap();
        testdata::still_photo(&faces.join("stills/p07/p07_enroll.jpg"), 30, still.path()).unwrap();
        let mut cam = Recorded::open(still.path(), Pacing::AsFastAsRead).unwrap();
        let (attempt, _) = run(
            &api,
            &token,
            "military_retiree",
            &ModelsHandle::new(),
            &mut cam,
        );
        match &attempt.outcome {
            Outcome::Failed { failure, code, .. } => {
                assert_eq!(failure, &Failure::Retry);
                assert!(code == "no_motion" || code == "action_timeout", "{code}");
            }
            other => panic!("{other:?}"),
        }
        assert!(attempt.server.is_none());
        // The server never saw evidence for the challenge.
        let evidence = server
            .block_on(server.app().store.evidence_challenge(&attempt.challenge_id))
            .unwrap()
            .unwrap();
        assert!(evidence.evidence_at.is_none());
    }

    #[test]
    fn the_servers_face_verdicts_become_their_screens() {
        let Some((dir, faces)) = clips() else {
            return;
        };
        let server = Server::shared();
        let (api, token, vet) = log_in(server, Category::MilitaryRetiree);
        // Someone else's face is this person's reference photo: not the same person.
        server.set_reference_photo(
            &vet.person_id,
            &std::fs::read(faces.join("stills/p01/p01_enroll.jpg")).unwrap(),
        );
        let models = ModelsHandle::new();
        let mut cam = Recorded::open(dir.path(), Pacing::AsFastAsRead).unwrap();
        let (attempt, _) = run(&api, &token, "military_retiree", &models, &mut cam);
        match &attempt.outcome {
            Outcome::Failed {
                failure,
                code,
                message,
                photo,
                special_check,
            } => {
                assert_eq!(failure, &Failure::Mismatch);
                assert_eq!(code, "face_mismatch");
                assert_eq!(message, "人脸比对不通过,请本人重新核验");
                // The captured photo is shown with the message.
                assert!(image::load_from_memory(photo.as_ref().unwrap()).is_ok());
                assert!(!special_check, "1 failure is not more than 3");
            }
            other => panic!("{other:?} (server {:?})", attempt.server),
        }
        assert_eq!(attempt.server.unwrap().failed_comparisons, 1);
        // The reference photo the screen shows beside it.
        assert!(api.reference_photo(&token).unwrap().is_some());
    }

    fn result(reason: Option<&str>, failed: u32) -> EvidenceResult {
        EvidenceResult {
            passed: reason.is_none(),
            reason: reason.map(str::to_owned),
            message: None,
            face_match: crate::api::liveness::FaceMatch {
                score: None,
                same_person: reason.is_none(),
            },
            failed_comparisons: failed,
        }
    }

    #[test]
    fn special_check_opens_after_more_than_three_failures_for_its_categories_only() {
        for (category, failed, offered) in [
            ("military_retiree", 3, false),
            ("military_retiree", 4, true),
            ("non_military_retiree", 5, true),
            ("self_employed_officer", 9, false),
            ("", 9, false),
        ] {
            let o = outcome_of(&result(Some("face_mismatch"), failed), "ch1", category);
            let Outcome::Failed { special_check, .. } = o else {
                panic!()
            };
            assert_eq!(special_check, offered, "{category} {failed}");
        }
        let o = outcome_of(
            &result(Some("no_reference_photo"), 0),
            "ch1",
            "military_retiree",
        );
        let Outcome::Failed {
            failure, message, ..
        } = o
        else {
            panic!()
        };
        assert_eq!(failure, Failure::NoReference);
        // No message from the server: the shared wording.
        assert!(message.contains("无基准照片"), "{message}");
        let o = outcome_of(&result(Some("action_timeout"), 0), "ch1", "");
        assert!(matches!(
            o,
            Outcome::Failed {
                failure: Failure::Retry,
                ..
            }
        ));
        let o = outcome_of(&result(Some("different_person"), 1), "ch1", "");
        assert!(matches!(
            o,
            Outcome::Failed {
                failure: Failure::Mismatch,
                ..
            }
        ));
        assert_eq!(
            outcome_of(&result(None, 0), "ch1", ""),
            Outcome::Passed(Verified::Challenge("ch1".into()))
        );
    }

    #[test]
    fn a_refused_camera_explains_how_to_allow_it() {
        let e = AttemptError::Camera(Denied.next_frame().unwrap_err());
        let Outcome::Failed {
            failure,
            code,
            message,
            ..
        } = camera_outcome(&e)
        else {
            panic!()
        };
        assert_eq!(failure, Failure::CameraDenied);
        assert_eq!(code, "camera_permission_denied");
        assert!(message.contains("设置 > 应用 > 权限管理"), "{message}");
        assert!(message.contains("相机"));
    }

    #[test]
    fn the_newspaper_photo_replaces_the_challenge_in_the_submission() {
        let (api, token, _) = log_in(Server::shared(), Category::MilitaryRetiree);
        let mut png = Vec::new();
        image::RgbImage::from_pixel(8, 8, image::Rgb([200, 180, 160]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let v = upload_newspaper_photo(&api, &token, png, "报纸.png").unwrap();
        let Verified::Newspaper(id) = &v else {
            panic!("{v:?}")
        };
        let mut req = SubmissionRequest {
            form: Default::default(),
            id_front_upload: "a".into(),
            id_back_upload: "b".into(),
            liveness_challenge_id: "old".into(),
            newspaper_photo_upload: None,
        };
        v.apply(&mut req);
        assert_eq!(req.liveness_challenge_id, "");
        assert_eq!(req.newspaper_photo_upload.as_deref(), Some(id.as_str()));
        Verified::Challenge("ch9".into()).apply(&mut req);
        assert_eq!(req.liveness_challenge_id, "ch9");
        assert_eq!(req.newspaper_photo_upload, None);
        // Not an image: refused with the server's message.
        let err = upload_newspaper_photo(&api, &token, b"nope".to_vec(), "x.jpg").unwrap_err();
        assert_eq!(err.code(), "unsupported_media");
    }

    #[test]
    fn an_expired_or_used_challenge_is_refused() {
        // A server of its own, on a clock that moves only when told to.
        let server = Server::start(::tests::Options {
            demo: false,
            liveness_actions: Some(ActionSet::parse_list("shake_head,nod").unwrap()),
            ..::tests::Options::new(::tests::Backend::Sqlite)
        });
        let (api, token, _) = log_in(&server, Category::SelfEmployedOfficer);
        let (issued, actions, expires) = new_challenge(&api, &token).unwrap();
        assert_eq!(actions.len(), 2);
        let now = DateTime::from_timestamp(server.now(), 0).unwrap();
        assert_eq!(seconds_left(&expires, now), 120);
        let req = EvidenceRequest {
            frames: vec![],
            claimed: vec![],
            flash_started_ms: Some(0),
        };
        let first = api
            .send_evidence(&token, &issued.challenge_id, &req)
            .unwrap();
        assert!(!first.passed);
        assert_eq!(first.reason.as_deref(), Some("no_evidence"));
        let again = api
            .send_evidence(&token, &issued.challenge_id, &req)
            .unwrap_err();
        assert_eq!(again.code(), "challenge_used");
        let (issued, _, _) = new_challenge(&api, &token).unwrap();
        server
            .app()
            .clock
            .advance(std::time::Duration::from_secs(121));
        let late = api
            .send_evidence(&token, &issued.challenge_id, &req)
            .unwrap_err();
        assert_eq!(late.code(), "challenge_expired");
    }

    #[test]
    fn the_live_view_shows_progress_hint_and_countdown() {
        let p = Progress {
            index: 1,
            total: 3,
            action: Some(Action::OpenMouth),
            hint: Some(Hint::Quality(shared::liveness::QualityIssue::TooFar)),
            time_left_ms: 4000,
            verdict: None,
            frame_error: None,
        };
        let v = live_view(&p, 95);
        assert_eq!(v.prompt, "请张嘴");
        assert_eq!(v.step, "第2/3个动作");
        assert_eq!(v.hint, "离摄像头过远");
        assert_eq!(v.countdown, "剩余95秒");
        let p = Progress {
            hint: Some(Hint::FollowPrompt),
            ..p
        };
        assert_eq!(live_view(&p, 0).hint, "请按提示做动作");
    }
}
