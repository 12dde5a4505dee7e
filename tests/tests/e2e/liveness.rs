//! Issue 4's liveness evidence on real faces: the server re-runs the face models on uploaded
//! frames (`shared/testdata/faces`, read in place), checks the actions in the challenge's order,
//! one person throughout, the app's claimed times, and compares the face with the person's
//! reference photo; single use, expiry, ownership; failed comparisons counted; the
//! special-population path (特殊人群核验) after more than three.
//!
//! Servers run with `--liveness-actions shake_head,nod`; the clips are p07's (turn, nod) and
//! p08's (turn, look up/down), subsampled from 15 to 7.5 fps to keep the test time modest.
//! Claims are computed in the test with the same models, as the app does on the phone.
//!
//! Every challenge has a colour flash (炫彩). The app records the person looking at the camera
//! while the screen flashes, then the actions; no clip was filmed under a flashing phone, so
//! the flash's light is simulated on the recorded lead-in (`tests::kit::flashed`, the reflection
//! model of `models::simulate`). The presentation attacks use the real replay footage p13
//! (a video re-filmed off a laptop screen) with the phone's light reflected evenly off the
//! screen's glass (`kit::replayed`), and replays of accepted evidence.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use shared::liveness::FlashSchedule;
use shared::liveness::{Action, ActionAt, ActionSet};
use tests::kit::{
    claims, flash_of, flashed, new_challenge, person_id, replayed, upload, upload_reply,
    valid_form, Frames,
};
use tests::{read, spawn_with, Backend, ClockExt, Options, Person, Reply, TestApp};

/// `shared/testdata/faces` beside the repository; `None` (the tests say so and pass) without it.
fn faces() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/faces");
    if dir.join("MANIFEST.md").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "note: {} not found; liveness evidence tests skipped",
            dir.display()
        );
        None
    }
}

/// Generates a SQLite and a PostgreSQL test for each `async fn name(app: TestApp, faces: &Path)`,
/// on a server restricted to shake_head and nod; `demo` as given.
macro_rules! liveness_tests {
    ($demo:expr; $($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::run(tests::Backend::Sqlite, $demo, super::$name).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::run(tests::Backend::Postgres, $demo, super::$name).await;
                }
            }
        )*
    };
}

liveness_tests!(true;
    happy_path_passes_then_submits,
    wrong_order_and_still_photo_fail,
    another_persons_face_is_counted_and_opens_special_population,
    identity_change_mid_session_fails,
    bad_requests_expiry_and_ownership,
    demo_mode_enrols_the_first_reference_photo,
);
liveness_tests!(false;
    without_reference_photo_nothing_to_compare,
    own_reference_photo_only,
    replayed_evidence_is_refused_as_reused,
);

/// The p13 replay test needs a challenge of the one action p13 shows (a nod): its own server.
mod a_replayed_video_is_refused {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::run_with(
            tests::Backend::Sqlite,
            "nod",
            super::replay_attack_is_refused,
        )
        .await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::run_with(
            tests::Backend::Postgres,
            "nod",
            super::replay_attack_is_refused,
        )
        .await;
    }
}

async fn run<F, Fut>(backend: Backend, demo: bool, test: F)
where
    F: FnOnce(TestApp, PathBuf) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    run_on(backend, demo, "shake_head,nod", test).await
}

async fn run_with<F, Fut>(backend: Backend, actions: &str, test: F)
where
    F: FnOnce(TestApp, PathBuf) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    run_on(backend, false, actions, test).await
}

async fn run_on<F, Fut>(backend: Backend, demo: bool, actions: &str, test: F)
where
    F: FnOnce(TestApp, PathBuf) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(dir) = faces() else { return };
    let Some(app) = spawn_with(Options {
        demo,
        liveness_actions: Some(ActionSet::parse_list(actions).expect("action list")),
        ..Options::new(backend)
    })
    .await
    else {
        return;
    };
    test(app.clone(), dir).await;
    app.stop().await;
}

// ---- accounts without the demo routes ------------------------------------------------------

/// An account with a live session made straight in the store (works with and without
/// `--demo`); returns (user id, token).
async fn account(
    app: &TestApp,
    role: shared::api::accounts::Role,
    person: Option<&Person>,
    phone: &str,
) -> (String, String) {
    let person_id = match person {
        Some(p) => Some(person_id(app, p).await),
        None => None,
    };
    let id = server::tokens::new_id();
    app.store
        .insert_user(
            &server::store::NewUser {
                id: id.clone(),
                role,
                person_id,
                name: person.map_or("管理员".to_owned(), |p| p.name.clone()),
                id_number: person.map(|p| p.id_number.clone()),
                phone: phone.to_owned(),
                password_hash: "not-used".to_owned(),
                id_valid_from: None,
                id_valid_to: None,
                districts: if role == shared::api::accounts::Role::Reviewer {
                    vec!["110101".to_owned()]
                } else {
                    Vec::new()
                },
            },
            app.clock.now_unix(),
        )
        .await
        .expect("user");
    let token = server::tokens::new_token();
    let now = app.clock.now_unix();
    app.store
        .insert_session(
            &server::tokens::hash_token(&token),
            &id,
            now,
            now + 12 * 3600,
        )
        .await
        .expect("session");
    (id, token)
}

/// A veteran of `category` in the roster with an account; returns the token.
async fn veteran(app: &TestApp, n: u32, category: &str) -> (Person, String) {
    let mut p = Person::new(n);
    p.category = category.to_owned();
    app.enroll(&p).await;
    let (_, token) = account(
        app,
        shared::api::accounts::Role::Veteran,
        Some(&p),
        &p.phones[0].clone(),
    )
    .await;
    (p, token)
}

async fn admin(app: &TestApp) -> String {
    account(app, shared::api::accounts::Role::Admin, None, "13700000009")
        .await
        .1
}

// ---- uploads and evidence --------------------------------------------------------------------

/// Uploads every frame as `liveness_frame` (two at a time); ids in the frames' order.
async fn upload_frames(app: &TestApp, token: &str, frames: &Frames) -> Vec<String> {
    let mut ids = Vec::with_capacity(frames.len());
    for pair in frames.chunks(2) {
        let tasks: Vec<_> = pair
            .iter()
            .map(|(_, bytes)| {
                let (app, token) = (app.clone(), token.to_owned());
                let bytes = bytes.clone();
                tokio::spawn(async move { upload(&app, &token, "liveness_frame", &bytes).await })
            })
            .collect();
        for t in tasks {
            ids.push(t.await.expect("upload task"));
        }
    }
    ids
}

/// Sets `photo` as `p`'s reference photo through the admin route.
async fn set_reference(app: &TestApp, admin: &str, p: &Person, photo: &Path) {
    let id = upload(
        app,
        admin,
        "reference_photo",
        &std::fs::read(photo).expect("photo"),
    )
    .await;
    let person = person_id(app, p).await;
    let r = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/people/{person}/reference-photo"),
            &json!({"upload_id": id, "consent": true}),
            Some(admin),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["person_id"], person);
}

async fn challenge(app: &TestApp, token: &str) -> (String, Vec<Action>, FlashSchedule) {
    let v = new_challenge(app, token).await;
    let flash = flash_of(&v).expect("every challenge has a colour flash");
    (
        v["challenge_id"].as_str().expect("id").to_owned(),
        serde_json::from_value(v["actions"].clone()).expect("actions"),
        flash,
    )
}

async fn evidence(app: &TestApp, token: &str, challenge: &str, body: &Value) -> Reply {
    // The frames took their time to record: the server's clock (frozen in tests) moves on by
    // their span, as it would have (frames spanning more time than has passed since the
    // challenge are refused).
    let times: Vec<u64> = body["frames"]
        .as_array()
        .map(|f| f.iter().filter_map(|x| x["t_ms"].as_u64()).collect())
        .unwrap_or_default();
    if let (Some(lo), Some(hi)) = (times.iter().min(), times.iter().max()) {
        app.clock.advance(Duration::from_millis(hi - lo));
    }
    let started = Instant::now();
    let r = app
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/liveness/challenges/{challenge}/evidence"),
            body,
            Some(token),
        )
        .await;
    let frames = body["frames"].as_array().map_or(0, Vec::len);
    // Written straight to stderr: the time of one evidence call (upload excluded), for the
    // report. Not asserted.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "evidence: {frames} frames re-checked in {} ms (status {})",
        started.elapsed().as_millis(),
        r.status
    );
    r
}

/// [`evidence`] with the body of uploaded `frames` and their `claimed` actions.
async fn send_evidence(
    app: &TestApp,
    token: &str,
    challenge: &str,
    ids: &[String],
    frames: &Frames,
    claimed: &[ActionAt],
    flash_started_ms: Option<u64>,
) -> Reply {
    evidence(
        app,
        token,
        challenge,
        &evidence_body(ids, frames, claimed, flash_started_ms),
    )
    .await
}

fn evidence_body(
    ids: &[String],
    frames: &Frames,
    claimed: &[ActionAt],
    flash_started_ms: Option<u64>,
) -> Value {
    json!({
        "frames": ids.iter().zip(frames).map(|(id, (t, _))| json!({"upload_id": id, "t_ms": t})).collect::<Vec<_>>(),
        "claimed": claimed,
        "flash_started_ms": flash_started_ms,
    })
}

/// A challenge done by p07's recorded clips (the flash lit as the app lights it), the frames
/// uploaded and sent as its evidence.
struct Attempt {
    id: String,
    frames: Frames,
    claimed: Vec<ActionAt>,
    start: Option<u64>,
    reply: Reply,
}

async fn p07_attempt(app: &TestApp, token: &str, faces: &Path) -> Attempt {
    let (id, actions, flash) = challenge(app, token).await;
    let (frames, start, claimed) = recorded(
        faces,
        "p07",
        &flash,
        &actions,
        &frames_for(faces, &actions, "p07"),
    )
    .await;
    let ids = upload_frames(app, token, &frames).await;
    let reply = send_evidence(app, token, &id, &ids, &frames, &claimed, start).await;
    Attempt {
        id,
        frames,
        claimed,
        start,
        reply,
    }
}

/// A session as the app records it: the person looking at the camera while the screen flashes
/// (`kit::flashed`), then `frames`; with the claims the models make on them.
async fn recorded(
    faces: &Path,
    person: &str,
    flash: &FlashSchedule,
    actions: &[Action],
    frames: &[(u64, PathBuf)],
) -> (Frames, Option<u64>, Vec<ActionAt>) {
    let (frames, start) = flashed(Some(flash), &lead_in(faces, person), frames).await;
    let claimed = claims(actions, start.map(|s| (flash, s)), &frames).await;
    (frames, start, claimed)
}

/// A second of the person looking at the camera: p07's neutral clip, or p08's frontal start.
fn lead_in(faces: &Path, person: &str) -> Vec<PathBuf> {
    match person {
        "p07" => tests::kit::p07_lead_in(faces),
        _ => clip_all(faces, TURN_P08, 10),
    }
}

/// The first `max` frames of a clip, every one.
fn clip_all(faces: &Path, dir: &str, max: usize) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(faces.join(dir))
        .expect("clip")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    files.sort();
    files.truncate(max);
    files
}

// ---- frames ----------------------------------------------------------------------------------

const TURN_P07: &str = "actions/turn_head/p07_turn_left_right_frames";
const NOD_P07: &str = "actions/nod/p07_nod_frames";
const TURN_P08: &str = "actions/turn_head/p08_turn_left_right_frames";
const NOD_P08: &str = "actions/nod/p08_look_up_down_frames";

/// Every second frame of a 15 fps clip (7.5 fps, 133 ms apart), at most `max` of them.
fn clip(faces: &Path, dir: &str, max: usize) -> Vec<PathBuf> {
    tests::kit::clip_frames(faces, dir, max)
}

/// Clips one after another with continuous, increasing times (ms since the attempt started).
fn splice(parts: Vec<Vec<PathBuf>>) -> Vec<(u64, PathBuf)> {
    const STEP: u64 = 133;
    parts
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(k, p)| (k as u64 * STEP, p))
        .collect()
}

/// Per action of the challenge, the clip that shows it, of p07 or p08.
fn clip_for(faces: &Path, action: Action, person: &str) -> Vec<PathBuf> {
    match (action, person) {
        (Action::ShakeHead, "p07") => clip(faces, TURN_P07, 40),
        (Action::Nod, "p07") => clip(faces, NOD_P07, 28),
        (Action::ShakeHead, _) => clip(faces, TURN_P08, 45),
        (_, _) => clip(faces, NOD_P08, 45),
    }
}

/// p07 (or p08) doing the challenge's actions in its order.
fn frames_for(faces: &Path, actions: &[Action], person: &str) -> Vec<(u64, PathBuf)> {
    splice(
        actions
            .iter()
            .map(|a| clip_for(faces, *a, person))
            .collect(),
    )
}

fn p07_enroll(faces: &Path) -> PathBuf {
    faces.join("stills/p07/p07_enroll.jpg")
}

fn p08_enroll(faces: &Path) -> PathBuf {
    faces.join("stills/p08/p08_enroll.jpg")
}

fn tiny_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&img)
        .expect("encode");
    out
}

async fn submit(app: &TestApp, token: &str, key: &str, body: &Value) -> Reply {
    let res = app
        .client
        .post(app.url("/api/v1/reviews/current/submissions"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("request");
    read(res).await
}

// ---- the tests -------------------------------------------------------------------------------

async fn happy_path_passes_then_submits(app: TestApp, faces: PathBuf) {
    let admin = admin(&app).await;
    let (p, token) = veteran(&app, 1, "military_retiree").await;
    set_reference(&app, &admin, &p, &p07_enroll(&faces)).await;
    let (id, actions, flash) = challenge(&app, &token).await;
    let (frames, start, claimed) = recorded(
        &faces,
        "p07",
        &flash,
        &actions,
        &frames_for(&faces, &actions, "p07"),
    )
    .await;
    assert_eq!(claimed.len(), 2, "the models see both actions locally");
    let ids = upload_frames(&app, &token, &frames).await;
    let body = evidence_body(&ids, &frames, &claimed, start);
    let r = evidence(&app, &token, &id, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["passed"], true, "{v}");
    assert!(v["reason"].is_null() && v["message"].is_null(), "{v}");
    let score = v["face_match"]["score"].as_f64().expect("a score");
    assert!(score >= f64::from(models::MATCH_THRESHOLD), "{score}");
    assert_eq!(v["face_match"]["same_person"], true);
    assert_eq!(v["failed_comparisons"], 0);
    let row = app.store.challenge(&id).await.unwrap().unwrap();
    assert!(row.passed_at.is_some(), "the challenge is passed");
    {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "face models loaded (lazily, in the first evidence) in {:?} ms",
            app.state.recheck.pool.last_load_ms()
        );
    }

    // Single use: the same evidence again, or new frames, is 409.
    evidence(&app, &token, &id, &body)
        .await
        .expect_problem(409, "challenge_used");
    // The frames cannot be evidence of another challenge either.
    let (other, _, _) = challenge(&app, &token).await;
    let r = evidence(&app, &token, &other, &body).await;
    r.expect_problem(422, "invalid_fields");
    assert!(
        r.field_codes()
            .contains(&"frames[0].upload_id:upload_used".to_owned()),
        "{:?}",
        r.field_codes()
    );

    // The passed challenge carries the submission.
    let form = json!({
        "form": valid_form(&p),
        "id_front_upload": upload(&app, &token, "id_front", &tiny_jpeg()).await,
        "id_back_upload": upload(&app, &token, "id_back", &tiny_jpeg()).await,
        "liveness_challenge_id": id,
    });
    let r = submit(&app, &token, "live-1", &form).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["status"], "submitted");
    let sid = r.json()["submission_id"].as_str().unwrap().to_owned();

    // The reviewer sees the frames and the score.
    let d = reviewer_view(&app, &sid).await;
    assert_eq!(d["special_population"], false);
    assert!(d["newspaper_photo_upload"].is_null());
    let frames_seen: Vec<String> = serde_json::from_value(d["liveness_frames"].clone()).unwrap();
    assert_eq!(frames_seen, ids, "frames in time order");
    assert!((d["face_match_score"].as_f64().unwrap() - score).abs() < 1e-4);

    // The reference photo was audited (ids only).
    let audit = app.store.audit_recent(50).await.unwrap();
    assert!(audit.iter().any(|a| a.event == "reference_photo_set"));
    assert!(audit.iter().any(|a| a.event == "liveness_evidence"));
}

/// Submission `sid` as a reviewer of district 110101 sees it (a new reviewer account).
async fn reviewer_view(app: &TestApp, sid: &str) -> Value {
    let role = shared::api::accounts::Role::Reviewer;
    let (_, reviewer) = account(app, role, None, "13700000008").await;
    let d = app
        .get(&format!("/api/v1/submissions/{sid}"), Some(&reviewer))
        .await;
    assert_eq!(d.status, 200, "{}", d.text);
    d.json()
}

async fn wrong_order_and_still_photo_fail(app: TestApp, faces: PathBuf) {
    let admin = admin(&app).await;
    let (p, token) = veteran(&app, 1, "self_employed_officer").await;
    set_reference(&app, &admin, &p, &p07_enroll(&faces)).await;

    // The challenge's actions done in the other order.
    let (id, actions, flash) = challenge(&app, &token).await;
    let reversed: Vec<Action> = actions.iter().rev().copied().collect();
    let (frames, start) = flashed(
        Some(&flash),
        &lead_in(&faces, "p07"),
        &frames_for(&faces, &reversed, "p07"),
    )
    .await;
    let ids = upload_frames(&app, &token, &frames).await;
    let claimed: Vec<ActionAt> = actions
        .iter()
        .enumerate()
        .map(|(i, a)| ActionAt {
            action: *a,
            t_ms: 6000 + i as u64 * 3000,
        })
        .collect();
    let r = send_evidence(&app, &token, &id, &ids, &frames, &claimed, start).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["passed"], false, "{v}");
    assert_eq!(v["reason"], "wrong_order", "{v}");
    assert_eq!(
        v["message"],
        shared::liveness::FailReason::WrongOrder.message_zh()
    );
    assert!(app
        .store
        .challenge(&id)
        .await
        .unwrap()
        .unwrap()
        .passed_at
        .is_none());

    // A still photo held up for 11 s (2 fps): nothing moves.
    let (id, _, _) = challenge(&app, &token).await;
    let photo = std::fs::read(p07_enroll(&faces)).unwrap();
    let mut frames = Vec::new();
    let mut ids = Vec::new();
    for k in 0..23u64 {
        ids.push(upload(&app, &token, "liveness_frame", &photo).await);
        frames.push((k * 500, photo.clone()));
    }
    let r = evidence(
        &app,
        &token,
        &id,
        &evidence_body(&ids, &frames, &[], Some(500)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["passed"], false, "{v}");
    assert!(
        ["no_motion", "action_timeout"].contains(&v["reason"].as_str().unwrap()),
        "{v}"
    );
    // Not a failed comparison: the counter stays.
    assert_eq!(v["failed_comparisons"], 0);
}

async fn another_persons_face_is_counted_and_opens_special_population(
    app: TestApp,
    faces: PathBuf,
) {
    let admin = admin(&app).await;
    // The account holder (军休干部) is p08; p07 does the liveness check.
    let (p, token) = veteran(&app, 1, "military_retiree").await;
    set_reference(&app, &admin, &p, &p08_enroll(&faces)).await;
    let Attempt {
        id,
        frames,
        reply: r,
        ..
    } = p07_attempt(&app, &token, &faces).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["passed"], false, "{v}");
    assert_eq!(v["reason"], "face_mismatch", "{v}");
    assert_eq!(v["face_match"]["same_person"], false);
    assert!(v["face_match"]["score"].as_f64().unwrap() < f64::from(models::MATCH_THRESHOLD));
    assert_eq!(v["failed_comparisons"], 1);
    let person = person_id(&app, &p).await;
    assert_eq!(app.store.face_mismatches(&person, 2025).await.unwrap(), 1);

    let front = upload(&app, &token, "id_front", &tiny_jpeg()).await;
    let back = upload(&app, &token, "id_back", &tiny_jpeg()).await;
    let newspaper = upload(&app, &token, "newspaper_photo", &tiny_jpeg()).await;
    let special = |newspaper: &str, challenge: &str| {
        json!({"form": valid_form(&p), "id_front_upload": front, "id_back_upload": back,
               "liveness_challenge_id": challenge, "newspaper_photo_upload": newspaper})
    };
    // One failure is not enough (more than three are needed).
    let r = submit(&app, &token, "np-1", &special(&newspaper, "")).await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(
        r.field_codes(),
        vec!["newspaper_photo_upload:special_population_too_few_failures"]
    );
    // Three more failed comparisons this year (as further attempts would record).
    for n in 2..=4 {
        let count = app
            .store
            .record_face_mismatch(&person, 2025, app.clock.now_unix())
            .await
            .unwrap();
        assert_eq!(count, n);
    }
    // Both ways at once: refused (and the failed challenge is no passed one either).
    let r = submit(&app, &token, "np-2", &special(&newspaper, &id)).await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(
        r.field_codes(),
        vec![
            "newspaper_photo_upload:verification_ambiguous",
            "liveness_challenge_id:liveness_not_passed"
        ]
    );
    // A wrong kind of upload as the newspaper photo.
    let r = submit(&app, &token, "np-3", &special(&front, "")).await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(
        r.field_codes(),
        vec!["newspaper_photo_upload:upload_wrong_kind"]
    );
    // After four failures a 军休干部 may submit with the newspaper photo.
    let r = submit(&app, &token, "np-4", &special(&newspaper, "")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["status"], "special_check_pending");
    let sid = r.json()["submission_id"].as_str().unwrap().to_owned();
    let d = reviewer_view(&app, &sid).await;
    assert_eq!(d["special_population"], true);
    assert_eq!(d["newspaper_photo_upload"], newspaper);
    assert_eq!(
        d["liveness_challenge_id"], id,
        "the failed attempt, for comparison"
    );
    assert_eq!(d["liveness_frames"].as_array().unwrap().len(), frames.len());
    assert!(d["face_match_score"].as_f64().unwrap() < 0.6);

    // 自主择业军转干部 with as many failures: not a category that has this check.
    let (q, token_q) = veteran(&app, 2, "self_employed_officer").await;
    let person_q = person_id(&app, &q).await;
    for _ in 0..4 {
        app.store
            .record_face_mismatch(&person_q, 2025, app.clock.now_unix())
            .await
            .unwrap();
    }
    let newspaper_q = upload(&app, &token_q, "newspaper_photo", &tiny_jpeg()).await;
    let r = submit(
        &app,
        &token_q,
        "np-q",
        &json!({"form": valid_form(&q),
                "id_front_upload": upload(&app, &token_q, "id_front", &tiny_jpeg()).await,
                "id_back_upload": upload(&app, &token_q, "id_back", &tiny_jpeg()).await,
                "newspaper_photo_upload": newspaper_q}),
    )
    .await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(
        r.field_codes(),
        vec!["newspaper_photo_upload:special_population_not_allowed"]
    );
    assert_eq!(
        app.store.submission_count(&person_q, 2025).await.unwrap(),
        0
    );
}

async fn identity_change_mid_session_fails(app: TestApp, faces: PathBuf) {
    let admin = admin(&app).await;
    let (p, token) = veteran(&app, 1, "military_retiree").await;
    set_reference(&app, &admin, &p, &p07_enroll(&faces)).await;
    let (id, actions, flash) = challenge(&app, &token).await;
    // p07 does the first action, p08 the second.
    let (frames, start) = flashed(
        Some(&flash),
        &lead_in(&faces, "p07"),
        &splice(vec![
            clip_for(&faces, actions[0], "p07"),
            clip_for(&faces, actions[1], "p08"),
        ]),
    )
    .await;
    let ids = upload_frames(&app, &token, &frames).await;
    let claimed: Vec<ActionAt> = actions
        .iter()
        .enumerate()
        .map(|(i, a)| ActionAt {
            action: *a,
            t_ms: 6000 + i as u64 * 5000,
        })
        .collect();
    let r = send_evidence(&app, &token, &id, &ids, &frames, &claimed, start).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["passed"], false, "{v}");
    assert_eq!(v["reason"], "different_person", "{v}");
    assert_eq!(
        v["failed_comparisons"], 0,
        "not a comparison with the reference"
    );
}

async fn bad_requests_expiry_and_ownership(app: TestApp, faces: PathBuf) {
    let (_, token) = veteran(&app, 1, "military_retiree").await;
    let (_, other) = veteran(&app, 2, "military_retiree").await;
    let frame = std::fs::read(faces.join("stills/p07/p07_enroll.jpg")).unwrap();
    let mine = upload(&app, &token, "liveness_frame", &frame).await;
    let front = upload(&app, &token, "id_front", &tiny_jpeg()).await;
    let theirs = upload(&app, &other, "liveness_frame", &frame).await;
    let (id, _, _) = challenge(&app, &token).await;

    // Someone else's challenge, or none: 404.
    let body = json!({"frames": [{"upload_id": mine, "t_ms": 0}], "claimed": []});
    evidence(&app, &other, &id, &body)
        .await
        .expect_problem(404, "not_found");
    evidence(&app, &token, "0123456789abcdef0123456789abcdef", &body)
        .await
        .expect_problem(404, "not_found");
    evidence(&app, &token, "not-an-id", &body)
        .await
        .expect_problem(404, "not_found");

    // Bad frames, every problem at once; the challenge is not used up by them.
    let body = json!({"frames": [
        {"upload_id": mine, "t_ms": 0},
        {"upload_id": theirs, "t_ms": 100},
        {"upload_id": front, "t_ms": 200},
        {"upload_id": "nope", "t_ms": 200},
        {"upload_id": mine, "t_ms": 300},
    ], "claimed": []});
    let r = evidence(&app, &token, &id, &body).await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(
        r.field_codes(),
        vec![
            "frames[1].upload_id:upload_not_found",
            "frames[2].upload_id:upload_wrong_kind",
            "frames[3].upload_id:upload_not_found",
            "frames[3].t_ms:t_ms_duplicate",
            "frames[4].upload_id:upload_duplicate",
        ]
    );
    let too_many: Vec<Value> = (0..151)
        .map(|k| json!({"upload_id": mine, "t_ms": k * 100}))
        .collect();
    let r = evidence(
        &app,
        &token,
        &id,
        &json!({"frames": too_many, "claimed": []}),
    )
    .await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(r.field_codes(), vec!["frames:too_many_frames"]);
    // Not JSON of the right shape.
    evidence(&app, &token, &id, &json!({"frames": "x"}))
        .await
        .expect_problem(422, "invalid_fields");

    // Expired: 410, even with good frames.
    app.clock.advance(Duration::from_secs(121));
    let body = json!({"frames": [{"upload_id": mine, "t_ms": 0}], "claimed": []});
    evidence(&app, &token, &id, &body)
        .await
        .expect_problem(410, "challenge_expired");

    // A challenge with a flash needs the flash's start; without it nothing is used up.
    let (id, _, _) = challenge(&app, &token).await;
    let r = evidence(&app, &token, &id, &json!({"frames": [], "claimed": []})).await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(
        r.field_codes(),
        vec!["flash_started_ms:flash_started_required"]
    );
    // No frames at all: a failed attempt (no evidence), then used.
    let r = evidence(
        &app,
        &token,
        &id,
        &json!({"frames": [], "claimed": [], "flash_started_ms": 0}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["reason"], "no_evidence");
    evidence(&app, &token, &id, &body)
        .await
        .expect_problem(409, "challenge_used");

    // Veterans cannot upload reference photos, and only admins set them.
    let r = upload_reply(&app, &token, "reference_photo", &frame).await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(r.field_codes(), vec!["kind:upload_kind_not_allowed"]);
    let admin = admin(&app).await;
    let r = app
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/admin/people/0123456789abcdef0123456789abcdef/reference-photo",
            &json!({"upload_id": mine, "consent": true}),
            Some(&token),
        )
        .await;
    r.expect_problem(403, "forbidden");
    let r = app
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/admin/people/0123456789abcdef0123456789abcdef/reference-photo",
            &json!({"upload_id": mine, "consent": true}),
            Some(&admin),
        )
        .await;
    r.expect_problem(404, "not_found");
}

async fn without_reference_photo_nothing_to_compare(app: TestApp, faces: PathBuf) {
    let (p, token) = veteran(&app, 1, "military_retiree").await;
    let Attempt { reply: r, .. } = p07_attempt(&app, &token, &faces).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["passed"], false, "{v}");
    assert_eq!(v["reason"], "no_reference_photo", "{v}");
    assert!(v["message"]
        .as_str()
        .unwrap()
        .contains("人脸比对无基准照片"));
    assert!(v["face_match"]["score"].is_null());
    assert_eq!(v["failed_comparisons"], 0);
    // Without --demo nothing is enrolled.
    let person = person_id(&app, &p).await;
    assert!(app.store.reference_photo(&person).await.unwrap().is_none());
}

async fn demo_mode_enrols_the_first_reference_photo(app: TestApp, faces: PathBuf) {
    let (p, token) = veteran(&app, 1, "military_retiree").await;
    let Attempt { reply: r, .. } = p07_attempt(&app, &token, &faces).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["passed"], true, "{v}");
    let person = person_id(&app, &p).await;
    let photo = app
        .store
        .reference_photo(&person)
        .await
        .unwrap()
        .expect("enrolled");
    assert_eq!(photo.source, "demo_enrolment");
    let audit = app.store.audit_recent(50).await.unwrap();
    assert!(audit
        .iter()
        .any(|a| a.event == "reference_photo_demo_enrolled"));
}

/// `GET /api/v1/me/reference-photo` (issue 6): 404 `no_reference_photo` before one is set, the
/// caller's own decodable photo after; another veteran still gets their own 404, never it.
async fn own_reference_photo_only(app: TestApp, faces: PathBuf) {
    let (p, token) = veteran(&app, 1, "military_retiree").await;
    let (_, other) = veteran(&app, 2, "military_retiree").await;
    let admin = admin(&app).await;
    let before = app.get("/api/v1/me/reference-photo", Some(&token)).await;
    before.expect_problem(404, "no_reference_photo");
    assert!(
        before.text.contains("人脸比对无基准照片"),
        "{}",
        before.text
    );
    app.get("/api/v1/me/reference-photo", None)
        .await
        .expect_problem(401, "unauthorized");

    set_reference(&app, &admin, &p, &p07_enroll(&faces)).await;
    let r = app
        .client
        .get(app.url("/api/v1/me/reference-photo"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type == "image/jpeg" || content_type == "image/png",
        "{content_type}"
    );
    let bytes = r.bytes().await.expect("body");
    let img = image::load_from_memory(&bytes).expect("a decodable reference photo");
    assert!(img.width() > 0 && img.height() > 0);

    app.get("/api/v1/me/reference-photo", Some(&other))
        .await
        .expect_problem(404, "no_reference_photo");
    // Not a veteran's: the admin has no reference photo of their own to fetch.
    let r = app.get("/api/v1/me/reference-photo", Some(&admin)).await;
    assert_eq!(r.status, 403, "{}", r.text);
}

/// Issue 13: the replayed video of a person (p13, filmed off a laptop screen: real footage),
/// for a challenge of the action it shows (a nod), with the phone's flash reflected evenly off
/// the screen; and, as an injected video would send it, without any light. Refused either way,
/// counted like a failed comparison, and the challenge is not passed.
async fn replay_attack_is_refused(app: TestApp, faces: PathBuf) {
    let admin = admin(&app).await;
    let (p, token) = veteran(&app, 1, "military_retiree").await;
    set_reference(&app, &admin, &p, &p07_enroll(&faces)).await;
    let p13: Vec<(u64, PathBuf)> = clip_all(
        &faces,
        "negatives/presentation_attack/p13_replay_laptop_screen_frames",
        50,
    )
    .into_iter()
    .enumerate()
    .map(|(k, p)| (k as u64 * 100, p))
    .collect();
    let person = person_id(&app, &p).await;
    let mut counted = 0;
    for strength in [0.05f32, 0.0] {
        let (id, actions, flash) = challenge(&app, &token).await;
        assert_eq!(actions, vec![Action::Nod]);
        let frames = replayed(&flash, 500, &p13, strength);
        let claimed = claims(&actions, Some((&flash, 500)), &frames).await;
        let ids = upload_frames(&app, &token, &frames).await;
        let r = evidence(
            &app,
            &token,
            &id,
            &evidence_body(&ids, &frames, &claimed, Some(500)),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let v = r.json();
        assert_eq!(v["passed"], false, "{v}");
        // The screen's re-capture also makes the face's embedding unstable, so the identity
        // check may refuse it first (`models/tests/real_faces.rs` checks that PAD and the flash
        // refuse it on their own too).
        let reason: shared::liveness::FailReason =
            serde_json::from_value(v["reason"].clone()).expect("a liveness reason");
        use shared::liveness::FailReason as F;
        assert!(
            [
                F::PresentationAttack,
                F::FlashNotDetected,
                F::DifferentPerson
            ]
            .contains(&reason),
            "{v}"
        );
        assert_eq!(v["message"], reason.message_zh());
        if reason.counts_as_face_failure() {
            counted += 1;
        }
        assert_eq!(v["failed_comparisons"], counted, "{v}");
        assert_eq!(
            app.store.face_mismatches(&person, 2025).await.unwrap(),
            i64::from(counted)
        );
        let row = app.store.challenge(&id).await.unwrap().unwrap();
        assert!(row.passed_at.is_none());
    }
}

/// Issue 13: an accepted evidence uploaded again (new uploads of the same pictures) for a new
/// challenge is refused as `evidence_reused`, before anything else is judged.
async fn replayed_evidence_is_refused_as_reused(app: TestApp, faces: PathBuf) {
    let admin = admin(&app).await;
    let (p, token) = veteran(&app, 1, "military_retiree").await;
    set_reference(&app, &admin, &p, &p07_enroll(&faces)).await;
    let Attempt {
        frames,
        claimed,
        start,
        reply: r,
        ..
    } = p07_attempt(&app, &token, &faces).await;
    assert_eq!(r.json()["passed"], true, "{}", r.text);

    let (again, _, _) = challenge(&app, &token).await;
    let ids = upload_frames(&app, &token, &frames).await;
    let r = send_evidence(&app, &token, &again, &ids, &frames, &claimed, start).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["passed"], false, "{v}");
    assert_eq!(v["reason"], "evidence_reused", "{v}");
    assert_eq!(
        v["message"],
        shared::liveness::FailReason::EvidenceReused.message_zh()
    );
    assert_eq!(v["failed_comparisons"], 1);
    let audit = app.store.audit_recent(50).await.unwrap();
    assert!(audit.iter().any(|a| a.event == "liveness_evidence_reused"));
}
