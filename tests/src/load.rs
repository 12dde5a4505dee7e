//! People ready to submit their review, prepared straight in the store: what the load bench and
//! the kill-9 durability test fire at the server.
//!
//! Each gets a roster entry, an account, a session, two uploads (`id_front`, `id_back`) and a
//! liveness challenge marked passed with `Store::test_only_mark_challenge_passed` (the test-only
//! path; no route reaches it). The photos' rows point at blobs that do not exist: a submission
//! only checks the upload rows.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use server::store::{NewChallenge, NewUpload, NewUser, RosterRecord, Store};
use shared::api::accounts::Role;

/// One person ready to submit.
#[derive(Debug, Clone)]
pub struct Submitter {
    pub person_id: String,
    pub user_id: String,
    /// A live session token.
    pub token: String,
    /// A complete `POST /api/v1/reviews/current/submissions` body.
    pub body: Value,
}

/// Prepares `n` submitters numbered `first..first + n`, `parallel` at a time (SQLite: use 1;
/// its writes are serialised anyway). `now` is the server clock's unix time (sessions last a
/// day, challenges count as passed at `now`).
pub async fn prepare(
    store: &Store,
    first: usize,
    n: usize,
    now: i64,
    parallel: usize,
) -> Vec<Submitter> {
    let next = Arc::new(AtomicUsize::new(first));
    let mut tasks = Vec::new();
    for _ in 0..parallel.max(1) {
        let (store, next) = (store.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= first + n {
                    break;
                }
                match prepare_one(&store, i, now).await {
                    Ok(s) => out.push((i, s)),
                    Err(e) => eprintln!("prepare {i}: {e}"),
                }
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("prepare task"));
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, s)| s).collect()
}

/// The `i`th submitter: unique ID number (born 1950-01-01 + i/500 days, sequence from i) and
/// phone `135` + i.
async fn prepare_one(store: &Store, i: usize, now: i64) -> Result<Submitter, sqlx::Error> {
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
                person_id: Some(person_id.clone()),
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
            flash: true,
        })
        .await?;
    store
        .test_only_mark_challenge_passed(&challenge, now)
        .await?;
    let body = body(
        name,
        &id_number,
        &phone,
        &uploads[0],
        &uploads[1],
        &challenge,
    );
    Ok(Submitter {
        person_id,
        user_id,
        token,
        body,
    })
}

/// [`prepare`] for a SQLite database file, fast: the same rows as the store's own statements
/// would write, in one transaction with `synchronous=OFF` (preparation needs no durability; the
/// server's own connections keep `synchronous=FULL`). Thousands of people in a second or two
/// instead of one fsync per statement.
pub async fn prepare_sqlite(
    db: &std::path::Path,
    first: usize,
    n: usize,
    now: i64,
) -> Vec<Submitter> {
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=rw", db.display());
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("open the database");
    sqlx::Executor::execute(
        &mut conn,
        "PRAGMA synchronous = OFF; PRAGMA busy_timeout = 10000",
    )
    .await
    .expect("pragmas");
    let mut tx = conn.begin().await.expect("begin");
    let mut out = Vec::with_capacity(n);
    for i in first..first + n {
        let birth = chrono::NaiveDate::from_ymd_opt(1950, 1, 1)
            .and_then(|d| d.checked_add_days(chrono::Days::new((i / 500) as u64)))
            .expect("date");
        let seq = (2 * (i % 500) + 1) as u32;
        let id_number = server::demo::make_id_number("110101", birth, seq).expect("id");
        let phone = format!("135{i:08}");
        let name = "陈松";
        let person_id = server::tokens::new_id();
        let user_id = server::tokens::new_id();
        let token = server::tokens::new_token();
        let front = server::tokens::new_id();
        let back = server::tokens::new_id();
        let challenge = server::tokens::new_id();
        let nonce = format!("{}{}", server::tokens::new_id(), server::tokens::new_id());
        let q = |sql: &'static str| sqlx::query(sql);
        q("INSERT INTO roster_people (id, name, id_number, category, district, created_at, updated_at)
           VALUES ($1, $2, $3, 'self_employed_officer', '110101', $4, $4)")
        .bind(&person_id)
        .bind(name)
        .bind(&id_number)
        .bind(now)
        .execute(&mut *tx)
        .await
        .expect("roster");
        q("INSERT INTO roster_phones (person_id, phone) VALUES ($1, $2)")
            .bind(&person_id)
            .bind(&phone)
            .execute(&mut *tx)
            .await
            .expect("phone");
        q("INSERT INTO users (id, role, person_id, name, id_number, phone, password_hash, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'unused', $7)")
        .bind(&user_id)
        .bind(Role::Veteran.as_str())
        .bind(&person_id)
        .bind(name)
        .bind(&id_number)
        .bind(&phone)
        .bind(now)
        .execute(&mut *tx)
        .await
        .expect("user");
        q("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(server::tokens::hash_token(&token))
            .bind(&user_id)
            .bind(now)
            .bind(now + 86_400)
            .execute(&mut *tx)
            .await
            .expect("session");
        for (id, kind) in [(&front, "id_front"), (&back, "id_back")] {
            q(
                "INSERT INTO uploads (id, user_id, kind, blob_key, content_type, size, created_at)
               VALUES ($1, $2, $3, $4, 'image/jpeg', 0, $5)",
            )
            .bind(id)
            .bind(&user_id)
            .bind(kind)
            .bind(format!("{id}.jpg"))
            .bind(now)
            .execute(&mut *tx)
            .await
            .expect("upload");
        }
        q("INSERT INTO liveness_challenges (id, user_id, nonce, actions, issued_at, expires_at, passed_at)
           VALUES ($1, $2, $3, '[\"blink\",\"nod\"]', $4, $5, $4)")
        .bind(&challenge)
        .bind(&user_id)
        .bind(&nonce)
        .bind(now)
        .bind(now + 120)
        .execute(&mut *tx)
        .await
        .expect("challenge");
        out.push(Submitter {
            body: body(name, &id_number, &phone, &front, &back, &challenge),
            person_id,
            user_id,
            token,
        });
    }
    tx.commit().await.expect("commit");
    out
}

fn body(
    name: &str,
    id_number: &str,
    phone: &str,
    front: &str,
    back: &str,
    challenge: &str,
) -> Value {
    json!({
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
        "id_front_upload": front, "id_back_upload": back,
        "liveness_challenge_id": challenge
    })
}
