//! The camera, behind one trait: recorded frames from a directory (`--camera-frames DIR`, for
//! testers without a webcam and for tests) or, with the `webcam` cargo feature, a real webcam
//! through nokhwa.

use std::path::{Path, PathBuf};

use shared::error::UserError;

/// One RGB frame.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// Milliseconds since the camera started.
    pub t_ms: u64,
    pub width: u32,
    pub height: u32,
    /// `width * height * 3` bytes, row by row.
    pub rgb: Vec<u8>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the pixels: they are a face.
        write!(
            f,
            "Frame {{ t_ms: {}, {}x{} }}",
            self.t_ms, self.width, self.height
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    #[error("未找到录制的画面目录")]
    NoSuchDir(#[source] std::io::Error),
    #[error("画面目录中没有 JPEG 或 PNG 图片")]
    Empty,
    #[error("画面文件无法读取: {0}")]
    BadFrame(String),
    #[error("无法打开摄像头,请检查摄像头是否连接或被其他程序占用")]
    Unavailable,
    #[error("未获得相机权限,请在系统设置中允许本应用使用相机")]
    PermissionDenied,
}

impl UserError for CameraError {
    fn code(&self) -> &'static str {
        match self {
            CameraError::NoSuchDir(_) => "camera_frames_dir",
            CameraError::Empty => "camera_frames_empty",
            CameraError::BadFrame(_) => "camera_frame_unreadable",
            CameraError::Unavailable => "camera_unavailable",
            CameraError::PermissionDenied => "camera_permission_denied",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

/// A source of frames.
pub trait Camera {
    /// The next frame, or `None` when a recording has ended.
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError>;
}

/// Frames read from the JPEG/PNG files of a directory, in file-name order, stamped at `fps`.
pub struct FramesDir {
    files: Vec<PathBuf>,
    next: usize,
    frame_ms: u64,
}

impl FramesDir {
    /// The frames in `dir`; fails if it does not exist or holds no `.jpg`/`.jpeg`/`.png`.
    pub fn open(dir: &Path, fps: u32) -> Result<FramesDir, CameraError> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(CameraError::NoSuchDir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png")
                })
            })
            .collect();
        if files.is_empty() {
            return Err(CameraError::Empty);
        }
        files.sort();
        Ok(FramesDir {
            files,
            next: 0,
            frame_ms: 1000 / u64::from(fps.max(1)),
        })
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl Camera for FramesDir {
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
        let Some(path) = self.files.get(self.next) else {
            return Ok(None);
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let img = image::open(path)
            .map_err(|_| CameraError::BadFrame(name))?
            .to_rgb8();
        let frame = Frame {
            t_ms: self.next as u64 * self.frame_ms,
            width: img.width(),
            height: img.height(),
            rgb: img.into_raw(),
        };
        self.next += 1;
        Ok(Some(frame))
    }
}

/// A real webcam (feature `webcam`).
#[cfg(feature = "webcam")]
pub mod webcam {
    use super::{Camera, CameraError, Frame};
    use nokhwa::pixel_format::RgbFormat;
    use nokhwa::utils::{CameraIndex, RequestedFormat, RequestedFormatType};

    pub struct Webcam {
        cam: nokhwa::Camera,
        started: std::time::Instant,
    }

    impl Webcam {
        /// The first camera of the system.
        pub fn open_default() -> Result<Webcam, CameraError> {
            let format =
                RequestedFormat::new::<RgbFormat>(RequestedFormatType::AbsoluteHighestFrameRate);
            let mut cam = nokhwa::Camera::new(CameraIndex::Index(0), format)
                .map_err(|_| CameraError::Unavailable)?;
            cam.open_stream().map_err(|_| CameraError::Unavailable)?;
            Ok(Webcam {
                cam,
                started: std::time::Instant::now(),
            })
        }
    }

    impl Camera for Webcam {
        fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
            let buf = self.cam.frame().map_err(|_| CameraError::Unavailable)?;
            let img = buf
                .decode_image::<RgbFormat>()
                .map_err(|_| CameraError::Unavailable)?;
            Ok(Some(Frame {
                t_ms: self.started.elapsed().as_millis() as u64,
                width: img.width(),
                height: img.height(),
                rgb: img.into_raw(),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_in_file_name_order_with_timestamps() {
        let dir = tempfile::tempdir().unwrap();
        // Written out of order; two formats; one file that is not an image is skipped.
        for (name, shade) in [
            ("frame_002.jpg", 200u8),
            ("frame_000.png", 10),
            ("frame_001.png", 100),
        ] {
            let img = image::RgbImage::from_pixel(8, 6, image::Rgb([shade, shade, shade]));
            img.save(dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "not a frame").unwrap();
        let mut cam = FramesDir::open(dir.path(), 10).unwrap();
        assert_eq!(cam.len(), 3);
        let shades: Vec<(u64, u8)> = std::iter::from_fn(|| cam.next_frame().unwrap())
            .map(|f| (f.t_ms, f.rgb[0]))
            .collect();
        assert_eq!(shades.len(), 3);
        assert_eq!(
            shades.iter().map(|s| s.0).collect::<Vec<_>>(),
            vec![0, 100, 200]
        );
        assert!(
            shades[0].1 < 20 && (90..110).contains(&shades[1].1) && shades[2].1 > 180,
            "{shades:?}"
        );
        assert!(cam.next_frame().unwrap().is_none());
    }

    #[test]
    fn missing_empty_and_broken_directories_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            FramesDir::open(&dir.path().join("nope"), 10)
                .err()
                .unwrap()
                .code(),
            "camera_frames_dir"
        );
        assert_eq!(
            FramesDir::open(dir.path(), 10).err().unwrap().code(),
            "camera_frames_empty"
        );
        std::fs::write(dir.path().join("broken.jpg"), b"not a jpeg").unwrap();
        let mut cam = FramesDir::open(dir.path(), 10).unwrap();
        let err = cam.next_frame().unwrap_err();
        assert_eq!(err.code(), "camera_frame_unreadable");
        assert!(err.message().contains("broken.jpg"));
    }
}
