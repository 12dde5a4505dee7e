//! The server's liveness re-check: the uploaded camera frames go through the same face models
//! as on the phone (`models`), so the server never trusts the app's verdict.
//!
//! - [`ModelPool`]: a few loaded [`FaceModels`] (each is ~10 MB of networks and not `Sync`), each
//!   used by one blocking task at a time. Loaded lazily on first use (a server that never
//!   receives evidence never loads them); the load time is logged.
//! - [`recheck`]: frames (sorted by time) → [`LivenessRunner`] (actions in order, one person
//!   throughout, the anti-spoofing network on key frames, the colour flash) →
//!   `shared::liveness::verify_claims_with` (the app's claimed times agree with the frames) →
//!   the anchor face's embedding for the 1:1 comparison, and each frame's fingerprint
//!   (`models::fingerprint`) for the reuse check.
//! - [`reference_embedding`]: the embedding of a reference photo (a still, one face).
//!
//! Everything here is CPU-bound and synchronous: callers run it through [`ModelPool::run`],
//! which uses tokio's blocking pool.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64::Engine;
use models::{Embedding, FaceModels, IdentityConfig, LivenessRunner};
use shared::liveness::{
    ActionAt, ChallengeActions, FailReason, FlashConfig, FlashOutcome, FlashSchedule, FrameSignals,
    PadOutcome, Verdict,
};
use tokio::sync::Semaphore;

/// Most frames one evidence may carry (≈ 15 s at the app's 10 fps).
pub const MAX_EVIDENCE_FRAMES: usize = 150;

/// A frame is good enough to become a (demo) reference photo when its face is this close to
/// frontal (|yaw| and |pitch|, degrees).
const ENROL_MAX_POSE_DEG: f32 = 12.0;

/// Why the re-check could not run (not a verdict: a server problem).
#[derive(Debug, thiserror::Error)]
pub enum RecheckError {
    #[error("face models: {0}")]
    Model(#[from] models::ModelError),
    #[error("stored frame does not decode: {0}")]
    Decode(String),
    #[error("frame: {0}")]
    Frame(#[from] models::FrameError),
    #[error("model task failed: {0}")]
    Task(String),
}

/// Loaded models, shared by the handlers; at most `size` inferences at once.
pub struct ModelPool {
    idle: Mutex<Vec<FaceModels>>,
    permits: Arc<Semaphore>,
    loaded: Mutex<Option<u128>>,
}

impl ModelPool {
    /// A pool of at most `size` models (at least one).
    pub fn new(size: usize) -> ModelPool {
        ModelPool {
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(size.max(1))),
            loaded: Mutex::new(None),
        }
    }

    /// Milliseconds the last model load took (`None` before the first).
    pub fn last_load_ms(&self) -> Option<u128> {
        *self.loaded.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take(&self) -> Result<FaceModels, RecheckError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        if let Some(m) = idle {
            return Ok(m);
        }
        let started = Instant::now();
        let m = FaceModels::load_bundled()?;
        let ms = started.elapsed().as_millis();
        *self.loaded.lock().unwrap_or_else(|e| e.into_inner()) = Some(ms);
        tracing::info!(load_ms = ms as u64, "face models loaded");
        Ok(m)
    }

    fn put_back(&self, m: FaceModels) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(m);
    }

    /// Runs `job` with a loaded model on tokio's blocking pool, waiting for a free one.
    pub async fn run<T, F>(self: &Arc<Self>, job: F) -> Result<T, RecheckError>
    where
        T: Send + 'static,
        F: FnOnce(&mut FaceModels) -> Result<T, RecheckError> + Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| RecheckError::Task(e.to_string()))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut m = pool.take()?;
            let out = job(&mut m);
            // A job that panicked loses its model (the next one loads a fresh one).
            pool.put_back(m);
            out
        })
        .await
        .map_err(|e| RecheckError::Task(e.to_string()))?
    }
}

/// The re-check service held in the application state.
pub struct Recheck {
    pub pool: Arc<ModelPool>,
    /// Where `import-roster` put reference photos (`reference-photos/...` paths are relative).
    pub data_dir: PathBuf,
}

impl Recheck {
    pub fn new(data_dir: PathBuf) -> Recheck {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Recheck {
            pool: Arc::new(ModelPool::new(cores.min(4))),
            data_dir,
        }
    }
}

/// An RGB image decoded from a stored blob.
pub struct Rgb {
    pub data: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Decodes a stored image (JPEG/PNG), with the same limits as the upload check.
pub fn decode_rgb(bytes: &[u8]) -> Result<Rgb, RecheckError> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| RecheckError::Decode(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(models::frame::MAX_SIDE);
    limits.max_image_height = Some(models::frame::MAX_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| RecheckError::Decode(e.to_string()))?
        .to_rgb8();
    let (width, height) = img.dimensions();
    Ok(Rgb {
        data: img.into_raw(),
        width,
        height,
    })
}

/// What [`reference_embedding`] found on a photo.
pub enum ReferenceFace {
    /// One usable face.
    Face(Box<Embedding>),
    NoFace,
    MultipleFaces,
}

/// The embedding of the one face on a reference photo.
pub fn reference_embedding(
    models: &mut FaceModels,
    bytes: &[u8],
) -> Result<ReferenceFace, RecheckError> {
    let rgb = decode_rgb(bytes)?;
    let frame = models::Frame::new(&rgb.data, rgb.width, rgb.height)?;
    let (analysis, embedding) = models.embed_main_face(&frame)?;
    if analysis.faces.len() > 1 {
        return Ok(ReferenceFace::MultipleFaces);
    }
    Ok(match embedding {
        Some(e) => ReferenceFace::Face(Box::new(e)),
        None => ReferenceFace::NoFace,
    })
}

/// One evidence to re-check: the challenge's actions, the frames (encoded blobs with their
/// times), and what the app claims.
pub struct RecheckInput {
    pub actions: ChallengeActions,
    /// `(t_ms, image bytes, index in the request)`.
    pub frames: Vec<(u64, Vec<u8>, usize)>,
    pub claimed: Vec<ActionAt>,
    /// The challenge's colour flash and when the app says it started (frame time).
    pub flash: Option<(FlashSchedule, Option<u64>)>,
    /// Also pick the best frame as a reference photo (demo enrolment).
    pub want_enrolment: bool,
}

/// What the frames show.
pub struct RecheckOutcome {
    /// The liveness verdict: actions in order, one person throughout, claims agree.
    pub verdict: Verdict,
    /// The first good frontal face of the session (compared with the reference photo).
    pub anchor: Option<Embedding>,
    /// For demo enrolment: the request index of the most frontal frame and its embedding.
    pub enrolment: Option<(usize, Embedding)>,
    /// Frames analysed (the run stops at the first failure).
    pub frames_analysed: usize,
    /// The perceptual hash of each analysed frame's face region, in time order.
    pub fingerprints: Vec<models::fingerprint::FrameHash>,
    /// The anti-spoofing decision and the colour-flash check, when they ran.
    pub pad: Option<PadOutcome>,
    pub flash: Option<FlashOutcome>,
}

/// Runs the liveness session over the frames in time order, as the app did, and checks the
/// claimed action times against what the frames show.
pub fn recheck(
    models: &mut FaceModels,
    mut input: RecheckInput,
) -> Result<RecheckOutcome, RecheckError> {
    input.frames.sort_by_key(|f| f.0);
    let config = models::detector_config();
    let mut runner = LivenessRunner::new(
        input.actions.clone(),
        config.clone(),
        IdentityConfig::default(),
    );
    if let Some((schedule, start)) = input.flash.take() {
        runner = runner.with_flash(schedule, FlashConfig::default());
        if let Some(start) = start {
            runner.flash_started(start);
        }
    }
    let mut signals: Vec<FrameSignals> = Vec::with_capacity(input.frames.len());
    let mut fingerprints: Vec<models::fingerprint::FrameHash> =
        Vec::with_capacity(input.frames.len());
    // (pose distance, position in `input.frames`) of the most frontal single-face frame.
    let mut best: Option<(f32, usize)> = None;
    for (pos, (t_ms, bytes, _)) in input.frames.iter().enumerate() {
        let rgb = decode_rgb(bytes)?;
        let frame = models::Frame::new(&rgb.data, rgb.width, rgb.height)?;
        let (analysis, _) = runner.push(models, &frame, *t_ms)?;
        fingerprints.push(models::fingerprint::face_hash(&frame, analysis.face()));
        let s = analysis.signals;
        if let Some(face) = s.single_face() {
            let off = face.yaw_deg.abs() + face.pitch_deg.abs();
            if face.yaw_deg.abs() <= ENROL_MAX_POSE_DEG
                && face.pitch_deg.abs() <= ENROL_MAX_POSE_DEG
                && best.is_none_or(|(b, _)| off < b)
            {
                best = Some((off, pos));
            }
        }
        signals.push(s);
        // A failure is final; after a pass the frames are still followed (identity, claims).
        if runner
            .session()
            .verdict()
            .is_some_and(|v: &Verdict| !v.passed)
        {
            break;
        }
    }
    let frames_analysed = signals.len();
    let hold_until = runner.hold_until();
    let outcome = runner.finish();
    let mut verdict = outcome.verdict;
    if verdict.passed {
        let checked = shared::liveness::verify_claims_held(
            &config,
            &input.actions,
            &signals,
            &input.claimed,
            hold_until,
        );
        if !checked.passed {
            verdict = Verdict {
                passed: false,
                reason: checked.reason.or(Some(FailReason::ClaimMismatch)),
                failed_action: checked.failed_action,
                done_at: verdict.done_at,
            };
        }
    }
    let mut enrolment = None;
    if verdict.passed && input.want_enrolment {
        if let Some((_, pos)) = best {
            let (_, bytes, index) = &input.frames[pos];
            if let ReferenceFace::Face(e) = reference_embedding(models, bytes)? {
                enrolment = Some((*index, *e));
            }
        }
    }
    Ok(RecheckOutcome {
        verdict,
        anchor: outcome.anchor,
        enrolment,
        frames_analysed,
        fingerprints,
        pad: outcome.pad,
        flash: outcome.flash,
    })
}

/// An embedding as stored: base64 of its 192 little-endian `f32`s.
pub fn embedding_to_text(e: &Embedding) -> String {
    let bytes: Vec<u8> = e.as_slice().iter().flat_map(|v| v.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The stored form back; `None` if it is not one.
pub fn embedding_from_text(s: &str) -> Option<Embedding> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    if bytes.len() % 4 != 0 {
        return None;
    }
    let raw: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Embedding::from_raw(&raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_round_trip_through_text() {
        let raw: Vec<f32> = (0..models::embed::DIM).map(|i| (i as f32).sin()).collect();
        let e = Embedding::from_raw(&raw).unwrap();
        let back = embedding_from_text(&embedding_to_text(&e)).unwrap();
        assert!((e.similarity(&back) - 1.0).abs() < 1e-6);
        // Loading normalises again: equal up to the last bit.
        assert!(e
            .as_slice()
            .iter()
            .zip(back.as_slice())
            .all(|(a, b)| (a - b).abs() < 1e-6));
        assert!(embedding_from_text("not base64!").is_none());
        assert!(
            embedding_from_text("AAAA").is_none(),
            "one number is not an embedding"
        );
    }

    #[test]
    fn undecodable_frames_are_an_error_not_a_panic() {
        assert!(matches!(
            decode_rgb(b"not an image"),
            Err(RecheckError::Decode(_))
        ));
    }
}
