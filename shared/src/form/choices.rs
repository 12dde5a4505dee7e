//! The closed choices of the form: 政治面貌 and 党员民主评议结果.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::UserError;

/// 政治面貌 (political status), the categories of GB/T 4762 with the eight democratic parties
/// folded into one choice, as the review form offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoliticalStatus {
    /// 中共党员
    PartyMember,
    /// 中共预备党员
    ProbationaryPartyMember,
    /// 共青团员
    YouthLeagueMember,
    /// 民主党派成员
    DemocraticPartyMember,
    /// 无党派人士
    NonPartisan,
    /// 群众
    Masses,
}

impl PoliticalStatus {
    /// Every choice, in the order the picker shows them.
    pub const ALL: [PoliticalStatus; 6] = [
        PoliticalStatus::PartyMember,
        PoliticalStatus::ProbationaryPartyMember,
        PoliticalStatus::YouthLeagueMember,
        PoliticalStatus::DemocraticPartyMember,
        PoliticalStatus::NonPartisan,
        PoliticalStatus::Masses,
    ];

    /// The Chinese label, e.g. `中共党员`.
    pub fn label_zh(self) -> &'static str {
        match self {
            PoliticalStatus::PartyMember => "中共党员",
            PoliticalStatus::ProbationaryPartyMember => "中共预备党员",
            PoliticalStatus::YouthLeagueMember => "共青团员",
            PoliticalStatus::DemocraticPartyMember => "民主党派成员",
            PoliticalStatus::NonPartisan => "无党派人士",
            PoliticalStatus::Masses => "群众",
        }
    }

    /// The snake_case code stored in drafts and sent over the API.
    pub fn as_str(self) -> &'static str {
        match self {
            PoliticalStatus::PartyMember => "party_member",
            PoliticalStatus::ProbationaryPartyMember => "probationary_party_member",
            PoliticalStatus::YouthLeagueMember => "youth_league_member",
            PoliticalStatus::DemocraticPartyMember => "democratic_party_member",
            PoliticalStatus::NonPartisan => "non_partisan",
            PoliticalStatus::Masses => "masses",
        }
    }

    /// Parses the snake_case code or the Chinese label (surrounding whitespace ignored).
    pub fn parse(s: &str) -> Result<PoliticalStatus, ChoiceError> {
        let s = s.trim();
        PoliticalStatus::ALL
            .into_iter()
            .find(|p| p.as_str() == s || p.label_zh() == s)
            .ok_or(ChoiceError::PoliticalStatus)
    }

    /// Whether this status makes the person a member of the Communist Party of China
    /// (full or probationary), who must fill in 党组织生活情况.
    pub fn is_party_member(self) -> bool {
        matches!(
            self,
            PoliticalStatus::PartyMember | PoliticalStatus::ProbationaryPartyMember
        )
    }
}

impl fmt::Display for PoliticalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// 上年度党员民主评议结果.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evaluation {
    /// 优秀
    Excellent,
    /// 合格
    Qualified,
    /// 基本合格
    BasicallyQualified,
    /// 不合格
    Unqualified,
}

impl Evaluation {
    /// Every choice, best first.
    pub const ALL: [Evaluation; 4] = [
        Evaluation::Excellent,
        Evaluation::Qualified,
        Evaluation::BasicallyQualified,
        Evaluation::Unqualified,
    ];

    /// The Chinese label, e.g. `优秀`.
    pub fn label_zh(self) -> &'static str {
        match self {
            Evaluation::Excellent => "优秀",
            Evaluation::Qualified => "合格",
            Evaluation::BasicallyQualified => "基本合格",
            Evaluation::Unqualified => "不合格",
        }
    }

    /// The snake_case code stored in drafts and sent over the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Evaluation::Excellent => "excellent",
            Evaluation::Qualified => "qualified",
            Evaluation::BasicallyQualified => "basically_qualified",
            Evaluation::Unqualified => "unqualified",
        }
    }

    /// Parses the snake_case code or the Chinese label (surrounding whitespace ignored).
    pub fn parse(s: &str) -> Result<Evaluation, ChoiceError> {
        let s = s.trim();
        Evaluation::ALL
            .into_iter()
            .find(|e| e.as_str() == s || e.label_zh() == s)
            .ok_or(ChoiceError::Evaluation)
    }
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// A value that is not one of the offered choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChoiceError {
    #[error("unknown political status")]
    PoliticalStatus,
    #[error("unknown evaluation result")]
    Evaluation,
}

impl UserError for ChoiceError {
    fn code(&self) -> &'static str {
        match self {
            ChoiceError::PoliticalStatus => "political_status_invalid",
            ChoiceError::Evaluation => "evaluation_invalid",
        }
    }
    fn message(&self) -> String {
        match self {
            ChoiceError::PoliticalStatus => "请从列表中选择政治面貌".to_owned(),
            ChoiceError::Evaluation => "请从列表中选择上年度党员民主评议结果".to_owned(),
        }
    }
}
