//! The annual review intake of seeds 000 and 001: this year's review (window, prefill,
//! consequences), the server draft, image uploads, liveness challenges and the submission,
//! exactly once.
//!
//! These tests are about the intake, not liveness: they mark a challenge passed straight in the
//! test database through `Store::test_only_mark_challenge_passed`, which no route reaches. The
//! real evidence (the models' re-check on real frames, then a submission) is in `liveness.rs`.

use std::time::Duration;

use serde_json::{json, Value};
use shared::form::ReviewFormDraft;
use shared::liveness::{Action, ActionSet};
use tests::kit::{self, new_challenge, passed_challenge, person_id, valid_form};
use tests::{
    on_both_backends, read, spawn_with, test_today, Backend, ClockExt, Options, Person, Reply,
    TestApp, PASSWORD,
};

on_both_backends!(
    current_review_has_window_status_prefill_and_consequences,
    drafts_are_kept_per_person,
    uploads_are_decoded_reencoded_and_stripped,
    bad_uploads_are_refused,
    challenges_are_issued_and_stored,
    submission_happy_path_is_idempotent,
    submission_rejects_bad_evidence_all_at_once,
    one_user_cannot_use_another_users_evidence,
    reject_resubmit_approve,
    queue_is_scoped_paged_and_oldest_first,
);

const SUBMITTED: &str = "您的年度登记已经提交审核,请于10个工作日后查看年度登记审核是否通过";

/// Registers `p` and logs in.
async fn veteran(app: &TestApp, p: &Person) -> String {
    app.register(p).await;
    app.token(p.phone(), PASSWORD).await
}

const BOUNDARY: &str = "zyTestBoundary7MA4YWxkTrZu0gW";

/// A multipart body with the given parts.
fn multipart(kind: Option<&str>, file: Option<&[u8]>) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some(k) = kind {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{k}\r\n")
                .as_bytes(),
        );
    }
    if let Some(f) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(f);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload_raw(app: &TestApp, token: &str, body: Vec<u8>) -> Reply {
    kit::post_multipart(app, "/api/v1/uploads", token, BOUNDARY, body).await
}

/// Uploads `file` as `kind`; returns the upload id (panics unless 201).
async fn upload(app: &TestApp, token: &str, kind: &str, file: &[u8]) -> String {
    let r = upload_raw(app, token, multipart(Some(kind), Some(file))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["upload_id"]
        .as_str()
        .expect("upload_id")
        .to_owned()
}

fn test_image() -> image::RgbImage {
    image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x + y) * 2) as u8])
    })
}

fn jpeg() -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&test_image())
        .expect("encode");
    out
}

fn png() -> Vec<u8> {
    let mut out = Vec::new();
    test_image()
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode");
    out
}

const SECRET_PLACE: &[u8] = b"GPS 39.9042N 116.4074E SECRET-PLACE";

/// A JPEG carrying an APP1 EXIF block: a big-endian TIFF header and IFD0 with one ASCII
/// ImageDescription holding a location.
fn jpeg_with_exif() -> Vec<u8> {
    let plain = jpeg();
    let mut text = SECRET_PLACE.to_vec();
    text.push(0);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // TIFF header, IFD0 at 8
    payload.extend_from_slice(&1u16.to_be_bytes()); // one entry
    payload.extend_from_slice(&0x010eu16.to_be_bytes()); // ImageDescription
    payload.extend_from_slice(&2u16.to_be_bytes()); // ASCII
    payload.extend_from_slice(&(text.len() as u32).to_be_bytes());
    payload.extend_from_slice(&26u32.to_be_bytes()); // value offset: 8 + 2 + 12 + 4
    payload.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    payload.extend_from_slice(&text);
    let mut out = plain[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&plain[2..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn submit(app: &TestApp, token: &str, key: Option<&str>, body: &Value) -> Reply {
    let mut req = app
        .client
        .post(app.url("/api/v1/reviews/current/submissions"))
        .bearer_auth(token)
        .json(body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    read(req.send().await.expect("request")).await
}

async fn current_review_has_window_status_prefill_and_consequences(app: TestApp) {
    let p = Person::new(1);
    let token = veteran(&app, &p).await;
    let r = app.get("/api/v1/reviews/current", Some(&token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["year"], 2025);
    assert_eq!(v["category"], "self_employed_officer");
    assert_eq!(v["category_label"], "自主择业军转干部");
    assert_eq!(v["opens"], "2025-01-01");
    assert_eq!(v["deadline"], "2025-03-31");
    // The tests' clock is 2025-04-01: the window has closed without a review.
    assert_eq!(v["status"], "overdue");
    assert!(v["prefill"].is_null(), "no last review in the roster");
    assert!(v["draft"].is_null());
    assert!(v["rejection_reason"].is_null());
    assert!(v["consequences"]
        .as_str()
        .unwrap()
        .contains("从规定时限的次月起停发退役金"));

    // Last year's accepted form in the roster comes back as the prefill, without liveness.
    let mut last = valid_form(&p);
    last["basic"]["id_front_photo"] = json!("last-year-front");
    last["basic"]["id_back_photo"] = json!("last-year-back");
    last["verification"] = json!({"liveness_challenge_id": "0123456789abcdef0123456789abcdef"});
    let rec = server::store::RosterRecord {
        id: server::tokens::new_id(),
        name: p.name.clone(),
        id_number: p.id_number.clone(),
        phones: p.phones.clone(),
        category: "entitled_group".to_owned(),
        district: p.district.clone(),
        reference_photo: None,
        last_review: Some(json!({"year": 2024, "status": "approved", "form": last}).to_string()),
    };
    app.store
        .upsert_roster(&rec, app.clock.now_unix())
        .await
        .unwrap();
    let v = app
        .get("/api/v1/reviews/current", Some(&token))
        .await
        .json();
    assert_eq!(v["category"], "entitled_group");
    assert!(v["consequences"].as_str().unwrap().contains("公告60日"));
    let prefill: ReviewFormDraft = serde_json::from_value(v["prefill"].clone()).unwrap();
    assert_eq!(prefill.basic.name.as_deref(), Some(p.name.as_str()));
    assert_eq!(
        prefill.basic.id_front_photo.as_deref(),
        Some("last-year-front")
    );
    assert_eq!(prefill.verification.liveness_challenge_id, None);
    assert!(prefill.validate(test_today()).is_ok());

    // Not logged in: 401.
    app.get("/api/v1/reviews/current", None)
        .await
        .expect_problem(401, "unauthorized");
}

async fn drafts_are_kept_per_person(app: TestApp) {
    let (p, q) = (Person::new(1), Person::new(2));
    let token = veteran(&app, &p).await;
    let other = veteran(&app, &q).await;
    let put = |token: String, body: Value| {
        let app = app.clone();
        async move {
            app.send_json(
                reqwest::Method::PUT,
                "/api/v1/reviews/current/draft",
                &body,
                Some(&token),
            )
            .await
        }
    };
    // A partial draft is fine.
    let r = put(
        token.clone(),
        json!({"form": {"basic": {"phone": "13800000002", "living_difficulty": true}}}),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let v = app
        .get("/api/v1/reviews/current", Some(&token))
        .await
        .json();
    assert_eq!(v["draft"]["basic"]["phone"], "13800000002");
    assert_eq!(v["draft"]["basic"]["living_difficulty"], true);
    assert!(v["draft"]["basic"].get("name").is_none());
    // Saving a draft after the deadline keeps the review overdue (seed 001's consequences apply).
    assert_eq!(v["status"], "overdue");
    // Replaced by the next save.
    let r = put(
        token.clone(),
        json!({"form": {"party": {"is_member": true}}}),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let v = app
        .get("/api/v1/reviews/current", Some(&token))
        .await
        .json();
    assert!(v["draft"]["basic"].get("phone").is_none());
    assert_eq!(v["draft"]["party"]["is_member"], true);
    // The other person has no draft.
    let w = app
        .get("/api/v1/reviews/current", Some(&other))
        .await
        .json();
    assert!(w["draft"].is_null());

    // Not a draft: the field path is named.
    let r = put(
        token.clone(),
        json!({"form": {"basic": {"phone": 13800000002u64}}}),
    )
    .await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(r.field_codes(), vec!["form.basic.phone:wrong_type"]);
    let r = put(token.clone(), json!({"draft": {}})).await;
    r.expect_problem(422, "invalid_fields");
    put(String::new(), json!({"form": {}}))
        .await
        .expect_problem(401, "unauthorized");
}

async fn uploads_are_decoded_reencoded_and_stripped(app: TestApp) {
    let p = Person::new(1);
    let token = veteran(&app, &p).await;
    let input = jpeg_with_exif();
    assert!(contains(&input, b"Exif\0\0") && contains(&input, SECRET_PLACE));
    // The EXIF-carrying file is a valid JPEG.
    assert_eq!(image::load_from_memory(&input).unwrap().width(), 64);

    let id = upload(&app, &token, "id_front", &input).await;
    assert!(
        !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_".contains(&b)),
        "{id}"
    );
    assert!(shared::form::Reference::parse(&id).is_ok());
    let row = app.store.upload(&id).await.unwrap().expect("stored");
    assert_eq!(row.kind, "id_front");
    assert_eq!(row.content_type, "image/jpeg");
    let stored = app.state.blobs.get(&row.blob_key).unwrap();
    assert!(!contains(&stored, SECRET_PLACE), "location survived");
    assert!(!contains(&stored, b"Exif"), "EXIF block survived");
    let decoded = image::load_from_memory(&stored).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (64, 48));

    let png_id = upload(&app, &token, "liveness_frame", &png()).await;
    assert_ne!(png_id, id);
    let row = app.store.upload(&png_id).await.unwrap().unwrap();
    assert_eq!(row.content_type, "image/png");
    assert_eq!(row.kind, "liveness_frame");
    let stored = app.state.blobs.get(&row.blob_key).unwrap();
    assert_eq!(image::load_from_memory(&stored).unwrap().width(), 64);
}

async fn bad_uploads_are_refused(app: TestApp) {
    let p = Person::new(1);
    let token = veteran(&app, &p).await;
    // Not an image, whatever the name says.
    upload_raw(
        &app,
        &token,
        multipart(Some("id_front"), Some(b"just text, named .jpg")),
    )
    .await
    .expect_problem(415, "unsupported_media");
    // A GIF is an image, but not an accepted one.
    upload_raw(
        &app,
        &token,
        multipart(Some("id_front"), Some(b"GIF89a\x01\0\x01\0\0\0\0;")),
    )
    .await
    .expect_problem(415, "unsupported_media");
    // A truncated JPEG does not decode.
    let cut = jpeg();
    upload_raw(
        &app,
        &token,
        multipart(Some("id_front"), Some(&cut[..cut.len() / 3])),
    )
    .await
    .expect_problem(415, "unsupported_media");
    // Over 2 MB: just over (inside the route's body limit) and far over.
    for size in [2 * 1024 * 1024 + 1, 3 * 1024 * 1024] {
        let mut big = jpeg();
        big.resize(size, 0);
        upload_raw(&app, &token, multipart(Some("id_front"), Some(&big)))
            .await
            .expect_problem(413, "too_large");
    }
    // Exactly 2 MB is allowed by size (and this one decodes: trailing bytes after EOI).
    let mut max = jpeg();
    max.resize(2 * 1024 * 1024, 0);
    let r = upload_raw(&app, &token, multipart(Some("id_front"), Some(&max))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Missing and unknown parts.
    let r = upload_raw(&app, &token, multipart(None, None)).await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(r.field_codes(), vec!["kind:required", "file:required"]);
    let r = upload_raw(&app, &token, multipart(Some("selfie"), Some(&jpeg()))).await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(r.field_codes(), vec!["kind:upload_kind_invalid"]);
    // Not multipart at all.
    let r = app
        .send_json(
            reqwest::Method::POST,
            "/api/v1/uploads",
            &json!({"kind": "id_front"}),
            Some(&token),
        )
        .await;
    r.expect_problem(415, "unsupported_media_type");
    // Not logged in.
    let res = app
        .client
        .post(app.url("/api/v1/uploads"))
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(Some("id_front"), Some(&jpeg())))
        .send()
        .await
        .unwrap();
    read(res).await.expect_problem(401, "unauthorized");
}

async fn challenges_are_issued_and_stored(app: TestApp) {
    let p = Person::new(1);
    let token = veteran(&app, &p).await;
    let mut ids = std::collections::HashSet::new();
    for _ in 0..10 {
        let c = new_challenge(&app, &token).await;
        let id = c["challenge_id"].as_str().unwrap();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(c["nonce"].as_str().unwrap().len(), 64);
        let actions: Vec<Action> = serde_json::from_value(c["actions"].clone()).unwrap();
        assert!((2..=3).contains(&actions.len()), "{actions:?}");
        let distinct: std::collections::HashSet<_> = actions.iter().collect();
        assert_eq!(distinct.len(), actions.len());
        let expires = chrono::DateTime::parse_from_rfc3339(c["expires_at"].as_str().unwrap())
            .unwrap()
            .timestamp();
        let now = app.clock.now_unix();
        assert!(expires > now && expires <= now + 120, "{expires} vs {now}");
        let row = app.store.challenge(id).await.unwrap().expect("stored");
        assert_eq!(row.expires_at, expires);
        assert!(row.passed_at.is_none());
        assert!(ids.insert(id.to_owned()), "ids are unique");
    }
    app.send_json(
        reqwest::Method::POST,
        "/api/v1/liveness/challenges",
        &json!({}),
        None,
    )
    .await
    .expect_problem(401, "unauthorized");
}

/// `--liveness-actions shake_head,nod`: every challenge draws from those two only.
#[tokio::test]
async fn liveness_actions_setting_restricts_the_draw() {
    let app = spawn_with(Options {
        liveness_actions: Some(ActionSet::parse_list("shake_head,nod").unwrap()),
        ..Options::new(Backend::Sqlite)
    })
    .await
    .unwrap();
    let token = veteran(&app, &Person::new(1)).await;
    for _ in 0..10 {
        let c = new_challenge(&app, &token).await;
        let actions: Vec<Action> = serde_json::from_value(c["actions"].clone()).unwrap();
        assert_eq!(actions.len(), 2, "{actions:?}");
        assert!(actions
            .iter()
            .all(|a| matches!(a, Action::ShakeHead | Action::Nod)));
    }
    app.stop().await;
}

async fn submission_happy_path_is_idempotent(app: TestApp) {
    let p = Person::new(1);
    let token = veteran(&app, &p).await;
    let front = upload(&app, &token, "id_front", &jpeg()).await;
    let back = upload(&app, &token, "id_back", &jpeg()).await;
    let challenge = passed_challenge(&app, &token).await;
    let body = json!({
        "form": valid_form(&p), "id_front_upload": front, "id_back_upload": back,
        "liveness_challenge_id": challenge
    });
    let r = submit(&app, &token, Some("key-1"), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let first = r.json();
    assert_eq!(first["status"], "submitted");
    assert_eq!(first["message"], SUBMITTED);
    let sid = first["submission_id"].as_str().unwrap().to_owned();
    assert!(!sid.is_empty());

    // The same key again: the same answer, nothing new.
    let again = submit(&app, &token, Some("key-1"), &body).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.json(), first);
    let person = person_id(&app, &p).await;
    assert_eq!(app.store.submission_count(&person, 2025).await.unwrap(), 1);

    let v = app
        .get("/api/v1/reviews/current", Some(&token))
        .await
        .json();
    assert_eq!(v["status"], "submitted");
    assert_eq!(
        v["status_label"],
        shared::lifecycle::StatusKind::Submitted.label_zh()
    );

    // Submitted: no more drafts, no second submission (another key, another passed check).
    app.send_json(
        reqwest::Method::PUT,
        "/api/v1/reviews/current/draft",
        &json!({"form": {}}),
        Some(&token),
    )
    .await
    .expect_problem(409, "illegal_transition");
    let challenge2 = passed_challenge(&app, &token).await;
    let mut body2 = body.clone();
    body2["liveness_challenge_id"] = json!(challenge2);
    submit(&app, &token, Some("key-2"), &body2)
        .await
        .expect_problem(409, "illegal_transition");
    // The used challenge cannot be used again either.
    let r = submit(&app, &token, Some("key-3"), &body).await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(
        r.field_codes(),
        vec!["liveness_challenge_id:challenge_used"]
    );
    assert_eq!(app.store.submission_count(&person, 2025).await.unwrap(), 1);

    // Concurrent retries of one key: one submission, one answer.
    let q = Person::new(2);
    let token_q = veteran(&app, &q).await;
    let body_q = json!({
        "form": valid_form(&q),
        "id_front_upload": upload(&app, &token_q, "id_front", &jpeg()).await,
        "id_back_upload": upload(&app, &token_q, "id_back", &jpeg()).await,
        "liveness_challenge_id": passed_challenge(&app, &token_q).await
    });
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (app, token, body) = (app.clone(), token_q.clone(), body_q.clone());
            tokio::spawn(async move { submit(&app, &token, Some("same"), &body).await })
        })
        .collect();
    let mut answers = std::collections::HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        answers.insert(r.text);
    }
    assert_eq!(answers.len(), 1, "{answers:?}");
    let person_q = person_id(&app, &q).await;
    assert_eq!(
        app.store.submission_count(&person_q, 2025).await.unwrap(),
        1
    );
}

async fn submission_rejects_bad_evidence_all_at_once(app: TestApp) {
    let p = Person::new(1);
    let token = veteran(&app, &p).await;
    let front = upload(&app, &token, "id_front", &jpeg()).await;
    let back = upload(&app, &token, "id_back", &jpeg()).await;
    let body = |form: Value, front: &str, back: &str, challenge: &str| {
        json!({"form": form, "id_front_upload": front, "id_back_upload": back,
               "liveness_challenge_id": challenge})
    };

    // No Idempotency-Key.
    let challenge = passed_challenge(&app, &token).await;
    submit(
        &app,
        &token,
        None,
        &body(valid_form(&p), &front, &back, &challenge),
    )
    .await
    .expect_problem(422, "idempotency_key_required");

    // A challenge that was never passed; the uploads swapped; the phone missing: all at once.
    let unpassed = new_challenge(&app, &token).await["challenge_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut form = valid_form(&p);
    form["basic"].as_object_mut().unwrap().remove("phone");
    let r = submit(
        &app,
        &token,
        Some("k1"),
        &body(form, &back, &front, &unpassed),
    )
    .await;
    r.expect_problem(422, "invalid_fields");
    let codes = r.field_codes();
    for expected in [
        "basic.phone:required",
        "id_front_upload:upload_wrong_kind",
        "id_back_upload:upload_wrong_kind",
        "liveness_challenge_id:liveness_not_passed",
    ] {
        assert!(
            codes.contains(&expected.to_owned()),
            "{expected} in {codes:?}"
        );
    }

    // Another person's name and ID number (both valid) in the caller's form.
    let other = Person::new(3);
    let mut form = valid_form(&p);
    form["basic"]["name"] = json!("赵敏");
    form["basic"]["id_number"] = json!(other.id_number);
    let fresh = passed_challenge(&app, &token).await;
    let r = submit(&app, &token, Some("k0"), &body(form, &front, &back, &fresh)).await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(
        r.field_codes(),
        vec![
            "basic.name:name_mismatch",
            "basic.id_number:id_number_mismatch"
        ]
    );

    // Unknown ids.
    let r = submit(
        &app,
        &token,
        Some("k2"),
        &body(
            valid_form(&p),
            "nope",
            "",
            "0123456789abcdef0123456789abcdef",
        ),
    )
    .await;
    r.expect_problem(422, "invalid_fields");
    let codes = r.field_codes();
    for expected in [
        "id_front_upload:upload_not_found",
        "id_back_upload:upload_not_found",
        "liveness_challenge_id:challenge_not_found",
    ] {
        assert!(
            codes.contains(&expected.to_owned()),
            "{expected} in {codes:?}"
        );
    }

    // A check passed more than 30 minutes ago no longer counts.
    app.clock.advance(Duration::from_secs(31 * 60));
    let r = submit(
        &app,
        &token,
        Some("k3"),
        &body(valid_form(&p), &front, &back, &challenge),
    )
    .await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(
        r.field_codes(),
        vec!["liveness_challenge_id:liveness_stale"]
    );

    // Failed attempts created nothing, and their keys were not used up.
    let person = person_id(&app, &p).await;
    assert_eq!(app.store.submission_count(&person, 2025).await.unwrap(), 0);
    let fresh = passed_challenge(&app, &token).await;
    let r = submit(
        &app,
        &token,
        Some("k3"),
        &body(valid_form(&p), &front, &back, &fresh),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(app.store.submission_count(&person, 2025).await.unwrap(), 1);
}

async fn one_user_cannot_use_another_users_evidence(app: TestApp) {
    let (p, q) = (Person::new(1), Person::new(2));
    let token_p = veteran(&app, &p).await;
    let token_q = veteran(&app, &q).await;
    let front_q = upload(&app, &token_q, "id_front", &jpeg()).await;
    let back_q = upload(&app, &token_q, "id_back", &jpeg()).await;
    let challenge_q = passed_challenge(&app, &token_q).await;
    // P presents Q's photos and Q's passed liveness check: refused as if they did not exist.
    let r = submit(
        &app,
        &token_p,
        Some("steal"),
        &json!({"form": valid_form(&p), "id_front_upload": front_q, "id_back_upload": back_q,
                "liveness_challenge_id": challenge_q}),
    )
    .await;
    r.expect_problem(422, "invalid_fields");
    let codes = r.field_codes();
    for expected in [
        "id_front_upload:upload_not_found",
        "id_back_upload:upload_not_found",
        "liveness_challenge_id:challenge_not_found",
    ] {
        assert!(
            codes.contains(&expected.to_owned()),
            "{expected} in {codes:?}"
        );
    }
    // Idempotency keys are per user: Q's key does not replay P's answer.
    let front_p = upload(&app, &token_p, "id_front", &jpeg()).await;
    let back_p = upload(&app, &token_p, "id_back", &jpeg()).await;
    let challenge_p = passed_challenge(&app, &token_p).await;
    let r = submit(
        &app,
        &token_p,
        Some("shared-key"),
        &json!({"form": valid_form(&p), "id_front_upload": front_p, "id_back_upload": back_p,
                "liveness_challenge_id": challenge_p}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r_q = submit(
        &app,
        &token_q,
        Some("shared-key"),
        &json!({"form": valid_form(&q), "id_front_upload": front_q, "id_back_upload": back_q,
                "liveness_challenge_id": challenge_q}),
    )
    .await;
    assert_eq!(r_q.status, 201, "{}", r_q.text);
    assert_ne!(r.json()["submission_id"], r_q.json()["submission_id"]);
    // Q's draft is Q's: P's GET shows P's review only.
    let v = app
        .get("/api/v1/reviews/current", Some(&token_p))
        .await
        .json();
    assert_eq!(v["status"], "submitted");
}

/// A reviewer for `districts`; returns (user id, token).
async fn reviewer(app: &TestApp, phone: &str, districts: &[&str]) -> (String, String) {
    let role = shared::api::accounts::Role::Reviewer;
    kit::staff_named(app, role, "审核员", phone, districts).await
}

/// Submits a complete review for `p` (logged in as `token`); returns the 201 body.
async fn submit_review(app: &TestApp, p: &Person, token: &str, key: &str) -> Value {
    let body = json!({
        "form": valid_form(p),
        "id_front_upload": upload(app, token, "id_front", &jpeg()).await,
        "id_back_upload": upload(app, token, "id_back", &jpeg()).await,
        "liveness_challenge_id": passed_challenge(app, token).await
    });
    let r = submit(app, token, Some(key), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()
}

async fn decide(app: &TestApp, token: &str, id: &str, body: Value) -> Reply {
    app.send_json(
        reqwest::Method::POST,
        &format!("/api/v1/submissions/{id}/decision"),
        &body,
        Some(token),
    )
    .await
}

async fn outbox_texts(app: &TestApp, phone: &str) -> Vec<String> {
    let r = app
        .get(&format!("/api/v1/dev/sms-outbox?phone={phone}"), None)
        .await;
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn reject_resubmit_approve(app: TestApp) {
    let p = Person::new(1);
    let token = veteran(&app, &p).await;
    let (reviewer_id, rtoken) = reviewer(&app, "13700000001", &["110101"]).await;
    let (_, far) = reviewer(&app, "13700000002", &["310104"]).await;
    let first = submit_review(&app, &p, &token, "a").await;
    let sid = first["submission_id"].as_str().unwrap().to_owned();

    // The reviewer of the district sees it (name masked); another district's does not.
    let q = app
        .get("/api/v1/review-queue?status=submitted", Some(&rtoken))
        .await;
    assert_eq!(q.status, 200, "{}", q.text);
    let q = q.json();
    assert_eq!(q["total"], 1);
    assert_eq!(q["items"][0]["submission_id"], sid.as_str());
    assert_eq!(q["items"][0]["category"], "self_employed_officer");
    let masked = q["items"][0]["masked_name"].as_str().unwrap();
    assert_ne!(masked, p.name);
    assert!(masked.starts_with('*'));
    let q = app.get("/api/v1/review-queue", Some(&far)).await.json();
    assert_eq!(q["total"], 0);
    assert_eq!(q["items"].as_array().unwrap().len(), 0);
    app.get(&format!("/api/v1/submissions/{sid}"), Some(&far))
        .await
        .expect_problem(404, "not_found");
    decide(&app, &far, &sid, json!({"decision": "approve"}))
        .await
        .expect_problem(404, "not_found");
    // A veteran is not a reviewer.
    app.get("/api/v1/review-queue", Some(&token))
        .await
        .expect_problem(403, "forbidden");
    decide(&app, &token, &sid, json!({"decision": "approve"}))
        .await
        .expect_problem(403, "forbidden");

    // The detail: the form as submitted, with the uploads and the challenge.
    let d = app
        .get(&format!("/api/v1/submissions/{sid}"), Some(&rtoken))
        .await;
    assert_eq!(d.status, 200, "{}", d.text);
    let d = d.json();
    assert_eq!(d["form"]["basic"]["name"], p.name.as_str());
    assert_eq!(d["form"]["basic"]["id_front_photo"], d["id_front_upload"]);
    assert_eq!(d["status"], "submitted");
    assert!(d["last_year"].is_null());
    // The photos: to the reviewer of the district and the owner; to no one else.
    let photo = format!("/api/v1/uploads/{}", d["id_front_upload"].as_str().unwrap());
    for t in [&rtoken, &token] {
        let res = app
            .client
            .get(app.url(&photo))
            .bearer_auth(t)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        let bytes = res.bytes().await.unwrap();
        assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 64);
    }
    let stranger = veteran(&app, &Person::new(5)).await;
    for t in [&far, &stranger] {
        app.get(&photo, Some(t))
            .await
            .expect_problem(404, "not_found");
    }
    app.get("/api/v1/uploads/nope", Some(&rtoken))
        .await
        .expect_problem(404, "not_found");

    // Reject: a reason is required.
    let r = decide(&app, &rtoken, &sid, json!({"decision": "reject"})).await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(r.field_codes(), vec!["reason:required"]);
    decide(&app, &rtoken, &sid, json!({"decision": "maybe"}))
        .await
        .expect_problem(422, "invalid_fields");
    let reason = "身份证照片模糊,请重新拍摄";
    let r = decide(
        &app,
        &rtoken,
        &sid,
        json!({"decision": "reject", "reason": reason}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], "rejected");
    // Decided once only.
    decide(&app, &rtoken, &sid, json!({"decision": "approve"}))
        .await
        .expect_problem(409, "illegal_transition");

    // The veteran sees 未通过 and the reason, and got an SMS.
    let v = app
        .get("/api/v1/reviews/current", Some(&token))
        .await
        .json();
    assert_eq!(v["status"], "rejected");
    assert_eq!(v["rejection_reason"], reason);
    assert!(outbox_texts(&app, p.phone()).await[0].contains("未通过"));

    // 再次年审: fix and resubmit.
    let again = submit_review(&app, &p, &token, "b").await;
    assert_eq!(again["status"], "resubmitted");
    assert_eq!(again["message"], SUBMITTED);
    let sid2 = again["submission_id"].as_str().unwrap().to_owned();
    assert_ne!(sid2, sid);
    let q = app
        .get("/api/v1/review-queue?status=resubmitted", Some(&rtoken))
        .await
        .json();
    assert_eq!(q["total"], 1);
    assert_eq!(q["items"][0]["submission_id"], sid2.as_str());
    let q = app
        .get("/api/v1/review-queue?status=submitted", Some(&rtoken))
        .await
        .json();
    assert_eq!(q["total"], 0);
    // The old, rejected submission cannot be approved now.
    decide(&app, &rtoken, &sid, json!({"decision": "approve"}))
        .await
        .expect_problem(409, "illegal_transition");

    let r = decide(&app, &rtoken, &sid2, json!({"decision": "approve"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], "approved");
    let v = app
        .get("/api/v1/reviews/current", Some(&token))
        .await
        .json();
    assert_eq!(v["status"], "approved");
    assert!(v["rejection_reason"].is_null());
    assert!(outbox_texts(&app, p.phone()).await[0].contains("已通过"));
    // Approved: nothing more to submit.
    app.send_json(
        reqwest::Method::PUT,
        "/api/v1/reviews/current/draft",
        &json!({"form": {}}),
        Some(&token),
    )
    .await
    .expect_problem(409, "illegal_transition");

    // Every read of the person's data by the reviewer is in the audit log.
    let audit = app.store.audit_recent(100).await.unwrap();
    let by_reviewer: Vec<&str> = audit
        .iter()
        .filter(|a| a.user_id.as_deref() == Some(reviewer_id.as_str()))
        .map(|a| a.event.as_str())
        .collect();
    for event in [
        "review_queue_read",
        "submission_read",
        "upload_read",
        "review_decision",
    ] {
        assert!(by_reviewer.contains(&event), "{event} in {by_reviewer:?}");
    }
    assert!(audit
        .iter()
        .any(|a| a.event == "submission_read" && a.detail.contains(&sid)));
    assert!(audit.iter().all(|a| !a.detail.contains(&p.id_number)));
}

async fn queue_is_scoped_paged_and_oldest_first(app: TestApp) {
    let (_, rtoken) = reviewer(&app, "13700000001", &["110101"]).await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        let p = Person::new(n);
        let token = veteran(&app, &p).await;
        app.clock.advance(Duration::from_secs(60));
        let r = submit_review(&app, &p, &token, "k").await;
        ids.push(r["submission_id"].as_str().unwrap().to_owned());
    }
    let page1 = app
        .get(
            "/api/v1/review-queue?status=submitted&per_page=2",
            Some(&rtoken),
        )
        .await
        .json();
    assert_eq!(page1["total"], 3);
    let got: Vec<&str> = page1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["submission_id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[0].as_str(), ids[1].as_str()]);
    let page2 = app
        .get("/api/v1/review-queue?per_page=2&page=2", Some(&rtoken))
        .await
        .json();
    assert_eq!(page2["items"].as_array().unwrap().len(), 1);
    assert_eq!(page2["items"][0]["submission_id"], ids[2].as_str());
    assert_eq!(page2["page"], 2);

    let r = app
        .get(
            "/api/v1/review-queue?status=bogus&per_page=0",
            Some(&rtoken),
        )
        .await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(
        r.field_codes(),
        vec!["status:status_invalid", "per_page:per_page_invalid"]
    );
    app.get("/api/v1/review-queue?page=abc", Some(&rtoken))
        .await
        .expect_problem(400, "bad_request");
    app.get("/api/v1/review-queue", None)
        .await
        .expect_problem(401, "unauthorized");
}
