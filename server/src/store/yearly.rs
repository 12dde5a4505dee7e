//! SQL of the yearly rules: configured review windows per year and category (migration 4), and
//! what the payment-status export reads per person. Payment status itself is computed, never
//! stored (`crate::yearly`).

use sqlx::Row;

use super::staff::IN_DISTRICTS;
use super::{DbResult, Store};

/// A configured window, as stored (`YYYY-MM-DD` text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRow {
    /// `Category` snake_case name.
    pub category: String,
    pub opens: String,
    pub deadline: String,
    pub announced_on: Option<String>,
}

/// One person of the roster with what their payment status is computed from.
#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub person_id: String,
    pub name: String,
    pub category: String,
    pub district: String,
    /// The review's stored status (`ReviewStatus` JSON), if the person has a row this year.
    pub review_status: Option<String>,
    /// When the person's approved submission of the year was made (unix seconds).
    pub approved_submitted_at: Option<i64>,
    /// When the person last submitted this year (unix seconds), whatever its outcome.
    pub last_submitted_at: Option<i64>,
}

impl Store {
    /// The configured window of `category` in `year`, if an administrator set one.
    pub async fn review_window_row(
        &self,
        year: i64,
        category: &str,
    ) -> DbResult<Option<WindowRow>> {
        let row = sqlx::query(
            "SELECT category, opens, deadline, announced_on FROM review_windows
             WHERE year = $1 AND category = $2",
        )
        .bind(year)
        .bind(category)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| window_row(&r)).transpose()
    }

    /// Every configured window of `year`.
    pub async fn review_window_rows(&self, year: i64) -> DbResult<Vec<WindowRow>> {
        let rows = sqlx::query(
            "SELECT category, opens, deadline, announced_on FROM review_windows
             WHERE year = $1 ORDER BY category",
        )
        .bind(year)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(window_row).collect()
    }

    /// Sets (inserts or replaces) the window of `w.category` in `year`, and appends the audit
    /// entry in the same transaction.
    pub async fn set_review_window(
        &self,
        year: i64,
        w: &WindowRow,
        updated_by: &str,
        audit_detail: &serde_json::Value,
        now: i64,
    ) -> DbResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO review_windows (year, category, opens, deadline, announced_on, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (year, category) DO UPDATE SET opens = excluded.opens,
                deadline = excluded.deadline, announced_on = excluded.announced_on,
                updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(year)
        .bind(&w.category)
        .bind(&w.opens)
        .bind(&w.deadline)
        .bind(&w.announced_on)
        .bind(updated_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO audit_log (at, event, user_id, detail) VALUES ($1, $2, $3, $4)")
            .bind(now)
            .bind("review_window_set")
            .bind(updated_by)
            .bind(audit_detail.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// Every person of the roster — of one `category` and in the districts of one staff member
    /// or reviewer (`scope`, a user id), or all — with their review of `year` and what the
    /// payment status is computed from (`crate::yearly::person_payment`): when the review was
    /// last completed (an approved submission, or an approved staff confirmation: 现场/远程确认
    /// completes the review like a submission) and when it was last submitted. Ordered by
    /// district, category and id. The admin's payment-status export and the staff leads'
    /// district summary both read this, so they always agree.
    pub async fn payment_rows(
        &self,
        year: i64,
        category: Option<&str>,
        scope: Option<&str>,
    ) -> DbResult<Vec<PaymentRow>> {
        let sql = format!(
            "SELECT p.id, p.name, p.category, p.district, r.status,
                (SELECT MAX(s.created_at) FROM submissions s
                  WHERE s.person_id = p.id AND s.year = $2 AND s.status = 'approved') AS approved_at,
                (SELECT MAX(s.created_at) FROM submissions s
                  WHERE s.person_id = p.id AND s.year = $2) AS submitted_at,
                (SELECT MAX(c.confirmed_at) FROM staff_confirmations c
                  WHERE c.person_id = p.id AND c.year = $2 AND c.status = 'approved') AS confirmed_at
             FROM roster_people p
             LEFT JOIN reviews r ON r.person_id = p.id AND r.year = $2
             WHERE ($1 = '' OR {IN_DISTRICTS}) AND ($3 = '' OR p.category = $3)
             ORDER BY p.district, p.category, p.id"
        );
        let rows = sqlx::query(&sql)
            .bind(scope.unwrap_or(""))
            .bind(year)
            .bind(category.unwrap_or(""))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let approved: Option<i64> = r.try_get("approved_at")?;
                let confirmed: Option<i64> = r.try_get("confirmed_at")?;
                Ok(PaymentRow {
                    person_id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    category: r.try_get("category")?,
                    district: r.try_get("district")?,
                    review_status: r.try_get("status")?,
                    approved_submitted_at: match (approved, confirmed) {
                        (Some(a), Some(c)) => Some(a.max(c)),
                        (a, c) => a.or(c),
                    },
                    last_submitted_at: r.try_get("submitted_at")?,
                })
            })
            .collect()
    }
}

fn window_row(r: &sqlx::any::AnyRow) -> DbResult<WindowRow> {
    Ok(WindowRow {
        category: r.try_get("category")?,
        opens: r.try_get("opens")?,
        deadline: r.try_get("deadline")?,
        announced_on: r.try_get("announced_on")?,
    })
}
