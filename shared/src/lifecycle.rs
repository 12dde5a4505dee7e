//! One person's review for one year, as a state machine.
//!
//! ```text
//!              SaveDraft            Submit                 Approve
//! NotStarted ───────────▶ Draft ───────────▶ Submitted ─────────────▶ Approved
//!     │ Submit ─────────────────────────────▲    │ Reject{reason}
//!     │                                          ▼
//!     │                   Resubmitted ◀─────── Rejected{reason} ──(SaveDraft: stays)
//!     │                      │  Approve/Reject     ▲
//!     │                      └─────────────────────┘
//!     │ SubmitSpecialPopulation (军休干部/无军籍退休职工, > 3 failed comparisons)
//!     ▼
//! SpecialCheckPending ── Approve/Reject ──▶ Approved / Rejected
//!
//! NotStarted/Draft/Rejected ── DeadlinePassed ──▶ Overdue ── PaymentSuspended ──▶ Suspended
//! Overdue/Suspended ── Submit ──▶ Submitted (a late review; payment rules in `category`)
//! any ── RecordDeath ──▶ Deceased ── UndoDeath (administrator, with a reason) ──▶ the state before
//! ```
//!
//! [`ReviewStatus::apply`] returns the next status or a [`TransitionError`]; it never changes a
//! status silently. Permissions (who may send which event) are checked by
//! [`ReviewStatus::apply_as`]; `apply` checks only what the event itself carries (e.g. that an
//! `UndoDeath` was done by an administrator).

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::category::Category;
use crate::error::UserError;

/// The review passes to a person after more than this many failed face comparisons (seed 001:
/// "重新核验且比对失败超3次").
pub const SPECIAL_POPULATION_AFTER_FAILED_COMPARISONS: u32 = 3;

/// Where one person's review for one year stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Nothing done yet this year.
    NotStarted,
    /// Filling in the form (a draft is saved).
    Draft,
    /// Submitted, waiting for a reviewer.
    Submitted,
    /// Submitted again after a rejection, waiting for a reviewer.
    Resubmitted,
    /// Submitted through the special-population check (newspaper photo), waiting for a reviewer.
    SpecialCheckPending,
    /// Approved: this year's review is done.
    Approved,
    /// Rejected; the person fixes the form and resubmits (再次年审).
    Rejected { reason: Reason },
    /// The deadline passed without a submitted review.
    Overdue,
    /// The payment has been suspended for missing the review.
    Suspended,
    /// Recorded as deceased (核减退出). Terminal, except that an administrator may undo a mistaken
    /// record, which restores `previous`.
    Deceased {
        died_on: NaiveDate,
        previous: Box<ReviewStatus>,
    },
}

/// Something that happens to a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ReviewEvent {
    /// The person (or staff on their behalf) saved a draft.
    SaveDraft,
    /// The person submitted the review after a passed liveness check.
    Submit,
    /// The person submitted through the special-population check.
    SubmitSpecialPopulation {
        category: Category,
        failed_comparisons: u32,
    },
    /// A reviewer approved.
    Approve,
    /// A reviewer rejected, with the reason shown to the person (【不通过原因】).
    Reject { reason: Reason },
    /// The year's deadline passed.
    DeadlinePassed,
    /// The payment was suspended under the category's rules.
    PaymentSuspended,
    /// Staff recorded the person's death.
    RecordDeath { died_on: NaiveDate },
    /// A mistaken death record is withdrawn. Only [`Actor::Admin`] may do it, and must say why.
    UndoDeath { by: Actor, reason: Reason },
}

/// Who acts on a review: an account's role (`api::accounts::Role` converts into it) or the
/// server itself, which moves reviews past deadlines and suspends payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The veteran or pensioner (服务对象) themself.
    Veteran,
    /// Community or service-centre staff (工作人员), e.g. on a door-to-door visit.
    Staff,
    /// A reviewer in the veterans' affairs department (审核人员).
    Reviewer,
    /// An administrator.
    Admin,
    /// The server itself (deadlines, payment runs).
    System,
}

impl Actor {
    /// Chinese name of the role.
    pub fn label_zh(self) -> &'static str {
        match self {
            Actor::Veteran => "服务对象",
            Actor::Staff => "工作人员",
            Actor::Reviewer => "审核人员",
            Actor::Admin => "管理员",
            Actor::System => "系统",
        }
    }
}

/// The fieldless name of a [`ReviewStatus`], for labels, tables and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusKind {
    NotStarted,
    Draft,
    Submitted,
    Resubmitted,
    SpecialCheckPending,
    Approved,
    Rejected,
    Overdue,
    Suspended,
    Deceased,
}

impl StatusKind {
    /// Every status kind.
    pub const ALL: [StatusKind; 10] = [
        StatusKind::NotStarted,
        StatusKind::Draft,
        StatusKind::Submitted,
        StatusKind::Resubmitted,
        StatusKind::SpecialCheckPending,
        StatusKind::Approved,
        StatusKind::Rejected,
        StatusKind::Overdue,
        StatusKind::Suspended,
        StatusKind::Deceased,
    ];

    /// The Chinese label shown to people and staff.
    pub fn label_zh(self) -> &'static str {
        match self {
            StatusKind::NotStarted => "未年审",
            StatusKind::Draft => "填报中",
            StatusKind::Submitted => "已提交,待审核",
            StatusKind::Resubmitted => "已重新提交,待审核",
            StatusKind::SpecialCheckPending => "特殊人群核验审核中",
            StatusKind::Approved => "审核通过",
            StatusKind::Rejected => "审核未通过",
            StatusKind::Overdue => "已逾期",
            StatusKind::Suspended => "已暂停发放",
            StatusKind::Deceased => "已核减(死亡)",
        }
    }

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusKind::NotStarted => "not_started",
            StatusKind::Draft => "draft",
            StatusKind::Submitted => "submitted",
            StatusKind::Resubmitted => "resubmitted",
            StatusKind::SpecialCheckPending => "special_check_pending",
            StatusKind::Approved => "approved",
            StatusKind::Rejected => "rejected",
            StatusKind::Overdue => "overdue",
            StatusKind::Suspended => "suspended",
            StatusKind::Deceased => "deceased",
        }
    }
}

impl fmt::Display for StatusKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fieldless name of a [`ReviewEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    SaveDraft,
    Submit,
    SubmitSpecialPopulation,
    Approve,
    Reject,
    DeadlinePassed,
    PaymentSuspended,
    RecordDeath,
    UndoDeath,
}

impl EventKind {
    /// Every event kind.
    pub const ALL: [EventKind; 9] = [
        EventKind::SaveDraft,
        EventKind::Submit,
        EventKind::SubmitSpecialPopulation,
        EventKind::Approve,
        EventKind::Reject,
        EventKind::DeadlinePassed,
        EventKind::PaymentSuspended,
        EventKind::RecordDeath,
        EventKind::UndoDeath,
    ];

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SaveDraft => "save_draft",
            EventKind::Submit => "submit",
            EventKind::SubmitSpecialPopulation => "submit_special_population",
            EventKind::Approve => "approve",
            EventKind::Reject => "reject",
            EventKind::DeadlinePassed => "deadline_passed",
            EventKind::PaymentSuspended => "payment_suspended",
            EventKind::RecordDeath => "record_death",
            EventKind::UndoDeath => "undo_death",
        }
    }

    /// The Chinese name of the action, used in messages.
    pub fn label_zh(self) -> &'static str {
        match self {
            EventKind::SaveDraft => "保存草稿",
            EventKind::Submit => "提交年审",
            EventKind::SubmitSpecialPopulation => "提交特殊人群核验",
            EventKind::Approve => "审核通过",
            EventKind::Reject => "审核不通过",
            EventKind::DeadlinePassed => "逾期",
            EventKind::PaymentSuspended => "暂停发放",
            EventKind::RecordDeath => "核减(死亡)",
            EventKind::UndoDeath => "撤销核减",
        }
    }

    /// The roles that may send this event (checked by [`ReviewStatus::apply_as`]).
    pub fn allowed_roles(self) -> &'static [Actor] {
        match self {
            EventKind::SaveDraft | EventKind::Submit | EventKind::SubmitSpecialPopulation => {
                &[Actor::Veteran, Actor::Staff]
            }
            EventKind::Approve | EventKind::Reject => &[Actor::Reviewer],
            EventKind::DeadlinePassed | EventKind::PaymentSuspended => &[Actor::System],
            EventKind::RecordDeath => &[Actor::Staff, Actor::Reviewer, Actor::Admin],
            EventKind::UndoDeath => &[Actor::Admin],
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ReviewEvent {
    /// The fieldless name of this event.
    pub fn kind(&self) -> EventKind {
        match self {
            ReviewEvent::SaveDraft => EventKind::SaveDraft,
            ReviewEvent::Submit => EventKind::Submit,
            ReviewEvent::SubmitSpecialPopulation { .. } => EventKind::SubmitSpecialPopulation,
            ReviewEvent::Approve => EventKind::Approve,
            ReviewEvent::Reject { .. } => EventKind::Reject,
            ReviewEvent::DeadlinePassed => EventKind::DeadlinePassed,
            ReviewEvent::PaymentSuspended => EventKind::PaymentSuspended,
            ReviewEvent::RecordDeath { .. } => EventKind::RecordDeath,
            ReviewEvent::UndoDeath { .. } => EventKind::UndoDeath,
        }
    }
}

impl ReviewStatus {
    /// The fieldless name of this status.
    pub fn kind(&self) -> StatusKind {
        match self {
            ReviewStatus::NotStarted => StatusKind::NotStarted,
            ReviewStatus::Draft => StatusKind::Draft,
            ReviewStatus::Submitted => StatusKind::Submitted,
            ReviewStatus::Resubmitted => StatusKind::Resubmitted,
            ReviewStatus::SpecialCheckPending => StatusKind::SpecialCheckPending,
            ReviewStatus::Approved => StatusKind::Approved,
            ReviewStatus::Rejected { .. } => StatusKind::Rejected,
            ReviewStatus::Overdue => StatusKind::Overdue,
            ReviewStatus::Suspended => StatusKind::Suspended,
            ReviewStatus::Deceased { .. } => StatusKind::Deceased,
        }
    }

    /// The Chinese label, e.g. `已提交,待审核`.
    pub fn label_zh(&self) -> &'static str {
        self.kind().label_zh()
    }

    /// Whether a reviewer has something to decide.
    pub fn awaiting_review(&self) -> bool {
        matches!(
            self,
            ReviewStatus::Submitted | ReviewStatus::Resubmitted | ReviewStatus::SpecialCheckPending
        )
    }

    /// Whether the person may edit and (re)submit the form now.
    pub fn editable(&self) -> bool {
        matches!(
            self,
            ReviewStatus::NotStarted
                | ReviewStatus::Draft
                | ReviewStatus::Rejected { .. }
                | ReviewStatus::Overdue
                | ReviewStatus::Suspended
        )
    }

    /// The status after `event`, or why `event` cannot happen now.
    pub fn apply(&self, event: ReviewEvent) -> Result<ReviewStatus, TransitionError> {
        use ReviewEvent as E;
        use ReviewStatus as S;
        let illegal = || TransitionError::Illegal {
            from: self.kind(),
            event: event.kind(),
        };
        match (self, &event) {
            // A death record is final for everything but an administrator's undo.
            (S::Deceased { previous, .. }, E::UndoDeath { by, .. }) => {
                if *by == Actor::Admin {
                    Ok((**previous).clone())
                } else {
                    Err(TransitionError::NotPermitted {
                        role: *by,
                        event: EventKind::UndoDeath,
                    })
                }
            }
            (S::Deceased { .. }, _) => Err(illegal()),
            (_, E::UndoDeath { .. }) => Err(illegal()),
            (_, E::RecordDeath { died_on }) => Ok(S::Deceased {
                died_on: *died_on,
                previous: Box::new(self.clone()),
            }),

            (S::NotStarted | S::Draft, E::SaveDraft) => Ok(S::Draft),
            // The draft is kept beside the status: a rejected, overdue or suspended person keeps
            // that status (and the rejection reason) while fixing the form.
            (S::Rejected { .. } | S::Overdue | S::Suspended, E::SaveDraft) => Ok(self.clone()),

            (S::NotStarted | S::Draft | S::Overdue | S::Suspended, E::Submit) => Ok(S::Submitted),
            (S::Rejected { .. }, E::Submit) => Ok(S::Resubmitted),

            (
                S::NotStarted | S::Draft | S::Rejected { .. } | S::Overdue | S::Suspended,
                E::SubmitSpecialPopulation {
                    category,
                    failed_comparisons,
                },
            ) => {
                if !category.special_population_check_allowed() {
                    Err(TransitionError::SpecialPopulationNotAllowed {
                        category: *category,
                    })
                } else if *failed_comparisons <= SPECIAL_POPULATION_AFTER_FAILED_COMPARISONS {
                    Err(TransitionError::NotEnoughFailedComparisons {
                        failed: *failed_comparisons,
                    })
                } else {
                    Ok(S::SpecialCheckPending)
                }
            }

            (S::Submitted | S::Resubmitted | S::SpecialCheckPending, E::Approve) => Ok(S::Approved),
            (S::Submitted | S::Resubmitted | S::SpecialCheckPending, E::Reject { reason }) => {
                Ok(S::Rejected {
                    reason: reason.clone(),
                })
            }

            (S::NotStarted | S::Draft | S::Rejected { .. }, E::DeadlinePassed) => Ok(S::Overdue),
            (S::Overdue, E::PaymentSuspended) => Ok(S::Suspended),

            _ => Err(illegal()),
        }
    }

    /// [`apply`](Self::apply), after checking that `role` may send this event at all
    /// ([`EventKind::allowed_roles`]).
    pub fn apply_as(
        &self,
        role: Actor,
        event: ReviewEvent,
    ) -> Result<ReviewStatus, TransitionError> {
        let kind = event.kind();
        if !kind.allowed_roles().contains(&role) {
            return Err(TransitionError::NotPermitted { role, event: kind });
        }
        if let ReviewEvent::UndoDeath { by, .. } = &event {
            if *by != role {
                return Err(TransitionError::NotPermitted { role, event: kind });
            }
        }
        self.apply(event)
    }

    /// Whether `event` would be accepted now.
    pub fn can_apply(&self, event: &ReviewEvent) -> bool {
        self.apply(event.clone()).is_ok()
    }
}

/// Why an event could not be applied. The status is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("illegal transition: {event} in status {from}")]
    Illegal { from: StatusKind, event: EventKind },
    #[error("{role:?} may not {event}")]
    NotPermitted { role: Actor, event: EventKind },
    #[error("special-population check not available for {category:?}")]
    SpecialPopulationNotAllowed { category: Category },
    #[error("special-population check needs more than {SPECIAL_POPULATION_AFTER_FAILED_COMPARISONS} failed comparisons, got {failed}")]
    NotEnoughFailedComparisons { failed: u32 },
}

impl UserError for TransitionError {
    fn code(&self) -> &'static str {
        match self {
            TransitionError::Illegal { .. } => "illegal_transition",
            TransitionError::NotPermitted { .. } => "transition_not_permitted",
            TransitionError::SpecialPopulationNotAllowed { .. } => "special_population_not_allowed",
            TransitionError::NotEnoughFailedComparisons { .. } => {
                "special_population_too_few_failures"
            }
        }
    }

    fn message(&self) -> String {
        match self {
            TransitionError::Illegal { from, event } => {
                format!("当前状态为「{}」,不能{}", from.label_zh(), event.label_zh())
            }
            TransitionError::NotPermitted { role, event } => {
                format!("{}无权{}", role.label_zh(), event.label_zh())
            }
            TransitionError::SpecialPopulationNotAllowed { category } => {
                format!("特殊人群核验仅适用于军休干部和无军籍退休职工,{}不能使用", category.label_zh())
            }
            TransitionError::NotEnoughFailedComparisons { .. } => format!(
                "人脸比对失败超过{SPECIAL_POPULATION_AFTER_FAILED_COMPARISONS}次后方可进行特殊人群核验"
            ),
        }
    }
}

/// A reason given by a person for a decision (a rejection or an undone death record): not blank,
/// at most [`Reason::MAX_CHARS`] characters, no control characters; surrounding whitespace is
/// trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reason(String);

impl Reason {
    /// The longest reason accepted, in characters.
    pub const MAX_CHARS: usize = 500;

    /// Parses a reason.
    pub fn parse(s: &str) -> Result<Reason, ReasonError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ReasonError::Empty);
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(ReasonError::TooLong);
        }
        if s.chars().any(|c| c.is_control() && c != '\n') {
            return Err(ReasonError::InvalidCharacters);
        }
        Ok(Reason(s.to_owned()))
    }

    /// The reason's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Reason {
    type Error = ReasonError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Reason::parse(&s)
    }
}

impl From<Reason> for String {
    fn from(r: Reason) -> String {
        r.0
    }
}

/// A reason that cannot be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReasonError {
    #[error("reason is empty")]
    Empty,
    #[error("reason is too long")]
    TooLong,
    #[error("reason contains control characters")]
    InvalidCharacters,
}

impl UserError for ReasonError {
    fn code(&self) -> &'static str {
        match self {
            ReasonError::Empty => "reason_required",
            ReasonError::TooLong => "reason_too_long",
            ReasonError::InvalidCharacters => "reason_invalid_chars",
        }
    }
    fn message(&self) -> String {
        match self {
            ReasonError::Empty => "请填写原因".to_owned(),
            ReasonError::TooLong => format!("原因不能超过{}个字", Reason::MAX_CHARS),
            ReasonError::InvalidCharacters => "原因中含有无法识别的字符".to_owned(),
        }
    }
}
