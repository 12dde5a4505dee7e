//! Harness for Zhanyou's end-to-end tests (zero2prod's `spawn_app()` style): each test starts the
//! real server in-process on port 0 with a fresh database — a new SQLite file, or a new
//! PostgreSQL database when `ZHANYOU_TEST_POSTGRES` holds a server URL — and talks HTTP to it.
//!
//! The clock is a [`ManualClock`] so tests can jump ahead (lock expiry, SMS rate limits) without
//! sleeping. SMS codes and captcha answers are read through the demo-mode dev routes, exactly as
//! a tester would.

pub mod blocking;
pub mod gate;
pub mod kit;
pub mod load;
pub mod scenes;

use std::future::Future;
use std::sync::{Arc, Once};
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{json, Value};
use server::app::{Application, Dependencies, Settings};
use server::clock::ManualClock;
use server::passwords::HashCost;
use server::store::{RosterRecord, Store};
use shared::api::problem::Problem;
use tokio::sync::oneshot;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Cheap Argon2id parameters for tests (the production ones are measured by the benchmark).
pub const TEST_HASH_COST: HashCost = HashCost {
    memory_kib: 1024,
    iterations: 1,
    parallelism: 1,
};

/// A running server and a client for it. Cheap to clone.
#[derive(Clone)]
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// The server's clock (unless it was started with [`Options::system_clock`]).
    pub clock: ManualClock,
    pub store: Store,
    pub state: server::state::AppState,
    pub backend: Backend,
    inner: Arc<tokio::sync::Mutex<Running>>,
}

struct Running {
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

static SKIP_NOTE: Once = Once::new();

fn note_skip() {
    SKIP_NOTE.call_once(|| {
        use std::io::Write;
        // Written straight to stderr so the note shows even though the test harness captures
        // the output of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "note: ZHANYOU_TEST_POSTGRES is not set; the PostgreSQL variants of the end-to-end tests are skipped"
        );
    });
}

/// The PostgreSQL server URL for tests, if configured.
pub fn postgres_url() -> Option<String> {
    std::env::var("ZHANYOU_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// `url` with its database name replaced.
fn with_database(url: &str, db: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (url, None),
    };
    let after_scheme = main.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match main[after_scheme..].find('/') {
        Some(i) => &main[..after_scheme + i],
        None => main,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

async fn admin_exec(url: &str, sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::Executor::execute(&mut conn, sql).await?;
    conn.close().await
}

/// Options for [`spawn_with`].
#[derive(Clone)]
pub struct Options {
    pub backend: Backend,
    pub demo: bool,
    /// Reuse this data directory (restart tests); `None` = a fresh temporary one.
    pub data_dir: Option<std::path::PathBuf>,
    pub clock: Option<ManualClock>,
    /// The server reads the OS clock (for clients that read it too, like the app), not a
    /// [`ManualClock`]; [`TestApp::clock`] is then not the server's.
    pub system_clock: bool,
    /// `--liveness-actions`; `None` = the default (all four).
    pub liveness_actions: Option<shared::liveness::ActionSet>,
}

impl Options {
    pub fn new(backend: Backend) -> Options {
        Options {
            backend,
            demo: true,
            data_dir: None,
            clock: None,
            system_clock: false,
            liveness_actions: None,
        }
    }
}

/// Starts a server with dev routes on. `None` if the backend is PostgreSQL and no server is
/// configured (a note is printed once).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_with(Options::new(backend)).await
}

pub async fn spawn_with(opts: Options) -> Option<TestApp> {
    let (dir, data_dir) = match &opts.data_dir {
        Some(d) => (None, d.clone()),
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().to_path_buf();
            (Some(dir), path)
        }
    };
    let (database_url, pg) = match opts.backend {
        Backend::Sqlite => (None, None),
        Backend::Postgres => {
            let Some(admin) = postgres_url() else {
                note_skip();
                return None;
            };
            let db = format!("zy_test_{}", server::tokens::new_id());
            admin_exec(&admin, &format!("CREATE DATABASE \"{db}\""))
                .await
                .expect("create test database");
            (Some(with_database(&admin, &db)), Some((admin, db)))
        }
    };
    let clock = opts.clock.clone().unwrap_or_else(|| {
        // A fixed, ordinary date: 2025-04-01 10:00 Beijing time.
        ManualClock::at(chrono::DateTime::from_timestamp(1_743_472_800, 0).expect("valid time"))
    });
    let settings = Settings {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir,
        database_url,
        demo: opts.demo,
        hash_cost: TEST_HASH_COST,
        liveness_actions: opts
            .liveness_actions
            .unwrap_or_else(shared::liveness::ActionSet::all),
        ..Settings::default()
    };
    let server_clock: Arc<dyn server::clock::Clock> = if opts.system_clock {
        Arc::new(server::clock::SystemClock)
    } else {
        Arc::new(clock.clone())
    };
    let app = Application::build(
        settings,
        Dependencies {
            clock: server_clock,
            sms: None,
            identity: None,
        },
    )
    .await
    .expect("server starts");
    let base = format!("http://{}", app.local_addr());
    let store = app.state().store.clone();
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    Some(TestApp {
        base,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        clock,
        store,
        state,
        backend: opts.backend,
        inner: Arc::new(tokio::sync::Mutex::new(Running {
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
            pg,
        })),
    })
}

/// Runs `test` on `backend` (skipping PostgreSQL when it is not configured), then stops the
/// server and drops its database.
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    test(app.clone()).await;
    app.stop().await;
}

/// Generates one `#[tokio::test]` per backend for each listed `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    $crate::run($crate::Backend::Sqlite, super::$name).await;
                }
                #[tokio::test]
                async fn postgres() {
                    $crate::run($crate::Backend::Postgres, super::$name).await;
                }
            }
        )*
    };
}

/// A response, read.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The problem body; panics unless the response is problem+json.
    pub fn problem(&self) -> Problem {
        assert_eq!(
            self.content_type, "application/problem+json",
            "status {} body {}",
            self.status, self.text
        );
        let p: Problem = serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not a problem ({e}): {}", self.text));
        assert_eq!(p.status, self.status);
        p
    }

    /// Asserts status and problem code; returns the problem.
    pub fn expect_problem(&self, status: u16, code: &str) -> Problem {
        assert_eq!(self.status, status, "body: {}", self.text);
        let p = self.problem();
        assert_eq!(p.code, code, "body: {}", self.text);
        p
    }

    /// The codes of the field errors, as `field:code`.
    pub fn field_codes(&self) -> Vec<String> {
        self.problem()
            .errors
            .iter()
            .map(|e| format!("{}:{}", e.field, e.code))
            .collect()
    }
}

/// Reads a response whole: status, content type, headers and body text.
pub async fn read(res: reqwest::Response) -> Reply {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = res.text().await.expect("body");
    Reply {
        status,
        content_type,
        headers,
        text,
    }
}

/// A made-up person for the roster, with a valid 身份证号.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub id_number: String,
    pub phones: Vec<String>,
    pub category: String,
    pub district: String,
    pub id_valid_from: String,
}

/// ISO 7064 MOD 11-2 check character, computed independently of the server's code.
pub fn check_char(body: &str) -> char {
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(weights)
        .map(|(c, w)| c.to_digit(10).expect("digit") * w)
        .sum();
    ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize]
}

/// A valid 身份证号 for a man born 1960-01-01 in 北京市东城区 with sequence `n`.
pub fn id_number(n: u32) -> String {
    let body = format!("11010119600101{:03}", (2 * n + 1) % 1000);
    format!("{body}{}", check_char(&body))
}

/// The same number with a wrong check character.
pub fn with_wrong_check(id: &str) -> String {
    let (body, last) = id.split_at(17);
    let wrong = if last == "1" { '2' } else { '1' };
    format!("{body}{wrong}")
}

const NAMES: [&str; 8] = [
    "陈松",
    "王建国",
    "李秀英",
    "张伟",
    "刘洋",
    "赵敏",
    "孙立军",
    "周桂兰",
];

impl Person {
    /// The `n`th test person (0..): unique name/ID/phones within a test.
    pub fn new(n: u32) -> Person {
        Person {
            name: NAMES[(n as usize) % NAMES.len()].to_owned(),
            id_number: id_number(n),
            phones: vec![
                format!("1380000{:04}", 2 * n),
                format!("1380000{:04}", 2 * n + 1),
            ],
            category: "self_employed_officer".to_owned(),
            district: "110101".to_owned(),
            // Born 1960: issued at 55, so 长期有效.
            id_valid_from: "2015-06-01".to_owned(),
        }
    }

    pub fn phone(&self) -> &str {
        &self.phones[0]
    }
}

pub const PASSWORD: &str = "abc12345";

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        read(req.send().await.expect("request")).await
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
        token: Option<&str>,
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        read(req.send().await.expect("request")).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send_json(reqwest::Method::POST, path, body, None)
            .await
    }

    /// POSTs `body` to `path` as `token` with `Idempotency-Key: key` (a write that must happen
    /// once: a submission, a staff operation).
    pub async fn post_once(&self, path: &str, token: &str, key: &str, body: &Value) -> Reply {
        let req = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body);
        read(req.send().await.expect("request")).await
    }

    /// POST with a raw body and content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let req = self
            .client
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        read(req.send().await.expect("request")).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        let mut req = self.client.delete(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        read(req.send().await.expect("request")).await
    }

    /// Puts a person in the roster (as import-roster would).
    pub async fn enroll(&self, p: &Person) {
        self.enroll_with(p, None).await;
    }

    /// Puts a person in the roster with last year's accepted review (`last_review` JSON, for
    /// prefill); the person's id.
    pub async fn enroll_with(&self, p: &Person, last_review: Option<String>) -> String {
        let rec = RosterRecord {
            id: server::tokens::new_id(),
            name: p.name.clone(),
            id_number: p.id_number.clone(),
            phones: p.phones.clone(),
            category: p.category.clone(),
            district: p.district.clone(),
            reference_photo: None,
            last_review,
        };
        self.store
            .upsert_roster(&rec, server::clock::Clock::unix(&*self.state.clock))
            .await
            .expect("enroll")
    }

    /// Requests a code (after moving the clock past the per-phone interval) and reads it from
    /// the outbox.
    pub async fn sms_code(&self, phone: &str, purpose: &str) -> String {
        self.clock.advance(Duration::from_secs(61));
        let r = self
            .post(
                "/api/v1/sms-codes",
                &json!({"phone": phone, "purpose": purpose}),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
        self.last_code(phone).await.expect("a code was sent")
    }

    /// The newest code in the outbox for `phone`.
    pub async fn last_code(&self, phone: &str) -> Option<String> {
        let r = self
            .get(&format!("/api/v1/dev/sms-outbox?phone={phone}"), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()[0]["code"].as_str().map(str::to_owned)
    }

    /// How many messages `phone` has received.
    pub async fn outbox_len(&self, phone: &str) -> usize {
        let r = self
            .get(&format!("/api/v1/dev/sms-outbox?phone={phone}"), None)
            .await;
        r.json().as_array().map(Vec::len).unwrap_or(0)
    }

    /// A fresh captcha and its true answer.
    pub async fn captcha(&self) -> (String, i64) {
        let c = self.get("/api/v1/captchas", None).await;
        assert_eq!(c.status, 200, "{}", c.text);
        let id = c.json()["id"].as_str().expect("captcha id").to_owned();
        let a = self.get(&format!("/api/v1/dev/captchas/{id}"), None).await;
        assert_eq!(a.status, 200, "{}", a.text);
        (id, a.json()["x"].as_i64().expect("x"))
    }

    /// Logs in with a solved slider.
    pub async fn login(&self, login: &str, password: &str) -> Reply {
        let (id, x) = self.captcha().await;
        self.post(
            "/api/v1/sessions",
            &json!({"login": login, "password": password, "captcha": {"id": id, "x": x}}),
        )
        .await
    }

    /// Logs in and returns the token (panics unless 200).
    pub async fn token(&self, login: &str, password: &str) -> String {
        let r = self.login(login, password).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["token"].as_str().expect("token").to_owned()
    }

    /// A valid registration body for `p`.
    pub fn registration(&self, p: &Person, code: &str) -> Value {
        json!({
            "name": p.name, "id_number": p.id_number, "id_valid_from": p.id_valid_from, "id_valid_to": null,
            "phone": p.phone(), "sms_code": code, "password": PASSWORD, "agree_terms": true
        })
    }

    /// Enrolls and registers `p`; returns the user id.
    pub async fn register(&self, p: &Person) -> String {
        self.enroll(p).await;
        self.register_enrolled(p).await
    }

    /// Registers `p`, who is already in the roster; returns the user id.
    pub async fn register_enrolled(&self, p: &Person) -> String {
        let code = self.sms_code(p.phone(), "register").await;
        let r = self
            .post("/api/v1/accounts", &self.registration(p, &code))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()["user_id"].as_str().expect("user_id").to_owned()
    }

    /// Stops the server and drops its PostgreSQL database.
    pub async fn stop(&self) {
        let mut running = self.inner.lock().await;
        if let Some(stop) = running.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = running.task.take() {
            match tokio::time::timeout(Duration::from_secs(15), task).await {
                Ok(joined) => joined.expect("server task").expect("server ran"),
                Err(_) => panic!("server did not shut down in time"),
            }
        }
        if let Some((admin, db)) = running.pg.take() {
            let _ = admin_exec(
                &admin,
                &format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"),
            )
            .await;
        }
    }
}

/// Unix seconds of a manual clock.
pub trait ClockExt {
    fn now_unix(&self) -> i64;
}

impl ClockExt for ManualClock {
    fn now_unix(&self) -> i64 {
        server::clock::Clock::unix(self)
    }
}

/// Today in the tests' clock (for computing expected parse errors).
pub fn test_today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 4, 1).expect("date")
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn test_ids_are_valid_and_wrong_checks_are_not() {
        let today = test_today();
        for n in 0..50 {
            let id = id_number(n);
            assert!(shared::id::IdNumber::parse(&id, today).is_ok(), "{id}");
            assert!(shared::id::IdNumber::parse(&with_wrong_check(&id), today).is_err());
        }
        assert_eq!(check_char("11010519491231002"), 'X');
    }

    #[test]
    fn database_urls_are_rewritten() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
