//! Identity documents: the resident ID number (居民身份证号), the other documents people in China
//! identify themselves with, and the validity period printed on an ID card.
//!
//! - [`IdNumber`]: 公民身份号码 per GB 11643-1999, with birth date, sex and masked form.
//! - [`IdDocument`] / [`DocumentKind`]: one type over 居民身份证, 港澳居民来往内地通行证,
//!   台湾居民来往大陆通行证, 外国人永久居留身份证 and passports.
//! - [`IdValidity`] / [`ValidityEnd`] / [`ValidityTerm`]: 有效期限 checked against the
//!   居民身份证法's term-by-age rule.
//!
//! Nothing here reads the clock: "today" is always a parameter.

mod document;
mod resident;
mod validity;

pub use document::{DocumentError, DocumentKind, IdDocument};
pub use resident::{IdNumber, IdNumberError, Sex};
pub use validity::{IdValidity, ValidityEnd, ValidityError, ValidityTerm, APPLICATION_GRACE_DAYS};

/// Province-level prefixes of GB/T 2260 (the first two digits of a 身份证号): 34 in all, counting
/// 台湾 (71), 香港 (81) and 澳门 (82), whose residents' numbers (港澳台居民居住证) use them.
///
/// Kept here rather than taken from `crate::region` so that this module has no dependency on the
/// (large, generated) region table.
pub(crate) const PROVINCE_CODES: [&str; 34] = [
    "11", "12", "13", "14", "15", // 北京 天津 河北 山西 内蒙古
    "21", "22", "23", // 辽宁 吉林 黑龙江
    "31", "32", "33", "34", "35", "36",
    "37", // 上海 江苏 浙江 安徽 福建 江西 山东
    "41", "42", "43", "44", "45", "46", // 河南 湖北 湖南 广东 广西 海南
    "50", "51", "52", "53", "54", // 重庆 四川 贵州 云南 西藏
    "61", "62", "63", "64", "65", // 陕西 甘肃 青海 宁夏 新疆
    "71", "81", "82", // 台湾 香港 澳门
];

/// Whether `code` (two ASCII digits) is a GB/T 2260 province-level prefix.
pub(crate) fn is_province_code(code: &str) -> bool {
    PROVINCE_CODES.contains(&code)
}

/// ISO 7064 MOD 11-2 weights for the 17 body digits (GB 11643-1999, 表 1).
const MOD11_2_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each `sum mod 11`.
const MOD11_2_CHECK: [u8; 11] = *b"10X98765432";

/// The ISO 7064 MOD 11-2 check character of 17 ASCII digits, or `None` if `body` is not exactly
/// 17 ASCII digits.
pub(crate) fn mod11_2_check(body: &[u8]) -> Option<u8> {
    if body.len() != 17 || !body.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = body
        .iter()
        .zip(MOD11_2_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    MOD11_2_CHECK.get((sum % 11) as usize).copied()
}

/// Whether `c` is a full-width ASCII variant (U+FF01..U+FF5E) or the ideographic space, which
/// Chinese input methods produce in full-width mode (`１１０１…`).
pub(crate) fn is_full_width(c: char) -> bool {
    matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}')
}

/// Parses `YYYYMMDD` (8 ASCII digits) into a date that exists in the calendar.
pub(crate) fn parse_yyyymmdd(digits: &str) -> Option<chrono::NaiveDate> {
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = digits.get(0..4)?.parse().ok()?;
    let month: u32 = digits.get(4..6)?.parse().ok()?;
    let day: u32 = digits.get(6..8)?.parse().ok()?;
    chrono::NaiveDate::from_ymd_opt(year, month, day)
}

/// Whole years from `birth` to `on` (0 if `on` is before `birth`): the age on that day, as the
/// law counts it (a person born on Feb 29 turns a year older on Mar 1 in common years).
pub(crate) fn age_on(birth: chrono::NaiveDate, on: chrono::NaiveDate) -> u32 {
    use chrono::Datelike;
    if on < birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn mod11_2_matches_the_standard_examples() {
        // The two examples printed in GB 11643-1999.
        assert_eq!(mod11_2_check(b"11010519491231002"), Some(b'X'));
        assert_eq!(mod11_2_check(b"44052418800101001"), Some(b'4'));
        assert_eq!(mod11_2_check(b"1101051949123100"), None);
        assert_eq!(mod11_2_check(b"1101051949123100A"), None);
    }

    #[test]
    fn there_are_34_distinct_province_codes() {
        let mut codes = PROVINCE_CODES.to_vec();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 34);
        assert!(is_province_code("11") && is_province_code("82") && is_province_code("46"));
        assert!(!is_province_code("10") && !is_province_code("16") && !is_province_code("83"));
        assert!(!is_province_code("47") && !is_province_code("55") && !is_province_code("66"));
    }

    #[test]
    fn dates_must_exist() {
        assert_eq!(parse_yyyymmdd("20000229"), Some(d(2000, 2, 29)));
        assert_eq!(parse_yyyymmdd("19000229"), None);
        assert_eq!(parse_yyyymmdd("20230229"), None);
        assert_eq!(parse_yyyymmdd("20231301"), None);
        assert_eq!(parse_yyyymmdd("20230431"), None);
        assert_eq!(parse_yyyymmdd("2023043"), None);
        assert_eq!(parse_yyyymmdd("+2023043"), None);
    }

    #[test]
    fn age_counts_whole_years() {
        assert_eq!(age_on(d(1960, 5, 10), d(2024, 5, 9)), 63);
        assert_eq!(age_on(d(1960, 5, 10), d(2024, 5, 10)), 64);
        assert_eq!(age_on(d(2000, 2, 29), d(2016, 2, 28)), 15);
        assert_eq!(age_on(d(2000, 2, 29), d(2016, 2, 29)), 16);
        assert_eq!(age_on(d(2000, 2, 29), d(2017, 2, 28)), 16);
        assert_eq!(age_on(d(2000, 2, 29), d(2017, 3, 1)), 17);
        assert_eq!(age_on(d(2000, 1, 1), d(1999, 1, 1)), 0);
    }
}
