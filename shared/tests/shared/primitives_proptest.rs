//! Property tests for the primitive domain types: parsers never panic on arbitrary input, valid
//! values generated independently of the code under test are accepted, and Display/parse
//! round-trips.
//!
//! Check characters are computed here from the published algorithms, not with the crate's own
//! helpers, so a wrong constant in the crate fails these tests.

use chrono::{Datelike, Days, NaiveDate};
use proptest::prelude::*;
use shared::error::UserError;
use shared::id::{
    DocumentKind, IdDocument, IdNumber, IdValidity, Sex, ValidityError, ValidityTerm,
};
use shared::money::Yuan;
use shared::name::PersonName;
use shared::password::PasswordPolicy;
use shared::phone::MobilePhone;
use shared::uscc::CreditCode;

const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 15).unwrap()
}

fn earliest() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap()
}

/// ISO 7064 MOD 11-2 as GB 11643-1999 states it: weights 2^(18-i) mod 11.
fn mod11_2(body: &str) -> char {
    let sum: u64 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| u64::from(b - b'0') * ((1u64 << (17 - i)) % 11))
        .sum();
    let check = (12 - sum % 11) % 11;
    if check == 10 {
        'X'
    } else {
        char::from(b'0' + check as u8)
    }
}

/// GB 32100-2015 check: weights 3^(i-1) mod 31, check = 31 - sum mod 31 (31 → 0).
const USCC_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
fn uscc_check(body: &str) -> char {
    let mut sum = 0u64;
    let mut w = 1u64;
    for c in body.chars() {
        sum += USCC_ALPHABET.find(c).unwrap() as u64 * w;
        w = w * 3 % 31;
    }
    USCC_ALPHABET.as_bytes()[((31 - sum % 31) % 31) as usize] as char
}

fn date_between(from: NaiveDate, to: NaiveDate) -> impl Strategy<Value = NaiveDate> {
    let span = (to - from).num_days() as u64;
    (0..=span).prop_map(move |d| from.checked_add_days(Days::new(d)).unwrap())
}

prop_compose! {
    /// A valid 身份证号 with its birth date and sequence number.
    fn valid_id()(
        province in prop::sample::select(&PROVINCES[..]),
        area in 0u32..10_000,
        birth in date_between(earliest(), today()),
        seq in 0u32..1000,
    ) -> (String, NaiveDate, u32) {
        let body = format!("{province}{area:04}{}{seq:03}", birth.format("%Y%m%d"));
        let check = mod11_2(&body);
        (format!("{body}{check}"), birth, seq)
    }
}

fn mobile_prefixes() -> Vec<String> {
    let mut v = Vec::new();
    for p in 130..=199u32 {
        let (a, b) = (p / 10 % 10, p % 10);
        let ok = match a {
            3 | 8 => true,
            4 => (5..=9).contains(&b),
            5 => b != 4,
            6 => matches!(b, 2 | 5 | 6 | 7),
            7 => b <= 8,
            9 => b != 4,
            _ => false,
        };
        if ok {
            v.push(p.to_string());
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    // ---------------------------------------------------------------- never panic

    #[test]
    fn parsers_never_panic_on_arbitrary_strings(s in any::<String>()) {
        let _ = IdNumber::parse(&s, today());
        for kind in DocumentKind::ALL {
            let _ = IdDocument::parse(kind, &s, today());
        }
        let _ = MobilePhone::parse(&s);
        let _ = PersonName::parse(&s);
        let _ = PasswordPolicy::Platform.parse(&s);
        let _ = PasswordPolicy::Strict.parse(&s);
        let _ = CreditCode::parse(&s);
        let _ = Yuan::parse(&s);
    }

    #[test]
    fn parsers_never_panic_on_near_valid_strings(
        s in "[0-9xX +()\\-.·•HMEGUSA¥元]{0,24}",
    ) {
        if let Ok(id) = IdNumber::parse(&s, today()) {
            prop_assert_eq!(id.as_str().len(), 18);
            prop_assert_eq!(id.masked().chars().count(), 18);
        }
        for kind in DocumentKind::ALL {
            if let Ok(doc) = IdDocument::parse(kind, &s, today()) {
                prop_assert_eq!(doc.masked().len(), doc.as_str().len());
            }
        }
        if let Ok(p) = MobilePhone::parse(&s) {
            prop_assert_eq!(p.as_str().len(), 11);
        }
        let _ = PersonName::parse(&s).map(|n| n.masked());
        let _ = CreditCode::parse(&s);
        if let Ok(y) = Yuan::parse(&s) {
            prop_assert!(y <= Yuan::MAX);
        }
    }

    #[test]
    fn validity_never_panics(
        birth in date_between(NaiveDate::from_ymd_opt(1, 1, 1).unwrap(), NaiveDate::from_ymd_opt(9999, 12, 31).unwrap()),
        from in date_between(NaiveDate::from_ymd_opt(1, 1, 1).unwrap(), NaiveDate::from_ymd_opt(9999, 12, 31).unwrap()),
        to in proptest::option::of(date_between(NaiveDate::from_ymd_opt(1, 1, 1).unwrap(), NaiveDate::from_ymd_opt(9999, 12, 31).unwrap())),
    ) {
        let _ = IdValidity::parse(birth, from, to, today());
        let _ = ValidityTerm::legal_for(birth, from);
        for term in ValidityTerm::ALL {
            let _ = term.end_for(from);
        }
    }

    // ---------------------------------------------------------------- 身份证号

    #[test]
    fn generated_id_numbers_are_accepted_and_round_trip((id, birth, seq) in valid_id()) {
        let parsed = IdNumber::parse(&id, today()).unwrap();
        prop_assert_eq!(parsed.as_str(), id.as_str());
        prop_assert_eq!(parsed.birth_date(), birth);
        prop_assert_eq!(parsed.sex(), if seq % 2 == 1 { Sex::Male } else { Sex::Female });
        prop_assert_eq!(parsed.province_code(), &id[..2]);
        prop_assert_eq!(parsed.district_code(), &id[..6]);
        let masked = parsed.masked();
        prop_assert_eq!(&masked[..6], &id[..6]);
        prop_assert_eq!(&masked[14..], &id[14..]);
        prop_assert_eq!(&masked[6..14], "********");
        let again = IdNumber::parse(&format!("{parsed}"), today()).unwrap();
        prop_assert_eq!(&again, &parsed);
        let lower = IdNumber::parse(&id.to_lowercase(), today()).unwrap();
        prop_assert_eq!(&lower, &parsed);
        prop_assert_eq!(parsed.age_on(today()) as i32, {
            let mut a = today().year() - birth.year();
            if (today().month(), today().day()) < (birth.month(), birth.day()) { a -= 1; }
            a
        });
        prop_assert_eq!(IdNumber::check_char(&id[..17]), id.chars().last());
    }

    #[test]
    fn any_single_substitution_is_rejected((id, _, _) in valid_id(), pos in 0usize..18, replacement in prop::sample::select(&b"0123456789X"[..])) {
        let mut bytes = id.clone().into_bytes();
        prop_assume!(bytes[pos] != replacement);
        bytes[pos] = replacement;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(IdNumber::parse(&changed, today()).is_err(), "{} accepted", changed);
    }

    #[test]
    fn permanent_residence_numbers_are_accepted(
        province in prop::sample::select(&PROVINCES[..]),
        nationality in 1u32..1000,
        birth in date_between(earliest(), today()),
        seq in 0u32..1000,
    ) {
        let body = format!("9{province}{nationality:03}{}{seq:03}", birth.format("%Y%m%d"));
        let number = format!("{body}{}", mod11_2(&body));
        let doc = IdDocument::parse(DocumentKind::ForeignPermanentResidence, &number, today()).unwrap();
        prop_assert_eq!(doc.birth_date(), Some(birth));
        prop_assert_eq!(doc.to_string(), number);
    }

    // ---------------------------------------------------------------- validity

    #[test]
    fn legal_terms_are_accepted_and_others_refused(
        birth in date_between(earliest(), today()),
        offset in 0u64..40_000,
    ) {
        let from = birth.checked_add_days(Days::new(offset)).unwrap();
        prop_assume!(from <= today());
        let legal = ValidityTerm::legal_for(birth, from);
        prop_assert!(!legal.is_empty() && legal.len() <= 2);
        for term in ValidityTerm::ALL {
            let result = IdValidity::from_term(birth, from, term, today());
            if legal.contains(&term) {
                match result {
                    Ok(v) => {
                        prop_assert_eq!(v.term(), term);
                        prop_assert_eq!(v.start(), from);
                        prop_assert!(v.is_valid_on(today()));
                    }
                    Err(e) => prop_assert_eq!(e, ValidityError::Expired),
                }
            } else {
                prop_assert!(result.is_err(), "{:?} accepted for {} / {}", term, birth, from);
                prop_assert_ne!(result.unwrap_err().code(), "id_expired");
            }
        }
    }

    // ---------------------------------------------------------------- phone

    #[test]
    fn generated_mobiles_are_accepted_in_any_notation(
        prefix in prop::sample::select(mobile_prefixes()),
        rest in 0u32..100_000_000,
        notation in 0usize..5,
    ) {
        let number = format!("{prefix}{rest:08}");
        let typed = match notation {
            0 => number.clone(),
            1 => format!("+86{number}"),
            2 => format!("86 {} {} {}", &number[..3], &number[3..7], &number[7..]),
            3 => format!("{}-{}-{}", &number[..3], &number[3..7], &number[7..]),
            _ => format!(" 0086{number} "),
        };
        let p = MobilePhone::parse(&typed).unwrap();
        prop_assert_eq!(p.as_str(), number.as_str());
        prop_assert_eq!(MobilePhone::parse(&format!("{p}")).unwrap(), p.clone());
        prop_assert_eq!(p.masked(), format!("{}****{}", &number[..3], &number[7..]));
    }

    #[test]
    fn eleven_digit_numbers_are_accepted_iff_their_prefix_is_allocated(n in 10_000_000_000u64..20_000_000_000) {
        let s = n.to_string();
        let allocated = mobile_prefixes().contains(&s[..3].to_string());
        prop_assert_eq!(MobilePhone::parse(&s).is_ok(), allocated);
    }

    // ---------------------------------------------------------------- names

    #[test]
    fn han_names_round_trip(
        parts in prop::collection::vec(prop::collection::vec(0x4E00u32..=0x9FFF, 1..6), 1..4),
        dot in prop::sample::select(vec!['·', '•', '・', '．', '‧', '.']),
    ) {
        let words: Vec<String> = parts.iter().map(|p| p.iter().map(|c| char::from_u32(*c).unwrap()).collect()).collect();
        let typed = words.join(&dot.to_string());
        let total: usize = words.iter().map(|w| w.chars().count()).sum();
        let result = PersonName::parse(&typed);
        if total + words.len() - 1 < 2 {
            prop_assert_eq!(result.unwrap_err().code(), "name_too_short");
        } else {
            let name = result.unwrap();
            prop_assert_eq!(name.as_str(), words.join("·"));
            prop_assert_eq!(PersonName::parse(&format!("{name}")).unwrap(), name.clone());
            prop_assert!(name.masked().starts_with("**"));
            prop_assert_eq!(name.masked().chars().last(), typed.chars().last());
        }
    }

    #[test]
    fn latin_names_round_trip(words in prop::collection::vec("[A-Za-z]{1,10}", 1..4)) {
        let typed = format!("  {}  ", words.join("   "));
        let joined = words.join(" ");
        prop_assume!(joined.len() <= 60 && joined.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 2);
        let name = PersonName::parse(&typed).unwrap();
        prop_assert_eq!(name.as_str(), joined.as_str());
        prop_assert_eq!(PersonName::parse(&format!("{name}")).unwrap(), name);
    }

    // ---------------------------------------------------------------- passwords

    #[test]
    fn password_policies_match_an_independent_oracle(s in "[ -~]{0,70}|[a-z0-9]{6,18}|[A-Za-z0-9!@#]{6,18}") {
        let visible = s.chars().all(|c| ('!'..='~').contains(&c));
        let n = s.chars().count();
        let digit = s.chars().any(|c| c.is_ascii_digit());
        let upper = s.chars().any(|c| c.is_ascii_uppercase());
        let lower = s.chars().any(|c| c.is_ascii_lowercase());
        let symbol = s.chars().any(|c| c.is_ascii_punctuation());
        let platform_ok = !s.is_empty() && visible && (8..=16).contains(&n) && digit && (upper || lower);
        let kinds = [upper, lower, digit, symbol].iter().filter(|k| **k).count();
        let strict_ok = !s.is_empty() && visible && (8..=64).contains(&n) && kinds >= 3;
        let platform = PasswordPolicy::Platform.parse(&s);
        prop_assert_eq!(platform.is_ok(), platform_ok);
        if let Ok(pw) = platform {
            prop_assert_eq!(pw.expose(), s.as_str());
            prop_assert_eq!(format!("{pw:?}"), "Password(***)");
        }
        prop_assert_eq!(PasswordPolicy::Strict.parse(&s).is_ok(), strict_ok);
    }

    // ---------------------------------------------------------------- USCC

    #[test]
    fn generated_credit_codes_are_accepted_and_substitutions_rejected(
        head in "[0-9ABCDEFGHJKLMNPQRTUWXY]{2}",
        region in "[0-9]{6}",
        org in "[0-9ABCDEFGHJKLMNPQRTUWXY]{9}",
        pos in 0usize..18,
        replacement in prop::sample::select(USCC_ALPHABET.chars().collect::<Vec<_>>()),
    ) {
        let body = format!("{head}{region}{org}");
        let code = format!("{body}{}", uscc_check(&body));
        let parsed = CreditCode::parse(&code).unwrap();
        prop_assert_eq!(parsed.as_str(), code.as_str());
        prop_assert_eq!(CreditCode::parse(&parsed.to_string().to_lowercase()).unwrap(), parsed);
        let mut chars: Vec<char> = code.chars().collect();
        prop_assume!(chars[pos] != replacement);
        chars[pos] = replacement;
        let changed: String = chars.into_iter().collect();
        prop_assert!(CreditCode::parse(&changed).is_err(), "{} accepted", changed);
    }

    // ---------------------------------------------------------------- money

    #[test]
    fn yuan_display_parse_round_trip(fen in 0u64..=100_000_000) {
        let y = Yuan::from_fen(fen).unwrap();
        let shown = y.to_string();
        prop_assert_eq!(&shown, &format!("{}.{:02}", fen / 100, fen % 100));
        prop_assert_eq!(Yuan::parse(&shown).unwrap(), y);
        if fen % 100 == 0 {
            prop_assert_eq!(Yuan::parse(&(fen / 100).to_string()).unwrap(), y);
        }
        if fen % 10 == 0 {
            prop_assert_eq!(Yuan::parse(&format!("{}.{}", fen / 100, fen % 100 / 10)).unwrap(), y);
        }
    }

    #[test]
    fn yuan_rejects_three_decimals_and_negatives(int in 0u64..1_000_000, frac in 0u32..1000) {
        prop_assert_eq!(Yuan::parse(&format!("{int}.{frac:03}")).unwrap_err().code(), "money_too_many_decimals");
        prop_assert_eq!(Yuan::parse(&format!("-{int}")).unwrap_err().code(), "money_negative");
    }
}
