//! Staff, reviewer and admin accounts in production (issue 16): an administrator creates them
//! with their role and districts, the holder sets a password with 忘记密码, and an administrator
//! disables (停用) and re-enables them; every change is audited; nobody else may do any of it.
//! On both backends.

use serde_json::{json, Value};
use shared::api::accounts::Role;
use tests::{kit, on_both_backends, Person, TestApp, PASSWORD};

on_both_backends!(
    an_admin_creates_a_reviewer_who_sets_a_password_and_works_the_district,
    a_disabled_account_loses_its_sessions_and_cannot_log_in_until_enabled,
    account_creation_refuses_bad_input_field_by_field_and_creates_nothing,
);

async fn create(app: &TestApp, token: &str, body: Value) -> tests::Reply {
    app.send_json(
        reqwest::Method::POST,
        "/api/v1/admin/accounts",
        &body,
        Some(token),
    )
    .await
}

async fn set_status(app: &TestApp, token: &str, id: &str, disabled: bool) -> tests::Reply {
    app.send_json(
        reqwest::Method::PUT,
        &format!("/api/v1/admin/accounts/{id}/status"),
        &json!({ "disabled": disabled }),
        Some(token),
    )
    .await
}

/// Sets the password of `phone`'s account through 忘记密码.
async fn set_password(app: &TestApp, phone: &str) {
    let code = app.sms_code(phone, "reset_password").await;
    let r = app
        .post(
            "/api/v1/password-resets",
            &json!({"phone": phone, "sms_code": code, "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
}

async fn audit_events(app: &TestApp, admin: &str) -> Vec<String> {
    let r = app.get("/api/v1/audit-log?limit=50", Some(admin)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["event"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn an_admin_creates_a_reviewer_who_sets_a_password_and_works_the_district(app: TestApp) {
    let (_, admin) = kit::staff(&app, Role::Admin, "13600000001", &[]).await;
    let r = create(
        &app,
        &admin,
        json!({"role": "reviewer", "name": "赵审核", "phone": "13600000002",
               "districts": ["110101", "110101"]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let out = r.json();
    assert_eq!(out["role"], "reviewer");
    let id = out["user_id"].as_str().expect("user_id").to_owned();
    let sms = app
        .get("/api/v1/dev/sms-outbox?phone=13600000002", None)
        .await
        .json();
    assert!(
        sms[0]["text"].as_str().unwrap().contains("忘记密码"),
        "{sms}"
    );

    // No password until the holder sets one: nothing the admin typed logs in.
    app.login("13600000002", PASSWORD)
        .await
        .expect_problem(401, "bad_credentials");
    set_password(&app, "13600000002").await;
    let session = app.login("13600000002", PASSWORD).await;
    assert_eq!(session.status, 200, "{}", session.text);
    assert_eq!(session.json()["user"]["role"], "reviewer");
    let reviewer = session.json()["token"].as_str().unwrap().to_owned();

    // The reviewer works the assigned district: a veteran's submission there is in the queue.
    let p = Person::new(161);
    app.enroll(&p).await;
    app.register_enrolled(&p).await;
    let veteran = app.token(p.phone(), PASSWORD).await;
    let sub = kit::submit_review(&app, &p, &veteran, "k-161").await;
    assert_eq!(sub.status, 201, "{}", sub.text);
    let queue = app.get("/api/v1/review-queue", Some(&reviewer)).await;
    assert_eq!(queue.status, 200, "{}", queue.text);
    assert_eq!(queue.json()["total"], 1, "{}", queue.text);

    // The list shows it masked, with its districts (deduplicated).
    let list = app.get("/api/v1/admin/accounts", Some(&admin)).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let list = list.json();
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["user_id"] == id.as_str())
        .expect("listed")
        .clone();
    assert_eq!(item["districts"], json!(["110101"]));
    assert_eq!(item["role_label"], "审核人员");
    assert_eq!(item["disabled"], false);
    assert!(!list.to_string().contains("13600000002"), "phone leaked");
    assert!(audit_events(&app, &admin)
        .await
        .contains(&"staff_account_created".to_owned()));

    // Nobody but an admin creates or lists accounts.
    for t in [&reviewer, &veteran] {
        create(
            &app,
            t,
            json!({"role": "admin", "name": "冒充", "phone": "13600000009"}),
        )
        .await
        .expect_problem(403, "forbidden");
        app.get("/api/v1/admin/accounts", Some(t))
            .await
            .expect_problem(403, "forbidden");
    }
    assert_eq!(
        app.get("/api/v1/admin/accounts", None).await.status,
        401,
        "no token"
    );
}

async fn a_disabled_account_loses_its_sessions_and_cannot_log_in_until_enabled(app: TestApp) {
    let (admin_id, admin) = kit::staff(&app, Role::Admin, "13600000011", &[]).await;
    let (staff_id, staff) = kit::staff(&app, Role::Staff, "13600000012", &["110101"]).await;
    assert_eq!(app.get("/api/v1/me", Some(&staff)).await.status, 200);

    let r = set_status(&app, &admin, &staff_id, true).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["disabled"], true);
    app.get("/api/v1/me", Some(&staff))
        .await
        .expect_problem(401, "unauthorized");
    let p = app
        .login("13600000012", PASSWORD)
        .await
        .expect_problem(403, "account_disabled");
    assert_eq!(p.message, "账号已停用,如有疑问请联系管理员");
    // A wrong password still says only that the credentials are wrong.
    app.login("13600000012", "wrong12345")
        .await
        .expect_problem(401, "bad_credentials");
    let code = app.sms_code("13600000012", "login").await;
    app.post(
        "/api/v1/sessions/sms",
        &json!({"phone": "13600000012", "sms_code": code}),
    )
    .await
    .expect_problem(403, "account_disabled");

    // Again: no change, still disabled. Self, veterans, unknown ids: refused.
    let r = set_status(&app, &admin, &staff_id, true).await;
    assert_eq!(r.json()["disabled"], true);
    set_status(&app, &admin, &admin_id, true)
        .await
        .expect_problem(409, "cannot_disable_self");
    let p = Person::new(162);
    app.enroll(&p).await;
    let veteran_id = app.register_enrolled(&p).await;
    let veteran = app.token(p.phone(), PASSWORD).await;
    set_status(&app, &admin, &veteran_id, true)
        .await
        .expect_problem(404, "not_found");
    set_status(&app, &admin, "no-such-user", true)
        .await
        .expect_problem(404, "not_found");
    set_status(&app, &veteran, &staff_id, false)
        .await
        .expect_problem(403, "forbidden");

    let r = set_status(&app, &admin, &staff_id, false).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["disabled"], false);
    let session = app.login("13600000012", PASSWORD).await;
    assert_eq!(session.status, 200, "{}", session.text);
    let events = audit_events(&app, &admin).await;
    assert_eq!(
        events.iter().filter(|e| *e == "account_disabled").count(),
        1,
        "{events:?}"
    );
    assert!(events.contains(&"account_enabled".to_owned()));
    assert!(events.contains(&"login_refused_disabled".to_owned()));
}

async fn account_creation_refuses_bad_input_field_by_field_and_creates_nothing(app: TestApp) {
    let (_, admin) = kit::staff(&app, Role::Admin, "13600000021", &[]).await;
    let before = app.get("/api/v1/admin/accounts", Some(&admin)).await.json()["items"]
        .as_array()
        .unwrap()
        .len();
    let cases = [
        (
            json!({"role": "", "name": "", "phone": ""}),
            vec!["role:role_empty", "name:name_empty", "phone:phone_empty"],
        ),
        (
            json!({"role": "veteran", "name": "钱", "phone": "1360000002"}),
            vec![
                "role:role_not_allowed",
                "name:name_too_short",
                "phone:phone_length",
            ],
        ),
        (
            json!({"role": "admin", "name": "钱管理", "phone": "13600000022",
                   "districts": ["110101"]}),
            vec!["districts:admin_has_no_districts"],
        ),
        (
            json!({"role": "staff", "name": "钱工作", "phone": "13600000022",
                   "districts": ["999999"], "id_number": "110101199001011234"}),
            vec![
                "id_number:id_number_checksum",
                "districts[0]:region_unknown",
            ],
        ),
    ];
    for (body, codes) in cases {
        let r = create(&app, &admin, body).await;
        assert_eq!(r.field_codes(), codes, "{}", r.text);
    }
    // The phone of an existing account.
    create(
        &app,
        &admin,
        json!({"role": "staff", "name": "钱工作", "phone": "13600000021"}),
    )
    .await
    .expect_problem(409, "phone_in_use");
    let after = app.get("/api/v1/admin/accounts", Some(&admin)).await.json()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "nothing created");
}
