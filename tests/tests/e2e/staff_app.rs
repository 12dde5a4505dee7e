//! Issue 8 end to end with the APP's code against the real server: the staff tablet's offline
//! store (`app::staff_queue::StaffStore`) over the app's HTTP client (`app::api::HttpClient`),
//! and a reviewer through the same client.
//!
//! A staff member logs in, refreshes the cache (the owing list, details, one offline liveness
//! challenge per person), goes offline (the client points at a closed port), and works through
//! the day: a reference photo and an assisted review with real-face liveness frames for one
//! person (p07's clips from `shared/testdata/faces`, claims computed with the same models as the
//! app), a 现场确认 for a second, a death for a third, a confirmation for a fourth — who meanwhile
//! submits on their own phone. Thirty hours later (the two-minute challenge of a veteran would be
//! long gone; the offline one lives 72 hours) the session has expired, so the first sync waits;
//! after logging in again the sync sends everything exactly once (a second sync sends nothing;
//! a copy of the tablet's store from before the sync — a crash before the answers were saved —
//! syncs again and the server replays its answers, recording nothing twice), and the fourth
//! person's confirmation ends as a conflict, not applied. The reviewer sees all of it. A person
//! of another district is 404 for the staff client, for reads and writes.
//!
//! Without `shared/testdata/faces` the test says so and passes (as `liveness.rs` does).

use std::path::{Path, PathBuf};

use app::api::staff::{ConfirmationRequest, PeopleQuery, StaffUploadKind};
use app::api::{ApiError, CaptchaAnswer, HttpClient, LoginRequest, Token};
use app::drafts::StaticKey;
use app::staff_queue::{StaffOp, StaffStore};
use shared::api::accounts::Role;
use shared::error::UserError;
use shared::form::ReviewFormDraft;
use shared::liveness::ActionSet;
use tests::kit::{self, person_id};
use tests::{spawn_with, Backend, Options, Person, TestApp, PASSWORD};

macro_rules! staff_app_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::run(tests::Backend::Sqlite, super::$name).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::run(tests::Backend::Postgres, super::$name).await;
                }
            }
        )*
    };
}

staff_app_tests!(tablet_works_offline_syncs_once_and_the_reviewer_sees_it,);

async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestApp, PathBuf) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/faces");
    if !dir.join("MANIFEST.md").is_file() {
        eprintln!("note: {} not found; staff app test skipped", dir.display());
        return;
    }
    let Some(app) = spawn_with(Options {
        liveness_actions: Some(ActionSet::parse_list("shake_head,nod").expect("action list")),
        ..Options::new(backend)
    })
    .await
    else {
        return;
    };
    test(app.clone(), dir).await;
    app.stop().await;
}

/// The app's blocking client, made and dropped where blocking is allowed (reqwest's blocking
/// client may not be built or dropped on a runtime thread).
struct Client(Option<HttpClient>);

impl Client {
    fn new(base: &str) -> Client {
        let c = tokio::task::block_in_place(|| HttpClient::new(base).expect("client"));
        Client(Some(c))
    }
}

impl std::ops::Deref for Client {
    type Target = HttpClient;
    fn deref(&self) -> &HttpClient {
        self.0.as_ref().expect("client")
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            tokio::task::block_in_place(|| drop(c));
        }
    }
}

/// Runs the app's blocking client code off the runtime's threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("blocking task")
}

/// Logs in through the app's client (the slider answered through the demo route).
async fn app_login(app: &TestApp, api: &HttpClient, phone: &str) -> (Token, Role) {
    let a = api.clone();
    let c = blocking(move || a.captcha().expect("captcha")).await;
    let x = app
        .get(&format!("/api/v1/dev/captchas/{}", c.id), None)
        .await
        .json()["x"]
        .as_i64()
        .expect("x");
    let a = api.clone();
    let phone = phone.to_owned();
    let s = blocking(move || {
        a.login(&LoginRequest {
            login: phone,
            password: PASSWORD.into(),
            captcha: Some(CaptchaAnswer { id: c.id, x }),
        })
        .expect("login")
    })
    .await;
    (Token::new(s.token), s.user.role)
}

// ---- real-face frames (as in liveness.rs) ------------------------------------------------------

fn all_files(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).expect("dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            let bytes = std::fs::read(&p).expect("file");
            out.push((p, bytes));
        }
    }
}

/// Copies a (closed) sled directory.
fn copy_dir(from: &Path, to: &Path) {
    let mut files = Vec::new();
    all_files(from, &mut files);
    for (p, bytes) in files {
        let rel = p.strip_prefix(from).expect("inside");
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        std::fs::write(dest, bytes).expect("copy");
    }
}

async fn tablet_works_offline_syncs_once_and_the_reviewer_sees_it(app: TestApp, faces: PathBuf) {
    // The people: A (assisted review), B (on-site confirmation), C (death), D (submits on their
    // own phone meanwhile), E (another district).
    let mut people: Vec<Person> = (0..5).map(|n| Person::new(20 + n)).collect();
    people[4].district = "310104".into();
    for p in &people {
        app.enroll(p).await;
    }
    let mut ids = Vec::new();
    for p in &people {
        ids.push(person_id(&app, p).await);
    }
    let (a_id, b_id, c_id, d_id, e_id) = (&ids[0], &ids[1], &ids[2], &ids[3], &ids[4]);
    kit::staff(&app, Role::Staff, "13700000001", &["110101"]).await;
    kit::staff(&app, Role::Reviewer, "13700000002", &["110101"]).await;

    let online = Client::new(&app.base);
    let (token, role) = app_login(&app, &online, "13700000001").await;
    assert_eq!(
        role,
        Role::Staff,
        "the app routes this login to the staff screen"
    );

    // The tablet's store: encrypted, on disk.
    let tablet_dir = tempfile::tempdir().expect("dir");
    let store_dir = tablet_dir.path().join("staff");
    let key = StaticKey([42; 32]);
    let user = {
        let a = (*online).clone();
        let t = token.clone();
        blocking(move || a.me(&t).expect("me")).await.id
    };
    let store = std::sync::Arc::new(StaffStore::open(&store_dir, &key, &user).expect("store"));
    let report = {
        let (s, a, t) = (store.clone(), (*online).clone(), token.clone());
        blocking(move || s.refresh(&a, &t).expect("refresh")).await
    };
    assert_eq!(report.people, 4, "the four people of 110101: {report:?}");
    assert_eq!(report.new_challenges, 4);
    let listed: Vec<String> = store.people().into_iter().map(|p| p.person_id).collect();
    assert!(!listed.contains(e_id), "another district is not listed");
    let challenge = store.offline_challenge(a_id).expect("an offline challenge");
    let expires = chrono::DateTime::parse_from_rfc3339(&challenge.expires_at).expect("time");
    let issued =
        chrono::DateTime::from_timestamp(tests::ClockExt::now_unix(&app.clock), 0).expect("now");
    assert_eq!(
        (expires.with_timezone(&chrono::Utc) - issued).num_hours(),
        72,
        "offline challenges live 72 hours"
    );

    // Offline: the client points at a closed port.
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let offline = Client::new(&format!("http://127.0.0.1:{dead_port}"));

    // A: a reference photo (with consent), then the assisted review with real frames.
    let detail = store.person(a_id).expect("cached detail");
    assert_eq!(detail.name, people[0].name, "the full name for the visit");
    // The cached challenge's colour flash, lit on p07 looking at the camera (simulated: see
    // `kit::flashed`), then the actions.
    let flash = app::controllers::liveness::flash_schedule(&challenge)
        .expect("a valid flash")
        .expect("offline challenges flash too");
    let (frames, flash_started_ms, claimed) = kit::recorded(
        Some(&flash),
        &kit::p07_lead_in(&faces),
        &challenge.actions,
        &kit::p07_doing(&faces, &challenge.actions),
    )
    .await;
    assert_eq!(claimed.len(), 2, "the on-device models see both actions");
    store
        .enqueue(StaffOp::ReferencePhoto {
            person_id: a_id.clone(),
            jpeg: std::fs::read(faces.join("stills/p07/p07_enroll.jpg")).expect("photo"),
            consent: true,
        })
        .expect("queued");
    let form: ReviewFormDraft = serde_json::from_value(kit::valid_form(&people[0])).expect("form");
    let assisted_op = store
        .enqueue(StaffOp::AssistedReview {
            person_id: a_id.clone(),
            form,
            id_front_jpeg: kit::jpeg(),
            id_back_jpeg: kit::jpeg(),
            challenge_id: challenge.challenge_id.clone(),
            frames: frames.iter().map(|(t, b)| (b.clone(), *t)).collect(),
            claimed,
            flash_started_ms,
        })
        .expect("queued");
    assert!(store.offline_challenge(a_id).is_none(), "used up");
    // B: on site, at home, with a photo.
    let visit = chrono::DateTime::from_timestamp(tests::ClockExt::now_unix(&app.clock) + 3600, 0)
        .expect("time")
        .to_rfc3339();
    let confirm = |pid: &str| StaffOp::Confirmation {
        person_id: pid.to_owned(),
        req: ConfirmationRequest {
            kind: "on_site".into(),
            method: "home_visit".into(),
            confirmed_at: visit.clone(),
            delegate_name: None,
            notes: Some("本人在家,精神状况良好".into()),
            photo_upload: None,
        },
        photo_jpeg: Some(kit::jpeg()),
    };
    store.enqueue(confirm(b_id)).expect("queued");
    // C: a death with the evidence photo.
    store
        .enqueue(StaffOp::Death {
            person_id: c_id.clone(),
            died_on: "2025-03-20".into(),
            notes: Some("家属提供死亡证明".into()),
            evidence_jpeg: kit::jpeg(),
        })
        .expect("queued");
    // D: a confirmation too.
    let d_op = store.enqueue(confirm(d_id)).expect("queued");
    assert_eq!(store.pending().len(), 5);
    assert_eq!(store.pending_for(a_id).len(), 2);

    // Still offline: nothing leaves the tablet.
    let r = {
        let (s, a, t) = (store.clone(), (*offline).clone(), token.clone());
        blocking(move || s.sync(&a, &t)).await
    };
    assert!(r.sent.is_empty(), "{r:?}");
    assert_eq!(r.waiting, 5);
    assert_eq!(r.last_error, Some(ApiError::Network));

    // The data on the tablet is not readable without the key.
    let mut files = Vec::new();
    all_files(&store_dir, &mut files);
    let disk: Vec<u8> = files.into_iter().flat_map(|(_, b)| b).collect();
    for secret in [people[0].name.as_str(), "本人在家", "幸福路1号院"] {
        assert!(
            !disk.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "plain text on the tablet's disk"
        );
    }

    // Meanwhile D submits on their own phone.
    app.register_enrolled(&people[3]).await;
    let vet = app.token(people[3].phone(), PASSWORD).await;
    let r = kit::submit_review(&app, &people[3], &vet, "own-phone-1").await;
    assert_eq!(r.status, 201, "{}", r.text);

    // The next morning, 30 hours later: the session has expired (401: the queue waits)...
    app.clock.advance(std::time::Duration::from_secs(30 * 3600));
    let r = {
        let (s, a, t) = (store.clone(), (*online).clone(), token.clone());
        blocking(move || s.sync(&a, &t)).await
    };
    assert!(r.sent.is_empty(), "{r:?}");
    assert_eq!(r.waiting, 5);
    assert_eq!(
        r.last_error.as_ref().map(|e| e.code()),
        Some("unauthorized")
    );
    // ... a snapshot of the tablet's store as it is now (for the crash below) ...
    let snapshot = tempfile::tempdir().expect("dir");
    let store = {
        drop(store);
        copy_dir(&store_dir, snapshot.path());
        std::sync::Arc::new(StaffStore::open(&store_dir, &key, &user).expect("reopen"))
    };
    // ... and after logging in again, everything goes, exactly once.
    let (token, _) = app_login(&app, &online, "13700000001").await;
    let r = {
        let (s, a, t) = (store.clone(), (*online).clone(), token.clone());
        blocking(move || s.sync(&a, &t)).await
    };
    assert_eq!(r.sent.len(), 4, "{r:?}");
    assert!(r.rejected.is_empty(), "{r:?}");
    assert_eq!(r.waiting, 0);
    assert_eq!(r.conflicts.len(), 1, "{r:?}");
    let conflict = &store.conflicts()[0];
    assert_eq!(conflict.op_id, d_op);
    assert_eq!(conflict.person_id, *d_id);
    let found = conflict.conflict.as_ref().expect("what the server found");
    assert_eq!(found.status, "submitted");
    assert!(found.detail.contains("提交"), "{}", found.detail);
    let sent = |kind: &str| {
        r.sent
            .iter()
            .find(|s| s.kind == kind)
            .unwrap_or_else(|| panic!("{kind} sent"))
            .clone()
    };
    let assisted = sent("assisted_review");
    assert_eq!(assisted.op_id, assisted_op);
    assert_eq!(assisted.status, "submitted");
    assert_eq!(sent("death").status, "deceased");
    assert!(store.pending().is_empty());
    // Again: nothing new.
    let again = {
        let (s, a, t) = (store.clone(), (*online).clone(), token.clone());
        blocking(move || s.sync(&a, &t)).await
    };
    assert!(again.sent.is_empty() && again.waiting == 0, "{again:?}");
    assert!(again.conflicts.is_empty(), "a conflict is not retried");
    assert_eq!(store.conflicts().len(), 1, "kept until dismissed");

    // A crash before the answers were saved: the snapshot syncs the same ops with the same keys;
    // the server answers as before and records nothing twice.
    let replay_store = StaffStore::open(snapshot.path(), &key, &user).expect("snapshot");
    let replayed = {
        let (a, t) = ((*online).clone(), token.clone());
        blocking(move || replay_store.sync(&a, &t)).await
    };
    assert_eq!(replayed.sent.len(), 4, "{replayed:?}");
    for s in &replayed.sent {
        assert_eq!(
            s.record_id,
            r.sent
                .iter()
                .find(|x| x.op_id == s.op_id)
                .expect("same op")
                .record_id,
            "the same answer for {}",
            s.kind
        );
    }
    assert_eq!(app.store.submission_count(a_id, 2025).await.unwrap(), 1);
    assert_eq!(app.store.submission_count(d_id, 2025).await.unwrap(), 1);

    // The reviewer, through the app's client.
    let (rtoken, rrole) = app_login(&app, &online, "13700000002").await;
    assert_eq!(rrole, Role::Reviewer);
    let (a, t) = ((*online).clone(), rtoken.clone());
    let (queue, sub, conf, death, photo) = blocking(move || {
        let q = a.review_queue(&t, "submitted", 1).expect("queue");
        let id_of = |kind: &str| {
            q.items
                .iter()
                .find(|i| i.kind == kind)
                .unwrap_or_else(|| panic!("{kind} in the queue: {q:?}"))
                .submission_id
                .clone()
        };
        let sub = a
            .submission(&t, &id_of("assisted_submission"))
            .expect("detail");
        let conf = a.confirmation(&t, &id_of("confirmation")).expect("detail");
        let death = a.death_record(&t, &id_of("death")).expect("detail");
        let photo = a.upload_bytes(&t, &sub.id_front_upload).expect("photo");
        (q, sub, conf, death, photo)
    })
    .await;
    let mut kinds: Vec<&str> = queue.items.iter().map(|i| i.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["assisted_submission", "confirmation", "death", "submission"],
        "all three from the tablet, and D's own"
    );
    assert_eq!(sub.submission_id, assisted.record_id);
    assert_eq!(sub.assisted_by_name.as_deref(), Some("工作人员"));
    assert!(
        !sub.liveness_frames.is_empty(),
        "the evidence frames are shown"
    );
    assert!(
        sub.face_match_score
            .is_some_and(|s| s >= models::MATCH_THRESHOLD),
        "compared with the reference photo the tablet captured: {:?}",
        sub.face_match_score
    );
    assert_eq!(conf.kind, "on_site");
    assert_eq!(conf.method, "home_visit");
    assert!(conf.photo_upload.is_some());
    assert_eq!(death.died_on, "2025-03-20");
    assert!(image::load_from_memory(&photo).is_ok(), "a readable image");

    // Another district: 404 for the staff client, reads and writes alike.
    let (a, t, e) = ((*online).clone(), token.clone(), e_id.clone());
    let (read, upload, write) = blocking(move || {
        let read = a.staff_person(&t, &e).unwrap_err();
        let upload = a
            .staff_upload(&t, &e, StaffUploadKind::DeathEvidence, kit::jpeg(), "e.jpg")
            .unwrap_err();
        let write = a
            .staff_confirm(
                &t,
                &e,
                "tablet-e-1",
                &ConfirmationRequest {
                    kind: "on_site".into(),
                    method: "at_centre".into(),
                    confirmed_at: "2025-04-01T09:00:00+08:00".into(),
                    delegate_name: None,
                    notes: None,
                    photo_upload: None,
                },
            )
            .unwrap_err();
        let listed = a
            .staff_people(
                &t,
                &PeopleQuery {
                    owing_only: false,
                    ..PeopleQuery::default()
                },
            )
            .expect("list");
        assert!(listed.items.iter().all(|i| i.person_id != e));
        (read, upload, write)
    })
    .await;
    for err in [read, upload, write] {
        assert_eq!(err.problem().map(|p| p.status), Some(404), "{err:?}");
        assert_eq!(err.code(), "not_found");
    }
}
