//! 身份核验 through the screens against the real server, with p07's recorded frames
//! (`../shared/testdata/faces`, linked per action into a temp dir): passed on the device and by
//! the server's re-check (p07's photo is the person's reference photo) → 完成 → 提交 → 提交成功;
//! the camera-permission screen; not the same person (someone else's photo is the reference) in
//! 长辈版 and side by side, the reference photo only on a mismatch; no reference photo at all.

use app::liveness::testdata;
use app::liveness_ui::CameraSource;
use app::platform::camera::Pacing;
use app::ui::Ui;
use app::{LivenessPage, Nav, WizardPage};
use shared::api::accounts::Role;
use shared::category::Category;
use slint::ComponentHandle;
use tests::blocking::Veteran;

use crate::common::*;

fn start(dir: &std::path::Path) -> Ui {
    start_phone(client(), drafts(&dir.join("drafts"), 7))
}

/// Logs in, opens the wizard (prefilled from last year), adds the ID-card photos and walks
/// 下一步 to 身份核验.
fn open_verify_step(ui: &Ui, vet: &Veteran, dir: &std::path::Path) {
    log_in_as(ui, vet.phone(), "home");
    click(ui, "开始年审");
    assert_eq!(ui.window.global::<Nav>().get_screen(), "wizard");
    add_id_photos(ui, dir, "back.png");
    let page = ui.window.global::<WizardPage>();
    for step in 1..=4 {
        click(ui, "下一步");
        assert_eq!(page.get_step(), step, "{}", page.get_message());
    }
    assert_eq!(ui.window.global::<LivenessPage>().get_stage(), "intro");
    assert!(!page.get_can_submit(), "no 提交 before 身份核验");
}

/// p07's clips per action; `None` (the test is skipped) without the test data.
fn p07_camera(dir: &std::path::Path) -> Option<CameraSource> {
    let frames = dir.join("frames");
    std::fs::create_dir(&frames).unwrap();
    if testdata::p07_actions(&frames).is_err() {
        eprintln!("skipped: ../shared/testdata/faces not found");
        return None;
    }
    Some(CameraSource::Frames {
        dir: frames,
        pacing: Pacing::AsFastAsRead,
    })
}

/// A fresh veteran of `category` in a district of their own, whose reference photo is
/// `stills/<reference>` of the test data.
fn veteran_with_reference(
    faces: &std::path::Path,
    category: Category,
    reference: &str,
) -> (Veteran, String) {
    let s = server();
    let district = s.district();
    let vet = s.veteran_in(&district, category);
    s.set_reference_photo(
        &vet.person_id,
        &std::fs::read(faces.join("stills").join(reference)).unwrap(),
    );
    (vet, district)
}

#[test]
fn pass_liveness_with_recorded_frames_then_submit() {
    let dir = tempfile::tempdir().unwrap();
    let Some(camera) = p07_camera(dir.path()) else {
        return;
    };
    let faces = faces().unwrap();
    let (vet, district) =
        veteran_with_reference(&faces, Category::SelfEmployedOfficer, "p07/p07_enroll.jpg");
    let ui = start(dir.path());
    ui.liveness().set_camera(camera);
    open_verify_step(&ui, &vet, dir.path());
    let page = ui.window.global::<LivenessPage>();

    // Every control of the intro has a label; start.
    assert!(has(&ui, "开始核验"));
    click(&ui, "开始核验");

    // The recording ran to the server's verdict: 身份核验成功 with 完成 and 重新核验.
    assert_eq!(page.get_stage(), "passed", "{}", page.get_message());
    assert!(has(&ui, "重新核验"));
    assert!(has(&ui, "本次核验采集照片"));
    // The last frame's live view stayed: both actions were prompted, one at a time.
    assert_eq!(page.get_step_text(), "第2/2个动作");
    assert!(page.get_countdown().starts_with("剩余"));
    assert_eq!(server().audited("liveness_evidence", &vet.user_id), 1);

    click(&ui, "完成");
    assert_eq!(page.get_stage(), "done");
    let wizard = ui.window.global::<WizardPage>();
    assert!(wizard.get_can_submit(), "完成 enables 提交");
    assert!(has(&ui, "身份核验状态:身份核验已通过,请点击“提交”"));

    // 提交 (the wizard's submission queue) sends the passed challenge: the submitted screen.
    click(&ui, "提交");
    assert_eq!(
        ui.window.global::<Nav>().get_screen(),
        "result",
        "{}",
        wizard.get_message()
    );
    let result = ui.window.global::<app::ResultPage>();
    assert_eq!(result.get_title(), "提交成功");
    assert_eq!(result.get_message(), shared::api::review::SUBMITTED_MESSAGE);
    assert_eq!(server().submissions(&vet.person_id), 1);

    // The reviewer sees the evidence frames and the score the server computed.
    let s = server();
    let reviewer = s.account(Role::Reviewer, "审核人员", &[&district]);
    let token = app::api::Token::new(s.login(&reviewer.phone));
    let api = client();
    let queue = api.review_queue(&token, "submitted", 1).unwrap();
    assert_eq!(queue.items.len(), 1);
    let detail = api
        .submission(&token, &queue.items[0].submission_id)
        .unwrap();
    assert!(!detail.liveness_frames.is_empty());
    assert!(detail
        .face_match_score
        .is_some_and(|score| score >= models::MATCH_THRESHOLD));
}

#[test]
fn a_refused_camera_explains_how_to_allow_it() {
    let dir = tempfile::tempdir().unwrap();
    let vet = server().veteran();
    let ui = start(dir.path());
    ui.liveness().set_camera(CameraSource::Denied);
    open_verify_step(&ui, &vet, dir.path());
    click(&ui, "开始核验");
    let page = ui.window.global::<LivenessPage>();
    assert_eq!(page.get_stage(), "failed");
    assert_eq!(page.get_failure(), "camera_denied");
    let reason = find(&ui, &format!("失败原因:{}", page.get_message()))
        .expect("the explanation is readable text");
    let text = reason.accessible_label().unwrap();
    assert!(text.contains("设置 > 应用 > 权限管理"), "{text}");
    assert!(text.contains("相机"), "{text}");
    // Nothing reached the server's re-check.
    assert_eq!(server().audited("liveness_evidence", &vet.user_id), 0);
    assert!(has(&ui, "重新核验"));
}

/// A 军休干部 whose reference photo is someone else's face (p01's), at 身份核验 with p07's
/// clips as the camera (in 长辈版 when `elder`); `None` without the test data.
struct Stranger {
    dir: tempfile::TempDir,
    faces: std::path::PathBuf,
    vet: Veteran,
    ui: Ui,
}

fn stranger_at_verify_step(elder: bool) -> Option<Stranger> {
    let dir = tempfile::tempdir().unwrap();
    let camera = p07_camera(dir.path())?;
    let faces = faces()?;
    let (vet, _) = veteran_with_reference(&faces, Category::MilitaryRetiree, "p01/p01_enroll.jpg");
    let ui = start(dir.path());
    ui.window.global::<app::Theme>().set_elder(elder);
    ui.liveness().set_camera(camera);
    open_verify_step(&ui, &vet, dir.path());
    Some(Stranger {
        dir,
        faces,
        vet,
        ui,
    })
}

#[test]
fn not_the_same_person_shows_the_captured_photo_and_in_elder_mode_too() {
    // The clips' directory lives as long as the test.
    let Some(Stranger { ui, dir: _dir, .. }) = stranger_at_verify_step(true) else {
        return;
    };
    click(&ui, "开始核验");
    let page = ui.window.global::<LivenessPage>();
    assert_eq!(page.get_stage(), "failed", "{}", page.get_message());
    assert_eq!(page.get_failure(), "mismatch");
    assert!(has(&ui, "失败原因:人脸比对不通过,请本人重新核验"));
    assert!(has(&ui, "本次核验采集照片"), "the captured photo");
    // Issue 6: the reference photo with the captured one; in 长辈版, below it.
    assert!(page.get_has_reference_photo());
    let captured = one(&ui, "本次核验采集照片");
    let reference = find(&ui, "人脸比对基准照片").expect("the reference photo");
    assert!(
        reference.absolute_position().y >= captured.absolute_position().y + captured.size().height,
        "stacked: {:?} below {:?}",
        reference.absolute_position(),
        captured.absolute_position()
    );
    assert!(page.get_help().contains("联系相关工作人员"));
    // 长辈版: the retry button is a large tap target.
    let retry = one(&ui, "重新核验");
    assert!(retry.size().height >= 60.0, "{:?}", retry.size());
    assert!(!ui.window.global::<WizardPage>().get_can_submit());
}

/// The file of the person's reference photo in the server's blob store.
fn reference_blob(person_id: &str) -> std::path::PathBuf {
    let s = server();
    let row = s
        .block_on(s.app().store.reference_photo(person_id))
        .unwrap()
        .expect("a reference photo");
    s.data_dir().join("blobs").join(row.blob_key)
}

/// On a mismatch in 标准版 the two photos sit side by side; when the reference photo cannot be
/// fetched only the captured one shows; on any other failure no reference photo is fetched or
/// shown.
#[test]
fn the_reference_photo_shows_on_a_mismatch_only() {
    let Some(Stranger {
        dir,
        faces,
        vet,
        ui,
    }) = stranger_at_verify_step(false)
    else {
        return;
    };
    let page = ui.window.global::<LivenessPage>();

    click(&ui, "开始核验");
    assert_eq!(page.get_failure(), "mismatch", "{}", page.get_message());
    assert!(page.get_has_reference_photo());
    let captured = one(&ui, "本次核验采集照片");
    let reference = find(&ui, "人脸比对基准照片").expect("the reference photo");
    assert!(
        reference.absolute_position().x >= captured.absolute_position().x + captured.size().width,
        "side by side: {:?} right of {:?}",
        reference.absolute_position(),
        captured.absolute_position()
    );

    // The server still compares with the stored face, but the photo's file is gone (its read
    // fails): only the captured photo.
    let blob = reference_blob(&vet.person_id);
    let saved = std::fs::read(&blob).unwrap();
    std::fs::remove_file(&blob).unwrap();
    click(&ui, "重新核验");
    assert_eq!(page.get_failure(), "mismatch", "{}", page.get_message());
    assert!(has(&ui, "本次核验采集照片"));
    assert!(!page.get_has_reference_photo());
    assert!(!has(&ui, "人脸比对基准照片"));
    std::fs::write(&blob, saved).unwrap();

    // Another failure (a still photo: no movement, on the device): no reference photo even
    // though the server has one.
    let still = dir.path().join("still");
    std::fs::create_dir(&still).unwrap();
    testdata::still_photo(&faces.join("stills/p07/p07_enroll.jpg"), 30, &still).unwrap();
    ui.liveness().set_camera(CameraSource::Frames {
        dir: still,
        pacing: Pacing::AsFastAsRead,
    });
    click(&ui, "重新核验");
    assert_eq!(page.get_stage(), "failed");
    assert_eq!(page.get_failure(), "retry", "{}", page.get_message());
    assert!(!page.get_has_reference_photo());
    assert!(!has(&ui, "人脸比对基准照片"));
}

/// No reference photo at all (the server is not in demo mode, which would enrol the face):
/// the screen says what to do, and shows no reference photo.
#[test]
fn no_reference_photo_says_where_to_go() {
    let dir = tempfile::tempdir().unwrap();
    let Some(camera) = p07_camera(dir.path()) else {
        return;
    };
    let vet = server().veteran();
    let ui = start(dir.path());
    ui.liveness().set_camera(camera);
    open_verify_step(&ui, &vet, dir.path());
    click(&ui, "开始核验");
    let page = ui.window.global::<LivenessPage>();
    assert_eq!(page.get_stage(), "failed");
    assert_eq!(page.get_failure(), "no_reference", "{}", page.get_message());
    assert!(
        page.get_message().contains("无基准照片"),
        "{}",
        page.get_message()
    );
    assert!(!page.get_has_reference_photo());
    assert!(!ui.window.global::<WizardPage>().get_can_submit());
}
