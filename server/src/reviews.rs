//! A person's review for a year as the routes read it: the stored status (`ReviewStatus` JSON in
//! `reviews.status`) and what it is today, the server copy of the draft, and last year's form as
//! this year's prefill. Shared by the veteran's, the staff's, the reviewers' and the
//! administrators' routes, so each reads a review the same way.

use chrono::NaiveDate;
use serde::Deserialize;
use shared::api::review::{SubmissionAccepted, SUBMITTED_MESSAGE};
use shared::category::Category;
use shared::form::{ReviewForm, ReviewFormDraft};
use shared::lifecycle::ReviewStatus;
use shared::FieldError;

use crate::error::{ApiError, ApiResult};
use crate::store::StaffPersonRow;
use crate::yearly::{self, ThisYear};

/// A stored status; `None` (no review row yet) is `NotStarted`.
pub fn parse_status(json: Option<&str>) -> ApiResult<ReviewStatus> {
    match json {
        Some(s) => {
            serde_json::from_str(s).map_err(|e| ApiError::internal(format!("stored status: {e}")))
        }
        None => Ok(ReviewStatus::NotStarted),
    }
}

/// A status as stored.
pub fn status_json(status: &ReviewStatus) -> ApiResult<String> {
    serde_json::to_string(status).map_err(ApiError::internal)
}

/// The server copy of a draft, if there is one and it reads.
pub fn draft_form(draft: Option<&str>) -> Option<ReviewFormDraft> {
    serde_json::from_str(draft?).ok()
}

/// Last year's accepted form as stored in the roster (`{"year", "status", "form"}`).
#[derive(Deserialize)]
struct LastReview {
    form: ReviewFormDraft,
}

/// Last year's form from the roster's `last_review`, as it was.
pub fn last_year_form(last_review: Option<&str>) -> Option<ReviewFormDraft> {
    match serde_json::from_str::<LastReview>(last_review?) {
        Ok(l) => Some(l.form),
        Err(e) => {
            tracing::warn!(error = %e, "unreadable last review in the roster");
            None
        }
    }
}

/// This year's starting draft from last year's accepted review, without the liveness
/// reference (earned again every year). `None` if there is none or it cannot be read.
pub fn prefill(last_review: Option<&str>, today: NaiveDate) -> Option<ReviewFormDraft> {
    let last = last_year_form(last_review)?;
    match last.validate(today) {
        Ok(form) => Some(form.prefill_next_year()),
        // Still a useful start (e.g. a reference that is no longer accepted): send the draft.
        Err(_) => {
            let mut draft = last;
            draft.verification = Default::default();
            Some(draft)
        }
    }
}

/// A roster person with this year's review as it stands today (staff and administrators).
pub struct PersonReview {
    pub row: StaffPersonRow,
    pub category: Category,
    /// The stored status (`NotStarted` without a row), and its JSON for compare-and-set.
    pub stored_json: String,
    /// As it stands today (overdue once the window closed without a submission).
    pub status: ReviewStatus,
    pub opens: NaiveDate,
    pub deadline: NaiveDate,
}

impl PersonReview {
    pub fn of(row: StaffPersonRow, year: &ThisYear) -> ApiResult<PersonReview> {
        let category = Category::parse(&row.category)
            .map_err(|_| ApiError::internal("unknown category in the roster"))?;
        let rules = year.rules(category)?;
        let stored = parse_status(row.status.as_deref())?;
        let stored_json = match &row.status {
            Some(s) => s.clone(),
            None => status_json(&stored)?,
        };
        let status = yearly::effective_status(&stored, &rules.window, year.today);
        Ok(PersonReview {
            category,
            stored_json,
            status,
            opens: rules.window.opens(),
            deadline: rules.window.deadline(),
            row,
        })
    }
}

/// A new submission's id and its answer (`SubmissionAccepted` JSON, stored with the
/// idempotency key or operation id so a retry gets the same), given the review's next status.
pub fn submission_answer(next: &ReviewStatus) -> ApiResult<(String, String)> {
    let submission_id = crate::tokens::new_id();
    let answer = serde_json::to_string(&SubmissionAccepted {
        submission_id: submission_id.clone(),
        status: next.kind().as_str().to_owned(),
        message: SUBMITTED_MESSAGE.to_owned(),
    })
    .map_err(ApiError::internal)?;
    Ok((submission_id, answer))
}

/// A submission's form, checked the same way for the veteran and for staff on their behalf:
/// `ReviewFormDraft::validate`, `check_submittable` (skipped on the special-population path,
/// whose missing challenge is explained there), and the form is the roster person's own (name
/// and ID number). Every problem goes to `errors`; the form when it validated.
pub fn check_submission_form(
    draft: &ReviewFormDraft,
    today: NaiveDate,
    roster_name: &str,
    roster_id_number: &str,
    check_submittable: bool,
    errors: &mut Vec<FieldError>,
) -> Option<ReviewForm> {
    match draft.validate(today) {
        Ok(form) => {
            if check_submittable {
                if let Err(e) = form.check_submittable() {
                    errors.extend(e);
                }
            }
            if form.basic().name.as_str() != roster_name {
                errors.push(FieldError::new(
                    "basic.name",
                    "name_mismatch",
                    "姓名与建档立卡信息不一致",
                ));
            }
            if form.basic().id_number.as_str() != roster_id_number {
                errors.push(FieldError::new(
                    "basic.id_number",
                    "id_number_mismatch",
                    "身份证号与建档立卡信息不一致",
                ));
            }
            Some(form)
        }
        Err(e) => {
            errors.extend(e);
            None
        }
    }
}
