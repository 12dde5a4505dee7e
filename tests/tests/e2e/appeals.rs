//! 自然人申诉找回密码 (issue 16, spec S2 b): an appeal with signed scans, decided by a reviewer of
//! the account's district (an admin when no account matches), a single-use reset code by SMS,
//! and the same answer whether or not an account exists. On both backends.

use std::time::Duration;

use serde_json::{json, Value};
use shared::api::accounts::Role;
use tests::{kit, on_both_backends, Person, TestApp, PASSWORD};

on_both_backends!(
    an_approved_appeal_sends_a_reset_code_that_resets_the_password_once,
    an_appeal_matching_no_account_gets_the_same_answer_and_goes_to_an_admin,
    appeals_refuse_bad_input_replace_each_other_and_are_limited_per_phone,
);

const BOUNDARY: &str = "zyAppealBoundary3kq9";

/// A multipart appeal: the text parts, and `front`/`back` JPEGs unless left out.
fn form(text: &Value, files: &[&str]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in text.as_object().expect("object") {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{}\r\n",
                v.as_str().unwrap_or_default()
            )
            .as_bytes(),
        );
    }
    for f in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{f}\"; filename=\"{f}.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&kit::jpeg());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_form(app: &TestApp, body: Vec<u8>) -> tests::Reply {
    app.post_raw(
        "/api/v1/password-appeals",
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        body,
    )
    .await
}

/// The text of an appeal for (`name`, 居民身份证 `id`) from `contact`, with a fresh code.
async fn fields(app: &TestApp, name: &str, id: &str, contact: &str) -> Value {
    let code = app.sms_code(contact, "password_appeal").await;
    json!({"name": name, "identity_region": "mainland", "document_kind": "resident_id_card",
           "document_number": id, "contact_phone": contact, "sms_code": code,
           "note": "原手机号已停用"})
}

async fn appeal(app: &TestApp, name: &str, id: &str, contact: &str) -> tests::Reply {
    let text = fields(app, name, id, contact).await;
    post_form(app, form(&text, &["front", "back"])).await
}

async fn waiting(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.get("/api/v1/password-appeals", Some(token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["items"].as_array().expect("items").clone()
}

async fn decide(app: &TestApp, token: &str, id: &str, body: Value) -> tests::Reply {
    app.send_json(
        reqwest::Method::POST,
        &format!("/api/v1/password-appeals/{id}/decision"),
        &body,
        Some(token),
    )
    .await
}

async fn last_sms(app: &TestApp, phone: &str) -> String {
    let r = app
        .get(&format!("/api/v1/dev/sms-outbox?phone={phone}"), None)
        .await;
    r.json()[0]["text"].as_str().unwrap_or_default().to_owned()
}

/// The reset code in the approval SMS.
fn code_in(sms: &str) -> String {
    let start = sms.find("重置码").expect("a reset code") + "重置码".len();
    sms[start..].chars().take(8).collect()
}

async fn reset(app: &TestApp, phone: &str, code: &str, password: &str) -> tests::Reply {
    app.post(
        "/api/v1/password-resets/appeal",
        &json!({"phone": phone, "reset_code": code, "new_password": password}),
    )
    .await
}

async fn an_approved_appeal_sends_a_reset_code_that_resets_the_password_once(app: TestApp) {
    let p = Person::new(171);
    app.enroll(&p).await;
    app.register_enrolled(&p).await;
    let old_token = app.token(p.phone(), PASSWORD).await;
    let contact = "13500000171";

    let r = appeal(&app, &p.name, &p.id_number, contact).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(
        r.json()["message"],
        "申诉已提交,请耐心等待审核,审核结果将以短信形式通知您。"
    );

    let (_, reviewer) = kit::staff(&app, Role::Reviewer, "13700000171", &["110101"]).await;
    let (_, elsewhere) = kit::staff(&app, Role::Reviewer, "13700000172", &["310101"]).await;
    let items = waiting(&app, &reviewer).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["matched"], true);
    let id = items[0]["appeal_id"].as_str().unwrap().to_owned();
    assert!(waiting(&app, &elsewhere).await.is_empty());
    let path = format!("/api/v1/password-appeals/{id}");
    app.get(&path, Some(&elsewhere))
        .await
        .expect_problem(404, "not_found");
    app.get(&path, Some(&old_token))
        .await
        .expect_problem(403, "forbidden");

    let detail = app.get(&path, Some(&reviewer)).await;
    assert_eq!(detail.status, 200, "{}", detail.text);
    let detail = detail.json();
    assert_eq!(detail["document_number"], p.id_number.as_str());
    assert_eq!(detail["note"], "原手机号已停用");
    assert_eq!(detail["status"], "pending");
    assert_eq!(detail["account"]["name_matches"], true);
    assert_eq!(detail["account"]["real_name"], "国家平台实名认证通过");
    assert!(
        !detail.to_string().contains(contact),
        "contact phone in full"
    );
    let scan = app
        .get(&format!("{path}/scans/front"), Some(&reviewer))
        .await;
    assert_eq!(scan.status, 200);
    assert_eq!(
        app.get(&format!("{path}/scans/side"), Some(&reviewer))
            .await
            .status,
        404
    );

    let r = decide(&app, &reviewer, &id, json!({"decision": "approve"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], "approved");
    let sms = last_sms(&app, contact).await;
    assert!(sms.contains("24小时内"), "{sms}");
    let code = code_in(&sms);
    decide(&app, &reviewer, &id, json!({"decision": "approve"}))
        .await
        .expect_problem(409, "illegal_transition");

    // A wrong code, or the right one from another phone: one answer, nothing changes.
    let r = reset(&app, contact, "ABCDEFGH", "newpass123").await;
    assert_eq!(
        r.field_codes(),
        ["reset_code:reset_code_invalid"],
        "{}",
        r.text
    );
    let r = reset(&app, p.phone(), &code, "newpass123").await;
    assert_eq!(
        r.field_codes(),
        ["reset_code:reset_code_invalid"],
        "{}",
        r.text
    );
    assert_eq!(app.get("/api/v1/me", Some(&old_token)).await.status, 200);

    let r = reset(&app, contact, &code.to_lowercase(), "newpass123").await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.get("/api/v1/me", Some(&old_token))
        .await
        .expect_problem(401, "unauthorized");
    assert_eq!(app.login(p.phone(), "newpass123").await.status, 200);
    // Single use.
    let r = reset(&app, contact, &code, "another123").await;
    assert_eq!(
        r.field_codes(),
        ["reset_code:reset_code_invalid"],
        "{}",
        r.text
    );
    let detail = app.get(&path, Some(&reviewer)).await.json();
    assert_eq!(detail["status"], "used");
    assert_eq!(detail["status_label"], "已重置");
}

async fn an_appeal_matching_no_account_gets_the_same_answer_and_goes_to_an_admin(app: TestApp) {
    let p = Person::new(172);
    app.enroll(&p).await;
    app.register_enrolled(&p).await;
    let stranger = Person::new(173);

    let matched = appeal(&app, &p.name, &p.id_number, "13500000172").await;
    let unmatched = appeal(&app, &stranger.name, &stranger.id_number, "13500000173").await;
    assert_eq!(matched.status, 202);
    assert_eq!(unmatched.status, matched.status);
    assert_eq!(unmatched.text, matched.text, "the same body either way");

    let (_, reviewer) = kit::staff(&app, Role::Reviewer, "13700000173", &["110101"]).await;
    let (_, admin) = kit::staff(&app, Role::Admin, "13700000174", &[]).await;
    assert_eq!(
        waiting(&app, &reviewer).await.len(),
        1,
        "only the matched one"
    );
    let items = waiting(&app, &admin).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["matched"], false);
    let id = items[0]["appeal_id"].as_str().unwrap().to_owned();
    let detail = app
        .get(&format!("/api/v1/password-appeals/{id}"), Some(&admin))
        .await
        .json();
    assert_eq!(detail["account"], Value::Null);

    decide(&app, &admin, &id, json!({"decision": "approve"}))
        .await
        .expect_problem(409, "no_matching_account");
    let r = decide(&app, &admin, &id, json!({"decision": "reject"})).await;
    assert_eq!(r.field_codes(), ["reason:required"], "{}", r.text);
    let r = decide(
        &app,
        &admin,
        &id,
        json!({"decision": "reject", "reason": "未找到对应账号"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], "rejected");
    let sms = last_sms(&app, "13500000173").await;
    assert!(sms.contains("原因:未找到对应账号"), "{sms}");
    assert!(waiting(&app, &admin).await.is_empty());
}

async fn appeals_refuse_bad_input_replace_each_other_and_are_limited_per_phone(app: TestApp) {
    let p = Person::new(174);
    app.enroll(&p).await;
    app.register_enrolled(&p).await;

    // Everything missing: every field at once, nothing stored.
    let r = post_form(&app, form(&json!({}), &[])).await;
    assert_eq!(
        r.field_codes(),
        [
            "name:name_empty",
            "identity_region:identity_region_empty",
            "document_kind:document_kind_empty",
            "contact_phone:phone_empty",
            "sms_code:sms_code_empty",
            "front:front_required",
            "back:back_required",
        ],
        "{}",
        r.text
    );
    // A kind 类型 does not take, a bad number, a long note, no back scan.
    let mut text = fields(&app, &p.name, "12345", "13500000174").await;
    text["identity_region"] = json!("hk_macao_taiwan");
    text["note"] = json!("长".repeat(201));
    let r = post_form(&app, form(&text, &["front"])).await;
    let codes = r.field_codes();
    assert!(
        codes.contains(&"document_kind:document_kind_not_allowed".to_owned()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"note:note_too_long".to_owned()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"back:back_required".to_owned()),
        "{codes:?}"
    );
    // A wrong SMS code; a file that is not an image.
    let mut text = fields(&app, &p.name, &p.id_number, "13500000174").await;
    text["sms_code"] = json!("000000");
    let r = post_form(&app, form(&text, &["front", "back"])).await;
    assert_eq!(r.field_codes(), ["sms_code:sms_code_invalid"], "{}", r.text);
    let (_, reviewer) = kit::staff(&app, Role::Reviewer, "13700000175", &["110101"]).await;
    assert!(waiting(&app, &reviewer).await.is_empty());

    // A second appeal for the same document replaces the first.
    assert_eq!(
        appeal(&app, &p.name, &p.id_number, "13500000174")
            .await
            .status,
        202
    );
    let first = waiting(&app, &reviewer).await[0]["appeal_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        appeal(&app, &p.name, &p.id_number, "13500000174")
            .await
            .status,
        202
    );
    let items = waiting(&app, &reviewer).await;
    assert_eq!(items.len(), 1);
    let second = items[0]["appeal_id"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    decide(&app, &reviewer, &first, json!({"decision": "approve"}))
        .await
        .expect_problem(409, "illegal_transition");

    // Three a day per contact phone (the two above and one more); the fourth waits.
    assert_eq!(
        appeal(&app, &p.name, &p.id_number, "13500000174")
            .await
            .status,
        202
    );
    let text = fields(&app, &p.name, &p.id_number, "13500000174").await;
    post_form(&app, form(&text, &["front", "back"]))
        .await
        .expect_problem(429, "too_many_requests");

    // An approved code dies after 24 hours.
    let third = waiting(&app, &reviewer).await[0]["appeal_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = decide(&app, &reviewer, &third, json!({"decision": "approve"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let code = code_in(&last_sms(&app, "13500000174").await);
    app.clock.advance(Duration::from_secs(24 * 3600 + 1));
    let r = reset(&app, "13500000174", &code, "newpass123").await;
    assert_eq!(
        r.field_codes(),
        ["reset_code:reset_code_invalid"],
        "{}",
        r.text
    );
    assert_eq!(
        app.login(p.phone(), PASSWORD).await.status,
        200,
        "unchanged"
    );
}
