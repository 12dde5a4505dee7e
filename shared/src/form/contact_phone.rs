//! A contact telephone number that may be a mobile or a landline (支部联系电话, 紧急联系人电话).
//!
//! Accepted forms (spaces, `-` and brackets around the area code are ignored; full-width digits
//! and `－` are read as their ASCII forms):
//!
//! - mobile: whatever [`MobilePhone::parse`] accepts, optionally after `+86`, `86` or `0086`:
//!   `13312345678`, `133-1234-5678`, `+86 133 1234 5678`;
//! - landline with its area code (区号): `010-62345678`, `(010)62345678`, `0411-8123456`,
//!   `041181234567`. The area code is `010`, `020`–`029`, or four digits starting `03`–`09`; the
//!   local number has 7 or 8 digits and does not start with 0 or 1. Because the area code's
//!   length follows from its first digits, the unseparated form is unambiguous.
//!
//! Not accepted: a landline without area code (the branch may be in another city), extensions
//! (`转123`), service numbers (400/800, 95xxx) and foreign numbers.
//!
//! Normalised display: the mobile's own form, or `AREA-LOCAL` (`010-62345678`).

use std::fmt;

use serde::{Serialize, Serializer};

use crate::error::UserError;
use crate::phone::MobilePhone;

/// A mobile or landline number, parsed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum ContactPhone {
    Mobile(MobilePhone),
    Landline(Landline),
}

/// A mainland landline number with its area code.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Landline {
    /// `010`-style area code, 3 or 4 ASCII digits.
    area: String,
    /// Local number, 7 or 8 ASCII digits.
    local: String,
}

impl Landline {
    /// The area code, e.g. `010`.
    pub fn area_code(&self) -> &str {
        &self.area
    }

    /// The local number, e.g. `62345678`.
    pub fn local_number(&self) -> &str {
        &self.local
    }

    /// Area code and the last four digits: `010-****5678`.
    pub fn masked(&self) -> String {
        let keep = self.local.len().saturating_sub(4);
        let tail = self.local.get(keep..).unwrap_or("");
        format!("{}-{}{}", self.area, "*".repeat(keep), tail)
    }
}

impl fmt::Display for Landline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.area, self.local)
    }
}

impl fmt::Debug for Landline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Landline({})", self.masked())
    }
}

impl ContactPhone {
    /// Parses a mobile or landline number; see the module documentation for the forms.
    pub fn parse(s: &str) -> Result<ContactPhone, ContactPhoneError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ContactPhoneError::Empty);
        }
        let mut digits = String::with_capacity(s.len());
        let rest = s
            .strip_prefix("+86")
            .or_else(|| s.strip_prefix("＋86"))
            .unwrap_or(s);
        let international = rest.len() != s.len();
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '０'..='９' => {
                    let offset = u32::from(c) - u32::from('０');
                    digits.push(char::from_digit(offset, 10).ok_or(ContactPhoneError::Chars)?);
                }
                ' ' | '\u{3000}' | '-' | '－' | '(' | ')' | '（' | '）' => {}
                _ => return Err(ContactPhoneError::Chars),
            }
        }
        // A mobile number, possibly with the country code written as `86` or `0086`.
        let mobile = digits.starts_with('1')
            || (!international && digits.len() == 13 && digits.starts_with("861"))
            || (!international && digits.len() == 15 && digits.starts_with("00861"));
        match digits.as_bytes().first() {
            None => Err(ContactPhoneError::Chars),
            Some(_) if mobile => MobilePhone::parse(&digits)
                .map(ContactPhone::Mobile)
                .map_err(|e| ContactPhoneError::Mobile {
                    code: e.code(),
                    message: e.message(),
                }),
            Some(b'0') if !international => parse_landline(&digits).map(ContactPhone::Landline),
            Some(b'0') => Err(ContactPhoneError::AreaCode),
            Some(_) => Err(ContactPhoneError::MissingAreaCode),
        }
    }

    /// The normalised number: the mobile's form or `010-62345678`.
    pub fn as_string(&self) -> String {
        self.to_string()
    }

    /// Masked for screens that do not need the whole number.
    pub fn masked(&self) -> String {
        match self {
            ContactPhone::Mobile(m) => m.masked(),
            ContactPhone::Landline(l) => l.masked(),
        }
    }
}

fn parse_landline(digits: &str) -> Result<Landline, ContactPhoneError> {
    let second = digits.as_bytes().get(1).copied();
    let area_len = match second {
        Some(b'1') if digits.starts_with("010") => 3,
        Some(b'2') => 3,
        Some(b'3'..=b'9') => 4,
        _ => return Err(ContactPhoneError::AreaCode),
    };
    let (Some(area), Some(local)) = (digits.get(..area_len), digits.get(area_len..)) else {
        return Err(ContactPhoneError::AreaCode);
    };
    let local_ok = matches!(local.len(), 7 | 8)
        && local
            .as_bytes()
            .first()
            .is_some_and(|b| (b'2'..=b'9').contains(b));
    if !local_ok {
        return Err(ContactPhoneError::LocalNumber);
    }
    Ok(Landline {
        area: area.to_owned(),
        local: local.to_owned(),
    })
}

impl fmt::Display for ContactPhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContactPhone::Mobile(m) => fmt::Display::fmt(m, f),
            ContactPhone::Landline(l) => fmt::Display::fmt(l, f),
        }
    }
}

impl fmt::Debug for ContactPhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContactPhone({})", self.masked())
    }
}

impl Serialize for ContactPhone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Why a contact number was rejected. Messages never repeat the number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactPhoneError {
    #[error("contact phone is empty")]
    Empty,
    #[error("contact phone contains characters other than digits and separators")]
    Chars,
    #[error("landline area code invalid")]
    AreaCode,
    #[error("landline local number invalid")]
    LocalNumber,
    #[error("landline without area code")]
    MissingAreaCode,
    /// Looked like a mobile number; the mobile parser's own code and message.
    #[error("mobile number invalid ({code})")]
    Mobile { code: &'static str, message: String },
}

impl UserError for ContactPhoneError {
    fn code(&self) -> &'static str {
        match self {
            ContactPhoneError::Empty => "contact_phone_empty",
            ContactPhoneError::Chars => "contact_phone_chars",
            ContactPhoneError::AreaCode => "landline_area_code",
            ContactPhoneError::LocalNumber => "landline_local_number",
            ContactPhoneError::MissingAreaCode => "landline_missing_area_code",
            ContactPhoneError::Mobile { code, .. } => code,
        }
    }

    fn message(&self) -> String {
        match self {
            ContactPhoneError::Empty => "请输入联系电话".to_owned(),
            ContactPhoneError::Chars => {
                "联系电话只能包含数字,固定电话请按“区号-号码”格式填写".to_owned()
            }
            ContactPhoneError::AreaCode => {
                "固定电话区号不正确,请按“区号-号码”格式填写,如010-62345678".to_owned()
            }
            ContactPhoneError::LocalNumber => "固定电话号码应为7位或8位,请核对".to_owned(),
            ContactPhoneError::MissingAreaCode => "固定电话请填写区号,如010-62345678".to_owned(),
            ContactPhoneError::Mobile { message, .. } => message.clone(),
        }
    }
}
