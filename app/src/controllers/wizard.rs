//! 年审 wizard: 基本信息 → 党组织生活情况 → 奖惩情况 → 信息确认 → 身份核验 (seed 000).
//!
//! The form is a table of [`FieldSpec`]s keyed by the field's JSON path in the review draft
//! (`basic.phone`, …), the same path the server and `shared`'s `FieldError`s use. Values are kept
//! as typed, in a [`Values`] map that is also what the offline draft stores. Checking is done by
//! a [`Rules`] implementation: every field error at once, shown next to its field as the user
//! types (see [`crate::fields::show_while_typing`]) and in full on 下一步.
//!
//! The app uses [`SharedRules`] (`shared::form::ReviewFormDraft::validate`); [`LocalRules`] is
//! the app-side fallback written while `shared::form` did not exist yet, kept for the controller
//! tests. The keys are `shared::form`'s field paths; [`to_shared_draft`] and
//! [`values_from_shared`] convert to and from `shared::form::ReviewFormDraft` (prefill, the
//! server's draft, the submission). Not done: building [`FIELDS`] from `shared::form::fields()`
//! (the labels and the step order of seed 000's screens live here).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use shared::error::FieldError;

use crate::controllers::liveness::Verified;
use crate::fields;

/// The steps, in order, as the step bar names them.
pub const STEPS: [&str; 5] = [
    "基本信息",
    "党组织生活情况",
    "奖惩情况",
    "信息确认",
    "身份核验",
];
pub const CONFIRM_STEP: usize = 3;
pub const VERIFY_STEP: usize = 4;

pub const YES: &str = "是";
pub const NO: &str = "否";
const YES_NO: &[&str] = &[YES, NO];

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// One of `options`.
    Choice,
    /// Fixed from the roster (姓名, 身份证号): shown, not editable.
    Fixed,
    /// A region picked province → city → district (`shared::region`); the value is the names
    /// joined by `/` (e.g. `北京市/东城区`), turned into the 6-digit code for `shared`.
    Region,
    /// An ID-card photo, chosen from a file or taken with the camera; the value is a note for
    /// the screen (`已选择 · 120 KB`), the bytes are kept sealed by the caller.
    Photo,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Choice => "choice",
            Kind::Fixed => "fixed",
            Kind::Region => "region",
            Kind::Photo => "photo",
        }
    }
}

/// One field of the review form.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// JSON path in the review draft, e.g. `basic.phone`.
    pub key: &'static str,
    /// The label of seed 000, e.g. `手机号码`.
    pub label: &'static str,
    pub step: usize,
    pub kind: Kind,
    pub options: &'static [&'static str],
    pub placeholder: &'static str,
    /// Shown (and required) only when another field has this value, e.g. 所在支部 when
    /// 是否为党员 is 是.
    pub only_if: Option<(&'static str, &'static str)>,
}

const fn text(
    key: &'static str,
    label: &'static str,
    step: usize,
    placeholder: &'static str,
) -> FieldSpec {
    FieldSpec {
        key,
        label,
        step,
        kind: Kind::Text,
        options: &[],
        placeholder,
        only_if: None,
    }
}

const fn choice(
    key: &'static str,
    label: &'static str,
    step: usize,
    options: &'static [&'static str],
) -> FieldSpec {
    FieldSpec {
        key,
        label,
        step,
        kind: Kind::Choice,
        options,
        placeholder: "",
        only_if: None,
    }
}

const fn when(mut spec: FieldSpec, key: &'static str, value: &'static str) -> FieldSpec {
    spec.only_if = Some((key, value));
    spec
}

const fn fixed(key: &'static str, label: &'static str) -> FieldSpec {
    FieldSpec {
        key,
        label,
        step: 0,
        kind: Kind::Fixed,
        options: &[],
        placeholder: "",
        only_if: None,
    }
}

const fn region(key: &'static str, label: &'static str) -> FieldSpec {
    FieldSpec {
        key,
        label,
        step: 0,
        kind: Kind::Region,
        options: &[],
        placeholder: "请选择省/市/区县",
        only_if: None,
    }
}

const fn photo(key: &'static str, label: &'static str) -> FieldSpec {
    FieldSpec {
        key,
        label,
        step: 0,
        kind: Kind::Photo,
        options: &[],
        placeholder: "图片文件路径(JPG或PNG,不超过2MB)",
        only_if: None,
    }
}

/// Every field of steps 1–3, in the order of seed 000's screens.
pub const FIELDS: &[FieldSpec] = &[
    fixed("basic.name", "姓名"),
    fixed("basic.id_number", "身份证号"),
    photo("basic.id_front_photo", "身份证人像面"),
    photo("basic.id_back_photo", "身份证国徽面"),
    choice(
        "basic.political_status",
        "政治面貌",
        0,
        &[
            "中共党员",
            "中共预备党员",
            "共青团员",
            "民主党派成员",
            "无党派人士",
            "群众",
        ],
    ),
    text("basic.phone", "手机号码", 0, "请输入手机号码"),
    text(
        "basic.emergency_contact_name",
        "紧急联系人姓名",
        0,
        "请输入紧急联系人姓名",
    ),
    text(
        "basic.emergency_contact_phone",
        "紧急联系人电话",
        0,
        "请输入紧急联系人电话",
    ),
    region("basic.placement_region", "安置地"),
    region("basic.residence_region", "现住地"),
    text(
        "basic.residence_address",
        "现住地具体地址",
        0,
        "请输入具体地址",
    ),
    choice("basic.foreign_nationality", "是否加入外国籍", 0, YES_NO),
    choice("basic.social_organization", "是否加入社会组织", 0, YES_NO),
    choice("basic.living_difficulty", "是否存在生活困难", 0, YES_NO),
    choice("party.is_member", "是否为党员", 1, YES_NO),
    when(
        text("party.branch", "所在支部", 1, "请输入所在支部"),
        "party.is_member",
        YES,
    ),
    when(
        text(
            "party.branch_phone",
            "支部联系电话",
            1,
            "请输入支部联系电话",
        ),
        "party.is_member",
        YES,
    ),
    when(
        choice(
            "party.attends_party_life",
            "是否按规定参加党组织生活",
            1,
            YES_NO,
        ),
        "party.is_member",
        YES,
    ),
    when(
        text("party.dues_paid", "上年度交纳党费数额(元)", 1, "例如 200"),
        "party.is_member",
        YES,
    ),
    when(
        choice(
            "party.evaluation",
            "上年度党员民主评议结果",
            1,
            &["优秀", "合格", "基本合格", "不合格"],
        ),
        "party.is_member",
        YES,
    ),
    choice("rewards.rewarded", "上年度是否受过奖励", 2, YES_NO),
    when(
        text("rewards.award_name", "奖励名称", 2, "例如 三等功"),
        "rewards.rewarded",
        YES,
    ),
    when(
        text("rewards.award_unit", "奖励单位", 2, "请输入奖励单位"),
        "rewards.rewarded",
        YES,
    ),
    choice(
        "rewards.party_discipline",
        "上年度是否受过党纪处分",
        2,
        YES_NO,
    ),
    when(
        text(
            "rewards.party_discipline_details",
            "党纪处分情况",
            2,
            "请说明处分情况",
        ),
        "rewards.party_discipline",
        YES,
    ),
    choice(
        "rewards.criminal_penalty",
        "上年度是否受过刑事处罚",
        2,
        YES_NO,
    ),
    when(
        text(
            "rewards.criminal_penalty_details",
            "刑事处罚情况",
            2,
            "请说明处罚情况",
        ),
        "rewards.criminal_penalty",
        YES,
    ),
];

pub fn spec(key: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.key == key)
}

/// The values as typed, by key. This is what the offline draft stores.
pub type Values = BTreeMap<String, String>;

/// Whether `spec` applies given the other answers.
pub fn applies(spec: &FieldSpec, values: &Values) -> bool {
    spec.only_if
        .is_none_or(|(k, v)| values.get(k).map(String::as_str) == Some(v))
}

/// Checks the whole form, every error at once.
pub trait Rules {
    fn check(&self, values: &Values, today: NaiveDate) -> Vec<FieldError>;
}

/// Required fields and formats, checked in the app until `shared::form` lands (see the module
/// docs).
pub struct LocalRules;

impl Rules for LocalRules {
    fn check(&self, values: &Values, _today: NaiveDate) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for spec in FIELDS
            .iter()
            .filter(|s| s.kind != Kind::Fixed && applies(s, values))
        {
            let v = values.get(spec.key).map(|s| s.trim()).unwrap_or("");
            if v.is_empty() {
                let verb = match spec.kind {
                    Kind::Choice | Kind::Region => "请选择",
                    Kind::Photo => "请上传",
                    _ => "请填写",
                };
                errors.push(FieldError::new(
                    spec.key,
                    "required",
                    format!("{verb}{}", spec.label),
                ));
                continue;
            }
            let bad = match spec.key {
                "basic.phone" => fields::phone(spec.key, v).err(),
                "basic.emergency_contact_phone" | "party.branch_phone" => {
                    contact_phone_error(spec.key, v)
                }
                "basic.emergency_contact_name" => fields::name(spec.key, v).err(),
                "party.dues_paid" => money_error(spec.key, v),
                _ if spec.kind == Kind::Choice && !spec.options.contains(&v) => Some(
                    FieldError::new(spec.key, "choice_invalid", format!("请选择{}", spec.label)),
                ),
                _ => None,
            };
            errors.extend(bad);
        }
        errors
    }
}

/// A mobile number or a landline (`0411-84681234`, `84681234`).
fn contact_phone_error(key: &str, v: &str) -> Option<FieldError> {
    if !v.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return Some(FieldError::new(
            key,
            "contact_phone_chars",
            "电话号码只能由数字和“-”组成",
        ));
    }
    let digits = v.chars().filter(char::is_ascii_digit).count();
    (!(7..=12).contains(&digits)).then(|| {
        FieldError::new(
            key,
            "contact_phone_invalid",
            "请输入正确的手机号码或固定电话",
        )
    })
}

fn money_error(key: &str, v: &str) -> Option<FieldError> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    let ok = !int.is_empty()
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.len() <= 2
        && frac.chars().all(|c| c.is_ascii_digit())
        && !(v.contains('.') && frac.is_empty());
    (!ok).then(|| {
        FieldError::new(
            key,
            "money_invalid",
            "金额格式不正确,最多保留两位小数,例如 200.50",
        )
    })
}

/// One row as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub key: String,
    pub label: String,
    /// `text`, `choice`, `fixed`, `readonly` (confirmation page) or `section` (a heading).
    pub kind: String,
    pub value: String,
    pub options: Vec<String>,
    pub placeholder: String,
    pub error: String,
    /// For `region` rows: the pickers to show, province first.
    pub levels: Vec<RegionLevel>,
}

/// One picker of a cascading region row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionLevel {
    /// `省`, `市`, `区县`.
    pub title: String,
    pub options: Vec<String>,
    /// `""` until picked.
    pub selected: String,
}

/// The pickers for a region value given as names (`北京市/东城区`): the provinces, then the
/// children of each picked level, down to the first level not picked yet. Municipalities have
/// no city level in `shared::region` (北京市 → 东城区), so they show two pickers.
pub fn region_levels(value: &str) -> Vec<RegionLevel> {
    use shared::region::{provinces, RegionCode};
    const TITLES: [&str; 3] = ["省", "市", "区县"];
    let picked: Vec<&str> = value
        .split('/')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    let mut levels = Vec::new();
    let mut options: Vec<RegionCode> = provinces().collect();
    for i in 0..3 {
        if options.is_empty() {
            break;
        }
        let selected = picked.get(i).copied().unwrap_or("");
        // Titled by what the options are (北京市's children are districts: 区县, not 市).
        let title = match options[0].level() {
            shared::region::RegionLevel::Province => TITLES[0],
            shared::region::RegionLevel::City => TITLES[1],
            shared::region::RegionLevel::District => TITLES[2],
        };
        levels.push(RegionLevel {
            title: title.into(),
            options: options.iter().map(|c| c.name().to_owned()).collect(),
            selected: selected.into(),
        });
        let Some(chosen) = options.iter().find(|c| c.name() == selected) else {
            break;
        };
        options = chosen.children().collect();
    }
    levels
}

/// The wizard's state.
pub struct Wizard {
    pub values: Values,
    pub step: usize,
    /// The furthest step reached; the step bar can jump to any step up to it.
    pub reached: usize,
    /// Errors currently shown, by key.
    pub shown: BTreeMap<String, FieldError>,
    /// Keys the user has touched (so a 下一步 before typing is the first time errors show).
    touched: BTreeSet<String>,
    /// The full 姓名 and 身份证号 (from last year's record on the server), sent with the
    /// submission; the screen shows the masked ones.
    pub identity: Option<(String, String)>,
    /// The proof of the 身份核验 step (a passed challenge, or the 特殊人群核验 newspaper photo),
    /// handed over by it through [`Wizard::set_verified`].
    pub verified: Option<Verified>,
}

impl Wizard {
    /// A wizard over `values` (a restored draft or last year's record), at step 1.
    pub fn new(values: Values) -> Wizard {
        Wizard {
            values,
            step: 0,
            reached: 0,
            shown: BTreeMap::new(),
            touched: BTreeSet::new(),
            identity: None,
            verified: None,
        }
    }

    /// The seam with the 身份核验 step: its proof when the person presses 完成 (or sends the
    /// newspaper photo), `None` when it no longer holds (重新核验).
    pub fn set_verified(&mut self, verified: Option<Verified>) {
        self.verified = verified;
    }

    /// Whether 提交 can be offered: on 身份核验 with its proof.
    pub fn can_submit(&self) -> bool {
        self.step == VERIFY_STEP && self.verified.is_some()
    }

    /// The form to submit: the answers as `shared`'s draft, with the full name and ID number.
    /// The photo and liveness references are left for the submission request to carry.
    pub fn submission_form(&self) -> shared::form::ReviewFormDraft {
        let mut d = to_shared_draft(&self.values);
        d.basic.id_front_photo = None;
        d.basic.id_back_photo = None;
        if let Some((name, id)) = &self.identity {
            d.basic.name = Some(name.clone());
            d.basic.id_number = Some(id.clone());
        }
        d
    }

    /// A region picker changed: level `level` (0 = province) is now `name`; deeper levels are
    /// cleared. Returns whether anything changed.
    pub fn pick_region(
        &mut self,
        key: &str,
        level: usize,
        name: &str,
        rules: &dyn Rules,
        today: NaiveDate,
    ) -> bool {
        if spec(key).map(|s| s.kind) != Some(Kind::Region) {
            return false;
        }
        let current = self.values.get(key).cloned().unwrap_or_default();
        let mut names: Vec<&str> = current.split('/').filter(|n| !n.is_empty()).collect();
        names.truncate(level);
        if names.len() < level {
            return false;
        }
        names.push(name);
        let value = names.join("/");
        self.edit(key, &value, rules, today)
    }

    /// The field errors the server sent (a 422 on submission): shown next to their fields, and
    /// the wizard goes back to the first step that has one. Returns how many landed on a field;
    /// the others (e.g. the liveness challenge) are returned for a message.
    pub fn show_server_errors(&mut self, errors: &[FieldError]) -> (usize, Vec<FieldError>) {
        let mut first_step = None;
        let mut other = Vec::new();
        let mut n = 0;
        for e in errors {
            let key = match e.field.as_str() {
                "id_front_upload" => "basic.id_front_photo",
                "id_back_upload" => "basic.id_back_photo",
                f => f,
            };
            match spec(key) {
                Some(s) if s.kind != Kind::Fixed => {
                    let mut e = e.clone();
                    e.field = key.to_owned();
                    self.shown.insert(key.to_owned(), e);
                    first_step = Some(first_step.map_or(s.step, |f: usize| f.min(s.step)));
                    n += 1;
                }
                _ => other.push(e.clone()),
            }
        }
        if let Some(step) = first_step {
            self.step = step;
        }
        (n, other)
    }

    /// The rows of the current step.
    pub fn rows(&self) -> Vec<Row> {
        if self.step == CONFIRM_STEP {
            return self.confirm_rows();
        }
        FIELDS
            .iter()
            .filter(|s| s.step == self.step && applies(s, &self.values))
            .map(|s| Row {
                key: s.key.into(),
                label: s.label.into(),
                kind: s.kind.as_str().into(),
                value: self.values.get(s.key).cloned().unwrap_or_default(),
                options: s.options.iter().map(|o| (*o).to_owned()).collect(),
                placeholder: s.placeholder.into(),
                error: self
                    .shown
                    .get(s.key)
                    .map(|e| e.message.clone())
                    .unwrap_or_default(),
                levels: if s.kind == Kind::Region {
                    region_levels(self.values.get(s.key).map(String::as_str).unwrap_or(""))
                } else {
                    Vec::new()
                },
            })
            .collect()
    }

    /// 信息确认: every answer, read-only, grouped by step.
    fn confirm_rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        for (step, title) in STEPS.iter().enumerate().take(CONFIRM_STEP) {
            rows.push(Row {
                key: format!("section.{step}"),
                label: (*title).into(),
                kind: "section".into(),
                value: String::new(),
                options: vec![],
                placeholder: String::new(),
                error: String::new(),
                levels: Vec::new(),
            });
            for s in FIELDS
                .iter()
                .filter(|s| s.step == step && applies(s, &self.values))
            {
                rows.push(Row {
                    key: s.key.into(),
                    label: s.label.into(),
                    kind: "readonly".into(),
                    value: self.values.get(s.key).cloned().unwrap_or_default(),
                    options: vec![],
                    placeholder: String::new(),
                    error: String::new(),
                    levels: Vec::new(),
                });
            }
        }
        rows
    }

    /// The user changed `key` to `value`: store it and update that field's error as they type.
    /// Returns whether anything changed (the caller then saves the draft).
    pub fn edit(&mut self, key: &str, value: &str, rules: &dyn Rules, today: NaiveDate) -> bool {
        let Some(spec) = spec(key) else { return false };
        if spec.kind == Kind::Fixed || self.values.get(key).map(String::as_str) == Some(value) {
            return false;
        }
        self.values.insert(key.to_owned(), value.to_owned());
        self.touched.insert(key.to_owned());
        let errors = rules.check(&self.values, today);
        let err = errors.into_iter().find(|e| e.field == key);
        let already = self.shown.contains_key(key);
        let explicit = matches!(spec.kind, Kind::Choice | Kind::Region | Kind::Photo);
        match err.filter(|e| explicit || fields::show_while_typing(e, already)) {
            Some(e) => {
                self.shown.insert(key.to_owned(), e);
            }
            None => {
                self.shown.remove(key);
            }
        }
        // Answers that hide fields (是否为党员 → 否) also hide those fields' errors.
        let values = &self.values;
        self.shown.retain(|k, _| spec_applies(k, values));
        true
    }

    /// 下一步: checks the current step; moves on when it has no errors.
    pub fn next(&mut self, rules: &dyn Rules, today: NaiveDate) -> Result<(), usize> {
        if self.step >= VERIFY_STEP {
            return Ok(());
        }
        let errors = rules.check(&self.values, today);
        let step_errors: Vec<FieldError> = if self.step == CONFIRM_STEP {
            errors
        } else {
            errors
                .into_iter()
                .filter(|e| spec(&e.field).is_some_and(|s| s.step == self.step))
                .collect()
        };
        if !step_errors.is_empty() {
            let n = step_errors.len();
            // On 信息确认, go back to the first step with an error.
            if self.step == CONFIRM_STEP {
                if let Some(first) = step_errors
                    .iter()
                    .filter_map(|e| spec(&e.field))
                    .map(|s| s.step)
                    .min()
                {
                    self.step = first;
                }
            }
            for e in step_errors {
                self.shown.insert(e.field.clone(), e);
            }
            return Err(n);
        }
        self.step += 1;
        self.reached = self.reached.max(self.step);
        Ok(())
    }

    /// 上一步.
    pub fn prev(&mut self) {
        self.step = self.step.saturating_sub(1);
    }

    /// A tap on the step bar: allowed for any step already reached.
    pub fn jump(&mut self, step: usize) -> bool {
        if step <= self.reached && step < STEPS.len() {
            self.step = step;
            true
        } else {
            false
        }
    }
}

fn spec_applies(key: &str, values: &Values) -> bool {
    spec(key).is_some_and(|s| applies(s, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
    }

    fn filled() -> Values {
        let mut v = Values::new();
        for (k, val) in [
            ("basic.name", "陈松"),
            ("basic.id_number", "11010519491231002X"),
            ("basic.id_front_photo", "已选择 · 120 KB"),
            ("basic.id_back_photo", "已选择 · 98 KB"),
            ("basic.political_status", "中共党员"),
            ("basic.phone", "13300001234"),
            ("basic.emergency_contact_name", "张三"),
            ("basic.emergency_contact_phone", "15800005678"),
            ("basic.placement_region", "北京市/东城区"),
            ("basic.residence_region", "北京市/东城区"),
            (
                "basic.residence_address",
                "辽宁省大连市甘井子区百合湾11号楼3单元5-2",
            ),
            ("basic.foreign_nationality", NO),
            ("basic.social_organization", NO),
            ("basic.living_difficulty", NO),
            ("party.is_member", NO),
            ("rewards.rewarded", YES),
            ("rewards.award_name", "三等功"),
            ("rewards.award_unit", "某部"),
            ("rewards.party_discipline", NO),
            ("rewards.criminal_penalty", NO),
        ] {
            v.insert(k.into(), val.into());
        }
        v
    }

    #[test]
    fn next_on_an_empty_step_shows_every_error_of_that_step_only() {
        let mut w = Wizard::new(Values::new());
        let n = w.next(&LocalRules, today()).unwrap_err();
        assert_eq!(w.step, 0);
        // Ten fields and the two ID-card photos.
        assert_eq!(n, 12, "{:?}", w.shown.keys().collect::<Vec<_>>());
        assert!(w.shown.keys().all(|k| k.starts_with("basic.")));
        let rows = w.rows();
        let phone = rows.iter().find(|r| r.key == "basic.phone").unwrap();
        assert_eq!(phone.error, "请填写手机号码");
        let nat = rows
            .iter()
            .find(|r| r.key == "basic.foreign_nationality")
            .unwrap();
        assert_eq!(nat.error, "请选择是否加入外国籍");
        assert_eq!(nat.options, [YES, NO]);
    }

    #[test]
    fn fixing_a_field_clears_its_error_as_you_type() {
        let mut values = filled();
        values.insert("basic.phone".into(), "1330000123".into());
        let mut w = Wizard::new(values);
        assert!(w.next(&LocalRules, today()).is_err());
        assert_eq!(w.shown["basic.phone"].code, "phone_length");
        assert!(w.edit("basic.phone", "13300001234", &LocalRules, today()));
        assert!(!w.shown.contains_key("basic.phone"));
        // A wrong character shows at once, without 下一步.
        w.edit(
            "basic.emergency_contact_phone",
            "1580000567a",
            &LocalRules,
            today(),
        );
        assert_eq!(
            w.shown["basic.emergency_contact_phone"].code,
            "contact_phone_chars"
        );
        // Fixed fields do not change.
        assert!(!w.edit("basic.name", "别人", &LocalRules, today()));
        assert_eq!(w.values["basic.name"], "陈松");
    }

    #[test]
    fn party_fields_appear_only_for_members() {
        let mut w = Wizard::new(filled());
        w.next(&LocalRules, today()).unwrap();
        assert_eq!(w.step, 1);
        assert_eq!(w.rows().len(), 1);
        w.edit("party.is_member", YES, &LocalRules, today());
        let keys: Vec<String> = w.rows().into_iter().map(|r| r.key).collect();
        assert_eq!(keys.len(), 6, "{keys:?}");
        assert_eq!(w.next(&LocalRules, today()).unwrap_err(), 5);
        w.edit("party.dues_paid", "200.505", &LocalRules, today());
        assert_eq!(w.shown["party.dues_paid"].code, "money_invalid");
        // Answering 否 hides the fields and their errors.
        w.edit("party.is_member", NO, &LocalRules, today());
        assert!(w.shown.is_empty(), "{:?}", w.shown);
        w.next(&LocalRules, today()).unwrap();
        assert_eq!(w.step, 2);
    }

    #[test]
    fn confirmation_lists_everything_and_the_step_bar_jumps_back() {
        let mut w = Wizard::new(filled());
        assert!(!w.jump(2), "cannot jump ahead of what was reached");
        for _ in 0..3 {
            w.next(&LocalRules, today()).unwrap();
        }
        assert_eq!(w.step, CONFIRM_STEP);
        let rows = w.rows();
        assert_eq!(rows.iter().filter(|r| r.kind == "section").count(), 3);
        let reward = rows.iter().find(|r| r.key == "rewards.award_name").unwrap();
        assert_eq!(
            (reward.kind.as_str(), reward.value.as_str()),
            ("readonly", "三等功")
        );
        assert!(!rows.iter().any(|r| r.key == "party.branch"));
        assert!(w.jump(0));
        assert_eq!(w.step, 0);
        w.edit("basic.residence_address", "", &LocalRules, today());
        assert!(w.jump(CONFIRM_STEP));
        // 下一步 on the confirmation page goes back to the step with the error.
        assert_eq!(w.next(&LocalRules, today()).unwrap_err(), 1);
        assert_eq!(w.step, 0);
        assert_eq!(
            w.shown["basic.residence_address"].message,
            "请填写现住地具体地址"
        );
    }

    #[test]
    fn every_key_is_unique_and_conditions_refer_to_choices() {
        let keys: BTreeSet<&str> = FIELDS.iter().map(|f| f.key).collect();
        assert_eq!(keys.len(), FIELDS.len());
        for f in FIELDS {
            if let Some((k, v)) = f.only_if {
                let cond = spec(k).unwrap();
                assert!(cond.options.contains(&v), "{} depends on {k}={v}", f.key);
            }
        }
    }
}

/// The rules of `shared::form`: [`Values`] become a `ReviewFormDraft` and its
/// `validate(today)` decides. This is what the app uses.
///
/// Conversions: 是/否 → `true`/`false`; choice labels are passed as typed (`shared` parses the
/// Chinese label or the code); a region typed as names (`北京市/东城区`) becomes its 6-digit code
/// when the names match the region table (6 digits pass through). Errors on fields the wizard
/// does not collect yet — 姓名 and 身份证号 (they come from the roster; the screen shows them
/// masked), the two ID-card photos — are left out.
///
/// The ID-card photos count as given once chosen on this device (see [`to_shared_draft`]).
pub struct SharedRules;

/// Fields the wizard does not collect (see [`SharedRules`]): they come from the roster.
const NOT_COLLECTED: [&str; 2] = ["basic.name", "basic.id_number"];

/// The draft of `shared::form` for these values.
pub fn to_shared_draft(values: &Values) -> shared::form::ReviewFormDraft {
    let text = |k: &str| {
        values
            .get(k)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let yes_no = |k: &str| match values.get(k).map(String::as_str) {
        Some(YES) => Some(true),
        Some(NO) => Some(false),
        _ => None,
    };
    let region = |k: &str| text(k).map(|s| region_code(&s).unwrap_or(s));
    let mut d = shared::form::ReviewFormDraft::default();
    let b = &mut d.basic;
    // A photo chosen on this device stands in as a placeholder reference: `shared` checks it is
    // there; the submission replaces it with the upload id.
    let photo = |k: &str| text(k).map(|_| "local".to_owned());
    b.id_front_photo = photo("basic.id_front_photo");
    b.id_back_photo = photo("basic.id_back_photo");
    b.political_status = text("basic.political_status");
    b.phone = text("basic.phone");
    b.emergency_contact_name = text("basic.emergency_contact_name");
    b.emergency_contact_phone = text("basic.emergency_contact_phone");
    b.placement_region = region("basic.placement_region");
    b.residence_region = region("basic.residence_region");
    b.residence_address = text("basic.residence_address");
    b.foreign_nationality = yes_no("basic.foreign_nationality");
    b.social_organization = yes_no("basic.social_organization");
    b.living_difficulty = yes_no("basic.living_difficulty");
    let p = &mut d.party;
    p.is_member = yes_no("party.is_member");
    p.branch = text("party.branch");
    p.branch_phone = text("party.branch_phone");
    p.attends_party_life = yes_no("party.attends_party_life");
    p.dues_paid = text("party.dues_paid");
    p.evaluation = text("party.evaluation");
    let r = &mut d.rewards;
    r.rewarded = yes_no("rewards.rewarded");
    r.award_name = text("rewards.award_name");
    r.award_unit = text("rewards.award_unit");
    r.party_discipline = yes_no("rewards.party_discipline");
    r.party_discipline_details = text("rewards.party_discipline_details");
    r.criminal_penalty = yes_no("rewards.criminal_penalty");
    r.criminal_penalty_details = text("rewards.criminal_penalty_details");
    d
}

/// The wizard's values for a draft of `shared::form` (last year's record, the server's copy or a
/// rejected submission): codes become the labels the screen shows (`party_member` → 中共党员,
/// `110101` → 北京市/东城区, `true` → 是). The photos and the liveness reference are not
/// carried over (they are taken again every year); 姓名 and 身份证号 go to [`identity_of`].
pub fn values_from_shared(d: &shared::form::ReviewFormDraft) -> Values {
    use shared::form::{Evaluation, PoliticalStatus};
    let mut v = Values::new();
    let mut put = |k: &str, val: Option<String>| {
        if let Some(val) = val.filter(|s| !s.trim().is_empty()) {
            v.insert(k.to_owned(), val);
        }
    };
    let yes_no = |b: Option<bool>| b.map(|b| if b { YES } else { NO }.to_owned());
    let region = |c: &Option<String>| {
        c.as_deref()
            .map(|c| match shared::region::RegionCode::parse(c) {
                Ok(code) => code.full_name(),
                Err(_) => c.to_owned(),
            })
    };
    let b = &d.basic;
    put(
        "basic.political_status",
        b.political_status.as_deref().map(|s| {
            PoliticalStatus::parse(s)
                .map(|p| p.label_zh().to_owned())
                .unwrap_or_else(|_| s.to_owned())
        }),
    );
    put("basic.phone", b.phone.clone());
    put(
        "basic.emergency_contact_name",
        b.emergency_contact_name.clone(),
    );
    put(
        "basic.emergency_contact_phone",
        b.emergency_contact_phone.clone(),
    );
    put("basic.placement_region", region(&b.placement_region));
    put("basic.residence_region", region(&b.residence_region));
    put("basic.residence_address", b.residence_address.clone());
    put("basic.foreign_nationality", yes_no(b.foreign_nationality));
    put("basic.social_organization", yes_no(b.social_organization));
    put("basic.living_difficulty", yes_no(b.living_difficulty));
    let p = &d.party;
    put("party.is_member", yes_no(p.is_member));
    put("party.branch", p.branch.clone());
    put("party.branch_phone", p.branch_phone.clone());
    put("party.attends_party_life", yes_no(p.attends_party_life));
    put("party.dues_paid", p.dues_paid.clone());
    put(
        "party.evaluation",
        p.evaluation.as_deref().map(|s| {
            Evaluation::parse(s)
                .map(|e| e.label_zh().to_owned())
                .unwrap_or_else(|_| s.to_owned())
        }),
    );
    let r = &d.rewards;
    put("rewards.rewarded", yes_no(r.rewarded));
    put("rewards.award_name", r.award_name.clone());
    put("rewards.award_unit", r.award_unit.clone());
    put("rewards.party_discipline", yes_no(r.party_discipline));
    put(
        "rewards.party_discipline_details",
        r.party_discipline_details.clone(),
    );
    put("rewards.criminal_penalty", yes_no(r.criminal_penalty));
    put(
        "rewards.criminal_penalty_details",
        r.criminal_penalty_details.clone(),
    );
    v
}

/// The full 姓名 and 身份证号 of a draft, when both are there.
pub fn identity_of(d: &shared::form::ReviewFormDraft) -> Option<(String, String)> {
    Some((d.basic.name.clone()?, d.basic.id_number.clone()?))
}

/// The 6-digit code of a region typed as `省/市/区` names (or already a code).
pub fn region_code(s: &str) -> Option<String> {
    use shared::region::{provinces, RegionCode};
    let s = s.trim();
    if let Ok(code) = RegionCode::parse(s) {
        return Some(code.as_str().to_owned());
    }
    let names: Vec<&str> = s
        .split(['/', ' '])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    let (first, rest) = names.split_first()?;
    let mut current = provinces().find(|p| p.name() == *first)?;
    for name in rest {
        current = current.children().find(|c| c.name() == *name)?;
    }
    Some(current.as_str().to_owned())
}

impl Rules for SharedRules {
    fn check(&self, values: &Values, today: NaiveDate) -> Vec<FieldError> {
        match to_shared_draft(values).validate(today) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .filter(|e| !NOT_COLLECTED.contains(&e.field.as_str()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod shared_rules_tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
    }

    fn filled() -> Values {
        [
            ("basic.id_front_photo", "已选择 · 120 KB"),
            ("basic.id_back_photo", "已选择 · 98 KB"),
            ("basic.political_status", "群众"),
            ("basic.phone", "13300001234"),
            ("basic.emergency_contact_name", "张三"),
            ("basic.emergency_contact_phone", "0411-84681234"),
            ("basic.placement_region", "北京市/东城区"),
            ("basic.residence_region", "110101"),
            (
                "basic.residence_address",
                "辽宁省大连市甘井子区百合湾11号楼3单元5-2",
            ),
            ("basic.foreign_nationality", NO),
            ("basic.social_organization", NO),
            ("basic.living_difficulty", NO),
            ("party.is_member", NO),
            ("rewards.rewarded", YES),
            ("rewards.award_name", "三等功"),
            ("rewards.award_unit", "某部"),
            ("rewards.party_discipline", NO),
            ("rewards.criminal_penalty", NO),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn a_complete_form_passes_shared_validation() {
        let errors = SharedRules.check(&filled(), today());
        assert!(errors.is_empty(), "{errors:?}");
        let d = to_shared_draft(&filled());
        assert_eq!(d.basic.placement_region.as_deref(), Some("110101"));
        assert_eq!(d.basic.foreign_nationality, Some(false));
    }

    #[test]
    fn shared_errors_land_on_the_wizard_fields() {
        let mut v = filled();
        v.insert("basic.phone".into(), "1330000123".into());
        v.insert("party.is_member".into(), YES.into());
        let errors = SharedRules.check(&v, today());
        let fields: BTreeSet<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains("basic.phone"), "{errors:?}");
        // 群众 who says 是 to 是否为党员: shared's consistency rule.
        assert!(
            errors.iter().any(|e| e.field.starts_with("party.")),
            "{errors:?}"
        );
        assert!(
            fields.iter().all(|f| spec(f).is_some()),
            "every error has a row: {fields:?}"
        );
        // And the wizard shows them next to the field on 下一步.
        let mut w = Wizard::new(v);
        assert!(w.next(&SharedRules, today()).is_err());
        assert!(!w.shown["basic.phone"].message.is_empty());
    }

    #[test]
    fn region_pickers_cascade_from_what_is_picked() {
        let empty = region_levels("");
        assert_eq!(empty.len(), 1);
        assert!(empty[0].options.iter().any(|p| p == "辽宁省"));
        assert_eq!(empty[0].selected, "");
        let beijing = region_levels("北京市/东城区");
        let titles: Vec<&str> = beijing.iter().map(|l| l.title.as_str()).collect();
        assert_eq!(titles, ["省", "区县"], "a municipality has no city level");
        assert_eq!(beijing[1].selected, "东城区");
        let dalian = region_levels("辽宁省/大连市");
        assert_eq!(dalian.len(), 3);
        assert_eq!(dalian[2].selected, "");
        assert!(dalian[2].options.iter().any(|d| d == "甘井子区"));
        assert!(!dalian[2].options.iter().any(|d| d == "东城区"));
        // A name that is not a child of the level above stops the cascade there.
        assert_eq!(region_levels("辽宁省/东城区").len(), 2);
    }

    #[test]
    fn values_round_trip_through_shareds_draft() {
        let v = filled();
        let back = values_from_shared(&to_shared_draft(&v));
        for key in [
            "basic.political_status",
            "basic.phone",
            "party.is_member",
            "rewards.award_name",
        ] {
            assert_eq!(back.get(key), v.get(key), "{key}");
        }
        assert_eq!(back["basic.placement_region"], "北京市/东城区");
        assert_eq!(back["basic.residence_region"], "北京市/东城区");
        assert!(
            !back.contains_key("basic.id_front_photo"),
            "photos are taken again"
        );
    }

    #[test]
    fn server_field_errors_go_back_to_the_field_and_its_step() {
        let mut w = Wizard::new(filled());
        w.step = VERIFY_STEP;
        let (n, other) = w.show_server_errors(&[
            FieldError::new("party.dues_paid", "money_invalid", "金额格式不正确"),
            FieldError::new(
                "id_back_upload",
                "upload_not_found",
                "图片不存在或已失效,请重新上传",
            ),
            FieldError::new(
                "liveness_challenge_id",
                "liveness_stale",
                "人脸识别已超过30分钟",
            ),
        ]);
        assert_eq!((n, other.len()), (2, 1));
        assert_eq!(w.step, 0, "the earliest step with an error");
        assert_eq!(w.shown["basic.id_back_photo"].code, "upload_not_found");
        assert_eq!(w.shown["party.dues_paid"].message, "金额格式不正确");
        assert_eq!(other[0].field, "liveness_challenge_id");
    }

    #[test]
    fn regions_typed_as_names_become_codes() {
        assert_eq!(region_code("北京市/东城区").as_deref(), Some("110101"));
        assert_eq!(region_code("110101").as_deref(), Some("110101"));
        assert_eq!(region_code("火星/东城区"), None);
    }
}
