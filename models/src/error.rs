//! Errors of the models crate: a stable snake_case code for programs, a Chinese message for people.

use shared::error::UserError;

/// Loading or running a model failed. None of these is caused by what the person does in front
/// of the camera; they mean the app's model files or the device are broken.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A model file could not be read.
    #[error("model file {name} could not be read: {detail}")]
    Missing { name: &'static str, detail: String },
    /// A model file's sha256 differs from the one this build expects (damaged or replaced file).
    #[error("model file {name} has sha256 {actual}, expected {expected}")]
    Checksum {
        name: &'static str,
        expected: &'static str,
        actual: String,
    },
    /// tract could not load or optimise the model.
    #[error("model {name} could not be loaded: {detail}")]
    Invalid { name: &'static str, detail: String },
    /// Running the model failed (should not happen with a verified model).
    #[error("model {name} failed to run: {detail}")]
    Inference { name: &'static str, detail: String },
}

impl UserError for ModelError {
    fn code(&self) -> &'static str {
        match self {
            ModelError::Missing { .. } => "model_missing",
            ModelError::Checksum { .. } => "model_checksum",
            ModelError::Invalid { .. } => "model_invalid",
            ModelError::Inference { .. } => "model_inference_failed",
        }
    }

    fn message(&self) -> String {
        match self {
            ModelError::Missing { .. }
            | ModelError::Checksum { .. }
            | ModelError::Invalid { .. } => "人脸识别组件加载失败,请重新安装或更新应用".to_owned(),
            ModelError::Inference { .. } => "人脸识别处理失败,请重新核验".to_owned(),
        }
    }
}

/// The image handed in is not a valid RGB frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Width or height is zero or larger than [`crate::frame::MAX_SIDE`].
    #[error("frame size {width}x{height} is not supported")]
    BadSize { width: u32, height: u32 },
    /// The byte buffer does not hold exactly width × height × 3 bytes.
    #[error("frame buffer holds {actual} bytes, expected {expected}")]
    BadLength { expected: usize, actual: usize },
}

impl UserError for FrameError {
    fn code(&self) -> &'static str {
        match self {
            FrameError::BadSize { .. } => "frame_size_invalid",
            FrameError::BadLength { .. } => "frame_data_invalid",
        }
    }

    fn message(&self) -> String {
        "图像数据无效,请重新拍摄".to_owned()
    }
}
