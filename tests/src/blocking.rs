//! The real server for code that is not async: the app's tests, its screenshot examples and its
//! startup bench. A [`Server`] is [`crate::spawn_with`]'s server (in-process, port 0, a fresh
//! SQLite data directory) on a tokio runtime of its own, and the test's side of the world as
//! plain calls: fresh people, accounts and districts, the captcha answers and SMS codes the
//! server stored (what `--demo`'s dev routes read, so the server needs no demo mode), passed
//! challenges, reference photos. Clients talk to it over HTTP — the app through its own
//! `HttpClient`, directly or through a [`crate::gate::Gate`] that can take the network away.
//!
//! [`Server::shared`] is the app's world: one server per process (per test binary with
//! `cargo test`, per test with nextest), the OS clock (the app's clock is the OS's too), this
//! year's review window open all year for every category (so nothing depends on the day the
//! tests run), not in demo mode (liveness needs a real reference photo, as in production), and
//! liveness challenges drawn from `shake_head,nod` (the actions of the recorded test clips).
//! Tests that share it stay apart by using fresh people and districts.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use serde_json::{json, Value};
use server::store::NewUser;
use shared::api::accounts::Role;
use shared::category::Category;
use shared::region::{RegionCode, RegionLevel};

use crate::gate::Gate;
use crate::{kit, spawn_with, Backend, Options, Person, Reply, TestApp, PASSWORD};

/// A running server with a runtime of its own; see the module documentation.
pub struct Server {
    rt: tokio::runtime::Runtime,
    app: TestApp,
    admin: OnceLock<String>,
}

/// A person in the roster with an account (password [`PASSWORD`]).
#[derive(Debug, Clone)]
pub struct Veteran {
    pub person: Person,
    pub person_id: String,
    pub user_id: String,
}

impl Veteran {
    pub fn phone(&self) -> &str {
        self.person.phone()
    }
}

/// A staff, reviewer or administrator account (password [`PASSWORD`]).
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: String,
    pub phone: String,
    pub name: String,
}

/// Numbers for fresh people and accounts, unique within the process (so within a server).
static NEXT: AtomicU32 = AtomicU32::new(1);

fn next() -> u32 {
    NEXT.fetch_add(1, Ordering::SeqCst)
}

/// Every district (county level) of the region table, in code order.
fn districts() -> &'static [RegionCode] {
    static ALL: OnceLock<Vec<RegionCode>> = OnceLock::new();
    ALL.get_or_init(|| {
        fn walk(code: RegionCode, out: &mut Vec<RegionCode>) {
            if code.level() == RegionLevel::District {
                out.push(code);
            }
            for c in code.children() {
                walk(c, out);
            }
        }
        let mut out = Vec::new();
        for p in shared::region::provinces() {
            walk(p, &mut out);
        }
        out
    })
}

/// Removes the data directories of shared servers whose process is gone (a static server is
/// never dropped, so its directory outlives it).
fn remove_stale_dirs(prefix: &str) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(prefix) else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

impl Server {
    /// Starts a server described by `opts` (SQLite by default; see [`Options`]).
    pub fn start(opts: Options) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("test-server")
            .enable_all()
            .build()
            .expect("runtime");
        let app = rt
            .block_on(spawn_with(opts))
            .expect("a SQLite server always starts");
        Server {
            rt,
            app,
            admin: OnceLock::new(),
        }
    }

    /// The app's world (see the module documentation), started on first use.
    pub fn shared() -> &'static Server {
        static SHARED: OnceLock<Server> = OnceLock::new();
        SHARED.get_or_init(|| {
            const PREFIX: &str = "zhanyou-app-server-";
            remove_stale_dirs(PREFIX);
            let dir = std::env::temp_dir().join(format!("{PREFIX}{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("data dir");
            let server = Server::start(Options {
                demo: false,
                system_clock: true,
                data_dir: Some(dir),
                liveness_actions: Some(
                    shared::liveness::ActionSet::parse_list("shake_head,nod").expect("actions"),
                ),
                ..Options::new(Backend::Sqlite)
            });
            server.open_this_year();
            server
        })
    }

    /// Runs `f` on the server's runtime (from a thread that is not a runtime's).
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// The async harness (its store, state and HTTP helpers).
    pub fn app(&self) -> &TestApp {
        &self.app
    }

    /// e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.app.base
    }

    /// A [`Gate`] (online) in front of this server, for one client.
    pub fn gate(&self) -> Gate {
        let addr = self
            .app
            .base
            .trim_start_matches("http://")
            .parse()
            .expect("server address");
        Gate::start(addr)
    }

    /// The server's clock, in unix seconds.
    pub fn now(&self) -> i64 {
        self.app.state.clock.unix()
    }

    /// Today in China by the server's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.app.state.clock.today_cn()
    }

    fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.block_on(self.app.get(path, token))
    }

    fn send(&self, method: reqwest::Method, path: &str, body: &Value, token: &str) -> Reply {
        self.block_on(self.app.send_json(method, path, body, Some(token)))
    }

    /// The true answer of captcha `id` (as the server stored it); panics if it is unknown.
    pub fn captcha_answer(&self, id: &str) -> i64 {
        self.block_on(self.app.store.captcha_answer(id))
            .expect("store")
            .unwrap_or_else(|| panic!("no captcha {id}"))
    }

    /// The code of the newest SMS the outbox holds for `phone`, if any.
    pub fn sms_code(&self, phone: &str) -> Option<String> {
        let rows = self
            .block_on(self.app.store.outbox_for(phone, 1))
            .expect("store");
        rows.first().and_then(|r| server::sms::code_in(&r.body))
    }

    /// Logs `login` in (password [`PASSWORD`], the slider solved); the token.
    pub fn login(&self, login: &str) -> String {
        let c = self.get("/api/v1/captchas", None);
        assert_eq!(c.status, 200, "{}", c.text);
        let id = c.json()["id"].as_str().expect("captcha id").to_owned();
        let x = self.captcha_answer(&id);
        let r = self.block_on(self.app.post(
            "/api/v1/sessions",
            &json!({"login": login, "password": PASSWORD, "captcha": {"id": id, "x": x}}),
        ));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["token"].as_str().expect("token").to_owned()
    }

    /// A district no other caller of this process has been given.
    pub fn district(&self) -> String {
        let all = districts();
        all[next() as usize % all.len()].as_str().to_owned()
    }

    /// A fresh person (not in the roster yet) of district 110101.
    pub fn person(&self) -> Person {
        Person::new(next())
    }

    /// Puts `p` in the roster, with last year's accepted form (for prefill) when `last_year`;
    /// the person's id.
    pub fn enroll(&self, p: &Person, last_year: bool) -> String {
        let last_review = last_year.then(|| {
            let mut form =
                server::demo::last_year_form(&p.name, &p.id_number, p.phone(), &p.district);
            // Addresses differ from person to person (the staff list sorts by them).
            form.basic.residence_address =
                Some(format!("幸福路{}号院2号楼3单元401", &p.phones[0][7..]));
            server::demo::last_review_json(&form, chrono::Datelike::year(&self.today()) - 1)
        });
        self.block_on(self.app.enroll_with(p, last_review))
    }

    /// A fresh veteran of `district` and `category`, enrolled with last year's form and with an
    /// account.
    pub fn veteran_in(&self, district: &str, category: Category) -> Veteran {
        let mut person = self.person();
        person.district = district.to_owned();
        person.category = category.as_str().to_owned();
        self.veteran_of(person, true)
    }

    /// `person` enrolled (with last year's form when `last_year`) and with an account, made in
    /// the store as the demo seed does (registration through the screens is a test of its own;
    /// no SMS code is used up, so the person's phone can ask for one at once).
    pub fn veteran_of(&self, person: Person, last_year: bool) -> Veteran {
        let person_id = self.enroll(&person, last_year);
        let user_id = server::tokens::new_id();
        let hash = self
            .block_on(self.app.state.passwords.hash(PASSWORD))
            .expect("hash");
        self.block_on(self.app.store.insert_user(
            &NewUser {
                id: user_id.clone(),
                role: Role::Veteran,
                person_id: Some(person_id.clone()),
                name: person.name.clone(),
                id_number: Some(person.id_number.clone()),
                phone: person.phone().to_owned(),
                password_hash: hash,
                id_valid_from: Some(person.id_valid_from.clone()),
                id_valid_to: None,
                districts: vec![],
            },
            self.now(),
        ))
        .expect("insert veteran");
        Veteran {
            person,
            person_id,
            user_id,
        }
    }

    /// `n` fresh people of `district` in the roster with last year's form, without accounts (the
    /// elderly a community worker visits): each with their id.
    pub fn people_in(&self, district: &str, n: usize) -> Vec<(Person, String)> {
        (0..n)
            .map(|_| {
                let mut p = self.person();
                p.district = district.to_owned();
                let id = self.enroll(&p, true);
                (p, id)
            })
            .collect()
    }

    /// A fresh veteran (自主择业军转干部, 110101) with last year's form, registered.
    pub fn veteran(&self) -> Veteran {
        self.veteran_in("110101", Category::SelfEmployedOfficer)
    }

    /// A new account of `role` named `name`, working on `districts`.
    pub fn account(&self, role: Role, name: &str, districts: &[&str]) -> Account {
        let id = server::tokens::new_id();
        let phone = format!("1370{:07}", next());
        let hash = self
            .block_on(self.app.state.passwords.hash(PASSWORD))
            .expect("hash");
        self.block_on(self.app.store.insert_user(
            &NewUser {
                id: id.clone(),
                role,
                person_id: None,
                name: name.to_owned(),
                id_number: None,
                phone: phone.clone(),
                password_hash: hash,
                id_valid_from: None,
                id_valid_to: None,
                districts: districts.iter().map(|d| d.to_string()).collect(),
            },
            self.now(),
        ))
        .expect("insert account");
        Account {
            user_id: id,
            phone,
            name: name.to_owned(),
        }
    }

    /// A new 个人用户 (a foreign passport holder outside the roster, 未认证), registered through
    /// the API with an SMS code.
    pub fn personal_account(&self, name: &str) -> Account {
        let n = next();
        let phone = format!("1350{n:07}");
        let r = self.block_on(self.app.post(
            "/api/v1/sms-codes",
            &json!({"phone": phone, "purpose": "register"}),
        ));
        assert_eq!(r.status, 202, "{}", r.text);
        let code = self.sms_code(&phone).expect("a code");
        let r = self.block_on(self.app.post(
            "/api/v1/accounts/personal",
            &json!({"name": name, "identity_region": "other", "document_kind": "foreign_passport",
                    "document_number": format!("P{n:07}"), "sex": "female", "district": "110101",
                    "phone": phone, "sms_code": code, "password": PASSWORD, "agree_terms": true}),
        ));
        assert_eq!(r.status, 201, "{}", r.text);
        Account {
            user_id: r.json()["user_id"].as_str().expect("user_id").to_owned(),
            phone,
            name: name.to_owned(),
        }
    }

    /// An administrator's token (one account per server).
    pub fn admin(&self) -> &str {
        self.admin.get_or_init(|| {
            let a = self.account(Role::Admin, "管理员", &[]);
            self.login(&a.phone)
        })
    }

    /// This year's review window of every category set to the whole year (by an administrator,
    /// through the API).
    pub fn open_this_year(&self) {
        let year = chrono::Datelike::year(&self.today());
        for c in Category::ALL {
            let r = self.send(
                reqwest::Method::PUT,
                &format!("/api/v1/admin/review-windows/{year}/{}", c.as_str()),
                &json!({"opens": format!("{year}-01-01"), "deadline": format!("{year}-12-31")}),
                self.admin(),
            );
            assert_eq!(r.status, 200, "{}", r.text);
        }
    }

    /// Uploads `photo` as `token`'s `kind`; the upload id.
    pub fn upload(&self, token: &str, kind: &str, photo: &[u8]) -> String {
        self.block_on(kit::upload(&self.app, token, kind, photo))
    }

    /// `person_id`'s reference photo set to `photo` (an administrator's, with consent).
    pub fn set_reference_photo(&self, person_id: &str, photo: &[u8]) {
        let upload = self.upload(self.admin(), "reference_photo", photo);
        let r = self.send(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/people/{person_id}/reference-photo"),
            &json!({"upload_id": upload, "consent": true}),
            self.admin(),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }

    /// A liveness challenge of `token`'s veteran, marked passed now (the test-only store
    /// function; `tests/e2e/liveness.rs` and the app's liveness tests send real evidence).
    pub fn passed_challenge(&self, token: &str) -> String {
        let id = self.block_on(kit::new_challenge(&self.app, token))["challenge_id"]
            .as_str()
            .expect("id")
            .to_owned();
        self.mark_passed(&id);
        id
    }

    /// Marks challenge `id` passed now (the test-only store function).
    pub fn mark_passed(&self, id: &str) {
        assert!(self
            .block_on(
                self.app
                    .store
                    .test_only_mark_challenge_passed(id, self.now())
            )
            .expect("mark passed"));
    }

    /// How many submissions `person_id` has this year.
    pub fn submissions(&self, person_id: &str) -> i64 {
        let year = i64::from(chrono::Datelike::year(&self.today()));
        self.block_on(self.app.store.submission_count(person_id, year))
            .expect("store")
    }

    /// The `items` of a listing at `path` read as the account with `phone`.
    fn items(&self, phone: &str, path: &str) -> Vec<Value> {
        let token = self.login(phone);
        let r = self.get(path, Some(&token));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["items"].as_array().cloned().unwrap_or_default()
    }

    /// The statuses of the people of `staff_phone`'s districts as the server has them (through
    /// the staff list, everyone, not only who still owes).
    pub fn statuses(&self, staff_phone: &str) -> std::collections::BTreeMap<String, String> {
        self.items(staff_phone, "/api/v1/staff/people?owing=false&per_page=200")
            .iter()
            .map(|p| {
                let s = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
                (s("person_id"), s("status"))
            })
            .collect()
    }

    /// How many items of `kind` (`submission`, `confirmation`, `death`, …) wait for a reviewer
    /// of `district` (read by a new reviewer of it).
    pub fn waiting(&self, district: &str, kind: &str) -> usize {
        let reviewer = self.account(Role::Reviewer, "审核人员", &[district]);
        self.items(
            &reviewer.phone,
            "/api/v1/review-queue?status=submitted&per_page=100",
        )
        .iter()
        .filter(|i| i["kind"] == kind)
        .count()
    }

    /// A 现场确认 of `person_id` (at the service centre, now) recorded by the staff member with
    /// `staff_phone` on their own tablet with operation id `key`: e.g. a colleague who got
    /// there first.
    pub fn confirm(&self, staff_phone: &str, person_id: &str, key: &str) {
        let token = self.login(staff_phone);
        let r = self.block_on(self.app.post_once(
            &format!("/api/v1/staff/people/{person_id}/confirmations"),
            &token,
            key,
            &json!({
                "kind": "on_site", "method": "at_centre",
                "confirmed_at": server::clock::rfc3339(self.now()),
            }),
        ));
        assert_eq!(r.status, 201, "{}", r.text);
    }

    /// A reviewer's decision on submission `id`: approved, or rejected with `reason`.
    pub fn decide(&self, reviewer_token: &str, id: &str, reason: Option<&str>) {
        let body = match reason {
            Some(r) => json!({"decision": "reject", "reason": r}),
            None => json!({"decision": "approve"}),
        };
        let r = self.block_on(kit::decide(&self.app, reviewer_token, id, body));
        assert_eq!(r.status, 200, "{}", r.text);
    }

    /// How many `event`s by `user_id` the audit log holds (read by an administrator).
    pub fn audited(&self, event: &str, user_id: &str) -> usize {
        let r = self.get("/api/v1/audit-log?limit=1000", Some(self.admin()));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["event"] == event && e["user_id"] == user_id)
            .count()
    }

    /// The server's data directory (blobs live in `blobs/`).
    pub fn data_dir(&self) -> PathBuf {
        self.app.state.recheck.data_dir.clone()
    }
}
