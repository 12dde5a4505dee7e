//! Identity documents other than (and including) the 居民身份证, under one type.
//!
//! Formats accepted (whitespace anywhere is removed, letters are upper-cased):
//!
//! | kind | format |
//! |---|---|
//! | 居民身份证 | see [`IdNumber`] |
//! | 港澳居民来往内地通行证 (回乡证) | `H` (Hong Kong) or `M` (Macao) + 8 digits (card form since 2013, the 8 digits are the holder's lifetime number); or `H`/`M` + 10 digits (earlier form: lifetime number + 2-digit issue count) |
//! | 台湾居民来往大陆通行证 (台胞证) | 8 digits (the lifetime number, alone since 2008-09-25); or the earlier 10 digits (lifetime number + 2-digit issue count), optionally followed by the issuing-office code in parentheses, e.g. `0561682001(D)` |
//! | 外国人永久居留身份证 | 2017 form: 18 characters, `9` + province code of the issuing office (2) + ISO 3166 numeric nationality (3) + birth date `YYYYMMDD` + sequence (3, the last odd for men) + ISO 7064 MOD 11-2 check (`0`–`9`/`X`), the same check as the 身份证号; older 2004 form: 15 characters, ISO 3166 alpha-3 nationality + 4-digit issuing office (province + city) + birth date `YYMMDD` + 2 digits |
//! | 护照 (中国) | `E` + 8 digits (e-passport, 2012–); `E` + a letter (not `I`/`O`) + 7 digits (once the `E` + 8 digit numbers ran out); `G` + 8 digits (ordinary passports issued before 2012, all expired now but still seen in old records) |
//! | 境外护照 | 5–20 letters and digits (formats vary by country; nothing more can be checked without the nationality) |
//! | 往来港澳通行证 (mainland residents' permit to Hong Kong and Macao) | `C` + 8 digits (the card form, 2014–) or `W` + 8 digits (the older booklet), as one third-party recognizer documents them; **not confirmed** against an issuing authority's publication |
//! | 往来台湾通行证 (mainland residents' permit to Taiwan) | one letter + 8 digits: **no source found** for its format, so only this documented structure of the card's number (letter + 8 digits, as on the sample cards seen) is checked, until it is confirmed |
//!
//! The trailing digit of the 2004-form permanent-residence number is described by some sources as
//! an ICAO 9303 check digit; that could not be confirmed, so it is not enforced.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{
    is_full_width, is_province_code, mod11_2_check, parse_yyyymmdd, IdNumber, IdNumberError,
};
use crate::error::UserError;

/// The kinds of identity document the platform accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 居民身份证
    ResidentIdCard,
    /// 港澳居民来往内地通行证
    HkMacaoPermit,
    /// 台湾居民来往大陆通行证
    TaiwanPermit,
    /// 外国人永久居留身份证
    ForeignPermanentResidence,
    /// 护照 (of the People's Republic of China)
    ChinesePassport,
    /// 境外护照 (any other country's passport)
    ForeignPassport,
    /// 往来港澳通行证 (a mainland resident's permit to travel to Hong Kong and Macao)
    MainlandHkMacaoPermit,
    /// 往来台湾通行证 (a mainland resident's permit to travel to Taiwan)
    MainlandTaiwanPermit,
}

impl DocumentKind {
    /// All kinds, in the order a picker lists them.
    pub const ALL: [DocumentKind; 8] = [
        DocumentKind::ResidentIdCard,
        DocumentKind::HkMacaoPermit,
        DocumentKind::TaiwanPermit,
        DocumentKind::ForeignPermanentResidence,
        DocumentKind::ChinesePassport,
        DocumentKind::ForeignPassport,
        DocumentKind::MainlandHkMacaoPermit,
        DocumentKind::MainlandTaiwanPermit,
    ];

    /// The document's name, as the account platforms list it.
    pub fn label_zh(self) -> &'static str {
        match self {
            DocumentKind::ResidentIdCard => "居民身份证",
            DocumentKind::HkMacaoPermit => "港澳居民来往内地通行证",
            DocumentKind::TaiwanPermit => "台湾居民来往大陆通行证",
            DocumentKind::ForeignPermanentResidence => "外国人永久居留身份证",
            DocumentKind::ChinesePassport => "护照",
            DocumentKind::ForeignPassport => "境外护照",
            DocumentKind::MainlandHkMacaoPermit => "往来港澳通行证",
            DocumentKind::MainlandTaiwanPermit => "往来台湾通行证",
        }
    }

    /// What the number looks like, for the message when it does not.
    fn format_hint_zh(self) -> &'static str {
        match self {
            DocumentKind::ResidentIdCard => "身份证号应为18位",
            DocumentKind::HkMacaoPermit => {
                "港澳居民来往内地通行证号码应为H或M加8位数字(旧证为H或M加10位数字)"
            }
            DocumentKind::TaiwanPermit => "台湾居民来往大陆通行证号码应为8位数字(旧证为10位数字)",
            DocumentKind::ForeignPermanentResidence => {
                "外国人永久居留身份证号码应为18位(以9开头),旧证为3位字母加12位数字"
            }
            DocumentKind::ChinesePassport => {
                "护照号码应为E加8位数字、E加1位字母和7位数字,或G加8位数字"
            }
            DocumentKind::ForeignPassport => "境外护照号码应为5至20位字母或数字",
            DocumentKind::MainlandHkMacaoPermit => "往来港澳通行证号码应为C或W加8位数字",
            DocumentKind::MainlandTaiwanPermit => "往来台湾通行证号码应为1位字母加8位数字",
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// A document number valid for its kind. `Display`/`Serialize` give the full number, `Debug`
/// only the [masked](IdDocument::masked) one.
///
/// Serialised as `{"kind": "hk_macao_permit", "number": "H12345678"}`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdDocument {
    kind: DocumentKind,
    number: String,
    resident: Option<IdNumber>,
    birth: Option<NaiveDate>,
}

/// Why a document number is not valid for its kind. Messages never repeat the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// A 居民身份证 number failed; carries the specific reason.
    #[error(transparent)]
    IdNumber(#[from] IdNumberError),
    #[error("请输入证件号码")]
    Empty,
    #[error("请使用半角(英文输入法)字符输入证件号码")]
    FullWidth,
    #[error("{}", .0.format_hint_zh())]
    Format(DocumentKind),
    #[error("证件号码中的省份代码不正确,请核对")]
    Province,
    #[error("证件号码中的出生日期不正确,请核对")]
    BirthDate,
    #[error("证件号码校验位不正确,请核对")]
    Checksum,
}

impl UserError for DocumentError {
    fn code(&self) -> &'static str {
        match self {
            DocumentError::IdNumber(e) => e.code(),
            DocumentError::Empty => "document_number_empty",
            DocumentError::FullWidth => "document_number_full_width",
            DocumentError::Format(_) => "document_number_format",
            DocumentError::Province => "document_number_province",
            DocumentError::BirthDate => "document_number_birth_date",
            DocumentError::Checksum => "document_number_checksum",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

impl IdDocument {
    /// Parses the number of a document of `kind`; `today` bounds birth dates embedded in the
    /// number (居民身份证, 外国人永久居留身份证).
    pub fn parse(
        kind: DocumentKind,
        s: &str,
        today: NaiveDate,
    ) -> Result<IdDocument, DocumentError> {
        if kind == DocumentKind::ResidentIdCard {
            let id = IdNumber::parse(s, today)?;
            return Ok(IdDocument {
                kind,
                number: id.as_str().to_owned(),
                birth: Some(id.birth_date()),
                resident: Some(id),
            });
        }
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(DocumentError::Empty);
        }
        if compact.chars().any(is_full_width) {
            return Err(DocumentError::FullWidth);
        }
        let allowed_punctuation =
            |c: char| kind == DocumentKind::TaiwanPermit && (c == '(' || c == ')');
        if !compact
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || allowed_punctuation(c))
        {
            return Err(DocumentError::Format(kind));
        }
        // ASCII only from here on: byte indexing is character indexing.
        let number = compact.to_ascii_uppercase();
        let format = DocumentError::Format(kind);
        let mut birth = None;
        match kind {
            // Handled above; kept here so that the match stays exhaustive.
            DocumentKind::ResidentIdCard => return Err(format),
            DocumentKind::HkMacaoPermit => {
                let (letter, digits) = number.split_at(1);
                if !matches!(letter, "H" | "M")
                    || !matches!(digits.len(), 8 | 10)
                    || !all_digits(digits)
                {
                    return Err(format);
                }
            }
            DocumentKind::TaiwanPermit => {
                let ok = match number.len() {
                    8 | 10 => all_digits(&number),
                    13 => {
                        let (digits, office) = number.split_at(10);
                        let b = office.as_bytes();
                        all_digits(digits)
                            && b[0] == b'('
                            && b[1].is_ascii_alphanumeric()
                            && b[2] == b')'
                    }
                    _ => false,
                };
                if !ok {
                    return Err(format);
                }
            }
            DocumentKind::ForeignPermanentResidence => {
                birth = parse_permanent_residence(&number, today)?
            }
            DocumentKind::ChinesePassport => {
                let b = number.as_bytes();
                let ok = number.len() == 9
                    && match (b[0], b[1]) {
                        (b'E' | b'G', d) if d.is_ascii_digit() => all_digits(&number[1..]),
                        (b'E', l) if l.is_ascii_uppercase() && l != b'I' && l != b'O' => {
                            all_digits(&number[2..])
                        }
                        _ => false,
                    };
                if !ok {
                    return Err(format);
                }
            }
            DocumentKind::ForeignPassport => {
                if !(5..=20).contains(&number.len())
                    || !number.bytes().all(|b| b.is_ascii_alphanumeric())
                {
                    return Err(format);
                }
            }
            DocumentKind::MainlandHkMacaoPermit => {
                let (letter, digits) = number.split_at(1);
                if !matches!(letter, "C" | "W") || digits.len() != 8 || !all_digits(digits) {
                    return Err(format);
                }
            }
            DocumentKind::MainlandTaiwanPermit => {
                let (letter, digits) = number.split_at(1);
                if !letter.bytes().all(|b| b.is_ascii_uppercase())
                    || digits.len() != 8
                    || !all_digits(digits)
                {
                    return Err(format);
                }
            }
        }
        Ok(IdDocument {
            kind,
            number,
            resident: None,
            birth,
        })
    }

    /// The kind of document.
    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    /// The full number, normalised (no whitespace, upper-case).
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// The 身份证号, if this is a 居民身份证.
    pub fn id_number(&self) -> Option<&IdNumber> {
        self.resident.as_ref()
    }

    /// The birth date encoded in the number (居民身份证 and 2017-form 外国人永久居留身份证 only;
    /// the 2004 form has only a two-digit year).
    pub fn birth_date(&self) -> Option<NaiveDate> {
        self.birth
    }

    /// Masked for display: 身份证号 as [`IdNumber::masked`]; others keep the first two and last
    /// two characters, e.g. `H1******78`.
    pub fn masked(&self) -> String {
        if let Some(id) = &self.resident {
            return id.masked();
        }
        let n = self.number.len();
        let keep = if n >= 6 { 2 } else { 1 };
        format!(
            "{}{}{}",
            &self.number[..keep],
            "*".repeat(n - 2 * keep),
            &self.number[n - keep..]
        )
    }
}

/// Checks a 外国人永久居留身份证 number (already upper-case ASCII alphanumerics) and returns the
/// birth date when the number carries a full one (2017 form only).
fn parse_permanent_residence(
    number: &str,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, DocumentError> {
    let format = DocumentError::Format(DocumentKind::ForeignPermanentResidence);
    match number.len() {
        18 => {
            let (body, check) = number.split_at(17);
            if !number.starts_with('9') || !all_digits(body) || !(all_digits(check) || check == "X")
            {
                return Err(format);
            }
            if !is_province_code(&number[1..3]) {
                return Err(DocumentError::Province);
            }
            let birth = parse_yyyymmdd(&number[6..14]).ok_or(DocumentError::BirthDate)?;
            if birth.year() < 1900 || birth > today {
                return Err(DocumentError::BirthDate);
            }
            if mod11_2_check(body.as_bytes()) != check.bytes().next() {
                return Err(DocumentError::Checksum);
            }
            Ok(Some(birth))
        }
        15 => {
            let (nationality, digits) = number.split_at(3);
            if !nationality.bytes().all(|b| b.is_ascii_uppercase()) || !all_digits(digits) {
                return Err(format);
            }
            if !is_province_code(&digits[0..2]) {
                return Err(DocumentError::Province);
            }
            // YYMMDD: the date must exist in 19YY or 20YY (Feb 29 needs a leap year in one of them).
            let yymmdd = &digits[4..10];
            if !["19", "20"]
                .iter()
                .any(|c| parse_yyyymmdd(&format!("{c}{yymmdd}")).is_some())
            {
                return Err(DocumentError::BirthDate);
            }
            Ok(None)
        }
        _ => Err(format),
    }
}

impl fmt::Display for IdDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.number)
    }
}

impl fmt::Debug for IdDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdDocument({:?}, {})", self.kind, self.masked())
    }
}

impl Serialize for IdDocument {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("IdDocument", 2)?;
        s.serialize_field("kind", &self.kind)?;
        s.serialize_field("number", &self.number)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, 15).unwrap()
    }

    fn parse(kind: DocumentKind, s: &str) -> Result<IdDocument, DocumentError> {
        IdDocument::parse(kind, s, today())
    }

    fn code(kind: DocumentKind, s: &str) -> &'static str {
        parse(kind, s).unwrap_err().code()
    }

    /// Appends the MOD 11-2 check character, computed independently of the code under test.
    fn with_check(body: &str) -> String {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = body
            .bytes()
            .zip(weights)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        let check = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize];
        format!("{body}{check}")
    }

    #[test]
    fn resident_id_card_delegates_to_id_number() {
        let doc = parse(DocumentKind::ResidentIdCard, "11010519491231002x").unwrap();
        assert_eq!(doc.as_str(), "11010519491231002X");
        assert_eq!(doc.id_number().unwrap().as_str(), "11010519491231002X");
        assert_eq!(doc.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31));
        assert_eq!(doc.masked(), "110105********002X");
        // The specific 身份证号 code survives.
        assert_eq!(
            code(DocumentKind::ResidentIdCard, "110105194912310020"),
            "id_number_checksum"
        );
    }

    #[test]
    fn hk_macao_permit() {
        use DocumentKind::HkMacaoPermit as K;
        for good in [
            "H12345678",
            "M87654321",
            "h12345678",
            "H1234567801",
            "M 1234 5678",
        ] {
            assert!(parse(K, good).is_ok(), "{good}");
        }
        assert_eq!(parse(K, "h12345678").unwrap().as_str(), "H12345678");
        for bad in [
            "12345678",
            "A12345678",
            "H1234567",
            "H123456789",
            "H123456789012",
            "HH2345678",
            "H1234567X",
        ] {
            assert_eq!(code(K, bad), "document_number_format", "{bad}");
        }
        assert_eq!(parse(K, "H12345678").unwrap().masked(), "H1*****78");
    }

    #[test]
    fn taiwan_permit() {
        use DocumentKind::TaiwanPermit as K;
        for good in [
            "12345678",
            "07257456",
            "0561682001",
            "0561682001(D)",
            "0561682001(b)",
            "0561682001(1)",
        ] {
            assert!(parse(K, good).is_ok(), "{good}");
        }
        assert_eq!(parse(K, "0561682001(b)").unwrap().as_str(), "0561682001(B)");
        for bad in [
            "1234567",
            "123456789",
            "F290299977",
            "0561682001(DD)",
            "0561682001D",
            "(D)0561682001",
            "12345678()",
        ] {
            assert_eq!(code(K, bad), "document_number_format", "{bad}");
        }
        assert_eq!(code(K, "0561682001（D）"), "document_number_full_width");
    }

    #[test]
    fn foreign_permanent_residence_2017_form() {
        use DocumentKind::ForeignPermanentResidence as K;
        // Issued in Beijing (11) to a US (840) citizen born 1980-01-01, sequence 001 (male).
        let good = with_check("91184019800101001");
        let doc = parse(K, &good).unwrap();
        assert_eq!(doc.birth_date(), NaiveDate::from_ymd_opt(1980, 1, 1));
        assert!(doc.id_number().is_none());
        let mut wrong = good.clone();
        wrong.replace_range(17..18, if good.ends_with('0') { "1" } else { "0" });
        assert_eq!(code(K, &wrong), "document_number_checksum");
        assert_eq!(
            code(K, &with_check("91084019800101001")),
            "document_number_province"
        );
        assert_eq!(
            code(K, &with_check("91184019810229001")),
            "document_number_birth_date"
        );
        assert_eq!(
            code(K, &with_check("91184020300101001")),
            "document_number_birth_date"
        );
        assert!(parse(K, &with_check("91184020000229001")).is_ok());
        // Starts with something other than 9: not this document.
        assert_eq!(
            code(K, &with_check("11010519491231002")),
            "document_number_format"
        );
    }

    #[test]
    fn foreign_permanent_residence_2004_form() {
        use DocumentKind::ForeignPermanentResidence as K;
        let doc = parse(K, "usa110080010112").unwrap();
        assert_eq!(doc.as_str(), "USA110080010112");
        assert_eq!(doc.birth_date(), None);
        assert_eq!(code(K, "US1110080010112"), "document_number_format");
        assert_eq!(code(K, "USA1100800101"), "document_number_format");
        assert_eq!(code(K, "USA101080010112"), "document_number_province");
        assert_eq!(code(K, "USA110080130112"), "document_number_birth_date");
        // Feb 29 exists in 2000 (and in 1900? no) — a 00 year is fine via 2000.
        assert!(parse(K, "USA110000022912").is_ok());
        assert_eq!(code(K, "USA110001022912"), "document_number_birth_date");
    }

    #[test]
    fn chinese_passport() {
        use DocumentKind::ChinesePassport as K;
        for good in [
            "E12345678",
            "EA1234567",
            "EZ7654321",
            "G12345678",
            "e12345678",
        ] {
            assert!(parse(K, good).is_ok(), "{good}");
        }
        for bad in [
            "E1234567",
            "E123456789",
            "EI1234567",
            "EO1234567",
            "G1234567A",
            "P12345678",
            "GA1234567",
            "123456789",
        ] {
            assert_eq!(code(K, bad), "document_number_format", "{bad}");
        }
    }

    #[test]
    fn foreign_passport() {
        use DocumentKind::ForeignPassport as K;
        for good in ["AB123", "C01X00T47", "123456789", "ABCDEFGHIJ0123456789"] {
            assert!(parse(K, good).is_ok(), "{good}");
        }
        for bad in [
            "AB12",
            "ABCDEFGHIJ01234567890",
            "AB-12345",
            "AB.12345",
            "护照12345",
        ] {
            assert_eq!(code(K, bad), "document_number_format", "{bad}");
        }
        assert_eq!(parse(K, "AB123").unwrap().masked(), "A***3");
    }

    #[test]
    fn mainland_residents_permits() {
        use DocumentKind::{MainlandHkMacaoPermit as Hk, MainlandTaiwanPermit as Tw};
        for good in ["C12345678", "c 1234 5678", "W87654321"] {
            assert!(parse(Hk, good).is_ok(), "{good}");
        }
        for bad in [
            "H12345678",
            "C1234567",
            "C123456789",
            "CA1234567",
            "12345678",
        ] {
            assert_eq!(code(Hk, bad), "document_number_format", "{bad}");
        }
        assert_eq!(parse(Hk, "c12345678").unwrap().as_str(), "C12345678");
        for good in ["L12345678", "t 12345678"] {
            assert!(parse(Tw, good).is_ok(), "{good}");
        }
        for bad in [
            "12345678",
            "LL1234567",
            "L1234567",
            "L123456789",
            "L1234567X",
        ] {
            assert_eq!(code(Tw, bad), "document_number_format", "{bad}");
        }
        assert_eq!(parse(Tw, "L12345678").unwrap().masked(), "L1*****78");
        assert_eq!(Hk.label_zh(), "往来港澳通行证");
        assert_eq!(Tw.label_zh(), "往来台湾通行证");
    }

    #[test]
    fn common_errors_and_messages() {
        for kind in DocumentKind::ALL {
            let empty = parse(kind, "  ").unwrap_err().code();
            assert!(
                empty == "document_number_empty" || empty == "id_number_empty",
                "{kind:?}"
            );
        }
        let e = parse(DocumentKind::HkMacaoPermit, "X1").unwrap_err();
        assert!(
            e.message().starts_with("港澳居民来往内地通行证号码应为"),
            "{}",
            e.message()
        );
        assert_eq!(
            code(DocumentKind::ChinesePassport, "Ｅ12345678"),
            "document_number_full_width"
        );
    }

    #[test]
    fn debug_masks_and_serialize_shape() {
        let doc = parse(DocumentKind::ChinesePassport, "E12345678").unwrap();
        assert_eq!(format!("{doc:?}"), "IdDocument(ChinesePassport, E1*****78)");
        assert_eq!(doc.to_string(), "E12345678");
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "chinese_passport", "number": "E12345678"})
        );
        assert_eq!(
            DocumentKind::TaiwanPermit.label_zh(),
            "台湾居民来往大陆通行证"
        );
    }
}
