//! The form as typed: every field optional, raw strings and yes/no answers.
//!
//! This is what the app saves on the device after every keystroke, what the server keeps as the
//! person's draft copy, and what travels over the API. JSON field names are the field paths
//! (`basic.phone` is `{"basic": {"phone": …}}`); absent fields may be left out, unknown fields are
//! ignored (a draft written by a newer app version still loads).
//!
//! Choices are stored as their snake_case codes (`party_member`, `excellent`), regions as 6-digit
//! codes, money as the typed string (`200`, `200.5`).
//!
//! `Debug` shows which fields are filled, never their content.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The whole review form as typed, possibly incomplete.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewFormDraft {
    /// 基本信息
    pub basic: BasicDraft,
    /// 党组织生活情况
    pub party: PartyDraft,
    /// 奖惩情况
    pub rewards: RewardsDraft,
    /// 身份核验 (references only).
    pub verification: VerificationDraft,
}

/// 基本信息, as typed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BasicDraft {
    /// 姓名
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 身份证号
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// 身份证人像面: the uploaded photo's reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_front_photo: Option<String>,
    /// 身份证国徽面: the uploaded photo's reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_back_photo: Option<String>,
    /// 政治面貌, as a code of [`PoliticalStatus`](super::PoliticalStatus).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub political_status: Option<String>,
    /// 手机号码
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// 紧急联系人姓名
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_contact_name: Option<String>,
    /// 紧急联系人电话 (mobile or landline)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency_contact_phone: Option<String>,
    /// 安置地, a region code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement_region: Option<String>,
    /// 现住地, a region code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residence_region: Option<String>,
    /// 现住地具体地址
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residence_address: Option<String>,
    /// 是否加入外国籍
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreign_nationality: Option<bool>,
    /// 是否加入社会组织
    #[serde(skip_serializing_if = "Option::is_none")]
    pub social_organization: Option<bool>,
    /// 是否存在生活困难
    #[serde(skip_serializing_if = "Option::is_none")]
    pub living_difficulty: Option<bool>,
}

/// 党组织生活情况, as typed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PartyDraft {
    /// 是否为党员
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_member: Option<bool>,
    /// 所在支部
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// 支部联系电话 (mobile or landline)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch_phone: Option<String>,
    /// 是否按规定参加党组织生活
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attends_party_life: Option<bool>,
    /// 上年度交纳党费数额(元)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dues_paid: Option<String>,
    /// 上年度党员民主评议结果, as a code of [`Evaluation`](super::Evaluation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<String>,
}

/// 奖惩情况, as typed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RewardsDraft {
    /// 上年度是否受过奖励
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewarded: Option<bool>,
    /// 奖励名称
    #[serde(skip_serializing_if = "Option::is_none")]
    pub award_name: Option<String>,
    /// 奖励单位
    #[serde(skip_serializing_if = "Option::is_none")]
    pub award_unit: Option<String>,
    /// 上年度是否受过党纪处分
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party_discipline: Option<bool>,
    /// 党纪处分情况
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party_discipline_details: Option<String>,
    /// 上年度是否受过刑事处罚
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criminal_penalty: Option<bool>,
    /// 刑事处罚情况
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criminal_penalty_details: Option<String>,
}

/// 身份核验: the reference to the passed liveness check, once there is one.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VerificationDraft {
    /// The id of the liveness challenge that was passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness_challenge_id: Option<String>,
}

/// `Debug` that says which text fields are filled and shows yes/no answers, never the text.
macro_rules! redacted_debug {
    ($ty:ident { text: [$($text:ident),* $(,)?], flags: [$($flag:ident),* $(,)?] $(,)? }) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($text), &self.$text.as_ref().map(|_| Filled)))*
                    $(.field(stringify!($flag), &self.$flag))*
                    .finish()
            }
        }
    };
}

/// Stands in for a filled-in text field in `Debug` output.
struct Filled;

impl fmt::Debug for Filled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<filled>")
    }
}

redacted_debug!(BasicDraft {
    text: [
        name,
        id_number,
        id_front_photo,
        id_back_photo,
        political_status,
        phone,
        emergency_contact_name,
        emergency_contact_phone,
        placement_region,
        residence_region,
        residence_address,
    ],
    flags: [foreign_nationality, social_organization, living_difficulty],
});
redacted_debug!(PartyDraft {
    text: [branch, branch_phone, dues_paid, evaluation],
    flags: [is_member, attends_party_life],
});
redacted_debug!(RewardsDraft {
    text: [
        award_name,
        award_unit,
        party_discipline_details,
        criminal_penalty_details
    ],
    flags: [rewarded, party_discipline, criminal_penalty],
});
redacted_debug!(VerificationDraft {
    text: [liveness_challenge_id],
    flags: []
});

impl fmt::Debug for ReviewFormDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReviewFormDraft")
            .field("basic", &self.basic)
            .field("party", &self.party)
            .field("rewards", &self.rewards)
            .field("verification", &self.verification)
            .finish()
    }
}
