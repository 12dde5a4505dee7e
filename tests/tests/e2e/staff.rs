//! Staff on tablets (issue 8): a staff member works through three people offline — one assisted
//! review, one on-site confirmation, one death — and syncs the queued operations later, exactly
//! once (the whole queue is sent twice); a queued write meeting a person who submitted on their
//! own phone meanwhile is a reported conflict; the reviewer sees all of it; a staff member
//! cannot see or touch people outside their districts; only an administrator undoes a death;
//! the district summary counts; a staff member's offline challenge (for a home visit without a
//! network) lives 72 hours, a veteran's two minutes.
//!
//! Liveness challenges are marked passed with `Store::test_only_mark_challenge_passed`, as in
//! `review.rs` (the evidence endpoint's own tests live in `liveness.rs`).

use std::path::Path;

use serde_json::{json, Value};
use shared::api::accounts::Role;
use tests::kit::{self, jpeg, multipart, person_id, valid_form};
use tests::{on_both_backends, read, ClockExt, Person, Reply, TestApp, PASSWORD};

on_both_backends!(
    staff_work_offline_syncs_once_and_reviewers_see_it,
    staff_cannot_see_or_touch_other_districts,
    confirmations_are_checked_and_need_an_operation_id,
    reference_photo_needs_consent_and_a_face,
    offline_challenges_live_72_hours_for_staff_only,
);

async fn post_multipart(app: &TestApp, path: &str, token: &str, body: Vec<u8>) -> Reply {
    kit::post_multipart(app, path, token, kit::BOUNDARY, body).await
}

/// A staff upload for `person`; the upload id (panics unless 201).
async fn staff_upload(app: &TestApp, token: &str, person: &str, kind: &str, file: &[u8]) -> String {
    let r = post_multipart(
        app,
        &format!("/api/v1/staff/people/{person}/uploads"),
        token,
        multipart(kind, file),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["upload_id"].as_str().unwrap().to_owned()
}

/// Evidence without frames for challenge `id` (judged, never passed, unless expired).
async fn empty_evidence(app: &TestApp, token: &str, id: &str) -> Reply {
    let path = format!("/api/v1/liveness/challenges/{id}/evidence");
    let body = json!({"frames": [], "claimed": [], "flash_started_ms": 0});
    post_op(app, &path, token, None, &body).await
}

/// POST with an optional `Idempotency-Key`.
async fn post_op(app: &TestApp, path: &str, token: &str, key: Option<&str>, body: &Value) -> Reply {
    let mut req = app.client.post(app.url(path)).bearer_auth(token).json(body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    read(req.send().await.expect("request")).await
}

/// An account of `role` with `districts`; returns (user id, token).
async fn account(
    app: &TestApp,
    role: Role,
    phone: &str,
    name: &str,
    districts: &[&str],
) -> (String, String) {
    kit::staff_named(app, role, name, phone, districts).await
}

/// A staff liveness challenge for `person`, marked passed (test-only store function).
async fn staff_passed_challenge(app: &TestApp, token: &str, person: &str) -> String {
    let r = post_op(
        app,
        &format!("/api/v1/staff/people/{person}/liveness/challenges"),
        token,
        None,
        &json!({}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["challenge_id"].as_str().unwrap().to_owned();
    assert!(app
        .store
        .test_only_mark_challenge_passed(&id, app.clock.now_unix())
        .await
        .unwrap());
    id
}

/// One queued staff operation: its path, operation id and body.
struct Op {
    path: String,
    key: String,
    body: Value,
}

async fn staff_work_offline_syncs_once_and_reviewers_see_it(app: TestApp) {
    let (_, admin) = account(&app, Role::Admin, "13700000009", "管理员", &[]).await;
    // A staff account without districts, then assigned 110101 by an administrator.
    let (staff_id, staff) = account(&app, Role::Staff, "13700000001", "林小红", &[]).await;
    let (_, reviewer) = account(&app, Role::Reviewer, "13700000002", "黄审核", &["110101"]).await;
    let (_, far_reviewer) =
        account(&app, Role::Reviewer, "13700000003", "远审核", &["310104"]).await;
    let people: Vec<Person> = (0..4).map(Person::new).collect();
    for p in &people {
        app.enroll(p).await;
    }
    let ids: Vec<String> = {
        let mut v = Vec::new();
        for p in &people {
            v.push(person_id(&app, p).await);
        }
        v
    };
    let (assisted, confirmed, deceased, own_phone) = (&ids[0], &ids[1], &ids[2], &ids[3]);

    let r = app.get("/api/v1/staff/people", Some(&staff)).await;
    assert_eq!(r.json()["total"], 0, "no districts, no people: {}", r.text);
    let r = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/staff/{staff_id}/districts"),
            &json!({"districts": ["110101", "110101"]}),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["districts"], json!(["110101"]));

    // The list: everyone owes (the window closed on 2025-03-31), masked.
    let r = app
        .get(
            "/api/v1/staff/people?owing=true&sort=deadline",
            Some(&staff),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let list = r.json();
    assert_eq!(list["total"], 4);
    for item in list["items"].as_array().unwrap() {
        assert_eq!(item["status"], "overdue");
        assert_eq!(item["owing"], true);
        assert!(item["masked_name"].as_str().unwrap().starts_with('*'));
        let masked = item["masked_id_number"].as_str().unwrap();
        assert!(masked.contains("********"), "{masked}");
        assert!(!people.iter().any(|p| p.id_number == masked));
    }
    // Search by part of the name, and by the visible end of the masked ID number.
    let last4 = &people[1].id_number[14..];
    let r = app
        .get(&format!("/api/v1/staff/people?q={last4}"), Some(&staff))
        .await
        .json();
    assert_eq!(r["total"], 1, "{r}");
    assert_eq!(r["items"][0]["person_id"], confirmed.as_str());
    let name_part: String = people[2].name.chars().skip(1).collect();
    let r = app
        .client
        .get(app.url("/api/v1/staff/people"))
        .query(&[("q", name_part.as_str())])
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    let r = read(r).await.json();
    assert!(r["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["person_id"] == deceased.as_str()));

    // The detail, for prefill.
    let d = app
        .get(&format!("/api/v1/staff/people/{assisted}"), Some(&staff))
        .await;
    assert_eq!(d.status, 200, "{}", d.text);
    let d = d.json();
    assert_eq!(d["name"], people[0].name.as_str());
    assert_eq!(d["status"], "overdue");
    assert_eq!(d["has_reference_photo"], false);
    assert_eq!(d["year"], 2025);

    // On the tablet: photos and the liveness check for the assisted review are taken with the
    // person (uploaded when the tablet is back online), and three operations are queued.
    let front = staff_upload(&app, &staff, assisted, "id_front", &jpeg()).await;
    let back = staff_upload(&app, &staff, assisted, "id_back", &jpeg()).await;
    let challenge = staff_passed_challenge(&app, &staff, assisted).await;
    let newspaper = staff_upload(&app, &staff, confirmed, "newspaper_photo", &jpeg()).await;
    let evidence = staff_upload(&app, &staff, deceased, "death_evidence", &jpeg()).await;
    let queue = vec![
        Op {
            path: format!("/api/v1/staff/people/{assisted}/submissions"),
            key: "tablet-1-op-1".into(),
            body: json!({"form": valid_form(&people[0]), "id_front_upload": front,
                         "id_back_upload": back, "liveness_challenge_id": challenge}),
        },
        Op {
            path: format!("/api/v1/staff/people/{confirmed}/confirmations"),
            key: "tablet-1-op-2".into(),
            body: json!({"kind": "on_site", "method": "home_visit",
                         "confirmed_at": "2025-03-30T09:30:00+08:00",
                         "notes": "本人在家,精神状况良好", "photo_upload": newspaper}),
        },
        Op {
            path: format!("/api/v1/staff/people/{deceased}/death"),
            key: "tablet-1-op-3".into(),
            body: json!({"died_on": "2025-03-20", "evidence_upload": evidence,
                         "notes": "家属提供死亡证明"}),
        },
    ];
    // Online again: the queue is synced, and (the connection dropped before the answers came
    // back) synced again. Same answers, nothing twice.
    let mut first = Vec::new();
    for op in &queue {
        let r = post_op(&app, &op.path, &staff, Some(&op.key), &op.body).await;
        assert_eq!(r.status, 201, "{}: {}", op.path, r.text);
        first.push(r.json());
    }
    for (op, before) in queue.iter().zip(&first) {
        let r = post_op(&app, &op.path, &staff, Some(&op.key), &op.body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(&r.json(), before);
    }
    assert_eq!(first[0]["status"], "submitted");
    assert_eq!(first[1]["status"], "submitted");
    assert_eq!(first[2]["status"], "deceased");
    assert_eq!(first[2]["payment_stopped"], true);
    assert_eq!(app.store.submission_count(assisted, 2025).await.unwrap(), 1);
    // An operation id used for another operation or person is refused.
    let r = post_op(
        &app,
        &queue[1].path.replace(confirmed, deceased),
        &staff,
        Some(&queue[1].key),
        &queue[1].body,
    )
    .await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(r.field_codes(), ["Idempotency-Key:idempotency_key_reused"]);

    // Meanwhile the fourth person submitted on their own phone; the tablet's queued confirmation
    // for them is a conflict, reported with what happened, not applied over it.
    let vet = {
        app.register_enrolled(&people[3]).await;
        app.token(people[3].phone(), PASSWORD).await
    };
    let upload_own = |kind: &'static str| {
        let app = app.clone();
        let vet = vet.clone();
        async move {
            let r = post_multipart(&app, "/api/v1/uploads", &vet, multipart(kind, &jpeg())).await;
            assert_eq!(r.status, 201, "{}", r.text);
            r.json()["upload_id"].as_str().unwrap().to_owned()
        }
    };
    let own_front = upload_own("id_front").await;
    let own_back = upload_own("id_back").await;
    let c = post_op(&app, "/api/v1/liveness/challenges", &vet, None, &json!({})).await;
    let cid = c.json()["challenge_id"].as_str().unwrap().to_owned();
    app.store
        .test_only_mark_challenge_passed(&cid, app.clock.now_unix())
        .await
        .unwrap();
    let r = post_op(
        &app,
        "/api/v1/reviews/current/submissions",
        &vet,
        Some("phone-1"),
        &json!({"form": valid_form(&people[3]), "id_front_upload": own_front,
                "id_back_upload": own_back, "liveness_challenge_id": cid}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = post_op(
        &app,
        &format!("/api/v1/staff/people/{own_phone}/confirmations"),
        &staff,
        Some("tablet-1-op-4"),
        &json!({"kind": "on_site", "method": "at_centre", "confirmed_at": "2025-03-31T10:00:00+08:00"}),
    )
    .await;
    let p = r.expect_problem(409, "conflict");
    let conflict = p.conflict.expect("the conflict is described");
    assert_eq!(conflict.status, "submitted");
    assert!(conflict.since.is_some());
    assert!(conflict.detail.contains("提交"), "{}", conflict.detail);
    // And a death already recorded: the same.
    let r = post_op(
        &app,
        &format!("/api/v1/staff/people/{deceased}/confirmations"),
        &staff,
        Some("tablet-1-op-5"),
        &json!({"kind": "on_site", "method": "at_centre", "confirmed_at": "2025-03-31T10:00:00+08:00"}),
    )
    .await;
    assert_eq!(
        r.expect_problem(409, "conflict").conflict.unwrap().status,
        "deceased"
    );
    // Nothing was recorded for the conflicts.
    assert_eq!(
        app.store.submission_count(own_phone, 2025).await.unwrap(),
        1
    );

    // The reviewer sees all of it in the queue, each with its kind; another district's does not.
    let q = app.get("/api/v1/review-queue", Some(&reviewer)).await;
    assert_eq!(q.status, 200, "{}", q.text);
    let q = q.json();
    assert_eq!(q["total"], 4, "{q}");
    let mut kinds: Vec<&str> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["assisted_submission", "confirmation", "death", "submission"]
    );
    let item = |kind: &str| {
        q["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["kind"] == kind)
            .unwrap()["submission_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        item("assisted_submission"),
        first[0]["submission_id"].as_str().unwrap()
    );
    assert_eq!(
        item("confirmation"),
        first[1]["confirmation_id"].as_str().unwrap()
    );
    assert_eq!(item("death"), first[2]["death_record_id"].as_str().unwrap());
    assert_eq!(
        app.get("/api/v1/review-queue", Some(&far_reviewer))
            .await
            .json()["total"],
        0
    );

    // The assisted submission names the staff member.
    let sid = item("assisted_submission");
    let d = app
        .get(&format!("/api/v1/submissions/{sid}"), Some(&reviewer))
        .await;
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.json()["assisted_by"], staff_id.as_str());
    assert_eq!(d.json()["assisted_by_name"], "林小红");
    // The staff photos are readable by the district's reviewer (audited), no one else.
    let photo = format!(
        "/api/v1/uploads/{}",
        d.json()["id_front_upload"].as_str().unwrap()
    );
    assert_eq!(app.get(&photo, Some(&reviewer)).await.status, 200);
    assert_eq!(app.get(&photo, Some(&far_reviewer)).await.status, 404);
    assert_eq!(app.get(&photo, Some(&vet)).await.status, 404);

    // The confirmation: read, approved; the person's review is done.
    let cid = item("confirmation");
    let c = app
        .get(&format!("/api/v1/confirmations/{cid}"), Some(&reviewer))
        .await;
    assert_eq!(c.status, 200, "{}", c.text);
    let c = c.json();
    assert_eq!(c["kind"], "on_site");
    assert_eq!(c["kind_label"], "现场确认");
    assert_eq!(c["method"], "home_visit");
    assert_eq!(c["staff_name"], "林小红");
    assert_eq!(c["confirmed_at"], "2025-03-30T01:30:00Z");
    assert_eq!(c["photo_upload"], newspaper.as_str());
    app.get(&format!("/api/v1/confirmations/{cid}"), Some(&far_reviewer))
        .await
        .expect_problem(404, "not_found");
    let r = post_op(
        &app,
        &format!("/api/v1/confirmations/{cid}/decision"),
        &reviewer,
        None,
        &json!({"decision": "approve"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], "approved");
    post_op(
        &app,
        &format!("/api/v1/confirmations/{cid}/decision"),
        &reviewer,
        None,
        &json!({"decision": "approve"}),
    )
    .await
    .expect_problem(409, "illegal_transition");
    let d = app
        .get(&format!("/api/v1/staff/people/{confirmed}"), Some(&staff))
        .await
        .json();
    assert_eq!(d["status"], "approved");

    // The death record: read, checked; a reviewer cannot reject it (an administrator undoes it).
    let did = item("death");
    let x = app
        .get(&format!("/api/v1/death-records/{did}"), Some(&reviewer))
        .await;
    assert_eq!(x.status, 200, "{}", x.text);
    assert_eq!(x.json()["died_on"], "2025-03-20");
    assert_eq!(x.json()["evidence_upload"], evidence.as_str());
    let r = post_op(
        &app,
        &format!("/api/v1/death-records/{did}/decision"),
        &reviewer,
        None,
        &json!({"decision": "reject", "reason": "x"}),
    )
    .await;
    assert_eq!(r.field_codes(), ["decision:death_reject_not_allowed"]);
    let r = post_op(
        &app,
        &format!("/api/v1/death-records/{did}/decision"),
        &reviewer,
        None,
        &json!({"decision": "approve"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let q = app
        .get("/api/v1/review-queue?status=approved", Some(&reviewer))
        .await
        .json();
    assert_eq!(q["total"], 2, "the confirmation and the death record: {q}");

    // The death stopped the payment: the benefits office's export says so, from the day of death.
    let export = app
        .get("/api/v1/admin/payment-status.csv?year=2025", Some(&admin))
        .await;
    assert_eq!(export.status, 200, "{}", export.text);
    // An approved 现场确认 completes the review like an approved submission: paid on time.
    let line = export
        .text
        .lines()
        .find(|l| l.starts_with(&format!("{confirmed},")))
        .expect("the confirmed person is in the export");
    assert!(line.contains(",approved,on_time,"), "{line}");
    let line = export
        .text
        .lines()
        .find(|l| l.starts_with(&format!("{deceased},")))
        .expect("the deceased person is in the export");
    assert!(
        line.contains(",deceased,stopped_deceased,2025-03-20,"),
        "{line}"
    );

    // The district summary.
    let s = app.get("/api/v1/staff/summary", Some(&staff)).await;
    assert_eq!(s.status, 200, "{}", s.text);
    let s = s.json();
    assert_eq!(s["year"], 2025);
    let line = &s["districts"][0];
    assert_eq!(line["district"], "110101");
    assert_eq!(line["district_name"], "北京市东城区");
    assert_eq!(
        (
            line["total"].as_u64(),
            line["reviewed"].as_u64(),
            line["pending"].as_u64(),
            line["deceased"].as_u64(),
            line["overdue"]
                .as_u64()
                .zip(line["suspended"].as_u64())
                .map(|(a, b)| a + b),
            line["owing"].as_u64()
        ),
        (Some(4), Some(1), Some(2), Some(1), Some(0), Some(0)),
        "{line}"
    );
    let csv = app.get("/api/v1/staff/summary.csv", Some(&staff)).await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(
        csv.text.contains("110101,北京市东城区,4,1,2,0,0,0,1"),
        "{}",
        csv.text
    );
    app.get("/api/v1/staff/summary", Some(&reviewer))
        .await
        .expect_problem(403, "forbidden");

    // Undoing the death: administrators only, with a reason; the status before comes back.
    let undo = format!("/api/v1/admin/people/{deceased}/death/undo");
    post_op(&app, &undo, &staff, None, &json!({"reason": "登记错误"}))
        .await
        .expect_problem(403, "forbidden");
    post_op(&app, &undo, &reviewer, None, &json!({"reason": "登记错误"}))
        .await
        .expect_problem(403, "forbidden");
    let r = post_op(&app, &undo, &admin, None, &json!({"reason": "  "})).await;
    assert_eq!(r.field_codes(), ["reason:reason_required"]);
    let r = post_op(
        &app,
        &undo,
        &admin,
        None,
        &json!({"reason": "家属误报,本人健在"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], "overdue");
    assert_eq!(r.json()["death_record_id"], did.as_str());
    post_op(&app, &undo, &admin, None, &json!({"reason": "再次撤销"}))
        .await
        .expect_problem(409, "illegal_transition");
    let x = app
        .get(&format!("/api/v1/death-records/{did}"), Some(&reviewer))
        .await
        .json();
    assert_eq!(x["status"], "undone");
    assert_eq!(x["undo_reason"], "家属误报,本人健在");
    let line = app.get("/api/v1/staff/summary", Some(&staff)).await.json()["districts"][0].clone();
    assert_eq!(line["deceased"], 0);
    assert_eq!(
        line["overdue"].as_u64().unwrap() + line["suspended"].as_u64().unwrap(),
        1
    );

    // Every read and write is audited (ids only).
    let audit = app
        .get("/api/v1/audit-log?limit=1000", Some(&admin))
        .await
        .json();
    let events: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["event"].as_str().unwrap())
        .collect();
    for e in [
        "staff_districts_set",
        "staff_people_read",
        "staff_person_read",
        "staff_upload",
        "staff_challenge_issued",
        "assisted_submission",
        "staff_confirmation_recorded",
        "death_recorded",
        "confirmation_read",
        "confirmation_decision",
        "death_record_read",
        "death_record_checked",
        "staff_summary_read",
        "staff_summary_exported",
        "death_undone",
    ] {
        assert!(events.contains(&e), "{e} missing from {events:?}");
    }
    // Each recorded write appears once, even though the queue was sent twice.
    assert_eq!(events.iter().filter(|e| **e == "death_recorded").count(), 1);
    let text = audit.to_string();
    for p in &people {
        assert!(
            !text.contains(&p.id_number) && !text.contains(&p.name),
            "personal data in the audit log"
        );
    }
}

async fn staff_cannot_see_or_touch_other_districts(app: TestApp) {
    let (_, admin) = account(&app, Role::Admin, "13700000009", "管理员", &[]).await;
    let (staff_id, staff) = account(&app, Role::Staff, "13700000001", "林小红", &["110101"]).await;
    let (_, other_staff) = account(&app, Role::Staff, "13700000004", "赵工", &["310104"]).await;
    let near = Person::new(0);
    let mut far = Person::new(1);
    far.district = "310104".to_owned();
    app.enroll(&near).await;
    app.enroll(&far).await;
    let near_id = person_id(&app, &near).await;
    let far_id = person_id(&app, &far).await;

    let list = app
        .get("/api/v1/staff/people?owing=false", Some(&staff))
        .await
        .json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["person_id"], near_id.as_str());
    app.get(&format!("/api/v1/staff/people/{far_id}"), Some(&staff))
        .await
        .expect_problem(404, "not_found");
    app.get("/api/v1/staff/people/not-a-person", Some(&staff))
        .await
        .expect_problem(404, "not_found");

    // Every write on a person outside the districts: 404, the same as a missing person.
    let r = post_multipart(
        &app,
        &format!("/api/v1/staff/people/{far_id}/uploads"),
        &staff,
        multipart("id_front", &jpeg()),
    )
    .await;
    r.expect_problem(404, "not_found");
    post_op(
        &app,
        &format!("/api/v1/staff/people/{far_id}/liveness/challenges"),
        &staff,
        None,
        &json!({}),
    )
    .await
    .expect_problem(404, "not_found");
    // Uploads the other district's staff made for their person cannot be used either.
    let far_photo = staff_upload(&app, &other_staff, &far_id, "newspaper_photo", &jpeg()).await;
    let far_evidence = staff_upload(&app, &other_staff, &far_id, "death_evidence", &jpeg()).await;
    let writes = [
        (
            "submissions",
            json!({"form": valid_form(&far), "id_front_upload": far_photo, "id_back_upload": far_photo, "liveness_challenge_id": "0123456789abcdef0123456789abcdef"}),
        ),
        (
            "confirmations",
            json!({"kind": "remote", "method": "video_call", "confirmed_at": "2025-03-30T09:00:00+08:00", "photo_upload": far_photo}),
        ),
        (
            "death",
            json!({"died_on": "2025-03-01", "evidence_upload": far_evidence}),
        ),
        (
            "reference-photo",
            json!({"upload_id": far_photo, "consent": true}),
        ),
    ];
    for (i, (what, body)) in writes.iter().enumerate() {
        let r = post_op(
            &app,
            &format!("/api/v1/staff/people/{far_id}/{what}"),
            &staff,
            Some(&format!("k{i}")),
            body,
        )
        .await;
        r.expect_problem(404, "not_found");
    }
    // Another staff member's upload for the caller's own person is not theirs to use.
    let theirs = staff_upload(&app, &other_staff, &far_id, "death_evidence", &jpeg()).await;
    let r = post_op(
        &app,
        &format!("/api/v1/staff/people/{near_id}/death"),
        &staff,
        Some("k9"),
        &json!({"died_on": "2025-03-01", "evidence_upload": theirs}),
    )
    .await;
    assert_eq!(r.field_codes(), ["evidence_upload:upload_not_found"]);
    // Nothing happened to the far person.
    let s = app
        .get("/api/v1/staff/summary", Some(&other_staff))
        .await
        .json();
    assert_eq!(s["districts"][0]["district"], "310104");
    assert_eq!(s["districts"][0]["deceased"], 0);
    assert_eq!(s["districts"][0]["pending"], 0);
    // The caller's summary lists only their district.
    let s = app.get("/api/v1/staff/summary", Some(&staff)).await.json();
    assert_eq!(s["districts"].as_array().unwrap().len(), 1);
    assert_eq!(s["districts"][0]["district"], "110101");
    // The administrator's summary has both.
    let s = app.get("/api/v1/staff/summary", Some(&admin)).await.json();
    assert_eq!(s["districts"].as_array().unwrap().len(), 2);

    // Other roles: a veteran or a reviewer is not staff.
    let vet = {
        app.register_enrolled(&near).await;
        app.token(near.phone(), PASSWORD).await
    };
    let (_, reviewer) = account(&app, Role::Reviewer, "13700000002", "黄审核", &["110101"]).await;
    for t in [&vet, &reviewer] {
        app.get("/api/v1/staff/people", Some(t))
            .await
            .expect_problem(403, "forbidden");
        app.get(&format!("/api/v1/staff/people/{near_id}"), Some(t))
            .await
            .expect_problem(403, "forbidden");
    }
    app.get("/api/v1/staff/people", None)
        .await
        .expect_problem(401, "unauthorized");

    // Assigning districts: administrators only, to staff or reviewers, valid codes.
    let path = format!("/api/v1/admin/staff/{staff_id}/districts");
    app.send_json(
        reqwest::Method::PUT,
        &path,
        &json!({"districts": ["310104"]}),
        Some(&staff),
    )
    .await
    .expect_problem(403, "forbidden");
    app.send_json(
        reqwest::Method::PUT,
        "/api/v1/admin/staff/nobody/districts",
        &json!({"districts": []}),
        Some(&admin),
    )
    .await
    .expect_problem(404, "not_found");
    let r = app
        .send_json(
            reqwest::Method::PUT,
            &path,
            &json!({"districts": ["310104", "999999", "abc"]}),
            Some(&admin),
        )
        .await;
    r.expect_problem(422, "invalid_fields");
    let codes = r.field_codes();
    assert_eq!(codes.len(), 2, "{codes:?}");
    assert!(
        codes[0].starts_with("districts[1]:") && codes[1].starts_with("districts[2]:"),
        "{codes:?}"
    );
    // Moved to 310104: now the far person is theirs and the near one is not.
    let r = app
        .send_json(
            reqwest::Method::PUT,
            &path,
            &json!({"districts": ["310104"]}),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.get(&format!("/api/v1/staff/people/{far_id}"), Some(&staff))
            .await
            .status,
        200
    );
    app.get(&format!("/api/v1/staff/people/{near_id}"), Some(&staff))
        .await
        .expect_problem(404, "not_found");
}

async fn confirmations_are_checked_and_need_an_operation_id(app: TestApp) {
    let (_, staff) = account(&app, Role::Staff, "13700000001", "林小红", &["110101"]).await;
    let p = Person::new(0);
    app.enroll(&p).await;
    let id = person_id(&app, &p).await;
    let path = format!("/api/v1/staff/people/{id}/confirmations");
    let ok = json!({"kind": "remote", "method": "video_call", "confirmed_at": "2025-03-30T09:00:00+08:00"});
    // No operation id.
    post_op(&app, &path, &staff, None, &ok)
        .await
        .expect_problem(422, "idempotency_key_required");
    // A remote confirmation needs the photo; every problem at once.
    let r = post_op(&app, &path, &staff, Some("a"), &ok).await;
    assert_eq!(r.field_codes(), ["photo_upload:photo_required"]);
    let r = post_op(
        &app,
        &path,
        &staff,
        Some("b"),
        &json!({"kind": "remote", "method": "home_visit", "confirmed_at": "2025-04-02T09:00:00+08:00",
                "notes": "x".repeat(501), "photo_upload": "0123456789abcdef0123456789abcdef"}),
    )
    .await;
    assert_eq!(
        r.field_codes(),
        [
            "method:confirmation_method_mismatch",
            "confirmed_at:confirmed_at_future",
            "notes:text_too_long",
            "photo_upload:upload_not_found"
        ]
    );
    let r = post_op(
        &app,
        &path,
        &staff,
        Some("c"),
        &json!({"kind": "visit", "method": "x", "confirmed_at": "yesterday"}),
    )
    .await;
    assert_eq!(
        r.field_codes(),
        [
            "kind:confirmation_kind_invalid",
            "method:confirmation_method_invalid",
            "confirmed_at:datetime_invalid"
        ]
    );
    let r = post_op(&app, &path, &staff, Some("d"), &json!({"kind": "on_site", "method": "at_centre", "confirmed_at": "2024-12-30T09:00:00+08:00"})).await;
    assert_eq!(r.field_codes(), ["confirmed_at:confirmed_at_outside_year"]);
    // A photo of the wrong kind.
    let id_photo = staff_upload(&app, &staff, &id, "id_front", &jpeg()).await;
    let r = post_op(&app, &path, &staff, Some("e"), &json!({"kind": "remote", "method": "phone_call", "confirmed_at": "2025-03-30T09:00:00+08:00", "photo_upload": id_photo})).await;
    assert_eq!(r.field_codes(), ["photo_upload:upload_wrong_kind"]);
    // Failed attempts recorded nothing: the right one, with a key used by a failed attempt.
    let photo = staff_upload(&app, &staff, &id, "newspaper_photo", &jpeg()).await;
    let body = json!({"kind": "remote", "method": "video_call", "confirmed_at": "2025-03-30T09:00:00+08:00",
                      "delegate_name": "李四(儿子)", "photo_upload": photo});
    let r = post_op(&app, &path, &staff, Some("a"), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["status"], "submitted");
    // A second confirmation under another key: the review is already submitted.
    let r = post_op(&app, &path, &staff, Some("f"), &body).await;
    assert_eq!(
        r.expect_problem(409, "conflict").conflict.unwrap().status,
        "submitted"
    );
    // A death in the future, evidence missing.
    let r = post_op(
        &app,
        &format!("/api/v1/staff/people/{id}/death"),
        &staff,
        Some("g"),
        &json!({"died_on": "2025-04-02", "evidence_upload": ""}),
    )
    .await;
    assert_eq!(
        r.field_codes(),
        ["died_on:died_on_future", "evidence_upload:upload_not_found"]
    );
    // Uploads are checked like the veteran's.
    let r = post_multipart(
        &app,
        &format!("/api/v1/staff/people/{id}/uploads"),
        &staff,
        multipart("selfie", &jpeg()),
    )
    .await;
    assert_eq!(r.field_codes(), ["kind:upload_kind_invalid"]);
    let r = post_multipart(
        &app,
        &format!("/api/v1/staff/people/{id}/uploads"),
        &staff,
        multipart("death_evidence", b"GIF89a not an image"),
    )
    .await;
    r.expect_problem(415, "unsupported_media");
}

/// The face test material beside the repository, if present.
fn face(path: &str) -> Option<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/faces");
    std::fs::read(dir.join(path)).ok()
}

async fn reference_photo_needs_consent_and_a_face(app: TestApp) {
    let (_, staff) = account(&app, Role::Staff, "13700000001", "林小红", &["110101"]).await;
    let p = Person::new(0);
    app.enroll(&p).await;
    let id = person_id(&app, &p).await;
    let path = format!("/api/v1/staff/people/{id}/reference-photo");
    // Not a face.
    let blank = staff_upload(&app, &staff, &id, "reference_photo", &jpeg()).await;
    let r = post_op(
        &app,
        &path,
        &staff,
        Some("a"),
        &json!({"upload_id": blank, "consent": false}),
    )
    .await;
    assert_eq!(r.field_codes(), ["consent:consent_required"]);
    let r = post_op(
        &app,
        &path,
        &staff,
        Some("b"),
        &json!({"upload_id": blank, "consent": true}),
    )
    .await;
    assert_eq!(r.field_codes(), ["upload_id:reference_no_face"]);
    let Some(still) = face("stills/p01/p01_enroll.jpg") else {
        eprintln!("note: shared/testdata/faces is missing; the capture itself is not tested");
        return;
    };
    let photo = staff_upload(&app, &staff, &id, "reference_photo", &still).await;
    let body = json!({"upload_id": photo, "consent": true});
    let r = post_op(&app, &path, &staff, Some("c"), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["has_reference_photo"], true);
    let again = post_op(&app, &path, &staff, Some("c"), &body).await;
    assert_eq!((again.status, again.json()), (201, r.json()));
    let d = app
        .get(&format!("/api/v1/staff/people/{id}"), Some(&staff))
        .await
        .json();
    assert_eq!(d["has_reference_photo"], true);
    // Someone with a reference photo does not get another one from staff.
    let r = post_op(&app, &path, &staff, Some("d"), &body).await;
    r.expect_problem(409, "conflict");
}

/// `{"offline": true}` on a staff challenge: 72 hours instead of two minutes, and the evidence
/// endpoint takes it that late; the default (no body, `{}`) and the veteran's stay two minutes.
async fn offline_challenges_live_72_hours_for_staff_only(app: TestApp) {
    let (_, staff) = account(&app, Role::Staff, "13700000001", "林小红", &["110101"]).await;
    let p = Person::new(0);
    app.enroll(&p).await;
    let person = person_id(&app, &p).await;
    let path = format!("/api/v1/staff/people/{person}/liveness/challenges");
    let issue = |body: Option<Value>| {
        let (app, staff, path) = (app.clone(), staff.clone(), path.clone());
        async move {
            let mut req = app.client.post(app.url(&path)).bearer_auth(&staff);
            if let Some(b) = body {
                req = req.json(&b);
            }
            read(req.send().await.expect("request")).await
        }
    };
    let lifetime = |r: &Reply| {
        assert_eq!(r.status, 201, "{}", r.text);
        let at = chrono::DateTime::parse_from_rfc3339(r.json()["expires_at"].as_str().unwrap())
            .unwrap()
            .timestamp();
        (
            r.json()["challenge_id"].as_str().unwrap().to_owned(),
            at - app.clock.now_unix(),
        )
    };
    let (offline, secs) = lifetime(&issue(Some(json!({"offline": true}))).await);
    assert_eq!(secs, 72 * 3600);
    let (_, secs) = lifetime(&issue(Some(json!({"offline": false}))).await);
    assert_eq!(secs, 120);
    let (short, secs) = lifetime(&issue(None).await);
    assert_eq!(secs, 120, "no body: the default");
    let (_, secs) = lifetime(&issue(Some(json!({}))).await);
    assert_eq!(secs, 120);
    let r = issue(Some(json!({"offline": "yes"}))).await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(r.field_codes(), ["offline:wrong_type"]);

    // A veteran asking for one gets two minutes whatever the body says.
    let vet_person = Person::new(1);
    app.register(&vet_person).await;
    let vet = app.token(vet_person.phone(), PASSWORD).await;
    let r = post_op(
        &app,
        "/api/v1/liveness/challenges",
        &vet,
        None,
        &json!({"offline": true}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let at = chrono::DateTime::parse_from_rfc3339(r.json()["expires_at"].as_str().unwrap())
        .unwrap()
        .timestamp();
    assert_eq!(at - app.clock.now_unix(), 120);

    // 71 hours later: the two-minute challenge is gone, the offline one still takes evidence
    // (empty here, so it does not pass — but it is judged, not expired).
    app.clock.advance(std::time::Duration::from_secs(71 * 3600));
    // (The session lasted 12 hours: log in again, as the tablet would.)
    let staff = app.token("13700000001", PASSWORD).await;
    empty_evidence(&app, &staff, &short)
        .await
        .expect_problem(410, "challenge_expired");
    let r = empty_evidence(&app, &staff, &offline).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["passed"], false);
    // And past 72 hours an offline one expires too.
    let issue_now = |body: Value| {
        let (app, staff, path) = (app.clone(), staff.clone(), path.clone());
        async move { post_op(&app, &path, &staff, None, &body).await }
    };
    let (late, _) = lifetime(&issue_now(json!({"offline": true})).await);
    app.clock
        .advance(std::time::Duration::from_secs(72 * 3600 + 1));
    let staff = app.token("13700000001", PASSWORD).await;
    empty_evidence(&app, &staff, &late)
        .await
        .expect_problem(410, "challenge_expired");
}
