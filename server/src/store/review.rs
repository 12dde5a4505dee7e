//! SQL of the annual review intake: reviews (status + draft per person and year), uploads,
//! liveness challenges, submissions and their idempotency keys.

use sqlx::Row;

use super::{DbResult, Store};

/// What the review endpoints need of the caller's roster entry.
#[derive(Debug, Clone)]
pub struct ReviewPerson {
    pub person_id: String,
    /// The roster's name and ID number (the submitted form must name the same person).
    pub name: String,
    pub id_number: String,
    /// `Category` serde name.
    pub category: String,
    pub district: String,
    /// Last year's accepted review (JSON), for prefill.
    pub last_review: Option<String>,
}

/// A person's review for one year as stored.
#[derive(Debug, Clone)]
pub struct ReviewRow {
    /// `ReviewStatus` as JSON.
    pub status: String,
    /// `ReviewFormDraft` as JSON.
    pub draft: Option<String>,
}

/// A stored upload.
#[derive(Debug, Clone)]
pub struct UploadRow {
    pub user_id: String,
    pub kind: String,
    pub blob_key: String,
    pub content_type: String,
    /// A staff upload: the person it was made for.
    pub for_person_id: Option<String>,
}

/// A new upload.
pub struct NewUpload<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub kind: &'a str,
    pub blob_key: &'a str,
    pub content_type: &'a str,
    pub size: i64,
}

/// A stored liveness challenge.
#[derive(Debug, Clone)]
pub struct ChallengeRow {
    pub user_id: String,
    /// A challenge issued to staff: the person it is for.
    pub for_person_id: Option<String>,
    pub expires_at: i64,
    /// When the evidence was accepted (the models' re-check passed).
    pub passed_at: Option<i64>,
    /// When a submission used it.
    pub submitted_at: Option<i64>,
}

/// A new liveness challenge.
pub struct NewChallenge<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub nonce: &'a str,
    /// The actions as a JSON array of names.
    pub actions: &'a str,
    pub issued_at: i64,
    pub expires_at: i64,
    /// The challenge has a colour flash (derived from the nonce).
    pub flash: bool,
}

/// A submission to record.
pub struct NewSubmission<'a> {
    pub id: &'a str,
    pub person_id: &'a str,
    pub user_id: &'a str,
    pub year: i64,
    /// The validated form as a `ReviewFormDraft` JSON.
    pub form: &'a str,
    pub id_front_upload: &'a str,
    pub id_back_upload: &'a str,
    pub liveness_challenge_id: &'a str,
    /// Through the special-population check: `newspaper_photo_upload` stands in for a passed
    /// challenge, and the challenge (the latest failed comparison) is not used up.
    pub special_population: bool,
    pub newspaper_photo_upload: Option<&'a str>,
    /// `StatusKind` name of the new status.
    pub status: &'a str,
    /// The review's status before (JSON), for the compare-and-set; `NotStarted` when there was
    /// no row (one is created with it).
    pub old_review_status: &'a str,
    /// The review's status after (JSON).
    pub new_review_status: &'a str,
    /// The 201 body to store with the idempotency key.
    pub response: &'a str,
    pub idempotency_key: &'a str,
    pub now: i64,
}

/// What [`Store::create_submission`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Recorded; the response to send.
    Created(String),
    /// The key was used before: the stored response, nothing created.
    Replayed(String),
    /// The review's status changed meanwhile (a concurrent request); nothing created.
    StatusChanged,
    /// The challenge was used by another submission; nothing created.
    ChallengeUsed,
}

impl Store {
    /// The roster entry of a veteran's account, if the account has one.
    pub async fn review_person(&self, user_id: &str) -> DbResult<Option<ReviewPerson>> {
        let row = sqlx::query(
            "SELECT p.id, p.name, p.id_number, p.category, p.district, p.last_review
             FROM users u JOIN roster_people p ON p.id = u.person_id WHERE u.id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(ReviewPerson {
                person_id: r.try_get("id")?,
                name: r.try_get("name")?,
                id_number: r.try_get("id_number")?,
                category: r.try_get("category")?,
                district: r.try_get("district")?,
                last_review: r.try_get("last_review")?,
            })
        })
        .transpose()
    }

    /// The person's review for `year`, if anything was stored.
    pub async fn review(&self, person_id: &str, year: i64) -> DbResult<Option<ReviewRow>> {
        let row =
            sqlx::query("SELECT status, draft FROM reviews WHERE person_id = $1 AND year = $2")
                .bind(person_id)
                .bind(year)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            Ok(ReviewRow {
                status: r.try_get("status")?,
                draft: r.try_get("draft")?,
            })
        })
        .transpose()
    }

    /// Sets status and draft if the status is still `old_status` (`None`: no row yet).
    /// Returns whether it was written (false: someone else changed it first).
    pub async fn save_review_draft(
        &self,
        person_id: &str,
        year: i64,
        old_status: Option<&str>,
        new_status: &str,
        draft: &str,
        now: i64,
    ) -> DbResult<bool> {
        let done = match old_status {
            None => sqlx::query(
                "INSERT INTO reviews (person_id, year, status, draft, updated_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (person_id, year) DO NOTHING",
            )
            .bind(person_id)
            .bind(year)
            .bind(new_status)
            .bind(draft)
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected(),
            Some(old) => sqlx::query(
                "UPDATE reviews SET status = $3, draft = $4, updated_at = $5
                 WHERE person_id = $1 AND year = $2 AND status = $6",
            )
            .bind(person_id)
            .bind(year)
            .bind(new_status)
            .bind(draft)
            .bind(now)
            .bind(old)
            .execute(&self.pool)
            .await?
            .rows_affected(),
        };
        Ok(done == 1)
    }

    // ---- uploads ------------------------------------------------------------------------

    pub async fn insert_upload(&self, u: &NewUpload<'_>, now: i64) -> DbResult<()> {
        self.insert_upload_for(u, None, now).await
    }

    /// Records an upload; `for_person_id`: the person a staff member made it for (the owner,
    /// `u.user_id`, is then the staff member).
    pub(super) async fn insert_upload_for(
        &self,
        u: &NewUpload<'_>,
        for_person_id: Option<&str>,
        now: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO uploads (id, user_id, kind, blob_key, content_type, size, created_at, for_person_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(u.id)
        .bind(u.user_id)
        .bind(u.kind)
        .bind(u.blob_key)
        .bind(u.content_type)
        .bind(u.size)
        .bind(now)
        .bind(for_person_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A stored upload (for staff uploads, with the person it was made for).
    pub async fn upload(&self, id: &str) -> DbResult<Option<UploadRow>> {
        let row = sqlx::query(
            "SELECT user_id, kind, blob_key, content_type, for_person_id FROM uploads WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(UploadRow {
                user_id: r.try_get("user_id")?,
                kind: r.try_get("kind")?,
                blob_key: r.try_get("blob_key")?,
                content_type: r.try_get("content_type")?,
                for_person_id: r.try_get("for_person_id")?,
            })
        })
        .transpose()
    }

    /// Whether the owner of upload `id` is a person in one of `reviewer_id`'s districts.
    pub async fn upload_in_reviewer_districts(
        &self,
        reviewer_id: &str,
        id: &str,
    ) -> DbResult<bool> {
        let row = sqlx::query(
            "SELECT 1 AS ok FROM uploads u
             JOIN users o ON o.id = u.user_id
             JOIN roster_people p ON p.id = o.person_id
             JOIN user_districts d ON d.user_id = $1 AND d.district = p.district
             WHERE u.id = $2",
        )
        .bind(reviewer_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    // ---- liveness challenges ------------------------------------------------------------

    pub async fn insert_challenge(&self, c: &NewChallenge<'_>) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO liveness_challenges (id, user_id, nonce, actions, issued_at, expires_at, flash)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(c.id)
        .bind(c.user_id)
        .bind(c.nonce)
        .bind(c.actions)
        .bind(c.issued_at)
        .bind(c.expires_at)
        .bind(i64::from(c.flash))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A stored challenge (for one issued to staff, with the person it is for).
    pub async fn challenge(&self, id: &str) -> DbResult<Option<ChallengeRow>> {
        let row = sqlx::query(
            "SELECT user_id, for_person_id, expires_at, passed_at, submitted_at
             FROM liveness_challenges WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(ChallengeRow {
                user_id: r.try_get("user_id")?,
                for_person_id: r.try_get("for_person_id")?,
                expires_at: r.try_get("expires_at")?,
                passed_at: r.try_get("passed_at")?,
                submitted_at: r.try_get("submitted_at")?,
            })
        })
        .transpose()
    }

    /// TEST ONLY: marks a challenge passed as the evidence endpoint will once the models'
    /// re-check exists. No route calls this; the end-to-end tests use it for the happy path.
    #[doc(hidden)]
    pub async fn test_only_mark_challenge_passed(&self, id: &str, at: i64) -> DbResult<bool> {
        let n = sqlx::query("UPDATE liveness_challenges SET passed_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    // ---- submissions --------------------------------------------------------------------

    /// The stored answer for `user_id`'s `key`, if the key was used.
    pub async fn idempotent_response(&self, user_id: &str, key: &str) -> DbResult<Option<String>> {
        let row = sqlx::query(
            "SELECT response FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2",
        )
        .bind(user_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| r.try_get::<Option<String>, _>("response"))
            .transpose()?
            .flatten())
    }

    /// How many submissions `person_id` has for `year`.
    pub async fn submission_count(&self, person_id: &str, year: i64) -> DbResult<i64> {
        sqlx::query("SELECT COUNT(*) AS n FROM submissions WHERE person_id = $1 AND year = $2")
            .bind(person_id)
            .bind(year)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")
    }

    // ---- reviewers ----------------------------------------------------------------------

    /// A submission, if it exists and its person lives in one of `reviewer_id`'s districts.
    pub async fn submission_for_reviewer(
        &self,
        reviewer_id: &str,
        id: &str,
    ) -> DbResult<Option<SubmissionRow>> {
        let row = sqlx::query(
            "SELECT s.id, s.person_id, s.user_id, s.year, s.form, s.id_front_upload,
                    s.id_back_upload, s.liveness_challenge_id, s.status, s.created_at,
                    s.decision_reason, p.category, p.district, p.last_review
             FROM submissions s
             JOIN roster_people p ON p.id = s.person_id
             JOIN user_districts d ON d.user_id = $1 AND d.district = p.district
             WHERE s.id = $2",
        )
        .bind(reviewer_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SubmissionRow {
                id: r.try_get("id")?,
                person_id: r.try_get("person_id")?,
                user_id: r.try_get("user_id")?,
                year: r.try_get("year")?,
                form: r.try_get("form")?,
                id_front_upload: r.try_get("id_front_upload")?,
                id_back_upload: r.try_get("id_back_upload")?,
                liveness_challenge_id: r.try_get("liveness_challenge_id")?,
                status: r.try_get("status")?,
                created_at: r.try_get("created_at")?,
                decision_reason: r.try_get("decision_reason")?,
                category: r.try_get("category")?,
                district: r.try_get("district")?,
                last_review: r.try_get("last_review")?,
            })
        })
        .transpose()
    }

    /// Records a decision in one transaction: the submission's status (if still `old_status`)
    /// and the review's (if still `old_review_status`). Returns false, changing nothing, if
    /// either changed meanwhile.
    pub async fn decide(&self, d: &Decision<'_>) -> DbResult<bool> {
        let mut tx = self.write_tx().await?;
        let sub = sqlx::query(
            "UPDATE submissions SET status = $2, decided_by = $3, decided_at = $4,
                decision_reason = $5
             WHERE id = $1 AND status = $6",
        )
        .bind(d.submission_id)
        .bind(d.new_status)
        .bind(d.reviewer_id)
        .bind(d.now)
        .bind(d.reason)
        .bind(d.old_status)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if sub != 1
            || !set_review_status(
                &mut tx,
                d.person_id,
                d.year,
                d.old_review_status,
                d.new_review_status,
                d.now,
            )
            .await?
        {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The phone bound to an account.
    pub async fn user_phone(&self, user_id: &str) -> DbResult<Option<String>> {
        let row = sqlx::query("SELECT phone FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get("phone")).transpose()
    }
}

/// A submission as a reviewer sees it.
#[derive(Debug, Clone)]
pub struct SubmissionRow {
    pub id: String,
    pub person_id: String,
    pub user_id: String,
    pub year: i64,
    /// `ReviewFormDraft` JSON.
    pub form: String,
    pub id_front_upload: String,
    pub id_back_upload: String,
    pub liveness_challenge_id: String,
    pub status: String,
    pub created_at: i64,
    pub decision_reason: Option<String>,
    pub category: String,
    pub district: String,
    pub last_review: Option<String>,
}

/// A reviewer's decision to record.
pub struct Decision<'a> {
    pub submission_id: &'a str,
    pub person_id: &'a str,
    pub year: i64,
    pub reviewer_id: &'a str,
    pub old_status: &'a str,
    pub new_status: &'a str,
    pub old_review_status: &'a str,
    pub new_review_status: &'a str,
    pub reason: Option<&'a str>,
    pub now: i64,
}

/// The statements of one submission, inside the caller's transaction (`store::batch` runs
/// them in a savepoint and commits many at once; `Store::create_submission` lives there):
/// the idempotency key with its answer, the review's new status (compare-and-set), the
/// challenge marked as used, the submission and its `review_submitted` audit entry. Any
/// outcome but `Created` must be rolled back by the caller (nothing of it may stay).
pub(super) async fn submission_statements(
    tx: &mut sqlx::AnyConnection,
    s: &NewSubmission<'_>,
) -> DbResult<SubmitOutcome> {
    // A write first: on SQLite the transaction takes the write lock here (waiting its turn)
    // instead of failing on a read-to-write upgrade.
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (user_id, idem_key, response, created_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, idem_key) DO NOTHING",
    )
    .bind(s.user_id)
    .bind(s.idempotency_key)
    .bind(s.response)
    .bind(s.now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed != 1 {
        // Read on this connection: the key may have been claimed earlier in this batch.
        let answer: Option<String> = sqlx::query(
            "SELECT response FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2",
        )
        .bind(s.user_id)
        .bind(s.idempotency_key)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get::<Option<String>, _>("response"))
        .transpose()?
        .flatten();
        return Ok(match answer {
            Some(r) => SubmitOutcome::Replayed(r),
            None => SubmitOutcome::StatusChanged,
        });
    }
    // The review row, if this is the person's first step this year (no-op otherwise): created
    // with the status the caller saw, so the compare-and-set below decides.
    ensure_review_row(tx, s.person_id, s.year, s.old_review_status, s.now).await?;
    if !set_review_status(
        tx,
        s.person_id,
        s.year,
        s.old_review_status,
        s.new_review_status,
        s.now,
    )
    .await?
    {
        return Ok(SubmitOutcome::StatusChanged);
    }
    if !s.special_population && !use_challenge(tx, s.liveness_challenge_id, s.now).await? {
        return Ok(SubmitOutcome::ChallengeUsed);
    }
    sqlx::query(
        "INSERT INTO submissions (id, person_id, user_id, year, form, id_front_upload,
            id_back_upload, liveness_challenge_id, status, created_at, special_population,
            newspaper_photo_upload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(s.id)
    .bind(s.person_id)
    .bind(s.user_id)
    .bind(s.year)
    .bind(s.form)
    .bind(s.id_front_upload)
    .bind(s.id_back_upload)
    .bind(s.liveness_challenge_id)
    .bind(s.status)
    .bind(s.now)
    .bind(i64::from(s.special_population))
    .bind(s.newspaper_photo_upload)
    .execute(&mut *tx)
    .await?;
    // The audit entry in the same commit (ids only).
    let detail = serde_json::json!({
        "submission_id": s.id, "year": s.year, "special_population": s.special_population,
    });
    sqlx::query("INSERT INTO audit_log (at, event, user_id, detail) VALUES ($1, $2, $3, $4)")
        .bind(s.now)
        .bind("review_submitted")
        .bind(s.user_id)
        .bind(detail.to_string())
        .execute(&mut *tx)
        .await?;
    Ok(SubmitOutcome::Created(s.response.to_owned()))
}

/// Creates the person's review row for `year` with `status` if there is none (no-op
/// otherwise), so that a compare-and-set on the status the caller saw decides.
pub(super) async fn ensure_review_row(
    conn: &mut sqlx::AnyConnection,
    person_id: &str,
    year: i64,
    status: &str,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO reviews (person_id, year, status, draft, updated_at)
         VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (person_id, year) DO NOTHING",
    )
    .bind(person_id)
    .bind(year)
    .bind(status)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets the review's status to `new_status` if it is still `old_status` (compare-and-set).
/// Returns whether it was set (false: it changed meanwhile, nothing written).
pub(super) async fn set_review_status(
    conn: &mut sqlx::AnyConnection,
    person_id: &str,
    year: i64,
    old_status: &str,
    new_status: &str,
    now: i64,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE reviews SET status = $3, updated_at = $4
         WHERE person_id = $1 AND year = $2 AND status = $5",
    )
    .bind(person_id)
    .bind(year)
    .bind(new_status)
    .bind(now)
    .bind(old_status)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Marks a liveness challenge used by a submission, once. Returns false if it was used before.
pub(super) async fn use_challenge(
    conn: &mut sqlx::AnyConnection,
    challenge_id: &str,
    now: i64,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE liveness_challenges SET submitted_at = $2 WHERE id = $1 AND submitted_at IS NULL",
    )
    .bind(challenge_id)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}
