//! Group commit for submissions: many submissions, one transaction, one disk flush.
//!
//! With `synchronous=FULL` every SQLite commit waits for the disk (an fsync of the WAL, 3–5 ms on
//! this machine), and SQLite has one writer at a time: one transaction per submission would cap
//! the server at a few hundred submissions per second however fast the rest is. So submissions
//! go through one writer task: it takes every submission waiting (up to [`MAX_BATCH`]), runs
//! each one's statements inside its own `SAVEPOINT` (so one that finds its key used, its status
//! changed or its challenge used is undone alone), commits once, and only then answers each
//! caller. "Acknowledged" still means "committed": no caller hears back before the commit that
//! holds its submission has returned, and if the commit fails every caller of the batch gets the
//! error (nothing of it is stored). Under light load a batch is one submission and nothing
//! waits; under heavy load the batches grow while the previous flush runs.
//!
//! The writer is started on first use in the caller's tokio runtime, and started again if that
//! runtime went away (tests run one runtime per test).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use super::review::{submission_statements, NewSubmission, SubmitOutcome};
use super::{Backend, DbResult, Store};

/// Most submissions committed together.
pub const MAX_BATCH: usize = 256;
/// Submissions that may wait for the writer; callers beyond wait for room.
const QUEUE: usize = 4096;

/// The handle to the writer (cheap to clone, shared by every clone of the [`Store`]).
#[derive(Clone, Default)]
pub struct Batcher {
    sender: Arc<Mutex<Option<mpsc::Sender<Job>>>>,
    stats: Arc<Stats>,
}

/// Counters for the benchmark: how many transactions carried how many submissions.
#[derive(Default)]
struct Stats {
    batches: AtomicU64,
    submissions: AtomicU64,
}

struct Job {
    s: OwnedSubmission,
    reply: oneshot::Sender<DbResult<SubmitOutcome>>,
}

/// [`NewSubmission`] with owned strings, to cross to the writer task.
struct OwnedSubmission {
    id: String,
    person_id: String,
    user_id: String,
    year: i64,
    form: String,
    id_front_upload: String,
    id_back_upload: String,
    liveness_challenge_id: String,
    special_population: bool,
    newspaper_photo_upload: Option<String>,
    status: String,
    old_review_status: String,
    new_review_status: String,
    response: String,
    idempotency_key: String,
    now: i64,
}

impl OwnedSubmission {
    fn from(s: &NewSubmission<'_>) -> OwnedSubmission {
        OwnedSubmission {
            id: s.id.to_owned(),
            person_id: s.person_id.to_owned(),
            user_id: s.user_id.to_owned(),
            year: s.year,
            form: s.form.to_owned(),
            id_front_upload: s.id_front_upload.to_owned(),
            id_back_upload: s.id_back_upload.to_owned(),
            liveness_challenge_id: s.liveness_challenge_id.to_owned(),
            special_population: s.special_population,
            newspaper_photo_upload: s.newspaper_photo_upload.map(str::to_owned),
            status: s.status.to_owned(),
            old_review_status: s.old_review_status.to_owned(),
            new_review_status: s.new_review_status.to_owned(),
            response: s.response.to_owned(),
            idempotency_key: s.idempotency_key.to_owned(),
            now: s.now,
        }
    }

    fn borrow(&self) -> NewSubmission<'_> {
        NewSubmission {
            id: &self.id,
            person_id: &self.person_id,
            user_id: &self.user_id,
            year: self.year,
            form: &self.form,
            id_front_upload: &self.id_front_upload,
            id_back_upload: &self.id_back_upload,
            liveness_challenge_id: &self.liveness_challenge_id,
            special_population: self.special_population,
            newspaper_photo_upload: self.newspaper_photo_upload.as_deref(),
            status: &self.status,
            old_review_status: &self.old_review_status,
            new_review_status: &self.new_review_status,
            response: &self.response,
            idempotency_key: &self.idempotency_key,
            now: self.now,
        }
    }
}

fn writer_gone() -> sqlx::Error {
    sqlx::Error::Protocol("the submission writer stopped".to_owned())
}

impl Store {
    /// (committed batches, submissions in them) since start: the mean batch size under load.
    pub fn submission_batch_stats(&self) -> (u64, u64) {
        let s = &self.batcher.stats;
        (
            s.batches.load(Ordering::Relaxed),
            s.submissions.load(Ordering::Relaxed),
        )
    }

    /// Records a submission: the idempotency key with its answer, the review's new status
    /// (compare-and-set), the challenge marked as used, the submission and its audit entry —
    /// all of it or nothing — committed (with other waiting submissions) before this returns.
    pub async fn create_submission(&self, s: &NewSubmission<'_>) -> DbResult<SubmitOutcome> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job {
            s: OwnedSubmission::from(s),
            reply,
        };
        // Twice at most: the second time with a new writer if the old one's runtime is gone.
        for _ in 0..2 {
            let sender = {
                let mut slot = self
                    .batcher
                    .sender
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                match slot.as_ref().filter(|s| !s.is_closed()) {
                    Some(s) => s.clone(),
                    None => {
                        let (tx, rx) = mpsc::channel(QUEUE);
                        tokio::spawn(writer(
                            self.pool.clone(),
                            self.backend,
                            rx,
                            self.batcher.stats.clone(),
                        ));
                        *slot = Some(tx.clone());
                        tx
                    }
                }
            };
            match sender.send(job).await {
                Ok(()) => return answer.await.map_err(|_| writer_gone())?,
                Err(mpsc::error::SendError(j)) => job = j,
            }
        }
        Err(writer_gone())
    }
}

async fn writer(pool: AnyPool, backend: Backend, mut rx: mpsc::Receiver<Job>, stats: Arc<Stats>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let batch = std::mem::take(&mut jobs);
        let outcomes = run(&pool, backend, &batch).await;
        match outcomes {
            Ok(outcomes) => {
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats
                    .submissions
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = job.reply.send(outcome);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, size = batch.len(), "submission batch not committed");
                for job in batch {
                    let _ = job.reply.send(Err(sqlx::Error::Protocol(format!(
                        "batch not committed: {e}"
                    ))));
                }
            }
        }
    }
}

/// One transaction for the batch; each submission in its own savepoint. `Err`: nothing of the
/// batch is stored.
async fn run(
    pool: &AnyPool,
    backend: Backend,
    batch: &[Job],
) -> DbResult<Vec<DbResult<SubmitOutcome>>> {
    let mut tx = super::begin_write(pool, backend).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        sqlx::query("SAVEPOINT zy_submission")
            .execute(&mut *tx)
            .await?;
        let outcome = submission_statements(&mut tx, &job.s.borrow()).await;
        if !matches!(outcome, Ok(SubmitOutcome::Created(_))) {
            sqlx::query("ROLLBACK TO SAVEPOINT zy_submission")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("RELEASE SAVEPOINT zy_submission")
            .execute(&mut *tx)
            .await?;
        outcomes.push(outcome);
    }
    tx.commit().await?;
    Ok(outcomes)
}
