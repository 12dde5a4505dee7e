//! Authorization across users, account enumeration, the audit log, demo-only routes.

use std::time::Instant;

use serde_json::json;
use tests::{on_both_backends, spawn_with, Backend, ClockExt, Options, Person, TestApp, PASSWORD};

on_both_backends!(
    one_user_cannot_touch_another,
    unknown_account_and_wrong_password_look_the_same,
    audit_log_records_events_without_secrets,
);

async fn one_user_cannot_touch_another(app: TestApp) {
    let a = Person::new(1);
    let b = Person::new(2);
    let a_id = app.register(&a).await;
    let b_id = app.register(&b).await;
    let a_token = app.token(a.phone(), PASSWORD).await;
    let b_token = app.token(b.phone(), PASSWORD).await;

    // Each token sees only its own profile.
    assert_eq!(
        app.get("/api/v1/me", Some(&a_token)).await.json()["id"],
        a_id.as_str()
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&b_token)).await.json()["id"],
        b_id.as_str()
    );

    // A cannot take B's phone, even with a valid code for it (A's roster entry lacks it).
    let code = app.sms_code(b.phone(), "change_phone").await;
    let r = app
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/me/phone",
            &json!({"new_phone": b.phone(), "sms_code": code}),
            Some(&a_token),
        )
        .await;
    r.expect_problem(403, "phone_not_in_roster");
    assert_eq!(
        app.get("/api/v1/me", Some(&b_token)).await.json()["masked_phone"],
        "138****0004"
    );
    assert_eq!(app.login(b.phone(), PASSWORD).await.status, 200);

    // A cannot reset B's password with a code sent to A's phone.
    let code = app.sms_code(a.phone(), "reset_password").await;
    let r = app
        .post(
            "/api/v1/password-resets",
            &json!({"phone": b.phone(), "sms_code": code, "new_password": "hijack123"}),
        )
        .await;
    assert_eq!(
        r.expect_problem(422, "invalid_fields").errors[0].code,
        "sms_code_invalid"
    );
    assert_eq!(app.login(b.phone(), PASSWORD).await.status, 200);

    // A's logout ends only A's session.
    assert_eq!(
        app.delete("/api/v1/sessions/current", Some(&a_token))
            .await
            .status,
        204
    );
    assert_eq!(app.get("/api/v1/me", Some(&b_token)).await.status, 200);

    // Veterans cannot read the audit log; an admin can.
    app.get("/api/v1/audit-log", Some(&b_token))
        .await
        .expect_problem(403, "forbidden");
    let admin = make_admin(&app).await;
    assert_eq!(app.get("/api/v1/audit-log", Some(&admin)).await.status, 200);
}

/// Creates an admin account directly in the store and logs in.
async fn make_admin(app: &TestApp) -> String {
    let hash = server::passwords::Passwords::new(tests::TEST_HASH_COST)
        .unwrap()
        .hash("admin12345")
        .await
        .unwrap();
    app.store
        .insert_user(
            &server::store::NewUser {
                id: server::tokens::new_id(),
                role: shared::api::accounts::Role::Admin,
                person_id: None,
                name: "管理员".into(),
                id_number: None,
                phone: "13700000003".into(),
                password_hash: hash,
                id_valid_from: None,
                id_valid_to: None,
                districts: vec![],
            },
            app.clock.now_unix(),
        )
        .await
        .unwrap();
    app.token("13700000003", "admin12345").await
}

async fn unknown_account_and_wrong_password_look_the_same(app: TestApp) {
    let p = Person::new(3);
    app.register(&p).await;
    let unknown = "13999990000";
    let wrong = app.login(p.phone(), "wrong1234").await;
    let none = app.login(unknown, "wrong1234").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.status, none.status);
    assert_eq!(wrong.text, none.text, "bodies differ");
    assert_eq!(wrong.content_type, none.content_type);
    // Same for ID-number logins and for garbage.
    let none_id = app.login(&tests::id_number(99), "wrong1234").await;
    assert_eq!(none_id.text, wrong.text);
    let garbage = app.login("not-a-login", "wrong1234").await;
    assert_eq!(garbage.text, wrong.text);

    // Unknown logins lock too, so the lock does not tell them apart either.
    for _ in 0..3 {
        app.login(unknown, "wrong1234")
            .await
            .expect_problem(401, "bad_credentials");
    }
    app.login(unknown, "wrong1234")
        .await
        .expect_problem(423, "account_locked");

    // Both paths verify a hash: timing is of the same order (coarse check, not a benchmark).
    let q = Person::new(4);
    app.register(&q).await;
    let mut known_ns = 0u128;
    let mut unknown_ns = 0u128;
    for i in 0..3 {
        let (id, x) = app.captcha().await;
        let t = Instant::now();
        let r = app.post("/api/v1/sessions", &json!({"login": q.phone(), "password": "wrong1234", "captcha": {"id": id, "x": x}})).await;
        known_ns += t.elapsed().as_nanos();
        assert_eq!(r.status, 401);
        let (id, x) = app.captcha().await;
        let t = Instant::now();
        let other = format!("1399998000{i}");
        let r = app
            .post(
                "/api/v1/sessions",
                &json!({"login": other, "password": "wrong1234", "captcha": {"id": id, "x": x}}),
            )
            .await;
        unknown_ns += t.elapsed().as_nanos();
        assert_eq!(r.status, 401);
    }
    let ratio = known_ns as f64 / unknown_ns.max(1) as f64;
    assert!(
        (0.2..5.0).contains(&ratio),
        "known/unknown timing ratio {ratio}"
    );
}

async fn audit_log_records_events_without_secrets(app: TestApp) {
    let p = Person::new(5);
    let user_id = app.register(&p).await;
    for _ in 0..5 {
        let _ = app.login(p.phone(), "wrong1234").await;
    }
    let code = app.sms_code(p.phone(), "reset_password").await;
    let r = app
        .post(
            "/api/v1/password-resets",
            &json!({"phone": p.phone(), "sms_code": code, "new_password": "newpass123"}),
        )
        .await;
    assert_eq!(r.status, 204);
    let token = app.token(p.phone(), "newpass123").await;
    assert_eq!(
        app.delete("/api/v1/sessions/current", Some(&token))
            .await
            .status,
        204
    );

    let admin = make_admin(&app).await;
    let r = app.get("/api/v1/audit-log?limit=100", Some(&admin)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let events: Vec<(String, Option<String>)> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_owned(),
                e["user_id"].as_str().map(str::to_owned),
            )
        })
        .collect();
    for expected in [
        "account_registered",
        "login_failed",
        "account_locked",
        "password_reset",
        "login_succeeded",
        "logout",
    ] {
        assert!(
            events
                .iter()
                .any(|(e, u)| e == expected && u.as_deref() == Some(user_id.as_str())),
            "{expected} missing: {events:?}"
        );
    }
    for secret in [
        p.phone(),
        p.id_number.as_str(),
        PASSWORD,
        "newpass123",
        "wrong1234",
        code.as_str(),
        token.as_str(),
    ] {
        assert!(!r.text.contains(secret), "audit log contains a secret");
    }
    // Append-only: the database refuses to rewrite it.
    assert!(app.store.try_tamper_audit_log().await.is_err());
}

/// Without `--demo` the dev routes do not exist: 404, not 403.
#[tokio::test]
async fn dev_routes_do_not_exist_without_demo() {
    let app = spawn_with(Options {
        demo: false,
        ..Options::new(Backend::Sqlite)
    })
    .await
    .unwrap();
    let p = Person::new(1);
    app.enroll(&p).await;
    assert_eq!(
        app.post(
            "/api/v1/sms-codes",
            &json!({"phone": p.phone(), "purpose": "register"})
        )
        .await
        .status,
        202
    );
    app.get(&format!("/api/v1/dev/sms-outbox?phone={}", p.phone()), None)
        .await
        .expect_problem(404, "not_found");
    let c = app.get("/api/v1/captchas", None).await.json();
    let id = c["id"].as_str().unwrap();
    app.get(&format!("/api/v1/dev/captchas/{id}"), None)
        .await
        .expect_problem(404, "not_found");
    // The captcha's answer is nowhere in what the client receives.
    assert!(c.get("x").is_none() && c.get("answer").is_none());
    app.stop().await;

    // With demo mode the same routes answer.
    let demo = spawn_with(Options::new(Backend::Sqlite)).await.unwrap();
    assert_eq!(
        demo.get(&format!("/api/v1/dev/sms-outbox?phone={}", p.phone()), None)
            .await
            .status,
        200
    );
    demo.stop().await;
}

/// The demo seed loads a roster whose registered people can log in, and is idempotent.
#[tokio::test]
async fn demo_seed_logs_in_and_is_idempotent() {
    let app = spawn_with(Options::new(Backend::Sqlite)).await.unwrap();
    let logins = server::demo::seed(&app.state).await.unwrap();
    let again = server::demo::seed(&app.state).await.unwrap();
    assert_eq!(logins.len(), again.len());
    assert_eq!(app.store.roster_count().await.unwrap(), 12);
    // Five registered veterans; two staff, a reviewer and an admin.
    assert_eq!(app.store.user_count().await.unwrap(), 5 + 4);
    let text = server::demo::describe(&logins);
    for role in ["veteran", "staff", "reviewer", "admin"] {
        assert!(
            text.contains(role),
            "{role} missing from the printed logins"
        );
    }
    // Every printed ID number is valid.
    for l in &logins {
        if let Some(id) = &l.id_number {
            shared::id::IdNumber::parse(id, tests::test_today()).expect("valid demo ID number");
        }
    }
    // Registered veterans, staff and the admin log in with the demo password.
    let veteran = logins
        .iter()
        .find(|l| l.registered && l.role == shared::api::accounts::Role::Veteran)
        .unwrap();
    let token = app.token(&veteran.phone, server::demo::DEMO_PASSWORD).await;
    let me = app.get("/api/v1/me", Some(&token)).await.json();
    assert_eq!(me["role"], "veteran");
    assert!(me["category"].is_string());
    let staff = app.token("13700000001", server::demo::DEMO_PASSWORD).await;
    let me = app.get("/api/v1/me", Some(&staff)).await.json();
    assert_eq!(me["role"], "staff");
    assert_eq!(me["districts"].as_array().unwrap().len(), 2);
    // An unregistered demo person can register with a roster phone.
    let fresh = logins.iter().find(|l| !l.registered).unwrap();
    let code = app.sms_code(&fresh.phone, "register").await;
    let r = app
        .post(
            "/api/v1/accounts",
            &json!({"name": fresh.name, "id_number": fresh.id_number, "id_valid_from": "2020-06-01", "id_valid_to": null,
                    "phone": fresh.phone, "sms_code": code, "password": "Demo12345", "agree_terms": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    app.stop().await;
}
