//! The annual review form: parsing a draft, every error at once, the conditional rules, the seed's
//! sample (陈松), serde, field metadata and diffs.

use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{json, Value};
use shared::form::{
    diff, field, fields, ContactPhone, Evaluation, PartyInfo, PoliticalStatus, RequiredWhen,
    ReviewForm, ReviewFormDraft, Section,
};
use shared::liveness::ChallengeId;
use shared::{FieldError, UserError};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 2, 14).expect("date")
}

const CHALLENGE: &str = "0123456789abcdef0123456789abcdef";

/// Seed 000's 信息确认 screen for 陈松, with 所在支部 filled in (the seed's screenshot shows it
/// blank; see `seed_sample_with_blank_branch_only_misses_the_branch`). The ID and phone numbers
/// are masked in the seed; these are valid numbers with the seed's visible prefixes.
fn chen_song() -> Value {
    json!({
        "basic": {
            "name": "陈松",
            "id_number": "110101195203150018",
            "id_front_photo": "upload-front-0001",
            "id_back_photo": "upload-back-0001",
            "political_status": "party_member",
            "phone": "13312345678",
            "emergency_contact_name": "张三",
            "emergency_contact_phone": "15812345678",
            "placement_region": "110101",
            "residence_region": "110101",
            "residence_address": "北京市/东城区",
            "foreign_nationality": false,
            "social_organization": false,
            "living_difficulty": false
        },
        "party": {
            "is_member": true,
            "branch": "东城区退役军人服务站党支部",
            "branch_phone": "14712345678",
            "attends_party_life": true,
            "dues_paid": "200",
            "evaluation": "excellent"
        },
        "rewards": {
            "rewarded": true,
            "award_name": "三等功",
            "award_unit": "1",
            "party_discipline": false,
            "criminal_penalty": false
        }
    })
}

fn draft(v: Value) -> ReviewFormDraft {
    serde_json::from_value(v).expect("draft JSON")
}

/// `v` with `path` (e.g. `basic.phone`) set to `value`.
fn set(mut v: Value, path: &str, value: Value) -> Value {
    let (section, key) = path.split_once('.').expect("dotted path");
    v[section][key] = value;
    v
}

/// `v` with a whole section replaced.
fn set_section(mut v: Value, section: &str, value: Value) -> Value {
    v[section] = value;
    v
}

/// `v` without `path`.
fn without(mut v: Value, path: &str) -> Value {
    let (section, key) = path.split_once('.').expect("dotted path");
    if let Some(obj) = v[section].as_object_mut() {
        obj.remove(key);
    }
    v
}

fn errors(v: Value) -> Vec<FieldError> {
    draft(v)
        .validate(today())
        .expect_err("draft must be invalid")
}

fn paths(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

fn valid(v: Value) -> ReviewForm {
    draft(v)
        .validate(today())
        .unwrap_or_else(|e| panic!("draft must be valid: {e:?}"))
}

#[test]
fn seed_sample_parses() {
    let form = valid(chen_song());
    let b = form.basic();
    assert_eq!(b.name.as_str(), "陈松");
    assert_eq!(b.id_number.as_str(), "110101195203150018");
    assert_eq!(b.political_status, PoliticalStatus::PartyMember);
    assert_eq!(b.phone.as_str(), "13312345678");
    assert_eq!(b.emergency_contact_name.as_str(), "张三");
    assert!(matches!(b.emergency_contact_phone, ContactPhone::Mobile(_)));
    assert_eq!(b.placement_region.full_name(), "北京市/东城区");
    assert_eq!(b.residence_region.full_name(), "北京市/东城区");
    assert_eq!(b.residence_address.as_str(), "北京市/东城区");
    assert!(!b.foreign_nationality && !b.social_organization && !b.living_difficulty);
    let PartyInfo::Member(party) = form.party() else {
        panic!("陈松 is a party member")
    };
    assert_eq!(party.dues_paid.fen(), 20_000);
    assert_eq!(party.evaluation, Evaluation::Excellent);
    assert!(party.attends_party_life);
    let award = form.rewards().award.as_ref().expect("三等功");
    assert_eq!(award.name.as_str(), "三等功");
    assert_eq!(award.unit.as_str(), "1");
    assert!(form.rewards().party_discipline.is_none());
    assert!(form.rewards().criminal_penalty.is_none());
    assert!(form.verification().liveness_challenge_id.is_none());

    // The values as 信息确认 shows them.
    let shown: Vec<(&str, Option<String>)> = fields()
        .iter()
        .map(|f| f.label_zh)
        .zip(form.display_values())
        .collect();
    let get = |label: &str| {
        shown
            .iter()
            .find(|(l, _)| *l == label)
            .and_then(|(_, v)| v.clone())
    };
    assert_eq!(get("政治面貌").as_deref(), Some("中共党员"));
    assert_eq!(get("安置地").as_deref(), Some("北京市/东城区"));
    assert_eq!(get("是否加入外国籍").as_deref(), Some("否"));
    assert_eq!(get("是否为党员").as_deref(), Some("是"));
    assert_eq!(get("上年度党员民主评议结果").as_deref(), Some("优秀"));
    assert_eq!(get("奖励名称").as_deref(), Some("三等功"));
    assert_eq!(get("上年度是否受过刑事处罚").as_deref(), Some("否"));
    assert_eq!(get("刑事处罚情况"), None);
}

#[test]
fn seed_sample_with_blank_branch_only_misses_the_branch() {
    let errs = errors(set(chen_song(), "party.branch", json!("")));
    assert_eq!(
        errs,
        vec![FieldError::new(
            "party.branch",
            "required",
            "请输入所在支部"
        )]
    );
}

#[test]
fn second_seed_address_and_labels_accepted() {
    // The 基本信息 screenshot's address, and choices given by their Chinese labels.
    let v = set(
        chen_song(),
        "basic.residence_address",
        json!("辽宁省大连市甘井子区百合湾11号楼3单元5-2"),
    );
    let v = set(v, "basic.residence_region", json!("210211"));
    let v = set(v, "basic.political_status", json!("中共党员"));
    let v = set(v, "party.evaluation", json!("基本合格"));
    let form = valid(v);
    assert_eq!(
        form.basic().residence_region.full_name(),
        "辽宁省/大连市/甘井子区"
    );
    let PartyInfo::Member(p) = form.party() else {
        panic!("member")
    };
    assert_eq!(p.evaluation, Evaluation::BasicallyQualified);
}

#[test]
fn empty_draft_reports_every_always_required_field_once() {
    let errs = ReviewFormDraft::default().validate(today()).unwrap_err();
    let expected: Vec<&str> = fields()
        .iter()
        .filter(|f| f.required == RequiredWhen::Always)
        .map(|f| f.path)
        .collect();
    assert_eq!(
        expected.len(),
        18,
        "14 basic + is_member + 3 reward questions"
    );
    assert_eq!(paths(&errs), expected);
    for e in &errs {
        assert_eq!(e.code, "required", "{}", e.field);
        assert_eq!(e.message, field(&e.field).unwrap().required_message_zh);
    }
    assert!(errs.iter().any(|e| e.message == "请输入手机号码"));
    assert!(errs.iter().any(|e| e.message == "请选择现住地"));
}

#[test]
fn each_required_field_missing_gives_exactly_its_error() {
    for spec in fields()
        .iter()
        .filter(|f| f.required != RequiredWhen::AtSubmission)
    {
        for blank in [None, Some(json!("")), Some(json!("  "))] {
            let v = match &blank {
                None => without(chen_song(), spec.path),
                Some(b) if b.is_string() && spec.input != shared::form::InputKind::YesNo => {
                    set(chen_song(), spec.path, b.clone())
                }
                Some(_) => continue,
            };
            // Fields that do not apply to 陈松 (punishment details) are not required.
            let applies = !matches!(
                spec.required,
                RequiredWhen::PartyDisciplined | RequiredWhen::CriminallyPunished
            );
            let result = draft(v).validate(today());
            if applies {
                let errs = result.expect_err(spec.path);
                assert_eq!(paths(&errs), vec![spec.path], "{blank:?}");
                assert_eq!(errs[0].code, "required");
                assert_eq!(errs[0].message, spec.required_message_zh);
            } else {
                assert!(result.is_ok(), "{} is not required for 陈松", spec.path);
            }
        }
    }
}

#[test]
fn non_members_party_fields_are_ignored_and_dropped() {
    let mut v = set(chen_song(), "basic.political_status", json!("masses"));
    v = set(v, "party.is_member", json!(false));
    // Stale or even invalid party answers do not block a non-member.
    v = set(v, "party.branch_phone", json!("not a phone"));
    v = set(v, "party.dues_paid", json!("-5"));
    v = set(v, "party.evaluation", json!("???"));
    let form = valid(v);
    assert_eq!(form.party(), &PartyInfo::NotMember);
    let back = serde_json::to_value(form.to_draft()).unwrap();
    assert_eq!(back["party"], json!({"is_member": false}));
}

#[test]
fn members_need_every_party_field() {
    let mut v = chen_song();
    v["party"] = json!({"is_member": true});
    let errs = errors(v);
    assert_eq!(
        paths(&errs),
        [
            "party.branch",
            "party.branch_phone",
            "party.attends_party_life",
            "party.dues_paid",
            "party.evaluation"
        ]
    );
    // Probationary members too.
    let mut v = set(
        chen_song(),
        "basic.political_status",
        json!("probationary_party_member"),
    );
    assert!(draft(v.clone()).validate(today()).is_ok());
    v["party"] = json!({"is_member": true});
    assert_eq!(errors(v).len(), 5);
}

#[test]
fn membership_must_agree_with_political_status() {
    for status in PoliticalStatus::ALL {
        for answer in [true, false] {
            let mut v = set(
                chen_song(),
                "basic.political_status",
                json!(status.as_str()),
            );
            v = set(v, "party.is_member", json!(answer));
            let result = draft(v).validate(today());
            if answer == status.is_party_member() {
                assert!(result.is_ok(), "{status:?} / {answer}");
            } else {
                let errs = result.expect_err("mismatch");
                assert_eq!(paths(&errs), ["party.is_member"], "{status:?} / {answer}");
                assert_eq!(errs[0].code, "party_member_mismatch");
                assert!(errs[0].message.contains("政治面貌"));
            }
        }
    }
    let members: Vec<_> = PoliticalStatus::ALL
        .into_iter()
        .filter(|s| s.is_party_member())
        .collect();
    assert_eq!(
        members,
        [
            PoliticalStatus::PartyMember,
            PoliticalStatus::ProbationaryPartyMember
        ]
    );
}

#[test]
fn missing_membership_answer_still_checks_party_fields_by_political_status() {
    let mut v = without(chen_song(), "party.is_member");
    v = without(v, "party.dues_paid");
    assert_eq!(paths(&errors(v)), ["party.is_member", "party.dues_paid"]);
}

#[test]
fn award_name_and_unit_required_only_when_rewarded() {
    let v = without(
        without(chen_song(), "rewards.award_name"),
        "rewards.award_unit",
    );
    let errs = errors(v.clone());
    assert_eq!(paths(&errs), ["rewards.award_name", "rewards.award_unit"]);
    assert_eq!(errs[0].message, "请输入奖励名称");
    assert_eq!(errs[1].message, "请输入奖励单位");

    let form = valid(set(v, "rewards.rewarded", json!(false)));
    assert!(form.rewards().award.is_none());
    // Leftover award text is dropped when not rewarded.
    let form = valid(set(chen_song(), "rewards.rewarded", json!(false)));
    assert!(form.rewards().award.is_none());
    assert!(form.to_draft().rewards.award_name.is_none());
}

#[test]
fn punishment_details_required_only_when_punished() {
    for (flag, details, message) in [
        (
            "rewards.party_discipline",
            "rewards.party_discipline_details",
            "请输入党纪处分情况",
        ),
        (
            "rewards.criminal_penalty",
            "rewards.criminal_penalty_details",
            "请输入刑事处罚情况",
        ),
    ] {
        let errs = errors(set(chen_song(), flag, json!(true)));
        assert_eq!(errs, vec![FieldError::new(details, "required", message)]);

        let v = set(
            set(chen_song(), flag, json!(true)),
            details,
            json!("2024年3月\n警告处分"),
        );
        let form = valid(v);
        let got = if flag.ends_with("discipline") {
            form.rewards().party_discipline.clone()
        } else {
            form.rewards().criminal_penalty.clone()
        };
        assert_eq!(
            got.map(|t| t.as_str().to_owned()).as_deref(),
            Some("2024年3月\n警告处分")
        );

        let form = valid(set(chen_song(), details, json!("已撤销")));
        assert!(
            form.rewards().party_discipline.is_none() && form.rewards().criminal_penalty.is_none()
        );
    }
}

#[test]
fn invalid_values_carry_the_parsers_codes() {
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        (
            "basic.id_number",
            json!("110101195203150019"),
            Some("id_number_checksum"),
        ),
        (
            "basic.id_number",
            json!("11010119520315001"),
            Some("id_number_length"),
        ),
        (
            "basic.political_status",
            json!("party"),
            Some("political_status_invalid"),
        ),
        (
            "basic.placement_region",
            json!("110100"),
            Some("region_unknown"),
        ),
        (
            "basic.placement_region",
            json!("11010"),
            Some("region_code_format"),
        ),
        (
            "basic.residence_region",
            json!("110000"),
            Some("region_incomplete"),
        ),
        (
            "basic.residence_region",
            json!("210200"),
            Some("region_incomplete"),
        ),
        (
            "basic.residence_address",
            json!("地".repeat(101)),
            Some("text_too_long"),
        ),
        (
            "basic.residence_address",
            json!("北京\u{7}"),
            Some("text_invalid_chars"),
        ),
        (
            "basic.id_front_photo",
            json!("../../etc/passwd"),
            Some("reference_invalid"),
        ),
        (
            "party.evaluation",
            json!("good"),
            Some("evaluation_invalid"),
        ),
        (
            "party.branch_phone",
            json!("65432100"),
            Some("landline_missing_area_code"),
        ),
        (
            "party.branch_phone",
            json!("010-1234567"),
            Some("landline_local_number"),
        ),
        (
            "party.branch",
            json!("支".repeat(51)),
            Some("text_too_long"),
        ),
        ("basic.phone", json!("12345"), None),
        ("basic.phone", json!("010-62345678"), None),
        ("basic.name", json!("Chen Song 1"), None),
        (
            "basic.emergency_contact_phone",
            json!("abc"),
            Some("contact_phone_chars"),
        ),
        ("party.dues_paid", json!("-1"), None),
        ("party.dues_paid", json!("1.234"), None),
        ("verification.liveness_challenge_id", json!("not-hex"), None),
    ];
    for (path, value, code) in cases {
        let errs = errors(set(chen_song(), path, value.clone()));
        assert_eq!(paths(&errs), [path], "{path} = {value}");
        let e = &errs[0];
        assert_ne!(e.code, "required", "{path}");
        if let Some(code) = code {
            assert_eq!(e.code, code, "{path} = {value}");
        }
        assert!(!e.message.is_empty());
        // Messages never echo the rejected value.
        if let Some(s) = value.as_str() {
            assert!(
                s.chars().count() < 4 || !e.message.contains(s),
                "{path}: {}",
                e.message
            );
        }
    }
    let errs = errors(set(
        chen_song(),
        "basic.residence_address",
        json!("地".repeat(101)),
    ));
    assert_eq!(errs[0].message, "现住地具体地址不能超过100个字");
}

#[test]
fn many_errors_at_once_in_screen_order() {
    let mut v = chen_song();
    v = set(v, "rewards.award_unit", json!(""));
    v = set(v, "basic.phone", json!("123"));
    v = without(v, "basic.living_difficulty");
    v = set(v, "party.dues_paid", json!("abc"));
    v = set(v, "basic.residence_region", json!("999999"));
    let errs = errors(v);
    assert_eq!(
        paths(&errs),
        [
            "basic.phone",
            "basic.residence_region",
            "basic.living_difficulty",
            "party.dues_paid",
            "rewards.award_unit"
        ]
    );
}

#[test]
fn regions_without_districts_and_landlines_are_accepted() {
    // 东莞市 has no districts: the city is the lowest level.
    let v = set(chen_song(), "basic.residence_region", json!("441900"));
    let v = set(v, "basic.emergency_contact_phone", json!("(010) 6234-5678"));
    let v = set(v, "party.branch_phone", json!("0411-84712345"));
    let form = valid(v);
    assert_eq!(form.basic().residence_region.full_name(), "广东省/东莞市");
    assert_eq!(
        form.basic().emergency_contact_phone.to_string(),
        "010-62345678"
    );
    let PartyInfo::Member(p) = form.party() else {
        panic!("member")
    };
    assert_eq!(p.branch_phone.to_string(), "0411-84712345");
}

#[test]
fn contact_phone_forms() {
    let ok = [
        ("010-62345678", "010-62345678"),
        ("01062345678", "010-62345678"),
        ("(010)62345678", "010-62345678"),
        ("（010）62345678", "010-62345678"),
        ("021 5123 4567", "021-51234567"),
        ("0411-8123456", "0411-8123456"),
        ("041184712345", "0411-84712345"),
        ("０１０－６２３４５６７８", "010-62345678"),
    ];
    for (input, shown) in ok {
        let p = ContactPhone::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert!(matches!(p, ContactPhone::Landline(_)), "{input}");
        assert_eq!(p.to_string(), shown);
        assert_eq!(
            ContactPhone::parse(&p.to_string()).unwrap(),
            p,
            "round trip {input}"
        );
    }
    let landline = ContactPhone::parse("010-62345678").unwrap();
    assert_eq!(landline.masked(), "010-****5678");
    assert!(!format!("{landline:?}").contains("62345678"));
    assert_eq!(
        serde_json::to_value(&landline).unwrap(),
        json!("010-62345678")
    );

    let mobile = ContactPhone::parse("+86 147 1234 5678").unwrap();
    assert!(matches!(mobile, ContactPhone::Mobile(_)));
    assert_eq!(ContactPhone::parse("147-1234-5678").unwrap(), mobile);
    assert_eq!(ContactPhone::parse("0086 147 1234 5678").unwrap(), mobile);
    assert_eq!(ContactPhone::parse("8614712345678").unwrap(), mobile);
    assert_eq!(
        ContactPhone::parse("１４７１２３４５６７８").unwrap(),
        mobile
    );

    let bad = [
        ("", "contact_phone_empty"),
        ("   ", "contact_phone_empty"),
        ("010-6234567a", "contact_phone_chars"),
        ("010转62345678", "contact_phone_chars"),
        ("---", "contact_phone_chars"),
        ("62345678", "landline_missing_area_code"),
        ("011-62345678", "landline_area_code"),
        ("00-62345678", "landline_area_code"),
        ("0", "landline_area_code"),
        ("+86 010 62345678", "landline_area_code"),
        ("010-12345678", "landline_local_number"),
        ("010-02345678", "landline_local_number"),
        ("010-623456", "landline_local_number"),
        ("010-623456789", "landline_local_number"),
        ("0411-62345", "landline_local_number"),
    ];
    for (input, code) in bad {
        let e = ContactPhone::parse(input).unwrap_err();
        assert_eq!(e.code(), code, "{input:?}");
        assert!(!e.message().is_empty());
    }
    // A number starting with 1 is judged by the mobile parser, with its own code.
    let e = ContactPhone::parse("12345").unwrap_err();
    assert!(!e.code().starts_with("landline") && !e.code().starts_with("contact"));
}

#[test]
fn draft_serde_round_trips_and_uses_field_paths() {
    let full = draft(chen_song());
    let json = serde_json::to_string(&full).unwrap();
    assert_eq!(
        serde_json::from_str::<ReviewFormDraft>(&json).unwrap(),
        full
    );
    assert_eq!(
        serde_json::to_value(&full).unwrap(),
        set_section(chen_song(), "verification", json!({})),
        "absent fields are left out"
    );

    // Partial drafts, unknown fields and an empty object load.
    let partial: ReviewFormDraft =
        serde_json::from_str(r#"{"basic":{"name":"陈","phone":"133"},"future_section":{"x":1}}"#)
            .unwrap();
    assert_eq!(partial.basic.name.as_deref(), Some("陈"));
    assert_eq!(partial.party, Default::default());
    let back: ReviewFormDraft =
        serde_json::from_value(serde_json::to_value(&partial).unwrap()).unwrap();
    assert_eq!(back, partial);
    assert_eq!(
        serde_json::from_str::<ReviewFormDraft>("{}").unwrap(),
        ReviewFormDraft::default()
    );
    assert_eq!(
        serde_json::to_value(ReviewFormDraft::default()).unwrap(),
        json!({"basic":{},"party":{},"rewards":{},"verification":{}})
    );
}

#[test]
fn every_field_path_is_a_draft_field() {
    let mut v = set(chen_song(), "rewards.party_discipline_details", json!("x"));
    v = set(v, "rewards.criminal_penalty_details", json!("x"));
    v = set(v, "verification.liveness_challenge_id", json!(CHALLENGE));
    // The JSON has exactly the fields listed by fields(), no more.
    let round: Value = serde_json::to_value(draft(v)).unwrap();
    let mut json_paths: Vec<String> = Vec::new();
    for (section, obj) in round.as_object().unwrap() {
        for key in obj.as_object().unwrap().keys() {
            json_paths.push(format!("{section}.{key}"));
        }
    }
    json_paths.sort();
    let mut spec_paths: Vec<String> = fields().iter().map(|f| f.path.to_owned()).collect();
    spec_paths.sort();
    assert_eq!(json_paths, spec_paths);
}

#[test]
fn field_labels_follow_seed_000() {
    let labels: Vec<(&str, &str)> = fields()
        .iter()
        .filter(|f| f.section != Section::Verification)
        .map(|f| (f.section.label_zh(), f.label_zh))
        .collect();
    let expected_basic = [
        "姓名",
        "身份证号",
        "身份证人像面",
        "身份证国徽面",
        "政治面貌",
        "手机号码",
        "紧急联系人姓名",
        "紧急联系人电话",
        "安置地",
        "现住地",
        "现住地具体地址",
        "是否加入外国籍",
        "是否加入社会组织",
        "是否存在生活困难",
    ];
    let expected_party = [
        "是否为党员",
        "所在支部",
        "支部联系电话",
        "是否按规定参加党组织生活",
        "上年度交纳党费数额(元)",
        "上年度党员民主评议结果",
    ];
    let got = |section: &str| -> Vec<&str> {
        labels
            .iter()
            .filter(|(s, _)| *s == section)
            .map(|(_, l)| *l)
            .collect()
    };
    assert_eq!(got("基本信息"), expected_basic);
    assert_eq!(got("党组织生活情况"), expected_party);
    let rewards = got("奖惩情况");
    for label in [
        "上年度是否受过奖励",
        "奖励名称",
        "奖励单位",
        "上年度是否受过党纪处分",
        "上年度是否受过刑事处罚",
    ] {
        assert!(rewards.contains(&label), "{label}");
    }
    let mut unique: Vec<&str> = fields().iter().map(|f| f.path).collect();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), fields().len());
}

#[test]
fn to_draft_round_trips_and_prefill_drops_liveness() {
    let id = ChallengeId::parse(CHALLENGE).unwrap();
    let form = valid(chen_song()).with_liveness(id.clone());
    assert_eq!(form.to_draft().validate(today()).unwrap(), form);
    assert_eq!(ReviewFormDraft::from(&form), form.to_draft());
    let next = form.prefill_next_year();
    assert!(next.verification.liveness_challenge_id.is_none());
    assert_eq!(next.basic, form.to_draft().basic);
    assert_eq!(
        next.validate(today())
            .unwrap()
            .verification()
            .liveness_challenge_id,
        None
    );
}

#[test]
fn submission_needs_the_liveness_reference() {
    let form = valid(chen_song());
    let errs = form.check_submittable().unwrap_err();
    assert_eq!(
        errs,
        vec![FieldError::new(
            "verification.liveness_challenge_id",
            "required",
            "请完成身份核验"
        )]
    );
    let form = valid(set(
        chen_song(),
        "verification.liveness_challenge_id",
        json!(CHALLENGE),
    ));
    assert!(form.check_submittable().is_ok());
}

#[test]
fn validate_section_reports_only_that_step() {
    let mut v = set(chen_song(), "basic.phone", json!(""));
    v = set(v, "party.dues_paid", json!(""));
    v = set(v, "rewards.award_name", json!(""));
    let d = draft(v);
    let only = |s| {
        paths(&d.validate_section(s, today()))
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(only(Section::Basic), ["basic.phone"]);
    assert_eq!(only(Section::Party), ["party.dues_paid"]);
    assert_eq!(only(Section::Rewards), ["rewards.award_name"]);
    assert!(only(Section::Verification).is_empty());
    assert!(draft(chen_song())
        .validate_section(Section::Basic, today())
        .is_empty());
}

#[test]
fn diff_lists_changed_fields_with_labels() {
    let last_year = valid(chen_song());
    assert!(diff(&last_year, &last_year).is_empty());

    let mut v = set(chen_song(), "basic.phone", json!("13912345678"));
    v = set(v, "basic.residence_region", json!("210211"));
    v = set(v, "rewards.rewarded", json!(false));
    let this_year = valid(v);
    let changes = diff(&last_year, &this_year);
    let summary: Vec<(&str, Option<&str>, Option<&str>)> = changes
        .iter()
        .map(|c| (c.label_zh, c.before.as_deref(), c.after.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            ("手机号码", Some("13312345678"), Some("13912345678")),
            (
                "现住地",
                Some("北京市/东城区"),
                Some("辽宁省/大连市/甘井子区")
            ),
            ("上年度是否受过奖励", Some("是"), Some("否")),
            ("奖励名称", Some("三等功"), None),
            ("奖励单位", Some("1"), None),
        ]
    );
    assert_eq!(changes[0].path, "basic.phone");
    assert_eq!(changes[0].section, Section::Basic);
    assert!(
        !format!("{changes:?}").contains("13912345678"),
        "Debug hides values"
    );
}

#[test]
fn draft_debug_hides_personal_data() {
    let d = draft(chen_song());
    let debug = format!("{d:?}");
    for secret in [
        "陈松",
        "110101195203150018",
        "13312345678",
        "张三",
        "15812345678",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked: {debug}");
    }
    assert!(debug.contains("<filled>"));
    let form_debug = format!("{:?}", valid(chen_song()));
    for secret in [
        "110101195203150018",
        "13312345678",
        "15812345678",
        "14712345678",
    ] {
        assert!(!form_debug.contains(secret), "{secret} leaked");
    }
}

fn arb_text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        ".{0,40}".prop_map(Some),
        "[0-9Xx -]{0,20}".prop_map(Some),
        "[0-9０-９()（）+ -]{0,16}".prop_map(Some),
        proptest::sample::select(vec![
            "陈松",
            "110101195203150018",
            "13312345678",
            "010-62345678",
            "110101",
            "441900",
            "110000",
            "party_member",
            "masses",
            "excellent",
            "200",
            "200.50",
            "-1",
            "upload-1",
            CHALLENGE,
        ])
        .prop_map(|s| Some(s.to_owned())),
    ]
}

fn arb_flag() -> impl Strategy<Value = Option<bool>> {
    proptest::option::of(any::<bool>())
}

/// A draft with any mix of valid, invalid and missing fields, starting from the seed sample.
fn arb_draft() -> impl Strategy<Value = ReviewFormDraft> {
    let texts = proptest::collection::vec(arb_text(), 20);
    let flags = proptest::collection::vec(arb_flag(), 8);
    let keep = proptest::collection::vec(any::<bool>(), 28);
    (texts, flags, keep).prop_map(|(texts, flags, keep)| {
        let mut d = draft(chen_song());
        let mut t = texts.into_iter();
        let mut f = flags.into_iter();
        let mut k = keep.into_iter();
        let mut text = |slot: &mut Option<String>| {
            if !k.next().unwrap_or(true) {
                *slot = t.next().flatten();
            }
        };
        let b = &mut d.basic;
        for slot in [
            &mut b.name,
            &mut b.id_number,
            &mut b.id_front_photo,
            &mut b.id_back_photo,
            &mut b.political_status,
            &mut b.phone,
            &mut b.emergency_contact_name,
            &mut b.emergency_contact_phone,
            &mut b.placement_region,
            &mut b.residence_region,
            &mut b.residence_address,
        ] {
            text(slot);
        }
        let p = &mut d.party;
        for slot in [
            &mut p.branch,
            &mut p.branch_phone,
            &mut p.dues_paid,
            &mut p.evaluation,
        ] {
            text(slot);
        }
        let r = &mut d.rewards;
        for slot in [
            &mut r.award_name,
            &mut r.award_unit,
            &mut r.party_discipline_details,
            &mut r.criminal_penalty_details,
        ] {
            text(slot);
        }
        text(&mut d.verification.liveness_challenge_id);
        let mut flag = |slot: &mut Option<bool>| {
            if let Some(v) = f.next() {
                if v != Some(true) || slot.is_none() {
                    *slot = v;
                }
            }
        };
        flag(&mut d.basic.foreign_nationality);
        flag(&mut d.basic.living_difficulty);
        flag(&mut d.party.is_member);
        flag(&mut d.party.attends_party_life);
        flag(&mut d.rewards.rewarded);
        flag(&mut d.rewards.party_discipline);
        flag(&mut d.rewards.criminal_penalty);
        flag(&mut d.basic.social_organization);
        d
    })
}

proptest! {
    #[test]
    fn validate_never_panics_and_valid_forms_round_trip(d in arb_draft()) {
        match d.validate(today()) {
            Ok(form) => {
                prop_assert_eq!(form.to_draft().validate(today()), Ok(form.clone()));
                prop_assert_eq!(form.display_values().len(), fields().len());
            }
            Err(errs) => {
                prop_assert!(!errs.is_empty());
                for e in &errs {
                    prop_assert!(field(&e.field).is_some(), "unknown path {}", e.field);
                    prop_assert!(!e.code.is_empty() && !e.message.is_empty());
                }
                // At most one error per field.
                let mut p: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
                let n = p.len();
                p.sort_unstable();
                p.dedup();
                prop_assert_eq!(p.len(), n);
            }
        }
    }

    #[test]
    fn validate_never_panics_on_arbitrary_json_strings(
        texts in proptest::collection::vec(proptest::option::of(".{0,30}"), 20),
        flags in proptest::collection::vec(arb_flag(), 8),
    ) {
        let mut d = ReviewFormDraft::default();
        let mut t = texts.into_iter().flatten();
        d.basic.name = t.next();
        d.basic.id_number = t.next();
        d.basic.phone = t.next();
        d.basic.political_status = t.next();
        d.basic.placement_region = t.next();
        d.basic.residence_region = t.next();
        d.basic.residence_address = t.next();
        d.basic.emergency_contact_phone = t.next();
        d.party.branch_phone = t.next();
        d.party.dues_paid = t.next();
        d.party.evaluation = t.next();
        d.rewards.award_name = t.next();
        d.verification.liveness_challenge_id = t.next();
        d.party.is_member = flags.first().copied().flatten();
        d.rewards.rewarded = flags.get(1).copied().flatten();
        d.rewards.party_discipline = flags.get(2).copied().flatten();
        let _ = d.validate(today());
        let _ = format!("{d:?}");
    }
}
