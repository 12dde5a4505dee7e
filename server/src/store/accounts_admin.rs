//! Staff, reviewer and admin accounts as administrators manage them: 停用 / 启用, and the list
//! (migration 9). Creating one is `Store::insert_user`.

use sqlx::Row;

use super::{role_of, DbResult, Store};
use shared::api::accounts::Role;

/// Version 9: when an account was disabled (停用); NULL while it is in use. A disabled account's
/// sessions end and it cannot log in (`Store::session_user`, `Store::user_auth`).
pub(super) const MIGRATION_V9: &[&str] = &["ALTER TABLE users ADD COLUMN disabled_at BIGINT"];

/// A staff, reviewer or admin account in the administrator's list.
pub struct StaffAccountRow {
    pub id: String,
    pub role: Role,
    pub name: String,
    pub phone: String,
    pub districts: Vec<String>,
    pub disabled: bool,
}

impl Store {
    /// Disables (`true`) or re-enables account `user_id`, ending its sessions when disabled, and
    /// appends the audit entry (`account_disabled` / `account_enabled`), in one transaction.
    /// `false` when it already was so (nothing written).
    pub async fn set_account_disabled(
        &self,
        user_id: &str,
        disabled: bool,
        admin_id: &str,
        now: i64,
    ) -> DbResult<bool> {
        let mut tx = self.write_tx().await?;
        let query = if disabled {
            sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
                .bind(now)
                .bind(user_id)
        } else {
            sqlx::query(
                "UPDATE users SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL",
            )
            .bind(user_id)
        };
        let changed = query.execute(&mut *tx).await?.rows_affected();
        if changed != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let mut revoked = 0;
        if disabled {
            revoked = sqlx::query(
                "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            )
            .bind(user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        let event = if disabled {
            "account_disabled"
        } else {
            "account_enabled"
        };
        let detail = serde_json::json!({"target_user_id": user_id, "sessions_revoked": revoked});
        sqlx::query("INSERT INTO audit_log (at, event, user_id, detail) VALUES ($1, $2, $3, $4)")
            .bind(now)
            .bind(event)
            .bind(admin_id)
            .bind(detail.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Whether account `user_id` is disabled (`None`: no such account).
    pub async fn account_disabled(&self, user_id: &str) -> DbResult<Option<bool>> {
        let row = sqlx::query("SELECT disabled_at FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(r.try_get::<Option<i64>, _>("disabled_at")?.is_some()))
            .transpose()
    }

    /// Every staff, reviewer and admin account with its districts, by role then name.
    pub async fn staff_accounts(&self) -> DbResult<Vec<StaffAccountRow>> {
        let rows = sqlx::query(
            "SELECT id, role, name, phone, disabled_at FROM users
             WHERE role IN ('staff', 'reviewer', 'admin') ORDER BY role, name, id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            let districts = self.user_districts(&id).await?;
            out.push(StaffAccountRow {
                role: role_of(r, "role")?,
                name: r.try_get("name")?,
                phone: r.try_get("phone")?,
                disabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
                districts,
                id,
            });
        }
        Ok(out)
    }
}
