//! [`LivenessApi`] over HTTP.

use super::HttpClient;
use crate::api::liveness::{
    is_path_safe, ChallengeIssued, EvidenceRequest, EvidenceResult, LivenessApi,
};
use crate::api::{ApiError, Problem, Token};

impl LivenessApi for HttpClient {
    fn new_challenge(&self, token: &Token) -> Result<ChallengeIssued, ApiError> {
        Self::json(
            self.client
                .post(self.url("/api/v1/liveness/challenges"))
                .bearer_auth(token.expose()),
        )
    }

    fn send_evidence(
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

    fn reference_photo(&self, token: &Token) -> Result<Option<Vec<u8>>, ApiError> {
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
