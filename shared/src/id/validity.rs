//! The validity period (有效期限) printed on a 居民身份证.
//!
//! 《中华人民共和国居民身份证法》第五条: 十六周岁以上公民的居民身份证的有效期为十年、二十年、
//! 长期。十六周岁至二十五周岁的,发给有效期十年的居民身份证;二十六周岁至四十五周岁的,发给有效期
//! 二十年的居民身份证;四十六周岁以上的,发给长期有效的居民身份证。未满十六周岁的公民,自愿申请
//! 领取居民身份证的,发给有效期五年的居民身份证。
//!
//! So the term follows from the holder's age, and the end date is the start date plus the term
//! (same month and day). Two details the law leaves to practice, decided here:
//!
//! - **Age at application vs. at issue.** The law counts the age when the person applies; the card
//!   shows the issue date, which may be up to 60 days later (90 in remote areas, 第十条). A person
//!   who applied at 25 and received the card after turning 26 holds a valid 10-year card. We accept
//!   the term for the age on the start date *or* on the start date minus [`APPLICATION_GRACE_DAYS`].
//! - **Start on Feb 29.** When the end year has no Feb 29 the canonical end is Feb 28 (what
//!   [`ValidityTerm::end_for`] returns and what the app pre-fills); Mar 1 is also accepted, since
//!   both are seen on real cards.

use std::fmt;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::age_on;
use crate::error::UserError;

/// How long before the issue date (the printed start) an application may have been made: 60 days
/// by law plus the 30-day extension for remote areas (居民身份证法第十条).
pub const APPLICATION_GRACE_DAYS: u64 = 90;

/// The four terms a 居民身份证 can have; the registration screen offers exactly these
/// (`5年` / `10年` / `20年` / `长期有效`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidityTerm {
    FiveYears,
    TenYears,
    TwentyYears,
    LongTerm,
}

impl ValidityTerm {
    /// All terms in the order the UI lists them.
    pub const ALL: [ValidityTerm; 4] = [
        ValidityTerm::FiveYears,
        ValidityTerm::TenYears,
        ValidityTerm::TwentyYears,
        ValidityTerm::LongTerm,
    ];

    /// `5年` / `10年` / `20年` / `长期有效`, as on the registration screen.
    pub fn label_zh(self) -> &'static str {
        match self {
            ValidityTerm::FiveYears => "5年",
            ValidityTerm::TenYears => "10年",
            ValidityTerm::TwentyYears => "20年",
            ValidityTerm::LongTerm => "长期有效",
        }
    }

    /// Length in years, or `None` for 长期有效.
    pub fn years(self) -> Option<u32> {
        match self {
            ValidityTerm::FiveYears => Some(5),
            ValidityTerm::TenYears => Some(10),
            ValidityTerm::TwentyYears => Some(20),
            ValidityTerm::LongTerm => None,
        }
    }

    /// The term the law gives a person of `age` whole years.
    pub fn for_age(age: u32) -> ValidityTerm {
        match age {
            0..=15 => ValidityTerm::FiveYears,
            16..=25 => ValidityTerm::TenYears,
            26..=45 => ValidityTerm::TwentyYears,
            _ => ValidityTerm::LongTerm,
        }
    }

    /// The end of a card of this term starting on `start` (Feb 29 + N years → Feb 28 when the
    /// end year is not a leap year).
    pub fn end_for(self, start: NaiveDate) -> ValidityEnd {
        match self.years() {
            None => ValidityEnd::LongTerm,
            Some(years) => match start.checked_add_months(Months::new(years * 12)) {
                Some(end) => ValidityEnd::Date(end),
                // Only beyond year 262143; treat as open-ended rather than panic.
                None => ValidityEnd::LongTerm,
            },
        }
    }

    /// The terms a card issued on `start` to a person born on `birth` may legally have, shortest
    /// first: one term, or two when the person crossed an age boundary during the
    /// [application grace period](APPLICATION_GRACE_DAYS). The app offers all four options and
    /// disables (or warns about) the others.
    pub fn legal_for(birth: NaiveDate, start: NaiveDate) -> Vec<ValidityTerm> {
        let at_issue = ValidityTerm::for_age(age_on(birth, start));
        let applied = start
            .checked_sub_days(Days::new(APPLICATION_GRACE_DAYS))
            .unwrap_or(start);
        let at_application = ValidityTerm::for_age(age_on(birth, applied));
        if at_application == at_issue {
            vec![at_issue]
        } else {
            vec![at_application, at_issue]
        }
    }

    /// Whether `end` is a correct end date for a card of this term starting on `start`.
    fn matches(self, start: NaiveDate, end: ValidityEnd) -> bool {
        let (Some(years), ValidityEnd::Date(end)) = (self.years(), end) else {
            return self == ValidityTerm::LongTerm && end == ValidityEnd::LongTerm;
        };
        let Ok(years) = i32::try_from(years) else {
            return false;
        };
        let end_year = start.year().checked_add(years);
        match end_year.and_then(|y| NaiveDate::from_ymd_opt(y, start.month(), start.day())) {
            Some(exact) => end == exact,
            // Start on Feb 29, end year not a leap year: Feb 28 or Mar 1.
            None => end_year.is_some_and(|y| {
                end.year() == y
                    && ((end.month(), end.day()) == (2, 28) || (end.month(), end.day()) == (3, 1))
            }),
        }
    }
}

impl fmt::Display for ValidityTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// The end of a validity period: a date, or 长期有效 (long-term, no end).
///
/// Serialised as `"2035-03-01"` or `"long_term"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidityEnd {
    Date(NaiveDate),
    LongTerm,
}

impl ValidityEnd {
    /// The end date, or `None` for 长期有效.
    pub fn date(self) -> Option<NaiveDate> {
        match self {
            ValidityEnd::Date(d) => Some(d),
            ValidityEnd::LongTerm => None,
        }
    }
}

impl From<Option<NaiveDate>> for ValidityEnd {
    fn from(to: Option<NaiveDate>) -> Self {
        to.map_or(ValidityEnd::LongTerm, ValidityEnd::Date)
    }
}

impl fmt::Display for ValidityEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidityEnd::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            ValidityEnd::LongTerm => f.write_str("长期有效"),
        }
    }
}

impl Serialize for ValidityEnd {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ValidityEnd::Date(d) => d.serialize(serializer),
            ValidityEnd::LongTerm => serializer.serialize_str("long_term"),
        }
    }
}

impl<'de> Deserialize<'de> for ValidityEnd {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        if s == "long_term" {
            return Ok(ValidityEnd::LongTerm);
        }
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(ValidityEnd::Date)
            .map_err(|_| serde::de::Error::custom("expected a YYYY-MM-DD date or \"long_term\""))
    }
}

/// A validity period that is consistent with the holder's birth date and the law, and not
/// expired on the day it was parsed.
///
/// Serialised as `{"start": "2015-03-01", "end": "2025-03-01", "term": "ten_years"}`; `Display`
/// gives `2015-03-01 至 2025-03-01` or `2015-03-01 至 长期有效`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct IdValidity {
    start: NaiveDate,
    end: ValidityEnd,
    term: ValidityTerm,
}

/// Why a validity period is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidityError {
    #[error("身份证有效期起始日期不能晚于今天")]
    StartInFuture,
    #[error("身份证有效期起始日期不能早于出生日期")]
    StartBeforeBirth,
    #[error("身份证有效期截止日期应晚于起始日期")]
    EndBeforeStart,
    /// The end date is not start + the legal term. Carries the legal term(s).
    #[error("身份证有效期截止日期与起始日期不符,按领证时年龄有效期应为{}", terms_zh(.0))]
    EndMismatch(Vec<ValidityTerm>),
    /// 长期有效 was chosen for someone under 46 at issue. Carries the legal term(s).
    #[error("领证时未满46周岁的,身份证有效期不能为长期有效,应为{}", terms_zh(.0))]
    LongTermNotAllowed(Vec<ValidityTerm>),
    /// An end date was given for someone 46 or over at issue.
    #[error("领证时已满46周岁的,身份证有效期应为长期有效")]
    LongTermRequired,
    #[error("身份证已过有效期,请换领新证后再办理")]
    Expired,
}

fn terms_zh(terms: &[ValidityTerm]) -> String {
    terms
        .iter()
        .map(|t| t.label_zh())
        .collect::<Vec<_>>()
        .join("或")
}

impl UserError for ValidityError {
    fn code(&self) -> &'static str {
        match self {
            ValidityError::StartInFuture => "validity_start_future",
            ValidityError::StartBeforeBirth => "validity_start_before_birth",
            ValidityError::EndBeforeStart => "validity_end_before_start",
            ValidityError::EndMismatch(_) => "validity_end_mismatch",
            ValidityError::LongTermNotAllowed(_) => "validity_long_term_not_allowed",
            ValidityError::LongTermRequired => "validity_long_term_required",
            ValidityError::Expired => "id_expired",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

impl IdValidity {
    /// Checks a validity period as entered: `from` (有效期起始), `to` (有效期截止, `None` =
    /// 长期有效), for a holder born on `birth`.
    ///
    /// Rules, in order: start not after `today`; start not before birth; end after start; the
    /// term (end − start) is one the law gives at the holder's age (see the module docs for the
    /// grace period and Feb 29); end not before `today` (a card is valid through its end date).
    pub fn parse(
        birth: NaiveDate,
        from: NaiveDate,
        to: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<IdValidity, ValidityError> {
        if from > today {
            return Err(ValidityError::StartInFuture);
        }
        if from < birth {
            return Err(ValidityError::StartBeforeBirth);
        }
        let end = ValidityEnd::from(to);
        if let ValidityEnd::Date(to) = end {
            if to <= from {
                return Err(ValidityError::EndBeforeStart);
            }
        }
        let legal = ValidityTerm::legal_for(birth, from);
        let Some(term) = legal.iter().copied().find(|t| t.matches(from, end)) else {
            return Err(match end {
                ValidityEnd::LongTerm => ValidityError::LongTermNotAllowed(legal),
                ValidityEnd::Date(_) if legal == [ValidityTerm::LongTerm] => {
                    ValidityError::LongTermRequired
                }
                ValidityEnd::Date(_) => ValidityError::EndMismatch(
                    legal.into_iter().filter(|t| t.years().is_some()).collect(),
                ),
            });
        };
        if let ValidityEnd::Date(to) = end {
            if to < today {
                return Err(ValidityError::Expired);
            }
        }
        Ok(IdValidity {
            start: from,
            end,
            term,
        })
    }

    /// The period a card of `term` starting on `from` has, checked like [`IdValidity::parse`].
    /// This is what the registration screen does when the person picks 5年/10年/20年/长期有效.
    pub fn from_term(
        birth: NaiveDate,
        from: NaiveDate,
        term: ValidityTerm,
        today: NaiveDate,
    ) -> Result<IdValidity, ValidityError> {
        IdValidity::parse(birth, from, term.end_for(from).date(), today)
    }

    /// 有效期起始 (the issue date printed on the card).
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// 有效期截止, or [`ValidityEnd::LongTerm`].
    pub fn end(&self) -> ValidityEnd {
        self.end
    }

    /// The term of the card.
    pub fn term(&self) -> ValidityTerm {
        self.term
    }

    /// Whether the card is still valid on `date` (valid through its end date).
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        date >= self.start && self.end.date().is_none_or(|end| date <= end)
    }
}

impl fmt::Display for IdValidity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} 至 {}", self.start.format("%Y-%m-%d"), self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const TODAY: (i32, u32, u32) = (2025, 3, 15);

    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    fn err(birth: NaiveDate, from: NaiveDate, to: Option<NaiveDate>) -> ValidityError {
        IdValidity::parse(birth, from, to, today()).unwrap_err()
    }

    #[test]
    fn terms_by_age_follow_the_law() {
        assert_eq!(ValidityTerm::for_age(0), ValidityTerm::FiveYears);
        assert_eq!(ValidityTerm::for_age(15), ValidityTerm::FiveYears);
        assert_eq!(ValidityTerm::for_age(16), ValidityTerm::TenYears);
        assert_eq!(ValidityTerm::for_age(25), ValidityTerm::TenYears);
        assert_eq!(ValidityTerm::for_age(26), ValidityTerm::TwentyYears);
        assert_eq!(ValidityTerm::for_age(45), ValidityTerm::TwentyYears);
        assert_eq!(ValidityTerm::for_age(46), ValidityTerm::LongTerm);
        assert_eq!(ValidityTerm::for_age(90), ValidityTerm::LongTerm);
    }

    #[test]
    fn a_veteran_over_46_has_a_long_term_card() {
        let v = IdValidity::parse(d(1955, 8, 1), d(2010, 6, 1), None, today()).unwrap();
        assert_eq!(v.term(), ValidityTerm::LongTerm);
        assert_eq!(v.end(), ValidityEnd::LongTerm);
        assert!(v.is_valid_on(d(2090, 1, 1)));
        assert_eq!(v.to_string(), "2010-06-01 至 长期有效");
        let e = err(d(1955, 8, 1), d(2010, 6, 1), Some(d(2030, 6, 1)));
        assert_eq!(e.code(), "validity_long_term_required");
    }

    #[test]
    fn twenty_and_ten_and_five_year_cards() {
        let v =
            IdValidity::parse(d(1980, 1, 1), d(2015, 3, 1), Some(d(2035, 3, 1)), today()).unwrap();
        assert_eq!(v.term(), ValidityTerm::TwentyYears);
        assert_eq!(v.to_string(), "2015-03-01 至 2035-03-01");
        let v =
            IdValidity::parse(d(2000, 1, 1), d(2020, 3, 1), Some(d(2030, 3, 1)), today()).unwrap();
        assert_eq!(v.term(), ValidityTerm::TenYears);
        let v =
            IdValidity::parse(d(2015, 1, 1), d(2022, 3, 1), Some(d(2027, 3, 1)), today()).unwrap();
        assert_eq!(v.term(), ValidityTerm::FiveYears);
    }

    #[test]
    fn wrong_term_for_age_is_rejected_with_the_expected_term() {
        // 35 at issue: 20 years, not 10.
        let e = err(d(1980, 1, 1), d(2015, 3, 1), Some(d(2025, 3, 1)));
        assert_eq!(
            e,
            ValidityError::EndMismatch(vec![ValidityTerm::TwentyYears])
        );
        assert_eq!(e.code(), "validity_end_mismatch");
        assert!(e.message().contains("20年"), "{}", e.message());
        // Right term length, but off by one day.
        let e = err(d(1980, 1, 1), d(2015, 3, 1), Some(d(2035, 3, 2)));
        assert_eq!(e.code(), "validity_end_mismatch");
        let e = err(d(1980, 1, 1), d(2015, 3, 1), Some(d(2035, 2, 28)));
        assert_eq!(e.code(), "validity_end_mismatch");
        // 长期有效 at 35.
        let e = err(d(1980, 1, 1), d(2015, 3, 1), None);
        assert_eq!(
            e,
            ValidityError::LongTermNotAllowed(vec![ValidityTerm::TwentyYears])
        );
        assert_eq!(e.code(), "validity_long_term_not_allowed");
    }

    #[test]
    fn age_boundary_on_the_issue_day() {
        // Turns 46 on the issue day: long-term; the day before: 20 years (plus grace).
        let birth = d(1970, 6, 10);
        assert!(IdValidity::parse(birth, d(2016, 6, 10), None, today()).is_ok());
        assert_eq!(
            ValidityTerm::legal_for(birth, d(2016, 6, 10)),
            [ValidityTerm::TwentyYears, ValidityTerm::LongTerm]
        );
        assert_eq!(
            ValidityTerm::legal_for(birth, d(2016, 6, 9)),
            [ValidityTerm::TwentyYears]
        );
        // Far past the boundary: only long-term.
        assert_eq!(
            ValidityTerm::legal_for(birth, d(2016, 9, 9)),
            [ValidityTerm::LongTerm]
        );
    }

    #[test]
    fn application_grace_period_allows_the_younger_term() {
        // Applied at 25, card issued 30 days after the 26th birthday: 10 years is legal.
        let birth = d(1995, 1, 1);
        let issued = d(2021, 1, 31);
        assert_eq!(
            ValidityTerm::legal_for(birth, issued),
            [ValidityTerm::TenYears, ValidityTerm::TwentyYears]
        );
        assert!(IdValidity::parse(birth, issued, Some(d(2031, 1, 31)), today()).is_ok());
        assert!(IdValidity::parse(birth, issued, Some(d(2041, 1, 31)), today()).is_ok());
        // 91 days after the birthday the grace is over.
        let late = d(2021, 4, 2);
        assert_eq!(
            ValidityTerm::legal_for(birth, late),
            [ValidityTerm::TwentyYears]
        );
        let e = err(birth, late, Some(d(2031, 4, 2)));
        assert_eq!(
            e,
            ValidityError::EndMismatch(vec![ValidityTerm::TwentyYears])
        );
    }

    #[test]
    fn feb_29_start_ends_on_feb_28_or_mar_1() {
        let birth = d(1990, 5, 5);
        let start = d(2016, 2, 29); // 25 at issue: 10 years → 2026, no Feb 29.
        assert_eq!(
            ValidityTerm::TenYears.end_for(start),
            ValidityEnd::Date(d(2026, 2, 28))
        );
        assert!(IdValidity::parse(birth, start, Some(d(2026, 2, 28)), today()).is_ok());
        assert!(IdValidity::parse(birth, start, Some(d(2026, 3, 1)), today()).is_ok());
        assert_eq!(
            err(birth, start, Some(d(2026, 3, 2))).code(),
            "validity_end_mismatch"
        );
        assert_eq!(
            err(birth, start, Some(d(2026, 2, 27))).code(),
            "validity_end_mismatch"
        );
        // 20 years from a leap day lands on a leap year: Feb 29 exactly.
        let birth = d(1980, 5, 5);
        let start = d(2008, 2, 29);
        assert_eq!(
            ValidityTerm::TwentyYears.end_for(start),
            ValidityEnd::Date(d(2028, 2, 29))
        );
        assert!(IdValidity::parse(birth, start, Some(d(2028, 2, 29)), today()).is_ok());
        assert_eq!(
            err(birth, start, Some(d(2028, 2, 28))).code(),
            "validity_end_mismatch"
        );
    }

    #[test]
    fn expired_card_is_its_own_error() {
        let birth = d(1975, 1, 1); // 30 at issue: 20 years.
        let e = err(birth, d(2005, 3, 14), Some(d(2025, 3, 14)));
        assert_eq!(e, ValidityError::Expired);
        assert_eq!(e.code(), "id_expired");
        // Valid through the end date itself.
        let v = IdValidity::parse(birth, d(2005, 3, 15), Some(d(2025, 3, 15)), today()).unwrap();
        assert!(v.is_valid_on(today()));
        assert!(!v.is_valid_on(d(2025, 3, 16)));
    }

    #[test]
    fn start_dates_are_checked() {
        let birth = d(1980, 1, 1);
        assert_eq!(
            err(birth, d(2025, 3, 16), None).code(),
            "validity_start_future"
        );
        assert_eq!(
            err(d(2010, 1, 1), d(2009, 12, 31), Some(d(2014, 12, 31))).code(),
            "validity_start_before_birth"
        );
        assert_eq!(
            err(birth, d(2015, 3, 1), Some(d(2015, 3, 1))).code(),
            "validity_end_before_start"
        );
        assert_eq!(
            err(birth, d(2015, 3, 1), Some(d(2014, 3, 1))).code(),
            "validity_end_before_start"
        );
        // A card issued today is fine.
        assert!(IdValidity::parse(birth, today(), Some(d(2045, 3, 15)), today()).is_ok());
    }

    #[test]
    fn from_term_matches_the_ui_choices() {
        let birth = d(1980, 1, 1);
        let v = IdValidity::from_term(birth, d(2015, 3, 1), ValidityTerm::TwentyYears, today())
            .unwrap();
        assert_eq!(v.end(), ValidityEnd::Date(d(2035, 3, 1)));
        let e = IdValidity::from_term(birth, d(2015, 3, 1), ValidityTerm::FiveYears, today())
            .unwrap_err();
        assert_eq!(e.code(), "validity_end_mismatch");
        let labels: Vec<_> = ValidityTerm::ALL.iter().map(|t| t.label_zh()).collect();
        assert_eq!(labels, ["5年", "10年", "20年", "长期有效"]);
    }

    #[test]
    fn serde_shapes() {
        let v =
            IdValidity::parse(d(1980, 1, 1), d(2015, 3, 1), Some(d(2035, 3, 1)), today()).unwrap();
        let json = serde_json::to_value(v).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"start": "2015-03-01", "end": "2035-03-01", "term": "twenty_years"})
        );
        let long: ValidityEnd = serde_json::from_str("\"long_term\"").unwrap();
        assert_eq!(long, ValidityEnd::LongTerm);
        let date: ValidityEnd = serde_json::from_str("\"2035-03-01\"").unwrap();
        assert_eq!(date, ValidityEnd::Date(d(2035, 3, 1)));
        assert!(serde_json::from_str::<ValidityEnd>("\"forever\"").is_err());
        assert_eq!(
            serde_json::to_string(&ValidityTerm::LongTerm).unwrap(),
            "\"long_term\""
        );
    }
}
