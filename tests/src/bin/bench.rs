//! Load benchmark (not a test): login throughput/latency with the production Argon2id cost,
//! `GET /api/v1/me` under concurrency, image uploads, and review submissions (form only, and
//! with both ID photos uploaded first) at several client counts.
//!
//! ```text
//! cargo run --release -p tests --bin bench -- [--clients 50] [--seconds 10] [--postgres URL]
//!     [--submit-clients 50,500] [--submissions 4000] [--photo-submissions 300]
//!     [--phases login,me,healthz,submit,submit-photos,upload]
//! ```
//! Submissions need one prepared person each (account, session, two uploads, a passed liveness
//! challenge), written before the phase (`tests::load`); the challenge is marked passed with
//! `Store::test_only_mark_challenge_passed`'s statement (the evidence needs real faces). Every
//! person submits once with its own `Idempotency-Key`. The server runs in this process (same 2
//! cores as the load generator), on a fresh SQLite database in a temporary directory, or on a
//! fresh PostgreSQL database with `--postgres`. Each phase prints the load average first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use server::app::{Application, Dependencies, Settings};
use server::passwords::{HashCost, Passwords};
use server::store::NewUser;
use shared::api::accounts::Role;
use tests::load::Submitter;

struct Args {
    clients: usize,
    seconds: u64,
    postgres: Option<String>,
    submissions: usize,
    photo_submissions: usize,
    submit_clients: Vec<usize>,
    phases: Vec<String>,
}

fn args() -> Args {
    let mut a = Args {
        clients: 50,
        seconds: 10,
        postgres: None,
        submissions: 4000,
        photo_submissions: 300,
        submit_clients: vec![50, 500],
        phases: [
            "login",
            "me",
            "healthz",
            "submit",
            "submit-photos",
            "upload",
        ]
        .map(str::to_owned)
        .to_vec(),
    };
    let mut it = std::env::args().skip(1);
    let list = |v: Option<String>| -> Vec<String> {
        v.unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--clients" => a.clients = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.clients),
            "--seconds" => a.seconds = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.seconds),
            "--postgres" => a.postgres = it.next(),
            "--submissions" => {
                a.submissions = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(a.submissions)
            }
            "--photo-submissions" => {
                a.photo_submissions = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(a.photo_submissions)
            }
            "--submit-clients" => {
                a.submit_clients = list(it.next())
                    .iter()
                    .filter_map(|v| v.parse().ok())
                    .collect()
            }
            "--phases" => a.phases = list(it.next()),
            other => eprintln!("ignoring unknown argument {other}"),
        }
    }
    a
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut lat: Vec<Duration>, elapsed: Duration, errors: usize) {
    lat.sort();
    let n = lat.len();
    println!(
        "{name:<34} {n:>7} ok {errors:>4} err  {:>8.1}/s  p50 {:>7.1} ms  p90 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms",
        n as f64 / elapsed.as_secs_f64(),
        percentile(&lat, 0.50).as_secs_f64() * 1e3,
        percentile(&lat, 0.90).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

/// Runs `clients` loops of `op` for `seconds`; returns per-op latencies and the error count.
async fn load<F, Fut>(clients: usize, seconds: u64, op: F) -> (Vec<Duration>, Duration, usize)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                if op(c).await {
                    lat.push(t.elapsed());
                } else {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            all.extend(l);
            errors += e;
        }
    }
    (all, start.elapsed(), errors)
}

#[tokio::main]
async fn main() {
    let a = args();
    let has = |phase: &str| a.phases.iter().any(|p| p == phase);
    let cost = HashCost::PRODUCTION;
    println!(
        "Zhanyou server benchmark: {} clients, {} s per phase, {} core(s)",
        a.clients,
        a.seconds,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    // 1. Raw Argon2id cost.
    let pw = Passwords::new(cost).expect("argon2");
    let t = Instant::now();
    let hash = pw.hash("Bench12345").await.expect("hash");
    let n = 10;
    let t = {
        let _ = t;
        let t = Instant::now();
        for _ in 0..n {
            assert!(pw.verify("Bench12345", Some(&hash)).await.expect("verify"));
        }
        t.elapsed() / n
    };
    println!(
        "argon2id m={} KiB t={} p={}: {:.1} ms per verification (one core)",
        cost.memory_kib,
        cost.iterations,
        cost.parallelism,
        t.as_secs_f64() * 1e3
    );

    // 2. The server.
    let dir = tempfile::tempdir().expect("tmp");
    let (database_url, backend, drop_db) = match &a.postgres {
        Some(admin) => {
            use sqlx::Connection;
            let db = format!("zy_bench_{}", server::tokens::new_id());
            let mut conn = sqlx::PgConnection::connect(admin).await.expect("postgres");
            sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE \"{db}\"").as_str())
                .await
                .expect("create db");
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .unwrap_or_else(|| admin.clone());
            (
                Some(format!("{base}/{db}")),
                "PostgreSQL",
                Some((admin.clone(), db)),
            )
        }
        None => (None, "SQLite", None),
    };
    let settings = Settings {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.path().to_path_buf(),
        database_url,
        demo: true,
        hash_cost: cost,
        ..Settings::default()
    };
    let app = Application::build(settings, Dependencies::default())
        .await
        .expect("server");
    let base = format!("http://{}", app.local_addr());
    let store = app.state().store.clone();
    println!("backend: {backend}");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));

    // Accounts: one per client.
    let now = chrono::Utc::now().timestamp();
    let phones: Vec<String> = (0..a.clients).map(|i| format!("1390001{i:04}")).collect();
    for p in &phones {
        store
            .insert_user(
                &NewUser {
                    id: server::tokens::new_id(),
                    role: Role::Staff,
                    person_id: None,
                    name: "测试员".into(),
                    id_number: None,
                    phone: p.clone(),
                    password_hash: hash.clone(),
                    id_valid_from: None,
                    id_valid_to: None,
                    districts: vec!["110101".into()],
                },
                now,
            )
            .await
            .expect("user");
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.submit_clients.iter().copied().fold(a.clients, usize::max))
        .build()
        .expect("client");
    let phones = Arc::new(phones);

    let tokens = Arc::new(tokio::sync::Mutex::new(vec![String::new(); a.clients]));
    if has("login") {
        // 3. Logins: captcha + answer (dev route) + POST /sessions; the latency is the POST's.
        let login_lat = Arc::new(tokio::sync::Mutex::new(Vec::new()));
        let (c, b, p, tk, ll) = (
            client.clone(),
            base.clone(),
            phones.clone(),
            tokens.clone(),
            login_lat.clone(),
        );
        let (full, elapsed, errors) = load(a.clients, a.seconds, move |i| {
        let (c, b, p, tk, ll) = (c.clone(), b.clone(), p.clone(), tk.clone(), ll.clone());
        async move {
            let Ok(r) = c.get(format!("{b}/api/v1/captchas")).send().await else { return false };
            let Ok(cap) = r.json::<serde_json::Value>().await else { return false };
            let id = cap["id"].as_str().unwrap_or_default().to_owned();
            let Ok(r) = c.get(format!("{b}/api/v1/dev/captchas/{id}")).send().await else { return false };
            let Ok(ans) = r.json::<serde_json::Value>().await else { return false };
            let t = Instant::now();
            let body = json!({"login": p[i], "password": "Bench12345", "captcha": {"id": id, "x": ans["x"]}});
            let Ok(r) = c.post(format!("{b}/api/v1/sessions")).json(&body).send().await else { return false };
            if r.status() != 200 {
                return false;
            }
            let Ok(s) = r.json::<serde_json::Value>().await else { return false };
            ll.lock().await.push(t.elapsed());
            tk.lock().await[i] = s["token"].as_str().unwrap_or_default().to_owned();
            true
        }
    })
    .await;
        report("login (captcha+answer+POST)", full, elapsed, errors);
        let posts = login_lat.lock().await.clone();
        report("  of which POST /api/v1/sessions", posts, elapsed, 0);
    }

    if has("login") && has("me") {
        // 4. GET /api/v1/me.
        let tokens = Arc::new(tokens.lock().await.clone());
        let (c, b, tk) = (client.clone(), base.clone(), tokens.clone());
        let (lat, elapsed, errors) = load(a.clients, a.seconds, move |i| {
            let (c, b, tk) = (c.clone(), b.clone(), tk.clone());
            async move {
                match c
                    .get(format!("{b}/api/v1/me"))
                    .bearer_auth(&tk[i])
                    .send()
                    .await
                {
                    Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                    Err(_) => false,
                }
            }
        })
        .await;
        report("GET /api/v1/me", lat, elapsed, errors);
    }

    if has("healthz") {
        // 5. GET /healthz (the floor: routing + one trivial query).
        let (c, b) = (client.clone(), base.clone());
        let (lat, elapsed, errors) = load(a.clients, a.seconds.min(5), move |_| {
            let (c, b) = (c.clone(), b.clone());
            async move {
                matches!(c.get(format!("{b}/healthz")).send().await, Ok(r) if r.status() == 200)
            }
        })
        .await;
        report("GET /healthz", lat, elapsed, errors);
    }

    // 6. Review submissions, at each client count: form only (photos uploaded before), and
    // with photos (upload both ID photos, then submit).
    let photo = Arc::new(bench_jpeg());
    let photo_kb = photo.len() / 1024;
    let mut first = 0;
    for &clients in &a.submit_clients {
        if has("submit") {
            let people =
                prepare_people(&store, &dir, first, a.submissions, a.postgres.is_some()).await;
            first += people.len();
            println!("[{}] submissions, form only, {clients} clients:", loadavg());
            let before = store.submission_batch_stats();
            let (lat, elapsed, errors) = submit_all(&client, &base, people, clients, None).await;
            report(
                &format!("POST submissions (form), {clients} cl"),
                lat,
                elapsed,
                errors,
            );
            print_batches(before, store.submission_batch_stats());
        }
        if has("submit-photos") {
            let people = prepare_people(
                &store,
                &dir,
                first,
                a.photo_submissions,
                a.postgres.is_some(),
            )
            .await;
            first += people.len();
            println!(
                "[{}] submissions with photos (2 × {photo_kb} KB JPEG upload + submit), {clients} clients:",
                loadavg()
            );
            let (lat, elapsed, errors) =
                submit_all(&client, &base, people, clients, Some(photo.clone())).await;
            report(
                &format!("upload×2 + submit, {clients} cl"),
                lat,
                elapsed,
                errors,
            );
        }
    }

    // 7. Photo uploads alone (a 640×480 JPEG, decoded and re-encoded by the server).
    if has("upload") {
        let people =
            Arc::new(prepare_people(&store, &dir, first, a.clients, a.postgres.is_some()).await);
        println!("[{}] uploads, {} clients:", loadavg(), a.clients);
        let (c, b, people, photo) = (client.clone(), base.clone(), people.clone(), photo.clone());
        let (lat, elapsed, errors) = load(a.clients, a.seconds.min(5), move |i| {
            let (c, b, people, photo) = (c.clone(), b.clone(), people.clone(), photo.clone());
            async move {
                let Some(p) = people.get(i % people.len().max(1)) else {
                    return false;
                };
                upload(&c, &b, &p.token, "liveness_frame", &photo)
                    .await
                    .is_some()
            }
        })
        .await;
        report(
            &format!("POST uploads ({photo_kb} KB JPEG)"),
            lat,
            elapsed,
            errors,
        );
    }

    let _ = stop.send(());
    let _ = server.await;
    if let Some((admin, db)) = drop_db {
        use sqlx::Connection;
        if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
            let _ = sqlx::Executor::execute(
                &mut conn,
                format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)").as_str(),
            )
            .await;
        }
    }
}

/// How many submissions each commit carried (group commit) between two readings.
fn print_batches(before: (u64, u64), after: (u64, u64)) {
    let (batches, submissions) = (after.0 - before.0, after.1 - before.1);
    if batches > 0 {
        println!(
            "  {submissions} submissions in {batches} commits: {:.1} per commit",
            submissions as f64 / batches as f64
        );
    }
}

/// The load average (1, 5, 15 min), to read next to the numbers: the machine is shared.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| {
            let f: Vec<&str> = s.split_whitespace().take(3).collect();
            format!("load {}", f.join(" "))
        })
        .unwrap_or_else(|_| "load ?".to_owned())
}

/// `n` people ready to submit, numbered from `first`: straight into the SQLite file (fast, one
/// transaction), or through the store on PostgreSQL (16 at a time).
async fn prepare_people(
    store: &server::store::Store,
    dir: &tempfile::TempDir,
    first: usize,
    n: usize,
    postgres: bool,
) -> Vec<Submitter> {
    let now = chrono::Utc::now().timestamp();
    let t = Instant::now();
    let people = if postgres {
        tests::load::prepare(store, first, n, now, 16).await
    } else {
        tests::load::prepare_sqlite(&dir.path().join("zhanyou.sqlite3"), first, n, now).await
    };
    println!(
        "prepared {} people in {:.1} s",
        people.len(),
        t.elapsed().as_secs_f64()
    );
    people
}

/// Every person submits once (`clients` at a time, each with its own Idempotency-Key); with
/// `photo`, each first uploads it as both ID photos. Latency is per person (the whole flow).
async fn submit_all(
    client: &reqwest::Client,
    base: &str,
    people: Vec<Submitter>,
    clients: usize,
    photo: Option<Arc<Vec<u8>>>,
) -> (Vec<Duration>, Duration, usize) {
    let people = Arc::new(people);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (c, b, people, next, photo) = (
            client.clone(),
            base.to_owned(),
            people.clone(),
            next.clone(),
            photo.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(p) = people.get(i) else { break };
                let t = Instant::now();
                let mut body = p.body.clone();
                let mut ok = true;
                if let Some(photo) = &photo {
                    for (field, kind) in [
                        ("id_front_upload", "id_front"),
                        ("id_back_upload", "id_back"),
                    ] {
                        match upload(&c, &b, &p.token, kind, photo).await {
                            Some(id) => body[field] = serde_json::Value::String(id),
                            None => ok = false,
                        }
                    }
                }
                ok = ok
                    && match c
                        .post(format!("{b}/api/v1/reviews/current/submissions"))
                        .bearer_auth(&p.token)
                        .header("Idempotency-Key", format!("bench-{i}"))
                        .json(&body)
                        .send()
                        .await
                    {
                        Ok(r) => r.status() == 201 && r.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                if ok {
                    lat.push(t.elapsed());
                } else {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut lat = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            lat.extend(l);
            errors += e;
        }
    }
    (lat, start.elapsed(), errors)
}

/// Uploads `photo` as `kind`; the upload id on 201.
async fn upload(
    c: &reqwest::Client,
    b: &str,
    token: &str,
    kind: &str,
    photo: &[u8],
) -> Option<String> {
    let r = c
        .post(format!("{b}/api/v1/uploads"))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart_photo(kind, photo))
        .send()
        .await
        .ok()?;
    if r.status() != 201 {
        return None;
    }
    let v: serde_json::Value = r.json().await.ok()?;
    v["upload_id"].as_str().map(str::to_owned)
}

const BOUNDARY: &str = "zyBenchBoundary7MA4YWxkTrZu0gW";

/// A 640×480 photo-like JPEG.
fn bench_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        let n = (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503)) >> 13;
        image::Rgb([(x / 3) as u8 ^ n as u8, (y / 2) as u8, (n >> 3) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .expect("encode");
    out
}

fn multipart_photo(kind: &str, photo: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}
