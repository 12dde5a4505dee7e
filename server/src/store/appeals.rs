//! 自然人申诉找回密码 (spec S2 b): appeals with their scans' blobs, the reviewer's decision, the
//! reset code's hash and deadline (migration 10).

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{DbResult, Store};

/// Version 10: password appeals. `status` is the name of `shared::identity::appeal::AppealStatus`
/// (its reason in `reason`); `district` is the matched account's (NULL when the document matches
/// no account: such appeals go to administrators); `reset_code_hash` is SHA-256 of the code an
/// approval sends, usable until `expires_at`.
pub(super) const MIGRATION_V10: &[&str] = &[
    "CREATE TABLE password_appeals (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        identity_region TEXT NOT NULL,
        document_kind TEXT NOT NULL,
        document_number TEXT NOT NULL,
        contact_phone TEXT NOT NULL,
        note TEXT,
        matched_user_id TEXT REFERENCES users(id),
        district TEXT,
        front_blob TEXT NOT NULL,
        back_blob TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        reset_code_hash TEXT,
        expires_at BIGINT,
        created_at BIGINT NOT NULL,
        decided_by TEXT,
        decided_at BIGINT
    )",
    "CREATE INDEX password_appeals_document ON password_appeals(document_kind, document_number, status)",
    "CREATE INDEX password_appeals_phone ON password_appeals(contact_phone, created_at)",
    "CREATE INDEX password_appeals_status ON password_appeals(status, district)",
];

/// An appeal to file.
pub struct NewAppeal<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub identity_region: &'a str,
    pub document_kind: &'a str,
    pub document_number: &'a str,
    pub contact_phone: &'a str,
    pub note: Option<&'a str>,
    pub matched_user_id: Option<&'a str>,
    pub district: Option<&'a str>,
    pub front_blob: &'a str,
    pub back_blob: &'a str,
    pub now: i64,
}

/// A stored appeal.
pub struct AppealRow {
    pub id: String,
    pub name: String,
    pub identity_region: String,
    pub document_kind: String,
    pub document_number: String,
    pub contact_phone: String,
    pub note: Option<String>,
    pub matched_user_id: Option<String>,
    pub district: Option<String>,
    pub front_blob: String,
    pub back_blob: String,
    pub status: String,
    pub reason: Option<String>,
    pub created_at: i64,
}

/// A decision to record.
pub struct AppealDecision<'a> {
    pub id: &'a str,
    /// `approved` or `rejected`.
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub reset_code_hash: Option<&'a str>,
    pub expires_at: Option<i64>,
    pub decided_by: &'a str,
    pub now: i64,
}

const SELECT: &str =
    "SELECT id, name, identity_region, document_kind, document_number, contact_phone,
        note, matched_user_id, district, front_blob, back_blob, status, reason, created_at
     FROM password_appeals";

fn appeal_row(r: &AnyRow) -> DbResult<AppealRow> {
    Ok(AppealRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        identity_region: r.try_get("identity_region")?,
        document_kind: r.try_get("document_kind")?,
        document_number: r.try_get("document_number")?,
        contact_phone: r.try_get("contact_phone")?,
        note: r.try_get("note")?,
        matched_user_id: r.try_get("matched_user_id")?,
        district: r.try_get("district")?,
        front_blob: r.try_get("front_blob")?,
        back_blob: r.try_get("back_blob")?,
        status: r.try_get("status")?,
        reason: r.try_get("reason")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// When account `user_id` was created.
    pub async fn user_created_at(&self, user_id: &str) -> DbResult<Option<i64>> {
        sqlx::query("SELECT created_at FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get("created_at"))
            .transpose()
    }

    /// How many appeals name `phone` as their contact since `since`.
    pub async fn appeals_from_phone_since(&self, phone: &str, since: i64) -> DbResult<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM password_appeals WHERE contact_phone = $1 AND created_at >= $2",
        )
        .bind(phone)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        row.try_get("n")
    }

    /// Files an appeal; a waiting one for the same document becomes `superseded`. One
    /// transaction; returns how many were superseded.
    pub async fn insert_appeal(&self, a: &NewAppeal<'_>) -> DbResult<u64> {
        let mut tx = self.write_tx().await?;
        let superseded = sqlx::query(
            "UPDATE password_appeals SET status = 'superseded', decided_at = $1
             WHERE document_kind = $2 AND document_number = $3 AND status = 'pending'",
        )
        .bind(a.now)
        .bind(a.document_kind)
        .bind(a.document_number)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "INSERT INTO password_appeals (id, name, identity_region, document_kind, document_number,
                contact_phone, note, matched_user_id, district, front_blob, back_blob, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12)",
        )
        .bind(a.id)
        .bind(a.name)
        .bind(a.identity_region)
        .bind(a.document_kind)
        .bind(a.document_number)
        .bind(a.contact_phone)
        .bind(a.note)
        .bind(a.matched_user_id)
        .bind(a.district)
        .bind(a.front_blob)
        .bind(a.back_blob)
        .bind(a.now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(superseded)
    }

    /// Waiting appeals, oldest first: those of `reviewer_id`'s districts, or (for an admin,
    /// `reviewer_id` = `None`) those that match no account.
    pub async fn waiting_appeals(&self, reviewer_id: Option<&str>) -> DbResult<Vec<AppealRow>> {
        let rows = match reviewer_id {
            Some(id) => {
                let sql = format!(
                    "{SELECT} WHERE status = 'pending' AND EXISTS (SELECT 1 FROM user_districts d
                        WHERE d.user_id = $1 AND d.district = password_appeals.district)
                     ORDER BY created_at, id"
                );
                sqlx::query(&sql).bind(id).fetch_all(&self.pool).await?
            }
            None => {
                let sql = format!(
                    "{SELECT} WHERE status = 'pending' AND matched_user_id IS NULL ORDER BY created_at, id"
                );
                sqlx::query(&sql).fetch_all(&self.pool).await?
            }
        };
        rows.iter().map(appeal_row).collect()
    }

    pub async fn appeal(&self, id: &str) -> DbResult<Option<AppealRow>> {
        let sql = format!("{SELECT} WHERE id = $1");
        sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(appeal_row)
            .transpose()
    }

    /// Records a decision on a waiting appeal; `false` (nothing written) if it was decided or
    /// superseded first.
    pub async fn decide_appeal(&self, d: &AppealDecision<'_>) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE password_appeals SET status = $1, reason = $2, reset_code_hash = $3, expires_at = $4,
                decided_by = $5, decided_at = $6
             WHERE id = $7 AND status = 'pending'",
        )
        .bind(d.status)
        .bind(d.reason)
        .bind(d.reset_code_hash)
        .bind(d.expires_at)
        .bind(d.decided_by)
        .bind(d.now)
        .bind(d.id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// Uses the reset code whose hash is `code_hash` of an approved appeal with contact phone
    /// `phone`, still valid at `now`: the appeal becomes `used`, the account gets `password_hash`
    /// and loses every session, in one transaction. The account's id, or `None` (nothing
    /// written) for a wrong, used or expired code.
    pub async fn reset_by_appeal(
        &self,
        phone: &str,
        code_hash: &str,
        password_hash: &str,
        now: i64,
    ) -> DbResult<Option<(String, String)>> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "SELECT id, matched_user_id FROM password_appeals
             WHERE contact_phone = $1 AND reset_code_hash = $2 AND status = 'approved'
               AND expires_at > $3 AND matched_user_id IS NOT NULL",
        )
        .bind(phone)
        .bind(code_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let appeal_id: String = row.try_get("id")?;
        let user_id: String = row.try_get("matched_user_id")?;
        let used = sqlx::query(
            "UPDATE password_appeals SET status = 'used' WHERE id = $1 AND status = 'approved'",
        )
        .bind(&appeal_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if used != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(&user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some((appeal_id, user_id)))
    }
}
