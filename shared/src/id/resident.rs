//! 公民身份号码 (the number on the 居民身份证), GB 11643-1999.
//!
//! Layout of the 18 characters:
//!
//! | positions | meaning |
//! |---|---|
//! | 1–6   | address code (GB/T 2260 county-level code of the household registration at first issue; the first two digits are the province) |
//! | 7–14  | birth date `YYYYMMDD` |
//! | 15–17 | sequence number; the 17th digit is odd for men, even for women |
//! | 18    | ISO 7064 MOD 11-2 check character over the first 17 (`0`–`9` or `X` for 10) |
//!
//! The address code is checked only for its province prefix: district codes are renamed and
//! merged over the years, but a person keeps their number for life, so an old, since-abolished
//! district code is normal.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize, Serializer};

use super::{age_on, is_full_width, is_province_code, mod11_2_check, parse_yyyymmdd};
use crate::error::UserError;

/// Earliest birth date accepted. Anyone born before 1900 would be over 120 at the platform's
/// launch; such a number is a typo (e.g. `1889` for `1989`), not a customer.
const EARLIEST_BIRTH: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!("valid constant date"),
};

/// Sex as encoded in the 17th digit of a 身份证号 (odd = male).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// `男` / `女`, as printed on the card.
    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// A valid 居民身份证号 (公民身份号码): 18 characters, a province-level prefix of GB/T 2260, a
/// real birth date between 1900-01-01 and "today", and a correct MOD 11-2 check character.
///
/// Stored upper-case (`x` is accepted and normalised to `X`). `Display` and `Serialize` give the
/// full number; `Debug` gives only the [masked](IdNumber::masked) form so that a stray `{:?}` in
/// a log never leaks it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber {
    value: String,
    birth: NaiveDate,
}

/// Why a string is not a valid 身份证号. Messages never repeat the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("请输入身份证号")]
    Empty,
    #[error("请使用半角(英文输入法)数字输入身份证号")]
    FullWidth,
    #[error("身份证号只能由数字组成,最后一位可以是X")]
    Chars,
    #[error("身份证号应为18位,当前为{0}位")]
    Length(usize),
    #[error("身份证号前两位(省份代码)不正确,请核对")]
    Province,
    #[error("身份证号中的出生日期不正确,请核对")]
    BirthDate,
    #[error("身份证号中的出生日期晚于今天,请核对")]
    FutureBirth,
    #[error("身份证号校验位不正确,请核对")]
    Checksum,
}

impl UserError for IdNumberError {
    fn code(&self) -> &'static str {
        match self {
            IdNumberError::Empty => "id_number_empty",
            IdNumberError::FullWidth => "id_number_full_width",
            IdNumberError::Chars => "id_number_chars",
            IdNumberError::Length(_) => "id_number_length",
            IdNumberError::Province => "id_number_province",
            IdNumberError::BirthDate => "id_number_birth_date",
            IdNumberError::FutureBirth => "id_number_future_birth",
            IdNumberError::Checksum => "id_number_checksum",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

impl IdNumber {
    /// Parses a 身份证号 as typed: surrounding and embedded whitespace (people copy numbers
    /// grouped as `110101 19491231 002X`) is removed and a final `x` becomes `X`.
    ///
    /// Checks, in order, each with its own error: empty, full-width characters, characters other
    /// than digits and a final X, length 18, province prefix, real birth date not before 1900,
    /// birth date not after `today`, check character.
    pub fn parse(s: &str, today: NaiveDate) -> Result<IdNumber, IdNumberError> {
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(IdNumberError::Empty);
        }
        if compact.chars().any(is_full_width) {
            return Err(IdNumberError::FullWidth);
        }
        if !compact
            .chars()
            .all(|c| c.is_ascii_digit() || c == 'X' || c == 'x')
        {
            return Err(IdNumberError::Chars);
        }
        // Only ASCII from here on, so byte length == character count and slicing is safe.
        let value = compact.to_ascii_uppercase();
        if value.len() != 18 {
            return Err(IdNumberError::Length(value.len()));
        }
        let (body, check) = value.split_at(17);
        if !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdNumberError::Chars);
        }
        if !is_province_code(&value[0..2]) {
            return Err(IdNumberError::Province);
        }
        let birth = parse_yyyymmdd(&value[6..14]).ok_or(IdNumberError::BirthDate)?;
        if birth < EARLIEST_BIRTH {
            return Err(IdNumberError::BirthDate);
        }
        if birth > today {
            return Err(IdNumberError::FutureBirth);
        }
        if mod11_2_check(body.as_bytes()) != check.bytes().next() {
            return Err(IdNumberError::Checksum);
        }
        Ok(IdNumber { value, birth })
    }

    /// The check character (`0`–`9` or `X`) for 17 body digits, or `None` if `body` is not 17
    /// ASCII digits. For tools and tests that build sample numbers.
    pub fn check_char(body: &str) -> Option<char> {
        mod11_2_check(body.as_bytes()).map(char::from)
    }

    /// The full 18-character number, upper-case.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Birth date, from positions 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth
    }

    /// Sex, from the parity of the 17th digit.
    pub fn sex(&self) -> Sex {
        match self.value.as_bytes().get(16) {
            Some(d) if (d - b'0') % 2 == 1 => Sex::Male,
            _ => Sex::Female,
        }
    }

    /// The two-digit province prefix, e.g. `11` (北京).
    pub fn province_code(&self) -> &str {
        &self.value[0..2]
    }

    /// The six-digit address code, e.g. `110101` (北京市东城区). It may be a code that has since
    /// been abolished; look it up in the region table only as a hint.
    pub fn district_code(&self) -> &str {
        &self.value[0..6]
    }

    /// Masked for display: the address code and the last four characters, e.g.
    /// `110101********123X`.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.value[0..6], &self.value[14..18])
    }

    /// Age in whole years on `date` (0 if `date` is before the birth date).
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        age_on(self.birth, date)
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl AsRef<str> for IdNumber {
    fn as_ref(&self) -> &str {
        &self.value
    }
}

impl Serialize for IdNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn today() -> NaiveDate {
        d(2025, 3, 15)
    }

    /// Builds a number from a 17-digit body by computing its check character independently of
    /// the code under test.
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

    fn code(s: &str) -> &'static str {
        IdNumber::parse(s, today()).unwrap_err().code()
    }

    #[test]
    fn accepts_the_standard_example_with_x_check_digit() {
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), d(1949, 12, 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.province_code(), "11");
        assert_eq!(id.district_code(), "110105");
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(id.age_on(today()), 75);
        assert_eq!(id.to_string(), "11010519491231002X");
    }

    #[test]
    fn lower_case_x_and_whitespace_are_normalised() {
        let id = IdNumber::parse("  11010519491231002x\n", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        let grouped = IdNumber::parse("110105 19491231 002X", today()).unwrap();
        assert_eq!(grouped, id);
    }

    #[test]
    fn sex_follows_the_17th_digit() {
        let male = with_check("34052419800101001");
        let id = IdNumber::parse(&male, today()).unwrap();
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.sex().label_zh(), "男");
        let female = with_check("34052419800101002");
        assert_eq!(
            IdNumber::parse(&female, today()).unwrap().sex(),
            Sex::Female
        );
    }

    #[test]
    fn leap_days() {
        // 2000 is a leap year (divisible by 400); 1900 is not (divisible by 100).
        let leap = with_check("11010120000229003");
        assert_eq!(
            IdNumber::parse(&leap, today()).unwrap().birth_date(),
            d(2000, 2, 29)
        );
        assert_eq!(
            code(&with_check("11010119000229003")),
            "id_number_birth_date"
        );
        assert_eq!(
            code(&with_check("11010120230229003")),
            "id_number_birth_date"
        );
        assert!(IdNumber::parse(&with_check("11010119960229003"), today()).is_ok());
    }

    #[test]
    fn impossible_and_ancient_birth_dates_are_rejected() {
        assert_eq!(
            code(&with_check("11010119901301003")),
            "id_number_birth_date"
        );
        assert_eq!(
            code(&with_check("11010119900431003")),
            "id_number_birth_date"
        );
        assert_eq!(
            code(&with_check("11010119900001003")),
            "id_number_birth_date"
        );
        // The standard's second example is valid by checksum but born in 1880.
        assert_eq!(code("440524188001010014"), "id_number_birth_date");
        assert!(IdNumber::parse(&with_check("11010119000101003"), today()).is_ok());
    }

    #[test]
    fn birth_after_today_is_rejected_but_today_is_fine() {
        assert_eq!(
            code(&with_check("11010120250316003")),
            "id_number_future_birth"
        );
        assert!(IdNumber::parse(&with_check("11010120250315003"), today()).is_ok());
    }

    #[test]
    fn wrong_check_character_is_rejected() {
        assert_eq!(code("110105194912310020"), "id_number_checksum");
        assert_eq!(code("110105194912310021"), "id_number_checksum");
        // A single swapped digit in the body.
        assert_eq!(code("11010519491231003X"), "id_number_checksum");
    }

    #[test]
    fn province_prefix_must_exist() {
        for bad in [
            "10", "16", "20", "24", "30", "38", "40", "47", "55", "60", "66", "70", "72", "83",
            "99",
        ] {
            let n = with_check(&format!("{bad}010519491231002"));
            assert_eq!(code(&n), "id_number_province", "prefix {bad}");
        }
        for good in ["15", "23", "37", "46", "54", "65", "71", "81", "82"] {
            let n = with_check(&format!("{good}010519491231002"));
            assert!(IdNumber::parse(&n, today()).is_ok(), "prefix {good}");
        }
    }

    #[test]
    fn shape_errors_have_their_own_codes() {
        assert_eq!(code(""), "id_number_empty");
        assert_eq!(code("   "), "id_number_empty");
        assert_eq!(code("11010519491231002"), "id_number_length");
        assert_eq!(code("11010519491231002X1"), "id_number_length");
        assert_eq!(code("1101051949123100XX"), "id_number_chars");
        assert_eq!(code("X1010519491231002X"), "id_number_chars");
        assert_eq!(code("11010519491231002Y"), "id_number_chars");
        assert_eq!(code("110105-19491231-002X"), "id_number_chars");
        assert_eq!(
            code("１１０１０５１９４９１２３１００２Ｘ"),
            "id_number_full_width"
        );
        assert_eq!(code("11010519491231002Ｘ"), "id_number_full_width");
        assert_eq!(code("一一0105194912310020"), "id_number_chars");
    }

    #[test]
    fn messages_are_specific_and_never_echo_the_input() {
        let err = IdNumber::parse("11010519491231002", today()).unwrap_err();
        assert_eq!(err.message(), "身份证号应为18位,当前为17位");
        let err = IdNumber::parse("110105194912310020", today()).unwrap_err();
        assert_eq!(err.message(), "身份证号校验位不正确,请核对");
        assert!(!err.message().contains("110105"));
        let field = err.at("id_number");
        assert_eq!(field.field, "id_number");
        assert_eq!(field.code, "id_number_checksum");
    }

    #[test]
    fn debug_is_masked_and_serialize_is_the_full_number() {
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(format!("{id:?}"), "IdNumber(110105********002X)");
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"11010519491231002X\""
        );
        assert_eq!(serde_json::to_string(&Sex::Male).unwrap(), "\"male\"");
    }

    #[test]
    fn check_char_helper() {
        assert_eq!(IdNumber::check_char("11010519491231002"), Some('X'));
        assert_eq!(IdNumber::check_char("1101051949123100"), None);
        assert_eq!(IdNumber::check_char("1101051949123100二"), None);
    }
}
