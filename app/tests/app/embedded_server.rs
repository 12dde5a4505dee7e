//! The embedded demo server (feature `embedded-server`) and the review calls of the real HTTP
//! client against it: it starts on a free port with its data in a temporary directory; last
//! year's form comes as prefill; ID-card photos upload as multipart; a submission with an
//! `Idempotency-Key` but no passed liveness challenge is refused field by field (422), and the
//! app's queue removes it while keeping nothing it should not; 换绑手机 to the roster's second
//! number works with the SMS code from the demo outbox.

use app::api::review::{ChangePhoneRequest, SubmissionRequest, UploadKind};
use app::api::{CaptchaAnswer, HttpClient, LoginRequest, SmsCodeRequest, Token};
use app::controllers::liveness::Verified;
use app::controllers::wizard::{to_shared_draft, values_from_shared};
use app::drafts::{DraftStore, StaticKey};
use app::queue::{photo_from_bytes, SendOutcome, SubmissionQueue};
use shared::api::accounts::{CaptchaSolution, OutboxMessage, SmsPurpose};
use shared::error::UserError;

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 40, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn embedded_demo_server_serves_prefill_uploads_submissions_and_phone_changes() {
    let dir = tempfile::tempdir().unwrap();
    let server = app::embedded::start(&dir.path().join("demo-server")).unwrap();
    assert!(server.url.starts_with("http://127.0.0.1:"));
    let note = server.login_note();
    assert!(
        note.contains("Zhanyou2025") && note.contains("13900000001"),
        "{note}"
    );

    let api = HttpClient::new(&server.url).unwrap();
    let c = api.captcha().unwrap();
    let x = reqwest::blocking::get(format!("{}/api/v1/dev/captchas/{}", server.url, c.id))
        .unwrap()
        .json::<CaptchaSolution>()
        .unwrap()
        .x;
    let session = api
        .login(&LoginRequest {
            login: "13900000001".into(),
            password: "Zhanyou2025".into(),
            captcha: Some(CaptchaAnswer { id: c.id, x }),
        })
        .unwrap();
    let token = Token::new(session.token);

    // Last year's record as prefill, readable by the wizard.
    let current = api.current_review(&token).unwrap();
    let prefill = current
        .prefill
        .clone()
        .expect("the demo roster has last year's form");
    assert_eq!(prefill.basic.name.as_deref(), Some("陈松"));
    let values = values_from_shared(&prefill);
    assert_eq!(values["basic.political_status"], "中共党员");
    assert_eq!(values["basic.placement_region"], "北京市/东城区");
    assert_eq!(
        to_shared_draft(&values).basic.placement_region.as_deref(),
        Some("110101")
    );

    // Multipart uploads of both sides.
    let front = api
        .upload_image(&token, UploadKind::IdFront, png(), "image.png")
        .unwrap();
    assert!(!front.upload_id.is_empty());
    let err = api
        .upload_image(
            &token,
            UploadKind::IdBack,
            b"not an image".to_vec(),
            "x.jpg",
        )
        .unwrap_err();
    assert_eq!(err.wire_code(), "unsupported_media", "{err:?}");

    // A submission without a passed liveness challenge: 422 on that field; the Idempotency-Key
    // header got through (without it the answer would be idempotency_key_required).
    let back = api
        .upload_image(&token, UploadKind::IdBack, png(), "image.png")
        .unwrap();
    let mut form = prefill.clone();
    form.verification = Default::default();
    let err = api
        .submit_review(
            &token,
            "app-test-key-1",
            &SubmissionRequest {
                form: form.clone(),
                id_front_upload: front.upload_id,
                id_back_upload: back.upload_id,
                liveness_challenge_id: "0123456789abcdef0123456789abcdef".into(),
                newspaper_photo_upload: None,
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid_fields", "{err:?}");
    let problem = err.problem().unwrap();
    assert!(
        problem.errors.iter().any(|e| e.field.contains("liveness")),
        "{problem:?}"
    );

    // The same through the queue: refused, removed from the queue, the draft kept.
    let store = DraftStore::open(&dir.path().join("drafts"), &StaticKey([2; 32])).unwrap();
    store
        .save(&session.user.id, current.year, &"draft")
        .unwrap();
    let q = SubmissionQueue::new(&store);
    q.enqueue(
        &session.user.id,
        current.year,
        form,
        photo_from_bytes(png()).unwrap(),
        photo_from_bytes(png()).unwrap(),
        Verified::Challenge("0123456789abcdef0123456789abcdef".into()),
    )
    .unwrap();
    let outcome = q.send(&api, &token, &session.user.id, current.year);
    assert!(
        matches!(outcome, SendOutcome::Refused(ref e) if e.code() == "invalid_fields"),
        "{outcome:?}"
    );
    assert!(q.pending(&session.user.id, current.year).unwrap().is_none());
    assert!(store
        .load::<String>(&session.user.id, current.year)
        .unwrap()
        .is_some());

    // 换绑手机 to the roster's second number (demo: 1360000xxxx).
    api.send_sms_code(&SmsCodeRequest {
        phone: "13600000001".into(),
        purpose: SmsPurpose::ChangePhone.as_str().into(),
    })
    .unwrap();
    let outbox: Vec<OutboxMessage> = reqwest::blocking::get(format!(
        "{}/api/v1/dev/sms-outbox?phone=13600000001",
        server.url
    ))
    .unwrap()
    .json()
    .unwrap();
    let code = outbox.iter().find_map(|m| m.code.clone()).unwrap();
    api.change_phone(
        &token,
        &ChangePhoneRequest {
            new_phone: "13600000001".into(),
            sms_code: code,
        },
    )
    .unwrap();
    assert_eq!(api.me(&token).unwrap().masked_phone, "136****0001");
    // A number not in the roster: refused.
    let err = api
        .change_phone(
            &token,
            &ChangePhoneRequest {
                new_phone: "13700009999".into(),
                sms_code: "123456".into(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(
            err.wire_code(),
            "phone_not_in_roster" | "sms_code_invalid" | "invalid_fields"
        ),
        "{err:?}"
    );
}
