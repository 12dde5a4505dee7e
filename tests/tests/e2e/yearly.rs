//! The yearly rules of seed 001: review windows configured per year and category, what happens
//! to payments when the deadline passes (优抚对象: announced, suspended after 60 days, resumed
//! from re-confirmation without back pay; 自主择业军转干部: stopped from the next month, paid back
//! once registered), and the benefits office's CSV export.
//!
//! The tests' clock starts at 2025-04-01 10:00 Beijing time: the default window (1 January –
//! 31 March) has just closed.

use std::time::Duration;

use serde_json::{json, Value};
use shared::api::accounts::Role;
use tests::kit::{decide, staff, submit_review};
use tests::{on_both_backends, Person, TestApp, PASSWORD};

on_both_backends!(
    configured_window_is_returned_and_audited,
    bad_windows_are_refused_with_every_error,
    overdue_entitled_group_is_suspended_after_sixty_days_and_resumes_without_back_pay,
    self_employed_officer_is_stopped_next_month_and_paid_back,
    payment_csv_lists_the_right_rows,
    only_admins_configure_and_export,
);

const DAY: Duration = Duration::from_secs(86_400);

/// Enrolls `p` as `category`, registers and logs in.
async fn veteran(app: &TestApp, n: u32, category: &str) -> (Person, String) {
    let mut p = Person::new(n);
    p.category = category.to_owned();
    app.register(&p).await;
    let token = app.token(p.phone(), PASSWORD).await;
    (p, token)
}

async fn put_window(
    app: &TestApp,
    token: &str,
    year: &str,
    category: &str,
    body: Value,
) -> tests::Reply {
    app.send_json(
        reqwest::Method::PUT,
        &format!("/api/v1/admin/review-windows/{year}/{category}"),
        &body,
        Some(token),
    )
    .await
}

/// The export parsed: the rows after the header, each as its 8 fields. Checks the BOM and the
/// header on the way.
async fn csv(app: &TestApp, token: &str, query: &str) -> Vec<Vec<String>> {
    let r = app
        .get(
            &format!("/api/v1/admin/payment-status.csv?{query}"),
            Some(token),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.content_type.starts_with("text/csv"), "{}", r.content_type);
    let text = r.text.strip_prefix('\u{feff}').expect("a UTF-8 BOM");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("人员编号,姓名,服务对象类别,所属地区,年审状态,发放状态,起始日期,说明")
    );
    lines
        .map(|l| {
            let fields = csv_fields(l);
            assert_eq!(fields.len(), 8, "{l}");
            fields
        })
        .collect()
}

/// One CSV line (RFC 4180: fields with a comma or quote are quoted, quotes doubled; the notes
/// hold no line breaks).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// The export line of `p`.
async fn line_of(app: &TestApp, token: &str, year: i32, p: &Person) -> Vec<String> {
    let person = app
        .store
        .roster_by_id_number(&p.id_number)
        .await
        .unwrap()
        .expect("in roster")
        .id;
    csv(app, token, &format!("year={year}"))
        .await
        .into_iter()
        .find(|l| l[0] == person)
        .expect("the person is in the export")
}

async fn audit_events(app: &TestApp, admin: &str) -> Vec<Value> {
    let r = app.get("/api/v1/audit-log?limit=1000", Some(admin)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json().as_array().unwrap().clone()
}

async fn configured_window_is_returned_and_audited(app: TestApp) {
    let (admin_id, admin) = staff(&app, Role::Admin, "13900000001", &[]).await;
    let (_, token) = veteran(&app, 1, "self_employed_officer").await;

    // Default: 1 January – 31 March, now closed.
    let v = app
        .get("/api/v1/reviews/current", Some(&token))
        .await
        .json();
    assert_eq!(
        (v["opens"].as_str(), v["deadline"].as_str()),
        (Some("2025-01-01"), Some("2025-03-31"))
    );
    assert_eq!(v["status"], "overdue");

    let r = put_window(
        &app,
        &admin,
        "2025",
        "self_employed_officer",
        json!({"opens": "2025-02-01", "deadline": "2025-04-30"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rule = r.json();
    assert_eq!(rule["configured"], true);
    assert_eq!(rule["deadline"], "2025-04-30");
    assert_eq!(rule["payment_stops_on"], "2025-05-01");
    assert_eq!(rule["back_pay"], true);

    // The veteran sees the configured window: open again, not overdue.
    let v = app
        .get("/api/v1/reviews/current", Some(&token))
        .await
        .json();
    assert_eq!(v["opens"], "2025-02-01");
    assert_eq!(v["deadline"], "2025-04-30");
    assert_eq!(v["status"], "not_started");

    // Other categories and other years keep the defaults.
    let rules = app
        .get("/api/v1/admin/review-windows?year=2025", Some(&admin))
        .await
        .json();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), 5);
    for r in rules {
        let configured = r["category"] == "self_employed_officer";
        assert_eq!(r["configured"], configured, "{r}");
        if !configured {
            assert_eq!(r["deadline"], "2025-03-31", "{r}");
        }
        if r["category"] == "entitled_group" {
            assert_eq!(r["announced_on"], "2025-04-01");
            assert_eq!(r["payment_stops_on"], "2025-05-31");
            assert_eq!(r["back_pay"], false);
        }
    }
    let next = app
        .get("/api/v1/admin/review-windows?year=2026", Some(&admin))
        .await
        .json();
    assert!(next
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["configured"] == false));

    // Setting it again replaces it (one row per year and category).
    let r = put_window(
        &app,
        &admin,
        "2025",
        "自主择业军转干部",
        json!({"opens": "2025-01-15", "deadline": "2025-05-15"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = app
        .get("/api/v1/reviews/current", Some(&token))
        .await
        .json();
    assert_eq!(v["deadline"], "2025-05-15");

    let set: Vec<Value> = audit_events(&app, &admin)
        .await
        .into_iter()
        .filter(|e| e["event"] == "review_window_set")
        .collect();
    assert_eq!(set.len(), 2);
    assert_eq!(set[0]["user_id"], admin_id.as_str());
    assert_eq!(set[0]["detail"]["deadline"], "2025-05-15");
    assert_eq!(set[1]["detail"]["deadline"], "2025-04-30");
}

async fn bad_windows_are_refused_with_every_error(app: TestApp) {
    let (_, admin) = staff(&app, Role::Admin, "13900000001", &[]).await;
    let r = put_window(
        &app,
        &admin,
        "2025",
        "military_retiree",
        json!({"opens": "2024-12-01", "deadline": "2024-11-30", "announced_on": "2024-12-05"}),
    )
    .await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(
        r.field_codes(),
        [
            "opens:window_opens_outside_year",
            "deadline:window_deadline_before_opening",
            "announced_on:announcement_not_applicable"
        ]
    );
    let r = put_window(
        &app,
        &admin,
        "20x5",
        "nobody",
        json!({"opens": "2025-13-01", "deadline": ""}),
    )
    .await;
    assert_eq!(
        r.field_codes(),
        [
            "year:year_invalid",
            "category:category_unknown",
            "opens:date_invalid",
            "deadline:required"
        ]
    );
    let r = put_window(
        &app,
        &admin,
        "2025",
        "entitled_group",
        json!({"opens": "2025-01-01", "deadline": "2025-03-31", "announced_on": "2025-03-31"}),
    )
    .await;
    assert_eq!(
        r.field_codes(),
        ["announced_on:announcement_before_deadline"]
    );
    // Nothing was stored.
    let rules = app
        .get("/api/v1/admin/review-windows?year=2025", Some(&admin))
        .await
        .json();
    assert!(rules
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["configured"] == false));
    app.get("/api/v1/admin/review-windows?year=1999", Some(&admin))
        .await
        .expect_problem(422, "invalid_fields");
}

async fn overdue_entitled_group_is_suspended_after_sixty_days_and_resumes_without_back_pay(
    app: TestApp,
) {
    let (_, admin) = staff(&app, Role::Admin, "13900000001", &[]).await;
    let (p, _) = veteran(&app, 1, "entitled_group").await;

    // 2025-04-01: the deadline has passed; announced by default the day after it.
    let l = line_of(&app, &admin, 2025, &p).await;
    assert_eq!(l[2], "优抚对象");
    assert_eq!(
        (l[4].as_str(), l[5].as_str(), l[6].as_str()),
        ("overdue", "announced", "2025-04-01")
    );
    assert!(l[7].contains("2025-05-31起仍未确认的暂停发放"), "{}", l[7]);

    // Day 59 after the announcement: still only announced.
    app.clock.advance(59 * DAY);
    let admin = app.token("13900000001", PASSWORD).await;
    let l = line_of(&app, &admin, 2025, &p).await;
    assert_eq!(l[5], "announced");

    // Day 60: suspended, without back pay.
    app.clock.advance(DAY);
    let admin = app.token("13900000001", PASSWORD).await;
    let l = line_of(&app, &admin, 2025, &p).await;
    assert_eq!((l[5].as_str(), l[6].as_str()), ("suspended", "2025-05-31"));
    assert!(l[7].contains("不予补发"), "{}", l[7]);

    // Re-confirmed on 2025-06-10: submitted (waiting) is still suspended, approved resumes
    // payment from the submission's day, without back pay.
    app.clock.advance(10 * DAY);
    let token = app.token(p.phone(), PASSWORD).await;
    let r = submit_review(&app, &p, &token, "late").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let submission = r.json()["submission_id"].as_str().unwrap().to_owned();
    let admin = app.token("13900000001", PASSWORD).await;
    let l = line_of(&app, &admin, 2025, &p).await;
    assert_eq!((l[4].as_str(), l[5].as_str()), ("submitted", "suspended"));
    assert!(l[7].starts_with("2025-06-10已提交,待审核"), "{}", l[7]);

    app.clock.advance(3 * DAY);
    let admin = app.token("13900000001", PASSWORD).await;
    let (_, reviewer) = staff(&app, Role::Reviewer, "13700000001", &["110101"]).await;
    let r = decide(&app, &reviewer, &submission, json!({"decision": "approve"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let l = line_of(&app, &admin, 2025, &p).await;
    assert_eq!(
        (l[4].as_str(), l[5].as_str(), l[6].as_str()),
        ("approved", "resumed", "2025-06-10")
    );
    assert!(l[7].contains("暂停期间不予补发"), "{}", l[7]);
}

async fn self_employed_officer_is_stopped_next_month_and_paid_back(app: TestApp) {
    let (_, admin) = staff(&app, Role::Admin, "13900000001", &[]).await;
    let (p, token) = veteran(&app, 1, "self_employed_officer").await;
    // 2025-04-01: stopped from the first of the month after the deadline, to be paid back.
    let l = line_of(&app, &admin, 2025, &p).await;
    assert_eq!((l[5].as_str(), l[6].as_str()), ("suspended", "2025-04-01"));
    assert!(l[7].contains("停发期间予以补发"), "{}", l[7]);

    let r = submit_review(&app, &p, &token, "k").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let submission = r.json()["submission_id"].as_str().unwrap().to_owned();
    let (_, reviewer) = staff(&app, Role::Reviewer, "13700000001", &["110101"]).await;
    let r = decide(&app, &reviewer, &submission, json!({"decision": "approve"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let l = line_of(&app, &admin, 2025, &p).await;
    assert_eq!((l[5].as_str(), l[6].as_str()), ("resumed", "2025-04-01"));
    assert!(l[7].contains("停发期间予以补发"), "{}", l[7]);
}

async fn payment_csv_lists_the_right_rows(app: TestApp) {
    let (admin_id, admin) = staff(&app, Role::Admin, "13900000001", &[]).await;
    // The window of 军休干部 still open this year; everyone else's has closed.
    let r = put_window(
        &app,
        &admin,
        "2025",
        "military_retiree",
        json!({"opens": "2025-01-01", "deadline": "2025-06-30"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let categories = [
        "military_retiree",
        "self_employed_officer",
        "monthly_pension_veteran",
        "non_military_retiree",
        "entitled_group",
    ];
    let mut people = Vec::new();
    for (n, c) in categories.iter().enumerate() {
        let mut p = Person::new(n as u32 + 1);
        p.category = c.to_string();
        app.enroll(&p).await;
        people.push(p);
    }
    // One more 军休干部, who has done this year's review on time (in the extended window).
    let (done, token) = veteran(&app, 7, "military_retiree").await;
    let r = submit_review(&app, &done, &token, "k").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let submission = r.json()["submission_id"].as_str().unwrap().to_owned();
    let (_, reviewer) = staff(&app, Role::Reviewer, "13700000001", &["110101"]).await;
    let r = decide(&app, &reviewer, &submission, json!({"decision": "approve"})).await;
    assert_eq!(r.status, 200, "{}", r.text);

    let rows = csv(&app, &admin, "year=2025").await;
    assert_eq!(rows.len(), 6, "{rows:?}");
    let expect = |p: &Person| {
        let label = shared::category::Category::parse(&p.category)
            .unwrap()
            .label_zh();
        let masked = format!("**{}", p.name.chars().last().unwrap());
        (label, masked)
    };
    let mut seen = Vec::new();
    for p in people.iter().chain([&done]) {
        let id = app
            .store
            .roster_by_id_number(&p.id_number)
            .await
            .unwrap()
            .unwrap()
            .id;
        let row = rows.iter().find(|r| r[0] == id).expect("listed");
        let (label, masked) = expect(p);
        assert_eq!(row[1], masked);
        assert_eq!(row[2], label);
        assert_eq!(row[3], "110101");
        seen.push((
            p.category.clone(),
            row[4].clone(),
            row[5].clone(),
            row[6].clone(),
        ));
    }
    assert_eq!(
        seen,
        [
            ("military_retiree", "not_started", "due", ""),
            (
                "self_employed_officer",
                "overdue",
                "suspended",
                "2025-04-01"
            ),
            (
                "monthly_pension_veteran",
                "overdue",
                "overdue",
                "2025-04-01"
            ),
            ("non_military_retiree", "overdue", "overdue", "2025-04-01"),
            ("entitled_group", "overdue", "announced", "2025-04-01"),
            ("military_retiree", "approved", "on_time", "2025-04-01"),
        ]
        .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned()))
    );
    // Nothing that identifies a person beyond the roster id: no ID numbers, phones or names.
    let raw = app
        .get("/api/v1/admin/payment-status.csv?year=2025", Some(&admin))
        .await
        .text;
    for p in people.iter().chain([&done]) {
        assert!(!raw.contains(&p.id_number));
        assert!(!raw.contains(p.phone()));
        assert!(!raw.contains(&p.name), "{}", p.name);
    }

    // One category; its Chinese label works too.
    let only = csv(&app, &admin, "year=2025&category=优抚对象").await;
    assert_eq!(only.len(), 1);
    assert_eq!(only[0][2], "优抚对象");
    // Another year: the same roster, nothing done, that year's default window.
    let next = csv(&app, &admin, "year=2024").await;
    assert_eq!(next.len(), 6);
    assert!(next.iter().all(|r| r[4] == "overdue"), "{next:?}");

    let r = app
        .get("/api/v1/admin/payment-status.csv", Some(&admin))
        .await;
    r.expect_problem(422, "invalid_fields");
    assert_eq!(r.field_codes(), ["year:required"]);
    let r = app
        .get(
            "/api/v1/admin/payment-status.csv?year=2025&category=x",
            Some(&admin),
        )
        .await;
    assert_eq!(r.field_codes(), ["category:category_unknown"]);

    let exports: Vec<Value> = audit_events(&app, &admin)
        .await
        .into_iter()
        .filter(|e| e["event"] == "payment_status_exported")
        .collect();
    assert_eq!(exports.len(), 4);
    assert!(exports.iter().all(|e| e["user_id"] == admin_id.as_str()));
    // Newest first: the 2024 export, the one-category export, the raw read, the first.
    assert_eq!(exports[3]["detail"]["rows"], "6");
    assert_eq!(exports[1]["detail"]["category"], "entitled_group");
    assert_eq!(exports[1]["detail"]["rows"], "1");
}

async fn only_admins_configure_and_export(app: TestApp) {
    let (_, veteran_token) = veteran(&app, 1, "entitled_group").await;
    let (_, reviewer) = staff(&app, Role::Reviewer, "13700000001", &["110101"]).await;
    let (_, worker) = staff(&app, Role::Staff, "13700000002", &["110101"]).await;
    for token in [&veteran_token, &reviewer, &worker] {
        app.get("/api/v1/admin/payment-status.csv?year=2025", Some(token))
            .await
            .expect_problem(403, "forbidden");
        app.get("/api/v1/admin/review-windows", Some(token))
            .await
            .expect_problem(403, "forbidden");
        put_window(
            &app,
            token,
            "2025",
            "entitled_group",
            json!({"opens": "2025-01-01", "deadline": "2025-12-31"}),
        )
        .await
        .expect_problem(403, "forbidden");
    }
    app.get("/api/v1/admin/payment-status.csv?year=2025", None)
        .await
        .expect_problem(401, "unauthorized");
    // The veteran's window did not move.
    let v = app
        .get("/api/v1/reviews/current", Some(&veteran_token))
        .await
        .json();
    assert_eq!(v["deadline"], "2025-03-31");
}
