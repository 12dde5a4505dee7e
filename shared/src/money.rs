//! Amounts of money in yuan (元), e.g. 上年度交纳党费数额.
//!
//! Stored exactly as whole fen (分, 1/100 yuan) in a `u64`; never a float.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::UserError;

/// Largest amount accepted, in yuan. Far above any yearly party dues, and keeps every sum of a
/// few million amounts far from `u64::MAX`.
pub const MAX_YUAN: u64 = 1_000_000;

/// A non-negative amount of at most [`MAX_YUAN`] yuan with at most two decimals.
///
/// `Display` and `Serialize` always show two decimals (`200.00`, `200.50`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Yuan(u64);

/// Why a string is not an acceptable amount. Messages never repeat the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("请输入金额")]
    Empty,
    #[error("请输入正确的金额,如200或200.50")]
    Format,
    #[error("金额不能为负数")]
    Negative,
    #[error("金额最多保留两位小数")]
    TooManyDecimals,
    #[error("金额不能超过{}元", MAX_YUAN)]
    TooLarge,
}

impl UserError for MoneyError {
    fn code(&self) -> &'static str {
        match self {
            MoneyError::Empty => "money_empty",
            MoneyError::Format => "money_format",
            MoneyError::Negative => "money_negative",
            MoneyError::TooManyDecimals => "money_too_many_decimals",
            MoneyError::TooLarge => "money_too_large",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl Yuan {
    /// Zero yuan.
    pub const ZERO: Yuan = Yuan(0);
    /// The largest amount, [`MAX_YUAN`] yuan.
    pub const MAX: Yuan = Yuan(MAX_YUAN * 100);

    /// Parses a decimal amount in yuan: `200`, `200.5`, `200.50`, `0.01`; surrounding
    /// whitespace, a leading `¥`/`￥` and a trailing `元` are allowed. Rejected: signs, exponents
    /// (`1e3`), thousands separators, a bare `.` or a dot without digits on both sides (`.5`,
    /// `5.`), more than two decimals, and amounts over [`MAX_YUAN`].
    pub fn parse(s: &str) -> Result<Yuan, MoneyError> {
        let s = s.trim();
        let s = s.strip_prefix(['¥', '￥']).unwrap_or(s);
        let s = s.strip_suffix('元').unwrap_or(s).trim();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (unsigned, negative) = match s.strip_prefix('-') {
            Some(rest) => (rest.trim_start(), true),
            None => (s, false),
        };
        let (int, frac) = match unsigned.split_once('.') {
            Some((int, frac)) => (int, Some(frac)),
            None => (unsigned, None),
        };
        if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
            return Err(MoneyError::Format);
        }
        if negative {
            return Err(MoneyError::Negative);
        }
        let frac = frac.unwrap_or("");
        if frac.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let int = int.trim_start_matches('0');
        // More than 7 integer digits is over the limit; checking length first avoids overflow.
        if int.len() > 7 {
            return Err(MoneyError::TooLarge);
        }
        let yuan: u64 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| MoneyError::Format)?
        };
        let fen: u64 = match frac.len() {
            0 => 0,
            1 => u64::from(frac.as_bytes()[0] - b'0') * 10,
            _ => frac.parse().map_err(|_| MoneyError::Format)?,
        };
        Yuan::from_fen(yuan * 100 + fen)
    }

    /// An amount of `fen` 分, if it is within [`MAX_YUAN`].
    pub fn from_fen(fen: u64) -> Result<Yuan, MoneyError> {
        if fen > Yuan::MAX.0 {
            return Err(MoneyError::TooLarge);
        }
        Ok(Yuan(fen))
    }

    /// The amount in fen (分).
    pub fn fen(self) -> u64 {
        self.0
    }

    /// The sum, if it stays within [`MAX_YUAN`].
    pub fn checked_add(self, other: Yuan) -> Option<Yuan> {
        self.0
            .checked_add(other.0)
            .and_then(|fen| Yuan::from_fen(fen).ok())
    }
}

impl fmt::Display for Yuan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl std::str::FromStr for Yuan {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Yuan::parse(s)
    }
}

impl Serialize for Yuan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Yuan {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Yuan::parse(&s).map_err(|e| serde::de::Error::custom(e.code()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fen(s: &str) -> u64 {
        Yuan::parse(s).unwrap().fen()
    }

    fn code(s: &str) -> &'static str {
        Yuan::parse(s).unwrap_err().code()
    }

    #[test]
    fn accepts_plain_amounts() {
        assert_eq!(fen("200"), 20_000);
        assert_eq!(fen("200.5"), 20_050);
        assert_eq!(fen("200.50"), 20_050);
        assert_eq!(fen("200.05"), 20_005);
        assert_eq!(fen("0"), 0);
        assert_eq!(fen("0.01"), 1);
        assert_eq!(fen("007.10"), 710);
        assert_eq!(fen(" 36.00 "), 3_600);
        assert_eq!(fen("¥36"), 3_600);
        assert_eq!(fen("￥36.5元"), 3_650);
        assert_eq!(fen("1000000"), 100_000_000);
        assert_eq!(fen("1000000.00"), 100_000_000);
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        assert_eq!(code(""), "money_empty");
        assert_eq!(code(" 元 "), "money_empty");
        assert_eq!(code("-1"), "money_negative");
        assert_eq!(code("-0.5"), "money_negative");
        assert_eq!(code("1.234"), "money_too_many_decimals");
        assert_eq!(code("1000000.01"), "money_too_large");
        assert_eq!(code("99999999999999999999999"), "money_too_large");
        for bad in [
            "abc",
            "1e3",
            "1,000",
            "1 000",
            ".5",
            "5.",
            ".",
            "+5",
            "1.2.3",
            "NaN",
            "inf",
            "１００",
            "--1",
            "-",
            "0x10",
            "5 元 5",
        ] {
            assert_eq!(code(bad), "money_format", "{bad}");
        }
    }

    #[test]
    fn display_always_has_two_decimals() {
        assert_eq!(Yuan::parse("200").unwrap().to_string(), "200.00");
        assert_eq!(Yuan::parse("200.5").unwrap().to_string(), "200.50");
        assert_eq!(Yuan::parse("0.07").unwrap().to_string(), "0.07");
        assert_eq!(Yuan::ZERO.to_string(), "0.00");
        assert_eq!(Yuan::MAX.to_string(), "1000000.00");
    }

    #[test]
    fn fen_and_arithmetic() {
        assert_eq!(Yuan::from_fen(12_345).unwrap().to_string(), "123.45");
        assert_eq!(
            Yuan::from_fen(100_000_001).unwrap_err().code(),
            "money_too_large"
        );
        let a = Yuan::parse("0.10").unwrap();
        let b = Yuan::parse("0.20").unwrap();
        assert_eq!(a.checked_add(b).unwrap().to_string(), "0.30");
        assert_eq!(Yuan::MAX.checked_add(Yuan::from_fen(1).unwrap()), None);
    }

    #[test]
    fn serde_as_string() {
        let y = Yuan::parse("200.5").unwrap();
        assert_eq!(serde_json::to_string(&y).unwrap(), "\"200.50\"");
        assert_eq!(serde_json::from_str::<Yuan>("\"200.50\"").unwrap(), y);
        assert!(serde_json::from_str::<Yuan>("\"-1\"").is_err());
        assert!(serde_json::from_str::<Yuan>("200.5").is_err());
        assert_eq!(
            Yuan::parse("1.234").unwrap_err().message(),
            "金额最多保留两位小数"
        );
        assert_eq!(
            Yuan::parse("2000000").unwrap_err().message(),
            "金额不能超过1000000元"
        );
    }
}
