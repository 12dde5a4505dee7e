//! Building blocks for tests that go through the review intake: staff accounts, roster ids, a
//! valid form, photo uploads (and multipart bodies), passed liveness challenges, liveness
//! evidence as the app records it (the colour flash's light simulated on recorded frames) and
//! whole submissions. Shared by the e2e test files so each writes them once.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use models::simulate::{self, PixelBox};
use models::{FaceModels, IdentityConfig, LivenessRunner};
use serde_json::{json, Value};
use shared::api::accounts::Role;
use shared::liveness::{Action, ActionAt, ChallengeActions, FlashConfig, FlashSchedule, FlashStep};

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

/// Camera frames of a session as the app sends them: time (ms since the attempt started) and
/// JPEG bytes.
pub type Frames = Vec<(u64, Vec<u8>)>;

/// The frames of files, as they are.
pub fn read_frames(frames: &[(u64, PathBuf)]) -> Frames {
    frames
        .iter()
        .map(|(t, p)| (*t, std::fs::read(p).expect("frame")))
        .collect()
}

/// The app's camera rate during the flash (it keeps every frame then).
const FLASH_FRAME_MS: u64 = 66;
/// The app starts the flash once the face has been steady this long (`app::liveness`).
const FLASH_STEADY_MS: u64 = 660;

fn encode_jpeg(img: &image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(img)
        .expect("encode");
    out
}

/// The challenge's flash (the `flash` of a `ChallengeIssued` body), `None` without one.
pub fn flash_of(challenge: &Value) -> Option<FlashSchedule> {
    let steps: Vec<FlashStep> = serde_json::from_value(challenge["flash"].clone()).ok()?;
    FlashSchedule::from_steps(steps)
}

/// What the app records for a challenge with a colour flash, from recorded frames: `lead_in`
/// (the person looking at the camera) looped at 15 fps, lit by the flash from 660 ms on as a
/// face at arm's length would be (`models::simulate::ARM_LENGTH`, one frame of lag, as the app's
/// screen changes after a frame), then `frames` after it. Returns the frames and the flash's
/// start. Without a flash, `frames` as they are.
pub async fn flashed(
    flash: Option<&FlashSchedule>,
    lead_in: &[PathBuf],
    frames: &[(u64, PathBuf)],
) -> (Frames, Option<u64>) {
    let Some(schedule) = flash.cloned() else {
        return (read_frames(frames), None);
    };
    let (lead_in, frames) = (lead_in.to_vec(), frames.to_vec());
    tokio::task::spawn_blocking(move || {
        let mut m = face_models().lock().unwrap_or_else(|e| e.into_inner());
        // Each lead-in picture and its face box, found once.
        let pictures: Vec<(image::RgbImage, Option<PixelBox>)> = lead_in
            .iter()
            .map(|p| {
                let img = image::open(p).expect("frame").to_rgb8();
                let (w, h) = img.dimensions();
                let frame = models::Frame::new(img.as_raw(), w, h).expect("frame");
                let face = m
                    .analyze(&frame, 0)
                    .expect("models")
                    .face()
                    .map(|f| PixelBox {
                        xmin: f.xmin,
                        ymin: f.ymin,
                        xmax: f.xmax,
                        ymax: f.ymax,
                    });
                (img, face)
            })
            .collect();
        let start = FLASH_STEADY_MS;
        let end = start + schedule.total_ms() + 400;
        let mut out: Frames = Vec::new();
        let mut t = 0;
        let mut k = 0;
        while t < end {
            let (img, face) = &pictures[k % pictures.len()];
            let mut img = img.clone();
            let colour = schedule.colour_at(t as i64 - (start + FLASH_FRAME_MS) as i64);
            if let Some(face) = face {
                let (w, h) = img.dimensions();
                simulate::reflect(
                    &mut simulate::Image {
                        rgb: &mut img,
                        width: w,
                        height: h,
                    },
                    face,
                    colour,
                    &simulate::ARM_LENGTH,
                );
            }
            out.push((t, encode_jpeg(&img)));
            t += FLASH_FRAME_MS;
            k += 1;
        }
        for (ft, p) in &frames {
            out.push((end + ft, std::fs::read(p).expect("frame")));
        }
        (out, Some(start))
    })
    .await
    .expect("flash task")
}

/// A replay attack on a screen held to the phone: the recorded frames as they are, with the
/// live phone's flash reflected evenly off the screen's glass (`strength` in linear light, see
/// `models::simulate::reflect_flat`), one frame of lag.
pub fn replayed(
    flash: &FlashSchedule,
    start_ms: u64,
    frames: &[(u64, PathBuf)],
    strength: f32,
) -> Frames {
    frames
        .iter()
        .map(|(t, p)| {
            let mut img = image::open(p).expect("frame").to_rgb8();
            let (w, h) = img.dimensions();
            let colour = flash.colour_at(*t as i64 - (start_ms + FLASH_FRAME_MS) as i64);
            simulate::reflect_flat(
                &mut simulate::Image {
                    rgb: &mut img,
                    width: w,
                    height: h,
                },
                colour,
                strength,
            );
            (*t, encode_jpeg(&img))
        })
        .collect()
}

/// Every second frame of a 15 fps clip of `faces` (7.5 fps), at most `max`.
pub fn clip_frames(faces: &Path, dir: &str, max: usize) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(faces.join(dir))
        .expect("clip")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    files.sort();
    files.into_iter().step_by(2).take(max).collect()
}

/// p07 doing `actions` (shake_head, nod) in order, 133 ms apart.
pub fn p07_doing(faces: &Path, actions: &[Action]) -> Vec<(u64, PathBuf)> {
    actions
        .iter()
        .flat_map(|a| match a {
            Action::ShakeHead => {
                clip_frames(faces, "actions/turn_head/p07_turn_left_right_frames", 40)
            }
            _ => clip_frames(faces, "actions/nod/p07_nod_frames", 28),
        })
        .enumerate()
        .map(|(k, p)| (k as u64 * 133, p))
        .collect()
}

/// Two seconds of p07 looking at the camera (the lead-in during which the screen flashes).
pub fn p07_lead_in(faces: &Path) -> Vec<PathBuf> {
    clip_frames(faces, "actions/neutral/p07_neutral_frames", 15)
}

/// A session as the app records it: `lead_in` while the screen flashes ([`flashed`]), then
/// `frames`; with the flash's start and the claims the models make on them.
pub async fn recorded(
    flash: Option<&FlashSchedule>,
    lead_in: &[PathBuf],
    actions: &[Action],
    frames: &[(u64, PathBuf)],
) -> (Frames, Option<u64>, Vec<ActionAt>) {
    let (frames, start) = flashed(flash, lead_in, frames).await;
    let claimed = claims(actions, flash.zip(start), &frames).await;
    (frames, start, claimed)
}

/// What the app would claim: the actions' completion times as the models see them on these
/// frames, the flash (if any) started at its time (empty when the session does not pass).
pub async fn claims(
    actions: &[Action],
    flash: Option<(&FlashSchedule, u64)>,
    frames: &Frames,
) -> Vec<ActionAt> {
    let actions = ChallengeActions::new(actions.iter().copied()).expect("actions");
    let frames = frames.clone();
    let flash = flash.map(|(s, t)| (s.clone(), t));
    tokio::task::spawn_blocking(move || {
        let mut m = face_models().lock().unwrap_or_else(|e| e.into_inner());
        let mut runner = LivenessRunner::new(
            actions,
            models::detector_config(),
            IdentityConfig::default(),
        );
        if let Some((schedule, start)) = flash {
            runner = runner.with_flash(schedule, FlashConfig::default());
            runner.flash_started(start);
        }
        for (t, bytes) in &frames {
            let img = image::load_from_memory(bytes).expect("frame").to_rgb8();
            let (w, h) = img.dimensions();
            let frame = models::Frame::new(img.as_raw(), w, h).expect("frame");
            runner.push(&mut m, &frame, *t).expect("models");
        }
        runner.finish().verdict.done_at
    })
    .await
    .expect("claims task")
}
