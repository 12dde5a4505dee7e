//! 个人用户 and 实名认证 (issue 16, spec S1): registering outside the roster, the real-name status
//! the verifier gives, 我的信息, and edits that re-run verification (with the seed's prompt),
//! on both backends. The demo's identity service knows 王家属 (居民身份证) and 陈港生 (往来港澳通行证)
//! (`server::demo::demo_identities`).

use serde_json::{json, Value};
use shared::api::accounts::Role;
use shared::id::DocumentKind;
use tests::{kit, on_both_backends, Person, TestApp, PASSWORD};

on_both_backends!(
    a_person_known_to_the_identity_service_is_verified_at_once,
    a_passport_holder_is_unverified_and_a_wrong_name_fails,
    registration_refuses_bad_input_field_by_field_and_saves_nothing,
    roster_ids_documents_and_phones_are_refused_after_the_sms_code,
    an_edit_of_a_trigger_field_needs_confirmation_and_re_verifies,
    a_roster_veteran_is_verified_and_cannot_change_the_rosters_fields,
    manual_review_is_decided_by_a_reviewer_of_the_district_and_notified,
    new_scans_replace_a_waiting_request_and_a_rejection_gives_the_reason,
    manual_review_refuses_bad_scans_and_changes_nothing,
);

/// The demo identity service's entry of `kind`: (number, name).
fn known(kind: DocumentKind) -> (String, String) {
    server::demo::demo_identities()
        .into_iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, n, name)| (n, name))
        .expect("a demo identity of that kind")
}

/// A registration body; `phone` gets a fresh code first.
async fn body(app: &TestApp, phone: &str, fields: Value) -> Value {
    let code = app.sms_code(phone, "register").await;
    let mut b = json!({
        "name": "王家属", "identity_region": "mainland", "document_kind": "resident_id_card",
        "document_number": "", "id_valid_from": "2016-01-01", "id_valid_to": "2036-01-01",
        "district": "110101", "phone": phone, "sms_code": code, "password": PASSWORD,
        "agree_terms": true
    });
    for (k, v) in fields.as_object().expect("object") {
        b[k] = v.clone();
    }
    b
}

async fn put_identity(app: &TestApp, token: &str, body: Value) -> tests::Reply {
    app.send_json(
        reqwest::Method::PUT,
        "/api/v1/me/identity",
        &body,
        Some(token),
    )
    .await
}

async fn a_person_known_to_the_identity_service_is_verified_at_once(app: TestApp) {
    let (number, name) = known(DocumentKind::ResidentIdCard);
    let b = body(
        &app,
        "13900000001",
        json!({"name": name, "document_number": number, "ethnicity": "01"}),
    )
    .await;
    let r = app.post("/api/v1/accounts/personal", &b).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let real_name = &r.json()["real_name"];
    assert_eq!(real_name["status"], "auto_verified");
    assert_eq!(real_name["label"], "国家平台实名认证通过");
    assert_eq!(real_name["source"], "identity_service");

    // Logs in by phone and by document number, as a 个人用户, who has no review (403).
    let session = app.login("13900000001", PASSWORD).await.json();
    assert_eq!(session["user"]["role"], "person");
    let token = app.token(&number, PASSWORD).await;
    app.get("/api/v1/reviews/current", Some(&token))
        .await
        .expect_problem(403, "forbidden");

    let me = app.get("/api/v1/me/identity", Some(&token)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    let me = me.json();
    assert_eq!(me["real_name"]["status"], "auto_verified");
    assert_eq!(me["identity_region"], "mainland");
    assert_eq!(me["document_kind"], "resident_id_card");
    assert_eq!(me["sex"], "male", "the ID number's 17th digit is odd");
    assert_eq!(me["ethnicity"], "01");
    assert_eq!(me["birth_date"], "1985-06-01");
    assert_eq!(me["district"], "110101");
    assert_eq!(me["incomplete"], false);
    assert_eq!(me["locked_fields"], json!([]));
    assert!(!me.to_string().contains(&number), "full number leaked");
    assert!(!me.to_string().contains("13900000001"), "full phone leaked");

    // A Hong Kong permit of the list passes too, and its holder must give a sex.
    let (permit, permit_name) = known(DocumentKind::MainlandHkMacaoPermit);
    let base = json!({
        "name": permit_name, "identity_region": "hk_macao_taiwan",
        "document_kind": "mainland_hk_macao_permit", "document_number": permit,
        "id_valid_from": null, "id_valid_to": null
    });
    let b = body(&app, "13900000002", base.clone()).await;
    let r = app.post("/api/v1/accounts/personal", &b).await;
    assert_eq!(r.field_codes(), ["sex:sex_empty"], "{}", r.text);
    let mut with_sex = base;
    with_sex["sex"] = json!("female");
    let b = body(&app, "13900000002", with_sex).await;
    let r = app.post("/api/v1/accounts/personal", &b).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["real_name"]["status"], "auto_verified");
}

async fn a_passport_holder_is_unverified_and_a_wrong_name_fails(app: TestApp) {
    let b = body(
        &app,
        "13900000011",
        json!({"name": "李四", "identity_region": "other", "document_kind": "foreign_passport",
               "document_number": "X1234567", "sex": "male", "id_valid_from": null}),
    )
    .await;
    let r = app.post("/api/v1/accounts/personal", &b).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let real_name = &r.json()["real_name"];
    assert_eq!(real_name["status"], "unverified");
    assert_eq!(real_name["label"], "未认证");
    assert_eq!(real_name["verified"], false);
    assert_eq!(real_name["source"], Value::Null);

    // The listed permit under another name: the service says it does not match.
    let (permit, _) = known(DocumentKind::MainlandHkMacaoPermit);
    let b = body(
        &app,
        "13900000012",
        json!({"name": "冒名者", "identity_region": "hk_macao_taiwan",
               "document_kind": "mainland_hk_macao_permit", "document_number": permit,
               "sex": "male"}),
    )
    .await;
    let r = app.post("/api/v1/accounts/personal", &b).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["real_name"]["status"], "auto_failed");
    assert_eq!(r.json()["real_name"]["label"], "实名认证失败");
    let token = app.token("13900000012", PASSWORD).await;
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["real_name"]["status"], "auto_failed");
}

async fn registration_refuses_bad_input_field_by_field_and_saves_nothing(app: TestApp) {
    let (number, _) = known(DocumentKind::ResidentIdCard);
    // A 居民身份证 under 其他, a bad phone-less body, every field wrong at once.
    let r = app
        .post(
            "/api/v1/accounts/personal",
            &json!({"name": "", "identity_region": "other", "document_kind": "resident_id_card",
                    "document_number": number, "district": "999999", "phone": "123",
                    "sms_code": "", "password": "short", "agree_terms": false,
                    "ethnicity": "火星族", "sex": "robot"}),
        )
        .await;
    let mut codes = r.field_codes();
    codes.sort();
    assert!(
        codes.contains(&"document_kind:document_kind_not_allowed".to_owned()),
        "{codes:?}"
    );
    for want in [
        "name:",
        "district:",
        "phone:",
        "sms_code:",
        "password:",
        "agree_terms:terms_not_agreed",
        "ethnicity:ethnicity_unknown",
        "sex:sex_invalid",
        "id_valid_from:id_valid_from_empty",
    ] {
        assert!(
            codes.iter().any(|c| c.starts_with(want)),
            "{want} in {codes:?}"
        );
    }
    let p = r.problem();
    assert_eq!(p.code, "invalid_fields");
    assert!(
        !r.text.contains(&number),
        "the rejected number is not echoed"
    );

    // Empty 类型 and 证件类型; an unknown kind; a number that is not one.
    let r = app
        .post(
            "/api/v1/accounts/personal",
            &json!({"identity_region": "", "document_kind": ""}),
        )
        .await;
    let codes = r.field_codes();
    assert!(codes.contains(&"identity_region:identity_region_empty".to_owned()));
    assert!(codes.contains(&"document_kind:document_kind_empty".to_owned()));
    let r = app
        .post(
            "/api/v1/accounts/personal",
            &json!({"identity_region": "mars", "document_kind": "space_pass"}),
        )
        .await;
    let codes = r.field_codes();
    assert!(codes.contains(&"identity_region:identity_region_invalid".to_owned()));
    assert!(codes.contains(&"document_kind:document_kind_invalid".to_owned()));
    let b = body(
        &app,
        "13900000021",
        json!({"identity_region": "hk_macao_taiwan", "document_kind": "mainland_taiwan_permit",
               "document_number": "12345678", "sex": "male"}),
    )
    .await;
    let r = app.post("/api/v1/accounts/personal", &b).await;
    assert_eq!(r.field_codes(), ["document_number:document_number_format"]);
    // A sex that contradicts the 身份证号.
    let b = body(
        &app,
        "13900000021",
        json!({"document_number": number, "sex": "female"}),
    )
    .await;
    let r = app.post("/api/v1/accounts/personal", &b).await;
    assert_eq!(r.field_codes(), ["sex:sex_mismatch"]);
    // Nothing was saved: the phone can still register.
    let b = body(&app, "13900000021", json!({"document_number": number})).await;
    let r = app.post("/api/v1/accounts/personal", &b).await;
    assert_eq!(r.status, 201, "{}", r.text);
}

async fn roster_ids_documents_and_phones_are_refused_after_the_sms_code(app: TestApp) {
    let veteran = Person::new(3);
    app.enroll(&veteran).await;
    // A wrong SMS code first: nothing about the roster is said.
    let mut b = body(
        &app,
        "13900000031",
        json!({"name": veteran.name, "document_number": veteran.id_number,
               "id_valid_from": veteran.id_valid_from, "id_valid_to": null}),
    )
    .await;
    b["sms_code"] = json!("000000");
    let r = app.post("/api/v1/accounts/personal", &b).await;
    assert_eq!(r.field_codes(), ["sms_code:sms_code_invalid"], "{}", r.text);
    let b = body(
        &app,
        "13900000031",
        json!({"name": veteran.name, "document_number": veteran.id_number,
               "id_valid_from": veteran.id_valid_from, "id_valid_to": null}),
    )
    .await;
    let p = app
        .post("/api/v1/accounts/personal", &b)
        .await
        .expect_problem(409, "use_veteran_registration");
    assert_eq!(p.message, "您的信息已在建档立卡名单中,请使用服务对象注册");

    let passport = json!({"name": "李四", "identity_region": "other",
        "document_kind": "foreign_passport", "document_number": "X7654321", "sex": "male"});
    let b = body(&app, "13900000032", passport.clone()).await;
    assert_eq!(app.post("/api/v1/accounts/personal", &b).await.status, 201);
    // The same passport again (lower case, spaces: the same number).
    let mut again = passport.clone();
    again["document_number"] = json!("x765 4321");
    let b = body(&app, "13900000033", again).await;
    app.post("/api/v1/accounts/personal", &b)
        .await
        .expect_problem(409, "already_registered");
    // Another passport on a phone that has an account.
    let mut other = passport;
    other["document_number"] = json!("Y1111111");
    let b = body(&app, "13900000032", other).await;
    app.post("/api/v1/accounts/personal", &b)
        .await
        .expect_problem(409, "phone_in_use");
}

async fn an_edit_of_a_trigger_field_needs_confirmation_and_re_verifies(app: TestApp) {
    let (number, name) = known(DocumentKind::ResidentIdCard);
    let b = body(
        &app,
        "13900000041",
        json!({"name": name, "document_number": number}),
    )
    .await;
    assert_eq!(app.post("/api/v1/accounts/personal", &b).await.status, 201);
    let token = app.token("13900000041", PASSWORD).await;

    // Not a trigger field: saved, the status stays.
    let r = put_identity(&app, &token, json!({"address": "幸福路1号"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["reverified"], false);
    assert_eq!(r.json()["real_name"]["status"], "auto_verified");
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["address"], "幸福路1号");

    // A trigger field on a verified account: the seed's prompt, nothing saved.
    let r = put_identity(&app, &token, json!({"name": "王改名"})).await;
    let p = r.expect_problem(409, "reverify_confirmation_required");
    assert_eq!(
        p.message,
        "已实名认证,修改用户信息可能会重新进行实名认证,确认要修改吗?"
    );
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["masked_name"], "**属");

    // Confirmed: saved even though the check now fails, with the seed's message.
    let r = put_identity(
        &app,
        &token,
        json!({"name": "王改名", "confirm_reverify": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let out = r.json();
    assert_eq!(out["reverified"], true);
    assert_eq!(out["real_name"]["status"], "auto_failed");
    assert_eq!(
        out["message"],
        "实名认证失败,验证失败,请检查输入信息。自然人用户修改个人信息成功。"
    );
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["masked_name"], "**名");
    assert_eq!(me["real_name"]["status"], "auto_failed");

    // Not verified now: the name back needs no confirmation and passes again.
    let r = put_identity(&app, &token, json!({"name": name})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["real_name"]["status"], "auto_verified");

    // Bad input changes nothing: a validity that does not fit, a kind 类型 does not offer.
    let r = put_identity(
        &app,
        &token,
        json!({"id_valid_to": "2030-01-01", "confirm_reverify": true}),
    )
    .await;
    assert_eq!(
        r.field_codes(),
        ["id_valid_to:validity_end_mismatch"],
        "{}",
        r.text
    );
    let r = put_identity(
        &app,
        &token,
        json!({"document_kind": "foreign_passport", "confirm_reverify": true}),
    )
    .await;
    assert!(r
        .field_codes()
        .contains(&"document_kind:document_kind_not_allowed".to_owned()));
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["id_valid_to"], "2036-01-01");
    assert_eq!(me["document_kind"], "resident_id_card");
    assert_eq!(me["real_name"]["status"], "auto_verified");

    // No token, no identity.
    app.get("/api/v1/me/identity", None)
        .await
        .expect_problem(401, "unauthorized");
}

async fn a_roster_veteran_is_verified_and_cannot_change_the_rosters_fields(app: TestApp) {
    let p = Person::new(5);
    app.register(&p).await;
    let token = app.token(p.phone(), PASSWORD).await;
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["real_name"]["status"], "auto_verified");
    assert_eq!(me["real_name"]["source"], "roster");
    assert_eq!(me["document_kind"], "resident_id_card");
    assert_eq!(me["district"], p.district.as_str());
    assert_eq!(
        me["locked_fields"],
        json!([
            "name",
            "identity_region",
            "document_kind",
            "document_number"
        ])
    );
    let r = put_identity(
        &app,
        &token,
        json!({"name": "改名", "confirm_reverify": true}),
    )
    .await;
    let p422 = r.problem();
    assert_eq!(r.field_codes(), ["name:field_locked"]);
    assert_eq!(
        p422.errors[0].message,
        "如需修改,请前往就近的退役军人服务中心(站)办理"
    );
    // Their own fields: fine, and the roster still verifies them.
    let r = put_identity(&app, &token, json!({"ethnicity": "满族"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["real_name"]["status"], "auto_verified");
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["ethnicity"], "11");
}

// ---- 人工审核 --------------------------------------------------------------------------------

/// Registers a passport holder (unverified: no service checks passports) in 110101; the token.
async fn passport_holder(app: &TestApp, phone: &str, number: &str) -> String {
    let b = body(
        app,
        phone,
        json!({"name": "李护照", "identity_region": "other", "document_kind": "foreign_passport",
               "document_number": number, "sex": "male", "id_valid_from": null}),
    )
    .await;
    let r = app.post("/api/v1/accounts/personal", &b).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["real_name"]["status"], "unverified");
    app.token(phone, PASSWORD).await
}

async fn upload_scan(app: &TestApp, token: &str, kind: &str) -> tests::Reply {
    kit::post_multipart(
        app,
        "/api/v1/me/identity/scans",
        token,
        kit::BOUNDARY,
        kit::multipart(kind, &kit::jpeg()),
    )
    .await
}

async fn scan(app: &TestApp, token: &str, kind: &str) -> String {
    let r = upload_scan(app, token, kind).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["upload_id"]
        .as_str()
        .expect("upload_id")
        .to_owned()
}

async fn request_review(app: &TestApp, token: &str, front: &str, back: &str) -> tests::Reply {
    app.send_json(
        reqwest::Method::POST,
        "/api/v1/me/identity/manual-review",
        &json!({"front_upload_id": front, "back_upload_id": back}),
        Some(token),
    )
    .await
}

/// Uploads both scans and files the request; the request id.
async fn requested(app: &TestApp, token: &str) -> String {
    let (front, back) = (
        scan(app, token, "front").await,
        scan(app, token, "back").await,
    );
    let r = request_review(app, token, &front, &back).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let out = r.json();
    assert_eq!(out["real_name"]["status"], "manual_pending");
    assert_eq!(out["real_name"]["label"], "人工审核中");
    out["request_id"].as_str().expect("request_id").to_owned()
}

async fn decide(app: &TestApp, token: &str, id: &str, body: Value) -> tests::Reply {
    app.send_json(
        reqwest::Method::POST,
        &format!("/api/v1/real-name-reviews/{id}/decision"),
        &body,
        Some(token),
    )
    .await
}

async fn queue_ids(app: &TestApp, token: &str) -> Vec<String> {
    let r = app.get("/api/v1/real-name-reviews", Some(token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["request_id"].as_str().expect("id").to_owned())
        .collect()
}

async fn last_sms(app: &TestApp, phone: &str) -> String {
    let r = app
        .get(&format!("/api/v1/dev/sms-outbox?phone={phone}"), None)
        .await;
    r.json()[0]["text"].as_str().unwrap_or_default().to_owned()
}

async fn manual_review_is_decided_by_a_reviewer_of_the_district_and_notified(app: TestApp) {
    let token = passport_holder(&app, "13900000061", "E7654321").await;
    let (front, back) = (
        scan(&app, &token, "front").await,
        scan(&app, &token, "back").await,
    );
    let r = request_review(&app, &token, &front, &back).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["request_id"].as_str().unwrap().to_owned();
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["real_name"]["status"], "manual_pending");

    // Only reviewers, and only those of the person's district, see it.
    let (_, here) = kit::staff(&app, Role::Reviewer, "13700000061", &["110101"]).await;
    let (_, elsewhere) = kit::staff(&app, Role::Reviewer, "13700000062", &["310101"]).await;
    let (_, staff) = kit::staff(&app, Role::Staff, "13700000063", &["110101"]).await;
    assert_eq!(queue_ids(&app, &here).await, [id.clone()]);
    assert!(queue_ids(&app, &elsewhere).await.is_empty());
    for t in [&token, &staff] {
        app.get("/api/v1/real-name-reviews", Some(t))
            .await
            .expect_problem(403, "forbidden");
        decide(&app, t, &id, json!({"decision": "approve"}))
            .await
            .expect_problem(403, "forbidden");
    }
    let path = format!("/api/v1/real-name-reviews/{id}");
    app.get(&path, Some(&elsewhere))
        .await
        .expect_problem(404, "not_found");
    decide(&app, &elsewhere, &id, json!({"decision": "approve"}))
        .await
        .expect_problem(404, "not_found");
    for upload in [&front, &back] {
        let p = format!("/api/v1/uploads/{upload}");
        assert_eq!(app.get(&p, Some(&here)).await.status, 200);
        app.get(&p, Some(&elsewhere))
            .await
            .expect_problem(404, "not_found");
    }

    // The reviewer sees the details in full, to compare with the scans.
    let detail = app.get(&path, Some(&here)).await;
    assert_eq!(detail.status, 200, "{}", detail.text);
    let detail = detail.json();
    assert_eq!(detail["name"], "李护照");
    assert_eq!(detail["document_kind"], "foreign_passport");
    assert_eq!(detail["document_number"], "E7654321");
    assert_eq!(detail["front_upload_id"], front.as_str());
    assert_eq!(detail["state"], "pending");

    let r = decide(&app, &here, &id, json!({"decision": "approve"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["state"], "approved");
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["real_name"]["status"], "manual_verified");
    assert_eq!(me["real_name"]["label"], "人工审核通过");
    assert_eq!(me["real_name"]["verified"], true);
    assert_eq!(me["real_name"]["source"], "manual");
    assert_eq!(
        last_sms(&app, "13900000061").await,
        "【战友】您的实名认证人工审核已通过。"
    );
    assert!(queue_ids(&app, &here).await.is_empty());

    // Decided once: again, or more scans, is refused.
    decide(
        &app,
        &here,
        &id,
        json!({"decision": "reject", "reason": "晚了"}),
    )
    .await
    .expect_problem(409, "illegal_transition");
    let r = request_review(&app, &token, &front, &back).await;
    let p = r.expect_problem(409, "real_name_already_verified");
    assert!(p.message.contains("只能查看已上传信息"), "{}", p.message);
    upload_scan(&app, &token, "front")
        .await
        .expect_problem(409, "real_name_already_verified");
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["real_name"]["status"], "manual_verified");
}

async fn new_scans_replace_a_waiting_request_and_a_rejection_gives_the_reason(app: TestApp) {
    let token = passport_holder(&app, "13900000071", "E7000001").await;
    let (_, reviewer) = kit::staff(&app, Role::Reviewer, "13700000071", &["110101"]).await;
    let first = requested(&app, &token).await;
    let second = requested(&app, &token).await;
    assert_ne!(first, second);
    // "以最后上传的材料为准": only the newest waits.
    assert_eq!(queue_ids(&app, &reviewer).await, [second.clone()]);
    let old = app
        .get(
            &format!("/api/v1/real-name-reviews/{first}"),
            Some(&reviewer),
        )
        .await
        .json();
    assert_eq!(old["state"], "superseded");
    decide(&app, &reviewer, &first, json!({"decision": "approve"}))
        .await
        .expect_problem(409, "illegal_transition");

    // A rejection needs a reason; a bad decision is refused; neither changes anything.
    let r = decide(&app, &reviewer, &second, json!({"decision": "reject"})).await;
    assert_eq!(r.field_codes(), ["reason:required"], "{}", r.text);
    let r = decide(&app, &reviewer, &second, json!({"decision": "maybe"})).await;
    assert_eq!(r.field_codes(), ["decision:decision_invalid"], "{}", r.text);
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["real_name"]["status"], "manual_pending");

    let r = decide(
        &app,
        &reviewer,
        &second,
        json!({"decision": "reject", "reason": "证件照片模糊,请重新拍摄"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["state"], "rejected");
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["real_name"]["status"], "manual_failed");
    assert_eq!(me["real_name"]["label"], "实名认证审核失败");
    assert_eq!(me["real_name"]["reason"], "证件照片模糊,请重新拍摄");
    assert_eq!(me["real_name"]["verified"], false);
    assert!(last_sms(&app, "13900000071").await.contains("未通过"));

    // After a refusal, new scans may be sent; an edit of a trigger field while they wait
    // withdraws them (the verifier decides again).
    let third = requested(&app, &token).await;
    assert_eq!(queue_ids(&app, &reviewer).await, [third.clone()]);
    let r = put_identity(&app, &token, json!({"document_number": "E7000002"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let out = r.json();
    assert_eq!(out["real_name"]["status"], "unverified");
    assert!(
        out["message"]
            .as_str()
            .unwrap()
            .contains("请重新上传相关信息"),
        "{out}"
    );
    assert!(queue_ids(&app, &reviewer).await.is_empty());
    decide(&app, &reviewer, &third, json!({"decision": "approve"}))
        .await
        .expect_problem(409, "illegal_transition");
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["real_name"]["status"], "unverified");
}

async fn manual_review_refuses_bad_scans_and_changes_nothing(app: TestApp) {
    let token = passport_holder(&app, "13900000081", "E7100001").await;
    let other = passport_holder(&app, "13900000082", "E7100002").await;

    // The scan's kind must be one of the two; the file must be an image.
    let r = upload_scan(&app, &token, "selfie").await;
    assert_eq!(r.field_codes(), ["kind:upload_kind_invalid"], "{}", r.text);
    let r = kit::post_multipart(
        &app,
        "/api/v1/me/identity/scans",
        &token,
        kit::BOUNDARY,
        kit::multipart("front", b"not an image"),
    )
    .await;
    r.expect_problem(415, "unsupported_media");

    let front = scan(&app, &token, "front").await;
    let back = scan(&app, &token, "back").await;
    let others = scan(&app, &other, "front").await;
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "",
            "",
            &["front_upload_id:required", "back_upload_id:required"],
        ),
        (
            &back,
            &front,
            &[
                "front_upload_id:upload_wrong_kind",
                "back_upload_id:upload_wrong_kind",
            ],
        ),
        (&others, &back, &["front_upload_id:upload_not_found"]),
        (
            "no-such-upload",
            &back,
            &["front_upload_id:upload_not_found"],
        ),
    ];
    for (f, b, codes) in cases {
        let r = request_review(&app, &token, f, b).await;
        assert_eq!(r.field_codes(), codes, "{}", r.text);
    }
    request_review(&app, "not-a-token", &front, &back)
        .await
        .expect_problem(401, "unauthorized");
    let me = app.get("/api/v1/me/identity", Some(&token)).await.json();
    assert_eq!(me["real_name"]["status"], "unverified");
    let (_, reviewer) = kit::staff(&app, Role::Reviewer, "13700000081", &["110101"]).await;
    assert!(queue_ids(&app, &reviewer).await.is_empty());
    app.get("/api/v1/real-name-reviews/no-such-request", Some(&reviewer))
        .await
        .expect_problem(404, "not_found");
}
