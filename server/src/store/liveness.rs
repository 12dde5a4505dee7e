//! SQL of the liveness re-check: evidence on challenges (single use, the verdict and the
//! face-match score), the frames an evidence used, failed face comparisons per person and year,
//! reference photos, and the fingerprints of accepted evidence. Migrations 3 and 6 are
//! [`MIGRATION_V3`] and [`MIGRATION_V6`].

use sqlx::Row;

use super::{DbResult, Store};

/// Version 3: the liveness re-check. Same on both backends; new columns are nullable or have a
/// default, so older rows keep working.
pub(super) const MIGRATION_V3: &[&str] = &[
    // Reference photos for the 1:1 comparison (人脸比对基准照片), newest first per person. The
    // embedding is base64 of 192 little-endian f32s (biometric: never logged or returned).
    // `source`: `admin` (captured with consent), `roster_import`, `demo_enrolment`.
    "CREATE TABLE reference_photos (
        id TEXT PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES roster_people(id),
        upload_id TEXT REFERENCES uploads(id),
        blob_key TEXT NOT NULL,
        embedding TEXT NOT NULL,
        source TEXT NOT NULL,
        captured_by TEXT REFERENCES users(id),
        consent_at BIGINT,
        created_at BIGINT NOT NULL
    )",
    "CREATE INDEX reference_photos_person ON reference_photos(person_id, created_at)",
    // The evidence of a challenge: when it arrived (single use), its frames (JSON array of
    // upload ids, in time order), the verdict (`passed`, `failed`, `error`), the reason code
    // and the face-match score in millionths.
    "ALTER TABLE liveness_challenges ADD COLUMN evidence_at BIGINT",
    "ALTER TABLE liveness_challenges ADD COLUMN evidence_frames TEXT",
    "ALTER TABLE liveness_challenges ADD COLUMN verdict TEXT",
    "ALTER TABLE liveness_challenges ADD COLUMN verdict_reason TEXT",
    "ALTER TABLE liveness_challenges ADD COLUMN face_score_micro BIGINT",
    // A frame is evidence once: a frame of one attempt cannot be replayed in another.
    "CREATE TABLE liveness_frames_used (
        upload_id TEXT PRIMARY KEY REFERENCES uploads(id),
        challenge_id TEXT NOT NULL REFERENCES liveness_challenges(id)
    )",
    // Failed face comparisons (face_mismatch) per person and year (特殊人群核验 after > 3).
    "CREATE TABLE face_match_failures (
        person_id TEXT NOT NULL REFERENCES roster_people(id),
        year BIGINT NOT NULL,
        failures BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (person_id, year)
    )",
    // A submission through the special-population check carries a newspaper photo; its
    // challenge is the latest failed comparison (what the reviewer compares with).
    "ALTER TABLE submissions ADD COLUMN special_population BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE submissions ADD COLUMN newspaper_photo_upload TEXT REFERENCES uploads(id)",
];

/// Version 6: presentation-attack resistance. A challenge may carry a colour flash (its
/// sequence is derived from the nonce, so only the flag is stored); the fingerprints of every
/// accepted evidence are kept per person so that it cannot be replayed for a new challenge.
pub(super) const MIGRATION_V6: &[&str] = &[
    "ALTER TABLE liveness_challenges ADD COLUMN flash BIGINT NOT NULL DEFAULT 0",
    // `hashes`: the frames' 64-bit perceptual hashes (`shared::liveness::reuse::hashes_to_text`);
    // `embedding`: the anchor face's embedding as stored for reference photos. Biometric-derived:
    // never logged or returned.
    "CREATE TABLE evidence_fingerprints (
        challenge_id TEXT PRIMARY KEY REFERENCES liveness_challenges(id),
        person_id TEXT NOT NULL REFERENCES roster_people(id),
        hashes TEXT NOT NULL,
        embedding TEXT,
        created_at BIGINT NOT NULL
    )",
    "CREATE INDEX evidence_fingerprints_person ON evidence_fingerprints(person_id, created_at)",
];

/// How many of a person's latest accepted evidences a new one is compared with (a year's
/// reviews and retries are far fewer).
pub const FINGERPRINTS_KEPT_PER_CHECK: i64 = 50;

/// The fingerprint of one accepted evidence.
#[derive(Debug, Clone)]
pub struct FingerprintRow {
    pub challenge_id: String,
    /// See `shared::liveness::reuse::hashes_from_text`.
    pub hashes: String,
    pub embedding: Option<String>,
}

/// A challenge as the evidence endpoint needs it.
#[derive(Debug, Clone)]
pub struct EvidenceChallengeRow {
    pub user_id: String,
    /// 64 hex characters (the colour flash is derived from it).
    pub nonce: String,
    /// JSON array of action names, in order.
    pub actions: String,
    /// When the challenge was issued (unix seconds).
    pub issued_at: i64,
    /// The challenge has a colour flash.
    pub flash: bool,
    pub expires_at: i64,
    /// When evidence was received (it is single use).
    pub evidence_at: Option<i64>,
}

/// What [`Store::claim_evidence`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The challenge is now this evidence's; its frames are marked used.
    Claimed,
    /// Evidence was already given for this challenge (a concurrent or repeated request).
    AlreadyUsed,
    /// These frames were evidence of another challenge already; nothing changed.
    FramesUsed(Vec<String>),
}

/// The stored outcome of an evidence.
#[derive(Debug, Clone, Default)]
pub struct EvidenceRow {
    /// Upload ids of the frames, in time order.
    pub frames: Vec<String>,
    pub verdict: Option<String>,
    pub reason: Option<String>,
    pub face_score: Option<f32>,
}

/// A reference photo.
#[derive(Debug, Clone)]
pub struct ReferencePhotoRow {
    pub id: String,
    pub blob_key: String,
    /// See [`crate::recheck::embedding_from_text`].
    pub embedding: String,
    pub source: String,
    pub created_at: i64,
}

/// A reference photo to record.
pub struct NewReferencePhoto<'a> {
    pub id: &'a str,
    pub person_id: &'a str,
    pub upload_id: Option<&'a str>,
    pub blob_key: &'a str,
    pub embedding: &'a str,
    pub source: &'a str,
    pub captured_by: Option<&'a str>,
    /// When consent was noted (`None` for roster imports and demo enrolment).
    pub consent_at: Option<i64>,
    pub now: i64,
}

fn score_from_micro(v: Option<i64>) -> Option<f32> {
    v.map(|m| m as f32 / 1_000_000.0)
}

/// A score in millionths, as stored.
pub fn score_to_micro(score: f32) -> i64 {
    (f64::from(score) * 1_000_000.0).round() as i64
}

impl Store {
    pub async fn evidence_challenge(&self, id: &str) -> DbResult<Option<EvidenceChallengeRow>> {
        let row = sqlx::query(
            "SELECT user_id, nonce, actions, issued_at, flash, expires_at, evidence_at
             FROM liveness_challenges WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(EvidenceChallengeRow {
                user_id: r.try_get("user_id")?,
                nonce: r.try_get("nonce")?,
                actions: r.try_get("actions")?,
                issued_at: r.try_get("issued_at")?,
                flash: r.try_get::<i64, _>("flash")? != 0,
                expires_at: r.try_get("expires_at")?,
                evidence_at: r.try_get("evidence_at")?,
            })
        })
        .transpose()
    }

    /// Upload ids among `ids` that were evidence of a challenge already.
    pub async fn frames_already_used(&self, ids: &[String]) -> DbResult<Vec<String>> {
        let mut used = Vec::new();
        for id in ids {
            let row = sqlx::query("SELECT 1 AS x FROM liveness_frames_used WHERE upload_id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            if row.is_some() {
                used.push(id.clone());
            }
        }
        Ok(used)
    }

    /// Takes the challenge for this evidence, in one transaction: marks it as having received
    /// evidence (only if it had none: single use) and every frame as used.
    pub async fn claim_evidence(
        &self,
        challenge_id: &str,
        frames: &[String],
        now: i64,
    ) -> DbResult<ClaimOutcome> {
        let frames_json = serde_json::to_string(frames).unwrap_or_else(|_| "[]".to_owned());
        let mut tx = self.write_tx().await?;
        let claimed = sqlx::query(
            "UPDATE liveness_challenges SET evidence_at = $2, evidence_frames = $3
             WHERE id = $1 AND evidence_at IS NULL",
        )
        .bind(challenge_id)
        .bind(now)
        .bind(&frames_json)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed != 1 {
            tx.rollback().await?;
            return Ok(ClaimOutcome::AlreadyUsed);
        }
        let mut used = Vec::new();
        for id in frames {
            let n = sqlx::query(
                "INSERT INTO liveness_frames_used (upload_id, challenge_id) VALUES ($1, $2)
                 ON CONFLICT (upload_id) DO NOTHING",
            )
            .bind(id)
            .bind(challenge_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                used.push(id.clone());
            }
        }
        if !used.is_empty() {
            tx.rollback().await?;
            return Ok(ClaimOutcome::FramesUsed(used));
        }
        tx.commit().await?;
        Ok(ClaimOutcome::Claimed)
    }

    /// Records the verdict of an evidence; a passed one sets `passed_at` (what a submission
    /// needs).
    pub async fn record_evidence_result(
        &self,
        challenge_id: &str,
        verdict: &str,
        reason: Option<&str>,
        face_score: Option<f32>,
        passed_at: Option<i64>,
    ) -> DbResult<()> {
        sqlx::query(
            "UPDATE liveness_challenges SET verdict = $2, verdict_reason = $3,
                face_score_micro = $4, passed_at = $5
             WHERE id = $1",
        )
        .bind(challenge_id)
        .bind(verdict)
        .bind(reason)
        .bind(face_score.map(score_to_micro))
        .bind(passed_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The evidence stored with a challenge (empty when none arrived).
    pub async fn challenge_evidence(&self, challenge_id: &str) -> DbResult<EvidenceRow> {
        let row = sqlx::query(
            "SELECT evidence_frames, verdict, verdict_reason, face_score_micro
             FROM liveness_challenges WHERE id = $1",
        )
        .bind(challenge_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else {
            return Ok(EvidenceRow::default());
        };
        let frames: Option<String> = r.try_get("evidence_frames")?;
        Ok(EvidenceRow {
            frames: frames
                .and_then(|f| serde_json::from_str(&f).ok())
                .unwrap_or_default(),
            verdict: r.try_get("verdict")?,
            reason: r.try_get("verdict_reason")?,
            face_score: score_from_micro(r.try_get("face_score_micro")?),
        })
    }

    /// Counts one more failed face comparison of the person in `year`; returns the new count.
    pub async fn record_face_mismatch(
        &self,
        person_id: &str,
        year: i64,
        now: i64,
    ) -> DbResult<i64> {
        sqlx::query(
            "INSERT INTO face_match_failures (person_id, year, failures, updated_at)
             VALUES ($1, $2, 1, $3)
             ON CONFLICT (person_id, year)
             DO UPDATE SET failures = face_match_failures.failures + 1, updated_at = $3
             RETURNING failures",
        )
        .bind(person_id)
        .bind(year)
        .bind(now)
        .fetch_one(&self.pool)
        .await?
        .try_get("failures")
    }

    /// Failed face comparisons of the person in `year`.
    pub async fn face_mismatches(&self, person_id: &str, year: i64) -> DbResult<i64> {
        let row = sqlx::query(
            "SELECT failures FROM face_match_failures WHERE person_id = $1 AND year = $2",
        )
        .bind(person_id)
        .bind(year)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| r.try_get::<i64, _>("failures"))
            .transpose()?
            .unwrap_or(0))
    }

    /// The caller's newest challenge whose evidence failed the face comparison (or was refused
    /// for a reason that counts like one: a picture, no flash reflection, reused evidence),
    /// issued at or after `since` (the year's start): the special-population submission's
    /// evidence.
    pub async fn latest_face_mismatch_challenge(
        &self,
        user_id: &str,
        since: i64,
    ) -> DbResult<Option<String>> {
        let row = sqlx::query(
            "SELECT id FROM liveness_challenges
             WHERE user_id = $1 AND issued_at >= $2 AND verdict_reason IN
                ('face_mismatch', 'presentation_attack', 'flash_not_detected', 'evidence_reused')
             ORDER BY evidence_at DESC, id DESC LIMIT 1",
        )
        .bind(user_id)
        .bind(since)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get("id")).transpose()
    }

    /// The person's current reference photo (the newest).
    pub async fn reference_photo(&self, person_id: &str) -> DbResult<Option<ReferencePhotoRow>> {
        let row = sqlx::query(
            "SELECT id, blob_key, embedding, source, created_at FROM reference_photos
             WHERE person_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(person_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(ReferencePhotoRow {
                id: r.try_get("id")?,
                blob_key: r.try_get("blob_key")?,
                embedding: r.try_get("embedding")?,
                source: r.try_get("source")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .transpose()
    }

    pub async fn insert_reference_photo(&self, p: &NewReferencePhoto<'_>) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO reference_photos (id, person_id, upload_id, blob_key, embedding, source,
                captured_by, consent_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(p.id)
        .bind(p.person_id)
        .bind(p.upload_id)
        .bind(p.blob_key)
        .bind(p.embedding)
        .bind(p.source)
        .bind(p.captured_by)
        .bind(p.consent_at)
        .bind(p.now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether the roster holds `person_id`, and the reference photo file `import-roster`
    /// stored for them (relative to the data directory), if any.
    pub async fn roster_reference_file(&self, person_id: &str) -> DbResult<Option<Option<String>>> {
        let row = sqlx::query("SELECT reference_photo FROM roster_people WHERE id = $1")
            .bind(person_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get("reference_photo")).transpose()
    }

    /// Keeps the fingerprint of an accepted evidence of `person_id`.
    pub async fn insert_fingerprint(
        &self,
        challenge_id: &str,
        person_id: &str,
        hashes: &str,
        embedding: Option<&str>,
        now: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO evidence_fingerprints (challenge_id, person_id, hashes, embedding, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (challenge_id) DO NOTHING",
        )
        .bind(challenge_id)
        .bind(person_id)
        .bind(hashes)
        .bind(embedding)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The person's latest accepted evidences' fingerprints, newest first
    /// ([`FINGERPRINTS_KEPT_PER_CHECK`] at most).
    pub async fn fingerprints(&self, person_id: &str) -> DbResult<Vec<FingerprintRow>> {
        let rows = sqlx::query(
            "SELECT challenge_id, hashes, embedding FROM evidence_fingerprints
             WHERE person_id = $1 ORDER BY created_at DESC, challenge_id DESC LIMIT $2",
        )
        .bind(person_id)
        .bind(FINGERPRINTS_KEPT_PER_CHECK)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FingerprintRow {
                    challenge_id: r.try_get("challenge_id")?,
                    hashes: r.try_get("hashes")?,
                    embedding: r.try_get("embedding")?,
                })
            })
            .collect()
    }

    /// The special-population fields of a submission: (special, newspaper photo upload).
    pub async fn submission_special(&self, id: &str) -> DbResult<(bool, Option<String>)> {
        let row = sqlx::query(
            "SELECT special_population, newspaper_photo_upload FROM submissions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            None => Ok((false, None)),
            Some(r) => Ok((
                r.try_get::<i64, _>("special_population")? != 0,
                r.try_get("newspaper_photo_upload")?,
            )),
        }
    }
}
