//! The staff tablet's offline store (issue 8): the people of the staff member's districts and
//! everything needed to work on them without a network, plus the work done offline, queued and
//! sent later — exactly once — when the tablet is online again.
//!
//! **What is cached** ([`StaffStore::refresh`], online): the whole owing list, every listed
//! person's detail (last year's form for prefill, status, deadline) and one *offline* liveness
//! challenge per person who still owes (`POST …/liveness/challenges {"offline": true}`, living
//! [`crate::api::staff::OFFLINE_CHALLENGE_TTL_HOURS`] instead of two minutes), so an assisted review at someone's
//! home can run the face check with no network; the evidence goes to the server at sync time.
//!
//! **What is queued** ([`StaffStore::enqueue`]): [`StaffOp`]s — an assisted review, a
//! 现场确认/远程确认, a death, a reference photo — with their photos' bytes. Each gets an op id,
//! generated once, which is its `Idempotency-Key` for ever. [`StaffStore::sync`] sends the ops in
//! the order they were made: first the photos (each upload id is saved as soon as it is
//! obtained, so a retry does not upload again), for an assisted review then the liveness
//! evidence, then the write itself. A crash or a lost answer between sending and saving the
//! answer is safe: the op stays queued and the next sync sends the same key, which the server
//! answers with its stored answer and records nothing twice. The outcome of a write:
//! - 201 → the op is removed; the cached person takes the status the server answered;
//! - no answer, a timeout, 5xx, 429, 401 ([`is_transient`]) → it stays queued (`waiting`) and
//!   this sync stops (the next op would meet the same network);
//! - 409 `conflict` (the person submitted on their own phone meanwhile, was recorded
//!   deceased, …) → kept as a [`ConflictRecord`] with the server's description, never retried,
//!   never overwritten, until the staff member dismisses it ([`StaffStore::dismiss_conflict`]);
//! - any other refusal (422 field errors, 404 person no longer in the districts, a failed face
//!   check) → kept as *rejected* with the server's message, not retried, until dismissed.
//!
//! **At rest:** every record is sealed like a draft ([`DraftStore::save_record`]:
//! ChaCha20-Poly1305, a fresh nonce per write, the record key as associated data, flushed before
//! returning) under `staff/{staff_user_id}/…`. **The key** is the app's draft key: on desktop
//! `draft.key` (mode 0600) in the app's data directory through [`crate::drafts::FileKeyStore`],
//! on Android the Android Keystore — whatever [`KeyStore`] the caller passes to
//! [`StaffStore::open`]. [`StaffStore::open`] opens its own sled database in `dir` (sled allows
//! one open per directory and process, so use a directory apart from the drafts', e.g.
//! `data_dir/staff`); [`StaffStore::with_store`] shares an already open [`DraftStore`] instead.
//!
//! Records: `staff/{user}/cache` (list, details, challenges), `staff/{user}/index` (op ids in
//! order), `staff/{user}/op/{op_id}` (one op with its photos and state). An op is written before
//! the index names it, and the index is rewritten without it before the op is deleted, so a
//! crash leaves at worst an unreferenced record, never a referenced one missing.
//! An assisted review in progress (代为年审, not yet queued) is saved on every change under
//! `staff/{user}/assisted/{person}/{year}/form` and `…/photo/{wizard key}`, apart from the staff
//! member's own drafts, and deleted when it is queued or discarded.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rand::Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shared::form::ReviewFormDraft;
use shared::name::PersonName;

use crate::api::liveness::{is_path_safe, ActionAt, EvidenceFrame, EvidenceRequest};
use crate::api::review::is_transient;
use crate::api::staff::{
    ChallengeIssued, ConfirmationKind, ConfirmationRequest, Conflict, DeathRequest, PeopleQuery,
    ReferencePhotoRequest, StaffPersonDetail, StaffPersonItem, StaffUploadKind, SubmissionRequest,
};
use crate::api::{ApiError, HttpClient, Token};
use crate::drafts::{DraftError, DraftStore, KeyStore};
use crate::queue::QueuedPhoto;

/// A refreshed challenge is reused while it has at least this long to live.
const CHALLENGE_MIN_LEFT_HOURS: i64 = 24;
/// While an op's pictures upload, their ids are saved after this many uploads (and at the end,
/// and before an error is returned).
const SAVE_UPLOADS_EVERY: usize = 20;

/// One piece of work done on the tablet, to be sent when online.
// Built once per visit and moved into the store: the size of the form variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, Eq)]
pub enum StaffOp {
    /// 上门认证: this year's review on the person's behalf. `challenge_id` is the cached offline
    /// challenge ([`StaffStore::offline_challenge`]); `frames` the kept camera frames (JPEG,
    /// time in ms) and `claimed` the actions the on-device check saw, as for the veteran's
    /// evidence.
    AssistedReview {
        person_id: String,
        form: ReviewFormDraft,
        id_front_jpeg: Vec<u8>,
        id_back_jpeg: Vec<u8>,
        challenge_id: String,
        frames: Vec<(Vec<u8>, u64)>,
        claimed: Vec<ActionAt>,
        /// When the colour flash started (frame time), for the evidence.
        flash_started_ms: Option<u64>,
    },
    /// 现场确认 / 远程确认. `req.photo_upload` is ignored: the photo travels as `photo_jpeg`
    /// and its upload id is filled in at sync time.
    Confirmation {
        person_id: String,
        req: ConfirmationRequest,
        photo_jpeg: Option<Vec<u8>>,
    },
    /// 死亡登记 with the evidence photo.
    Death {
        person_id: String,
        died_on: String,
        notes: Option<String>,
        evidence_jpeg: Vec<u8>,
    },
    /// 基准照片采集, with the person's consent.
    ReferencePhoto {
        person_id: String,
        jpeg: Vec<u8>,
        consent: bool,
    },
}

impl std::fmt::Debug for StaffOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StaffOp::{}", self.kind())
    }
}

impl StaffOp {
    pub fn person_id(&self) -> &str {
        match self {
            StaffOp::AssistedReview { person_id, .. }
            | StaffOp::Confirmation { person_id, .. }
            | StaffOp::Death { person_id, .. }
            | StaffOp::ReferencePhoto { person_id, .. } => person_id,
        }
    }

    /// `assisted_review`, `confirmation`, `death` or `reference_photo`.
    pub fn kind(&self) -> &'static str {
        match self {
            StaffOp::AssistedReview { .. } => "assisted_review",
            StaffOp::Confirmation { .. } => "confirmation",
            StaffOp::Death { .. } => "death",
            StaffOp::ReferencePhoto { .. } => "reference_photo",
        }
    }
}

/// Why the store refused something.
#[derive(Debug, thiserror::Error)]
pub enum StaffStoreError {
    #[error(transparent)]
    Storage(#[from] DraftError),
    /// The op is incomplete (e.g. no frames); `code` says what.
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: &'static str,
    },
}

impl shared::error::UserError for StaffStoreError {
    fn code(&self) -> &'static str {
        match self {
            StaffStoreError::Storage(e) => e.code(),
            StaffStoreError::Invalid { code, .. } => code,
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

fn invalid(code: &'static str, message: &'static str) -> StaffStoreError {
    StaffStoreError::Invalid { code, message }
}

/// Where a queued op stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpState {
    /// Waiting to be sent (or sent without an answer yet).
    Pending,
    /// The server answered 409 `conflict`; kept until dismissed.
    Conflict,
    /// The server refused it otherwise; kept until dismissed.
    Rejected,
}

/// A queued op as lists show it (no photos, no personal data beyond the masked name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedOpSummary {
    /// Also its `Idempotency-Key`.
    pub op_id: String,
    pub person_id: String,
    pub masked_name: String,
    /// See [`StaffOp::kind`].
    pub kind: &'static str,
    /// e.g. `上门代办年审`, `现场确认`, `死亡登记`.
    pub label_zh: String,
    /// RFC 3339, when it was queued.
    pub created_at: String,
    pub attempts: u32,
    pub state: OpState,
    /// The server's message for a conflict or a refusal.
    pub message: Option<String>,
}

/// A queued write the person's review had moved past (e.g. they submitted on their own phone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRecord {
    pub op_id: String,
    pub person_id: String,
    pub masked_name: String,
    pub kind: &'static str,
    pub label_zh: String,
    /// The server's message (the problem's `message`).
    pub message: String,
    /// What the server found (status, since when, what happened), if it said.
    pub conflict: Option<Conflict>,
    /// RFC 3339, when the conflict was met.
    pub at: String,
}

/// One op the server accepted in this sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentOp {
    pub op_id: String,
    pub person_id: String,
    pub kind: &'static str,
    /// The record the server made: submission, confirmation or death record id (the person id
    /// for a reference photo).
    pub record_id: String,
    /// The person's status afterwards.
    pub status: String,
}

/// What one [`StaffStore::sync`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncReport {
    pub sent: Vec<SentOp>,
    /// Conflicts met in this sync (older ones: [`StaffStore::conflicts`]).
    pub conflicts: Vec<ConflictRecord>,
    /// Refused in this sync, kept with the server's message and not retried.
    pub rejected: Vec<QueuedOpSummary>,
    /// Still queued after this sync (not reached, or a transient failure).
    pub waiting: usize,
    /// The transient error that stopped the sync, if any.
    pub last_error: Option<ApiError>,
}

/// What [`StaffStore::refresh`] fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshReport {
    pub people: usize,
    pub details: usize,
    /// New offline challenges fetched (valid ones are kept).
    pub new_challenges: usize,
    /// People for whom no challenge could be issued (e.g. a conflict: recorded deceased).
    pub challenges_refused: usize,
}

// ---- sealed records ---------------------------------------------------------------------------

/// A photo with its upload id once uploaded.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Blob {
    #[serde(with = "crate::queue::b64")]
    bytes: Vec<u8>,
    upload_id: Option<String>,
}

impl Blob {
    fn new(bytes: Vec<u8>) -> Blob {
        Blob {
            bytes,
            upload_id: None,
        }
    }
}

#[allow(clippy::large_enum_variant)]
#[derive(Clone, Serialize, Deserialize)]
enum Payload {
    AssistedReview {
        form: ReviewFormDraft,
        id_front: Blob,
        id_back: Blob,
        challenge_id: String,
        frames: Vec<(Blob, u64)>,
        claimed: Vec<ActionAt>,
        /// Absent in operations queued before the colour flash existed.
        #[serde(default)]
        flash_started_ms: Option<u64>,
        /// The evidence was sent (passed, or the server said it was already sent).
        evidence_done: bool,
    },
    Confirmation {
        req: ConfirmationRequest,
        photo: Option<Blob>,
    },
    Death {
        died_on: String,
        notes: Option<String>,
        evidence: Blob,
    },
    ReferencePhoto {
        photo: Blob,
        consent: bool,
    },
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredOp {
    op_id: String,
    person_id: String,
    kind: String,
    label_zh: String,
    created_at: String,
    attempts: u32,
    state: OpState,
    message: Option<String>,
    conflict: Option<Conflict>,
    state_at: Option<String>,
    /// The person's masked name when the op was queued, for when they leave the cached list
    /// (e.g. a refresh after they submitted on their own phone). Empty in ops queued before
    /// this field existed.
    #[serde(default)]
    masked_name: String,
    payload: Payload,
}

#[derive(Clone, Default, Serialize, Deserialize)]
struct Cache {
    refreshed_at: Option<String>,
    people: Vec<StaffPersonItem>,
    details: BTreeMap<String, StaffPersonDetail>,
    /// Unused offline challenges, by person.
    challenges: BTreeMap<String, ChallengeIssued>,
}

fn kind_static(kind: &str) -> &'static str {
    match kind {
        "assisted_review" => "assisted_review",
        "confirmation" => "confirmation",
        "death" => "death",
        _ => "reference_photo",
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A new op id: `staff-` and 128 random bits in hex (a valid `Idempotency-Key`).
fn new_op_id() -> String {
    format!("staff-{:032x}", rand::thread_rng().gen::<u128>())
}

/// The tablet's offline store for one staff account (see the module docs).
pub struct StaffStore {
    store: Arc<DraftStore>,
    user: String,
    /// Short critical sections: read-modify-write of the index and the cache. Never held over
    /// the network, so an enqueue on the UI thread does not wait for a sync.
    lock: Mutex<()>,
    /// One sync at a time (held over the network).
    syncing: Mutex<()>,
}

impl StaffStore {
    /// Opens (or creates) the store in `dir` — its own sled database, sealed with the key from
    /// `key` (the app's draft key) — for `staff_user_id`.
    pub fn open(
        dir: &Path,
        key: &dyn KeyStore,
        staff_user_id: &str,
    ) -> Result<StaffStore, StaffStoreError> {
        let store = DraftStore::open(dir, key)?;
        Ok(StaffStore::with_store(Arc::new(store), staff_user_id))
    }

    /// The store over an already open [`DraftStore`] (records under `staff/{staff_user_id}/`).
    pub fn with_store(store: Arc<DraftStore>, staff_user_id: &str) -> StaffStore {
        StaffStore {
            store,
            user: staff_user_id.to_owned(),
            lock: Mutex::new(()),
            syncing: Mutex::new(()),
        }
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn key(&self, rest: &str) -> Vec<u8> {
        format!("staff/{}/{rest}", self.user).into_bytes()
    }

    fn load_cache(&self) -> Cache {
        self.store
            .load_record(&self.key("cache"))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn save_cache(&self, cache: &Cache) -> Result<(), DraftError> {
        self.store.save_record(&self.key("cache"), cache)
    }

    fn index(&self) -> Vec<String> {
        self.store
            .load_record(&self.key("index"))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn save_index(&self, index: &[String]) -> Result<(), DraftError> {
        self.store.save_record(&self.key("index"), &index)
    }

    fn load_op(&self, op_id: &str) -> Option<StoredOp> {
        self.store
            .load_record(&self.key(&format!("op/{op_id}")))
            .ok()
            .flatten()
    }

    fn save_op(&self, op: &StoredOp) -> Result<(), DraftError> {
        self.store
            .save_record(&self.key(&format!("op/{}", op.op_id)), op)
    }

    /// Forgets an op: out of the index first, then its record.
    fn remove_op(&self, op_id: &str) -> Result<(), DraftError> {
        let index: Vec<String> = self.index().into_iter().filter(|i| i != op_id).collect();
        self.save_index(&index)?;
        self.store.delete_record(&self.key(&format!("op/{op_id}")))
    }

    fn ops(&self) -> Vec<StoredOp> {
        self.index()
            .iter()
            .filter_map(|id| self.load_op(id))
            .collect()
    }

    /// The person's masked name: from the cached list, else the cached detail, else `kept` (the
    /// name captured when the op was queued); empty when none of them knows it.
    fn masked_name(&self, cache: &Cache, person_id: &str, kept: &str) -> String {
        cache
            .people
            .iter()
            .find(|p| p.person_id == person_id)
            .map(|p| p.masked_name.clone())
            .or_else(|| {
                let detail = cache.details.get(person_id)?;
                PersonName::parse(&detail.name).ok().map(|n| n.masked())
            })
            .unwrap_or_else(|| kept.to_owned())
    }

    fn summary(&self, cache: &Cache, op: &StoredOp) -> QueuedOpSummary {
        QueuedOpSummary {
            op_id: op.op_id.clone(),
            person_id: op.person_id.clone(),
            masked_name: self.masked_name(cache, &op.person_id, &op.masked_name),
            kind: kind_static(&op.kind),
            label_zh: op.label_zh.clone(),
            created_at: op.created_at.clone(),
            attempts: op.attempts,
            state: op.state,
            message: op.message.clone(),
        }
    }

    fn conflict_record(&self, cache: &Cache, op: &StoredOp) -> ConflictRecord {
        ConflictRecord {
            op_id: op.op_id.clone(),
            person_id: op.person_id.clone(),
            masked_name: self.masked_name(cache, &op.person_id, &op.masked_name),
            kind: kind_static(&op.kind),
            label_zh: op.label_zh.clone(),
            message: op.message.clone().unwrap_or_default(),
            conflict: op.conflict.clone(),
            at: op.state_at.clone().unwrap_or_default(),
        }
    }

    // ---- the cache ----------------------------------------------------------------------------

    /// Fetches the whole owing list, every listed person's detail and an offline challenge for
    /// each person without a usable one, and replaces the cache (only when everything was
    /// fetched: a failure leaves the previous cache as it was). Details of people with queued
    /// work are kept even if they left the list.
    pub fn refresh(&self, api: &HttpClient, token: &Token) -> Result<RefreshReport, ApiError> {
        let mut people = Vec::new();
        let mut query = PeopleQuery {
            per_page: 200,
            ..PeopleQuery::default()
        };
        loop {
            let page = api.staff_people(token, &query)?;
            let n = page.items.len();
            people.extend(page.items);
            if n == 0 || people.len() as u64 >= page.total {
                break;
            }
            query.page += 1;
        }
        let mut details = BTreeMap::new();
        for p in &people {
            match api.staff_person(token, &p.person_id) {
                Ok(d) => {
                    details.insert(p.person_id.clone(), d);
                }
                // Gone from the districts between the two calls: not cached.
                Err(ApiError::Problem(pr)) if pr.status == 404 => {}
                Err(e) => return Err(e),
            }
        }
        // The challenges, from a snapshot of the cache (no lock held over the network).
        let old = self.load_cache();
        let mut report = RefreshReport {
            people: people.len(),
            ..RefreshReport::default()
        };
        let soon = chrono::Utc::now() + chrono::Duration::hours(CHALLENGE_MIN_LEFT_HOURS);
        let mut challenges = BTreeMap::new();
        let mut failure = None;
        for p in people.iter().filter(|p| p.owing) {
            let kept = old.challenges.get(&p.person_id).filter(|c| {
                chrono::DateTime::parse_from_rfc3339(&c.expires_at)
                    .map(|t| t > soon)
                    .unwrap_or(false)
            });
            if let Some(c) = kept {
                challenges.insert(p.person_id.clone(), c.clone());
                continue;
            }
            match api.staff_offline_challenge(token, &p.person_id) {
                Ok(c) => {
                    report.new_challenges += 1;
                    challenges.insert(p.person_id.clone(), c);
                }
                Err(e) if is_transient(&e) => {
                    failure = Some(e);
                    break;
                }
                Err(_) => report.challenges_refused += 1,
            }
        }
        // Merge under the lock with what happened meanwhile (ops queued during the refresh).
        let _g = self.guard();
        let mut current = self.load_cache();
        let ops = self.ops();
        let used: Vec<&str> = ops
            .iter()
            .filter_map(|o| match &o.payload {
                Payload::AssistedReview { challenge_id, .. } => Some(challenge_id.as_str()),
                _ => None,
            })
            .collect();
        challenges.retain(|_, c| !used.contains(&c.challenge_id.as_str()));
        if let Some(e) = failure {
            // Keep the challenges fetched so far (they are live on the server); the rest of the
            // cache stays as it was.
            for (pid, c) in challenges {
                current.challenges.insert(pid, c);
            }
            current
                .challenges
                .retain(|_, c| !used.contains(&c.challenge_id.as_str()));
            let _ = self.save_cache(&current);
            return Err(e);
        }
        for (pid, d) in &current.details {
            if !details.contains_key(pid) && ops.iter().any(|o| &o.person_id == pid) {
                details.insert(pid.clone(), d.clone());
            }
        }
        report.details = details.len();
        let cache = Cache {
            refreshed_at: Some(now_rfc3339()),
            people,
            details,
            challenges,
        };
        // The cache could not be written: the device's storage failed (reported as an answer
        // the app cannot use, status 0, since this API speaks `ApiError`).
        self.save_cache(&cache)
            .map_err(|_| ApiError::BadResponse { status: 0 })?;
        Ok(report)
    }

    /// When the cache was last refreshed (RFC 3339), if ever.
    pub fn refreshed_at(&self) -> Option<String> {
        self.load_cache().refreshed_at
    }

    /// The cached list (as the server sent it at the last refresh, with the statuses of ops
    /// synced since). Queued work: [`StaffStore::pending_for`].
    pub fn people(&self) -> Vec<StaffPersonItem> {
        self.load_cache().people
    }

    /// The cached detail of one person.
    pub fn person(&self, person_id: &str) -> Option<StaffPersonDetail> {
        self.load_cache().details.remove(person_id)
    }

    /// The cached offline challenge for a person (its actions are what the face check asks
    /// for), if one is left. Used up by [`StaffStore::enqueue`] of an assisted review.
    pub fn offline_challenge(&self, person_id: &str) -> Option<ChallengeIssued> {
        self.load_cache().challenges.remove(person_id)
    }

    // ---- assisted-review drafts ---------------------------------------------------------------

    /// The record key of an assisted review's draft part: `staff/{user}/assisted/{person}/{year}/{part}`
    /// (`form`, or `photo/{wizard key}` for an ID-card photo). Apart from the staff member's own
    /// drafts (`draft/…`, `photo/…`), keyed by staff user, person and year. `None` for a person
    /// id that could not be a path segment.
    fn assisted_key(&self, person_id: &str, year: i32, part: &str) -> Option<Vec<u8>> {
        is_path_safe(person_id).then(|| self.key(&format!("assisted/{person_id}/{year}/{part}")))
    }

    /// Saves the state of an assisted review in progress (replacing the previous one), sealed
    /// and flushed like every record here.
    pub fn save_assisted_draft<T: Serialize>(
        &self,
        person_id: &str,
        year: i32,
        draft: &T,
    ) -> Result<(), StaffStoreError> {
        let key = self
            .assisted_key(person_id, year, "form")
            .ok_or_else(|| invalid("person_unknown", "人员信息有误,请重新选择"))?;
        Ok(self.store.save_record(&key, draft)?)
    }

    /// The saved state of an assisted review in progress, if any (a record that does not open
    /// counts as none).
    pub fn assisted_draft<T: DeserializeOwned>(&self, person_id: &str, year: i32) -> Option<T> {
        let key = self.assisted_key(person_id, year, "form")?;
        self.store.load_record(&key).ok().flatten()
    }

    /// Keeps (`Some`) or forgets (`None`) one ID-card photo of an assisted review in progress,
    /// under its wizard key (e.g. `basic.id_front_photo`), as the veteran's own photos are kept.
    pub fn set_assisted_photo(
        &self,
        person_id: &str,
        year: i32,
        key: &str,
        photo: Option<&QueuedPhoto>,
    ) -> Result<(), StaffStoreError> {
        let record = self
            .assisted_key(person_id, year, &format!("photo/{key}"))
            .ok_or_else(|| invalid("person_unknown", "人员信息有误,请重新选择"))?;
        match photo {
            Some(p) => self.store.save_record(&record, p)?,
            None => self.store.delete_record(&record)?,
        }
        Ok(())
    }

    /// One saved ID-card photo of an assisted review in progress.
    pub fn assisted_photo(&self, person_id: &str, year: i32, key: &str) -> Option<QueuedPhoto> {
        let record = self.assisted_key(person_id, year, &format!("photo/{key}"))?;
        self.store.load_record(&record).ok().flatten()
    }

    /// Forgets an assisted review in progress: its form and the photos under `photo_keys`
    /// (after it was queued, or when the staff member discards it).
    pub fn delete_assisted_draft(
        &self,
        person_id: &str,
        year: i32,
        photo_keys: &[&str],
    ) -> Result<(), StaffStoreError> {
        let Some(form) = self.assisted_key(person_id, year, "form") else {
            return Ok(());
        };
        for key in photo_keys {
            self.set_assisted_photo(person_id, year, key, None)?;
        }
        Ok(self.store.delete_record(&form)?)
    }

    // ---- the queue ----------------------------------------------------------------------------

    /// Queues `op` and returns its op id (= its `Idempotency-Key`). The op is on disk, sealed,
    /// when this returns.
    pub fn enqueue(&self, op: StaffOp) -> Result<String, StaffStoreError> {
        let person_id = op.person_id().to_owned();
        if !is_path_safe(&person_id) {
            return Err(invalid("person_unknown", "人员信息有误,请重新选择"));
        }
        let kind = op.kind();
        let (label, payload, used_challenge) = match op {
            StaffOp::AssistedReview {
                form,
                id_front_jpeg,
                id_back_jpeg,
                challenge_id,
                frames,
                claimed,
                flash_started_ms,
                ..
            } => {
                if challenge_id.is_empty() || !is_path_safe(&challenge_id) {
                    return Err(invalid(
                        "challenge_missing",
                        "缺少人脸识别任务,请联网后刷新数据",
                    ));
                }
                if frames.is_empty() || claimed.is_empty() {
                    return Err(invalid("frames_missing", "缺少人脸识别画面,请重新核验"));
                }
                if id_front_jpeg.is_empty() || id_back_jpeg.is_empty() {
                    return Err(invalid("id_photo_missing", "请拍摄身份证正反面"));
                }
                (
                    "上门代办年审".to_owned(),
                    Payload::AssistedReview {
                        form,
                        id_front: Blob::new(id_front_jpeg),
                        id_back: Blob::new(id_back_jpeg),
                        challenge_id: challenge_id.clone(),
                        frames: frames.into_iter().map(|(b, t)| (Blob::new(b), t)).collect(),
                        claimed,
                        flash_started_ms,
                        evidence_done: false,
                    },
                    Some(challenge_id),
                )
            }
            StaffOp::Confirmation {
                req, photo_jpeg, ..
            } => {
                let kind = ConfirmationKind::parse(req.kind.trim());
                if kind.is_some_and(ConfirmationKind::photo_required)
                    && photo_jpeg.as_ref().is_none_or(Vec::is_empty)
                {
                    return Err(invalid(
                        "photo_required",
                        "远程确认需上传本人手持身份证及当日报刊的免冠照片",
                    ));
                }
                let label = kind.map(ConfirmationKind::label_zh).unwrap_or("身份确认");
                let mut req = req;
                req.photo_upload = None;
                (
                    label.to_owned(),
                    Payload::Confirmation {
                        req,
                        photo: photo_jpeg.filter(|p| !p.is_empty()).map(Blob::new),
                    },
                    None,
                )
            }
            StaffOp::Death {
                died_on,
                notes,
                evidence_jpeg,
                ..
            } => {
                if evidence_jpeg.is_empty() {
                    return Err(invalid("evidence_missing", "请拍摄死亡证明等材料"));
                }
                (
                    "死亡登记".to_owned(),
                    Payload::Death {
                        died_on,
                        notes,
                        evidence: Blob::new(evidence_jpeg),
                    },
                    None,
                )
            }
            StaffOp::ReferencePhoto { jpeg, consent, .. } => {
                if !consent {
                    return Err(invalid("consent_required", "采集基准照片须经本人同意"));
                }
                (
                    "采集基准照片".to_owned(),
                    Payload::ReferencePhoto {
                        photo: Blob::new(jpeg),
                        consent,
                    },
                    None,
                )
            }
        };
        let masked_name = self.masked_name(&self.load_cache(), &person_id, "");
        let op = StoredOp {
            op_id: new_op_id(),
            person_id: person_id.clone(),
            kind: kind.to_owned(),
            label_zh: label,
            created_at: now_rfc3339(),
            attempts: 0,
            state: OpState::Pending,
            message: None,
            conflict: None,
            state_at: None,
            masked_name,
            payload,
        };
        let _g = self.guard();
        // The op first, then the index naming it.
        self.save_op(&op)?;
        let mut index = self.index();
        index.push(op.op_id.clone());
        self.save_index(&index)?;
        if let Some(ch) = used_challenge {
            let mut cache = self.load_cache();
            if cache
                .challenges
                .get(&person_id)
                .is_some_and(|c| c.challenge_id == ch)
            {
                cache.challenges.remove(&person_id);
                self.save_cache(&cache)?;
            }
        }
        Ok(op.op_id)
    }

    /// Ops still to be sent, oldest first.
    pub fn pending(&self) -> Vec<QueuedOpSummary> {
        let cache = self.load_cache();
        self.ops()
            .iter()
            .filter(|o| o.state == OpState::Pending)
            .map(|o| self.summary(&cache, o))
            .collect()
    }

    /// Every kept op of one person (pending, conflicts and refusals), oldest first.
    pub fn pending_for(&self, person_id: &str) -> Vec<QueuedOpSummary> {
        let cache = self.load_cache();
        self.ops()
            .iter()
            .filter(|o| o.person_id == person_id)
            .map(|o| self.summary(&cache, o))
            .collect()
    }

    /// Conflicts met by earlier syncs, kept until dismissed.
    pub fn conflicts(&self) -> Vec<ConflictRecord> {
        let cache = self.load_cache();
        self.ops()
            .iter()
            .filter(|o| o.state == OpState::Conflict)
            .map(|o| self.conflict_record(&cache, o))
            .collect()
    }

    /// Ops the server refused (not conflicts), kept with its message until dismissed.
    pub fn rejected(&self) -> Vec<QueuedOpSummary> {
        let cache = self.load_cache();
        self.ops()
            .iter()
            .filter(|o| o.state == OpState::Rejected)
            .map(|o| self.summary(&cache, o))
            .collect()
    }

    /// Forgets a conflict or a refused op (the staff member has seen it). Pending ops are not
    /// touched. Returns whether something was dismissed.
    pub fn dismiss_conflict(&self, op_id: &str) -> Result<bool, StaffStoreError> {
        let _g = self.guard();
        match self.load_op(op_id) {
            Some(op) if op.state != OpState::Pending => {
                self.remove_op(op_id)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Sends every pending op, oldest first (see the module docs for the outcomes).
    pub fn sync(&self, api: &HttpClient, token: &Token) -> SyncReport {
        let _one_sync = self.syncing.lock().unwrap_or_else(|e| e.into_inner());
        let mut report = SyncReport::default();
        let pending: Vec<StoredOp> = self
            .ops()
            .into_iter()
            .filter(|o| o.state == OpState::Pending)
            .collect();
        let mut stopped = false;
        for mut op in pending {
            if stopped {
                report.waiting += 1;
                continue;
            }
            op.attempts += 1;
            let _ = self.save_op(&op);
            match self.send(api, token, &mut op) {
                Ok(sent) => {
                    let _g = self.guard();
                    if self.remove_op(&op.op_id).is_err() {
                        // Still on disk: the next sync replays the same key harmlessly.
                        report.waiting += 1;
                    }
                    self.apply_sent(&sent);
                    report.sent.push(sent);
                }
                Err(e) if is_transient(&e) => {
                    report.waiting += 1;
                    report.last_error = Some(e);
                    stopped = true;
                }
                Err(e) => {
                    let problem = e.problem().cloned();
                    op.message = Some(e.to_string());
                    op.state_at = Some(now_rfc3339());
                    let cache = self.load_cache();
                    match problem {
                        Some(p) if p.code == "conflict" => {
                            op.state = OpState::Conflict;
                            op.conflict = p.conflict;
                            let _ = self.save_op(&op);
                            report.conflicts.push(self.conflict_record(&cache, &op));
                        }
                        _ => {
                            op.state = OpState::Rejected;
                            op.message = Some(refusal_message(&e));
                            let _ = self.save_op(&op);
                            report.rejected.push(self.summary(&cache, &op));
                        }
                    }
                }
            }
        }
        report
    }

    /// The cached person takes the status the server answered.
    fn apply_sent(&self, sent: &SentOp) {
        let mut cache = self.load_cache();
        let label = shared::lifecycle::StatusKind::ALL
            .into_iter()
            .find(|k| k.as_str() == sent.status)
            .map(|k| k.label_zh().to_owned());
        for p in cache
            .people
            .iter_mut()
            .filter(|p| p.person_id == sent.person_id)
        {
            p.status = sent.status.clone();
            if let Some(l) = &label {
                p.status_label = l.clone();
            }
            p.owing = false;
            if sent.kind == "reference_photo" {
                p.has_reference_photo = true;
                p.owing = true;
            }
        }
        if let Some(d) = cache.details.get_mut(&sent.person_id) {
            if sent.kind == "reference_photo" {
                d.has_reference_photo = true;
            } else {
                d.status = sent.status.clone();
                if let Some(l) = &label {
                    d.status_label = l.clone();
                }
            }
        }
        let _ = self.save_cache(&cache);
    }

    /// Uploads `blob` unless it has an upload id; saves the op right after.
    fn upload(
        &self,
        api: &HttpClient,
        token: &Token,
        person_id: &str,
        kind: StaffUploadKind,
        blob: &mut Blob,
    ) -> Result<String, ApiError> {
        if let Some(id) = &blob.upload_id {
            return Ok(id.clone());
        }
        let name = match image::guess_format(&blob.bytes) {
            Ok(image::ImageFormat::Png) => "image.png",
            _ => "image.jpg",
        };
        let id = api
            .staff_upload(token, person_id, kind, blob.bytes.clone(), name)?
            .upload_id;
        blob.upload_id = Some(id.clone());
        Ok(id)
    }

    /// One op, from its photos to the server's answer. Upload ids and the evidence step are
    /// saved as they are obtained.
    fn send(&self, api: &HttpClient, token: &Token, op: &mut StoredOp) -> Result<SentOp, ApiError> {
        let pid = op.person_id.clone();
        let key = op.op_id.clone();
        let kind = kind_static(&op.kind);
        let done = |record_id: String, status: String| SentOp {
            op_id: key.clone(),
            person_id: pid.clone(),
            kind,
            record_id,
            status,
        };
        // Photos first, each saved once uploaded.
        let mut snapshot = op.clone();
        let result = self.upload_all(api, token, &pid, &mut snapshot);
        *op = snapshot;
        let _ = self.save_op(op);
        result?;
        match &mut op.payload {
            Payload::AssistedReview {
                form,
                id_front,
                id_back,
                challenge_id,
                frames,
                claimed,
                flash_started_ms,
                evidence_done,
            } => {
                if !*evidence_done {
                    let req = EvidenceRequest {
                        frames: frames
                            .iter()
                            .map(|(b, t)| EvidenceFrame {
                                upload_id: b.upload_id.clone().unwrap_or_default(),
                                t_ms: *t,
                            })
                            .collect(),
                        claimed: claimed.clone(),
                        flash_started_ms: *flash_started_ms,
                    };
                    match api.send_evidence(token, challenge_id, &req) {
                        Ok(r) if r.passed => {}
                        Ok(r) => {
                            return Err(ApiError::Problem(crate::api::Problem::new(
                                422,
                                r.reason.as_deref().unwrap_or("liveness_failed"),
                                r.message
                                    .as_deref()
                                    .unwrap_or("人脸识别未通过,请重新上门核验"),
                            )))
                        }
                        // Sent before, its answer lost: go on; the submission says whether it
                        // passed.
                        Err(e) if e.wire_code() == "challenge_used" => {}
                        Err(e) => return Err(e),
                    }
                    *evidence_done = true;
                }
                let req = SubmissionRequest {
                    form: form.clone(),
                    id_front_upload: id_front.upload_id.clone().unwrap_or_default(),
                    id_back_upload: id_back.upload_id.clone().unwrap_or_default(),
                    liveness_challenge_id: challenge_id.clone(),
                    newspaper_photo_upload: None,
                };
                let snapshot = op.clone();
                let _ = self.save_op(&snapshot);
                let a = api.staff_submit(token, &pid, &key, &req)?;
                Ok(done(a.submission_id, a.status))
            }
            Payload::Confirmation { req, photo } => {
                let mut req = req.clone();
                req.photo_upload = photo.as_ref().and_then(|p| p.upload_id.clone());
                let a = api.staff_confirm(token, &pid, &key, &req)?;
                Ok(done(a.confirmation_id, a.status))
            }
            Payload::Death {
                died_on,
                notes,
                evidence,
            } => {
                let req = DeathRequest {
                    died_on: died_on.clone(),
                    evidence_upload: evidence.upload_id.clone().unwrap_or_default(),
                    notes: notes.clone(),
                };
                let a = api.staff_record_death(token, &pid, &key, &req)?;
                Ok(done(a.death_record_id, a.status))
            }
            Payload::ReferencePhoto { photo, consent } => {
                let req = ReferencePhotoRequest {
                    upload_id: photo.upload_id.clone().unwrap_or_default(),
                    consent: *consent,
                };
                let a = api.staff_reference_photo(token, &pid, &key, &req)?;
                Ok(done(a.person_id, "reference_photo".into()))
            }
        }
    }

    fn upload_all(
        &self,
        api: &HttpClient,
        token: &Token,
        pid: &str,
        op: &mut StoredOp,
    ) -> Result<(), ApiError> {
        let mut blobs: Vec<(StaffUploadKind, usize)> = Vec::new();
        {
            let list: Vec<StaffUploadKind> = match &op.payload {
                Payload::AssistedReview { frames, .. } => {
                    let mut v = vec![StaffUploadKind::IdFront, StaffUploadKind::IdBack];
                    v.extend(frames.iter().map(|_| StaffUploadKind::LivenessFrame));
                    v
                }
                Payload::Confirmation { photo, .. } => photo
                    .iter()
                    .map(|_| StaffUploadKind::NewspaperPhoto)
                    .collect(),
                Payload::Death { .. } => vec![StaffUploadKind::DeathEvidence],
                Payload::ReferencePhoto { .. } => vec![StaffUploadKind::ReferencePhoto],
            };
            blobs.extend(list.into_iter().enumerate().map(|(i, k)| (k, i)));
        }
        let mut unsaved = 0usize;
        for (kind, i) in blobs {
            let blob: &mut Blob = match &mut op.payload {
                Payload::AssistedReview {
                    id_front,
                    id_back,
                    frames,
                    ..
                } => match i {
                    0 => id_front,
                    1 => id_back,
                    n => &mut frames[n - 2].0,
                },
                Payload::Confirmation { photo, .. } => match photo {
                    Some(p) => p,
                    None => continue,
                },
                Payload::Death { evidence, .. } => evidence,
                Payload::ReferencePhoto { photo, .. } => photo,
            };
            if blob.upload_id.is_some() {
                continue;
            }
            if let Err(e) = self.upload(api, token, pid, kind, blob) {
                if unsaved > 0 {
                    let _ = self.save_op(op);
                }
                return Err(e);
            }
            // The upload ids are saved every SAVE_UPLOADS_EVERY uploads, not after each: saving
            // seals and flushes the whole op (all its frames), so saving after every frame
            // wrote the op once per frame. A crash loses at most that many ids; those pictures
            // are uploaded again.
            unsaved += 1;
            if unsaved >= SAVE_UPLOADS_EVERY {
                let _ = self.save_op(op);
                unsaved = 0;
            }
        }
        if unsaved > 0 {
            let _ = self.save_op(op);
        }
        Ok(())
    }
}

/// The message kept for a refused op: the server's, with the first field error when there is
/// one (the problem's general message alone says little).
fn refusal_message(e: &ApiError) -> String {
    match e.problem() {
        Some(p) => match p.errors.first() {
            Some(f) => format!("{}:{}", p.message, f.message),
            None => p.message.clone(),
        },
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    //! Against the real server (`tests::blocking::Server::shared`): a staff member of a fresh
    //! district with people of their own, the app's client behind a `tests::gate::Gate` (no
    //! network, a proxy's error, a lost answer).
    use super::*;
    use crate::drafts::StaticKey;
    use ::tests::blocking::{Account, Server};
    use ::tests::gate::{Fault, Gate};
    use shared::api::accounts::Role;
    use shared::error::UserError;

    /// A JPEG that is not a face (ID card, evidence and confirmation photos).
    fn jpeg(seed: u8) -> Vec<u8> {
        let img = image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8 ^ seed, (y * 5) as u8, seed])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&img)
            .unwrap();
        out
    }

    /// A staff member logged in on a tablet, the people of their fresh district.
    struct World {
        server: &'static Server,
        gate: Gate,
        api: HttpClient,
        token: Token,
        staff: Account,
        district: String,
        people: Vec<String>,
    }

    fn world(people: usize) -> World {
        let server = Server::shared();
        let district = server.district();
        let people = server
            .people_in(&district, people)
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        let staff = server.account(Role::Staff, "林小红", &[&district]);
        let token = Token::new(server.login(&staff.phone));
        let gate = server.gate();
        let api = HttpClient::new(&gate.url()).unwrap();
        World {
            server,
            gate,
            api,
            token,
            staff,
            district,
            people,
        }
    }

    impl World {
        fn store(&self, dir: &Path, key: u8) -> StaffStore {
            StaffStore::open(dir, &StaticKey([key; 32]), &self.staff.user_id).unwrap()
        }

        fn sync(&self, store: &StaffStore) -> SyncReport {
            store.sync(&self.api, &self.token)
        }

        /// The statuses of the district's people, as the server has them now.
        fn statuses(&self) -> BTreeMap<String, String> {
            self.server.statuses(&self.staff.phone)
        }

        /// The district's records a reviewer would see, by kind.
        fn records(&self, kind: &str) -> usize {
            self.server.waiting(&self.district, kind)
        }
    }

    fn confirmation(pid: &str) -> StaffOp {
        StaffOp::Confirmation {
            person_id: pid.into(),
            req: ConfirmationRequest {
                kind: "on_site".into(),
                method: "home_visit".into(),
                confirmed_at: now_rfc3339(),
                delegate_name: None,
                notes: Some("本人在家".into()),
                photo_upload: None,
            },
            photo_jpeg: Some(jpeg(3)),
        }
    }

    fn death(pid: &str) -> StaffOp {
        StaffOp::Death {
            person_id: pid.into(),
            died_on: chrono::Local::now().date_naive().to_string(),
            notes: None,
            evidence_jpeg: jpeg(4),
        }
    }

    #[test]
    fn offline_work_is_queued_then_sent_once() {
        let dir = tempfile::tempdir().unwrap();
        let w = world(3);
        let store = w.store(dir.path(), 5);
        // A refresh that fails (an answer that is not the server's, no network) leaves the
        // cache as it was.
        w.gate.fail("/api/v1/staff/people", Fault::Answer(200), 1);
        assert_eq!(
            store.refresh(&w.api, &w.token),
            Err(ApiError::BadResponse { status: 200 })
        );
        assert!(store.people().is_empty() && store.refreshed_at().is_none());
        w.gate.set_online(false);
        assert_eq!(store.refresh(&w.api, &w.token), Err(ApiError::Network));
        assert!(store.people().is_empty());
        w.gate.set_online(true);
        let r = store.refresh(&w.api, &w.token).unwrap();
        assert_eq!(r.people, 3);
        assert!(store.refreshed_at().is_some());
        assert_eq!(r.new_challenges, 3);
        // A second refresh keeps the valid challenges.
        assert_eq!(store.refresh(&w.api, &w.token).unwrap().new_challenges, 0);
        let ids: Vec<String> = store.people().iter().map(|p| p.person_id.clone()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        let mut mine = w.people.clone();
        mine.sort();
        assert_eq!(sorted, mine, "the people of the staff member's district");

        w.gate.set_online(false);
        assert!(store.person(&ids[0]).is_some(), "the cache works offline");
        let c = store.enqueue(confirmation(&ids[0])).unwrap();
        store.enqueue(death(&ids[1])).unwrap();
        assert_eq!(store.pending().len(), 2);
        assert_eq!(store.pending_for(&ids[0])[0].op_id, c);
        let r = w.sync(&store);
        assert!(r.sent.is_empty());
        assert_eq!(r.waiting, 2);
        assert_eq!(r.last_error, Some(ApiError::Network));
        let before = w.gate.requests();

        w.gate.set_online(true);
        let r = w.sync(&store);
        assert_eq!(r.sent.len(), 2, "{r:?}");
        assert_eq!(r.waiting, 0);
        assert!(r.conflicts.is_empty() && r.rejected.is_empty(), "{r:?}");
        assert_eq!(w.gate.requests_to("/uploads"), 2, "one photo each");
        assert!(store.pending().is_empty());
        let statuses = w.statuses();
        assert_eq!(statuses[&ids[0]], "submitted");
        assert_eq!(statuses[&ids[1]], "deceased");
        assert_eq!(statuses[&ids[2]], "not_started");
        assert_eq!(w.records("confirmation"), 1);
        assert_eq!(w.records("death"), 1);
        // Nothing new the second time: not even a request.
        let sent = w.gate.requests();
        assert!(sent > before);
        let r = w.sync(&store);
        assert!(r.sent.is_empty() && r.waiting == 0);
        assert_eq!(w.gate.requests(), sent);
    }

    #[test]
    fn a_lost_answer_is_resent_with_the_same_key_and_records_once() {
        let dir = tempfile::tempdir().unwrap();
        let w = world(2);
        let store = w.store(dir.path(), 5);
        store.refresh(&w.api, &w.token).unwrap();
        let pid = w.people[0].clone();
        store.enqueue(confirmation(&pid)).unwrap();
        // The server records it, but its answer is lost on the way back.
        w.gate.fail("/confirmations", Fault::LoseAnswer, 1);
        let r = w.sync(&store);
        assert!(r.sent.is_empty());
        assert_eq!(r.waiting, 1);
        assert_eq!(w.statuses()[&pid], "submitted", "the server did record it");
        // Sent again with the same key: the stored answer, recorded once.
        let r = w.sync(&store);
        assert_eq!(r.sent.len(), 1, "{r:?}");
        assert_eq!(r.sent[0].status, "submitted");
        assert_eq!(w.records("confirmation"), 1);
        assert_eq!(w.gate.requests_to("/uploads"), 1, "the photo went once");

        // A transient failure after the upload keeps the upload id: no second upload.
        let pid2 = w.people[1].clone();
        store.enqueue(death(&pid2)).unwrap();
        w.gate.fail("/death", Fault::Answer(503), 1);
        let r = w.sync(&store);
        assert_eq!(r.waiting, 1);
        assert_eq!(r.last_error, Some(ApiError::BadResponse { status: 503 }));
        assert_eq!(w.gate.requests_to("/uploads"), 2);
        let r = w.sync(&store);
        assert_eq!(r.sent.len(), 1, "{r:?}");
        assert_eq!(w.gate.requests_to("/uploads"), 2, "not uploaded again");
        assert_eq!(w.records("death"), 1);
    }

    #[test]
    fn a_conflict_is_shown_not_retried_and_kept_until_dismissed() {
        let dir = tempfile::tempdir().unwrap();
        let w = world(1);
        let store = w.store(dir.path(), 5);
        store.refresh(&w.api, &w.token).unwrap();
        let pid = w.people[0].clone();
        let op_id = store.enqueue(confirmation(&pid)).unwrap();
        // Meanwhile a colleague confirms the person on their own tablet.
        let colleague = w.server.account(Role::Staff, "郑上门", &[&w.district]);
        w.server.confirm(&colleague.phone, &pid, "colleague-1");

        let r = w.sync(&store);
        assert!(r.sent.is_empty());
        assert_eq!(r.conflicts.len(), 1);
        let c = &store.conflicts()[0];
        assert_eq!(c.op_id, op_id);
        assert_eq!(c.conflict.as_ref().unwrap().status, "submitted");
        assert!(c.conflict.as_ref().unwrap().detail.contains("提交"));
        assert!(!c.masked_name.is_empty());
        // The person left the owing list (as after a refresh): the name comes from the cached
        // detail; with no detail either, from the name kept when the op was queued.
        let name = c.masked_name.clone();
        let mut cache = store.load_cache();
        cache.people.retain(|p| p.person_id != pid);
        store.save_cache(&cache).unwrap();
        assert_eq!(store.conflicts()[0].masked_name, name);
        cache.details.remove(&pid);
        store.save_cache(&cache).unwrap();
        assert_eq!(store.conflicts()[0].masked_name, name);
        assert!(store.pending().is_empty());
        let requests = w.gate.requests();
        let r = w.sync(&store);
        assert!(r.conflicts.is_empty() && r.sent.is_empty());
        assert_eq!(w.gate.requests(), requests, "not retried");
        assert_eq!(store.conflicts().len(), 1, "not lost");
        assert!(store.dismiss_conflict(&op_id).unwrap());
        assert!(store.conflicts().is_empty());
        assert_eq!(w.records("confirmation"), 1, "the colleague's only");
    }

    #[test]
    fn refusals_are_kept_with_the_message_and_not_retried() {
        let dir = tempfile::tempdir().unwrap();
        let w = world(1);
        let store = w.store(dir.path(), 5);
        store.refresh(&w.api, &w.token).unwrap();
        let pid = w.people[0].clone();
        let future = (chrono::Local::now().date_naive() + chrono::Duration::days(3)).to_string();
        store
            .enqueue(StaffOp::Death {
                person_id: pid.clone(),
                died_on: future,
                notes: None,
                evidence_jpeg: jpeg(4),
            })
            .unwrap();
        let r = w.sync(&store);
        assert_eq!(r.rejected.len(), 1, "{r:?}");
        assert!(r.rejected[0]
            .message
            .as_deref()
            .unwrap()
            .contains("死亡日期"));
        assert_eq!(store.rejected().len(), 1);
        let requests = w.gate.requests();
        w.sync(&store);
        assert_eq!(w.gate.requests(), requests);
        assert_eq!(w.statuses()[&pid], "not_started");
        // Incomplete ops are refused at once.
        assert_eq!(
            store
                .enqueue(StaffOp::ReferencePhoto {
                    person_id: pid,
                    jpeg: jpeg(1),
                    consent: false
                })
                .unwrap_err()
                .code(),
            "consent_required"
        );
    }

    #[test]
    fn the_store_on_disk_is_not_plain_text() {
        let dir = tempfile::tempdir().unwrap();
        let w = world(2);
        let name;
        {
            let store = w.store(dir.path(), 6);
            store.refresh(&w.api, &w.token).unwrap();
            let pid = store.people()[0].person_id.clone();
            name = store.person(&pid).unwrap().name;
            w.gate.set_online(false);
            store.enqueue(confirmation(&pid)).unwrap();
        }
        let mut bytes = Vec::new();
        fn walk(p: &Path, out: &mut Vec<u8>) {
            for e in std::fs::read_dir(p).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.extend(std::fs::read(p).unwrap());
                }
            }
        }
        walk(dir.path(), &mut bytes);
        assert!(!bytes.is_empty());
        for secret in [name.as_str(), "本人在家", "幸福路"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "plain text on disk"
            );
        }
        // Reopened: everything is still there.
        let store = w.store(dir.path(), 6);
        assert_eq!(store.pending().len(), 1);
        assert_eq!(store.people().len(), 2);
        // Another key opens nothing.
        drop(store);
        let other = w.store(dir.path(), 7);
        assert!(other.people().is_empty());
    }

    #[test]
    fn an_already_sent_evidence_does_not_block_the_submission() {
        let Some(faces) = crate::liveness::testdata::faces_dir() else {
            eprintln!("skipped: ../shared/testdata/faces not found");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let w = world(1);
        let pid = w.people[0].clone();
        w.server.set_reference_photo(
            &pid,
            &std::fs::read(faces.join("stills/p07/p07_enroll.jpg")).unwrap(),
        );
        let store = w.store(dir.path(), 5);
        store.refresh(&w.api, &w.token).unwrap();
        let ch = store.offline_challenge(&pid).unwrap();
        let flash = crate::controllers::liveness::flash_schedule(&ch)
            .unwrap()
            .expect("a flash");
        let (frames, flash_started_ms, claimed) = w.server.block_on(::tests::kit::recorded(
            Some(&flash),
            &::tests::kit::p07_lead_in(&faces),
            &ch.actions,
            &::tests::kit::p07_doing(&faces, &ch.actions),
        ));
        assert_eq!(claimed.len(), 2, "the models see both actions");
        let d = store.person(&pid).unwrap();
        let op = StaffOp::AssistedReview {
            person_id: pid.clone(),
            form: d.prefill.unwrap(),
            id_front_jpeg: jpeg(1),
            id_back_jpeg: jpeg(2),
            challenge_id: ch.challenge_id.clone(),
            frames: frames.iter().map(|(t, b)| (b.clone(), *t)).collect(),
            claimed: claimed.clone(),
            flash_started_ms,
        };
        let op_id = store.enqueue(op.clone()).unwrap();
        // The evidence went through before a crash (by hand here); the sync meets
        // `challenge_used` and goes on to the submission.
        let StaffOp::AssistedReview { frames, .. } = op else {
            unreachable!()
        };
        let frames = frames
            .into_iter()
            .map(|(b, t)| EvidenceFrame {
                upload_id: w
                    .api
                    .staff_upload(&w.token, &pid, StaffUploadKind::LivenessFrame, b, "f.jpg")
                    .unwrap()
                    .upload_id,
                t_ms: t,
            })
            .collect();
        let r = w
            .api
            .send_evidence(
                &w.token,
                &ch.challenge_id,
                &EvidenceRequest {
                    frames,
                    claimed,
                    flash_started_ms,
                },
            )
            .unwrap();
        assert!(r.passed, "{r:?}");
        let r = w.sync(&store);
        assert_eq!(r.sent.len(), 1, "{r:?}");
        assert_eq!(r.sent[0].op_id, op_id);
        assert_eq!(w.records("assisted_submission"), 1);
    }
}
