//! Extractors whose rejections are problem+json with specific codes, instead of axum's plain-text
//! defaults: [`ApiJson`] (415 / 413 / 400 `malformed_json` / 422 `wrong_type` per field),
//! [`ApiQuery`] and [`AuthUser`] (401 `unauthorized`); and the `Idempotency-Key` header
//! ([`idempotency_key`]).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use shared::api::accounts::Role;
use shared::FieldError;

use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens;

/// Longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY: usize = 128;

/// The `Idempotency-Key` header of a write that must happen once (a submission, a staff
/// operation): 1–128 visible ASCII characters; missing or otherwise 422
/// `idempotency_key_required`. Read by the handler (not an extractor) so that a 404 for the
/// thing written to comes first.
pub fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| {
            !k.is_empty()
                && k.len() <= MAX_IDEMPOTENCY_KEY
                && k.bytes().all(|b| b.is_ascii_graphic())
        })
        .map(str::to_owned)
        .ok_or(ApiError::IdempotencyKeyMissing)
}

/// A JSON body. Rejections:
/// - not `application/json` → 415 `unsupported_media_type`;
/// - larger than the route's limit → 413 `payload_too_large`;
/// - not JSON (syntax, truncation, trailing data) → 400 `malformed_json`;
/// - JSON of the wrong shape (a number where a string goes, …) → 422 `invalid_fields` with a
///   `wrong_type` error naming the field.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

fn is_json_content_type(req: &Request) -> bool {
    let Some(ct) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Decodes JSON bytes into `T` with the error mapping described on [`ApiJson`].
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            return Err(match inner.classify() {
                serde_json::error::Category::Data => {
                    // A top-level value of the wrong kind (an array, a string…) is the body's fault.
                    let field = if path.is_empty() || path == "." || path.starts_with('[') {
                        "body".to_owned()
                    } else {
                        path
                    };
                    ApiError::Invalid(vec![FieldError::new(field, "wrong_type", "数据类型不正确")])
                }
                _ => ApiError::MalformedJson,
            });
        }
    };
    de.end().map_err(|_| ApiError::MalformedJson)?;
    Ok(value)
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(&req) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest
            }
        })?;
        decode_json(&bytes).map(ApiJson)
    }
}

/// A query string; unreadable → 400 `bad_request`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|_| ApiError::BadRequest)
    }
}

/// The caller, from `Authorization: Bearer <token>`: a live (unexpired, unrevoked) session.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: String,
    pub role: Role,
    /// SHA-256 (hex) of the session token, to revoke this session.
    pub token_hash: String,
}

impl AuthUser {
    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(ApiError::Unauthorized)?;
        let token_hash = tokens::hash_token(token);
        let now = state.clock.unix();
        let (user_id, role) = state
            .store
            .session_user(&token_hash, now)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(AuthUser {
            user_id,
            role,
            token_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[allow(dead_code)]
        name: String,
        #[allow(dead_code)]
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        x: i64,
    }

    fn code(r: Result<Body, ApiError>) -> (String, Vec<String>) {
        match r {
            Ok(_) => ("ok".into(), vec![]),
            Err(ApiError::Invalid(errs)) => (
                "invalid_fields".into(),
                errs.into_iter()
                    .map(|e| format!("{}:{}", e.field, e.code))
                    .collect(),
            ),
            Err(e) => (e.code().into(), vec![]),
        }
    }

    #[test]
    fn json_errors_are_classified() {
        assert_eq!(code(decode_json(br#"{"name":"a"}"#)).0, "ok");
        assert_eq!(code(decode_json(br#"{"name":"a""#)).0, "malformed_json");
        assert_eq!(code(decode_json(br#"{"name":"a"} x"#)).0, "malformed_json");
        assert_eq!(code(decode_json(b"")).0, "malformed_json");
        assert_eq!(
            code(decode_json(br#"{"name":5}"#)),
            ("invalid_fields".into(), vec!["name:wrong_type".into()])
        );
        assert_eq!(
            code(decode_json(br#"{"name":"a","inner":{"x":"1"}}"#)),
            ("invalid_fields".into(), vec!["inner.x:wrong_type".into()])
        );
        assert_eq!(
            code(decode_json(b"[1]")),
            ("invalid_fields".into(), vec!["body:wrong_type".into()])
        );
    }
}
