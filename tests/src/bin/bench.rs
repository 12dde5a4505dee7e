//! Load benchmark (not a test): login throughput/latency with the production Argon2id cost,
//! `GET /api/v1/me` under concurrency, image uploads, and review submissions.
//!
//! ```text
//! cargo run --release -p tests --bin bench -- [--clients 50] [--seconds 10] [--postgres URL]
//!     [--submissions 3000]
//! ```
//! Submissions need one prepared person each (account, session, two uploads, a passed liveness
//! challenge), written straight to the store before the phase; the challenge is marked passed
//! with `Store::test_only_mark_challenge_passed`, as the evidence endpoint does not exist yet.
//! The server runs in this process (same 2 cores as the load generator), on a fresh SQLite
//! database in a temporary directory, or on a fresh PostgreSQL database with `--postgres`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use server::app::{Application, Dependencies, Settings};
use server::passwords::{HashCost, Passwords};
use server::store::NewUser;
use shared::api::accounts::Role;

struct Args {
    clients: usize,
    seconds: u64,
    postgres: Option<String>,
    submissions: usize,
}

fn args() -> Args {
    let mut a = Args {
        clients: 50,
        seconds: 10,
        postgres: None,
        submissions: 3000,
    };
    let mut it = std::env::args().skip(1);
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
        .pool_max_idle_per_host(a.clients)
        .build()
        .expect("client");
    let phones = Arc::new(phones);

    // 3. Logins: captcha + answer (dev route) + POST /sessions; the latency is the POST's.
    let tokens = Arc::new(tokio::sync::Mutex::new(vec![String::new(); a.clients]));
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

    // 5. GET /healthz (the floor: routing + one trivial query).
    let (c, b) = (client.clone(), base.clone());
    let (lat, elapsed, errors) =
        load(a.clients, a.seconds.min(5), move |_| {
            let (c, b) = (c.clone(), b.clone());
            async move {
                matches!(c.get(format!("{b}/healthz")).send().await, Ok(r) if r.status() == 200)
            }
        })
        .await;
    report("GET /healthz", lat, elapsed, errors);

    // 6. Review submissions (form only; the photos were uploaded before).
    let now = chrono::Utc::now().timestamp();
    let t = Instant::now();
    // SQLite's account inserts read before they write, so parallel preparation trips over
    // its lock upgrade: prepare one at a time there.
    let parallel = if a.postgres.is_some() { 16 } else { 1 };
    let people = Arc::new(prepare_people(&store, a.submissions, now, parallel).await);
    println!(
        "prepared {} people for submissions in {:.1} s",
        people.len(),
        t.elapsed().as_secs_f64()
    );
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        let (c, b, people, next) = (client.clone(), base.clone(), people.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(p) = people.get(i) else { break };
                let t = Instant::now();
                let ok = match c
                    .post(format!("{b}/api/v1/reviews/current/submissions"))
                    .bearer_auth(&p.token)
                    .header("Idempotency-Key", format!("bench-{i}"))
                    .json(&p.body)
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
    report("POST submissions (form)", lat, start.elapsed(), errors);

    // 7. Photo uploads (a 640×480 JPEG, decoded and re-encoded by the server).
    let photo = Arc::new(bench_jpeg());
    let photo_kb = photo.len() / 1024;
    let (c, b, people) = (client.clone(), base.clone(), people.clone());
    let (lat, elapsed, errors) = load(a.clients, a.seconds.min(5), move |i| {
        let (c, b, people, photo) = (c.clone(), b.clone(), people.clone(), photo.clone());
        async move {
            let Some(p) = people.get(i % people.len().max(1)) else {
                return false;
            };
            let body = multipart_photo(&photo);
            matches!(
                c.post(format!("{b}/api/v1/uploads"))
                    .bearer_auth(&p.token)
                    .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
                    .body(body)
                    .send()
                    .await,
                Ok(r) if r.status() == 201
            )
        }
    })
    .await;
    report(
        &format!("POST uploads ({photo_kb} KB JPEG)"),
        lat,
        elapsed,
        errors,
    );

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

/// One person ready to submit: a session token and the request body.
struct Ready {
    token: String,
    body: serde_json::Value,
}

/// Writes `n` people (roster entry, account, session, two uploads, a passed challenge) straight
/// to the store, `parallel` at a time.
async fn prepare_people(
    store: &server::store::Store,
    n: usize,
    now: i64,
    parallel: usize,
) -> Vec<Ready> {
    prepare::all(store, n, now, parallel).await
}

mod prepare {
    use super::*;

    pub async fn all(
        store: &server::store::Store,
        n: usize,
        now: i64,
        parallel: usize,
    ) -> Vec<Ready> {
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..parallel {
            let (store, next) = (store.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    match prepare_one(&store, i, now).await {
                        Ok(r) => out.push(r),
                        Err(e) => eprintln!("prepare {i}: {e}"),
                    }
                }
                out
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            if let Ok(v) = t.await {
                all.extend(v);
            }
        }
        all
    }

    async fn prepare_one(
        store: &server::store::Store,
        i: usize,
        now: i64,
    ) -> Result<Ready, sqlx::Error> {
        use server::store::{NewChallenge, NewUpload, RosterRecord};
        let birth = chrono::NaiveDate::from_ymd_opt(1950, 1, 1)
            .and_then(|d| d.checked_add_days(chrono::Days::new((i / 500) as u64)))
            .expect("date");
        let seq = (2 * (i % 500) + 1) as u32;
        let id_number = server::demo::make_id_number("110101", birth, seq).expect("id");
        let phone = format!("135{i:08}");
        let name = "陈松";
        let person_id = store
            .upsert_roster(
                &RosterRecord {
                    id: server::tokens::new_id(),
                    name: name.into(),
                    id_number: id_number.clone(),
                    phones: vec![phone.clone()],
                    category: "self_employed_officer".into(),
                    district: "110101".into(),
                    reference_photo: None,
                    last_review: None,
                },
                now,
            )
            .await?;
        let user_id = server::tokens::new_id();
        store
            .insert_user(
                &NewUser {
                    id: user_id.clone(),
                    role: Role::Veteran,
                    person_id: Some(person_id),
                    name: name.into(),
                    id_number: Some(id_number.clone()),
                    phone: phone.clone(),
                    password_hash: "unused".into(),
                    id_valid_from: None,
                    id_valid_to: None,
                    districts: vec![],
                },
                now,
            )
            .await?;
        let token = server::tokens::new_token();
        store
            .insert_session(
                &server::tokens::hash_token(&token),
                &user_id,
                now,
                now + 86_400,
            )
            .await?;
        let mut uploads = Vec::new();
        for kind in ["id_front", "id_back"] {
            let id = server::tokens::new_id();
            store
                .insert_upload(
                    &NewUpload {
                        id: &id,
                        user_id: &user_id,
                        kind,
                        blob_key: &format!("{id}.jpg"),
                        content_type: "image/jpeg",
                        size: 0,
                    },
                    now,
                )
                .await?;
            uploads.push(id);
        }
        let challenge = server::tokens::new_id();
        let nonce = format!("{}{}", server::tokens::new_id(), server::tokens::new_id());
        store
            .insert_challenge(&NewChallenge {
                id: &challenge,
                user_id: &user_id,
                nonce: &nonce,
                actions: "[\"blink\",\"nod\"]",
                issued_at: now,
                expires_at: now + 120,
            })
            .await?;
        store
            .test_only_mark_challenge_passed(&challenge, now)
            .await?;
        let body = json!({
            "form": {
                "basic": {
                    "name": name, "id_number": id_number, "political_status": "masses",
                    "phone": phone, "emergency_contact_name": "张三",
                    "emergency_contact_phone": "15800000000", "placement_region": "110101",
                    "residence_region": "110101", "residence_address": "幸福路1号院2号楼3单元401",
                    "foreign_nationality": false, "social_organization": false,
                    "living_difficulty": false
                },
                "party": {"is_member": false},
                "rewards": {"rewarded": false, "party_discipline": false, "criminal_penalty": false}
            },
            "id_front_upload": uploads[0], "id_back_upload": uploads[1],
            "liveness_challenge_id": challenge
        });
        Ok(Ready { token, body })
    }
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

fn multipart_photo(photo: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nliveness_frame\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}
