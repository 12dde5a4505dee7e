//! Demo mode's seed: a small roster (two people of each category — one registered, one left for
//! trying registration — and two more elderly people without accounts), two community workers
//! (one for door-to-door visits in 310104), a reviewer and an admin. All fake: the ID numbers
//! are computed with valid check digits for made-up people, the phones are made up. Seeding is
//! idempotent (same people every run; existing rows are kept).

use chrono::NaiveDate;
use serde_json::json;
use shared::api::accounts::Role;
use shared::category::Category;
use shared::form::{BasicDraft, PartyDraft, ReviewFormDraft, RewardsDraft, VerificationDraft};

use crate::state::AppState;
use crate::store::{NewUser, RosterRecord};
use crate::tokens;

/// Password of every seeded account (fake; printed on start in demo mode).
pub const DEMO_PASSWORD: &str = "Zhanyou2025";

/// ISO 7064 MOD 11-2 check character of the 17 body digits of a 身份证号.
pub fn id_check_char(body17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    if body17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in body17.chars().zip(WEIGHTS) {
        sum += c.to_digit(10)? * w;
    }
    CHECK.get((sum % 11) as usize).map(|&b| char::from(b))
}

/// A 身份证号 for `district`, born on `birth`, with sequence `seq` (0..=999; odd = male).
pub fn make_id_number(district: &str, birth: NaiveDate, seq: u32) -> Option<String> {
    let body = format!("{district}{}{:03}", birth.format("%Y%m%d"), seq % 1000);
    let check = id_check_char(&body)?;
    Some(format!("{body}{check}"))
}

/// The people the demo's identity service ([`crate::identity::ListVerifier`]) knows, as
/// (document kind, number, name): 个人用户 registering with these pass real-name verification;
/// the same number under another name fails.
pub fn demo_identities() -> Vec<(shared::id::DocumentKind, String, String)> {
    let birth = NaiveDate::from_ymd_opt(1985, 6, 1).unwrap_or_default();
    let mut out = Vec::new();
    if let Some(id) = make_id_number("110101", birth, 123) {
        out.push((
            shared::id::DocumentKind::ResidentIdCard,
            id,
            "王家属".to_owned(),
        ));
    }
    out.push((
        shared::id::DocumentKind::MainlandHkMacaoPermit,
        "C12345678".to_owned(),
        "陈港生".to_owned(),
    ));
    out
}

/// One seeded login, for printing.
pub struct DemoLogin {
    pub role: Role,
    pub label: String,
    pub phone: String,
    pub id_number: Option<String>,
    pub name: String,
    pub registered: bool,
    /// 身份证有效期 to enter when registering, e.g. `2020-06-01 至 长期有效`.
    pub validity: Option<String>,
}

/// The ID card validity the demo assumes for someone born in `year`: issued 2020 (long-term,
/// issued at 45+) for the older ones, a 20-year card issued 2015 for the younger ones.
fn demo_validity(year: i32) -> (Option<NaiveDate>, Option<NaiveDate>) {
    if year < 1975 {
        (NaiveDate::from_ymd_opt(2020, 6, 1), None)
    } else {
        (
            NaiveDate::from_ymd_opt(2015, 6, 1),
            NaiveDate::from_ymd_opt(2035, 6, 1),
        )
    }
}

struct Person {
    name: &'static str,
    category: Category,
    district: &'static str,
    birth: (i32, u32, u32),
    male: bool,
    registered: bool,
}

const PEOPLE: &[Person] = &[
    Person {
        name: "陈松",
        category: Category::SelfEmployedOfficer,
        district: "110101",
        birth: (1968, 5, 12),
        male: true,
        registered: true,
    },
    Person {
        name: "马建军",
        category: Category::SelfEmployedOfficer,
        district: "210211",
        birth: (1971, 9, 3),
        male: true,
        registered: false,
    },
    Person {
        name: "王德胜",
        category: Category::MilitaryRetiree,
        district: "110101",
        birth: (1946, 2, 20),
        male: true,
        registered: true,
    },
    Person {
        name: "刘桂兰",
        category: Category::MilitaryRetiree,
        district: "310104",
        birth: (1950, 11, 8),
        male: false,
        registered: false,
    },
    Person {
        name: "张磊",
        category: Category::MonthlyPensionVeteran,
        district: "110105",
        birth: (1985, 7, 30),
        male: true,
        registered: true,
    },
    Person {
        name: "李晓东",
        category: Category::MonthlyPensionVeteran,
        district: "440106",
        birth: (1988, 1, 15),
        male: true,
        registered: false,
    },
    Person {
        name: "赵淑芬",
        category: Category::NonMilitaryRetiree,
        district: "110101",
        birth: (1952, 4, 2),
        male: false,
        registered: true,
    },
    Person {
        name: "孙国庆",
        category: Category::NonMilitaryRetiree,
        district: "210211",
        birth: (1949, 10, 1),
        male: true,
        registered: false,
    },
    Person {
        name: "周大山",
        category: Category::EntitledGroup,
        district: "110105",
        birth: (1940, 8, 1),
        male: true,
        registered: true,
    },
    Person {
        name: "吴秀英",
        category: Category::EntitledGroup,
        district: "310104",
        birth: (1945, 3, 18),
        male: false,
        registered: false,
    },
    // Two more elderly people of 310104 without an account: the door-to-door staff member's
    // (上门服务) people, with 刘桂兰 and 吴秀英.
    Person {
        name: "钱振华",
        category: Category::EntitledGroup,
        district: "310104",
        birth: (1936, 6, 6),
        male: true,
        registered: false,
    },
    Person {
        name: "何淑珍",
        category: Category::MilitaryRetiree,
        district: "310104",
        birth: (1939, 12, 24),
        male: false,
        registered: false,
    },
];

/// Last year's accepted review of a demo person (for prefill): `{"year", "status", "form"}` with
/// `form` a [`ReviewFormDraft`] that validates (a unit test checks it).
fn last_review(p: &Person, phone: &str, id_number: &str, year: i32) -> String {
    let form = last_year_form(p.name, id_number, phone, p.district);
    last_review_json(&form, year)
}

/// The accepted form of last year the demo gives a person (中共党员, living and placed in
/// `district`), for prefill; it validates. Also what tests enroll people with.
pub fn last_year_form(name: &str, id_number: &str, phone: &str, district: &str) -> ReviewFormDraft {
    ReviewFormDraft {
        basic: BasicDraft {
            name: Some(name.to_owned()),
            id_number: Some(id_number.to_owned()),
            id_front_photo: Some("demo-id-front".to_owned()),
            id_back_photo: Some("demo-id-back".to_owned()),
            political_status: Some("party_member".to_owned()),
            phone: Some(phone.to_owned()),
            emergency_contact_name: Some("张三".to_owned()),
            emergency_contact_phone: Some("15800000000".to_owned()),
            placement_region: Some(district.to_owned()),
            residence_region: Some(district.to_owned()),
            residence_address: Some("幸福路1号院2号楼3单元401".to_owned()),
            foreign_nationality: Some(false),
            social_organization: Some(false),
            living_difficulty: Some(false),
        },
        party: PartyDraft {
            is_member: Some(true),
            branch: Some("第一党支部".to_owned()),
            branch_phone: Some("010-65000000".to_owned()),
            attends_party_life: Some(true),
            dues_paid: Some("200".to_owned()),
            evaluation: Some("excellent".to_owned()),
        },
        rewards: RewardsDraft {
            rewarded: Some(false),
            party_discipline: Some(false),
            criminal_penalty: Some(false),
            ..RewardsDraft::default()
        },
        verification: VerificationDraft::default(),
    }
}

/// The roster's `last_review` (`{"year", "status": "approved", "form"}`) for `form`.
pub fn last_review_json(form: &ReviewFormDraft, year: i32) -> String {
    json!({"year": year, "status": "approved", "form": form}).to_string()
}

/// Seeds the demo roster and accounts. Returns the logins to print.
pub async fn seed(st: &AppState) -> Result<Vec<DemoLogin>, crate::error::ApiError> {
    let now = st.clock.unix();
    let year = chrono::Datelike::year(&st.clock.today_cn());
    let hash = st.passwords.hash(DEMO_PASSWORD).await?;
    let mut logins = Vec::new();
    for (i, p) in PEOPLE.iter().enumerate() {
        let i = i as u32;
        let birth = NaiveDate::from_ymd_opt(p.birth.0, p.birth.1, p.birth.2)
            .ok_or_else(|| crate::error::ApiError::internal("bad demo birth date"))?;
        // Sequence number: odd for men, even for women.
        let seq = 100 + 2 * i + u32::from(p.male);
        let id_number = make_id_number(p.district, birth, seq)
            .ok_or_else(|| crate::error::ApiError::internal("bad demo id"))?;
        let phone = format!("1390000{:04}", i + 1);
        let spare_phone = format!("1360000{:04}", i + 1);
        let record = RosterRecord {
            id: tokens::new_id(),
            name: p.name.to_owned(),
            id_number: id_number.clone(),
            phones: vec![phone.clone(), spare_phone],
            category: p.category.as_str().to_owned(),
            district: p.district.to_owned(),
            reference_photo: None,
            last_review: Some(last_review(p, &phone, &id_number, year - 1)),
        };
        let person_id = st.store.upsert_roster(&record, now).await?;
        if p.registered
            && st.store.user_for_person(&person_id).await?.is_none()
            && st.store.user_id_by_phone(&phone).await?.is_none()
        {
            let (from, to) = demo_validity(p.birth.0);
            st.store
                .insert_user(
                    &NewUser {
                        id: tokens::new_id(),
                        role: Role::Veteran,
                        person_id: Some(person_id),
                        name: p.name.to_owned(),
                        id_number: Some(id_number.clone()),
                        phone: phone.clone(),
                        password_hash: hash.clone(),
                        id_valid_from: from.map(|d| d.to_string()),
                        id_valid_to: to.map(|d| d.to_string()),
                        districts: vec![],
                    },
                    now,
                )
                .await?;
        }
        logins.push(DemoLogin {
            role: Role::Veteran,
            label: p.category.label_zh().to_owned(),
            phone,
            id_number: Some(id_number),
            name: p.name.to_owned(),
            registered: p.registered,
            validity: {
                let (from, to) = demo_validity(p.birth.0);
                from.map(|f| {
                    format!(
                        "{f} 至 {}",
                        to.map(|t| t.to_string())
                            .unwrap_or_else(|| "长期有效".to_owned())
                    )
                })
            },
        });
    }
    let staff: [(Role, &str, &str, &[&str]); 4] = [
        (
            Role::Staff,
            "社区工作人员",
            "13700000001",
            &["110101", "110105"],
        ),
        (
            Role::Reviewer,
            "审核人员",
            "13700000002",
            &["110101", "110105", "210211", "310104", "440106"],
        ),
        (Role::Admin, "管理员", "13700000003", &[]),
        // Door-to-door visits (上门认证) in 310104: four elderly people, none with an account.
        (Role::Staff, "上门服务工作人员", "13700000004", &["310104"]),
    ];
    let names = ["林小红", "黄审核", "管理员", "郑上门"];
    for ((role, label, phone, districts), name) in staff.into_iter().zip(names) {
        if st.store.user_id_by_phone(phone).await?.is_none() {
            st.store
                .insert_user(
                    &NewUser {
                        id: tokens::new_id(),
                        role,
                        person_id: None,
                        name: name.to_owned(),
                        id_number: None,
                        phone: phone.to_owned(),
                        password_hash: hash.clone(),
                        id_valid_from: None,
                        id_valid_to: None,
                        districts: districts.iter().map(|d| (*d).to_owned()).collect(),
                    },
                    now,
                )
                .await?;
        }
        logins.push(DemoLogin {
            role,
            label: label.to_owned(),
            phone: phone.to_owned(),
            id_number: None,
            name: name.to_owned(),
            registered: true,
            validity: None,
        });
    }
    Ok(logins)
}

/// The text printed on start in demo mode.
pub fn describe(logins: &[DemoLogin]) -> String {
    let mut s =
        String::from("Demo logins (all data is fake; password for every registered account: ");
    s.push_str(DEMO_PASSWORD);
    s.push_str(")\n");
    s.push_str(
        "  registered accounts — log in with the phone (or the ID number) and the password:\n",
    );
    for l in logins.iter().filter(|l| l.registered) {
        s.push_str(&format!(
            "    {:<8} {:<24} {}  phone {}{}\n",
            l.role.as_str(),
            l.label,
            l.name,
            l.phone,
            l.id_number
                .as_deref()
                .map(|n| format!("  ID {n}"))
                .unwrap_or_default()
        ));
    }
    s.push_str("  in the roster but not registered yet — try registration (SMS codes: GET /api/v1/dev/sms-outbox?phone=…):\n");
    for l in logins.iter().filter(|l| !l.registered) {
        s.push_str(&format!(
            "    {:<24} {}  phone {}  ID {}  valid {}\n",
            l.label,
            l.name,
            l.phone,
            l.id_number.as_deref().unwrap_or(""),
            l.validity.as_deref().unwrap_or("")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_characters_match_the_standard_examples() {
        // GB 11643-1999's examples.
        assert_eq!(id_check_char("11010519491231002"), Some('X'));
        assert_eq!(id_check_char("44052418800101001"), Some('4'));
        assert_eq!(id_check_char("4405241880010100"), None);
        assert_eq!(id_check_char("4405241880010100a"), None);
    }

    #[test]
    fn made_ids_parse_with_the_shared_parser() {
        let today = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        for (i, p) in PEOPLE.iter().enumerate() {
            let birth = NaiveDate::from_ymd_opt(p.birth.0, p.birth.1, p.birth.2).unwrap();
            let id =
                make_id_number(p.district, birth, 100 + 2 * i as u32 + u32::from(p.male)).unwrap();
            let parsed = shared::id::IdNumber::parse(&id, today).expect("valid demo id");
            assert_eq!(parsed.birth_date(), birth);
            assert_eq!(parsed.sex() == shared::id::Sex::Male, p.male);
        }
    }

    #[test]
    fn last_year_reviews_are_valid_forms() {
        let today = NaiveDate::from_ymd_opt(2025, 4, 1).unwrap();
        for (i, p) in PEOPLE.iter().enumerate() {
            let birth = NaiveDate::from_ymd_opt(p.birth.0, p.birth.1, p.birth.2).unwrap();
            let id =
                make_id_number(p.district, birth, 100 + 2 * i as u32 + u32::from(p.male)).unwrap();
            let json: serde_json::Value =
                serde_json::from_str(&last_review(p, "13900000001", &id, 2024)).unwrap();
            assert_eq!(json["year"], 2024);
            let draft: ReviewFormDraft = serde_json::from_value(json["form"].clone()).unwrap();
            let form = draft
                .validate(today)
                .unwrap_or_else(|e| panic!("{}: {e:?}", p.name));
            assert_eq!(form.basic().name.as_str(), p.name);
            assert_eq!(
                form.prefill_next_year().basic.id_number.as_deref(),
                Some(id.as_str())
            );
        }
    }
}
