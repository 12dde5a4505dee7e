//! A natural person's identity fields: sex (from the document where it says), 民族 (GB/T 3304),
//! and which fields re-run real-name verification when changed (seed 003 §4.1.2's table
//! "修改是否触发实名认证").

use serde::{Deserialize, Serialize};

use crate::error::UserError;
use crate::id::{DocumentKind, IdDocument};

pub use crate::id::Sex;

/// The fields of a person's identity record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityField {
    Name,
    Phone,
    IdentityRegion,
    DocumentKind,
    DocumentNumber,
    IdValidity,
    Sex,
    Ethnicity,
    BirthDate,
    Address,
}

impl IdentityField {
    pub const ALL: [IdentityField; 10] = [
        IdentityField::Name,
        IdentityField::Phone,
        IdentityField::IdentityRegion,
        IdentityField::DocumentKind,
        IdentityField::DocumentNumber,
        IdentityField::IdValidity,
        IdentityField::Sex,
        IdentityField::Ethnicity,
        IdentityField::BirthDate,
        IdentityField::Address,
    ];

    /// Whether changing it re-runs real-name verification (the seed's table: 姓名, 手机, 类型,
    /// 证件类型, 证件号码, 身份证有效期 do; the rest does not).
    pub fn triggers_verification(self) -> bool {
        matches!(
            self,
            IdentityField::Name
                | IdentityField::Phone
                | IdentityField::IdentityRegion
                | IdentityField::DocumentKind
                | IdentityField::DocumentNumber
                | IdentityField::IdValidity
        )
    }

    /// Whether a roster veteran may not change it in the app ("如需修改,请前往就近的退役军人服务中心(站)办理"):
    /// the roster is the record for these.
    pub fn locked_for_roster(self) -> bool {
        matches!(
            self,
            IdentityField::Name
                | IdentityField::IdentityRegion
                | IdentityField::DocumentKind
                | IdentityField::DocumentNumber
        )
    }

    /// The field's name as the JSON bodies spell it.
    pub fn name(self) -> &'static str {
        match self {
            IdentityField::Name => "name",
            IdentityField::Phone => "phone",
            IdentityField::IdentityRegion => "identity_region",
            IdentityField::DocumentKind => "document_kind",
            IdentityField::DocumentNumber => "document_number",
            IdentityField::IdValidity => "id_validity",
            IdentityField::Sex => "sex",
            IdentityField::Ethnicity => "ethnicity",
            IdentityField::BirthDate => "birth_date",
            IdentityField::Address => "address",
        }
    }
}

/// Whether an edit of `changed` fields re-runs verification.
pub fn triggers_verification(changed: &[IdentityField]) -> bool {
    changed.iter().any(|f| f.triggers_verification())
}

/// The sex a document's number encodes: the 身份证号's 17th digit, the 2017-form 外国人永久居留身份证's
/// last sequence digit (odd = male); `None` for the other kinds.
pub fn sex_of_document(doc: &IdDocument) -> Option<Sex> {
    if let Some(id) = doc.id_number() {
        return Some(id.sex());
    }
    let n = doc.as_str().as_bytes();
    if doc.kind() == DocumentKind::ForeignPermanentResidence && n.len() == 18 {
        let d = n[16];
        if d.is_ascii_digit() {
            return Some(if (d - b'0') % 2 == 1 {
                Sex::Male
            } else {
                Sex::Female
            });
        }
    }
    None
}

/// The sex given on a form, against the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SexError {
    #[error("sex required")]
    Empty,
    #[error("sex does not match the document")]
    Mismatch,
}

impl UserError for SexError {
    fn code(&self) -> &'static str {
        match self {
            SexError::Empty => "sex_empty",
            SexError::Mismatch => "sex_mismatch",
        }
    }

    fn message(&self) -> String {
        match self {
            SexError::Empty => "请选择性别".to_owned(),
            SexError::Mismatch => "性别与证件号码不一致".to_owned(),
        }
    }
}

/// The person's sex: the document's when it encodes one (a given one must agree), else the given
/// one, which is then required.
pub fn check_sex(doc: &IdDocument, given: Option<Sex>) -> Result<Sex, SexError> {
    match (sex_of_document(doc), given) {
        (Some(s), Some(g)) if s != g => Err(SexError::Mismatch),
        (Some(s), _) => Ok(s),
        (None, Some(g)) => Ok(g),
        (None, None) => Err(SexError::Empty),
    }
}

/// 民族, GB/T 3304-1991 (the 56 nationalities, 97 其他, 98 外国血统中国籍人士). Serialised as its
/// two-digit code (`"01"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ethnicity(u8);

/// (code, name), in the standard's order.
const ETHNICITIES: [(u8, &str); 58] = [
    (1, "汉族"),
    (2, "蒙古族"),
    (3, "回族"),
    (4, "藏族"),
    (5, "维吾尔族"),
    (6, "苗族"),
    (7, "彝族"),
    (8, "壮族"),
    (9, "布依族"),
    (10, "朝鲜族"),
    (11, "满族"),
    (12, "侗族"),
    (13, "瑶族"),
    (14, "白族"),
    (15, "土家族"),
    (16, "哈尼族"),
    (17, "哈萨克族"),
    (18, "傣族"),
    (19, "黎族"),
    (20, "傈僳族"),
    (21, "佤族"),
    (22, "畲族"),
    (23, "高山族"),
    (24, "拉祜族"),
    (25, "水族"),
    (26, "东乡族"),
    (27, "纳西族"),
    (28, "景颇族"),
    (29, "柯尔克孜族"),
    (30, "土族"),
    (31, "达斡尔族"),
    (32, "仫佬族"),
    (33, "羌族"),
    (34, "布朗族"),
    (35, "撒拉族"),
    (36, "毛南族"),
    (37, "仡佬族"),
    (38, "锡伯族"),
    (39, "阿昌族"),
    (40, "普米族"),
    (41, "塔吉克族"),
    (42, "怒族"),
    (43, "乌孜别克族"),
    (44, "俄罗斯族"),
    (45, "鄂温克族"),
    (46, "德昂族"),
    (47, "保安族"),
    (48, "裕固族"),
    (49, "京族"),
    (50, "塔塔尔族"),
    (51, "独龙族"),
    (52, "鄂伦春族"),
    (53, "赫哲族"),
    (54, "门巴族"),
    (55, "珞巴族"),
    (56, "基诺族"),
    (97, "其他"),
    (98, "外国血统中国籍人士"),
];

/// Not a 民族 of GB/T 3304.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an ethnicity code")]
pub struct EthnicityError;

impl UserError for EthnicityError {
    fn code(&self) -> &'static str {
        "ethnicity_unknown"
    }

    fn message(&self) -> String {
        "请从列表中选择民族".to_owned()
    }
}

impl Ethnicity {
    /// Every entry, in the standard's order (for a picker).
    pub fn all() -> impl Iterator<Item = Ethnicity> {
        ETHNICITIES.iter().map(|(c, _)| Ethnicity(*c))
    }

    /// From the two-digit code (`"01"`) or the name (`"汉族"`, also without the 族: `"汉"`).
    pub fn parse(s: &str) -> Result<Ethnicity, EthnicityError> {
        let s = s.trim();
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
            let code: u8 = s.parse().map_err(|_| EthnicityError)?;
            return ETHNICITIES
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(c, _)| Ethnicity(*c))
                .ok_or(EthnicityError);
        }
        ETHNICITIES
            .iter()
            .find(|(_, n)| *n == s || (n.ends_with('族') && n.trim_end_matches('族') == s))
            .map(|(c, _)| Ethnicity(*c))
            .ok_or(EthnicityError)
    }

    /// The two-digit code.
    pub fn code(self) -> String {
        format!("{:02}", self.0)
    }

    /// The name (`汉族`).
    pub fn label_zh(self) -> &'static str {
        ETHNICITIES
            .iter()
            .find(|(c, _)| *c == self.0)
            .map_or("其他", |(_, n)| n)
    }
}

impl Serialize for Ethnicity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

impl<'de> Deserialize<'de> for Ethnicity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ethnicity::parse(&s).map_err(|_| serde::de::Error::custom("not an ethnicity code"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
    }

    #[test]
    fn the_seed_trigger_table() {
        let triggers: Vec<_> = IdentityField::ALL
            .into_iter()
            .filter(|f| f.triggers_verification())
            .map(IdentityField::name)
            .collect();
        assert_eq!(
            triggers,
            [
                "name",
                "phone",
                "identity_region",
                "document_kind",
                "document_number",
                "id_validity"
            ]
        );
        assert!(!triggers_verification(&[
            IdentityField::Address,
            IdentityField::Ethnicity
        ]));
        assert!(triggers_verification(&[
            IdentityField::Address,
            IdentityField::IdValidity
        ]));
        assert!(!IdentityField::Phone.locked_for_roster());
        assert!(IdentityField::Name.locked_for_roster());
    }

    #[test]
    fn sex_comes_from_the_document_where_it_says() {
        let id =
            IdDocument::parse(DocumentKind::ResidentIdCard, "11010519491231002X", today()).unwrap();
        assert_eq!(sex_of_document(&id), Some(Sex::Female));
        assert_eq!(check_sex(&id, None), Ok(Sex::Female));
        assert_eq!(check_sex(&id, Some(Sex::Male)), Err(SexError::Mismatch));
        let passport =
            IdDocument::parse(DocumentKind::ForeignPassport, "X1234567", today()).unwrap();
        assert_eq!(sex_of_document(&passport), None);
        assert_eq!(check_sex(&passport, None).unwrap_err().code(), "sex_empty");
        assert_eq!(check_sex(&passport, Some(Sex::Male)), Ok(Sex::Male));
    }

    #[test]
    fn ethnicities_round_trip() {
        assert_eq!(Ethnicity::all().count(), 58);
        for e in Ethnicity::all() {
            assert_eq!(Ethnicity::parse(&e.code()), Ok(e));
            assert_eq!(Ethnicity::parse(e.label_zh()), Ok(e));
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<Ethnicity>(&json).unwrap(), e);
        }
        assert_eq!(Ethnicity::parse("汉").unwrap().code(), "01");
        assert_eq!(Ethnicity::parse("56").unwrap().label_zh(), "基诺族");
        for bad in ["00", "57", "99", "火星族", ""] {
            assert_eq!(Ethnicity::parse(bad), Err(EthnicityError), "{bad}");
        }
    }
}
