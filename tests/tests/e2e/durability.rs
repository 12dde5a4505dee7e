//! No acknowledged submission is lost when the server is killed (SIGKILL) under load, and
//! retried submissions never duplicate.
//!
//! Starts the real `server` binary as a child process on a SQLite data directory in a temporary
//! directory, fires many concurrent submissions (each with its own `Idempotency-Key`), kills the
//! process with SIGKILL in the middle, restarts it on the same directory and checks, reading the
//! database file directly: every submission answered 201 before the kill exists exactly once,
//! with the id that was acknowledged; retrying every key (acknowledged or not) answers 201 and
//! never creates a second submission; a second round of retries changes nothing.
//!
//! The binary is built first (`cargo build -p server --bin server`, a no-op when fresh; in the
//! profile this test was built in), or taken from `ZHANYOU_SERVER_BIN`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Row;
use tests::load::{prepare_sqlite, Submitter};
use tokio::process::{Child, Command};

/// People who submit during the run.
const PEOPLE: usize = 600;
/// Concurrent clients.
const CLIENTS: usize = 32;

/// The `server` binary of this build profile, built if needed.
fn server_binary() -> PathBuf {
    if let Ok(bin) = std::env::var("ZHANYOU_SERVER_BIN") {
        return PathBuf::from(bin);
    }
    // …/target/<profile>/deps/e2e-<hash> → …/target/<profile>/server
    let exe = std::env::current_exe().expect("current exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary in target/<profile>/deps");
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args([
        "build",
        "--locked",
        "-p",
        "server",
        "--bin",
        "server",
        "--manifest-path",
    ])
    .arg(&manifest);
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("run cargo build");
    assert!(status.success(), "building the server failed");
    let bin = profile_dir.join(format!("server{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "no server binary at {}", bin.display());
    bin
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Starts the server on `data_dir` and waits until it answers `/healthz`.
async fn start(bin: &Path, data_dir: &Path, port: u16, client: &reqwest::Client) -> Child {
    let log = std::fs::File::create(data_dir.join(format!("server-{port}.log"))).expect("log");
    let mut child = Command::new(bin)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data_dir)
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("start the server");
    let started = Instant::now();
    loop {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
        {
            if r.status() == 200 {
                return child;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited at start-up: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One submission attempt: `Some(submission_id)` on 201.
async fn submit(client: &reqwest::Client, port: u16, s: &Submitter, key: &str) -> Option<String> {
    let r = client
        .post(format!(
            "http://127.0.0.1:{port}/api/v1/reviews/current/submissions"
        ))
        .bearer_auth(&s.token)
        .header("Idempotency-Key", key)
        .json(&s.body)
        .send()
        .await
        .ok()?;
    if r.status() != 201 {
        return None;
    }
    let v: serde_json::Value = r.json().await.ok()?;
    v["submission_id"].as_str().map(str::to_owned)
}

/// Every submission's id per person, read straight from the database file.
async fn submissions_by_person(db: &Path) -> HashMap<String, Vec<String>> {
    let url = format!("sqlite://{}?mode=rw", db.display());
    let pool = sqlx::SqlitePool::connect(&url)
        .await
        .expect("open database");
    let rows = sqlx::query("SELECT person_id, id FROM submissions")
        .fetch_all(&pool)
        .await
        .expect("read submissions");
    pool.close().await;
    let mut by_person: HashMap<String, Vec<String>> = HashMap::new();
    for r in rows {
        by_person
            .entry(r.get::<String, _>("person_id"))
            .or_default()
            .push(r.get("id"));
    }
    by_person
}

fn key(i: usize) -> String {
    format!("durability-{i}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_acknowledged_submission() {
    let bin = server_binary();
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_path_buf();

    // The schema, by the server's own store; then the people, straight into the file.
    server::store::Store::open_sqlite_dir(&data_dir)
        .await
        .expect("store")
        .close()
        .await;
    let db = data_dir.join("zhanyou.sqlite3");
    let people = prepare_sqlite(&db, 0, PEOPLE, chrono::Utc::now().timestamp()).await;
    assert_eq!(people.len(), PEOPLE);
    let people = Arc::new(people);

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let port = free_port();
    let mut child = start(&bin, &data_dir, port, &client).await;

    // Load: CLIENTS loops over the people, each submission once, acknowledged ids recorded.
    let acked: Arc<Mutex<HashMap<usize, String>>> = Arc::default();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, people, acked, next) =
            (client.clone(), people.clone(), acked.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(s) = people.get(i) else { break };
                if let Some(id) = submit(&client, port, s, &key(i)).await {
                    acked.lock().unwrap().insert(i, id);
                }
            }
        }));
    }
    // Kill once a quarter of them were acknowledged (or after 30 s), mid-load.
    let started = Instant::now();
    while acked.lock().unwrap().len() < PEOPLE / 4 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.start_kill().expect("SIGKILL"); // SIGKILL on Unix
    let status = child.wait().await.expect("wait");
    let attempted_before_kill = next.load(Ordering::SeqCst).min(PEOPLE);
    for t in tasks {
        t.await.expect("client task");
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        !status.success(),
        "the server was killed, not stopped: {status}"
    );
    assert!(
        !acked.is_empty(),
        "nothing was acknowledged before the kill"
    );
    assert!(
        acked.len() < PEOPLE,
        "every submission was acknowledged before the kill: the kill came too late to prove anything"
    );

    // Restart on the same directory: every acknowledged submission is there, exactly once.
    let port = free_port();
    let mut child = start(&bin, &data_dir, port, &client).await;
    let stored = submissions_by_person(&db).await;
    for (i, id) in &acked {
        let ids = stored
            .get(&people[*i].person_id)
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            ids,
            vec![id.clone()],
            "acknowledged submission {i} lost or duplicated"
        );
    }
    let stored_before_retry: usize = stored.values().map(Vec::len).sum();
    assert!(stored.values().all(|ids| ids.len() == 1));

    // Retry every key, acknowledged or not: 201 each; acknowledged keys answer the same id.
    let mut answers = Vec::with_capacity(PEOPLE);
    for (i, s) in people.iter().enumerate() {
        let id = submit(&client, port, s, &key(i)).await;
        let id = id.unwrap_or_else(|| panic!("retry of submission {i} was not accepted"));
        if let Some(first) = acked.get(&i) {
            assert_eq!(&id, first, "retry of {i} answered another submission");
        }
        answers.push(id);
    }
    // And once more, concurrently: the same answers, nothing new.
    let again = futures_join(&client, port, &people).await;
    assert_eq!(again, answers);

    let stored = submissions_by_person(&db).await;
    assert_eq!(stored.len(), PEOPLE, "every person has a submission");
    for (i, s) in people.iter().enumerate() {
        assert_eq!(
            stored.get(&s.person_id),
            Some(&vec![answers[i].clone()]),
            "person {i} has exactly the acknowledged submission"
        );
    }

    let _ = writeln!(
        std::io::stderr(),
        "durability: {} of {PEOPLE} submissions acknowledged before SIGKILL ({} attempted, {} \
         committed by then); all {} present once after restart; {} retried keys, 0 duplicates",
        acked.len(),
        attempted_before_kill,
        stored_before_retry,
        acked.len(),
        PEOPLE,
    );
    child.start_kill().expect("stop");
    let _ = child.wait().await;
}

/// Every key retried at once (CLIENTS at a time); the answers in order.
async fn futures_join(
    client: &reqwest::Client,
    port: u16,
    people: &Arc<Vec<Submitter>>,
) -> Vec<String> {
    let next = Arc::new(AtomicUsize::new(0));
    let out: Arc<Mutex<Vec<Option<String>>>> = Arc::new(Mutex::new(vec![None; people.len()]));
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, people, next, out) =
            (client.clone(), people.clone(), next.clone(), out.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(s) = people.get(i) else { break };
                let id = submit(&client, port, s, &key(i)).await;
                out.lock().unwrap()[i] = id;
            }
        }));
    }
    for t in tasks {
        t.await.expect("retry task");
    }
    let out = out.lock().unwrap().clone();
    out.into_iter()
        .enumerate()
        .map(|(i, id)| id.unwrap_or_else(|| panic!("second retry of {i} failed")))
        .collect()
}
