//! Zhanyou's face models, run on the phone (app) and on the server (re-check) with tract.
//!
//! - [`FaceModels`]: MediaPipe BlazeFace short-range detection, MediaPipe Face Mesh (468
//!   points) and MobileFaceNet embeddings, loaded once from sha256-verified ONNX files
//!   ([`assets`], provenance in `MODELS.md`).
//! - [`FaceModels::analyze`]: an RGB frame (any size, optionally mirrored) →
//!   [`shared::liveness::FrameSignals`]: eye/mouth openness, yaw, pitch and quality issues;
//!   [`FaceModels::analyze_tracked`] does the same for a video's frames, following the face
//!   from mesh to mesh and running the detector only every few frames ([`track`]).
//! - [`embed`]: aligned-face embeddings, cosine similarity and the 1:1 decision, with
//!   "no reference photo" as its own outcome.
//! - [`session`]: runs a liveness challenge over timed frames with the shared
//!   [`LivenessSession`](shared::liveness::LivenessSession), checking that the face stays the
//!   same person throughout.
//! - [`kernels`]: a depthwise-convolution kernel added to tract's routine table for the strided
//!   rows tract runs scalar (x86-64 AVX2, arm64 NEON), bit-identical to tract's scalar path.
//!
//! Architecture invariant: deterministic and pure Rust (no threads, no native libraries), so the
//! server re-computes exactly what the phone computed, and the crate builds for Android as is.

pub mod assets;
pub mod colour;
pub mod detect;
pub mod embed;
pub mod error;
pub mod fingerprint;
pub mod frame;
pub mod kernels;
pub mod mesh;
mod net;
pub mod pad;
pub mod pipeline;
pub mod session;
pub mod signals;
pub mod simulate;
pub mod track;

pub use detect::FaceDetection;
pub use embed::{compare, Comparison, Embedding, MATCH_THRESHOLD};
pub use error::{FrameError, ModelError};
pub use frame::Frame;
pub use mesh::FaceMesh;
pub use pipeline::{FaceModels, FrameAnalysis};
pub use session::{detector_config, IdentityConfig, LivenessRunner, SessionOutcome};
pub use signals::QualityConfig;
pub use track::{FaceTracker, TrackConfig};
