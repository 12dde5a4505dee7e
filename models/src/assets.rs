//! The model files, their expected sha256 (from `MODELS.md`), and loading with verification.
//!
//! The `.onnx` files live in `models/onnx/` and are produced by `models/convert/convert.py`.
//! A file whose hash differs is refused: a damaged or swapped model would silently change who
//! passes the liveness check.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::ModelError;

/// One model file the crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelFile {
    /// Short name used in errors and logs.
    pub name: &'static str,
    /// File name inside the model directory.
    pub file: &'static str,
    /// Expected sha256, lowercase hex.
    pub sha256: &'static str,
}

/// MediaPipe BlazeFace short-range detector, 128×128 input.
pub const DETECTOR: ModelFile = ModelFile {
    name: "face_detection_short_range",
    file: "face_detection_short_range.onnx",
    sha256: "c47d93fbc2539897cecdcc37e1a25a3a8528c415149ac376394b19cadda911d2",
};

/// MediaPipe Face Mesh (468 points), 192×192 input: the mesh of `mediapipe` 0.10.14, whose
/// eyelids close on a blink (so no separate eye model runs per frame).
pub const LANDMARKS: ModelFile = ModelFile {
    name: "face_landmark",
    file: "face_landmark.onnx",
    sha256: "116bb08a860cea260720f7949ac255bef7735ba682eaca5648d56b907882ed58",
};

/// MobileFaceNet, 112×112 aligned face → 192-d embedding.
pub const EMBEDDER: ModelFile = ModelFile {
    name: "mobilefacenet",
    file: "mobilefacenet.onnx",
    sha256: "987aad14f2b48c3b711486074c5aab5e6353abd6afeacd3cc90acdc7e8e0ad17",
};

/// A 32×32 live/spoof classifier (presentation-attack detection), see `crate::pad`.
pub const PAD: ModelFile = ModelFile {
    name: "pad_liveness",
    file: "pad_liveness.onnx",
    sha256: "2c10cd0151c51f06ccd996bd0ce4272597e31d55ad726d75217fd6d514683c88",
};

/// The bytes of `model` compiled into the binary (`include_bytes!` of `onnx/`), so the app, the
/// Android library and a deployed server carry their models and never look for this source tree
/// at run time. Still verified against the sha256 when loaded.
pub fn embedded(model: &ModelFile) -> &'static [u8] {
    match model.file {
        "face_detection_short_range.onnx" => {
            include_bytes!("../onnx/face_detection_short_range.onnx")
        }
        "face_landmark.onnx" => include_bytes!("../onnx/face_landmark.onnx"),
        "mobilefacenet.onnx" => include_bytes!("../onnx/mobilefacenet.onnx"),
        "pad_liveness.onnx" => include_bytes!("../onnx/pad_liveness.onnx"),
        _ => &[],
    }
}

/// The directory the models ship in, inside this crate's source tree (for the tests, the eval
/// and bench binaries; running code uses [`embedded`]).
pub fn bundled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("onnx")
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks `bytes` against the expected hash of `model`.
pub fn verify(model: &ModelFile, bytes: &[u8]) -> Result<(), ModelError> {
    let actual = sha256_hex(bytes);
    if actual == model.sha256 {
        Ok(())
    } else {
        Err(ModelError::Checksum {
            name: model.name,
            expected: model.sha256,
            actual,
        })
    }
}

/// Reads `dir/model.file` and verifies it.
pub fn read_verified(dir: &Path, model: &ModelFile) -> Result<Vec<u8>, ModelError> {
    let bytes = std::fs::read(dir.join(model.file)).map_err(|e| ModelError::Missing {
        name: model.name,
        detail: e.to_string(),
    })?;
    verify(model, &bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_files_match_their_hashes() {
        for m in [DETECTOR, LANDMARKS, EMBEDDER, PAD] {
            let bytes = read_verified(&bundled_dir(), &m).expect("bundled model verifies");
            // "a few MB": keep the repository small.
            assert!(
                bytes.len() < 6_000_000,
                "{} is {} bytes",
                m.name,
                bytes.len()
            );
        }
    }

    #[test]
    fn embedded_models_are_the_shipped_files() {
        for m in [DETECTOR, LANDMARKS, EMBEDDER, PAD] {
            verify(&m, embedded(&m)).expect("embedded model verifies");
        }
    }

    #[test]
    fn a_changed_byte_is_refused() {
        let mut bytes = std::fs::read(bundled_dir().join(DETECTOR.file)).unwrap();
        bytes[1000] ^= 1;
        let err = verify(&DETECTOR, &bytes).unwrap_err();
        assert!(matches!(
            err,
            ModelError::Checksum {
                name: "face_detection_short_range",
                ..
            }
        ));
        assert!(matches!(
            read_verified(Path::new("/nonexistent"), &DETECTOR),
            Err(ModelError::Missing { .. })
        ));
    }
}
