//! Real-name identity of accounts (spec S1): the identity columns of `users`, the real-name
//! status, and migration 7.
//!
//! The status is stored as the JSON of `shared::identity::RealNameStatus` (`{"status": …,
//! "reason": …}`), its source as `RealNameSource::as_text`, and since when it holds.

use shared::identity::{RealNameSource, RealNameStatus};
use sqlx::Row;

use super::{role_of, DbResult, NewUser, Store};
use shared::api::accounts::Role;

/// Version 7: identity columns on `users` (nullable: veterans and staff keep theirs in the old
/// columns too) and the real-name status. Existing veterans were checked against the roster at
/// registration (`auto_verified`, `roster`); existing staff, reviewers and admins were created by
/// administrators (`manual_verified`, `manual`).
pub(super) const MIGRATION_V7: &[&str] = &[
    "ALTER TABLE users ADD COLUMN identity_region TEXT",
    "ALTER TABLE users ADD COLUMN document_kind TEXT",
    "ALTER TABLE users ADD COLUMN document_number TEXT",
    "ALTER TABLE users ADD COLUMN sex TEXT",
    "ALTER TABLE users ADD COLUMN ethnicity TEXT",
    "ALTER TABLE users ADD COLUMN address TEXT",
    "ALTER TABLE users ADD COLUMN district TEXT",
    "ALTER TABLE users ADD COLUMN real_name_status TEXT NOT NULL DEFAULT '{\"status\":\"unverified\"}'",
    "ALTER TABLE users ADD COLUMN real_name_source TEXT",
    "ALTER TABLE users ADD COLUMN real_name_since BIGINT NOT NULL DEFAULT 0",
    "UPDATE users SET real_name_status = '{\"status\":\"auto_verified\"}', real_name_source = 'roster',
        real_name_since = created_at WHERE role = 'veteran'",
    "UPDATE users SET real_name_status = '{\"status\":\"manual_verified\"}', real_name_source = 'manual',
        real_name_since = created_at WHERE role IN ('staff', 'reviewer', 'admin')",
    "UPDATE users SET identity_region = 'mainland', document_kind = 'resident_id_card',
        document_number = id_number WHERE id_number IS NOT NULL",
    "CREATE UNIQUE INDEX users_document ON users(document_kind, document_number)",
];

/// Version 8: requests for manual real-name review (人工审核): the signed scans, the district
/// the request belongs to (the account's 所在地区, or a veteran's roster district), and the
/// decision. `decision` is NULL while it waits; then `approved`, `rejected` (with `reason`) or
/// `superseded` (newer scans, or an edit that re-ran verification).
pub(super) const MIGRATION_V8: &[&str] = &[
    "CREATE TABLE real_name_requests (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        front_upload TEXT NOT NULL,
        back_upload TEXT NOT NULL,
        district TEXT,
        submitted_at BIGINT NOT NULL,
        decision TEXT,
        reason TEXT,
        reviewer_id TEXT,
        decided_at BIGINT
    )",
    "CREATE INDEX real_name_requests_user ON real_name_requests(user_id, decision)",
    "CREATE INDEX real_name_requests_district ON real_name_requests(district, decision)",
];

/// The real-name status a new account of `role` starts with, and its source: a veteran was
/// matched with the roster at registration; staff, reviewers and admins are created by an
/// administrator; a 个人用户's is decided at registration ([`Store::insert_personal_user`]).
pub(super) fn initial_real_name(role: Role) -> (RealNameStatus, Option<RealNameSource>) {
    match role {
        Role::Veteran => (RealNameStatus::AutoVerified, Some(RealNameSource::Roster)),
        Role::Staff | Role::Reviewer | Role::Admin => {
            (RealNameStatus::ManualVerified, Some(RealNameSource::Manual))
        }
        Role::Person => (RealNameStatus::Unverified, None),
    }
}

pub(super) fn status_text(s: &RealNameStatus) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "{\"status\":\"unverified\"}".to_owned())
}

/// The identity fields of an account, as stored (already parsed by the caller; dates
/// `YYYY-MM-DD`, kinds and regions in snake case, ethnicity its two-digit code).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IdentityRecord {
    pub name: String,
    pub identity_region: Option<String>,
    pub document_kind: Option<String>,
    pub document_number: Option<String>,
    pub id_valid_from: Option<String>,
    pub id_valid_to: Option<String>,
    pub sex: Option<String>,
    pub ethnicity: Option<String>,
    pub address: Option<String>,
    /// A 个人用户's 所在地区 (a veteran's district is the roster's).
    pub district: Option<String>,
}

impl std::fmt::Debug for IdentityRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityRecord")
            .field("document_kind", &self.document_kind)
            .finish_non_exhaustive()
    }
}

/// An account's identity as `GET /api/v1/me/identity` and the edit read it.
pub struct IdentityRow {
    pub role: Role,
    pub person_id: Option<String>,
    pub phone: String,
    pub record: IdentityRecord,
    /// The roster's district of a veteran.
    pub roster_district: Option<String>,
    pub status: RealNameStatus,
    pub source: Option<RealNameSource>,
    pub since: i64,
}

impl Store {
    /// Inserts a 个人用户 (`u.role` is `Role::Person`) with its identity and real-name status, in
    /// one transaction. A unique violation means the document or the phone has an account.
    pub async fn insert_personal_user(
        &self,
        u: &NewUser,
        record: &IdentityRecord,
        status: &RealNameStatus,
        source: Option<&RealNameSource>,
        now: i64,
    ) -> DbResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO users (id, role, person_id, name, id_number, phone, password_hash, id_valid_from,
                id_valid_to, created_at, identity_region, document_kind, document_number, sex, ethnicity,
                address, district, real_name_status, real_name_source, real_name_since)
             VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $9)",
        )
        .bind(&u.id)
        .bind(u.role.as_str())
        .bind(&record.name)
        .bind(&u.id_number)
        .bind(&u.phone)
        .bind(&u.password_hash)
        .bind(&record.id_valid_from)
        .bind(&record.id_valid_to)
        .bind(now)
        .bind(&record.identity_region)
        .bind(&record.document_kind)
        .bind(&record.document_number)
        .bind(&record.sex)
        .bind(&record.ethnicity)
        .bind(&record.address)
        .bind(&record.district)
        .bind(status_text(status))
        .bind(source.map(RealNameSource::as_text))
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// The account holding document `kind`/`number`, if any.
    pub async fn user_by_document(&self, kind: &str, number: &str) -> DbResult<Option<String>> {
        sqlx::query("SELECT id FROM users WHERE document_kind = $1 AND document_number = $2")
            .bind(kind)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()
    }

    /// The identity of account `user_id`.
    pub async fn identity_of(&self, user_id: &str) -> DbResult<Option<IdentityRow>> {
        let row = sqlx::query(
            "SELECT u.role, u.person_id, u.phone, u.name, u.identity_region, u.document_kind,
                    u.document_number, u.id_valid_from, u.id_valid_to, u.sex, u.ethnicity, u.address,
                    u.district, u.real_name_status, u.real_name_source, u.real_name_since,
                    p.district AS roster_district
             FROM users u LEFT JOIN roster_people p ON p.id = u.person_id WHERE u.id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let status_json: String = r.try_get("real_name_status")?;
        let status = serde_json::from_str(&status_json)
            .map_err(|e| sqlx::Error::Decode(format!("real_name_status: {e}").into()))?;
        let source: Option<String> = r.try_get("real_name_source")?;
        Ok(Some(IdentityRow {
            role: role_of(&r, "role")?,
            person_id: r.try_get("person_id")?,
            phone: r.try_get("phone")?,
            record: IdentityRecord {
                name: r.try_get("name")?,
                identity_region: r.try_get("identity_region")?,
                document_kind: r.try_get("document_kind")?,
                document_number: r.try_get("document_number")?,
                id_valid_from: r.try_get("id_valid_from")?,
                id_valid_to: r.try_get("id_valid_to")?,
                sex: r.try_get("sex")?,
                ethnicity: r.try_get("ethnicity")?,
                address: r.try_get("address")?,
                district: r.try_get("district")?,
            },
            roster_district: r.try_get("roster_district")?,
            status,
            source: source.as_deref().and_then(RealNameSource::from_text),
            since: r.try_get("real_name_since")?,
        }))
    }

    /// Saves an edited identity and the status it leads to, unless the status changed since
    /// `expected` was read (another edit or a reviewer's decision came first): then nothing is
    /// written and `false` comes back. A unique violation means another account holds the
    /// document.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_identity(
        &self,
        user_id: &str,
        expected: &RealNameStatus,
        record: &IdentityRecord,
        status: &RealNameStatus,
        source: Option<&RealNameSource>,
        status_changed: bool,
        now: i64,
    ) -> DbResult<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE users SET name = $1, identity_region = $2, document_kind = $3, document_number = $4,
                id_number = CASE WHEN $3 = 'resident_id_card' THEN $4 ELSE NULL END,
                id_valid_from = $5, id_valid_to = $6, sex = $7, ethnicity = $8, address = $9,
                real_name_status = $10, real_name_source = $11,
                real_name_since = CASE WHEN $12 = 1 THEN $13 ELSE real_name_since END
             WHERE id = $14 AND real_name_status = $15",
        )
        .bind(&record.name)
        .bind(&record.identity_region)
        .bind(&record.document_kind)
        .bind(&record.document_number)
        .bind(&record.id_valid_from)
        .bind(&record.id_valid_to)
        .bind(&record.sex)
        .bind(&record.ethnicity)
        .bind(&record.address)
        .bind(status_text(status))
        .bind(source.map(RealNameSource::as_text))
        .bind(i64::from(status_changed))
        .bind(now)
        .bind(user_id)
        .bind(status_text(expected))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if status_changed && *expected == RealNameStatus::ManualPending {
            // "如您在实名审核期间修改了个人相关信息,请重新上传相关信息": the waiting scans no
            // longer show what is stored.
            supersede_open_requests(&mut tx, user_id, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Files a manual-review request and moves the account from `expected` to `status`
    /// (人工审核中) in one transaction; an older waiting request of the account is superseded.
    /// `false` (nothing written) when the status changed since `expected` was read.
    pub async fn open_real_name_request(
        &self,
        r: &NewRealNameRequest<'_>,
        expected: &RealNameStatus,
        status: &RealNameStatus,
    ) -> DbResult<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE users SET real_name_status = $1, real_name_source = NULL, real_name_since = $2
             WHERE id = $3 AND real_name_status = $4",
        )
        .bind(status_text(status))
        .bind(r.now)
        .bind(r.user_id)
        .bind(status_text(expected))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        supersede_open_requests(&mut tx, r.user_id, r.now).await?;
        sqlx::query(
            "INSERT INTO real_name_requests (id, user_id, front_upload, back_upload, district, submitted_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(r.id)
        .bind(r.user_id)
        .bind(r.front_upload)
        .bind(r.back_upload)
        .bind(r.district)
        .bind(r.now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The waiting requests in `reviewer_id`'s districts, oldest first.
    pub async fn open_real_name_requests(
        &self,
        reviewer_id: &str,
    ) -> DbResult<Vec<RealNameRequestRow>> {
        let sql = format!(
            "{REQUEST_SELECT} WHERE r.decision IS NULL AND {IN_REQUEST_DISTRICTS}
             ORDER BY r.submitted_at, r.id"
        );
        let rows = sqlx::query(&sql)
            .bind(reviewer_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(request_row).collect()
    }

    /// Request `id` if it belongs to one of `reviewer_id`'s districts.
    pub async fn real_name_request_for_reviewer(
        &self,
        reviewer_id: &str,
        id: &str,
    ) -> DbResult<Option<RealNameRequestRow>> {
        let sql = format!("{REQUEST_SELECT} WHERE {IN_REQUEST_DISTRICTS} AND r.id = $2");
        sqlx::query(&sql)
            .bind(reviewer_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(request_row)
            .transpose()
    }

    /// Records a reviewer's decision on a waiting request and the account's new status, in one
    /// transaction; `false` (nothing written) when the request was decided or superseded first.
    pub async fn decide_real_name_request(&self, d: &RealNameDecision<'_>) -> DbResult<bool> {
        let mut tx = self.write_tx().await?;
        let request = sqlx::query(
            "UPDATE real_name_requests SET decision = $1, reason = $2, reviewer_id = $3, decided_at = $4
             WHERE id = $5 AND decision IS NULL",
        )
        .bind(d.decision)
        .bind(d.reason)
        .bind(d.reviewer_id)
        .bind(d.now)
        .bind(d.request_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let source = d.status.is_verified().then_some(RealNameSource::Manual);
        let user = sqlx::query(
            "UPDATE users SET real_name_status = $1, real_name_source = $2, real_name_since = $3
             WHERE id = $4 AND real_name_status = $5",
        )
        .bind(status_text(d.status))
        .bind(source.as_ref().map(RealNameSource::as_text))
        .bind(d.now)
        .bind(d.user_id)
        .bind(status_text(&RealNameStatus::ManualPending))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if request != 1 || user != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Whether upload `id` is a scan of a real-name request in `reviewer_id`'s districts.
    pub async fn real_name_upload_in_reviewer_districts(
        &self,
        reviewer_id: &str,
        id: &str,
    ) -> DbResult<bool> {
        let sql = format!(
            "SELECT 1 AS ok FROM real_name_requests r
             WHERE (r.front_upload = $2 OR r.back_upload = $2) AND {IN_REQUEST_DISTRICTS}"
        );
        Ok(sqlx::query(&sql)
            .bind(reviewer_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }
}

/// Closes the waiting requests of `user_id` as superseded.
async fn supersede_open_requests(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: &str,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE real_name_requests SET decision = 'superseded', decided_at = $1
         WHERE user_id = $2 AND decision IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const REQUEST_SELECT: &str =
    "SELECT r.id, r.user_id, r.front_upload, r.back_upload, r.district AS request_district,
        r.submitted_at, r.decision, r.reason, u.name, u.phone, u.identity_region, u.document_kind,
        u.document_number, u.id_valid_from, u.id_valid_to, u.sex, u.ethnicity, u.address, u.district
     FROM real_name_requests r JOIN users u ON u.id = r.user_id";

/// The request's district is one of reviewer `$1`'s.
const IN_REQUEST_DISTRICTS: &str =
    "EXISTS (SELECT 1 FROM user_districts d WHERE d.user_id = $1 AND d.district = r.district)";

fn request_row(r: &sqlx::any::AnyRow) -> DbResult<RealNameRequestRow> {
    Ok(RealNameRequestRow {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        front_upload: r.try_get("front_upload")?,
        back_upload: r.try_get("back_upload")?,
        district: r.try_get("request_district")?,
        submitted_at: r.try_get("submitted_at")?,
        decision: r.try_get("decision")?,
        reason: r.try_get("reason")?,
        phone: r.try_get("phone")?,
        record: IdentityRecord {
            name: r.try_get("name")?,
            identity_region: r.try_get("identity_region")?,
            document_kind: r.try_get("document_kind")?,
            document_number: r.try_get("document_number")?,
            id_valid_from: r.try_get("id_valid_from")?,
            id_valid_to: r.try_get("id_valid_to")?,
            sex: r.try_get("sex")?,
            ethnicity: r.try_get("ethnicity")?,
            address: r.try_get("address")?,
            district: r.try_get("district")?,
        },
    })
}

/// A manual-review request to file.
pub struct NewRealNameRequest<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub front_upload: &'a str,
    pub back_upload: &'a str,
    pub district: Option<&'a str>,
    pub now: i64,
}

/// A manual-review request with the account's identity as stored now.
pub struct RealNameRequestRow {
    pub id: String,
    pub user_id: String,
    pub front_upload: String,
    pub back_upload: String,
    pub district: Option<String>,
    pub submitted_at: i64,
    /// `None` while it waits.
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub phone: String,
    pub record: IdentityRecord,
}

/// A reviewer's decision on a request.
pub struct RealNameDecision<'a> {
    pub request_id: &'a str,
    pub user_id: &'a str,
    pub reviewer_id: &'a str,
    /// `approved` or `rejected`.
    pub decision: &'a str,
    pub reason: Option<&'a str>,
    /// The account's status after it (人工审核通过 or 实名认证审核失败).
    pub status: &'a RealNameStatus,
    pub now: i64,
}
