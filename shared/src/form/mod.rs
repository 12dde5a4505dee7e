//! The annual review form (年审信息填报): the three data sections of seed 000's wizard
//! (基本信息, 党组织生活情况, 奖惩情况) plus references to the ID photos and the liveness result.
//!
//! - [`ReviewFormDraft`]: what was typed; every field optional (offline drafts, the server's copy,
//!   the API).
//! - [`ReviewForm`]: a complete, valid form; only [`ReviewFormDraft::validate`] makes one.
//! - [`fields`], [`diff`]: the form described as data (paths, sections, Chinese labels) so screens
//!   can render it and reviewers can see what changed since last year.
//!
//! # Rules
//!
//! Every field of 基本信息 is required (all carry `*` in seed 000). Conditional rules:
//!
//! - 党组织生活情况 is filled in by party members only. `party.is_member` is required and must
//!   agree with 政治面貌 (中共党员 and 中共预备党员 are members, every other status is not;
//!   code `party_member_mismatch`). For members, 所在支部, 支部联系电话, 是否按规定参加党组织生活,
//!   上年度交纳党费数额 and 上年度党员民主评议结果 are required. For non-members, whatever the draft
//!   holds in those fields is **ignored and dropped**: the parsed form holds
//!   [`PartyInfo::NotMember`], so stale answers (e.g. from a prefilled draft after a change of
//!   political status) can neither block the person nor reach the reviewer.
//! - 奖励名称 and 奖励单位 are required when 上年度是否受过奖励 is 是, and dropped when 否.
//! - The details of a 党纪处分 or 刑事处罚 are required when the answer is 是, and dropped when 否.
//! - 安置地 and 现住地 must be chosen down to the lowest level the region has (a district or county;
//!   a city such as 东莞市 that has no districts; code `region_incomplete`).
//! - 紧急联系人电话 and 支部联系电话 may be mobile or landline numbers ([`ContactPhone`]);
//!   手机号码 must be a mobile number.
//! - The liveness reference is optional in a valid form (the wizard validates the data steps
//!   before step 5); [`ReviewForm::check_submittable`] requires it.
//!
//! Seed 000 shows no other rule (e.g. none about the emergency contact's number differing from
//! the person's own), so none is invented.
//!
//! # Errors
//!
//! Validation reports every problem at once as [`FieldError`]s: `field` is the path
//! (`basic.phone`, `party.dues_paid`, `rewards.award_name`), `code` is `required` for a missing
//! answer or the parser's own code (`id_number_checksum`, `region_unknown`, …), and `message` is
//! Chinese (`请输入手机号码`, `请选择现住地`).

mod choices;
mod contact_phone;
mod draft;
mod fields;
mod text;

pub use choices::{ChoiceError, Evaluation, PoliticalStatus};
pub use contact_phone::{ContactPhone, ContactPhoneError, Landline};
pub use draft::{BasicDraft, PartyDraft, ReviewFormDraft, RewardsDraft, VerificationDraft};
pub use fields::{diff, field, fields, FieldChange, FieldSpec, InputKind, RequiredWhen, Section};
pub use text::{FreeText, Reference, ReferenceError, TextError};

use chrono::NaiveDate;

use crate::error::{FieldError, UserError};
use crate::id::IdNumber;
use crate::liveness::ChallengeId;
use crate::money::Yuan;
use crate::name::PersonName;
use crate::phone::MobilePhone;
use crate::region::RegionCode;

/// Longest 所在支部, 奖励名称, 奖励单位, in characters.
pub const MAX_SHORT_TEXT: usize = 50;
/// Longest 现住地具体地址, in characters.
pub const MAX_ADDRESS: usize = 100;
/// Longest description of a 党纪处分 or 刑事处罚, in characters.
pub const MAX_DETAILS: usize = 500;

/// A complete and valid review form. Only [`ReviewFormDraft::validate`] builds one, so the rules
/// between fields (party membership, conditional details) always hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewForm {
    basic: BasicInfo,
    party: PartyInfo,
    rewards: Rewards,
    verification: Verification,
}

/// 基本信息.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicInfo {
    pub name: PersonName,
    pub id_number: IdNumber,
    /// 身份证人像面
    pub id_front_photo: Reference,
    /// 身份证国徽面
    pub id_back_photo: Reference,
    pub political_status: PoliticalStatus,
    pub phone: MobilePhone,
    pub emergency_contact_name: PersonName,
    pub emergency_contact_phone: ContactPhone,
    /// 安置地
    pub placement_region: RegionCode,
    /// 现住地
    pub residence_region: RegionCode,
    /// 现住地具体地址
    pub residence_address: FreeText,
    pub foreign_nationality: bool,
    pub social_organization: bool,
    pub living_difficulty: bool,
}

/// 党组织生活情况: filled in by party members only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartyInfo {
    NotMember,
    Member(PartyLife),
}

/// A party member's 党组织生活情况.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyLife {
    /// 所在支部
    pub branch: FreeText,
    /// 支部联系电话
    pub branch_phone: ContactPhone,
    /// 是否按规定参加党组织生活
    pub attends_party_life: bool,
    /// 上年度交纳党费数额(元)
    pub dues_paid: Yuan,
    /// 上年度党员民主评议结果
    pub evaluation: Evaluation,
}

/// 奖惩情况 of the previous year; `None` means 否.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewards {
    pub award: Option<Award>,
    /// Details of a 党纪处分.
    pub party_discipline: Option<FreeText>,
    /// Details of a 刑事处罚.
    pub criminal_penalty: Option<FreeText>,
}

/// 奖励名称 and 奖励单位.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Award {
    pub name: FreeText,
    pub unit: FreeText,
}

/// References for 身份核验.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The passed liveness challenge, once there is one.
    pub liveness_challenge_id: Option<ChallengeId>,
}

impl ReviewForm {
    /// 基本信息.
    pub fn basic(&self) -> &BasicInfo {
        &self.basic
    }

    /// 党组织生活情况.
    pub fn party(&self) -> &PartyInfo {
        &self.party
    }

    /// 奖惩情况.
    pub fn rewards(&self) -> &Rewards {
        &self.rewards
    }

    /// 身份核验 references.
    pub fn verification(&self) -> &Verification {
        &self.verification
    }

    /// This form with the passed liveness challenge attached (after step 5).
    pub fn with_liveness(mut self, challenge_id: ChallengeId) -> ReviewForm {
        self.verification.liveness_challenge_id = Some(challenge_id);
        self
    }

    /// Whether the form may be submitted: it must reference a passed liveness check.
    pub fn check_submittable(&self) -> Result<(), Vec<FieldError>> {
        match self.verification.liveness_challenge_id {
            Some(_) => Ok(()),
            None => Err(vec![FieldError::new(
                "verification.liveness_challenge_id",
                "required",
                "请完成身份核验",
            )]),
        }
    }

    /// The same form as a draft: `draft.validate(today)` gives this form back.
    pub fn to_draft(&self) -> ReviewFormDraft {
        let b = &self.basic;
        let basic = BasicDraft {
            name: Some(b.name.as_str().to_owned()),
            id_number: Some(b.id_number.as_str().to_owned()),
            id_front_photo: Some(b.id_front_photo.as_str().to_owned()),
            id_back_photo: Some(b.id_back_photo.as_str().to_owned()),
            political_status: Some(b.political_status.as_str().to_owned()),
            phone: Some(b.phone.as_str().to_owned()),
            emergency_contact_name: Some(b.emergency_contact_name.as_str().to_owned()),
            emergency_contact_phone: Some(b.emergency_contact_phone.to_string()),
            placement_region: Some(b.placement_region.as_str().to_owned()),
            residence_region: Some(b.residence_region.as_str().to_owned()),
            residence_address: Some(b.residence_address.as_str().to_owned()),
            foreign_nationality: Some(b.foreign_nationality),
            social_organization: Some(b.social_organization),
            living_difficulty: Some(b.living_difficulty),
        };
        let party = match &self.party {
            PartyInfo::NotMember => PartyDraft {
                is_member: Some(false),
                ..PartyDraft::default()
            },
            PartyInfo::Member(p) => PartyDraft {
                is_member: Some(true),
                branch: Some(p.branch.as_str().to_owned()),
                branch_phone: Some(p.branch_phone.to_string()),
                attends_party_life: Some(p.attends_party_life),
                dues_paid: Some(p.dues_paid.to_string()),
                evaluation: Some(p.evaluation.as_str().to_owned()),
            },
        };
        let r = &self.rewards;
        let rewards = RewardsDraft {
            rewarded: Some(r.award.is_some()),
            award_name: r.award.as_ref().map(|a| a.name.as_str().to_owned()),
            award_unit: r.award.as_ref().map(|a| a.unit.as_str().to_owned()),
            party_discipline: Some(r.party_discipline.is_some()),
            party_discipline_details: r.party_discipline.as_ref().map(|t| t.as_str().to_owned()),
            criminal_penalty: Some(r.criminal_penalty.is_some()),
            criminal_penalty_details: r.criminal_penalty.as_ref().map(|t| t.as_str().to_owned()),
        };
        let verification = VerificationDraft {
            liveness_challenge_id: self
                .verification
                .liveness_challenge_id
                .as_ref()
                .map(|r| r.as_str().to_owned()),
        };
        ReviewFormDraft {
            basic,
            party,
            rewards,
            verification,
        }
    }

    /// Next year's starting draft: this form prefilled ("页面自动带入上一年填报的信息"), without the
    /// liveness reference, which must be earned again every year.
    pub fn prefill_next_year(&self) -> ReviewFormDraft {
        let mut draft = self.to_draft();
        draft.verification = VerificationDraft::default();
        draft
    }
}

impl From<&ReviewForm> for ReviewFormDraft {
    fn from(form: &ReviewForm) -> Self {
        form.to_draft()
    }
}

impl ReviewFormDraft {
    /// Parses the draft into a valid form, or returns every problem at once. `today` is needed
    /// to check the ID number's birth date.
    pub fn validate(&self, today: NaiveDate) -> Result<ReviewForm, Vec<FieldError>> {
        let mut c = Collector::default();
        let form = build(self, today, &mut c);
        match form {
            Some(form) if c.errors.is_empty() => Ok(form),
            _ => {
                if c.errors.is_empty() {
                    // Unreachable: every missing part records an error. Never return Ok or an
                    // empty error list for an incomplete form.
                    c.errors
                        .push(FieldError::new("form", "incomplete", "请完善年审信息"));
                }
                Err(c.errors)
            }
        }
    }

    /// The problems of one wizard step only (for its 下一步 button).
    pub fn validate_section(&self, section: Section, today: NaiveDate) -> Vec<FieldError> {
        match self.validate(today) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .filter(|e| fields::section_of_path(&e.field) == Some(section))
                .collect(),
        }
    }
}

/// Gathers field errors while parsing.
#[derive(Default)]
struct Collector {
    errors: Vec<FieldError>,
}

impl Collector {
    fn missing(&mut self, path: &str) {
        let message = fields::field(path).map_or("请填写此项", |f| f.required_message_zh);
        self.errors.push(FieldError::new(path, "required", message));
    }

    /// The trimmed text of a field, or a `required` error.
    fn text<'a>(&mut self, path: &str, value: &'a Option<String>) -> Option<&'a str> {
        match value.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => Some(s),
            _ => {
                self.missing(path);
                None
            }
        }
    }

    /// A yes/no answer, or a `required` error.
    fn flag(&mut self, path: &str, value: Option<bool>) -> Option<bool> {
        if value.is_none() {
            self.missing(path);
        }
        value
    }

    /// Keeps a parse result, recording its error under `path`.
    fn parsed<T, E: UserError>(&mut self, path: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.errors.push(e.at(path))).ok()
    }

    /// A required field parsed with `parse`.
    fn field<T, E: UserError>(
        &mut self,
        path: &str,
        value: &Option<String>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let s = self.text(path, value)?;
        self.parsed(path, parse(s))
    }

    /// A required free-text field; the length message names the field.
    fn free_text(
        &mut self,
        path: &str,
        value: &Option<String>,
        max_chars: usize,
        multiline: bool,
    ) -> Option<FreeText> {
        let s = self.text(path, value)?;
        match FreeText::parse(s, max_chars, multiline) {
            Ok(t) => Some(t),
            Err(e) => {
                let label = fields::field(path).map_or("", |f| f.label_zh);
                let message = format!("{label}{}", e.message());
                self.errors.push(FieldError::new(path, e.code(), message));
                None
            }
        }
    }

    /// A required region, chosen down to its lowest level.
    fn region(&mut self, path: &str, value: &Option<String>) -> Option<RegionCode> {
        let code = self.field(path, value, RegionCode::parse)?;
        if code.children().next().is_some() {
            self.errors.push(FieldError::new(
                path,
                "region_incomplete",
                "请选择到区(县)一级",
            ));
            return None;
        }
        Some(code)
    }
}

fn build(d: &ReviewFormDraft, today: NaiveDate, c: &mut Collector) -> Option<ReviewForm> {
    let b = &d.basic;
    let name = c.field("basic.name", &b.name, PersonName::parse);
    let id_number = c.field("basic.id_number", &b.id_number, |s| {
        IdNumber::parse(s, today)
    });
    let id_front_photo = c.field("basic.id_front_photo", &b.id_front_photo, Reference::parse);
    let id_back_photo = c.field("basic.id_back_photo", &b.id_back_photo, Reference::parse);
    let political_status = c.field(
        "basic.political_status",
        &b.political_status,
        PoliticalStatus::parse,
    );
    let phone = c.field("basic.phone", &b.phone, MobilePhone::parse);
    let emergency_contact_name = c.field(
        "basic.emergency_contact_name",
        &b.emergency_contact_name,
        PersonName::parse,
    );
    let emergency_contact_phone = c.field(
        "basic.emergency_contact_phone",
        &b.emergency_contact_phone,
        ContactPhone::parse,
    );
    let placement_region = c.region("basic.placement_region", &b.placement_region);
    let residence_region = c.region("basic.residence_region", &b.residence_region);
    let residence_address = c.free_text(
        "basic.residence_address",
        &b.residence_address,
        MAX_ADDRESS,
        false,
    );
    let foreign_nationality = c.flag("basic.foreign_nationality", b.foreign_nationality);
    let social_organization = c.flag("basic.social_organization", b.social_organization);
    let living_difficulty = c.flag("basic.living_difficulty", b.living_difficulty);

    let party = build_party(&d.party, political_status, c);
    let rewards = build_rewards(&d.rewards, c);

    let liveness_challenge_id = match &d.verification.liveness_challenge_id {
        Some(s) if !s.trim().is_empty() => {
            let path = "verification.liveness_challenge_id";
            match ChallengeId::parse(s) {
                Ok(r) => Some(r),
                Err(e) => {
                    c.errors.push(FieldError::new(
                        path,
                        e.code(),
                        "身份核验结果无效,请重新核验",
                    ));
                    return None;
                }
            }
        }
        _ => None,
    };

    Some(ReviewForm {
        basic: BasicInfo {
            name: name?,
            id_number: id_number?,
            id_front_photo: id_front_photo?,
            id_back_photo: id_back_photo?,
            political_status: political_status?,
            phone: phone?,
            emergency_contact_name: emergency_contact_name?,
            emergency_contact_phone: emergency_contact_phone?,
            placement_region: placement_region?,
            residence_region: residence_region?,
            residence_address: residence_address?,
            foreign_nationality: foreign_nationality?,
            social_organization: social_organization?,
            living_difficulty: living_difficulty?,
        },
        party: party?,
        rewards: rewards?,
        verification: Verification {
            liveness_challenge_id,
        },
    })
}

fn build_party(
    p: &PartyDraft,
    political_status: Option<PoliticalStatus>,
    c: &mut Collector,
) -> Option<PartyInfo> {
    let is_member = c.flag("party.is_member", p.is_member);
    if let (Some(answer), Some(status)) = (is_member, political_status) {
        if answer != status.is_party_member() {
            c.errors.push(FieldError::new(
                "party.is_member",
                "party_member_mismatch",
                "是否为党员与政治面貌不一致,请核对",
            ));
            return None;
        }
    }
    // Check the member-only fields when either answer says "member", so that the person sees
    // what is missing even before fixing a missing answer elsewhere.
    let member = is_member.or(political_status.map(PoliticalStatus::is_party_member));
    match member {
        Some(false) => Some(PartyInfo::NotMember),
        Some(true) => {
            let branch = c.free_text("party.branch", &p.branch, MAX_SHORT_TEXT, false);
            let branch_phone = c.field("party.branch_phone", &p.branch_phone, ContactPhone::parse);
            let attends_party_life = c.flag("party.attends_party_life", p.attends_party_life);
            let dues_paid = c.field("party.dues_paid", &p.dues_paid, Yuan::parse);
            let evaluation = c.field("party.evaluation", &p.evaluation, Evaluation::parse);
            // Evaluated last: `?` must not skip collecting the errors above.
            let life = PartyLife {
                branch: branch?,
                branch_phone: branch_phone?,
                attends_party_life: attends_party_life?,
                dues_paid: dues_paid?,
                evaluation: evaluation?,
            };
            is_member.map(|_| PartyInfo::Member(life))
        }
        None => None,
    }
}

fn build_rewards(r: &RewardsDraft, c: &mut Collector) -> Option<Rewards> {
    // Each part is `None` when in error, else `Some(answer)` where the answer is `None` for 否.
    // No `?` before every part has been checked: all errors are wanted.
    let award = match c.flag("rewards.rewarded", r.rewarded) {
        Some(true) => {
            let name = c.free_text("rewards.award_name", &r.award_name, MAX_SHORT_TEXT, false);
            let unit = c.free_text("rewards.award_unit", &r.award_unit, MAX_SHORT_TEXT, false);
            name.zip(unit)
                .map(|(name, unit)| Some(Award { name, unit }))
        }
        Some(false) => Some(None),
        None => None,
    };
    let party_discipline = details(
        c,
        ("rewards.party_discipline", r.party_discipline),
        (
            "rewards.party_discipline_details",
            &r.party_discipline_details,
        ),
    );
    let criminal_penalty = details(
        c,
        ("rewards.criminal_penalty", r.criminal_penalty),
        (
            "rewards.criminal_penalty_details",
            &r.criminal_penalty_details,
        ),
    );
    Some(Rewards {
        award: award?,
        party_discipline: party_discipline?,
        criminal_penalty: criminal_penalty?,
    })
}

/// A yes/no question with details required on 是: `None` when in error, else the details (or
/// `None` for 否).
fn details(
    c: &mut Collector,
    (flag_path, flag): (&str, Option<bool>),
    (details_path, details): (&str, &Option<String>),
) -> Option<Option<FreeText>> {
    match c.flag(flag_path, flag)? {
        true => c
            .free_text(details_path, details, MAX_DETAILS, true)
            .map(Some),
        false => Some(None),
    }
}
