//! 统一社会信用代码 (unified social credit identifier of a legal person or other organisation),
//! GB 32100-2015.
//!
//! 18 characters from the 31-symbol alphabet `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I, O, S, V, Z):
//!
//! | positions | meaning |
//! |---|---|
//! | 1     | registration authority (e.g. `1` 机构编制, `5` 民政, `9` 工商/市场监管, `Y` 其他) |
//! | 2     | organisation type within that authority |
//! | 3–8   | GB/T 2260 code of the registering office (digits) |
//! | 9–17  | organisation code (GB 11714) |
//! | 18    | check character: with each character's value `v` (its index in the alphabet) and weights `3^(i-1) mod 31`, check value = `31 − (Σ v·w mod 31)`, with 31 written as `0` |
//!
//! Units (e.g. a 退役军人服务站) register with it; it is public information, so `Debug` shows it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::UserError;

/// The code alphabet, in value order.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A valid 统一社会信用代码, upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

/// Why a string is not a valid 统一社会信用代码. Messages never repeat the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("请输入统一社会信用代码")]
    Empty,
    #[error("统一社会信用代码应为18位,当前为{0}位")]
    Length(usize),
    #[error("统一社会信用代码只能包含数字和大写字母(不含I、O、S、V、Z)")]
    Chars,
    #[error("统一社会信用代码第3至8位应为行政区划代码(数字)")]
    Region,
    #[error("统一社会信用代码校验位不正确,请核对")]
    Checksum,
}

impl UserError for CreditCodeError {
    fn code(&self) -> &'static str {
        match self {
            CreditCodeError::Empty => "uscc_empty",
            CreditCodeError::Length(_) => "uscc_length",
            CreditCodeError::Chars => "uscc_chars",
            CreditCodeError::Region => "uscc_region",
            CreditCodeError::Checksum => "uscc_checksum",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

/// The value of a code character, or `None` if it is not in the alphabet.
fn value_of(c: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|a| *a == c)
        .and_then(|i| u32::try_from(i).ok())
}

/// The check character for the first 17 characters (already known to be in the alphabet).
fn check_char(body: &[u8]) -> Option<u8> {
    let mut weight = 1u32;
    let mut sum = 0u32;
    for c in body {
        sum += value_of(*c)? * weight;
        weight = weight * 3 % 31;
    }
    let check = (31 - sum % 31) % 31;
    ALPHABET.get(check as usize).copied()
}

impl CreditCode {
    /// Parses a code as typed: whitespace anywhere is removed and letters are upper-cased.
    pub fn parse(s: &str) -> Result<CreditCode, CreditCodeError> {
        let code: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if code.is_empty() {
            return Err(CreditCodeError::Empty);
        }
        if !code.bytes().all(|b| value_of(b).is_some()) {
            return Err(CreditCodeError::Chars);
        }
        // Alphabet is ASCII: bytes are characters from here on.
        if code.len() != 18 {
            return Err(CreditCodeError::Length(code.len()));
        }
        if !code.as_bytes()[2..8].iter().all(u8::is_ascii_digit) {
            return Err(CreditCodeError::Region);
        }
        if check_char(&code.as_bytes()[..17]) != code.as_bytes().get(17).copied() {
            return Err(CreditCodeError::Checksum);
        }
        Ok(CreditCode(code))
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The registering office's GB/T 2260 code (positions 3–8).
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CreditCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for CreditCode {
    type Err = CreditCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreditCode::parse(s)
    }
}

impl Serialize for CreditCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CreditCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        CreditCode::parse(&s).map_err(|e| serde::de::Error::custom(e.code()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> &'static str {
        CreditCode::parse(s).unwrap_err().code()
    }

    /// Codes printed on real business licences.
    const PUBLISHED: [&str; 3] = [
        "914403001922038216", // 华为技术有限公司
        "91440300708461136T", // 深圳市腾讯计算机系统有限公司
        "91330100799655058B", // 阿里巴巴(中国)有限公司
    ];

    #[test]
    fn accepts_published_codes() {
        for c in PUBLISHED {
            let parsed = CreditCode::parse(c).unwrap();
            assert_eq!(parsed.as_str(), c);
        }
        assert_eq!(
            CreditCode::parse("914403001922038216")
                .unwrap()
                .region_code(),
            "440300"
        );
        assert_eq!(
            CreditCode::parse(" 91440300708461136t ").unwrap().as_str(),
            "91440300708461136T"
        );
    }

    #[test]
    fn every_other_check_character_is_rejected() {
        for c in PUBLISHED {
            let good = c.as_bytes()[17];
            for other in ALPHABET.iter().filter(|a| **a != good) {
                let mut bad = c.as_bytes().to_vec();
                bad[17] = *other;
                let bad = String::from_utf8(bad).unwrap();
                assert_eq!(code(&bad), "uscc_checksum", "{bad}");
            }
        }
    }

    #[test]
    fn check_value_31_is_written_as_0() {
        // Find bodies whose weighted sum is 0 mod 31: the check must be `0`, not out of range.
        let body = b"00000000000000000";
        assert_eq!(check_char(body), Some(b'0'));
        assert!(CreditCode::parse("000000000000000000").is_ok());
    }

    #[test]
    fn shape_errors_have_their_own_codes() {
        assert_eq!(code(""), "uscc_empty");
        assert_eq!(code("91440300708461136"), "uscc_length");
        assert_eq!(code("91440300708461136TT"), "uscc_length");
        assert_eq!(code("9144030070846113IT"), "uscc_chars");
        assert_eq!(code("914403007084611S6T"), "uscc_chars");
        assert_eq!(code("91440300-708461136T"), "uscc_chars");
        assert_eq!(code("９１４４０３００７０８４６１１３６Ｔ"), "uscc_chars");
        assert_eq!(code("91A40300708461136T"), "uscc_region");
        assert_eq!(
            CreditCode::parse("9144").unwrap_err().message(),
            "统一社会信用代码应为18位,当前为4位"
        );
    }

    #[test]
    fn serde_round_trip() {
        let c = CreditCode::parse("914403001922038216").unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"914403001922038216\"");
        assert_eq!(serde_json::from_str::<CreditCode>(&json).unwrap(), c);
        assert!(serde_json::from_str::<CreditCode>("\"914403001922038217\"").is_err());
    }
}
