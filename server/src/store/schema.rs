//! The schema, as numbered migrations, once per backend. The two dialects differ only where they
//! must: auto-increment keys and the triggers that make the audit log append-only.
//!
//! Times are unix seconds (`BIGINT`); booleans are not used (both backends agree on integers).

const COMMON_V1: &[&str] = &[
    // 建档立卡: the people under care, loaded by import-roster (or the demo seed).
    "CREATE TABLE roster_people (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        id_number TEXT NOT NULL UNIQUE,
        category TEXT NOT NULL,
        district TEXT NOT NULL,
        reference_photo TEXT,
        last_review TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
    )",
    "CREATE TABLE roster_phones (
        person_id TEXT NOT NULL REFERENCES roster_people(id) ON DELETE CASCADE,
        phone TEXT NOT NULL,
        PRIMARY KEY (person_id, phone)
    )",
    "CREATE INDEX roster_phones_phone ON roster_phones(phone)",
    "CREATE TABLE users (
        id TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        person_id TEXT UNIQUE REFERENCES roster_people(id),
        name TEXT NOT NULL,
        id_number TEXT UNIQUE,
        phone TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        id_valid_from TEXT,
        id_valid_to TEXT,
        created_at BIGINT NOT NULL
    )",
    "CREATE TABLE user_districts (
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        district TEXT NOT NULL,
        PRIMARY KEY (user_id, district)
    )",
    "CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT
    )",
    "CREATE INDEX sessions_user ON sessions(user_id)",
    "CREATE TABLE sms_codes (
        id TEXT PRIMARY KEY,
        phone TEXT NOT NULL,
        purpose TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        attempts BIGINT NOT NULL DEFAULT 0,
        used_at BIGINT
    )",
    "CREATE INDEX sms_codes_phone ON sms_codes(phone, created_at)",
    "CREATE TABLE captchas (
        id TEXT PRIMARY KEY,
        answer_x BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT
    )",
    "CREATE TABLE login_throttle (
        key TEXT PRIMARY KEY,
        failures BIGINT NOT NULL,
        window_start BIGINT NOT NULL,
        locked_until BIGINT
    )",
];

const SQLITE_V1: &[&str] = &[
    "CREATE TABLE sms_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        phone TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at BIGINT NOT NULL
    )",
    "CREATE INDEX sms_outbox_phone ON sms_outbox(phone, id)",
    "CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at BIGINT NOT NULL,
        event TEXT NOT NULL,
        user_id TEXT,
        detail TEXT NOT NULL
    )",
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
];

const POSTGRES_V1: &[&str] = &[
    "CREATE TABLE sms_outbox (
        id BIGSERIAL PRIMARY KEY,
        phone TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at BIGINT NOT NULL
    )",
    "CREATE INDEX sms_outbox_phone ON sms_outbox(phone, id)",
    "CREATE TABLE audit_log (
        id BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        event TEXT NOT NULL,
        user_id TEXT,
        detail TEXT NOT NULL
    )",
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
     FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
];

/// Version 2: the annual review intake (reviews, uploads, liveness challenges, submissions and
/// their idempotency keys). Same on both backends.
const COMMON_V2: &[&str] = &[
    // One row per person and year: the lifecycle status (`shared::lifecycle::ReviewStatus` as
    // JSON) and the server copy of the draft (`ReviewFormDraft` as JSON).
    "CREATE TABLE reviews (
        person_id TEXT NOT NULL REFERENCES roster_people(id),
        year BIGINT NOT NULL,
        status TEXT NOT NULL,
        draft TEXT,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (person_id, year)
    )",
    "CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        kind TEXT NOT NULL,
        blob_key TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size BIGINT NOT NULL,
        created_at BIGINT NOT NULL
    )",
    "CREATE INDEX uploads_user ON uploads(user_id)",
    "CREATE TABLE liveness_challenges (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        nonce TEXT NOT NULL,
        actions TEXT NOT NULL,
        issued_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        passed_at BIGINT,
        submitted_at BIGINT
    )",
    "CREATE INDEX liveness_challenges_user ON liveness_challenges(user_id)",
    "CREATE TABLE submissions (
        id TEXT PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES roster_people(id),
        user_id TEXT NOT NULL REFERENCES users(id),
        year BIGINT NOT NULL,
        form TEXT NOT NULL,
        id_front_upload TEXT NOT NULL REFERENCES uploads(id),
        id_back_upload TEXT NOT NULL REFERENCES uploads(id),
        liveness_challenge_id TEXT NOT NULL REFERENCES liveness_challenges(id),
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        decided_by TEXT REFERENCES users(id),
        decided_at BIGINT,
        decision_reason TEXT
    )",
    "CREATE INDEX submissions_queue ON submissions(status, created_at)",
    "CREATE INDEX submissions_person ON submissions(person_id, year)",
    // The answer given to a submission, per user and Idempotency-Key, written in the same
    // transaction as the submission: a retry gets the same answer and creates nothing.
    "CREATE TABLE idempotency_keys (
        user_id TEXT NOT NULL REFERENCES users(id),
        idem_key TEXT NOT NULL,
        response TEXT,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (user_id, idem_key)
    )",
];

/// Version 4: the yearly rules. One row per year and category an administrator configured (the
/// window; for 优抚对象 the announcement day); a year without a row uses
/// `shared::category::Category::default_window`. Dates are `YYYY-MM-DD` text.
const COMMON_V4: &[&str] = &["CREATE TABLE review_windows (
        year BIGINT NOT NULL,
        category TEXT NOT NULL,
        opens TEXT NOT NULL,
        deadline TEXT NOT NULL,
        announced_on TEXT,
        updated_by TEXT NOT NULL REFERENCES users(id),
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (year, category)
    )"];

/// The migrations for one backend, as `(version, statements)`, applied in order, each in one
/// transaction: the common statements, then the dialect's own.
pub fn migrations(postgres: bool) -> Vec<(i64, Vec<&'static str>)> {
    let v1: Vec<&'static str> = COMMON_V1
        .iter()
        .chain(if postgres { POSTGRES_V1 } else { SQLITE_V1 }.iter())
        .copied()
        .collect();
    vec![
        (1, v1),
        (2, COMMON_V2.to_vec()),
        (3, super::liveness::MIGRATION_V3.to_vec()),
        (4, COMMON_V4.to_vec()),
        (5, super::staff::MIGRATION_V5.to_vec()),
        (6, super::liveness::MIGRATION_V6.to_vec()),
        (7, super::identity::MIGRATION_V7.to_vec()),
        (8, super::identity::MIGRATION_V8.to_vec()),
        (9, super::accounts_admin::MIGRATION_V9.to_vec()),
        (10, super::appeals::MIGRATION_V10.to_vec()),
    ]
}
