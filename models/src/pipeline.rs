//! The three models together: frame in → faces, mesh, signals, quality; face → embedding.

use std::path::Path;

use shared::liveness::{ColourSample, FrameSignals, QualityIssue};

use crate::assets::{self, DETECTOR, EMBEDDER, LANDMARKS, PAD};
use crate::colour;
use crate::detect::{Detector, FaceDetection};
use crate::embed::{Embedder, Embedding};
use crate::error::ModelError;
use crate::frame::Frame;
use crate::mesh::{FaceMesh, Landmarker};
use crate::pad::PadNet;
use crate::signals::{self, QualityConfig};
use crate::track::FaceTracker;

/// Everything measured on one frame.
#[derive(Debug, Clone)]
pub struct FrameAnalysis {
    /// What `shared::liveness` consumes.
    pub signals: FrameSignals,
    /// Every detected face, highest score first.
    pub faces: Vec<FaceDetection>,
    /// Index into `faces` of the main (largest) face.
    pub main_face: Option<usize>,
    /// The main face's mesh, when the landmark model confirmed it.
    pub mesh: Option<FaceMesh>,
    /// Mean luma of the whole frame (0–255).
    pub frame_luma: f32,
    /// The main face's skin and background colour, for the colour-flash check (with a mesh).
    pub colour: Option<ColourSample>,
}

impl FrameAnalysis {
    /// The main face's detection.
    pub fn face(&self) -> Option<&FaceDetection> {
        self.main_face.and_then(|i| self.faces.get(i))
    }
}

/// The loaded, verified models. Not `Sync`: each thread (or camera pipeline) owns one.
pub struct FaceModels {
    detector: Detector,
    landmarker: Landmarker,
    embedder: Embedder,
    pad: PadNet,
    quality: QualityConfig,
}

impl std::fmt::Debug for FaceModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceModels")
            .field("quality", &self.quality)
            .finish_non_exhaustive()
    }
}

impl FaceModels {
    /// Loads and verifies the three models from a directory (see [`assets::bundled_dir`]).
    pub fn load_dir(dir: &Path) -> Result<FaceModels, ModelError> {
        let det = assets::read_verified(dir, &DETECTOR)?;
        let lmk = assets::read_verified(dir, &LANDMARKS)?;
        let emb = assets::read_verified(dir, &EMBEDDER)?;
        let pad = assets::read_verified(dir, &PAD)?;
        FaceModels::from_verified_bytes(&det, &lmk, &emb, &pad)
    }

    /// The models shipped in this crate's `onnx/` directory, compiled into the binary
    /// ([`assets::embedded`]) and verified against their sha256.
    pub fn load_bundled() -> Result<FaceModels, ModelError> {
        FaceModels::from_bytes(
            assets::embedded(&DETECTOR),
            assets::embedded(&LANDMARKS),
            assets::embedded(&EMBEDDER),
            assets::embedded(&PAD),
        )
    }

    /// Verifies and loads models the caller has read (e.g. from Android assets).
    pub fn from_bytes(
        detector: &[u8],
        landmarks: &[u8],
        embedder: &[u8],
        pad: &[u8],
    ) -> Result<FaceModels, ModelError> {
        assets::verify(&DETECTOR, detector)?;
        assets::verify(&LANDMARKS, landmarks)?;
        assets::verify(&EMBEDDER, embedder)?;
        assets::verify(&PAD, pad)?;
        FaceModels::from_verified_bytes(detector, landmarks, embedder, pad)
    }

    fn from_verified_bytes(
        det: &[u8],
        lmk: &[u8],
        emb: &[u8],
        pad: &[u8],
    ) -> Result<FaceModels, ModelError> {
        Ok(FaceModels {
            detector: Detector::load(det)?,
            landmarker: Landmarker::load(lmk)?,
            embedder: Embedder::load(emb)?,
            pad: PadNet::load(pad)?,
            quality: QualityConfig::default(),
        })
    }

    /// Runs one network on a raw NCHW input, for benchmarks (compare with onnxruntime on the
    /// same `.onnx`). `model` is one of the [`assets`] constants.
    #[doc(hidden)]
    pub fn run_raw(
        &mut self,
        model: &assets::ModelFile,
        input: &[f32],
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        match model.name {
            n if n == DETECTOR.name => self.detector.net_mut().run(input),
            n if n == LANDMARKS.name => self.landmarker.net_mut().run(input),
            n if n == PAD.name => self.pad.net_mut().run(input),
            _ => self.embedder.net_mut().run(input),
        }
    }

    /// Replaces the quality thresholds.
    pub fn with_quality(mut self, quality: QualityConfig) -> FaceModels {
        self.quality = quality;
        self
    }

    pub fn quality(&self) -> &QualityConfig {
        &self.quality
    }

    /// Faces in the frame, highest score first.
    pub fn detect(&mut self, frame: &Frame<'_>) -> Result<Vec<FaceDetection>, ModelError> {
        self.detector.detect(frame)
    }

    /// The mesh of one detected face (`None` if the landmark model finds no face there).
    pub fn mesh(
        &mut self,
        frame: &Frame<'_>,
        face: &FaceDetection,
    ) -> Result<Option<FaceMesh>, ModelError> {
        self.landmarker.mesh(frame, face)
    }

    /// The live probability (0–1) the anti-spoofing network gives the face in `face`'s box
    /// (see [`crate::pad`]); `None` for a degenerate box.
    pub fn pad_score(
        &mut self,
        frame: &Frame<'_>,
        face: &FaceDetection,
    ) -> Result<Option<f32>, ModelError> {
        self.pad.live_probability(frame, face)
    }

    /// The embedding of a face given its mesh.
    pub fn embed(
        &mut self,
        frame: &Frame<'_>,
        mesh: &FaceMesh,
    ) -> Result<Option<Embedding>, ModelError> {
        self.embedder.embed(frame, mesh)
    }

    /// Detect → mesh of the largest face → signals and quality issues, for a frame taken at
    /// `t_ms`.
    pub fn analyze(&mut self, frame: &Frame<'_>, t_ms: u64) -> Result<FrameAnalysis, ModelError> {
        let faces = self.detector.detect(frame)?;
        self.analyze_faces(frame, t_ms, faces)
    }

    /// Like [`analyze`](Self::analyze) for a still photo (reference photo, a photo check):
    /// also looks for small faces in overlapping tiles, at several times the cost.
    pub fn analyze_still(&mut self, frame: &Frame<'_>) -> Result<FrameAnalysis, ModelError> {
        let faces = self.detector.detect_tiled(frame)?;
        self.analyze_faces(frame, 0, faces)
    }

    /// Like [`analyze`](Self::analyze) for the frames of one video in time order: the
    /// detector runs only every few frames and the face is followed from mesh to mesh in
    /// between (see [`crate::track`]), several times cheaper per frame. On a followed frame
    /// the box, keypoints and score are the last detection's carried along with the mesh, and
    /// other faces are the last detection's (at most `detect_every − 1` frames old).
    pub fn analyze_tracked(
        &mut self,
        frame: &Frame<'_>,
        t_ms: u64,
        tracker: &mut FaceTracker,
    ) -> Result<FrameAnalysis, ModelError> {
        let view = (frame.width(), frame.height(), frame.is_mirrored());
        if let Some(plan) = tracker.plan(view, t_ms) {
            if let Some(mut mesh) = self.landmarker.mesh_in(frame, &plan.crop)? {
                if let Some(crop) = tracker.refine(&mesh, &plan.crop) {
                    if let Some(again) = self.landmarker.mesh_in(frame, &crop)? {
                        mesh = again;
                    }
                }
                if let Some(face) = tracker.follow(t_ms, &mesh) {
                    let mut faces = plan.others;
                    faces.push(face);
                    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
                    let main = faces.iter().position(|f| *f == face);
                    return Ok(self.assemble(frame, t_ms, faces, main, Some(mesh)));
                }
            }
        }
        let faces = self.detector.detect(frame)?;
        let analysis = self.analyze_faces(frame, t_ms, faces)?;
        tracker.detected(
            view,
            t_ms,
            &analysis.faces,
            analysis.main_face,
            analysis.mesh.as_ref(),
        );
        Ok(analysis)
    }

    fn analyze_faces(
        &mut self,
        frame: &Frame<'_>,
        t_ms: u64,
        faces: Vec<FaceDetection>,
    ) -> Result<FrameAnalysis, ModelError> {
        let main_face = faces
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.area().total_cmp(&b.1.area()))
            .map(|(i, _)| i);
        let mesh = match main_face.and_then(|i| faces.get(i)) {
            Some(face) => self.mesh(frame, face)?,
            None => None,
        };
        Ok(self.assemble(frame, t_ms, faces, main_face, mesh))
    }

    /// Signals and quality issues from the faces and the main face's mesh.
    fn assemble(
        &self,
        frame: &Frame<'_>,
        t_ms: u64,
        faces: Vec<FaceDetection>,
        main_face: Option<usize>,
        mesh: Option<FaceMesh>,
    ) -> FrameAnalysis {
        let (w, h) = (frame.width() as f32, frame.height() as f32);
        let frame_luma = frame.mean_luma();
        let mut issues = Vec::new();
        let mut face_signals = None;
        match main_face.and_then(|i| faces.get(i)) {
            None => {
                issues.push(QualityIssue::NoFace);
                if frame_luma < self.quality.dark_frame_luma {
                    issues.push(QualityIssue::TooDark);
                }
            }
            Some(face) => {
                if faces.len() > 1 {
                    issues.push(QualityIssue::MultipleFaces);
                }
                match &mesh {
                    Some(m) => face_signals = Some(signals::face_signals(face, m, w, h)),
                    None => issues.push(QualityIssue::NoFace),
                }
                issues.extend(signals::face_issues(
                    &self.quality,
                    face,
                    mesh.as_ref(),
                    w,
                    h,
                ));
                if mesh.is_none() && frame_luma < self.quality.dark_frame_luma {
                    issues.push(QualityIssue::TooDark);
                }
            }
        }
        let colour = match (main_face.and_then(|i| faces.get(i)), &mesh) {
            (Some(face), Some(m)) => colour::colour_sample(frame, face, m),
            _ => None,
        };
        let signals = FrameSignals {
            t_ms,
            faces: faces.len().try_into().unwrap_or(u32::MAX),
            face: face_signals,
            issues,
        };
        FrameAnalysis {
            signals,
            faces,
            main_face,
            mesh,
            frame_luma,
            colour,
        }
    }

    /// Embedding of the main face of a still photo (e.g. the reference photo), with the
    /// analysis; `None` when there is no usable face.
    pub fn embed_main_face(
        &mut self,
        frame: &Frame<'_>,
    ) -> Result<(FrameAnalysis, Option<Embedding>), ModelError> {
        let analysis = self.analyze_still(frame)?;
        let embedding = match &analysis.mesh {
            Some(mesh) => self.embedder.embed(frame, mesh)?,
            None => None,
        };
        Ok((analysis, embedding))
    }
}
