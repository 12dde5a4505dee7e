//! The account journeys of seeds 000 and 001: register → login → lockout → reset → login, SMS
//! login, logout, phone change.

use std::time::Duration;

use serde_json::json;
use tests::{on_both_backends, ClockExt, Person, TestApp, PASSWORD};

on_both_backends!(
    register_login_lockout_reset_login,
    lock_expires_after_fifteen_minutes,
    failed_slider_counts_as_a_failure,
    sms_login,
    sms_codes_are_rate_limited_per_phone,
    logout_revokes_the_token,
    phone_change_only_to_roster_numbers,
    health_and_openapi,
);

async fn register_login_lockout_reset_login(app: TestApp) {
    let p = Person::new(1);
    let user_id = app.register(&p).await;

    // Registering the same person again.
    let code = app.sms_code(p.phone(), "register").await;
    app.post("/api/v1/accounts", &app.registration(&p, &code))
        .await
        .expect_problem(409, "already_registered");

    // Log in by phone and by ID number.
    let r = app.login(p.phone(), PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let session = r.json();
    assert_eq!(session["user"]["id"], user_id.as_str());
    assert_eq!(session["user"]["role"], "veteran");
    assert_eq!(
        session["user"]["masked_name"],
        format!("**{}", p.name.chars().last().unwrap())
    );
    let token = session["token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 22, "token has at least 128 bits");
    let expires =
        chrono::DateTime::parse_from_rfc3339(session["expires_at"].as_str().unwrap()).unwrap();
    assert!(expires.timestamp() > app.clock.now_unix());
    let by_id = app.token(&p.id_number, PASSWORD).await;
    assert_ne!(by_id, token);

    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    let me = me.json();
    assert_eq!(me["id"], user_id.as_str());
    assert_eq!(me["masked_phone"], "138****0002");
    assert_eq!(me["masked_id_number"].as_str().unwrap().len(), 18);
    assert!(me["masked_id_number"]
        .as_str()
        .unwrap()
        .contains("********"));
    assert!(
        !me.to_string().contains(&p.id_number),
        "full ID number leaked"
    );
    assert!(!me.to_string().contains(p.phone()), "full phone leaked");
    assert_eq!(me["category"], "self_employed_officer");
    assert_eq!(me["category_label"], "自主择业军转干部");
    assert_eq!(me["districts"][0]["code"], "110101");
    assert!(me["districts"][0]["name"]
        .as_str()
        .unwrap()
        .contains("东城区"));

    // Four wrong passwords: 401 each. The fifth locks: 423 with locked_until.
    for _ in 0..4 {
        app.login(p.phone(), "wrong1234")
            .await
            .expect_problem(401, "bad_credentials");
    }
    let locked = app
        .login(&p.id_number, "wrong1234")
        .await
        .expect_problem(423, "account_locked");
    let until =
        chrono::DateTime::parse_from_rfc3339(locked.locked_until.as_deref().unwrap()).unwrap();
    assert_eq!(until.timestamp(), app.clock.now_unix() + 15 * 60);
    // Even the right password is refused now.
    app.login(p.phone(), PASSWORD)
        .await
        .expect_problem(423, "account_locked");

    // Reset by SMS: 204, every session revoked, the lock lifted.
    let code = app.sms_code(p.phone(), "reset_password").await;
    let r = app
        .post(
            "/api/v1/password-resets",
            &json!({"phone": p.phone(), "sms_code": code, "new_password": "newpass123"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.get("/api/v1/me", Some(&token))
        .await
        .expect_problem(401, "unauthorized");
    app.get("/api/v1/me", Some(&by_id))
        .await
        .expect_problem(401, "unauthorized");
    // The code is single use.
    let again = app
        .post(
            "/api/v1/password-resets",
            &json!({"phone": p.phone(), "sms_code": code, "new_password": "other1234"}),
        )
        .await;
    assert_eq!(
        again.expect_problem(422, "invalid_fields").errors[0].code,
        "sms_code_invalid"
    );

    app.login(p.phone(), PASSWORD)
        .await
        .expect_problem(401, "bad_credentials");
    let fresh = app.token(p.phone(), "newpass123").await;
    assert_eq!(app.get("/api/v1/me", Some(&fresh)).await.status, 200);
}

async fn lock_expires_after_fifteen_minutes(app: TestApp) {
    let p = Person::new(2);
    app.register(&p).await;
    for _ in 0..4 {
        app.login(p.phone(), "wrong1234")
            .await
            .expect_problem(401, "bad_credentials");
    }
    app.login(p.phone(), "wrong1234")
        .await
        .expect_problem(423, "account_locked");
    app.clock.advance(Duration::from_secs(14 * 60));
    app.login(p.phone(), PASSWORD)
        .await
        .expect_problem(423, "account_locked");
    app.clock.advance(Duration::from_secs(61));
    assert_eq!(app.login(p.phone(), PASSWORD).await.status, 200);

    // Failures spread over more than 15 minutes do not add up.
    for _ in 0..4 {
        app.login(p.phone(), "wrong1234")
            .await
            .expect_problem(401, "bad_credentials");
    }
    app.clock.advance(Duration::from_secs(16 * 60));
    app.login(p.phone(), "wrong1234")
        .await
        .expect_problem(401, "bad_credentials");
    // A success resets the streak.
    assert_eq!(app.login(p.phone(), PASSWORD).await.status, 200);
    for _ in 0..4 {
        app.login(p.phone(), "wrong1234")
            .await
            .expect_problem(401, "bad_credentials");
    }
    assert_eq!(app.login(p.phone(), PASSWORD).await.status, 200);
}

async fn failed_slider_counts_as_a_failure(app: TestApp) {
    let p = Person::new(3);
    app.register(&p).await;

    // A slider that is off, with the right password: 401, counted.
    let slide = |x_offset: i64| {
        let app = app.clone();
        let phone = p.phone().to_owned();
        async move {
            let (id, x) = app.captcha().await;
            app.post("/api/v1/sessions", &json!({"login": phone, "password": PASSWORD, "captcha": {"id": id, "x": x + x_offset}}))
                .await
        }
    };
    slide(40).await.expect_problem(401, "bad_credentials");
    slide(-40).await.expect_problem(401, "bad_credentials");
    // Within the tolerance is fine.
    assert_eq!(slide(3).await.status, 200);

    // A captcha is single use.
    let (id, x) = app.captcha().await;
    let body = json!({"login": p.phone(), "password": PASSWORD, "captcha": {"id": id, "x": x}});
    assert_eq!(app.post("/api/v1/sessions", &body).await.status, 200);
    app.post("/api/v1/sessions", &body)
        .await
        .expect_problem(401, "bad_credentials");
    // Unknown and expired captchas fail too.
    let unknown =
        json!({"login": p.phone(), "password": PASSWORD, "captcha": {"id": "nope", "x": 10}});
    app.post("/api/v1/sessions", &unknown)
        .await
        .expect_problem(401, "bad_credentials");
    let (id, x) = app.captcha().await;
    app.clock.advance(Duration::from_secs(121));
    let expired = json!({"login": p.phone(), "password": PASSWORD, "captcha": {"id": id, "x": x}});
    app.post("/api/v1/sessions", &expired)
        .await
        .expect_problem(401, "bad_credentials");
    // (Three failures so far; a success resets the streak.)
    assert_eq!(slide(0).await.status, 200);

    // Five slider failures in a row lock the account.
    for _ in 0..4 {
        slide(60).await.expect_problem(401, "bad_credentials");
    }
    slide(60).await.expect_problem(423, "account_locked");
    slide(0).await.expect_problem(423, "account_locked");
}

async fn sms_login(app: TestApp) {
    let p = Person::new(4);
    let user_id = app.register(&p).await;
    let code = app.sms_code(p.phone(), "login").await;
    let r = app
        .post(
            "/api/v1/sessions/sms",
            &json!({"phone": p.phone(), "sms_code": code}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["user"]["id"], user_id.as_str());
    let token = r.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status, 200);

    // Single use.
    let again = app
        .post(
            "/api/v1/sessions/sms",
            &json!({"phone": p.phone(), "sms_code": code}),
        )
        .await;
    assert_eq!(
        again.expect_problem(422, "invalid_fields").errors[0].code,
        "sms_code_invalid"
    );

    // A code for another purpose does not work.
    let reg_code = app.sms_code(p.phone(), "register").await;
    let r = app
        .post(
            "/api/v1/sessions/sms",
            &json!({"phone": p.phone(), "sms_code": reg_code}),
        )
        .await;
    assert_eq!(
        r.expect_problem(422, "invalid_fields").errors[0].code,
        "sms_code_invalid"
    );

    // Expired after 5 minutes.
    let code = app.sms_code(p.phone(), "login").await;
    app.clock.advance(Duration::from_secs(5 * 60 + 1));
    let r = app
        .post(
            "/api/v1/sessions/sms",
            &json!({"phone": p.phone(), "sms_code": code}),
        )
        .await;
    assert_eq!(
        r.expect_problem(422, "invalid_fields").errors[0].code,
        "sms_code_invalid"
    );

    // Five wrong guesses void the code, even the right one afterwards.
    let code = app.sms_code(p.phone(), "login").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let r = app
            .post(
                "/api/v1/sessions/sms",
                &json!({"phone": p.phone(), "sms_code": wrong}),
            )
            .await;
        r.expect_problem(422, "invalid_fields");
    }
    let r = app
        .post(
            "/api/v1/sessions/sms",
            &json!({"phone": p.phone(), "sms_code": code}),
        )
        .await;
    assert_eq!(
        r.expect_problem(422, "invalid_fields").errors[0].code,
        "sms_code_invalid"
    );

    // A phone without an account: 202 like any other, but nothing is sent.
    let stranger = "13912345678";
    app.clock.advance(Duration::from_secs(61));
    let r = app
        .post(
            "/api/v1/sms-codes",
            &json!({"phone": stranger, "purpose": "login"}),
        )
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(app.outbox_len(stranger).await, 0);
}

async fn sms_codes_are_rate_limited_per_phone(app: TestApp) {
    let phone = "13800001111";
    let first = app
        .post(
            "/api/v1/sms-codes",
            &json!({"phone": phone, "purpose": "register"}),
        )
        .await;
    assert_eq!(first.status, 202, "{}", first.text);
    app.clock.advance(Duration::from_secs(20));
    let second = app
        .post(
            "/api/v1/sms-codes",
            &json!({"phone": phone, "purpose": "login"}),
        )
        .await;
    let p = second.expect_problem(429, "too_many_requests");
    assert_eq!(p.retry_after, Some(40));
    assert_eq!(
        second
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("40")
    );
    // Another phone is not affected.
    assert_eq!(
        app.post(
            "/api/v1/sms-codes",
            &json!({"phone": "13800002222", "purpose": "register"})
        )
        .await
        .status,
        202
    );
    app.clock.advance(Duration::from_secs(40));
    assert_eq!(
        app.post(
            "/api/v1/sms-codes",
            &json!({"phone": phone, "purpose": "register"})
        )
        .await
        .status,
        202
    );
    assert_eq!(app.outbox_len(phone).await, 2);
    // The message says how long the code is valid, and the code is 6 digits.
    let code = app.last_code(phone).await.unwrap();
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
}

async fn logout_revokes_the_token(app: TestApp) {
    let p = Person::new(5);
    app.register(&p).await;
    let token = app.token(p.phone(), PASSWORD).await;
    let other = app.token(p.phone(), PASSWORD).await;
    assert_eq!(
        app.delete("/api/v1/sessions/current", Some(&token))
            .await
            .status,
        204
    );
    app.get("/api/v1/me", Some(&token))
        .await
        .expect_problem(401, "unauthorized");
    app.delete("/api/v1/sessions/current", Some(&token))
        .await
        .expect_problem(401, "unauthorized");
    // Only that session ends.
    assert_eq!(app.get("/api/v1/me", Some(&other)).await.status, 200);

    // Sessions expire.
    app.clock.advance(Duration::from_secs(12 * 3600 + 1));
    app.get("/api/v1/me", Some(&other))
        .await
        .expect_problem(401, "unauthorized");
}

async fn phone_change_only_to_roster_numbers(app: TestApp) {
    let p = Person::new(6);
    app.register(&p).await;
    let token = app.token(p.phone(), PASSWORD).await;
    let put = |phone: String, code: String| {
        let app = app.clone();
        let token = token.clone();
        async move {
            app.send_json(
                reqwest::Method::PUT,
                "/api/v1/me/phone",
                &json!({"new_phone": phone, "sms_code": code}),
                Some(&token),
            )
            .await
        }
    };

    // Not in the roster for this person: go to the service centre.
    let stranger = "13987654321";
    let code = app.sms_code(stranger, "change_phone").await;
    let r = put(stranger.to_owned(), code).await;
    let problem = r.expect_problem(403, "phone_not_in_roster");
    assert!(problem.message.contains("退役军人服务中心"));

    // The second roster number: needs its own valid code.
    let new_phone = p.phones[1].clone();
    let r = put(new_phone.clone(), "123456".to_owned()).await;
    assert_eq!(
        r.expect_problem(422, "invalid_fields").errors[0].code,
        "sms_code_invalid"
    );
    let code = app.sms_code(&new_phone, "change_phone").await;
    let r = put(new_phone.clone(), code).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let me = app.get("/api/v1/me", Some(&token)).await.json();
    assert_eq!(me["masked_phone"], "138****0013");
    // The new number logs in; the old one no longer does.
    assert_eq!(app.login(&new_phone, PASSWORD).await.status, 200);
    app.login(p.phone(), PASSWORD)
        .await
        .expect_problem(401, "bad_credentials");

    // A roster number that another account already uses (a shared family phone).
    let q = Person {
        phones: vec!["13800009999".into(), new_phone.clone()],
        ..Person::new(7)
    };
    app.register(&q).await;
    let q_token = app.token("13800009999", PASSWORD).await;
    let code = app.sms_code(&new_phone, "change_phone").await;
    let r = app
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/me/phone",
            &json!({"new_phone": new_phone, "sms_code": code}),
            Some(&q_token),
        )
        .await;
    r.expect_problem(409, "phone_in_use");

    // Without a session: 401.
    let r = app
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/me/phone",
            &json!({"new_phone": new_phone, "sms_code": "123456"}),
            None,
        )
        .await;
    r.expect_problem(401, "unauthorized");
}

async fn health_and_openapi(app: TestApp) {
    let h = app.get("/healthz", None).await;
    assert_eq!(h.status, 200);
    assert_eq!(
        h.headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let doc = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    for path in [
        "/api/v1/sessions",
        "/api/v1/accounts",
        "/api/v1/me/phone",
        "/api/v1/captchas",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} undocumented");
    }
    // Every documented operation answers (not 404/405) on a demo server.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let url_path = path.replace("{id}", "x");
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = app
                .client
                .request(m, app.url(&url_path))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert!(
                status != 405 && (status != 404 || body.contains("not_found")),
                "{method} {path}: {status}"
            );
            if status == 404 {
                // Only the dev captcha lookup of an unknown id may be 404.
                assert_eq!(path, "/api/v1/dev/captchas/{id}");
            }
        }
    }
}
