//! Load benchmark (not a test): login throughput/latency with the production Argon2id cost, and
//! `GET /api/v1/me` under concurrency.
//!
//! ```text
//! cargo run --release -p tests --bin bench -- [--clients 50] [--seconds 10] [--postgres URL]
//! ```
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
}

fn args() -> Args {
    let mut a = Args {
        clients: 50,
        seconds: 10,
        postgres: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--clients" => a.clients = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.clients),
            "--seconds" => a.seconds = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.seconds),
            "--postgres" => a.postgres = it.next(),
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
