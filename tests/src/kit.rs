//! Building blocks for tests that go through the review intake: staff accounts, roster ids, a
//! valid form, photo uploads (and multipart bodies), passed liveness challenges and whole
//! submissions. Shared by the e2e test files so each writes them once.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use models::{FaceModels, IdentityConfig, LivenessRunner};
use serde_json::{json, Value};
use shared::api::accounts::Role;
use shared::liveness::{Action, ActionAt, ChallengeActions};

use crate::{read, ClockExt, Person, Reply, TestApp, PASSWORD};

/// Creates a staff account (`Role::Reviewer`, `Role::Admin`, …) straight in the store and logs
/// it in; returns (user id, token).
pub async fn staff(app: &TestApp, role: Role, phone: &str, districts: &[&str]) -> (String, String) {
    staff_named(app, role, "工作人员", phone, districts).await
}

/// [`staff`] with the account's `name`.
pub async fn staff_named(
    app: &TestApp,
    role: Role,
    name: &str,
    phone: &str,
    districts: &[&str],
) -> (String, String) {
    let id = server::tokens::new_id();
    let hash = app.state.passwords.hash(PASSWORD).await.expect("hash");
    app.store
        .insert_user(
            &server::store::NewUser {
                id: id.clone(),
                role,
                person_id: None,
                name: name.to_owned(),
                id_number: None,
                phone: phone.to_owned(),
                password_hash: hash,
                id_valid_from: None,
                id_valid_to: None,
                districts: districts.iter().map(|d| d.to_string()).collect(),
            },
            app.clock.now_unix(),
        )
        .await
        .expect("insert staff");
    (id, app.token(phone, PASSWORD).await)
}

/// The roster id of `p` (panics if `p` is not in the roster).
pub async fn person_id(app: &TestApp, p: &Person) -> String {
    app.store
        .roster_by_id_number(&p.id_number)
        .await
        .expect("roster")
        .expect("in roster")
        .id
}

/// A complete, valid form for `p` (photos and liveness come from the submission's own fields).
pub fn valid_form(p: &Person) -> Value {
    json!({
        "basic": {
            "name": p.name, "id_number": p.id_number, "political_status": "masses",
            "phone": p.phone(), "emergency_contact_name": "张三",
            "emergency_contact_phone": "15800000000", "placement_region": "110101",
            "residence_region": "110101", "residence_address": "幸福路1号院2号楼3单元401",
            "foreign_nationality": false, "social_organization": false, "living_difficulty": false
        },
        "party": {"is_member": false},
        "rewards": {"rewarded": false, "party_discipline": false, "criminal_penalty": false}
    })
}

/// A small JPEG.
pub fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x + y) * 2) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&img)
        .expect("encode");
    out
}

/// The multipart boundary of [`multipart`] and [`upload_reply`].
pub const BOUNDARY: &str = "zyKitBoundary7MA4YWxkTrZu0gW";

/// A multipart body (boundary [`BOUNDARY`]) with a `kind` field and `file` as a JPEG.
pub fn multipart(kind: &str, file: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// POSTs a multipart `body` whose parts are separated by `boundary` to `path` as `token`.
pub async fn post_multipart(
    app: &TestApp,
    path: &str,
    token: &str,
    boundary: &str,
    body: Vec<u8>,
) -> Reply {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("request");
    read(res).await
}

/// Uploads `file` as `kind` (`POST /api/v1/uploads`); the reply, whatever it is.
pub async fn upload_reply(app: &TestApp, token: &str, kind: &str, file: &[u8]) -> Reply {
    let body = multipart(kind, file);
    post_multipart(app, "/api/v1/uploads", token, BOUNDARY, body).await
}

/// Uploads `file` as `kind`; returns the upload id (panics unless 201).
pub async fn upload(app: &TestApp, token: &str, kind: &str, file: &[u8]) -> String {
    let r = upload_reply(app, token, kind, file).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["upload_id"]
        .as_str()
        .expect("upload_id")
        .to_owned()
}

/// A new liveness challenge of the caller: the 201 body (panics otherwise).
pub async fn new_challenge(app: &TestApp, token: &str) -> Value {
    let r = app
        .send_json(
            reqwest::Method::POST,
            "/api/v1/liveness/challenges",
            &json!({}),
            Some(token),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()
}

/// A liveness challenge of the caller, marked passed now (the test-only store function).
pub async fn passed_challenge(app: &TestApp, token: &str) -> String {
    let id = new_challenge(app, token).await["challenge_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(app
        .store
        .test_only_mark_challenge_passed(&id, app.clock.now_unix())
        .await
        .expect("mark passed"));
    id
}

/// Submits a complete review for `p` (logged in as `token`) with `key`; returns the reply.
pub async fn submit_review(app: &TestApp, p: &Person, token: &str, key: &str) -> Reply {
    let body = json!({
        "form": valid_form(p),
        "id_front_upload": upload(app, token, "id_front", &jpeg()).await,
        "id_back_upload": upload(app, token, "id_back", &jpeg()).await,
        "liveness_challenge_id": passed_challenge(app, token).await
    });
    app.post_once("/api/v1/reviews/current/submissions", token, key, &body)
        .await
}

/// A reviewer's decision on submission `id`.
pub async fn decide(app: &TestApp, token: &str, id: &str, body: Value) -> Reply {
    app.send_json(
        reqwest::Method::POST,
        &format!("/api/v1/submissions/{id}/decision"),
        &body,
        Some(token),
    )
    .await
}

/// The bundled face models, loaded once for all tests of the process.
fn face_models() -> &'static Mutex<FaceModels> {
    static MODELS: OnceLock<Mutex<FaceModels>> = OnceLock::new();
    MODELS.get_or_init(|| Mutex::new(FaceModels::load_bundled().expect("models load")))
}

/// What the app would claim: the actions' completion times as the models see them on these
/// frames (empty when the session does not pass).
pub async fn claims(actions: &[Action], frames: &[(u64, PathBuf)]) -> Vec<ActionAt> {
    let actions = ChallengeActions::new(actions.iter().copied()).expect("actions");
    let frames = frames.to_vec();
    tokio::task::spawn_blocking(move || {
        let mut m = face_models().lock().unwrap_or_else(|e| e.into_inner());
        let mut runner = LivenessRunner::new(
            actions,
            models::detector_config(),
            IdentityConfig::default(),
        );
        for (t, path) in &frames {
            let img = image::open(path).expect("frame").to_rgb8();
            let (w, h) = img.dimensions();
            let frame = models::Frame::new(img.as_raw(), w, h).expect("frame");
            runner.push(&mut m, &frame, *t).expect("models");
            if runner.is_finished() {
                break;
            }
        }
        runner.finish().verdict.done_at
    })
    .await
    .expect("claims task")
}
