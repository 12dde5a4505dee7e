//! The staff and reviewer endpoints ([`crate::api::staff`]).
//!
//! Every id that goes into a URL path is checked with [`is_path_safe`] first; an unsafe one is
//! answered 404 `not_found` here, without a request (the server's ids are plain ASCII).

use super::review::multipart_body;
use super::HttpClient;
use crate::api::liveness::is_path_safe;
use crate::api::staff::{
    ChallengeIssued, ConfirmationDetail, ConfirmationRecorded, ConfirmationRequest,
    DeathRecordDetail, DeathRecorded, DeathRequest, DecisionRequest, DecisionResult,
    DistrictSummary, PeopleQuery, ReferencePhotoRequest, ReferencePhotoStored, ReviewQueue,
    StaffChallengeRequest, StaffPeople, StaffPersonDetail, StaffUploadKind, SubmissionAccepted,
    SubmissionDetail, SubmissionRequest, UploadCreated,
};
use crate::api::{ApiError, Problem, Token};

/// 404 `not_found` for an id that cannot go into a path.
fn not_found() -> ApiError {
    ApiError::Problem(Problem::new(404, "not_found", "记录不存在或无权查看"))
}

fn safe(id: &str) -> Result<&str, ApiError> {
    if is_path_safe(id) {
        Ok(id)
    } else {
        Err(not_found())
    }
}

impl HttpClient {
    fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        token: &Token,
        path: &str,
    ) -> Result<T, ApiError> {
        Self::json(self.client.get(self.url(path)).bearer_auth(token.expose()))
    }

    fn post_op<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        token: &Token,
        path: &str,
        idempotency_key: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        Self::json(
            self.client
                .post(self.url(path))
                .bearer_auth(token.expose())
                .header("Idempotency-Key", idempotency_key)
                .json(body),
        )
    }

    fn challenge_for(
        &self,
        token: &Token,
        person_id: &str,
        offline: bool,
    ) -> Result<ChallengeIssued, ApiError> {
        let id = safe(person_id)?;
        Self::json(
            self.client
                .post(self.url(&format!("/api/v1/staff/people/{id}/liveness/challenges")))
                .bearer_auth(token.expose())
                .json(&StaffChallengeRequest { offline }),
        )
    }
}

/// The query string of the staff list (values percent-encoded by reqwest).
fn people_query(q: &PeopleQuery) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("owing", q.owing_only.to_string()),
        ("sort", q.sort.as_str().to_owned()),
        ("page", q.page.max(1).to_string()),
        ("per_page", q.per_page.clamp(1, 200).to_string()),
    ];
    if let Some(s) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        out.push(("q", s.to_owned()));
    }
    out
}

impl HttpClient {
    /// `GET /api/v1/staff/people`.
    pub fn staff_people(
        &self,
        token: &Token,
        query: &PeopleQuery,
    ) -> Result<StaffPeople, ApiError> {
        Self::json(
            self.client
                .get(self.url("/api/v1/staff/people"))
                .query(&people_query(query))
                .bearer_auth(token.expose()),
        )
    }

    /// `GET /api/v1/staff/people/{id}`.
    pub fn staff_person(
        &self,
        token: &Token,
        person_id: &str,
    ) -> Result<StaffPersonDetail, ApiError> {
        let id = safe(person_id)?;
        self.get_json(token, &format!("/api/v1/staff/people/{id}"))
    }

    /// `POST /api/v1/staff/people/{id}/uploads` (multipart `kind`, `file`) → 201.
    pub fn staff_upload(
        &self,
        token: &Token,
        person_id: &str,
        kind: StaffUploadKind,
        bytes: Vec<u8>,
        file_name: &str,
    ) -> Result<UploadCreated, ApiError> {
        let id = safe(person_id)?;
        let (content_type, body) = multipart_body(kind.as_str(), &bytes, file_name);
        Self::json(
            self.client
                .post(self.url(&format!("/api/v1/staff/people/{id}/uploads")))
                .bearer_auth(token.expose())
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body),
        )
    }

    /// `POST /api/v1/staff/people/{id}/liveness/challenges` → 201: a challenge for the person
    /// (two minutes, like the veteran's).
    pub fn staff_challenge(
        &self,
        token: &Token,
        person_id: &str,
    ) -> Result<ChallengeIssued, ApiError> {
        self.challenge_for(token, person_id, false)
    }

    /// The same with `{"offline": true}`: a challenge living [`OFFLINE_CHALLENGE_TTL_HOURS`],
    /// fetched while online and used at a home visit without a network (the evidence is sent at
    /// sync time, then the submission right after it).
    pub fn staff_offline_challenge(
        &self,
        token: &Token,
        person_id: &str,
    ) -> Result<ChallengeIssued, ApiError> {
        self.challenge_for(token, person_id, true)
    }

    /// `POST /api/v1/staff/people/{id}/submissions` with `Idempotency-Key` → 201.
    pub fn staff_submit(
        &self,
        token: &Token,
        person_id: &str,
        idempotency_key: &str,
        req: &SubmissionRequest,
    ) -> Result<SubmissionAccepted, ApiError> {
        self.person_write(token, person_id, "submissions", idempotency_key, req)
    }

    /// `POST /api/v1/staff/people/{id}/confirmations` with `Idempotency-Key` → 201.
    pub fn staff_confirm(
        &self,
        token: &Token,
        person_id: &str,
        idempotency_key: &str,
        req: &ConfirmationRequest,
    ) -> Result<ConfirmationRecorded, ApiError> {
        self.person_write(token, person_id, "confirmations", idempotency_key, req)
    }

    /// `POST /api/v1/staff/people/{id}/death` with `Idempotency-Key` → 201.
    pub fn staff_record_death(
        &self,
        token: &Token,
        person_id: &str,
        idempotency_key: &str,
        req: &DeathRequest,
    ) -> Result<DeathRecorded, ApiError> {
        self.person_write(token, person_id, "death", idempotency_key, req)
    }

    /// `POST /api/v1/staff/people/{id}/reference-photo` with `Idempotency-Key` → 201.
    pub fn staff_reference_photo(
        &self,
        token: &Token,
        person_id: &str,
        idempotency_key: &str,
        req: &ReferencePhotoRequest,
    ) -> Result<ReferencePhotoStored, ApiError> {
        self.person_write(token, person_id, "reference-photo", idempotency_key, req)
    }

    /// `GET /api/v1/staff/summary`.
    pub fn staff_summary(&self, token: &Token) -> Result<DistrictSummary, ApiError> {
        self.get_json(token, "/api/v1/staff/summary")
    }
}

impl HttpClient {
    /// `GET /api/v1/review-queue?status=&page=` (oldest first).
    pub fn review_queue(
        &self,
        token: &Token,
        status: &str,
        page: u32,
    ) -> Result<ReviewQueue, ApiError> {
        let page = page.max(1).to_string();
        let mut query = vec![("page", page.as_str())];
        if !status.trim().is_empty() {
            query.push(("status", status.trim()));
        }
        Self::json(
            self.client
                .get(self.url("/api/v1/review-queue"))
                .query(&query)
                .bearer_auth(token.expose()),
        )
    }

    /// `GET /api/v1/submissions/{id}`.
    pub fn submission(&self, token: &Token, id: &str) -> Result<SubmissionDetail, ApiError> {
        self.get_record(token, "submissions", id)
    }

    /// `POST /api/v1/submissions/{id}/decision`.
    pub fn decide_submission(
        &self,
        token: &Token,
        id: &str,
        req: &DecisionRequest,
    ) -> Result<DecisionResult, ApiError> {
        self.decide(token, "submissions", id, req)
    }

    /// `GET /api/v1/confirmations/{id}`.
    pub fn confirmation(&self, token: &Token, id: &str) -> Result<ConfirmationDetail, ApiError> {
        self.get_record(token, "confirmations", id)
    }

    /// `POST /api/v1/confirmations/{id}/decision`.
    pub fn decide_confirmation(
        &self,
        token: &Token,
        id: &str,
        req: &DecisionRequest,
    ) -> Result<DecisionResult, ApiError> {
        self.decide(token, "confirmations", id, req)
    }

    /// `GET /api/v1/death-records/{id}`.
    pub fn death_record(&self, token: &Token, id: &str) -> Result<DeathRecordDetail, ApiError> {
        self.get_record(token, "death-records", id)
    }

    /// `POST /api/v1/death-records/{id}/decision`.
    pub fn decide_death(
        &self,
        token: &Token,
        id: &str,
        req: &DecisionRequest,
    ) -> Result<DecisionResult, ApiError> {
        self.decide(token, "death-records", id, req)
    }

    /// `GET /api/v1/uploads/{id}`: an image (JPEG or PNG bytes) the reviewer may see.
    pub fn upload_bytes(&self, token: &Token, upload_id: &str) -> Result<Vec<u8>, ApiError> {
        let id = safe(upload_id)?;
        let resp = Self::send(
            self.client
                .get(self.url(&format!("/api/v1/uploads/{id}")))
                .bearer_auth(token.expose()),
        )?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().map_err(|_| ApiError::BadResponse { status })?;
        Ok(bytes.to_vec())
    }
}

impl HttpClient {
    /// `POST /api/v1/staff/people/{person_id}/{what}` with `Idempotency-Key`.
    fn person_write<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        token: &Token,
        person_id: &str,
        what: &str,
        idempotency_key: &str,
        req: &B,
    ) -> Result<T, ApiError> {
        let id = safe(person_id)?;
        self.post_op(
            token,
            &format!("/api/v1/staff/people/{id}/{what}"),
            idempotency_key,
            req,
        )
    }

    /// `GET /api/v1/{collection}/{id}`.
    fn get_record<T: serde::de::DeserializeOwned>(
        &self,
        token: &Token,
        collection: &str,
        id: &str,
    ) -> Result<T, ApiError> {
        let id = safe(id)?;
        self.get_json(token, &format!("/api/v1/{collection}/{id}"))
    }

    /// `POST /api/v1/{collection}/{id}/decision`.
    fn decide(
        &self,
        token: &Token,
        collection: &str,
        id: &str,
        req: &DecisionRequest,
    ) -> Result<DecisionResult, ApiError> {
        let id = safe(id)?;
        Self::json(
            self.client
                .post(self.url(&format!("/api/v1/{collection}/{id}/decision")))
                .bearer_auth(token.expose())
                .json(req),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_ids_are_refused_without_a_request() {
        // Nothing listens on port 9 of this address family in tests; a request would be a
        // network error, so `not_found` proves no request was made.
        let api = HttpClient::new("http://127.0.0.1:9").unwrap();
        let t = Token::new("t");
        for bad in ["../admin", "a/b", "", "x?y=1"] {
            assert_eq!(
                api.staff_person(&t, bad).unwrap_err().wire_code(),
                "not_found"
            );
            assert_eq!(
                api.submission(&t, bad).unwrap_err().wire_code(),
                "not_found"
            );
            assert_eq!(
                api.upload_bytes(&t, bad).unwrap_err().wire_code(),
                "not_found"
            );
        }
    }

    #[test]
    fn people_query_is_bounded_and_skips_blank_search() {
        let q = PeopleQuery {
            per_page: 10_000,
            page: 0,
            q: Some("  ".into()),
            ..PeopleQuery::default()
        };
        let pairs = people_query(&q);
        assert!(pairs.contains(&("per_page", "200".into())));
        assert!(pairs.contains(&("page", "1".into())));
        assert!(!pairs.iter().any(|(k, _)| *k == "q"));
    }
}
