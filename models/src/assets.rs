//! The three model files, their expected sha256 (from `MODELS.md`), and loading with verification.
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
    sha256: "fde05a9c3512ad651aef570cf8c0a70bd4451b9b5cfb2861bfe2cc9d662ef4b7",
};

/// MediaPipe Face Mesh (468 points), 192×192 input.
pub const LANDMARKS: ModelFile = ModelFile {
    name: "face_landmark",
    file: "face_landmark.onnx",
    sha256: "809abcf46ad1ebd70c62419661c8c159f50ebb489f373c99c485b797680a9196",
};

/// MediaPipe iris/eye-contour model, 64×64 eye crop: 71 eye-region points (the eyelids follow
/// a blink, which the base mesh's eyelids do not).
pub const EYES: ModelFile = ModelFile {
    name: "iris_landmark",
    file: "iris_landmark.onnx",
    sha256: "b56aee62c10e01b3eb476e121ee1c1f2f8bee64a1ff77c2c87dd93a1af6a588f",
};

/// MobileFaceNet, 112×112 aligned face → 192-d embedding.
pub const EMBEDDER: ModelFile = ModelFile {
    name: "mobilefacenet",
    file: "mobilefacenet.onnx",
    sha256: "05755284fb928863353b5cb785ff33fc81ec9bfdfc67aa79cf9e77ff68a11e32",
};

/// The directory the models ship in, inside this crate's source tree (for tests, the eval and
/// bench binaries, and the server; the app bundles the files and uses [`verify`] on the bytes).
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
        for m in [DETECTOR, LANDMARKS, EYES, EMBEDDER] {
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
