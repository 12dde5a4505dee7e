//! The offline submission queue: a 提交 made while the server is unreachable waits on the device
//! and is sent — exactly once — when it is reachable again.
//!
//! One queued submission per user and year, sealed in the draft store (same encryption and
//! flush-before-return as drafts, record key `queue/{user}/{year}`). It holds everything needed
//! to send it later without the user: the form, both ID-card photos (their bytes, then their
//! upload ids once uploaded), the passed liveness challenge id, and the `Idempotency-Key`
//! generated once when the submission was made. Every retry sends that same key, so the server
//! creates the submission once however many times the request (or its answer) is lost.
//!
//! [`SubmissionQueue::send`] decides by the answer:
//! - 201: the item and the local draft are removed (the draft only now: nothing is lost before
//!   the server has the submission); a copy of the submitted form is kept for 再次年审.
//! - no answer, a timeout, 5xx, 429 or 401 ([`crate::api::review::is_transient`]): the item stays,
//!   upload ids already obtained included; the next attempt continues from there.
//! - anything else (422 field errors, 409): the item is removed — sending it again cannot
//!   succeed — and the error goes back to the wizard, whose draft is untouched.

use std::sync::Mutex;

use rand::Rng;
use serde::{Deserialize, Serialize};
use shared::form::ReviewFormDraft;

use crate::api::review::{is_transient, SubmissionAccepted, SubmissionRequest, UploadKind};
use crate::api::{ApiError, HttpClient, Token};
use crate::controllers::liveness::Verified;
use crate::drafts::{DraftError, DraftStore};

/// An ID-card photo waiting to be uploaded (or uploaded: `upload_id`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedPhoto {
    /// JPEG or PNG bytes, base64 in the sealed record.
    #[serde(with = "b64")]
    pub bytes: Vec<u8>,
    /// `image.jpg` / `image.png`: tells the type only.
    pub file_name: String,
    pub upload_id: Option<String>,
}

impl std::fmt::Debug for QueuedPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "QueuedPhoto({} bytes, uploaded: {})",
            self.bytes.len(),
            self.upload_id.is_some()
        )
    }
}

/// Bytes as base64 in a sealed record (`#[serde(with = "crate::queue::b64")]`): the submission
/// queue's photos and the staff store's blobs.
pub(crate) mod b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(serde::de::Error::custom)
    }
}

/// A submission waiting to be sent.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedSubmission {
    /// Generated once, sent with every attempt.
    pub idempotency_key: String,
    pub form: ReviewFormDraft,
    pub id_front: QueuedPhoto,
    pub id_back: QueuedPhoto,
    /// The 身份核验 proof: a passed challenge or the 特殊人群核验 newspaper photo's upload.
    pub verified: Verified,
    /// RFC 3339, when 提交 was pressed.
    pub queued_at: String,
    /// Attempts made so far.
    pub attempts: u32,
}

impl std::fmt::Debug for QueuedSubmission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueuedSubmission")
            .field("queued_at", &self.queued_at)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// What one attempt did.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// Nothing was queued.
    Empty,
    /// The server has it (first time or a replay of the same key).
    Accepted(SubmissionAccepted),
    /// Not sent yet (unreachable, 5xx, timeout, session expired); still queued.
    Waiting(ApiError),
    /// The server refused it (e.g. 422 field errors); removed from the queue, the draft kept.
    Refused(ApiError),
}

/// A new random `Idempotency-Key` (128 bits, hex).
pub fn new_idempotency_key() -> String {
    format!("app-{:032x}", rand::thread_rng().gen::<u128>())
}

/// The queue, over the app's encrypted store.
pub struct SubmissionQueue<'a> {
    store: &'a DraftStore,
}

/// One attempt at a time per process: the retry timer and a 提交 tap must not interleave their
/// uploads (the server would still create the submission once; this only saves uploads).
static SENDING: Mutex<()> = Mutex::new(());

fn queue_key(user_id: &str, year: i32) -> Vec<u8> {
    format!("queue/{user_id}/{year}").into_bytes()
}

fn submitted_key(user_id: &str, year: i32) -> Vec<u8> {
    format!("submitted/{user_id}/{year}").into_bytes()
}

impl<'a> SubmissionQueue<'a> {
    pub fn new(store: &'a DraftStore) -> SubmissionQueue<'a> {
        SubmissionQueue { store }
    }

    /// Queues a submission with a new `Idempotency-Key`. If one is already waiting for this user
    /// and year it is kept (with its key) and returned instead: pressing 提交 twice while
    /// offline queues one submission.
    pub fn enqueue(
        &self,
        user_id: &str,
        year: i32,
        form: ReviewFormDraft,
        id_front: QueuedPhoto,
        id_back: QueuedPhoto,
        verified: Verified,
    ) -> Result<QueuedSubmission, DraftError> {
        if let Some(existing) = self.pending(user_id, year)? {
            return Ok(existing);
        }
        let item = QueuedSubmission {
            idempotency_key: new_idempotency_key(),
            form,
            id_front,
            id_back,
            verified,
            queued_at: chrono::Utc::now().to_rfc3339(),
            attempts: 0,
        };
        self.store.save_record(&queue_key(user_id, year), &item)?;
        Ok(item)
    }

    /// The submission waiting for this user and year, if any.
    pub fn pending(
        &self,
        user_id: &str,
        year: i32,
    ) -> Result<Option<QueuedSubmission>, DraftError> {
        self.store.load_record(&queue_key(user_id, year))
    }

    /// The last form the server acknowledged for this user and year (for 再次年审).
    pub fn last_submitted(
        &self,
        user_id: &str,
        year: i32,
    ) -> Result<Option<ReviewFormDraft>, DraftError> {
        self.store.load_record(&submitted_key(user_id, year))
    }

    /// One attempt to send the queued submission (see the module docs for the outcomes).
    pub fn send(&self, api: &HttpClient, token: &Token, user_id: &str, year: i32) -> SendOutcome {
        let _one_at_a_time = SENDING.lock().unwrap_or_else(|e| e.into_inner());
        let key = queue_key(user_id, year);
        let mut item = match self.store.load_record::<QueuedSubmission>(&key) {
            Ok(Some(item)) => item,
            Ok(None) => return SendOutcome::Empty,
            // An unreadable record cannot be sent; the draft is still there to submit again.
            Err(_) => {
                let _ = self.store.delete_record(&key);
                return SendOutcome::Empty;
            }
        };
        item.attempts += 1;
        let _ = self.store.save_record(&key, &item);
        for kind in [UploadKind::IdFront, UploadKind::IdBack] {
            let photo = if kind == UploadKind::IdFront {
                &mut item.id_front
            } else {
                &mut item.id_back
            };
            if photo.upload_id.is_some() {
                continue;
            }
            match api.upload_image(token, kind, photo.bytes.clone(), &photo.file_name) {
                Ok(created) => photo.upload_id = Some(created.upload_id),
                Err(e) => return self.failed(&key, e),
            }
            // Keep the id: a later attempt does not upload this photo again.
            let _ = self.store.save_record(&key, &item);
        }
        let mut req = SubmissionRequest {
            form: item.form.clone(),
            id_front_upload: item.id_front.upload_id.clone().unwrap_or_default(),
            id_back_upload: item.id_back.upload_id.clone().unwrap_or_default(),
            liveness_challenge_id: String::new(),
            newspaper_photo_upload: None,
        };
        item.verified.apply(&mut req);
        match api.submit_review(token, &item.idempotency_key, &req) {
            Ok(accepted) => {
                // The server has it: keep the submitted form for 再次年审, then forget the
                // queue item and the draft. A failure here leaves the item; sending it again
                // replays the same key and gets the same answer.
                let _ = self
                    .store
                    .save_record(&submitted_key(user_id, year), &item.form);
                if self.store.delete_record(&key).is_ok() {
                    let _ = self.store.delete(user_id, year);
                }
                SendOutcome::Accepted(accepted)
            }
            Err(e) => self.failed(&key, e),
        }
    }

    fn failed(&self, key: &[u8], e: ApiError) -> SendOutcome {
        if is_transient(&e) {
            SendOutcome::Waiting(e)
        } else {
            let _ = self.store.delete_record(key);
            SendOutcome::Refused(e)
        }
    }
}

/// Reads an image file the user chose for an ID-card side: JPEG or PNG that decodes, at most
/// 2 MB (the server's limit). Returns the photo to queue.
pub fn photo_from_bytes(bytes: Vec<u8>) -> Result<QueuedPhoto, PhotoError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let format = image::guess_format(&bytes).map_err(|_| PhotoError::NotAnImage)?;
    let file_name = match format {
        image::ImageFormat::Png => "image.png",
        image::ImageFormat::Jpeg => "image.jpg",
        _ => return Err(PhotoError::NotAnImage),
    };
    image::load_from_memory_with_format(&bytes, format).map_err(|_| PhotoError::NotAnImage)?;
    Ok(QueuedPhoto {
        bytes,
        file_name: file_name.into(),
        upload_id: None,
    })
}

/// The server's upload limit.
pub const MAX_PHOTO_BYTES: usize = 2 * 1024 * 1024;

/// Why a chosen photo is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("无法读取该文件,请检查路径是否正确")]
    Unreadable,
    #[error("只能上传JPG或PNG格式的图片")]
    NotAnImage,
    #[error("图片不能超过2MB,请重新拍摄或压缩后上传")]
    TooLarge,
    #[error("未找到摄像头画面,请改用选择文件")]
    NoCamera,
}

impl shared::error::UserError for PhotoError {
    fn code(&self) -> &'static str {
        match self {
            PhotoError::Unreadable => "photo_unreadable",
            PhotoError::NotAnImage => "photo_not_image",
            PhotoError::TooLarge => "photo_too_large",
            PhotoError::NoCamera => "photo_no_camera",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

/// Encodes `img` as JPEG (for a photo taken with the camera).
pub fn jpeg_bytes(img: &image::RgbImage) -> Option<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).ok()?;
    Some(out.into_inner())
}

#[cfg(test)]
mod tests {
    //! Against the real server (`tests::blocking::Server::shared`), the app's client going
    //! through a `tests::gate::Gate`: no network, a proxy's 503 or 504.
    use super::*;
    use crate::drafts::StaticKey;
    use ::tests::blocking::{Server, Veteran};
    use ::tests::gate::{Fault, Gate};
    use shared::error::UserError;

    fn png() -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(8, 8, image::Rgba([200, 10, 10, 255]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    /// A fresh veteran logged in, with the app's client behind a gate.
    struct World {
        server: &'static Server,
        gate: Gate,
        api: HttpClient,
        token: Token,
        user: String,
        vet: Veteran,
        year: i32,
    }

    fn world() -> World {
        let server = Server::shared();
        let vet = server.veteran();
        let gate = server.gate();
        let api = HttpClient::new(&gate.url()).unwrap();
        let token = Token::new(server.login(vet.phone()));
        let year = api.current_review(&token).unwrap().year;
        World {
            server,
            gate,
            api,
            token,
            user: vet.user_id.clone(),
            vet,
            year,
        }
    }

    impl World {
        /// Last year's form, as the server offers it: complete.
        fn form(&self) -> ReviewFormDraft {
            self.api
                .current_review(&self.token)
                .unwrap()
                .prefill
                .unwrap()
        }

        fn queue_one(&self, q: &SubmissionQueue) -> QueuedSubmission {
            let challenge = self.server.passed_challenge(self.token.expose());
            q.enqueue(
                &self.user,
                self.year,
                self.form(),
                photo_from_bytes(png()).unwrap(),
                photo_from_bytes(png()).unwrap(),
                Verified::Challenge(challenge),
            )
            .unwrap()
        }

        fn send(&self, q: &SubmissionQueue) -> SendOutcome {
            q.send(&self.api, &self.token, &self.user, self.year)
        }

        fn created(&self) -> i64 {
            self.server.submissions(&self.vet.person_id)
        }
    }

    fn store() -> (tempfile::TempDir, DraftStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = DraftStore::open(dir.path(), &StaticKey([3; 32])).unwrap();
        (dir, store)
    }

    #[test]
    fn offline_submission_waits_then_is_sent_once_with_the_same_key() {
        let (_dir, store) = store();
        let w = world();
        store.save(&w.user, w.year, &"draft").unwrap();
        let q = SubmissionQueue::new(&store);
        let item = w.queue_one(&q);
        // 提交 again while offline: the same item, the same key.
        let again = w.queue_one(&q);
        assert_eq!(again.idempotency_key, item.idempotency_key);

        w.gate.set_online(false);
        for _ in 0..3 {
            assert_eq!(w.send(&q), SendOutcome::Waiting(ApiError::Network));
        }
        let waiting = q.pending(&w.user, w.year).unwrap().unwrap();
        assert_eq!(waiting.idempotency_key, item.idempotency_key);
        assert_eq!(waiting.attempts, 3);
        assert!(
            store.load::<String>(&w.user, w.year).unwrap().is_some(),
            "draft kept"
        );
        assert_eq!(w.created(), 0);

        w.gate.set_online(true);
        let SendOutcome::Accepted(a) = w.send(&q) else {
            panic!("not accepted")
        };
        assert_eq!(a.status, "submitted");
        assert_eq!(w.created(), 1);
        assert!(q.pending(&w.user, w.year).unwrap().is_none());
        assert!(
            store.load::<String>(&w.user, w.year).unwrap().is_none(),
            "draft gone after ack"
        );
        assert!(q.last_submitted(&w.user, w.year).unwrap().is_some());
        assert_eq!(w.send(&q), SendOutcome::Empty);
    }

    #[test]
    fn a_lost_answer_is_retried_with_the_same_key_and_creates_nothing_new() {
        let (_dir, store) = store();
        let w = world();
        let q = SubmissionQueue::new(&store);
        w.queue_one(&q);
        // The server creates it, but its answer never reaches the tablet.
        w.gate.fail("/submissions", Fault::LoseAnswer, 1);
        assert_eq!(w.send(&q), SendOutcome::Waiting(ApiError::Network));
        assert_eq!(w.created(), 1, "the server did act on it");
        let kept = q.pending(&w.user, w.year).unwrap().unwrap();
        // Retried with the same key: the server's stored answer, nothing new.
        let SendOutcome::Accepted(replayed) = w.send(&q) else {
            panic!("not accepted")
        };
        assert_eq!(replayed.status, "submitted");
        assert_eq!(w.created(), 1);
        let direct = w
            .api
            .submit_review(
                &w.token,
                &kept.idempotency_key,
                &SubmissionRequest {
                    form: kept.form.clone(),
                    id_front_upload: kept.id_front.upload_id.clone().unwrap(),
                    id_back_upload: kept.id_back.upload_id.clone().unwrap(),
                    liveness_challenge_id: kept.verified.challenge_id().to_owned(),
                    newspaper_photo_upload: None,
                },
            )
            .unwrap();
        assert_eq!(direct, replayed, "one submission, one answer");
    }

    #[test]
    fn server_errors_and_timeouts_keep_the_item_and_its_uploads() {
        let (_dir, store) = store();
        let w = world();
        let q = SubmissionQueue::new(&store);
        let item = w.queue_one(&q);
        // A proxy's 503 on the first upload: nothing uploaded, still queued.
        w.gate.fail("/api/v1/uploads", Fault::Answer(503), 1);
        assert_eq!(
            w.send(&q),
            SendOutcome::Waiting(ApiError::BadResponse { status: 503 })
        );
        assert_eq!(
            q.pending(&w.user, w.year)
                .unwrap()
                .unwrap()
                .id_front
                .upload_id,
            None
        );
        // Uploads pass, the submission times out at the proxy: the upload ids are kept.
        w.gate.fail("/submissions", Fault::Answer(504), 1);
        assert_eq!(
            w.send(&q),
            SendOutcome::Waiting(ApiError::BadResponse { status: 504 })
        );
        let kept = q.pending(&w.user, w.year).unwrap().unwrap();
        assert_eq!(kept.idempotency_key, item.idempotency_key);
        assert!(kept.id_front.upload_id.is_some() && kept.id_back.upload_id.is_some());
        assert_eq!(w.created(), 0);
        // Reachable again: sent once, the photos not uploaded again.
        let before = w.gate.requests();
        assert!(matches!(w.send(&q), SendOutcome::Accepted(_)));
        assert_eq!(w.gate.requests(), before + 1, "only the submission");
        assert_eq!(w.created(), 1);
    }

    #[test]
    fn field_errors_remove_the_item_but_keep_the_draft() {
        let (_dir, store) = store();
        let w = world();
        store.save(&w.user, w.year, &"draft").unwrap();
        let q = SubmissionQueue::new(&store);
        let mut f = w.form();
        f.basic.phone = Some("1330000123".into());
        let challenge = w.server.passed_challenge(w.token.expose());
        q.enqueue(
            &w.user,
            w.year,
            f,
            photo_from_bytes(png()).unwrap(),
            photo_from_bytes(png()).unwrap(),
            Verified::Challenge(challenge),
        )
        .unwrap();
        let SendOutcome::Refused(e) = w.send(&q) else {
            panic!("not refused")
        };
        assert_eq!(e.code(), "invalid_fields");
        assert!(e.problem().unwrap().field("basic.phone").is_some());
        assert!(q.pending(&w.user, w.year).unwrap().is_none());
        assert!(store.load::<String>(&w.user, w.year).unwrap().is_some());
        assert_eq!(w.created(), 0);
    }

    #[test]
    fn queued_photos_and_form_are_not_on_disk_in_plain_text() {
        let dir = tempfile::tempdir().unwrap();
        let w = world();
        {
            let store = DraftStore::open(dir.path(), &StaticKey([4; 32])).unwrap();
            w.queue_one(&SubmissionQueue::new(&store));
        }
        let mut bytes = Vec::new();
        for e in std::fs::read_dir(dir.path()).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                bytes.extend(std::fs::read(p).unwrap());
            }
        }
        for secret in [w.vet.person.id_number.as_str(), "幸福路"] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
        }
    }

    #[test]
    fn photos_must_be_small_jpeg_or_png() {
        assert_eq!(photo_from_bytes(png()).unwrap().file_name, "image.png");
        assert_eq!(
            photo_from_bytes(b"not an image".to_vec()).unwrap_err(),
            PhotoError::NotAnImage
        );
        assert_eq!(
            photo_from_bytes(vec![0; MAX_PHOTO_BYTES + 1])
                .unwrap_err()
                .code(),
            "photo_too_large"
        );
    }
}
