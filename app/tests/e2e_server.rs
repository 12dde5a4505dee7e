//! Against a running demo server (`cargo run -p server -- --demo`): set `ZHANYOU_TEST_SERVER`
//! (e.g. `http://127.0.0.1:8080`). Without it these tests print that they were skipped and pass.
//!
//! The real HTTP client and the real login screen, with the demo server's captcha answers
//! (`GET /api/v1/dev/captchas/{id}`, demo mode only).

use std::sync::Arc;

use app::api::{AccountsApi, CaptchaAnswer, HttpClient, LoginRequest};
use app::drafts::{DraftStore, StaticKey};
use app::platform::capture::CaptureProtection;
use app::ui::{Deps, Runner, Ui};
use app::{HomePage, LoginPage, Nav, ReviewerPage, StaffPage};
use i_slint_backend_testing::ElementHandle;
use shared::api::accounts::CaptchaSolution;
use shared::error::UserError;
use slint::{ComponentHandle, Model};

const PHONE: &str = "13900000001";
const PASSWORD: &str = "Zhanyou2025";

fn server() -> Option<String> {
    match std::env::var("ZHANYOU_TEST_SERVER") {
        Ok(s) if !s.is_empty() => Some(s),
        _ => {
            eprintln!("skipped: set ZHANYOU_TEST_SERVER to a demo server's URL to run this test");
            None
        }
    }
}

fn answer(base: &str, captcha_id: &str) -> i64 {
    let url = format!("{base}/api/v1/dev/captchas/{captcha_id}");
    reqwest::blocking::get(url)
        .unwrap()
        .json::<CaptchaSolution>()
        .unwrap()
        .x
}

#[test]
fn http_client_logs_in_and_a_wrong_slide_is_bad_credentials() {
    let Some(base) = server() else { return };
    let api = HttpClient::new(&base).unwrap();
    let c = api.captcha().unwrap();
    let x = answer(&base, &c.id);
    let wrong = LoginRequest {
        login: PHONE.into(),
        password: PASSWORD.into(),
        captcha: Some(CaptchaAnswer {
            id: c.id.clone(),
            x: x + 60,
        }),
    };
    let err = api.login(&wrong).unwrap_err();
    assert_eq!(err.code(), "bad_credentials", "{err:?}");
    assert!(!err.message().is_empty());

    let c = api.captcha().unwrap();
    let x = answer(&base, &c.id);
    let ok = LoginRequest {
        login: PHONE.into(),
        password: PASSWORD.into(),
        captcha: Some(CaptchaAnswer { id: c.id, x }),
    };
    let session = api.login(&ok).unwrap();
    let token = app::api::Token::new(session.token);
    let me = api.me(&token).unwrap();
    assert_eq!(me.masked_name, session.user.masked_name);
    assert!(me.masked_phone.contains('*'));
    api.logout(&token).unwrap();
    assert_eq!(
        api.me(&token).unwrap_err().problem().map(|p| p.status),
        Some(401)
    );
}

/// Logs in through the login screen: a fresh captcha through the screen, its answer read from
/// the demo route.
fn log_in_on_screen(ui: &Ui, base: &str, phone: &str) {
    let one = |label: &str| {
        ElementHandle::find_by_accessible_label(&ui.window, label)
            .next()
            .unwrap_or_else(|| panic!("no element labelled {label:?}"))
    };
    one("手机号或身份证号").set_accessible_value(phone);
    one("密码").set_accessible_value(PASSWORD);
    one("换一张").invoke_accessible_default_action();
    let id = ui.current_captcha_id().expect("a captcha is shown");
    one("拖动滑块完成拼图").set_accessible_value(answer(base, &id).to_string());
    one("登录").invoke_accessible_default_action();
}

/// Staff and reviewers against the real demo server: the session's role picks the screen, the
/// staff list (with one person's detail) and the review queue come from the server through the
/// real HTTP client.
#[test]
fn staff_and_reviewer_screens_load_from_the_real_server() {
    let Some(base) = server() else { return };
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let drafts =
        Arc::new(DraftStore::open(&dir.path().join("drafts"), &StaticKey([5; 32])).unwrap());
    for (phone, expected) in [("13700000001", "staff"), ("13700000002", "reviewer")] {
        let deps = Deps {
            api: Arc::new(HttpClient::new(&base).unwrap()),
            drafts: Some(drafts.clone()),
            runner: Runner::Inline,
            today: app::ui::local_today,
        };
        let ui = Ui::new(deps, CaptureProtection::Blocked).unwrap();
        ui.window.show().unwrap();
        log_in_on_screen(&ui, &base, phone);
        assert_eq!(
            ui.window.global::<Nav>().get_screen(),
            expected,
            "{}",
            ui.window.global::<LoginPage>().get_message()
        );
        if expected == "staff" {
            let page = ui.window.global::<StaffPage>();
            let people = page.get_people();
            assert!(people.row_count() > 0, "{}", page.get_message());
            let first = people.row_data(0).unwrap();
            assert!(
                first.title.contains('*'),
                "masked in the list: {}",
                first.title
            );
            page.invoke_select(first.person_id.clone());
            assert!(!page.get_p_name().is_empty(), "{}", page.get_message());
            assert!(page.get_p_masked_id().contains('*'));
        } else {
            let page = ui.window.global::<ReviewerPage>();
            let message = page.get_queue_message().to_string();
            let queue = page.get_queue();
            assert!(
                queue.row_count() > 0 || message.starts_with("暂无"),
                "the queue did not load: {message}"
            );
            if let Some(item) = queue.row_data(0) {
                page.invoke_open_item(item.kind.clone(), item.id.clone());
                assert!(!page.get_name().is_empty(), "{}", page.get_message());
            }
        }
    }
}

#[test]
fn login_screen_logs_in_against_the_real_server() {
    let Some(base) = server() else { return };
    i_slint_backend_testing::init_no_event_loop();
    let api: Arc<dyn AccountsApi> = Arc::new(HttpClient::new(&base).unwrap());
    let deps = Deps {
        api,
        drafts: None,
        runner: Runner::Inline,
        today: app::ui::local_today,
    };
    let ui = Ui::new(deps, CaptureProtection::Blocked).unwrap();
    ui.window.show().unwrap();
    ui.window
        .window()
        .set_size(slint::LogicalSize::new(480., 3000.));
    log_in_on_screen(&ui, &base, PHONE);
    assert_eq!(
        ui.window.global::<Nav>().get_screen(),
        "home",
        "{}",
        ui.window.global::<LoginPage>().get_message()
    );
    let home = ui.window.global::<HomePage>();
    assert!(home.get_greeting().starts_with("您好,"));
    assert!(!home.get_title().is_empty());
}

/// 身份核验 against the real server: a challenge (the test server runs with
/// `--liveness-actions shake_head,nod`), p07's recorded head shake and nod through the on-device
/// models, the frames uploaded and re-checked by the server (in demo mode the first passing face
/// becomes the reference photo), then the review submitted with the passed challenge.
#[test]
fn liveness_passes_with_recorded_frames_and_the_review_is_submitted() {
    use app::controllers::liveness::{verify, Outcome, Verified};
    use app::liveness::{testdata, AttemptOptions, ModelsHandle};
    use app::platform::camera::{Pacing, Recorded};
    use shared::api::review::{SubmissionRequest, UploadKind};

    let Some(base) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    if testdata::p07_actions(dir.path()).is_err() {
        eprintln!("skipped: ../shared/testdata/faces not found");
        return;
    }
    let http = HttpClient::new(&base).unwrap();
    let c = http.captcha().unwrap();
    let x = answer(&base, &c.id);
    let session = http
        .login(&LoginRequest {
            login: PHONE.into(),
            password: PASSWORD.into(),
            captcha: Some(CaptchaAnswer { id: c.id, x }),
        })
        .unwrap();
    let token = app::api::Token::new(session.token);
    let api: Arc<dyn AccountsApi> = Arc::new(http);
    let review = api.current_review(&token).unwrap();

    let mut camera = Recorded::open(dir.path(), Pacing::AsFastAsRead).unwrap();
    let models = ModelsHandle::new();
    let attempt = verify(
        &api,
        &token,
        &review.category,
        &models,
        &mut camera,
        AttemptOptions::default(),
        |_| {},
    )
    .unwrap();
    let captured = attempt.captured.as_ref().unwrap();
    eprintln!(
        "live: actions {:?}, {} frames analysed ({:.1} ms each), {} sent, server {:?}",
        attempt.actions,
        captured.times.frames,
        captured.times.mean().as_secs_f64() * 1000.0,
        captured.frames.len(),
        attempt.server
    );
    let Outcome::Passed(verified) = &attempt.outcome else {
        panic!(
            "not passed: {:?} (server: {:?})",
            attempt.outcome, attempt.server
        );
    };
    assert_eq!(verified, &Verified::Challenge(attempt.challenge_id.clone()));

    // Submit with the passed challenge: last year's form and two ID-card photos.
    let form = review
        .draft
        .clone()
        .or(review.prefill.clone())
        .expect("the demo person has last year's form");
    let photo = std::fs::read(
        testdata::faces_dir()
            .unwrap()
            .join("stills/p07/p07_enroll.jpg"),
    )
    .unwrap();
    let front = api
        .upload_image(&token, UploadKind::IdFront, photo.clone(), "front.jpg")
        .unwrap();
    let back = api
        .upload_image(&token, UploadKind::IdBack, photo, "back.jpg")
        .unwrap();
    let mut req = SubmissionRequest {
        form,
        id_front_upload: front.upload_id,
        id_back_upload: back.upload_id,
        liveness_challenge_id: String::new(),
        newspaper_photo_upload: None,
    };
    verified.apply(&mut req);
    let key = format!("e2e-liveness-{}", attempt.challenge_id);
    match api.submit_review(&token, &key, &req) {
        Ok(accepted) => {
            assert!(accepted.status == "submitted" || accepted.status == "resubmitted");
            assert!(accepted.message.contains("10个工作日"));
        }
        // Another live test may have submitted this person's review already this year.
        Err(e) if e.wire_code() == "illegal_transition" => {
            eprintln!("review already submitted on this server: {}", e.message());
        }
        Err(e) => panic!("submission refused: {e:?}"),
    }
}
