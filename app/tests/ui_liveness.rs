//! Headless UI test of 身份核验: log in, open the wizard, reach 身份核验, pass liveness with
//! recorded frames of p07 (`../shared/testdata/faces`, linked per action into a temp dir), 完成,
//! then 提交; and the failure screens (camera refused, not the same person).

use std::sync::Arc;

use app::api::fake::{FakeAccounts, ScriptedVerdict};
use app::drafts::{DraftStore, StaticKey};
use app::liveness::testdata;
use app::liveness_ui::CameraSource;
use app::platform::camera::Pacing;
use app::ui::{local_today, Ui};
use app::{LivenessPage, Nav, WizardPage};
use shared::liveness::Action;
use slint::ComponentHandle;

mod common;
use common::{add_id_photos, click, find, log_in, start_phone};

fn start(api: Arc<FakeAccounts>, dir: &std::path::Path) -> Ui {
    let drafts = Arc::new(DraftStore::open(&dir.join("drafts"), &StaticKey([7; 32])).unwrap());
    start_phone(api, drafts, local_today)
}

/// Logs in, opens the wizard (prefilled from last year), adds the ID-card photos and walks
/// 下一步 to 身份核验.
fn open_verify_step(ui: &Ui, api: &FakeAccounts, dir: &std::path::Path) {
    log_in(ui, api);
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

/// A small JPEG standing in for the server's reference photo.
fn reference_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(48, 64, image::Rgb([200, 170, 150]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

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

/// The headless backend, a temp dir, p07's recorded frames and a fake server asking for
/// `actions`; `None` (the test is skipped) without the test data.
fn recorded(actions: [Action; 2]) -> Option<(tempfile::TempDir, CameraSource, Arc<FakeAccounts>)> {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let camera = p07_camera(dir.path())?;
    let api = Arc::new(FakeAccounts::default());
    api.set_liveness_actions(actions.to_vec());
    Some((dir, camera, api))
}

/// The server's verdict "not the same person".
fn mismatch() -> ScriptedVerdict {
    ScriptedVerdict {
        reason: Some("face_mismatch".into()),
        message: Some("核验为非同一人".into()),
        score: Some(0.12),
    }
}

#[test]
fn pass_liveness_with_recorded_frames_then_submit() {
    let Some((dir, camera, api)) = recorded([Action::Nod, Action::ShakeHead]) else {
        return;
    };
    let ui = start(api.clone(), dir.path());
    ui.liveness().set_camera(camera);
    open_verify_step(&ui, &api, dir.path());
    let page = ui.window.global::<LivenessPage>();

    // Every control of the intro has a label; start.
    assert!(find(&ui, "开始核验").is_some());
    click(&ui, "开始核验");

    // The recording ran to the server's verdict: 身份核验成功 with 完成 and 重新核验.
    assert_eq!(page.get_stage(), "passed", "{}", page.get_message());
    assert!(find(&ui, "重新核验").is_some());
    assert!(find(&ui, "本次核验采集照片").is_some());
    // The last frame's live view stayed: both actions were prompted, one at a time.
    assert_eq!(page.get_step_text(), "第2/2个动作");
    assert!(page.get_countdown().starts_with("剩余"));
    let evidence = api.evidence_requests();
    assert_eq!(evidence.len(), 1);
    assert_eq!(
        evidence[0]
            .claimed
            .iter()
            .map(|c| c.action)
            .collect::<Vec<_>>(),
        vec![Action::Nod, Action::ShakeHead]
    );

    click(&ui, "完成");
    assert_eq!(page.get_stage(), "done");
    let wizard = ui.window.global::<WizardPage>();
    assert!(wizard.get_can_submit(), "完成 enables 提交");

    assert!(find(&ui, "身份核验状态:身份核验已通过,请点击“提交”").is_some());

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
    assert_eq!(api.submit_calls(), 1);
    assert_eq!(api.submissions_created().len(), 1);
}

#[test]
fn a_refused_camera_explains_how_to_allow_it() {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let api = Arc::new(FakeAccounts::default());
    let ui = start(api.clone(), dir.path());
    ui.liveness().set_camera(CameraSource::Denied);
    open_verify_step(&ui, &api, dir.path());
    click(&ui, "开始核验");
    let page = ui.window.global::<LivenessPage>();
    assert_eq!(page.get_stage(), "failed");
    assert_eq!(page.get_failure(), "camera_denied");
    let reason = find(&ui, &format!("失败原因:{}", page.get_message()))
        .expect("the explanation is readable text");
    let text = reason.accessible_label().unwrap();
    assert!(text.contains("设置 > 应用 > 权限管理"), "{text}");
    assert!(text.contains("相机"), "{text}");
    // Nothing was asked of the server beyond the challenge.
    assert!(api.evidence_requests().is_empty());
    assert!(find(&ui, "重新核验").is_some());
}

#[test]
fn not_the_same_person_shows_the_captured_photo_and_in_elder_mode_too() {
    let Some((dir, camera, api)) = recorded([Action::ShakeHead, Action::Nod]) else {
        return;
    };
    api.script_evidence(vec![mismatch()]);
    api.set_reference_photo("13300001234", Some(reference_jpeg()));
    let ui = start(api.clone(), dir.path());
    ui.window.global::<app::Theme>().set_elder(true);
    ui.liveness().set_camera(camera);
    open_verify_step(&ui, &api, dir.path());
    click(&ui, "开始核验");
    let page = ui.window.global::<LivenessPage>();
    assert_eq!(page.get_stage(), "failed");
    assert_eq!(page.get_failure(), "mismatch");
    assert!(find(&ui, "失败原因:核验为非同一人").is_some());
    assert!(
        find(&ui, "本次核验采集照片").is_some(),
        "the captured photo"
    );
    // Issue 6: the reference photo with the captured one; in 长辈版, below it.
    assert!(page.get_has_reference_photo());
    let captured = find(&ui, "本次核验采集照片").unwrap();
    let reference = find(&ui, "人脸比对基准照片").expect("the reference photo");
    assert!(
        reference.absolute_position().y >= captured.absolute_position().y + captured.size().height,
        "stacked: {:?} below {:?}",
        reference.absolute_position(),
        captured.absolute_position()
    );
    assert!(page.get_help().contains("联系相关工作人员"));
    // 长辈版: the retry button is a large tap target.
    let retry = find(&ui, "重新核验").unwrap();
    assert!(retry.size().height >= 60.0, "{:?}", retry.size());
    assert!(!ui.window.global::<WizardPage>().get_can_submit());
}

/// On a mismatch in 标准版 the two photos sit side by side; without a reference photo (404)
/// only the captured one shows; on any other failure no reference photo is fetched or shown.
#[test]
fn the_reference_photo_shows_on_a_mismatch_only() {
    let Some((dir, camera, api)) = recorded([Action::ShakeHead, Action::Nod]) else {
        return;
    };
    api.script_evidence(vec![
        mismatch(),
        mismatch(),
        ScriptedVerdict {
            reason: Some("no_reference_photo".into()),
            message: Some("人脸比对无基准照片".into()),
            score: None,
        },
    ]);
    api.set_reference_photo("13300001234", Some(reference_jpeg()));
    let ui = start(api.clone(), dir.path());
    ui.liveness().set_camera(camera);
    open_verify_step(&ui, &api, dir.path());
    let page = ui.window.global::<LivenessPage>();

    click(&ui, "开始核验");
    assert_eq!(page.get_failure(), "mismatch");
    assert!(page.get_has_reference_photo());
    let captured = find(&ui, "本次核验采集照片").unwrap();
    let reference = find(&ui, "人脸比对基准照片").expect("the reference photo");
    assert!(
        reference.absolute_position().x >= captured.absolute_position().x + captured.size().width,
        "side by side: {:?} right of {:?}",
        reference.absolute_position(),
        captured.absolute_position()
    );

    // The server has none (404): only the captured photo.
    api.set_reference_photo("13300001234", None);
    click(&ui, "重新核验");
    assert_eq!(page.get_failure(), "mismatch");
    assert!(find(&ui, "本次核验采集照片").is_some());
    assert!(!page.get_has_reference_photo());
    assert!(find(&ui, "人脸比对基准照片").is_none());

    // Another failure: no reference photo even when the server has one.
    api.set_reference_photo("13300001234", Some(reference_jpeg()));
    click(&ui, "重新核验");
    assert_eq!(page.get_stage(), "failed");
    assert_eq!(page.get_failure(), "no_reference");
    assert!(!page.get_has_reference_photo());
    assert!(find(&ui, "人脸比对基准照片").is_none());
}
