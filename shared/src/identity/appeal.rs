//! 自然人申诉找回密码 (seed 003 §3; spec S2 b): an appeal with signed ID scans, decided by a
//! person, as a state machine.
//!
//! ```text
//! Pending ── Approve ──▶ Approved (a single-use reset code goes to the contact phone, 24 h)
//! Pending ── Reject{reason} ──▶ Rejected{reason}
//! Pending ── Supersede ──▶ Superseded (a newer appeal for the same document)
//! Approved ── Use ──▶ Used (the password was reset with the code)
//! ```
//! An approved appeal whose code was not used in time is simply no longer usable: expiry is the
//! stored deadline, not a status (nothing has to run to expire it).

use serde::{Deserialize, Serialize};

use crate::error::UserError;
use crate::lifecycle::Reason;

/// How long an approved appeal's reset code can be used.
pub const RESET_CODE_TTL_SECS: i64 = 24 * 3600;

/// At most this many appeals per contact phone in [`APPEAL_WINDOW_SECS`].
pub const MAX_APPEALS_PER_PHONE: i64 = 3;
pub const APPEAL_WINDOW_SECS: i64 = 24 * 3600;

/// Where an appeal stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AppealStatus {
    /// 待审核
    Pending,
    /// 已通过: the reset code was sent.
    Approved,
    /// 已重置
    Used,
    /// 未通过, with the reviewer's reason.
    Rejected { reason: Reason },
    /// 已撤销: replaced by a newer appeal for the same document.
    Superseded,
}

/// Something that happens to an appeal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppealEvent {
    Approve,
    Reject { reason: Reason },
    Supersede,
    Use,
}

impl AppealEvent {
    pub fn name(&self) -> &'static str {
        match self {
            AppealEvent::Approve => "approve",
            AppealEvent::Reject { .. } => "reject",
            AppealEvent::Supersede => "supersede",
            AppealEvent::Use => "use",
        }
    }
}

impl AppealStatus {
    /// The stable name, as serialised in `status`.
    pub fn name(&self) -> &'static str {
        match self {
            AppealStatus::Pending => "pending",
            AppealStatus::Approved => "approved",
            AppealStatus::Used => "used",
            AppealStatus::Rejected { .. } => "rejected",
            AppealStatus::Superseded => "superseded",
        }
    }

    pub fn label_zh(&self) -> &'static str {
        match self {
            AppealStatus::Pending => "待审核",
            AppealStatus::Approved => "已通过",
            AppealStatus::Used => "已重置",
            AppealStatus::Rejected { .. } => "未通过",
            AppealStatus::Superseded => "已撤销",
        }
    }

    /// The next status, or why `event` cannot happen now (the status is unchanged).
    pub fn apply(&self, event: AppealEvent) -> Result<AppealStatus, AppealTransitionError> {
        match (self, event) {
            (AppealStatus::Pending, AppealEvent::Approve) => Ok(AppealStatus::Approved),
            (AppealStatus::Pending, AppealEvent::Reject { reason }) => {
                Ok(AppealStatus::Rejected { reason })
            }
            (AppealStatus::Pending, AppealEvent::Supersede) => Ok(AppealStatus::Superseded),
            (AppealStatus::Approved, AppealEvent::Use) => Ok(AppealStatus::Used),
            (from, event) => Err(AppealTransitionError {
                from: from.name(),
                from_label: from.label_zh(),
                event: event.name(),
            }),
        }
    }
}

/// An appeal event that cannot happen in its status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("illegal transition: {event} in status {from}")]
pub struct AppealTransitionError {
    pub from: &'static str,
    pub from_label: &'static str,
    pub event: &'static str,
}

impl UserError for AppealTransitionError {
    fn code(&self) -> &'static str {
        "illegal_transition"
    }

    fn message(&self) -> String {
        format!("该申诉当前状态为「{}」,不能再处理", self.from_label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason() -> Reason {
        Reason::parse("证件照片不清晰").unwrap()
    }

    #[test]
    fn every_transition() {
        use AppealStatus as S;
        let all = [
            S::Pending,
            S::Approved,
            S::Used,
            S::Rejected { reason: reason() },
            S::Superseded,
        ];
        let events = || {
            [
                AppealEvent::Approve,
                AppealEvent::Reject { reason: reason() },
                AppealEvent::Supersede,
                AppealEvent::Use,
            ]
        };
        let mut legal = Vec::new();
        for from in &all {
            for e in events() {
                let name = e.name();
                match from.apply(e) {
                    Ok(to) => legal.push((from.name(), name, to.name())),
                    Err(err) => {
                        assert_eq!(err.code(), "illegal_transition");
                        assert!(err.message().contains(from.label_zh()));
                    }
                }
            }
        }
        assert_eq!(
            legal,
            [
                ("pending", "approve", "approved"),
                ("pending", "reject", "rejected"),
                ("pending", "supersede", "superseded"),
                ("approved", "use", "used"),
            ]
        );
    }

    #[test]
    fn status_round_trips_as_json() {
        let s = AppealStatus::Rejected { reason: reason() };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"status":"rejected","reason":"证件照片不清晰"}"#);
        assert_eq!(serde_json::from_str::<AppealStatus>(&json).unwrap(), s);
    }
}
