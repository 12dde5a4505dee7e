//! Feeds arbitrary input to every primitive parser of `shared` and checks the invariants a
//! parsed value promises: no panic, and parsing a value's own display gives the same value.
#![no_main]

use chrono::{Days, NaiveDate};
use libfuzzer_sys::fuzz_target;
use shared::id::{DocumentKind, IdDocument, IdNumber, IdValidity, ValidityTerm};
use shared::money::Yuan;
use shared::name::PersonName;
use shared::password::PasswordPolicy;
use shared::phone::MobilePhone;
use shared::uscc::CreditCode;

fn day(offset: u32) -> NaiveDate {
    // Days from 1800-01-01, covering the dates an ID card can carry and then some.
    NaiveDate::from_ymd_opt(1800, 1, 1)
        .unwrap()
        .checked_add_days(Days::new(u64::from(offset % 120_000)))
        .unwrap()
}

fuzz_target!(|data: &[u8]| {
    let today = NaiveDate::from_ymd_opt(2025, 3, 15).unwrap();

    // The first 12 bytes, if present, also drive the validity-period rules.
    if let Some(head) = data.get(..12) {
        let n = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
        let (birth, from) = (day(n(0)), day(n(4)));
        let to = (n(8) % 2 == 1).then(|| day(n(8)));
        if let Ok(v) = IdValidity::parse(birth, from, to, today) {
            assert!(v.is_valid_on(today));
            assert!(ValidityTerm::legal_for(birth, from).contains(&v.term()));
        }
    }

    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(id) = IdNumber::parse(s, today) {
        assert_eq!(IdNumber::parse(id.as_str(), today).as_ref(), Ok(&id));
        assert_eq!(id.masked().len(), 18);
        assert!(id.birth_date() <= today);
    }
    for kind in DocumentKind::ALL {
        if let Ok(doc) = IdDocument::parse(kind, s, today) {
            assert_eq!(
                IdDocument::parse(kind, doc.as_str(), today).as_ref(),
                Ok(&doc)
            );
            assert_eq!(doc.masked().len(), doc.as_str().len());
        }
    }
    if let Ok(phone) = MobilePhone::parse(s) {
        assert_eq!(MobilePhone::parse(phone.as_str()).as_ref(), Ok(&phone));
    }
    if let Ok(name) = PersonName::parse(s) {
        assert_eq!(PersonName::parse(name.as_str()).as_ref(), Ok(&name));
    }
    for policy in [PasswordPolicy::Platform, PasswordPolicy::Strict] {
        if let Ok(pw) = policy.parse(s) {
            assert_eq!(pw.expose(), s);
        }
    }
    if let Ok(code) = CreditCode::parse(s) {
        assert_eq!(CreditCode::parse(code.as_str()).as_ref(), Ok(&code));
    }
    if let Ok(amount) = Yuan::parse(s) {
        assert_eq!(Yuan::parse(&amount.to_string()), Ok(amount));
    }
});
