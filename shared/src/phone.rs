//! Mainland China mobile numbers (手机号码).
//!
//! 11 digits starting with an allocated public mobile network prefix (公众移动通信网网号). Prefixes
//! accepted, by the first three digits (MIIT allocations up to 2024, incl. virtual operators and
//! 中国广电's 192):
//!
//! `130–139`, `145–149`, `150–153`, `155–159`, `162`, `165–167`, `170–178`, `180–189`,
//! `190–193`, `195–199`.
//!
//! Not accepted: `140–144` (IoT data-only, 13-digit numbers), `154`, `160`/`161`/`163`/`164`/
//! `168`/`169`, `179`, `194` (unallocated). A new allocation means adding a line to `is_allocated`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::UserError;

/// A valid mainland mobile number, stored as 11 digits without country code.
///
/// `Display`/`Serialize`/[`as_str`](MobilePhone::as_str) give the 11 digits; `Debug` gives only the
/// [masked](MobilePhone::masked) form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MobilePhone(String);

/// Why a string is not a valid mobile number. Messages never repeat the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("请输入手机号码")]
    Empty,
    #[error("请使用半角(英文输入法)数字输入手机号码")]
    FullWidth,
    #[error("手机号码只能包含数字")]
    Chars,
    #[error("手机号码应为11位,当前为{0}位")]
    Length(usize),
    #[error("手机号码号段不正确,请核对")]
    Prefix,
}

impl UserError for PhoneError {
    fn code(&self) -> &'static str {
        match self {
            PhoneError::Empty => "phone_empty",
            PhoneError::FullWidth => "phone_full_width",
            PhoneError::Chars => "phone_chars",
            PhoneError::Length(_) => "phone_length",
            PhoneError::Prefix => "phone_prefix",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

/// Whether the first three digits `prefix` (`b"133"`) are an allocated mobile prefix.
fn is_allocated(prefix: &[u8]) -> bool {
    matches!(
        prefix,
        [b'1', b'3', b'0'..=b'9']
            | [b'1', b'4', b'5'..=b'9']
            | [b'1', b'5', b'0'..=b'3' | b'5'..=b'9']
            | [b'1', b'6', b'2' | b'5'..=b'7']
            | [b'1', b'7', b'0'..=b'8']
            | [b'1', b'8', b'0'..=b'9']
            | [b'1', b'9', b'0'..=b'3' | b'5'..=b'9']
    )
}

impl MobilePhone {
    /// Parses a mobile number as people type or paste it: whitespace and hyphens are removed
    /// (`133 1234 5678`, `133-1234-5678`), and a country code `+86`, `0086` or `86` in front of 11
    /// digits is dropped.
    pub fn parse(s: &str) -> Result<MobilePhone, PhoneError> {
        let compact: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if compact.is_empty() {
            return Err(PhoneError::Empty);
        }
        if compact
            .chars()
            .any(|c| matches!(c, '\u{FF01}'..='\u{FF5E}'))
        {
            return Err(PhoneError::FullWidth);
        }
        // `+` is only meaningful before China's country code.
        let (digits, international) = match compact.strip_prefix('+') {
            Some(rest) => (rest.strip_prefix("86").ok_or(PhoneError::Chars)?, true),
            None => (compact.as_str(), false),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::Chars);
        }
        let digits = match digits.len() {
            13 if !international => digits.strip_prefix("86").unwrap_or(digits),
            15 if !international => digits.strip_prefix("0086").unwrap_or(digits),
            _ => digits,
        };
        if digits.len() != 11 {
            return Err(PhoneError::Length(digits.len()));
        }
        if !is_allocated(&digits.as_bytes()[..3]) {
            return Err(PhoneError::Prefix);
        }
        Ok(MobilePhone(digits.to_owned()))
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Masked for display: first three and last four digits, `133****1234`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Display for MobilePhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MobilePhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobilePhone({})", self.masked())
    }
}

impl AsRef<str> for MobilePhone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for MobilePhone {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MobilePhone::parse(s)
    }
}

impl Serialize for MobilePhone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MobilePhone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        MobilePhone::parse(&s).map_err(|e| serde::de::Error::custom(e.code()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> &'static str {
        MobilePhone::parse(s).unwrap_err().code()
    }

    #[test]
    fn accepts_numbers_from_every_allocated_block() {
        for good in [
            "13012345678",
            "13912345678",
            "14512345678",
            "14912345678",
            "15012345678",
            "15312345678",
            "15512345678",
            "15912345678",
            "16212345678",
            "16512345678",
            "16712345678",
            "17012345678",
            "17812345678",
            "18012345678",
            "18912345678",
            "19012345678",
            "19212345678",
            "19312345678",
            "19512345678",
            "19912345678",
        ] {
            assert_eq!(MobilePhone::parse(good).unwrap().as_str(), good);
        }
    }

    #[test]
    fn rejects_unallocated_prefixes() {
        for bad in [
            "14012345678",
            "14412345678",
            "15412345678",
            "16012345678",
            "16112345678",
            "16312345678",
            "16412345678",
            "16812345678",
            "16912345678",
            "17912345678",
            "19412345678",
            "12012345678",
            "11012345678",
            "10012345678",
            "23312345678",
            "03312345678",
        ] {
            assert_eq!(code(bad), "phone_prefix", "{bad}");
        }
    }

    #[test]
    fn normalises_separators_and_country_code() {
        for s in [
            "133 1234 5678",
            "133-1234-5678",
            " 13312345678 ",
            "+8613312345678",
            "+86 133 1234 5678",
            "8613312345678",
            "008613312345678",
            "+86-133-1234-5678",
        ] {
            assert_eq!(
                MobilePhone::parse(s).unwrap().as_str(),
                "13312345678",
                "{s}"
            );
        }
    }

    #[test]
    fn shape_errors_have_their_own_codes() {
        assert_eq!(code(""), "phone_empty");
        assert_eq!(code(" - "), "phone_empty");
        assert_eq!(code("１３３１２３４５６７８"), "phone_full_width");
        assert_eq!(code("133123456a8"), "phone_chars");
        assert_eq!(code("+8513312345678"), "phone_chars");
        assert_eq!(code("+13312345678"), "phone_chars");
        assert_eq!(code("(133)12345678"), "phone_chars");
        assert_eq!(code("1331234567"), "phone_length");
        assert_eq!(code("133123456789"), "phone_length");
        assert_eq!(code("8713312345678"), "phone_length");
        assert_eq!(code("+86133123456"), "phone_length");
        assert_eq!(code("+868613312345678"), "phone_length");
        assert_eq!(
            MobilePhone::parse("1331234567").unwrap_err().message(),
            "手机号码应为11位,当前为10位"
        );
    }

    #[test]
    fn masked_debug_and_serde() {
        let p = MobilePhone::parse("13312341234").unwrap();
        assert_eq!(p.masked(), "133****1234");
        assert_eq!(format!("{p:?}"), "MobilePhone(133****1234)");
        assert_eq!(p.to_string(), "13312341234");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"13312341234\"");
        let back: MobilePhone = serde_json::from_str("\"133-1234-1234\"").unwrap();
        assert_eq!(back, p);
        assert!(serde_json::from_str::<MobilePhone>("\"12345\"").is_err());
    }
}
