//! SQL of staff work (issue 8): people scoped to a staff member's districts, confirmations
//! (现场确认 / 远程确认), death records and their undo, assisted submissions, staff uploads and
//! liveness challenges issued for a person, the operation ids of the tablet's offline queue, the
//! reviewer's queue over all of it, and the district summary. Migration 5 is [`MIGRATION_V5`].

use sqlx::any::AnyRow;
use sqlx::Row;

use super::review::{ensure_review_row, set_review_status, use_challenge};
use super::{ChallengeRow, DbResult, NewUpload, Store, UploadRow};

/// Version 5: staff work. Same on both backends. New columns are nullable (older rows keep
/// working); their names start with `for_` where they name the person a staff member acted for.
pub(super) const MIGRATION_V5: &[&str] = &[
    // The answer to each staff write, per staff member and client operation id
    // (`Idempotency-Key`), written in the same transaction as the write itself.
    "CREATE TABLE staff_operations (
        user_id TEXT NOT NULL REFERENCES users(id),
        op_key TEXT NOT NULL,
        operation TEXT NOT NULL,
        person_id TEXT NOT NULL REFERENCES roster_people(id),
        response TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (user_id, op_key)
    )",
    "CREATE TABLE staff_confirmations (
        id TEXT PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES roster_people(id),
        year BIGINT NOT NULL,
        staff_id TEXT NOT NULL REFERENCES users(id),
        kind TEXT NOT NULL,
        method TEXT NOT NULL,
        confirmed_at BIGINT NOT NULL,
        delegate_name TEXT,
        notes TEXT,
        photo_upload TEXT REFERENCES uploads(id),
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        decided_by TEXT REFERENCES users(id),
        decided_at BIGINT,
        decision_reason TEXT
    )",
    "CREATE INDEX staff_confirmations_queue ON staff_confirmations(status, created_at)",
    "CREATE INDEX staff_confirmations_person ON staff_confirmations(person_id, year)",
    "CREATE TABLE death_records (
        id TEXT PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES roster_people(id),
        year BIGINT NOT NULL,
        staff_id TEXT NOT NULL REFERENCES users(id),
        died_on TEXT NOT NULL,
        evidence_upload TEXT NOT NULL REFERENCES uploads(id),
        notes TEXT,
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        reviewed_by TEXT REFERENCES users(id),
        reviewed_at BIGINT,
        undone_by TEXT REFERENCES users(id),
        undone_at BIGINT,
        undo_reason TEXT
    )",
    "CREATE INDEX death_records_queue ON death_records(status, created_at)",
    "CREATE INDEX death_records_person ON death_records(person_id, year)",
    // An assisted submission: the staff member who did it on the person's behalf.
    "ALTER TABLE submissions ADD COLUMN assisted_by TEXT REFERENCES users(id)",
    // A staff upload or challenge: the person it is for (the owner is the staff member).
    "ALTER TABLE uploads ADD COLUMN for_person_id TEXT REFERENCES roster_people(id)",
    "ALTER TABLE liveness_challenges ADD COLUMN for_person_id TEXT REFERENCES roster_people(id)",
];

/// A person as staff see them, with this year's review.
#[derive(Debug, Clone)]
pub struct StaffPersonRow {
    pub person_id: String,
    pub name: String,
    pub id_number: String,
    pub category: String,
    pub district: String,
    pub reference_photo: Option<String>,
    pub last_review: Option<String>,
    /// `ReviewStatus` JSON of the year's review, if there is a row.
    pub status: Option<String>,
    pub draft: Option<String>,
    pub status_changed_at: Option<i64>,
}

/// `reference_photo`: the roster's file, else the newest captured reference photo's blob key
/// (`reference_photos`, migration 3).
const PERSON_COLUMNS: &str = "p.id, p.name, p.id_number, p.category, p.district,
    COALESCE(p.reference_photo, (SELECT MAX(rp.blob_key) FROM reference_photos rp
        WHERE rp.person_id = p.id)) AS reference_photo,
    p.last_review, r.status, r.draft, r.updated_at";

fn person_row(r: &AnyRow) -> DbResult<StaffPersonRow> {
    Ok(StaffPersonRow {
        person_id: r.try_get("id")?,
        name: r.try_get("name")?,
        id_number: r.try_get("id_number")?,
        category: r.try_get("category")?,
        district: r.try_get("district")?,
        reference_photo: r.try_get("reference_photo")?,
        last_review: r.try_get("last_review")?,
        status: r.try_get("status")?,
        draft: r.try_get("draft")?,
        status_changed_at: r.try_get("updated_at")?,
    })
}

/// A stored staff operation (the answer to a client operation id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffOpRow {
    pub operation: String,
    pub person_id: String,
    pub response: String,
}

/// A confirmation to record.
pub struct NewConfirmation<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub method: &'a str,
    pub confirmed_at: i64,
    pub delegate_name: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub photo_upload: Option<&'a str>,
}

/// A death to record.
pub struct NewDeath<'a> {
    pub id: &'a str,
    pub died_on: &'a str,
    pub evidence_upload: &'a str,
    pub notes: Option<&'a str>,
}

/// An assisted submission to record.
pub struct NewAssisted<'a> {
    pub id: &'a str,
    /// The account the submission belongs to: the person's own if they have one, else the
    /// staff member's.
    pub owner_user_id: &'a str,
    pub form: &'a str,
    pub id_front_upload: &'a str,
    pub id_back_upload: &'a str,
    pub liveness_challenge_id: &'a str,
    /// `StatusKind` name of the new status.
    pub status: &'a str,
}

/// What a staff write records besides the review's status.
pub enum StaffRecord<'a> {
    Confirmation(NewConfirmation<'a>),
    Death(NewDeath<'a>),
    Submission(NewAssisted<'a>),
    /// A reference photo captured by staff (with the person's consent).
    ReferencePhoto(super::NewReferencePhoto<'a>),
}

impl StaffRecord<'_> {
    /// The operation's name, as stored with its id.
    pub fn operation(&self) -> &'static str {
        match self {
            StaffRecord::Confirmation(_) => "confirmation",
            StaffRecord::Death(_) => "death",
            StaffRecord::Submission(_) => "submission",
            StaffRecord::ReferencePhoto(_) => "reference_photo",
        }
    }
}

/// One staff write, all or nothing.
pub struct StaffWrite<'a> {
    pub staff_id: &'a str,
    pub op_key: &'a str,
    pub person_id: &'a str,
    pub year: i64,
    /// The review's status before (JSON) for the compare-and-set; `None`: the status is not
    /// touched (a reference photo).
    pub old_status: Option<&'a str>,
    pub new_status: Option<&'a str>,
    /// The 201 body stored with the operation id.
    pub response: &'a str,
    pub record: StaffRecord<'a>,
    pub now: i64,
}

/// What [`Store::staff_write`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Recorded; the response to send.
    Created(String),
    /// The operation id was used before: its stored answer, nothing recorded.
    Replayed(StaffOpRow),
    /// The review's status changed meanwhile; nothing recorded.
    StatusChanged,
    /// The liveness challenge was used meanwhile; nothing recorded.
    ChallengeUsed,
}

/// One line of the reviewer's queue: a submission, a confirmation or a death record.
#[derive(Debug, Clone)]
pub struct QueueEntry {
    pub id: String,
    /// `submission`, `assisted_submission`, `special_population`, `confirmation`, `death`.
    pub kind: String,
    pub status: String,
    pub created_at: i64,
    pub year: i64,
    pub category: String,
    pub district: String,
    pub name: String,
}

/// A confirmation as a reviewer sees it.
#[derive(Debug, Clone)]
pub struct ConfirmationRow {
    pub id: String,
    pub person_id: String,
    pub name: String,
    pub category: String,
    pub district: String,
    pub year: i64,
    pub staff_id: String,
    pub staff_name: String,
    pub kind: String,
    pub method: String,
    pub confirmed_at: i64,
    pub delegate_name: Option<String>,
    pub notes: Option<String>,
    pub photo_upload: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub decision_reason: Option<String>,
}

/// A death record as a reviewer sees it.
#[derive(Debug, Clone)]
pub struct DeathRow {
    pub id: String,
    pub person_id: String,
    pub name: String,
    pub category: String,
    pub district: String,
    pub year: i64,
    pub staff_id: String,
    pub staff_name: String,
    pub died_on: String,
    pub evidence_upload: String,
    pub notes: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub undo_reason: Option<String>,
}

/// The SQL condition "the person `p` is in one of user `$1`'s districts".
pub(super) const IN_DISTRICTS: &str =
    "EXISTS (SELECT 1 FROM user_districts d WHERE d.user_id = $1 AND d.district = p.district)";

impl Store {
    // ---- districts ----------------------------------------------------------------------

    /// The districts of an account, sorted.
    pub async fn user_districts(&self, user_id: &str) -> DbResult<Vec<String>> {
        let rows =
            sqlx::query("SELECT district FROM user_districts WHERE user_id = $1 ORDER BY district")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|r| r.try_get("district")).collect()
    }

    /// An account's role (wire name) and name.
    pub async fn user_role_name(&self, user_id: &str) -> DbResult<Option<(String, String)>> {
        let row = sqlx::query("SELECT role, name FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("role")?, r.try_get("name")?)))
            .transpose()
    }

    /// Replaces an account's districts and appends the audit entry, in one transaction.
    pub async fn set_user_districts(
        &self,
        user_id: &str,
        districts: &[String],
        admin_id: &str,
        audit_detail: &serde_json::Value,
        now: i64,
    ) -> DbResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM user_districts WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for d in districts {
            sqlx::query("INSERT INTO user_districts (user_id, district) VALUES ($1, $2)")
                .bind(user_id)
                .bind(d)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO audit_log (at, event, user_id, detail) VALUES ($1, $2, $3, $4)")
            .bind(now)
            .bind("staff_districts_set")
            .bind(admin_id)
            .bind(audit_detail.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    // ---- people -------------------------------------------------------------------------

    /// Every person in `staff_id`'s districts with their review of `year`, by district and id.
    pub async fn staff_people(&self, staff_id: &str, year: i64) -> DbResult<Vec<StaffPersonRow>> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM roster_people p
             LEFT JOIN reviews r ON r.person_id = p.id AND r.year = $2
             WHERE {IN_DISTRICTS} ORDER BY p.district, p.id"
        );
        let rows = sqlx::query(&sql)
            .bind(staff_id)
            .bind(year)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(person_row).collect()
    }

    /// One person with their review of `year`: only if in `scope`'s districts (`None`: any
    /// person, for administrators).
    pub async fn staff_person(
        &self,
        scope: Option<&str>,
        person_id: &str,
        year: i64,
    ) -> DbResult<Option<StaffPersonRow>> {
        if person_id.is_empty() || person_id.len() > 64 {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM roster_people p
             LEFT JOIN reviews r ON r.person_id = p.id AND r.year = $2
             WHERE p.id = $3 AND ($1 = '' OR {IN_DISTRICTS})"
        );
        let row = sqlx::query(&sql)
            .bind(scope.unwrap_or(""))
            .bind(year)
            .bind(person_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(person_row).transpose()
    }

    // ---- operations ---------------------------------------------------------------------

    /// The stored answer of `user_id`'s operation `key`, if it was used.
    pub async fn staff_op(&self, user_id: &str, key: &str) -> DbResult<Option<StaffOpRow>> {
        let row = sqlx::query(
            "SELECT operation, person_id, response FROM staff_operations
             WHERE user_id = $1 AND op_key = $2",
        )
        .bind(user_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(StaffOpRow {
                operation: r.try_get("operation")?,
                person_id: r.try_get("person_id")?,
                response: r.try_get("response")?,
            })
        })
        .transpose()
    }

    /// Records a staff write in one transaction: the operation id with its answer (first, a
    /// write, so SQLite takes its write lock there), the review's new status (compare-and-set on
    /// the old one), and the record itself. Either all of it is stored or nothing.
    pub async fn staff_write(&self, w: &StaffWrite<'_>) -> DbResult<WriteOutcome> {
        let mut tx = self.write_tx().await?;
        let claimed = sqlx::query(
            "INSERT INTO staff_operations (user_id, op_key, operation, person_id, response, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, op_key) DO NOTHING",
        )
        .bind(w.staff_id)
        .bind(w.op_key)
        .bind(w.record.operation())
        .bind(w.person_id)
        .bind(w.response)
        .bind(w.now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed != 1 {
            tx.rollback().await?;
            return Ok(match self.staff_op(w.staff_id, w.op_key).await? {
                Some(op) => WriteOutcome::Replayed(op),
                None => WriteOutcome::StatusChanged,
            });
        }
        if let (Some(old), Some(new)) = (w.old_status, w.new_status) {
            ensure_review_row(&mut tx, w.person_id, w.year, old, w.now).await?;
            if !set_review_status(&mut tx, w.person_id, w.year, old, new, w.now).await? {
                tx.rollback().await?;
                return Ok(WriteOutcome::StatusChanged);
            }
        }
        match &w.record {
            StaffRecord::Confirmation(c) => {
                sqlx::query(
                    "INSERT INTO staff_confirmations (id, person_id, year, staff_id, kind, method,
                        confirmed_at, delegate_name, notes, photo_upload, status, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'submitted', $11)",
                )
                .bind(c.id)
                .bind(w.person_id)
                .bind(w.year)
                .bind(w.staff_id)
                .bind(c.kind)
                .bind(c.method)
                .bind(c.confirmed_at)
                .bind(c.delegate_name)
                .bind(c.notes)
                .bind(c.photo_upload)
                .bind(w.now)
                .execute(&mut *tx)
                .await?;
            }
            StaffRecord::Death(d) => {
                sqlx::query(
                    "INSERT INTO death_records (id, person_id, year, staff_id, died_on,
                        evidence_upload, notes, status, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'submitted', $8)",
                )
                .bind(d.id)
                .bind(w.person_id)
                .bind(w.year)
                .bind(w.staff_id)
                .bind(d.died_on)
                .bind(d.evidence_upload)
                .bind(d.notes)
                .bind(w.now)
                .execute(&mut *tx)
                .await?;
            }
            StaffRecord::Submission(s) => {
                if !use_challenge(&mut tx, s.liveness_challenge_id, w.now).await? {
                    tx.rollback().await?;
                    return Ok(WriteOutcome::ChallengeUsed);
                }
                sqlx::query(
                    "INSERT INTO submissions (id, person_id, user_id, year, form, id_front_upload,
                        id_back_upload, liveness_challenge_id, status, created_at, assisted_by)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(s.id)
                .bind(w.person_id)
                .bind(s.owner_user_id)
                .bind(w.year)
                .bind(s.form)
                .bind(s.id_front_upload)
                .bind(s.id_back_upload)
                .bind(s.liveness_challenge_id)
                .bind(s.status)
                .bind(w.now)
                .bind(w.staff_id)
                .execute(&mut *tx)
                .await?;
            }
            StaffRecord::ReferencePhoto(p) => {
                // The same row `Store::insert_reference_photo` writes, in this transaction.
                sqlx::query(
                    "INSERT INTO reference_photos (id, person_id, upload_id, blob_key, embedding,
                        source, captured_by, consent_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(p.id)
                .bind(w.person_id)
                .bind(p.upload_id)
                .bind(p.blob_key)
                .bind(p.embedding)
                .bind(p.source)
                .bind(p.captured_by)
                .bind(p.consent_at)
                .bind(p.now)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(WriteOutcome::Created(w.response.to_owned()))
    }

    /// The newest death record of a person in `year` that is not undone: (id, died_on).
    pub async fn live_death_record(
        &self,
        person_id: &str,
        year: i64,
    ) -> DbResult<Option<(String, String)>> {
        let row = sqlx::query(
            "SELECT id, died_on FROM death_records
             WHERE person_id = $1 AND year = $2 AND status <> 'undone'
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(person_id)
        .bind(year)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get("id")?, r.try_get("died_on")?)))
            .transpose()
    }

    /// Withdraws a death record: the review goes back to `new_status` if it is still
    /// `old_status`, the record is marked undone with the reason. Returns false, changing
    /// nothing, if either changed meanwhile.
    #[allow(clippy::too_many_arguments)]
    pub async fn undo_death(
        &self,
        person_id: &str,
        year: i64,
        record_id: &str,
        old_status: &str,
        new_status: &str,
        admin_id: &str,
        reason: &str,
        now: i64,
    ) -> DbResult<bool> {
        let mut tx = self.write_tx().await?;
        if !set_review_status(&mut tx, person_id, year, old_status, new_status, now).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        let rec = sqlx::query(
            "UPDATE death_records SET status = 'undone', undone_by = $2, undone_at = $3,
                undo_reason = $4
             WHERE id = $1 AND status <> 'undone'",
        )
        .bind(record_id)
        .bind(admin_id)
        .bind(now)
        .bind(reason)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if rec != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    // ---- uploads and challenges for a person --------------------------------------------

    /// Records a staff upload for `person_id` (the image is already in the blob store).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_staff_upload(
        &self,
        id: &str,
        staff_id: &str,
        person_id: &str,
        kind: &str,
        blob_key: &str,
        content_type: &str,
        size: i64,
        now: i64,
    ) -> DbResult<()> {
        let upload = NewUpload {
            id,
            user_id: staff_id,
            kind,
            blob_key,
            content_type,
            size,
        };
        self.insert_upload_for(&upload, Some(person_id), now).await
    }

    /// An upload by id (`None` for an id that cannot be one), with the person it was made for.
    pub async fn staff_upload(&self, id: &str) -> DbResult<Option<UploadRow>> {
        if id.is_empty() || id.len() > 64 {
            return Ok(None);
        }
        self.upload(id).await
    }

    /// Whether upload `id` was made by staff for a person in one of `reviewer_id`'s districts.
    pub async fn staff_upload_in_reviewer_districts(
        &self,
        reviewer_id: &str,
        id: &str,
    ) -> DbResult<bool> {
        let sql = format!(
            "SELECT 1 AS ok FROM uploads u JOIN roster_people p ON p.id = u.for_person_id
             WHERE u.id = $2 AND {IN_DISTRICTS}"
        );
        Ok(self.reviewer_row(&sql, reviewer_id, id).await?.is_some())
    }

    /// Records which person a challenge (issued to a staff member) is for.
    pub async fn set_challenge_person(&self, challenge_id: &str, person_id: &str) -> DbResult<()> {
        sqlx::query("UPDATE liveness_challenges SET for_person_id = $2 WHERE id = $1")
            .bind(challenge_id)
            .bind(person_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A challenge with the person it was issued for (`None` for a veteran's own challenge):
    /// the evidence check compares the face with THAT person's reference photo.
    pub async fn staff_challenge(&self, id: &str) -> DbResult<Option<ChallengeRow>> {
        if id.is_empty() || id.len() > 64 {
            return Ok(None);
        }
        self.challenge(id).await
    }

    // ---- reviewers ----------------------------------------------------------------------

    /// The row `sql` selects with `$1` = `reviewer_id` (for [`IN_DISTRICTS`]) and `$2` = `id`.
    async fn reviewer_row(
        &self,
        sql: &str,
        reviewer_id: &str,
        id: &str,
    ) -> DbResult<Option<AnyRow>> {
        sqlx::query(sql)
            .bind(reviewer_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// One page of the reviewer's queue over submissions, staff confirmations and death records
    /// with `status`, in the reviewer's districts, oldest first, and the total count.
    pub async fn review_queue_all(
        &self,
        reviewer_id: &str,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> DbResult<(Vec<QueueEntry>, i64)> {
        let union = format!(
            "SELECT s.id, CASE WHEN s.assisted_by IS NOT NULL THEN 'assisted_submission'
                        WHEN s.status = 'special_check_pending' THEN 'special_population'
                        ELSE 'submission' END AS kind,
                    s.status, s.created_at, s.year, p.category, p.district, p.name
             FROM submissions s JOIN roster_people p ON p.id = s.person_id
             WHERE s.status = $2 AND {IN_DISTRICTS}
             UNION ALL
             SELECT c.id, 'confirmation' AS kind, c.status, c.created_at, c.year, p.category,
                    p.district, p.name
             FROM staff_confirmations c JOIN roster_people p ON p.id = c.person_id
             WHERE c.status = $2 AND {IN_DISTRICTS}
             UNION ALL
             SELECT x.id, 'death' AS kind, x.status, x.created_at, x.year, p.category,
                    p.district, p.name
             FROM death_records x JOIN roster_people p ON p.id = x.person_id
             WHERE x.status = $2 AND {IN_DISTRICTS}"
        );
        let rows = sqlx::query(&format!(
            "SELECT * FROM ({union}) q ORDER BY q.created_at, q.id LIMIT $3 OFFSET $4"
        ))
        .bind(reviewer_id)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM ({union}) q"))
            .bind(reviewer_id)
            .bind(status)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(QueueEntry {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    status: r.try_get("status")?,
                    created_at: r.try_get("created_at")?,
                    year: r.try_get("year")?,
                    category: r.try_get("category")?,
                    district: r.try_get("district")?,
                    name: r.try_get("name")?,
                })
            })
            .collect::<DbResult<Vec<_>>>()?;
        Ok((items, total))
    }

    /// The staff member who did an assisted submission: (user id, name).
    pub async fn submission_assisted_by(&self, id: &str) -> DbResult<Option<(String, String)>> {
        let row = sqlx::query(
            "SELECT u.id, u.name FROM submissions s JOIN users u ON u.id = s.assisted_by
             WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
            .transpose()
    }

    /// A confirmation, if its person is in one of `reviewer_id`'s districts.
    pub async fn confirmation_for_reviewer(
        &self,
        reviewer_id: &str,
        id: &str,
    ) -> DbResult<Option<ConfirmationRow>> {
        let sql = format!(
            "SELECT c.id, c.person_id, p.name, p.category, p.district, c.year, c.staff_id,
                    u.name AS staff_name, c.kind, c.method, c.confirmed_at, c.delegate_name,
                    c.notes, c.photo_upload, c.status, c.created_at, c.decision_reason
             FROM staff_confirmations c
             JOIN roster_people p ON p.id = c.person_id
             JOIN users u ON u.id = c.staff_id
             WHERE c.id = $2 AND {IN_DISTRICTS}"
        );
        let row = self.reviewer_row(&sql, reviewer_id, id).await?;
        row.map(|r| {
            Ok(ConfirmationRow {
                id: r.try_get("id")?,
                person_id: r.try_get("person_id")?,
                name: r.try_get("name")?,
                category: r.try_get("category")?,
                district: r.try_get("district")?,
                year: r.try_get("year")?,
                staff_id: r.try_get("staff_id")?,
                staff_name: r.try_get("staff_name")?,
                kind: r.try_get("kind")?,
                method: r.try_get("method")?,
                confirmed_at: r.try_get("confirmed_at")?,
                delegate_name: r.try_get("delegate_name")?,
                notes: r.try_get("notes")?,
                photo_upload: r.try_get("photo_upload")?,
                status: r.try_get("status")?,
                created_at: r.try_get("created_at")?,
                decision_reason: r.try_get("decision_reason")?,
            })
        })
        .transpose()
    }

    /// A death record, if its person is in one of `reviewer_id`'s districts.
    pub async fn death_for_reviewer(
        &self,
        reviewer_id: &str,
        id: &str,
    ) -> DbResult<Option<DeathRow>> {
        let sql = format!(
            "SELECT x.id, x.person_id, p.name, p.category, p.district, x.year, x.staff_id,
                    u.name AS staff_name, x.died_on, x.evidence_upload, x.notes, x.status,
                    x.created_at, x.undo_reason
             FROM death_records x
             JOIN roster_people p ON p.id = x.person_id
             JOIN users u ON u.id = x.staff_id
             WHERE x.id = $2 AND {IN_DISTRICTS}"
        );
        let row = self.reviewer_row(&sql, reviewer_id, id).await?;
        row.map(|r| {
            Ok(DeathRow {
                id: r.try_get("id")?,
                person_id: r.try_get("person_id")?,
                name: r.try_get("name")?,
                category: r.try_get("category")?,
                district: r.try_get("district")?,
                year: r.try_get("year")?,
                staff_id: r.try_get("staff_id")?,
                staff_name: r.try_get("staff_name")?,
                died_on: r.try_get("died_on")?,
                evidence_upload: r.try_get("evidence_upload")?,
                notes: r.try_get("notes")?,
                status: r.try_get("status")?,
                created_at: r.try_get("created_at")?,
                undo_reason: r.try_get("undo_reason")?,
            })
        })
        .transpose()
    }

    /// Decides a confirmation in one transaction: its status (if still `submitted`) and the
    /// review's (if still `old_review_status`). False, changing nothing, if either changed.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_confirmation(
        &self,
        id: &str,
        person_id: &str,
        year: i64,
        reviewer_id: &str,
        new_status: &str,
        old_review_status: &str,
        new_review_status: &str,
        reason: Option<&str>,
        now: i64,
    ) -> DbResult<bool> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE staff_confirmations SET status = $2, decided_by = $3, decided_at = $4,
                decision_reason = $5
             WHERE id = $1 AND status = 'submitted'",
        )
        .bind(id)
        .bind(new_status)
        .bind(reviewer_id)
        .bind(now)
        .bind(reason)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1
            || !set_review_status(
                &mut tx,
                person_id,
                year,
                old_review_status,
                new_review_status,
                now,
            )
            .await?
        {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Marks a death record checked by a reviewer (if still `submitted`).
    pub async fn check_death_record(
        &self,
        id: &str,
        reviewer_id: &str,
        now: i64,
    ) -> DbResult<bool> {
        let n = sqlx::query(
            "UPDATE death_records SET status = 'approved', reviewed_by = $2, reviewed_at = $3
             WHERE id = $1 AND status = 'submitted'",
        )
        .bind(id)
        .bind(reviewer_id)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}
