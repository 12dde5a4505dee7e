//! The review endpoints of [`FakeAccounts`]: this year's review with last year's form as prefill,
//! uploads, idempotent submissions, 换绑手机, plus test controls the real server has no API for
//! (going offline, failing the next calls, a reviewer's decision, a passed liveness challenge).

use std::collections::HashMap;

use chrono::Datelike;
use shared::api::review::SUBMITTED_MESSAGE;
use shared::form::{BasicDraft, PartyDraft, ReviewFormDraft, RewardsDraft};

use super::{problem, FakeAccounts};
use crate::api::review::{
    ChangePhoneRequest, CurrentReview, ReviewApi, SubmissionAccepted, SubmissionRequest,
    UploadCreated, UploadKind,
};
use crate::api::{ApiError, Problem, Token};

/// One account's review of this year.
#[derive(Clone, Default)]
pub(super) struct PersonReview {
    /// `not_started`, `submitted`, `resubmitted`, `approved`, `rejected`.
    status: String,
    rejection_reason: Option<String>,
    last_form: Option<ReviewFormDraft>,
}

#[derive(Default)]
pub(super) struct FakeReview {
    reviews: HashMap<usize, PersonReview>,
    /// Upload id → (owner, kind).
    pub(super) uploads: HashMap<String, (usize, UploadKind)>,
    /// Passed challenge ids → owner; removed when used.
    pub(super) challenges: HashMap<String, usize>,
    /// Idempotency key (per owner) → the answer given.
    answers: HashMap<(usize, String), SubmissionAccepted>,
    /// Submissions created (not replays), in order: (owner, form).
    created: Vec<(usize, ReviewFormDraft)>,
    submit_calls: usize,
    /// The one offline switch ([`FakeAccounts::set_offline`]): review, staff and reviewer calls.
    pub(super) offline: bool,
    /// Errors the next review calls return (front first), before doing anything.
    fail_next: Vec<ApiError>,
    /// Errors the next submissions return (after uploads went through).
    fail_submit: Vec<ApiError>,
    /// Second phones the roster holds, by owner.
    spare_phones: HashMap<usize, String>,
    /// Serve no last-year record (a person's first review).
    no_prefill: bool,
}

/// Last year's accepted form of 陈松 (the demo person), as the server's roster holds it.
fn last_year_form(name: &str, id_number: &str, phone: &str) -> ReviewFormDraft {
    ReviewFormDraft {
        basic: BasicDraft {
            name: Some(name.into()),
            id_number: Some(id_number.into()),
            political_status: Some("party_member".into()),
            phone: Some(phone.into()),
            emergency_contact_name: Some("张三".into()),
            emergency_contact_phone: Some("15800000000".into()),
            placement_region: Some("110101".into()),
            residence_region: Some("110101".into()),
            residence_address: Some("幸福路1号院2号楼3单元401".into()),
            foreign_nationality: Some(false),
            social_organization: Some(false),
            living_difficulty: Some(false),
            ..BasicDraft::default()
        },
        party: PartyDraft {
            is_member: Some(true),
            branch: Some("第一党支部".into()),
            branch_phone: Some("010-65000000".into()),
            attends_party_life: Some(true),
            dues_paid: Some("200".into()),
            evaluation: Some("excellent".into()),
        },
        rewards: RewardsDraft {
            rewarded: Some(false),
            party_discipline: Some(false),
            criminal_penalty: Some(false),
            ..RewardsDraft::default()
        },
        ..ReviewFormDraft::default()
    }
}

fn status_label(status: &str) -> &'static str {
    match status {
        "submitted" => "已提交,待审核",
        "resubmitted" => "已重新提交,待审核",
        "approved" => "审核通过",
        "rejected" => "审核未通过",
        _ => "未年审",
    }
}

impl super::State {
    /// What every review, staff and reviewer call meets first: the offline switch, then the next
    /// scripted failure from `failures`, then the caller's session (401 without one).
    pub(super) fn enter(
        &mut self,
        token: &Token,
        failures: impl FnOnce(&mut Self) -> &mut Vec<ApiError>,
    ) -> Result<usize, ApiError> {
        if self.review.offline {
            return Err(ApiError::Network);
        }
        let failures = failures(self);
        if !failures.is_empty() {
            return Err(failures.remove(0));
        }
        self.tokens
            .get(token.expose())
            .copied()
            .ok_or_else(|| problem(401, "unauthorized", "登录已过期,请重新登录"))
    }
}

impl FakeAccounts {
    fn review_call<T>(
        &self,
        token: &Token,
        f: impl FnOnce(&mut super::State, usize) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut state = self.lock();
        let index = state.enter(token, |s| &mut s.review.fail_next)?;
        f(&mut state, index)
    }

    /// Makes every review, staff and reviewer call fail as if the server were unreachable
    /// (`true`) or reachable again.
    pub fn set_offline(&self, offline: bool) {
        self.lock().review.offline = offline;
    }

    /// The next review calls fail with these errors, in order.
    pub fn fail_next(&self, errors: Vec<ApiError>) {
        self.lock().review.fail_next.extend(errors);
    }

    /// Whether `current_review` offers last year's form as prefill (default: yes).
    pub fn set_prefill(&self, on: bool) {
        self.lock().review.no_prefill = !on;
    }

    /// The next submissions (only) fail with these errors, in order.
    pub fn fail_next_submit(&self, errors: Vec<ApiError>) {
        self.lock().review.fail_submit.extend(errors);
    }

    /// How many images were uploaded.
    pub fn uploads_made(&self) -> usize {
        self.lock().review.uploads.len()
    }

    /// How many submission requests reached the server (replays included).
    pub fn submit_calls(&self) -> usize {
        self.lock().review.submit_calls
    }

    /// The forms of the submissions created (replays excluded), oldest first.
    pub fn submissions_created(&self) -> Vec<ReviewFormDraft> {
        self.lock()
            .review
            .created
            .iter()
            .map(|(_, f)| f.clone())
            .collect()
    }

    /// A liveness challenge of the person logged in with `token` that passed (what AL's 身份核验
    /// step produces against the real server).
    pub fn passed_challenge(&self, token: &Token) -> Option<String> {
        let mut state = self.lock();
        let index = *state.tokens.get(token.expose())?;
        state.next_id += 1;
        let id = format!("{:032x}", state.next_id);
        state.review.challenges.insert(id.clone(), index);
        Some(id)
    }

    /// A reviewer's decision on the pending submission of the person with `phone`: approve
    /// (`None`) or reject with 【不通过原因】. Returns whether there was one to decide.
    pub fn decide(&self, phone: &str, rejection_reason: Option<&str>) -> bool {
        let mut state = self.lock();
        let Some(index) = state.accounts.iter().position(|a| a.person.phone == phone) else {
            return false;
        };
        let review = state.review.reviews.entry(index).or_default();
        if !matches!(review.status.as_str(), "submitted" | "resubmitted") {
            return false;
        }
        match rejection_reason {
            Some(r) => {
                review.status = "rejected".into();
                review.rejection_reason = Some(r.into());
            }
            None => {
                review.status = "approved".into();
                review.rejection_reason = None;
            }
        }
        true
    }

    /// A second number the roster holds for the person with `phone` (for 换绑手机).
    pub fn add_roster_phone(&self, phone: &str, spare: &str) {
        let mut state = self.lock();
        if let Some(index) = state.accounts.iter().position(|a| a.person.phone == phone) {
            state.review.spare_phones.insert(index, spare.into());
        }
    }
}

impl ReviewApi for FakeAccounts {
    fn current_review(&self, token: &Token) -> Result<CurrentReview, ApiError> {
        self.review_call(token, |state, index| {
            let p = state.accounts[index].person.clone();
            let today = chrono::Local::now().date_naive();
            let year = today.year();
            let review = state.review.reviews.entry(index).or_default().clone();
            let status = if review.status.is_empty() {
                "not_started".to_owned()
            } else {
                review.status.clone()
            };
            Ok(CurrentReview {
                year,
                category: "self_employed_officer".into(),
                category_label: "自主择业军转干部".into(),
                status_label: status_label(&status).into(),
                status,
                opens: format!("{year}-01-01"),
                deadline: format!("{year}-03-31"),
                prefill: (!state.review.no_prefill)
                    .then(|| last_year_form(&p.name, &p.id_number, &p.phone)),
                draft: review.last_form,
                rejection_reason: review.rejection_reason,
                consequences: "逾期未完成年度登记审核的,次月起停发退役金".into(),
            })
        })
    }

    fn upload_image(
        &self,
        token: &Token,
        kind: UploadKind,
        bytes: Vec<u8>,
        _file_name: &str,
    ) -> Result<UploadCreated, ApiError> {
        self.review_call(token, |state, index| {
            if image::load_from_memory(&bytes).is_err() {
                return Err(problem(
                    415,
                    "unsupported_media",
                    "只能上传JPG或PNG格式的图片",
                ));
            }
            state.next_id += 1;
            let upload_id = format!("{:032x}", state.next_id);
            state
                .review
                .uploads
                .insert(upload_id.clone(), (index, kind));
            Ok(UploadCreated { upload_id })
        })
    }

    fn submit_review(
        &self,
        token: &Token,
        idempotency_key: &str,
        req: &SubmissionRequest,
    ) -> Result<SubmissionAccepted, ApiError> {
        self.review_call(token, |state, index| {
            if !state.review.fail_submit.is_empty() {
                return Err(state.review.fail_submit.remove(0));
            }
            state.review.submit_calls += 1;
            let key = (index, idempotency_key.to_owned());
            if let Some(answer) = state.review.answers.get(&key) {
                return Ok(answer.clone());
            }
            let mut draft = req.form.clone();
            draft.basic.id_front_photo = Some(req.id_front_upload.clone());
            draft.basic.id_back_photo = Some(req.id_back_upload.clone());
            draft.verification.liveness_challenge_id =
                Some(if req.liveness_challenge_id.is_empty() {
                    // The newspaper path: the reviewer checks the photo; the form still needs a
                    // reference to pass `check_submittable`.
                    req.newspaper_photo_upload.clone().unwrap_or_default()
                } else {
                    req.liveness_challenge_id.clone()
                });
            let today = chrono::Local::now().date_naive();
            let mut errors = match draft.validate(today) {
                Ok(form) => form.check_submittable().err().unwrap_or_default(),
                Err(e) => e,
            };
            let person = &state.accounts[index].person;
            if draft.basic.name.as_deref() != Some(person.name.as_str()) {
                errors.push(shared::FieldError::new(
                    "basic.name",
                    "name_mismatch",
                    "姓名与建档立卡信息不一致",
                ));
            }
            for (field, id, kind) in [
                ("id_front_upload", &req.id_front_upload, UploadKind::IdFront),
                ("id_back_upload", &req.id_back_upload, UploadKind::IdBack),
            ] {
                if state.review.uploads.get(id) != Some(&(index, kind)) {
                    errors.push(shared::FieldError::new(
                        field,
                        "upload_not_found",
                        "图片不存在或已失效,请重新上传",
                    ));
                }
            }
            let newspaper_ok = req.newspaper_photo_upload.as_ref().is_some_and(|id| {
                state.review.uploads.get(id) == Some(&(index, UploadKind::NewspaperPhoto))
            });
            if !newspaper_ok
                && state.review.challenges.get(&req.liveness_challenge_id) != Some(&index)
            {
                errors.push(shared::FieldError::new(
                    "liveness_challenge_id",
                    "challenge_not_found",
                    "身份核验记录不存在,请重新进行人脸识别",
                ));
            }
            if !errors.is_empty() {
                return Err(ApiError::Problem(Problem::invalid_fields(errors)));
            }
            let review = state.review.reviews.entry(index).or_default();
            let next = match review.status.as_str() {
                "" | "not_started" | "draft" => "submitted",
                "rejected" => "resubmitted",
                _ => {
                    return Err(problem(
                        409,
                        "illegal_transition",
                        "本年度年审已提交,不能重复提交",
                    ))
                }
            };
            review.status = next.into();
            review.rejection_reason = None;
            review.last_form = Some(req.form.clone());
            state.review.challenges.remove(&req.liveness_challenge_id);
            state.next_id += 1;
            let answer = SubmissionAccepted {
                submission_id: format!("{:032x}", state.next_id),
                status: next.into(),
                message: SUBMITTED_MESSAGE.into(),
            };
            state.review.answers.insert(key, answer.clone());
            state.review.created.push((index, req.form.clone()));
            Ok(answer)
        })
    }

    fn change_phone(&self, token: &Token, req: &ChangePhoneRequest) -> Result<(), ApiError> {
        self.review_call(token, |state, index| {
            let phone = req.new_phone.trim().to_owned();
            if state.sms.get(&phone).map(String::as_str) != Some(req.sms_code.trim()) {
                return Err(ApiError::Problem(Problem::invalid_fields(vec![
                    shared::FieldError::new("sms_code", "sms_code_invalid", "短信验证码错误或已过期"),
                ])));
            }
            if state.review.spare_phones.get(&index) != Some(&phone) {
                return Err(problem(
                    403,
                    "phone_not_in_roster",
                    "该手机号不在您的建档立卡信息中,请前往就近的退役军人服务中心(站)办理手机号码变更登记",
                ));
            }
            state.sms.remove(&phone);
            state.accounts[index].person.phone = phone;
            Ok(())
        })
    }
}
