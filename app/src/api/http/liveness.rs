//! The liveness endpoints ([`crate::api::liveness`]).

use super::HttpClient;
use crate::api::liveness::{is_path_safe, ChallengeIssued, EvidenceRequest, EvidenceResult};
use crate::api::{ApiError, Problem, Token};

impl HttpClient {
    /// `POST /api/v1/liveness/challenges` → 201.
    pub fn new_challenge(&self, token: &Token) -> Result<ChallengeIssued, ApiError> {
        Self::json(
            self.client
                .post(self.url("/api/v1/liveness/challenges"))
                .bearer_auth(token.expose()),
        )
    }

    /// `POST /api/v1/liveness/challenges/{id}/evidence` → 200 (passed or not: see
    /// [`EvidenceResult::passed`]).
    pub fn send_evidence(
        &self,
        token: &Token,
        challenge_id: &str,
        req: &EvidenceRequest,
    ) -> Result<EvidenceResult, ApiError> {
        if !is_path_safe(challenge_id) {
            return Err(ApiError::Problem(Problem::new(
                404,
                "not_found",
                "身份核验记录不存在,请重新核验",
            )));
        }
        Self::json(
            self.client
                .post(self.url(&format!(
                    "/api/v1/liveness/challenges/{challenge_id}/evidence"
                )))
                .bearer_auth(token.expose())
                .json(req),
        )
    }

    /// `GET /api/v1/me/reference-photo` → 200 the caller's own reference photo (JPEG or PNG
    /// bytes), shown beside the captured photo when the face comparison fails; `None` on 404
    /// `no_reference_photo`.
    pub fn reference_photo(&self, token: &Token) -> Result<Option<Vec<u8>>, ApiError> {
        let sent = Self::send(
            self.client
                .get(self.url("/api/v1/me/reference-photo"))
                .bearer_auth(token.expose()),
        );
        let resp = match sent {
            Ok(r) => r,
            Err(ApiError::Problem(p)) if p.code == "no_reference_photo" => return Ok(None),
            Err(e) => return Err(e),
        };
        let status = resp.status().as_u16();
        let bytes = resp.bytes().map_err(|_| ApiError::BadResponse { status })?;
        Ok(Some(bytes.to_vec()))
    }
}
