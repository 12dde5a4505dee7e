//! The review form described as data: every field's path, section, Chinese label, input kind
//! and when it is required, so the app's wizard, the confirmation step (信息确认) and the
//! reviewer's screen render the same form, and reviewers see what changed since last year.

use std::fmt;

use serde::Serialize;

use super::{PartyInfo, ReviewForm};

/// A step of the wizard that holds form fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// 基本信息 (step 1)
    Basic,
    /// 党组织生活情况 (step 2)
    Party,
    /// 奖惩情况 (step 3)
    Rewards,
    /// 身份核验 (step 5)
    Verification,
}

impl Section {
    /// The sections in wizard order.
    pub const ALL: [Section; 4] = [
        Section::Basic,
        Section::Party,
        Section::Rewards,
        Section::Verification,
    ];

    /// The Chinese title of the step.
    pub fn label_zh(self) -> &'static str {
        match self {
            Section::Basic => "基本信息",
            Section::Party => "党组织生活情况",
            Section::Rewards => "奖惩情况",
            Section::Verification => "身份核验",
        }
    }

    /// The first component of this section's field paths.
    pub fn key(self) -> &'static str {
        match self {
            Section::Basic => "basic",
            Section::Party => "party",
            Section::Rewards => "rewards",
            Section::Verification => "verification",
        }
    }
}

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// A person's name.
    Name,
    /// A 身份证号.
    IdNumber,
    /// An uploaded photo.
    Photo,
    /// One of a fixed list (政治面貌, 民主评议结果).
    Choice,
    /// A mobile number.
    MobilePhone,
    /// A mobile or landline number.
    ContactPhone,
    /// A province/city/district picker.
    Region,
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    /// 是 / 否.
    YesNo,
    /// An amount in yuan.
    Money,
    /// A reference produced by the app (the liveness result), not typed.
    Reference,
}

/// When a field must be filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequiredWhen {
    Always,
    /// When 是否为党员 is 是.
    PartyMember,
    /// When 上年度是否受过奖励 is 是.
    Rewarded,
    /// When 上年度是否受过党纪处分 is 是.
    PartyDisciplined,
    /// When 上年度是否受过刑事处罚 is 是.
    CriminallyPunished,
    /// Only to submit (after step 5).
    AtSubmission,
}

/// One field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldSpec {
    /// The path used in drafts and errors, e.g. `basic.phone`.
    pub path: &'static str,
    pub section: Section,
    /// The label on screen, e.g. `手机号码`.
    pub label_zh: &'static str,
    pub input: InputKind,
    pub required: RequiredWhen,
    /// The message when the field is missing, e.g. `请输入手机号码`.
    pub required_message_zh: &'static str,
}

const fn spec(
    path: &'static str,
    section: Section,
    label_zh: &'static str,
    input: InputKind,
    required: RequiredWhen,
    required_message_zh: &'static str,
) -> FieldSpec {
    FieldSpec {
        path,
        section,
        label_zh,
        input,
        required,
        required_message_zh,
    }
}

use InputKind as I;
use RequiredWhen as R;
use Section as S;

/// Every field, in the order of seed 000's screens.
static FIELDS: [FieldSpec; FIELDS_LEN] = [
    spec(
        "basic.name",
        S::Basic,
        "姓名",
        I::Name,
        R::Always,
        "请输入姓名",
    ),
    spec(
        "basic.id_number",
        S::Basic,
        "身份证号",
        I::IdNumber,
        R::Always,
        "请输入身份证号",
    ),
    spec(
        "basic.id_front_photo",
        S::Basic,
        "身份证人像面",
        I::Photo,
        R::Always,
        "请上传身份证人像面",
    ),
    spec(
        "basic.id_back_photo",
        S::Basic,
        "身份证国徽面",
        I::Photo,
        R::Always,
        "请上传身份证国徽面",
    ),
    spec(
        "basic.political_status",
        S::Basic,
        "政治面貌",
        I::Choice,
        R::Always,
        "请选择政治面貌",
    ),
    spec(
        "basic.phone",
        S::Basic,
        "手机号码",
        I::MobilePhone,
        R::Always,
        "请输入手机号码",
    ),
    spec(
        "basic.emergency_contact_name",
        S::Basic,
        "紧急联系人姓名",
        I::Name,
        R::Always,
        "请输入紧急联系人姓名",
    ),
    spec(
        "basic.emergency_contact_phone",
        S::Basic,
        "紧急联系人电话",
        I::ContactPhone,
        R::Always,
        "请输入紧急联系人电话",
    ),
    spec(
        "basic.placement_region",
        S::Basic,
        "安置地",
        I::Region,
        R::Always,
        "请选择安置地",
    ),
    spec(
        "basic.residence_region",
        S::Basic,
        "现住地",
        I::Region,
        R::Always,
        "请选择现住地",
    ),
    spec(
        "basic.residence_address",
        S::Basic,
        "现住地具体地址",
        I::Text,
        R::Always,
        "请输入现住地具体地址",
    ),
    spec(
        "basic.foreign_nationality",
        S::Basic,
        "是否加入外国籍",
        I::YesNo,
        R::Always,
        "请选择是否加入外国籍",
    ),
    spec(
        "basic.social_organization",
        S::Basic,
        "是否加入社会组织",
        I::YesNo,
        R::Always,
        "请选择是否加入社会组织",
    ),
    spec(
        "basic.living_difficulty",
        S::Basic,
        "是否存在生活困难",
        I::YesNo,
        R::Always,
        "请选择是否存在生活困难",
    ),
    spec(
        "party.is_member",
        S::Party,
        "是否为党员",
        I::YesNo,
        R::Always,
        "请选择是否为党员",
    ),
    spec(
        "party.branch",
        S::Party,
        "所在支部",
        I::Text,
        R::PartyMember,
        "请输入所在支部",
    ),
    spec(
        "party.branch_phone",
        S::Party,
        "支部联系电话",
        I::ContactPhone,
        R::PartyMember,
        "请输入支部联系电话",
    ),
    spec(
        "party.attends_party_life",
        S::Party,
        "是否按规定参加党组织生活",
        I::YesNo,
        R::PartyMember,
        "请选择是否按规定参加党组织生活",
    ),
    spec(
        "party.dues_paid",
        S::Party,
        "上年度交纳党费数额(元)",
        I::Money,
        R::PartyMember,
        "请输入上年度交纳党费数额",
    ),
    spec(
        "party.evaluation",
        S::Party,
        "上年度党员民主评议结果",
        I::Choice,
        R::PartyMember,
        "请选择上年度党员民主评议结果",
    ),
    spec(
        "rewards.rewarded",
        S::Rewards,
        "上年度是否受过奖励",
        I::YesNo,
        R::Always,
        "请选择上年度是否受过奖励",
    ),
    spec(
        "rewards.award_name",
        S::Rewards,
        "奖励名称",
        I::Text,
        R::Rewarded,
        "请输入奖励名称",
    ),
    spec(
        "rewards.award_unit",
        S::Rewards,
        "奖励单位",
        I::Text,
        R::Rewarded,
        "请输入奖励单位",
    ),
    spec(
        "rewards.party_discipline",
        S::Rewards,
        "上年度是否受过党纪处分",
        I::YesNo,
        R::Always,
        "请选择上年度是否受过党纪处分",
    ),
    spec(
        "rewards.party_discipline_details",
        S::Rewards,
        "党纪处分情况",
        I::LongText,
        R::PartyDisciplined,
        "请输入党纪处分情况",
    ),
    spec(
        "rewards.criminal_penalty",
        S::Rewards,
        "上年度是否受过刑事处罚",
        I::YesNo,
        R::Always,
        "请选择上年度是否受过刑事处罚",
    ),
    spec(
        "rewards.criminal_penalty_details",
        S::Rewards,
        "刑事处罚情况",
        I::LongText,
        R::CriminallyPunished,
        "请输入刑事处罚情况",
    ),
    spec(
        "verification.liveness_challenge_id",
        S::Verification,
        "身份核验",
        I::Reference,
        R::AtSubmission,
        "请完成身份核验",
    ),
];

/// Every field of the form, in screen order.
pub fn fields() -> &'static [FieldSpec] {
    &FIELDS
}

/// The field with this path.
pub fn field(path: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.path == path)
}

/// The section a field path belongs to (by its first component).
pub(super) fn section_of_path(path: &str) -> Option<Section> {
    let key = path.split('.').next()?;
    Section::ALL.into_iter().find(|s| s.key() == key)
}

/// One field whose value differs between two forms.
///
/// `Debug` shows the field, not the values (they may be an ID number or a phone number).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub path: &'static str,
    pub section: Section,
    pub label_zh: &'static str,
    /// The display value before (`None`: not applicable, e.g. party fields of a non-member).
    pub before: Option<String>,
    /// The display value after.
    pub after: Option<String>,
}

impl fmt::Debug for FieldChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldChange")
            .field("path", &self.path)
            .field("before", &self.before.as_ref().map(|_| "<value>"))
            .field("after", &self.after.as_ref().map(|_| "<value>"))
            .finish()
    }
}

/// The fields whose display values differ between `before` (e.g. last year's accepted form) and
/// `after`, in screen order.
pub fn diff(before: &ReviewForm, after: &ReviewForm) -> Vec<FieldChange> {
    FIELDS
        .iter()
        .zip(before.display_values())
        .zip(after.display_values())
        .filter(|((_, old), new)| old != new)
        .map(|((spec, old), new)| FieldChange {
            path: spec.path,
            section: spec.section,
            label_zh: spec.label_zh,
            before: old,
            after: new,
        })
        .collect()
}

fn yes_no(b: bool) -> String {
    if b { "是" } else { "否" }.to_owned()
}

impl ReviewForm {
    /// Every field's value as the confirmation step (信息确认) shows it, in the order of
    /// [`fields`]: 是/否 for answers, Chinese labels for choices, `北京市/东城区` for regions;
    /// `None` for a field that does not apply (e.g. 奖励名称 when not rewarded).
    ///
    /// The values are unmasked; a screen that needs masking masks them.
    pub fn display_values(&self) -> Vec<Option<String>> {
        let b = &self.basic;
        let party = match &self.party {
            PartyInfo::Member(p) => Some(p),
            PartyInfo::NotMember => None,
        };
        let r = &self.rewards;
        let values = [
            Some(b.name.as_str().to_owned()),
            Some(b.id_number.as_str().to_owned()),
            Some(b.id_front_photo.as_str().to_owned()),
            Some(b.id_back_photo.as_str().to_owned()),
            Some(b.political_status.label_zh().to_owned()),
            Some(b.phone.as_str().to_owned()),
            Some(b.emergency_contact_name.as_str().to_owned()),
            Some(b.emergency_contact_phone.to_string()),
            Some(b.placement_region.full_name()),
            Some(b.residence_region.full_name()),
            Some(b.residence_address.as_str().to_owned()),
            Some(yes_no(b.foreign_nationality)),
            Some(yes_no(b.social_organization)),
            Some(yes_no(b.living_difficulty)),
            Some(yes_no(party.is_some())),
            party.map(|p| p.branch.as_str().to_owned()),
            party.map(|p| p.branch_phone.to_string()),
            party.map(|p| yes_no(p.attends_party_life)),
            party.map(|p| p.dues_paid.to_string()),
            party.map(|p| p.evaluation.label_zh().to_owned()),
            Some(yes_no(r.award.is_some())),
            r.award.as_ref().map(|a| a.name.as_str().to_owned()),
            r.award.as_ref().map(|a| a.unit.as_str().to_owned()),
            Some(yes_no(r.party_discipline.is_some())),
            r.party_discipline.as_ref().map(|t| t.as_str().to_owned()),
            Some(yes_no(r.criminal_penalty.is_some())),
            r.criminal_penalty.as_ref().map(|t| t.as_str().to_owned()),
            self.verification
                .liveness_challenge_id
                .as_ref()
                .map(|t| t.as_str().to_owned()),
        ];
        // Same length as FIELDS, checked by the compiler.
        let _: &[Option<String>; FIELDS_LEN] = &values;
        values.into()
    }
}

/// The number of fields; [`FIELDS`] and [`ReviewForm::display_values`] are both checked against
/// it by the compiler.
const FIELDS_LEN: usize = 28;
