//! Storage: every SQL statement of the server, in one place, over one schema and two backends.
//!
//! Built on sqlx's `Any` driver: the same SQL text (with `$1`-style placeholders, which SQLite
//! accepts too) runs on SQLite and PostgreSQL; only the migrations differ per dialect (see
//! [`schema`]). Values are plain integers and text, which both backends store alike.
//!
//! SQLite runs in WAL mode with `synchronous=FULL`: a commit is on disk before the request that
//! made it is answered, so no acknowledged write is lost on a crash or restart.

mod accounts_admin;
mod appeals;
mod batch;
mod identity;
mod liveness;
mod review;
mod schema;
mod staff;
mod yearly;

pub use accounts_admin::StaffAccountRow;
pub use appeals::{AppealDecision, AppealRow, NewAppeal};
pub use identity::{
    IdentityRecord, IdentityRow, NewRealNameRequest, RealNameDecision, RealNameRequestRow,
};
pub use yearly::{PaymentRow, WindowRow};

pub use staff::{
    ConfirmationRow, DeathRow, NewAssisted, NewConfirmation, NewDeath, QueueEntry, StaffOpRow,
    StaffPersonRow, StaffRecord, StaffWrite, WriteOutcome,
};

pub use liveness::{
    score_to_micro, ClaimOutcome, EvidenceChallengeRow, EvidenceRow, FingerprintRow,
    NewReferencePhoto, ReferencePhotoRow,
};

pub use review::{
    ChallengeRow, Decision, NewChallenge, NewSubmission, NewUpload, ReviewPerson, ReviewRow,
    SubmissionRow, SubmitOutcome, UploadRow,
};

use std::path::Path;

use shared::api::accounts::Role;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

use crate::tokens;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Lockout policy: this many consecutive failures within [`FAILURE_WINDOW_SECS`] lock the
/// account for [`LOCK_SECS`].
pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW_SECS: i64 = 15 * 60;
pub const LOCK_SECS: i64 = 15 * 60;
/// Wrong guesses allowed per SMS code before it is void.
pub const MAX_SMS_CODE_ATTEMPTS: i64 = 5;

pub type DbResult<T> = Result<T, sqlx::Error>;

/// A handle to the database (cheap to clone).
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Group commit of submissions (`batch`).
    batcher: batch::Batcher,
}

/// A person in the roster, as loaded by import-roster or the demo seed. Values are already
/// parsed by the caller (the store does not check them again).
#[derive(Clone)]
pub struct RosterRecord {
    pub id: String,
    pub name: String,
    pub id_number: String,
    pub phones: Vec<String>,
    /// `Category` serde name, e.g. `military_retiree`.
    pub category: String,
    /// 6-digit GB/T 2260 code.
    pub district: String,
    /// Path of the stored reference photo, relative to the data directory.
    pub reference_photo: Option<String>,
    /// Last year's accepted review form (JSON), for prefill.
    pub last_review: Option<String>,
}

/// A roster entry as registration needs it.
#[derive(Debug, Clone)]
pub struct RosterPerson {
    pub id: String,
    pub name: String,
}

/// What login needs of an account.
#[derive(Clone)]
pub struct UserAuth {
    pub id: String,
    pub role: Role,
    pub name: String,
    pub password_hash: String,
    /// 停用 by an administrator: logging in is refused.
    pub disabled: bool,
}

/// A new account.
pub struct NewUser {
    pub id: String,
    pub role: Role,
    pub person_id: Option<String>,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: String,
    pub password_hash: String,
    pub id_valid_from: Option<String>,
    pub id_valid_to: Option<String>,
    pub districts: Vec<String>,
}

/// The columns behind `GET /api/v1/me`.
pub struct ProfileRow {
    pub id: String,
    pub role: Role,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: String,
    pub category: Option<String>,
    pub districts: Vec<String>,
}

/// One message in the SMS outbox.
pub struct OutboxRow {
    pub phone: String,
    pub body: String,
    pub created_at: i64,
}

/// One audit log entry.
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub event: String,
    pub user_id: Option<String>,
    pub detail: String,
}

/// See [`Store::write_tx`].
pub(crate) async fn begin_write(
    pool: &AnyPool,
    backend: Backend,
) -> DbResult<sqlx::Transaction<'static, sqlx::Any>> {
    match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => pool.begin().await,
    }
}

/// Whether an insert hit a unique constraint.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation()
                || d.message().contains("UNIQUE constraint failed")
                || d.code().as_deref() == Some("23505")
        }
        _ => false,
    }
}

fn role_of(row: &AnyRow, col: &str) -> DbResult<Role> {
    let s: String = row.try_get(col)?;
    Role::from_wire(&s).ok_or_else(|| sqlx::Error::Decode(format!("unknown role {s:?}").into()))
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) and brings the schema up to date.
    pub async fn connect(url: &str) -> DbResult<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let max = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
                        // The busy timeout first: switching to WAL takes a lock, and a new
                        // connection opened while another writes must wait, not fail.
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        let store = Store {
            pool,
            backend,
            batcher: batch::Batcher::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// The SQLite database file in `data_dir` (created if missing).
    pub async fn open_sqlite_dir(data_dir: &Path) -> DbResult<Store> {
        std::fs::create_dir_all(data_dir).map_err(sqlx::Error::Io)?;
        let dir = data_dir.canonicalize().map_err(sqlx::Error::Io)?;
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.join("zhanyou.sqlite3").display()
        );
        Store::connect(&url).await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A transaction that will write. SQLite's default (deferred) transaction takes its write
    /// lock only at the first write, and a transaction that read first then fails at once with
    /// "database is locked" if another connection wrote meanwhile, whatever the busy timeout;
    /// `BEGIN IMMEDIATE` takes the write lock up front and so waits its turn instead.
    pub(crate) async fn write_tx(&self) -> DbResult<sqlx::Transaction<'static, sqlx::Any>> {
        begin_write(&self.pool, self.backend).await
    }

    /// Closes every connection (graceful shutdown; tests dropping a database).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn migrate(&self) -> DbResult<()> {
        let mut conn = self.pool.acquire().await?;
        let postgres = self.backend == Backend::Postgres;
        if postgres {
            // Several servers may start at once against one database.
            conn.execute("SELECT pg_advisory_lock(727274)").await?;
        }
        let result = async {
            conn.execute("CREATE TABLE IF NOT EXISTS zy_schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
                .await?;
            // Every migration not recorded yet, by number (not "above the highest"): a database
            // that got a later number first still receives an earlier one added afterwards.
            let applied: Vec<i64> = sqlx::query("SELECT version FROM zy_schema_version")
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| r.try_get("version"))
                .collect::<DbResult<_>>()?;
            for (version, statements) in schema::migrations(postgres) {
                if applied.contains(&version) {
                    continue;
                }
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                for sql in statements {
                    tx.execute(sql).await?;
                }
                sqlx::query("INSERT INTO zy_schema_version (version, applied_at) VALUES ($1, $2)")
                    .bind(version)
                    .bind(chrono::Utc::now().timestamp())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                tracing::info!(version, "applied schema migration");
            }
            Ok::<(), sqlx::Error>(())
        }
        .await;
        if postgres {
            conn.execute("SELECT pg_advisory_unlock(727274)").await?;
        }
        result
    }

    pub async fn ping(&self) -> DbResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    // ---- roster -------------------------------------------------------------------------

    /// Inserts or replaces a roster entry (matched by ID number) and its phones.
    pub async fn upsert_roster(&self, r: &RosterRecord, now: i64) -> DbResult<String> {
        let mut tx = self.write_tx().await?;
        let existing: Option<String> =
            sqlx::query("SELECT id FROM roster_people WHERE id_number = $1")
                .bind(&r.id_number)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.try_get("id"))
                .transpose()?;
        let id = match existing {
            Some(id) => {
                sqlx::query(
                    "UPDATE roster_people SET name = $2, category = $3, district = $4,
                     reference_photo = COALESCE($5, reference_photo), last_review = COALESCE($6, last_review),
                     updated_at = $7 WHERE id = $1",
                )
                .bind(&id)
                .bind(&r.name)
                .bind(&r.category)
                .bind(&r.district)
                .bind(&r.reference_photo)
                .bind(&r.last_review)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM roster_phones WHERE person_id = $1")
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                id
            }
            None => {
                sqlx::query(
                    "INSERT INTO roster_people (id, name, id_number, category, district, reference_photo, last_review, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                )
                .bind(&r.id)
                .bind(&r.name)
                .bind(&r.id_number)
                .bind(&r.category)
                .bind(&r.district)
                .bind(&r.reference_photo)
                .bind(&r.last_review)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                r.id.clone()
            }
        };
        for phone in &r.phones {
            sqlx::query("INSERT INTO roster_phones (person_id, phone) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(&id)
                .bind(phone)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn roster_by_id_number(&self, id_number: &str) -> DbResult<Option<RosterPerson>> {
        let row = sqlx::query("SELECT id, name FROM roster_people WHERE id_number = $1")
            .bind(id_number)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(RosterPerson {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
            })
        })
        .transpose()
    }

    pub async fn roster_has_phone(&self, person_id: &str, phone: &str) -> DbResult<bool> {
        let row =
            sqlx::query("SELECT 1 AS one FROM roster_phones WHERE person_id = $1 AND phone = $2")
                .bind(person_id)
                .bind(phone)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    pub async fn roster_count(&self) -> DbResult<i64> {
        sqlx::query("SELECT COUNT(*) AS n FROM roster_people")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")
    }

    // ---- users --------------------------------------------------------------------------

    /// Inserts an account; `Err` with a unique violation if the person, ID number or phone
    /// already has one.
    pub async fn insert_user(&self, u: &NewUser, now: i64) -> DbResult<()> {
        let mut tx = self.write_tx().await?;
        // A 身份证号 is also the account's document (a veteran's, checked against the roster).
        let (status, source) = identity::initial_real_name(u.role);
        let kind = u.id_number.as_ref().map(|_| "resident_id_card");
        let region = u.id_number.as_ref().map(|_| "mainland");
        sqlx::query(
            "INSERT INTO users (id, role, person_id, name, id_number, phone, password_hash, id_valid_from,
                id_valid_to, created_at, identity_region, document_kind, document_number,
                real_name_status, real_name_source, real_name_since)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $5, $13, $14, $10)",
        )
        .bind(&u.id)
        .bind(u.role.as_str())
        .bind(&u.person_id)
        .bind(&u.name)
        .bind(&u.id_number)
        .bind(&u.phone)
        .bind(&u.password_hash)
        .bind(&u.id_valid_from)
        .bind(&u.id_valid_to)
        .bind(now)
        .bind(region)
        .bind(kind)
        .bind(identity::status_text(&status))
        .bind(source.map(|s| s.as_text()))
        .execute(&mut *tx)
        .await?;
        for d in &u.districts {
            sqlx::query("INSERT INTO user_districts (user_id, district) VALUES ($1, $2)")
                .bind(&u.id)
                .bind(d)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    pub async fn user_for_person(&self, person_id: &str) -> DbResult<Option<String>> {
        sqlx::query("SELECT id FROM users WHERE person_id = $1")
            .bind(person_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()
    }

    pub async fn user_id_by_phone(&self, phone: &str) -> DbResult<Option<String>> {
        sqlx::query("SELECT id FROM users WHERE phone = $1")
            .bind(phone)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()
    }

    /// The account whose phone or ID number is `login` (already normalised by the caller).
    pub async fn user_auth(&self, column: LoginColumn, login: &str) -> DbResult<Option<UserAuth>> {
        let sql = match column {
            LoginColumn::Phone => {
                "SELECT id, role, name, password_hash, disabled_at FROM users WHERE phone = $1"
            }
            LoginColumn::IdNumber => {
                "SELECT id, role, name, password_hash, disabled_at FROM users WHERE id_number = $1"
            }
        };
        let row = sqlx::query(sql)
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(UserAuth {
                id: r.try_get("id")?,
                role: role_of(&r, "role")?,
                name: r.try_get("name")?,
                password_hash: r.try_get("password_hash")?,
                disabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
            })
        })
        .transpose()
    }

    pub async fn user_profile(&self, user_id: &str) -> DbResult<Option<ProfileRow>> {
        let row = sqlx::query(
            "SELECT u.id, u.role, u.name, u.id_number, u.phone, p.category, p.district
             FROM users u LEFT JOIN roster_people p ON p.id = u.person_id WHERE u.id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let person_district: Option<String> = r.try_get("district")?;
        let mut districts: Vec<String> = person_district.into_iter().collect();
        let rows =
            sqlx::query("SELECT district FROM user_districts WHERE user_id = $1 ORDER BY district")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
        for d in rows {
            districts.push(d.try_get("district")?);
        }
        Ok(Some(ProfileRow {
            id: r.try_get("id")?,
            role: role_of(&r, "role")?,
            name: r.try_get("name")?,
            id_number: r.try_get("id_number")?,
            phone: r.try_get("phone")?,
            category: r.try_get("category")?,
            districts,
        }))
    }

    /// The roster person of an account (veterans only).
    pub async fn person_of_user(&self, user_id: &str) -> DbResult<Option<String>> {
        let row = sqlx::query("SELECT person_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| r.try_get::<Option<String>, _>("person_id"))
            .transpose()?
            .flatten())
    }

    pub async fn set_password(&self, user_id: &str, hash: &str) -> DbResult<()> {
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user_id)
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Changes the bound phone; `Err` with a unique violation if another account has it.
    pub async fn set_phone(&self, user_id: &str, phone: &str) -> DbResult<()> {
        sqlx::query("UPDATE users SET phone = $2 WHERE id = $1")
            .bind(user_id)
            .bind(phone)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn user_count(&self) -> DbResult<i64> {
        sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")
    }

    // ---- sessions -----------------------------------------------------------------------

    pub async fn insert_session(
        &self,
        token_hash: &str,
        user_id: &str,
        now: i64,
        expires_at: i64,
    ) -> DbResult<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The account of a live session.
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> DbResult<Option<(String, Role)>> {
        let row = sqlx::query(
            "SELECT u.id, u.role FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
               AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get("id")?, role_of(&r, "role")?)))
            .transpose()
    }

    pub async fn revoke_session(&self, token_hash: &str, now: i64) -> DbResult<()> {
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn revoke_all_sessions(&self, user_id: &str, now: i64) -> DbResult<u64> {
        let r = sqlx::query(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    // ---- SMS codes and outbox -----------------------------------------------------------

    /// When the last code was requested for `phone` (any purpose).
    pub async fn last_sms_code_at(&self, phone: &str) -> DbResult<Option<i64>> {
        let row = sqlx::query("SELECT MAX(created_at) AS t FROM sms_codes WHERE phone = $1")
            .bind(phone)
            .fetch_one(&self.pool)
            .await?;
        row.try_get("t")
    }

    /// Stores a code (only its salted hash). Returns the row id.
    pub async fn insert_sms_code(
        &self,
        phone: &str,
        purpose: &str,
        code: &str,
        now: i64,
        expires_at: i64,
    ) -> DbResult<String> {
        let id = tokens::new_id();
        sqlx::query(
            "INSERT INTO sms_codes (id, phone, purpose, code_hash, created_at, expires_at, attempts)
             VALUES ($1, $2, $3, $4, $5, $6, 0)",
        )
        .bind(&id)
        .bind(phone)
        .bind(purpose)
        .bind(sms_code_hash(&id, code))
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// Checks `code` against the newest live code for (`phone`, `purpose`) and uses it up if it
    /// matches. A wrong guess counts against the code; after [`MAX_SMS_CODE_ATTEMPTS`] it is void.
    pub async fn take_sms_code(
        &self,
        phone: &str,
        purpose: &str,
        code: &str,
        now: i64,
    ) -> DbResult<bool> {
        let row = sqlx::query(
            "SELECT id, code_hash, attempts FROM sms_codes
             WHERE phone = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(phone)
        .bind(purpose)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(false) };
        let id: String = row.try_get("id")?;
        let stored: String = row.try_get("code_hash")?;
        let attempts: i64 = row.try_get("attempts")?;
        if attempts >= MAX_SMS_CODE_ATTEMPTS {
            return Ok(false);
        }
        if stored != sms_code_hash(&id, code) {
            sqlx::query("UPDATE sms_codes SET attempts = attempts + 1 WHERE id = $1")
                .bind(&id)
                .execute(&self.pool)
                .await?;
            return Ok(false);
        }
        let r = sqlx::query(
            "UPDATE sms_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND attempts < $3",
        )
        .bind(&id)
        .bind(now)
        .bind(MAX_SMS_CODE_ATTEMPTS)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn outbox_push(&self, phone: &str, body: &str, now: i64) -> DbResult<()> {
        sqlx::query("INSERT INTO sms_outbox (phone, body, created_at) VALUES ($1, $2, $3)")
            .bind(phone)
            .bind(body)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Messages to `phone`, newest first.
    pub async fn outbox_for(&self, phone: &str, limit: i64) -> DbResult<Vec<OutboxRow>> {
        let rows = sqlx::query("SELECT phone, body, created_at FROM sms_outbox WHERE phone = $1 ORDER BY id DESC LIMIT $2")
            .bind(phone)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxRow {
                    phone: r.try_get("phone")?,
                    body: r.try_get("body")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    // ---- captchas -----------------------------------------------------------------------

    pub async fn insert_captcha(&self, id: &str, answer_x: i64, expires_at: i64) -> DbResult<()> {
        sqlx::query("INSERT INTO captchas (id, answer_x, expires_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(answer_x)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Uses up a captcha: its answer if it existed, was unused and unexpired; `None` otherwise.
    pub async fn take_captcha(&self, id: &str, now: i64) -> DbResult<Option<i64>> {
        let r = sqlx::query("UPDATE captchas SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2")
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        if r.rows_affected() != 1 {
            return Ok(None);
        }
        let row = sqlx::query("SELECT answer_x FROM captchas WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(row.try_get("answer_x")?))
    }

    /// The answer of an unused captcha (demo mode's dev route).
    pub async fn captcha_answer(&self, id: &str) -> DbResult<Option<i64>> {
        sqlx::query("SELECT answer_x FROM captchas WHERE id = $1 AND used_at IS NULL")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get("answer_x"))
            .transpose()
    }

    /// Deletes captchas and SMS codes that expired more than a day ago.
    pub async fn purge_expired(&self, now: i64) -> DbResult<()> {
        let cutoff = now - 86_400;
        sqlx::query("DELETE FROM captchas WHERE expires_at < $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM sms_codes WHERE expires_at < $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- lockout ------------------------------------------------------------------------

    /// Until when `key` is locked, if it is locked at `now`.
    pub async fn locked_until(&self, key: &str, now: i64) -> DbResult<Option<i64>> {
        let row = sqlx::query(
            "SELECT locked_until FROM login_throttle WHERE key = $1 AND locked_until > $2",
        )
        .bind(key)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| r.try_get::<Option<i64>, _>("locked_until"))
            .transpose()?
            .flatten())
    }

    /// Counts a failure for `key`. Returns `Some(until)` when this failure locks it.
    ///
    /// Each step is one atomic statement, so concurrent failures are all counted on both
    /// backends: a streak starts at its first failure and lasts [`FAILURE_WINDOW_SECS`].
    pub async fn record_failure(&self, key: &str, now: i64) -> DbResult<Option<i64>> {
        sqlx::query("INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, 0, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(now)
            .execute(&self.pool)
            .await?;
        let row = sqlx::query(
            "UPDATE login_throttle SET
                failures = CASE WHEN window_start <= $2 - $3 THEN 1 ELSE failures + 1 END,
                window_start = CASE WHEN window_start <= $2 - $3 THEN $2 ELSE window_start END
             WHERE key = $1 RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .bind(FAILURE_WINDOW_SECS)
        .fetch_one(&self.pool)
        .await?;
        let failures: i64 = row.try_get("failures")?;
        if failures < MAX_FAILURES {
            return Ok(None);
        }
        let until = now + LOCK_SECS;
        sqlx::query("UPDATE login_throttle SET failures = 0, window_start = $2, locked_until = $3 WHERE key = $1")
            .bind(key)
            .bind(now)
            .bind(until)
            .execute(&self.pool)
            .await?;
        Ok(Some(until))
    }

    /// Forgets failures and any lock of `key` (after a successful login or a password reset).
    pub async fn clear_failures(&self, key: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- audit log ----------------------------------------------------------------------

    /// Appends a security event. `detail` is a JSON object without secrets.
    pub async fn audit(
        &self,
        event: &str,
        user_id: Option<&str>,
        detail: &serde_json::Value,
        now: i64,
    ) -> DbResult<()> {
        sqlx::query("INSERT INTO audit_log (at, event, user_id, detail) VALUES ($1, $2, $3, $4)")
            .bind(now)
            .bind(event)
            .bind(user_id)
            .bind(detail.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The newest `limit` events, newest first.
    pub async fn audit_recent(&self, limit: i64) -> DbResult<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT id, at, event, user_id, detail FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    event: r.try_get("event")?,
                    user_id: r.try_get("user_id")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    /// Tries to rewrite history; used by tests to prove the audit log is append-only.
    pub async fn try_tamper_audit_log(&self) -> DbResult<()> {
        sqlx::query("UPDATE audit_log SET event = 'x'")
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Which column a login string is looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginColumn {
    Phone,
    IdNumber,
}

/// Salted hash of an SMS code (salt: the code's row id).
fn sms_code_hash(id: &str, code: &str) -> String {
    tokens::hash_token(&format!("{id}:{code}"))
}
