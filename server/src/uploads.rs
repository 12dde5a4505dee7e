//! Uploaded images, for every upload route (the veteran's `POST /api/v1/uploads` and staff's
//! `POST /api/v1/staff/people/{id}/uploads`): reading the multipart body (`kind`, `file`),
//! checking the image by decoding it and re-encoding it (which drops every metadata block: EXIF,
//! GPS, comments), and keeping it in the blob store. Which kinds a caller may upload, and the
//! row that records the upload, are the route's business.

use std::io::Cursor;

use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::http::StatusCode;
use shared::FieldError;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tokens;

/// Largest image accepted by an upload route (the file part), in bytes.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;
/// An upload route's body limit: the image plus room for the multipart framing and `kind`.
pub const UPLOAD_BODY_LIMIT: usize = MAX_UPLOAD_BYTES + 16 * 1024;

/// Image decodes/re-encodes running at once, over every upload route (each may allocate up to
/// 256 MiB, and is CPU-bound); the rest wait their turn.
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The parts of an upload body, as sent.
pub struct UploadParts {
    /// The `kind` part, trimmed.
    pub kind: Option<String>,
    pub file: Option<Bytes>,
}

impl UploadParts {
    /// The field errors of missing parts (`kind`, `file`), given how `kind` parsed.
    pub fn missing_errors(&self, kind_known: bool, kinds_zh: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        match &self.kind {
            None => errors.push(FieldError::new("kind", "required", "请选择图片类型")),
            Some(_) if !kind_known => errors.push(FieldError::new(
                "kind",
                "upload_kind_invalid",
                &format!("图片类型应为{kinds_zh}之一"),
            )),
            Some(_) => {}
        }
        if self.file.is_none() {
            errors.push(FieldError::new("file", "required", "请选择要上传的图片"));
        }
        errors
    }
}

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::UploadTooLarge
    } else {
        ApiError::BadRequest
    }
}

/// Reads `kind` and `file` from a multipart body (415 `unsupported_media_type` if it is not
/// multipart; 413 `too_large` for a file over [`MAX_UPLOAD_BYTES`]). Unknown parts are read and
/// dropped, within the route's body limit.
pub async fn read_parts(
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<UploadParts> {
    let mut multipart = multipart.map_err(|_| ApiError::UnsupportedMediaType)?;
    let mut parts = UploadParts {
        kind: None,
        file: None,
    };
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("kind") => {
                let text = field.text().await.map_err(multipart_error)?;
                parts.kind = Some(text.trim().to_owned());
            }
            Some("file") => {
                let bytes = field.bytes().await.map_err(multipart_error)?;
                if bytes.len() > MAX_UPLOAD_BYTES {
                    return Err(ApiError::UploadTooLarge);
                }
                parts.file = Some(bytes);
            }
            _ => {}
        }
    }
    Ok(parts)
}

/// A form with files (the password appeal, which carries its scans inline): text parts by name,
/// trimmed, and file parts by name.
pub struct FormParts {
    pub text: std::collections::HashMap<String, String>,
    pub files: std::collections::HashMap<String, Bytes>,
}

impl FormParts {
    /// A text part, `""` when absent.
    pub fn text(&self, name: &str) -> &str {
        self.text.get(name).map(String::as_str).unwrap_or("")
    }
}

/// Reads a multipart form whose parts named in `file_names` are files of at most `max_file`
/// bytes each (413 `too_large`) and the rest text (at most 4 KiB each, else 400). 415
/// `unsupported_media_type` if the body is not multipart.
pub async fn read_form(
    multipart: Result<Multipart, MultipartRejection>,
    file_names: &[&str],
    max_file: usize,
) -> ApiResult<FormParts> {
    const MAX_TEXT: usize = 4 * 1024;
    let mut multipart = multipart.map_err(|_| ApiError::UnsupportedMediaType)?;
    let mut parts = FormParts {
        text: Default::default(),
        files: Default::default(),
    };
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        if file_names.contains(&name.as_str()) {
            let bytes = field.bytes().await.map_err(multipart_error)?;
            if bytes.len() > max_file {
                return Err(ApiError::UploadTooLarge);
            }
            if !bytes.is_empty() {
                parts.files.insert(name, bytes);
            }
        } else {
            let text = field.text().await.map_err(multipart_error)?;
            if text.len() > MAX_TEXT {
                return Err(ApiError::BadRequest);
            }
            parts.text.insert(name, text.trim().to_owned());
        }
    }
    Ok(parts)
}

/// Decodes `bytes` as a JPEG or PNG (by content, not name) and encodes it again, which drops
/// every metadata block (EXIF, GPS, comments). Returns the new bytes, extension and media type.
pub fn reencode(bytes: &[u8]) -> Result<(Vec<u8>, &'static str, &'static str), ApiError> {
    use image::ImageFormat;
    let format = image::guess_format(bytes).map_err(|_| ApiError::UnsupportedMedia)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png) {
        return Err(ApiError::UnsupportedMedia);
    }
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    // A small file can claim huge dimensions: cap what decoding may allocate.
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(8192);
    limits.max_image_height = Some(8192);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| ApiError::UnsupportedMedia)?;
    let mut out = Vec::new();
    match format {
        ImageFormat::Png => {
            img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
                .map_err(ApiError::internal)?;
            Ok((out, "png", "image/png"))
        }
        _ => {
            let rgb = img.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
                .encode_image(&rgb)
                .map_err(ApiError::internal)?;
            Ok((out, "jpg", "image/jpeg"))
        }
    }
}

/// An image re-encoded and kept in the blob store, not yet recorded as anyone's upload.
pub struct StoredImage {
    /// A new upload id (128-bit hex).
    pub upload_id: String,
    pub blob_key: String,
    pub content_type: &'static str,
    pub size: i64,
}

/// Re-encodes `file` ([`reencode`]; 415 `unsupported_media` if it is not a JPEG or PNG) and
/// writes it to the blob store under a new upload id.
pub async fn store_image(st: &AppState, file: Bytes) -> ApiResult<StoredImage> {
    // Decoding may take up to 256 MiB and a core: at most two at once.
    let permit = DECODES.acquire().await.map_err(ApiError::internal)?;
    let (bytes, ext, content_type) = tokio::task::spawn_blocking(move || reencode(&file))
        .await
        .map_err(ApiError::internal)??;
    drop(permit);
    let upload_id = tokens::new_id();
    let blob_key = format!("{upload_id}.{ext}");
    let size = bytes.len() as i64;
    let blobs = st.blobs.clone();
    let key = blob_key.clone();
    tokio::task::spawn_blocking(move || blobs.put(&key, &bytes))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(format!("blob store: {e}")))?;
    Ok(StoredImage {
        upload_id,
        blob_key,
        content_type,
        size,
    })
}

/// Reads the blob `key` from the blob store (off the async threads).
pub async fn read_blob(st: &AppState, key: &str) -> ApiResult<Vec<u8>> {
    let blobs = st.blobs.clone();
    let key = key.to_owned();
    tokio::task::spawn_blocking(move || blobs.get(&key))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(format!("blob store: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reencoding_refuses_non_images() {
        assert!(matches!(
            reencode(b"GIF89a not really"),
            Err(ApiError::UnsupportedMedia)
        ));
        assert!(matches!(
            reencode(b"\x89PNG\r\n\x1a\n truncated"),
            Err(ApiError::UnsupportedMedia)
        ));
        assert!(matches!(reencode(b""), Err(ApiError::UnsupportedMedia)));
    }
}
