//! Bad input of every field gets its own code; bad bodies get the problem shape, never axum's
//! plain-text defaults; nothing panics.

use serde_json::{json, Value};
use shared::error::UserError;
use tests::{on_both_backends, test_today, with_wrong_check, Person, TestApp, PASSWORD};

on_both_backends!(
    registration_reports_each_bad_field,
    registration_reports_every_error_at_once,
    roster_checks_on_registration,
    bodies_that_are_not_the_expected_json,
    sms_code_requests_are_validated,
    login_requires_every_field,
    unknown_routes_and_methods_are_problems,
);

/// Posts a registration with `field` replaced by `value`; returns the field errors.
async fn register_with(app: &TestApp, field: &str, value: Value) -> Vec<String> {
    let p = Person::new(1);
    let mut body = app.registration(&p, "123456");
    body[field] = value;
    let r = app.post("/api/v1/accounts", &body).await;
    r.expect_problem(422, "invalid_fields");
    r.field_codes()
}

async fn registration_reports_each_bad_field(app: TestApp) {
    let today = test_today();
    let p = Person::new(1);
    // The expected codes come from the shared parsers; the server must pass them through.
    let wrong_check = with_wrong_check(&p.id_number);
    let code = shared::id::IdNumber::parse(&wrong_check, today)
        .unwrap_err()
        .code();
    assert_eq!(code, "id_number_checksum");
    assert_eq!(
        register_with(&app, "id_number", json!(wrong_check)).await,
        vec![format!("id_number:{code}")]
    );

    let short = "abc12";
    let code = shared::password::PasswordPolicy::Platform
        .parse(short)
        .err()
        .map(|e| e.code())
        .unwrap();
    assert_eq!(
        register_with(&app, "password", json!(short)).await,
        vec![format!("password:{code}")]
    );
    let letters_only = "abcdefghij";
    let code = shared::password::PasswordPolicy::Platform
        .parse(letters_only)
        .err()
        .map(|e| e.code())
        .unwrap();
    assert_eq!(
        register_with(&app, "password", json!(letters_only)).await,
        vec![format!("password:{code}")]
    );

    let bad_phone = "12345";
    let code = shared::phone::MobilePhone::parse(bad_phone)
        .unwrap_err()
        .code();
    assert_eq!(
        register_with(&app, "phone", json!(bad_phone)).await,
        vec![format!("phone:{code}")]
    );

    let code = shared::name::PersonName::parse("").unwrap_err().code();
    assert_eq!(
        register_with(&app, "name", json!("")).await,
        vec![format!("name:{code}")]
    );

    assert_eq!(
        register_with(&app, "sms_code", json!("12ab56")).await,
        vec!["sms_code:sms_code_format"]
    );
    assert_eq!(
        register_with(&app, "sms_code", json!("")).await,
        vec!["sms_code:sms_code_empty"]
    );
    assert_eq!(
        register_with(&app, "agree_terms", json!(false)).await,
        vec!["agree_terms:terms_not_agreed"]
    );
    assert_eq!(
        register_with(&app, "id_valid_from", json!("2015-13-01")).await,
        vec!["id_valid_from:date_invalid"]
    );
    assert_eq!(
        register_with(&app, "id_valid_from", json!("")).await,
        vec!["id_valid_from:id_valid_from_empty"]
    );
    // Born 1960, card issued 2015 (aged 55): the law gives 长期有效, not a 10-year card.
    assert_eq!(
        register_with(&app, "id_valid_to", json!("2025-06-01")).await,
        vec!["id_valid_to:validity_long_term_required"]
    );
    assert_eq!(
        register_with(&app, "id_valid_from", json!("2030-01-01")).await,
        vec!["id_valid_from:validity_start_future"]
    );

    // Wrong JSON types, attributed to their field.
    assert_eq!(
        register_with(&app, "agree_terms", json!("yes")).await,
        vec!["agree_terms:wrong_type"]
    );
    assert_eq!(
        register_with(&app, "phone", json!(13800000002u64)).await,
        vec!["phone:wrong_type"]
    );
    assert_eq!(
        register_with(&app, "id_valid_to", json!(20250601)).await,
        vec!["id_valid_to:wrong_type"]
    );
}

async fn registration_reports_every_error_at_once(app: TestApp) {
    let body = json!({
        "name": "", "id_number": "11010119600101003", "id_valid_from": "x", "id_valid_to": null,
        "phone": "1", "sms_code": "1", "password": "short", "agree_terms": false
    });
    let r = app.post("/api/v1/accounts", &body).await;
    r.expect_problem(422, "invalid_fields");
    let fields: Vec<String> = r.problem().errors.iter().map(|e| e.field.clone()).collect();
    for f in [
        "name",
        "id_number",
        "id_valid_from",
        "phone",
        "sms_code",
        "password",
        "agree_terms",
    ] {
        assert!(
            fields.contains(&f.to_owned()),
            "{f} missing from {fields:?}"
        );
    }
    for e in r.problem().errors {
        assert!(
            e.message
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "not Chinese: {}",
            e.message
        );
        assert!(
            !e.message.contains("11010119600101003"),
            "message echoes the input"
        );
    }
    // An empty object: every field reported as missing, not a decoding failure.
    let r = app.post("/api/v1/accounts", &json!({})).await;
    r.expect_problem(422, "invalid_fields");
    assert!(r.problem().errors.len() >= 6, "{}", r.text);
}

async fn roster_checks_on_registration(app: TestApp) {
    // Not in the roster at all.
    let stranger = Person::new(20);
    let code = app.sms_code(stranger.phone(), "register").await;
    app.post("/api/v1/accounts", &app.registration(&stranger, &code))
        .await
        .expect_problem(403, "not_enrolled");

    // In the roster under another name.
    let p = Person::new(21);
    app.enroll(&p).await;
    let code = app.sms_code(p.phone(), "register").await;
    let mut body = app.registration(&p, &code);
    body["name"] = json!("王小二");
    app.post("/api/v1/accounts", &body)
        .await
        .expect_problem(403, "real_name_mismatch");

    // With a phone the roster does not hold for them.
    let code = app.sms_code("13911112222", "register").await;
    let mut body = app.registration(&p, &code);
    body["phone"] = json!("13911112222");
    app.post("/api/v1/accounts", &body)
        .await
        .expect_problem(403, "phone_not_in_roster");

    // A wrong SMS code.
    let _ = app.sms_code(p.phone(), "register").await;
    let body = app.registration(&p, "000000");
    let r = app.post("/api/v1/accounts", &body).await;
    if r.status == 422 {
        assert_eq!(r.field_codes(), vec!["sms_code:sms_code_invalid"]);
    } else {
        // 1 in a million: the random code was 000000.
        assert_eq!(r.status, 201);
    }
}

async fn bodies_that_are_not_the_expected_json(app: TestApp) {
    for path in [
        "/api/v1/accounts",
        "/api/v1/sessions",
        "/api/v1/sms-codes",
        "/api/v1/password-resets",
        "/api/v1/sessions/sms",
    ] {
        // Malformed JSON.
        app.post_raw(path, "application/json", b"{\"phone\": ".to_vec())
            .await
            .expect_problem(400, "malformed_json");
        app.post_raw(path, "application/json", b"{} trailing".to_vec())
            .await
            .expect_problem(400, "malformed_json");
        app.post_raw(path, "application/json", Vec::new())
            .await
            .expect_problem(400, "malformed_json");
        // Not JSON at all.
        app.post_raw(path, "text/plain", b"{}".to_vec())
            .await
            .expect_problem(415, "unsupported_media_type");
        // The wrong kind of JSON.
        let r = app
            .post_raw(path, "application/json", b"[1,2]".to_vec())
            .await;
        assert_eq!(r.field_codes(), vec!["body:wrong_type"], "{path}");
        // Oversized (well over the 16 KiB limit).
        let big = format!("{{\"name\": \"{}\"}}", "x".repeat(100 * 1024));
        app.post_raw(path, "application/json", big.into_bytes())
            .await
            .expect_problem(413, "payload_too_large");
    }
    // Non-UTF-8 bytes inside a string.
    app.post_raw(
        "/api/v1/sessions",
        "application/json",
        b"{\"login\": \"\xff\xfe\"}".to_vec(),
    )
    .await
    .expect_problem(400, "malformed_json");
    // Nested wrong types are named by their path.
    let r = app.post("/api/v1/sessions", &json!({"login": "13800000002", "password": PASSWORD, "captcha": {"id": "x", "x": "ten"}})).await;
    assert_eq!(r.field_codes(), vec!["captcha.x:wrong_type"]);
}

async fn sms_code_requests_are_validated(app: TestApp) {
    let r = app
        .post(
            "/api/v1/sms-codes",
            &json!({"phone": "", "purpose": "register"}),
        )
        .await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(r.problem().errors[0].field, "phone");
    let r = app
        .post(
            "/api/v1/sms-codes",
            &json!({"phone": "13800000002", "purpose": "party"}),
        )
        .await;
    assert_eq!(r.field_codes(), vec!["purpose:purpose_invalid"]);
    let r = app
        .post("/api/v1/sms-codes", &json!({"phone": "13800000002"}))
        .await;
    assert_eq!(r.field_codes(), vec!["purpose:purpose_empty"]);
    let r = app
        .post(
            "/api/v1/sms-codes",
            &json!({"phone": 13800000002u64, "purpose": "login"}),
        )
        .await;
    assert_eq!(r.field_codes(), vec!["phone:wrong_type"]);
    // The dev outbox validates its phone too.
    let r = app.get("/api/v1/dev/sms-outbox?phone=abc", None).await;
    r.expect_problem(422, "invalid_fields");
}

async fn login_requires_every_field(app: TestApp) {
    let r = app.post("/api/v1/sessions", &json!({})).await;
    r.expect_problem(422, "invalid_fields");
    let mut codes = r.field_codes();
    codes.sort();
    assert_eq!(
        codes,
        vec![
            "captcha:captcha_required",
            "login:login_empty",
            "password:password_empty"
        ]
    );
    let r = app
        .post(
            "/api/v1/sessions/sms",
            &json!({"phone": "13800000002", "sms_code": "12"}),
        )
        .await;
    assert_eq!(r.field_codes(), vec!["sms_code:sms_code_format"]);
    let r = app
        .post(
            "/api/v1/password-resets",
            &json!({"phone": "13800000002", "sms_code": "123456", "new_password": "123"}),
        )
        .await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(r.problem().errors[0].field, "new_password");
}

async fn unknown_routes_and_methods_are_problems(app: TestApp) {
    app.get("/api/v1/nothing-here", None)
        .await
        .expect_problem(404, "not_found");
    app.get("/", None).await.expect_problem(404, "not_found");
    app.get("/api/v1/sessions", None)
        .await
        .expect_problem(405, "method_not_allowed");
    app.delete("/api/v1/me", None)
        .await
        .expect_problem(405, "method_not_allowed");
    // Auth is checked: garbage and missing tokens.
    app.get("/api/v1/me", None)
        .await
        .expect_problem(401, "unauthorized");
    app.get("/api/v1/me", Some("not-a-token"))
        .await
        .expect_problem(401, "unauthorized");
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
}
