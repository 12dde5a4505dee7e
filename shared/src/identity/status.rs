//! The real-name status of an account (实名认证状态) as a state machine.
//!
//! ```text
//! (any but ManualPending) ── AutoChecked{Passed | Failed | Unsupported} ──▶ AutoVerified | AutoFailed | Unverified
//! (any) ── TriggerFieldsChanged{result} ──▶ as AutoChecked (a pending manual request is cancelled,
//!                                           a manual pass is lost, as in the seed)
//! Unverified | AutoFailed | ManualFailed ── ManualRequested ──▶ ManualPending
//! ManualPending ── ManualRequested (new scans) ──▶ ManualPending ("以最后上传的材料为准")
//! AutoVerified | ManualVerified ── ManualRequested ──▶ error real_name_already_verified
//! ManualPending ── ManualApproved ──▶ ManualVerified
//! ManualPending ── ManualRejected{reason} ──▶ ManualFailed{reason}
//! ```
//!
//! [`RealNameStatus::apply`] returns the next status or an error; it never changes silently.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::UserError;
use crate::lifecycle::Reason;

/// Where an account's real-name verification stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RealNameStatus {
    /// 未认证: not verified (a kind no service can check, or nothing tried yet).
    Unverified,
    /// 国家平台实名认证通过: matched the roster or the identity service.
    AutoVerified,
    /// 实名认证失败: the identity service said the details do not match.
    AutoFailed,
    /// 人工审核中: signed ID scans wait for a reviewer.
    ManualPending,
    /// 人工审核通过
    ManualVerified,
    /// 实名认证审核失败: a reviewer refused the scans, with the reason.
    ManualFailed { reason: Reason },
}

/// What the automatic check (the roster, the identity service) answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifierResult {
    /// The name and document match.
    Passed,
    /// The service knows the document and the details do not match.
    Failed,
    /// No automatic check for this document (or not in the roster and no service): says nothing
    /// about the identity.
    Unsupported,
}

/// Something that happens to an account's real-name status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RealNameEvent {
    /// The automatic check ran (at registration, or asked for again).
    AutoChecked { result: VerifierResult },
    /// The person changed a field that triggers verification; the automatic check ran on the
    /// new details.
    TriggerFieldsChanged { result: VerifierResult },
    /// The person uploaded signed ID scans for manual review.
    ManualRequested,
    /// A reviewer approved the scans.
    ManualApproved,
    /// A reviewer refused them.
    ManualRejected { reason: Reason },
}

impl RealNameEvent {
    /// A stable name for messages and logs.
    pub fn name(&self) -> &'static str {
        match self {
            RealNameEvent::AutoChecked { .. } => "auto_checked",
            RealNameEvent::TriggerFieldsChanged { .. } => "trigger_fields_changed",
            RealNameEvent::ManualRequested => "manual_requested",
            RealNameEvent::ManualApproved => "manual_approved",
            RealNameEvent::ManualRejected { .. } => "manual_rejected",
        }
    }

    fn label_zh(&self) -> &'static str {
        match self {
            RealNameEvent::AutoChecked { .. } => "进行实名认证",
            RealNameEvent::TriggerFieldsChanged { .. } => "修改个人信息",
            RealNameEvent::ManualRequested => "提交人工审核",
            RealNameEvent::ManualApproved => "审核通过",
            RealNameEvent::ManualRejected { .. } => "审核不通过",
        }
    }
}

impl RealNameStatus {
    pub const LABELS: [(&'static str, &'static str); 6] = [
        ("unverified", "未认证"),
        ("auto_verified", "国家平台实名认证通过"),
        ("auto_failed", "实名认证失败"),
        ("manual_pending", "人工审核中"),
        ("manual_verified", "人工审核通过"),
        ("manual_failed", "实名认证审核失败"),
    ];

    /// The status's stable name (`"manual_pending"`, …), as serialised in `status`.
    pub fn name(&self) -> &'static str {
        Self::LABELS[self.index()].0
    }

    /// The UI text (the seed's wording).
    pub fn label_zh(&self) -> &'static str {
        Self::LABELS[self.index()].1
    }

    fn index(&self) -> usize {
        match self {
            RealNameStatus::Unverified => 0,
            RealNameStatus::AutoVerified => 1,
            RealNameStatus::AutoFailed => 2,
            RealNameStatus::ManualPending => 3,
            RealNameStatus::ManualVerified => 4,
            RealNameStatus::ManualFailed { .. } => 5,
        }
    }

    /// 已实名认证 / 已审核认证.
    pub fn is_verified(&self) -> bool {
        matches!(
            self,
            RealNameStatus::AutoVerified | RealNameStatus::ManualVerified
        )
    }

    /// The reviewer's reason, for `ManualFailed`.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            RealNameStatus::ManualFailed { reason } => Some(reason),
            _ => None,
        }
    }

    fn checked(result: VerifierResult) -> RealNameStatus {
        match result {
            VerifierResult::Passed => RealNameStatus::AutoVerified,
            VerifierResult::Failed => RealNameStatus::AutoFailed,
            VerifierResult::Unsupported => RealNameStatus::Unverified,
        }
    }

    /// The status after `event`, or why `event` cannot happen now.
    pub fn apply(&self, event: RealNameEvent) -> Result<RealNameStatus, RealNameTransitionError> {
        use RealNameStatus as S;
        let illegal = |event: &RealNameEvent| RealNameTransitionError::Illegal {
            from: self.name(),
            from_label: self.label_zh(),
            event: event.name(),
            event_label: event.label_zh(),
        };
        match (self, &event) {
            (S::ManualPending, RealNameEvent::AutoChecked { .. }) => Err(illegal(&event)),
            (_, RealNameEvent::AutoChecked { result })
            | (_, RealNameEvent::TriggerFieldsChanged { result }) => Ok(S::checked(*result)),
            (S::AutoVerified | S::ManualVerified, RealNameEvent::ManualRequested) => {
                Err(RealNameTransitionError::AlreadyVerified)
            }
            (_, RealNameEvent::ManualRequested) => Ok(S::ManualPending),
            (S::ManualPending, RealNameEvent::ManualApproved) => Ok(S::ManualVerified),
            (S::ManualPending, RealNameEvent::ManualRejected { reason }) => Ok(S::ManualFailed {
                reason: reason.clone(),
            }),
            (_, RealNameEvent::ManualApproved | RealNameEvent::ManualRejected { .. }) => {
                Err(illegal(&event))
            }
        }
    }
}

impl fmt::Display for RealNameStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// Why a real-name event cannot happen now. The status is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RealNameTransitionError {
    #[error("illegal transition: {event} in status {from}")]
    Illegal {
        from: &'static str,
        from_label: &'static str,
        event: &'static str,
        event_label: &'static str,
    },
    #[error("already verified")]
    AlreadyVerified,
}

impl UserError for RealNameTransitionError {
    fn code(&self) -> &'static str {
        match self {
            RealNameTransitionError::Illegal { .. } => "illegal_transition",
            RealNameTransitionError::AlreadyVerified => "real_name_already_verified",
        }
    }

    fn message(&self) -> String {
        match self {
            RealNameTransitionError::Illegal {
                from_label,
                event_label,
                ..
            } => format!("当前实名认证状态为「{from_label}」,不能{event_label}"),
            RealNameTransitionError::AlreadyVerified => {
                "实名认证状态为\"已实名认证\"、\"已审核认证\"时,只能查看已上传信息".to_owned()
            }
        }
    }
}

/// Where a verified status came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RealNameSource {
    /// The 建档立卡 roster (a veteran's account).
    Roster,
    /// The identity service (the national platform's adapter; the demo's fake).
    IdentityService,
    /// A reviewer (manual review), or an administrator who created the account.
    Manual,
    /// An older provincial system's accounts, imported (`legacy:<system>`).
    Legacy(String),
}

impl RealNameSource {
    /// The stored form: `roster`, `identity_service`, `manual`, `legacy:<system>`.
    pub fn as_text(&self) -> String {
        match self {
            RealNameSource::Roster => "roster".to_owned(),
            RealNameSource::IdentityService => "identity_service".to_owned(),
            RealNameSource::Manual => "manual".to_owned(),
            RealNameSource::Legacy(s) => format!("legacy:{s}"),
        }
    }

    /// The stored form back; `None` if it is not one.
    pub fn from_text(s: &str) -> Option<RealNameSource> {
        match s {
            "roster" => Some(RealNameSource::Roster),
            "identity_service" => Some(RealNameSource::IdentityService),
            "manual" => Some(RealNameSource::Manual),
            _ => s
                .strip_prefix("legacy:")
                .filter(|name| {
                    !name.is_empty()
                        && name
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                })
                .map(|name| RealNameSource::Legacy(name.to_owned())),
        }
    }
}

impl Serialize for RealNameSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_text())
    }
}

impl<'de> Deserialize<'de> for RealNameSource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RealNameSource::from_text(&s)
            .ok_or_else(|| serde::de::Error::custom("not a real-name source"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RealNameEvent as E;
    use RealNameStatus as S;
    use VerifierResult as V;

    fn reason() -> Reason {
        Reason::parse("审核信息不匹配").unwrap()
    }

    fn states() -> Vec<S> {
        vec![
            S::Unverified,
            S::AutoVerified,
            S::AutoFailed,
            S::ManualPending,
            S::ManualVerified,
            S::ManualFailed { reason: reason() },
        ]
    }

    fn events() -> Vec<E> {
        let mut v = Vec::new();
        for r in [V::Passed, V::Failed, V::Unsupported] {
            v.push(E::AutoChecked { result: r });
            v.push(E::TriggerFieldsChanged { result: r });
        }
        v.extend([
            E::ManualRequested,
            E::ManualApproved,
            E::ManualRejected { reason: reason() },
        ]);
        v
    }

    /// The expected outcome of every (state, event) pair, written out independently of `apply`:
    /// `Ok(next state name)` or `Err(error code)`.
    fn expected(s: &S, e: &E) -> Result<&'static str, &'static str> {
        let by = |r: &V| match r {
            V::Passed => "auto_verified",
            V::Failed => "auto_failed",
            V::Unsupported => "unverified",
        };
        match e {
            E::AutoChecked { result } => {
                if s.name() == "manual_pending" {
                    Err("illegal_transition")
                } else {
                    Ok(by(result))
                }
            }
            E::TriggerFieldsChanged { result } => Ok(by(result)),
            E::ManualRequested => match s.name() {
                "auto_verified" | "manual_verified" => Err("real_name_already_verified"),
                _ => Ok("manual_pending"),
            },
            E::ManualApproved => match s.name() {
                "manual_pending" => Ok("manual_verified"),
                _ => Err("illegal_transition"),
            },
            E::ManualRejected { .. } => match s.name() {
                "manual_pending" => Ok("manual_failed"),
                _ => Err("illegal_transition"),
            },
        }
    }

    #[test]
    fn every_state_and_event() {
        let mut pairs = 0;
        for s in states() {
            for e in events() {
                let got = s.apply(e.clone());
                let want = expected(&s, &e);
                match (&got, want) {
                    (Ok(next), Ok(name)) => assert_eq!(next.name(), name, "{s:?} {e:?}"),
                    (Err(err), Err(code)) => {
                        assert_eq!(err.code(), code, "{s:?} {e:?}");
                        assert!(!err.message().is_empty());
                    }
                    _ => panic!("{s:?} {e:?}: got {got:?}, want {want:?}"),
                }
                pairs += 1;
            }
        }
        assert_eq!(pairs, 6 * 9);
    }

    #[test]
    fn a_rejection_keeps_its_reason_and_labels_are_the_seeds() {
        let failed = S::ManualPending
            .apply(E::ManualRejected { reason: reason() })
            .unwrap();
        assert_eq!(failed.reason().map(Reason::as_str), Some("审核信息不匹配"));
        assert_eq!(failed.label_zh(), "实名认证审核失败");
        assert_eq!(S::AutoVerified.label_zh(), "国家平台实名认证通过");
        assert!(S::AutoVerified.is_verified() && S::ManualVerified.is_verified());
        assert!(!S::ManualPending.is_verified() && !failed.is_verified());
        let e = S::AutoFailed.apply(E::ManualApproved).unwrap_err();
        assert_eq!(
            e.message(),
            "当前实名认证状态为「实名认证失败」,不能审核通过"
        );
    }

    #[test]
    fn statuses_and_sources_round_trip() {
        for s in states() {
            let json = serde_json::to_value(&s).unwrap();
            assert_eq!(json["status"], s.name());
            assert_eq!(serde_json::from_value::<S>(json).unwrap(), s);
        }
        for src in [
            RealNameSource::Roster,
            RealNameSource::IdentityService,
            RealNameSource::Manual,
            RealNameSource::Legacy("anhui_2019".into()),
        ] {
            assert_eq!(RealNameSource::from_text(&src.as_text()), Some(src.clone()));
        }
        for bad in ["", "legacy:", "legacy:a b", "robot"] {
            assert_eq!(RealNameSource::from_text(bad), None, "{bad}");
        }
    }
}
