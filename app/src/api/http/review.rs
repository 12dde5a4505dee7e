//! The review intake endpoints ([`crate::api::review`]).

use rand::Rng;

use super::HttpClient;
use crate::api::review::{
    ChangePhoneRequest, CurrentReview, SubmissionAccepted, SubmissionRequest, UploadCreated,
    UploadKind,
};
use crate::api::{ApiError, Token};

/// A `multipart/form-data` body with the text part `kind` and the file part `file` (RFC 7578).
/// Two parts, written out here rather than pulling reqwest's `multipart` feature (and its MIME
/// table) into the app for them.
pub(crate) fn multipart_body(kind: &str, bytes: &[u8], file_name: &str) -> (String, Vec<u8>) {
    let boundary = format!("zhanyou-{:032x}", rand::thread_rng().gen::<u128>());
    let content_type = if file_name.to_ascii_lowercase().ends_with(".png") {
        "image/png"
    } else {
        "image/jpeg"
    };
    // The file name goes out as a plain ASCII token: the user's own name must not leak here.
    let safe_name = if content_type == "image/png" {
        "image.png"
    } else {
        "image.jpg"
    };
    let mut body = Vec::with_capacity(bytes.len() + 512);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe_name}\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl HttpClient {
    /// `GET /api/v1/reviews/current`.
    pub fn current_review(&self, token: &Token) -> Result<CurrentReview, ApiError> {
        Self::json(
            self.client
                .get(self.url("/api/v1/reviews/current"))
                .bearer_auth(token.expose()),
        )
    }

    /// `POST /api/v1/uploads` (multipart `kind`, `file`) → 201 `{upload_id}`. `file_name` only
    /// tells the server the type (`.jpg`/`.png`); it decodes the bytes itself.
    pub fn upload_image(
        &self,
        token: &Token,
        kind: UploadKind,
        bytes: Vec<u8>,
        file_name: &str,
    ) -> Result<UploadCreated, ApiError> {
        let (content_type, body) = multipart_body(kind.as_str(), &bytes, file_name);
        Self::json(
            self.client
                .post(self.url("/api/v1/uploads"))
                .bearer_auth(token.expose())
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body),
        )
    }

    /// `POST /api/v1/reviews/current/submissions` with `Idempotency-Key: key` → 201. The same
    /// key again answers the same and creates nothing.
    pub fn submit_review(
        &self,
        token: &Token,
        idempotency_key: &str,
        req: &SubmissionRequest,
    ) -> Result<SubmissionAccepted, ApiError> {
        Self::json(
            self.client
                .post(self.url("/api/v1/reviews/current/submissions"))
                .bearer_auth(token.expose())
                .header("Idempotency-Key", idempotency_key)
                .json(req),
        )
    }

    /// `PUT /api/v1/me/phone` → 204 (the new number must be one the roster holds).
    pub fn change_phone(&self, token: &Token, req: &ChangePhoneRequest) -> Result<(), ApiError> {
        Self::send(
            self.client
                .put(self.url("/api/v1/me/phone"))
                .bearer_auth(token.expose())
                .json(req),
        )
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_body_has_both_parts_and_no_user_file_name() {
        let (ct, body) = multipart_body("id_front", b"\xff\xd8JPEGDATA", "陈松身份证.JPG");
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"kind\"\r\n\r\nid_front\r\n"));
        assert!(text.contains("filename=\"image.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"));
        assert!(text.contains("JPEGDATA"));
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
        assert!(!text.contains("陈松"));
    }
}
