//! Person names (姓名) as registered on an identity document.
//!
//! Two kinds of name are accepted, never mixed:
//!
//! - **Chinese names**: CJK unified ideographs (the basic block and extensions A–I, the
//!   compatibility ideographs, and `〇`), 2 to [`MAX_HAN_CHARS`] characters including separators.
//!   Names of ethnic minorities are written with the middle dot `·` (U+00B7) between their
//!   parts, e.g. `买买提·艾力`; the look-alikes people type (`•` U+2022, `・` U+30FB, `･` U+FF65,
//!   `．` U+FF0E, `‧` U+2027, `∙` U+2219, `⋅` U+22C5 and ASCII `.`) are normalised to U+00B7. A dot
//!   may not start or end the name or follow another dot. Whitespace is removed (`陈 松` → `陈松`).
//! - **Latin-letter names**, for holders of foreign documents (外国人永久居留身份证, 境外护照),
//!   e.g. `John O'Neil-Smith`: ASCII letters, words separated by single spaces (runs of
//!   whitespace are collapsed), and inside a word `-`, `'` or `.` between letters (a word may
//!   end in `.`, as in `F.`). 2 to [`MAX_LATIN_CHARS`] characters. Case is kept as entered.
//!
//! Single-character Chinese names are rejected: 2 is the usual form's minimum, and a lone
//! character is far more often a typing slip than a real registered name.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::UserError;

/// Longest Chinese name, in characters (counting `·`). Long transliterated minority names reach
/// about 20; the public-security register allows more, so leave room.
pub const MAX_HAN_CHARS: usize = 30;
/// Longest Latin-letter name, in characters (counting spaces).
pub const MAX_LATIN_CHARS: usize = 60;

/// The canonical middle dot, U+00B7.
pub const MIDDLE_DOT: char = '\u{00B7}';

/// A valid person name. `Display`/`Serialize` give the full name; `Debug` gives only the
/// [masked](PersonName::masked) form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonName(String);

/// Why a string is not a valid name. Messages never repeat the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("请输入姓名")]
    Empty,
    #[error("姓名至少应为2个字")]
    TooShort,
    #[error("姓名不能超过{0}个字")]
    TooLong(usize),
    #[error("姓名只能包含汉字和间隔号“·”,外籍人员可填写英文字母")]
    Chars,
    #[error("间隔号“·”不能在姓名的开头或结尾,也不能连续出现")]
    Dot,
    #[error("姓名不能同时包含汉字和英文字母")]
    MixedScripts,
    #[error("英文姓名的格式不正确,单词之间请用一个空格分隔")]
    LatinFormat,
}

impl UserError for NameError {
    fn code(&self) -> &'static str {
        match self {
            NameError::Empty => "name_empty",
            NameError::TooShort => "name_too_short",
            NameError::TooLong(_) => "name_too_long",
            NameError::Chars => "name_chars",
            NameError::Dot => "name_dot",
            NameError::MixedScripts => "name_mixed_scripts",
            NameError::LatinFormat => "name_latin_format",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

/// Whether `c` is a CJK ideograph that may appear in a name.
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3007}'                      // 〇
        | '\u{3400}'..='\u{4DBF}'       // Extension A
        | '\u{4E00}'..='\u{9FFF}'       // Unified Ideographs
        | '\u{F900}'..='\u{FAFF}'       // Compatibility Ideographs
        | '\u{20000}'..='\u{2FA1F}'     // Extensions B–F, I, Compatibility Supplement
        | '\u{30000}'..='\u{323AF}'     // Extensions G, H
    )
}

/// Characters people use for the middle dot of a minority name.
fn is_dot(c: char) -> bool {
    matches!(
        c,
        '\u{00B7}'
            | '\u{2022}'
            | '\u{30FB}'
            | '\u{FF65}'
            | '\u{FF0E}'
            | '\u{2027}'
            | '\u{2219}'
            | '\u{22C5}'
            | '.'
    )
}

impl PersonName {
    /// Parses a name as typed (see the module docs for the rules and normalisations).
    pub fn parse(s: &str) -> Result<PersonName, NameError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(NameError::Empty);
        }
        let has_han = trimmed.chars().any(is_han);
        let has_latin = trimmed.chars().any(|c| c.is_ascii_alphabetic());
        match (has_han, has_latin) {
            (true, true) => Err(NameError::MixedScripts),
            (true, false) => Self::parse_han(trimmed),
            (false, true) => Self::parse_latin(trimmed),
            (false, false) if trimmed.chars().all(|c| is_dot(c) || c.is_whitespace()) => {
                Err(NameError::Dot)
            }
            (false, false) => Err(NameError::Chars),
        }
    }

    fn parse_han(s: &str) -> Result<PersonName, NameError> {
        let mut name = String::with_capacity(s.len());
        let mut previous_dot = true; // a dot at the start counts as following a dot
        for c in s.chars().filter(|c| !c.is_whitespace()) {
            if is_dot(c) {
                if previous_dot {
                    return Err(NameError::Dot);
                }
                name.push(MIDDLE_DOT);
                previous_dot = true;
            } else if is_han(c) {
                name.push(c);
                previous_dot = false;
            } else {
                return Err(NameError::Chars);
            }
        }
        if previous_dot {
            return Err(NameError::Dot);
        }
        let len = name.chars().count();
        if len < 2 {
            return Err(NameError::TooShort);
        }
        if len > MAX_HAN_CHARS {
            return Err(NameError::TooLong(MAX_HAN_CHARS));
        }
        Ok(PersonName(name))
    }

    fn parse_latin(s: &str) -> Result<PersonName, NameError> {
        if !s
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c.is_whitespace() || matches!(c, '-' | '\'' | '.'))
        {
            return Err(NameError::Chars);
        }
        for word in s.split_whitespace() {
            let bytes = word.as_bytes();
            let starts_with_letter = bytes.first().is_some_and(u8::is_ascii_alphabetic);
            let ends_well = bytes
                .last()
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'.');
            let no_double_punctuation = bytes
                .windows(2)
                .all(|w| w[0].is_ascii_alphabetic() || w[1].is_ascii_alphabetic());
            if !(starts_with_letter && ends_well && no_double_punctuation) {
                return Err(NameError::LatinFormat);
            }
        }
        let name = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.bytes().filter(u8::is_ascii_alphabetic).count() < 2 {
            return Err(NameError::TooShort);
        }
        if name.len() > MAX_LATIN_CHARS {
            return Err(NameError::TooLong(MAX_LATIN_CHARS));
        }
        Ok(PersonName(name))
    }

    /// The name, normalised.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a Latin-letter (foreign) name.
    pub fn is_latin(&self) -> bool {
        self.0.bytes().any(|b| b.is_ascii_alphabetic())
    }

    /// Masked for display: two stars and the last character, `**松` — always two stars, as the
    /// veterans' platform shows it, so the mask does not reveal the name's length either.
    pub fn masked(&self) -> String {
        let last = self.0.chars().next_back().unwrap_or('*');
        format!("**{last}")
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName({})", self.masked())
    }
}

impl AsRef<str> for PersonName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PersonName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PersonName::parse(s)
    }
}

impl Serialize for PersonName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PersonName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        PersonName::parse(&s).map_err(|e| serde::de::Error::custom(e.code()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        PersonName::parse(s).unwrap().as_str().to_owned()
    }

    fn code(s: &str) -> &'static str {
        PersonName::parse(s).unwrap_err().code()
    }

    #[test]
    fn ordinary_chinese_names() {
        assert_eq!(ok("陈松"), "陈松");
        assert_eq!(ok("欧阳娜娜"), "欧阳娜娜");
        assert_eq!(ok(" 陈 松 "), "陈松");
        assert_eq!(ok("王〇"), "王〇");
        // Extension B (𠮷, U+20BB7) and a compatibility ideograph (U+F92C 郎).
        assert_eq!(ok("𠮷田"), "𠮷田");
        assert_eq!(ok("李\u{F92C}"), "李\u{F92C}");
        // Extension A (U+3400 㐀).
        assert_eq!(ok("张\u{3400}"), "张\u{3400}");
    }

    #[test]
    fn minority_names_with_the_middle_dot() {
        assert_eq!(ok("买买提·艾力"), "买买提·艾力");
        assert_eq!(ok("阿卜杜热西提·阿卜杜克热木"), "阿卜杜热西提·阿卜杜克热木");
        for variant in [
            "买买提•艾力",
            "买买提・艾力",
            "买买提．艾力",
            "买买提‧艾力",
            "买买提.艾力",
            "买买提 · 艾力",
            "买买提･艾力",
        ] {
            assert_eq!(ok(variant), "买买提\u{00B7}艾力", "{variant}");
        }
        assert_eq!(ok("爱新觉罗·溥仪·某"), "爱新觉罗·溥仪·某");
    }

    #[test]
    fn misplaced_dots_are_rejected() {
        for bad in [
            "·买买提",
            "买买提·",
            "买买提··艾力",
            "买买提·•艾力",
            "·",
            "··",
        ] {
            assert_eq!(code(bad), "name_dot", "{bad}");
        }
    }

    #[test]
    fn length_limits() {
        assert_eq!(code("松"), "name_too_short");
        assert_eq!(code(&"松".repeat(31)), "name_too_long");
        assert_eq!(ok(&"松".repeat(30)).chars().count(), 30);
        assert_eq!(
            PersonName::parse(&"松".repeat(31)).unwrap_err().message(),
            "姓名不能超过30个字"
        );
        assert_eq!(code("A"), "name_too_short");
        assert_eq!(code(&"A".repeat(61)), "name_too_long");
    }

    #[test]
    fn other_characters_are_rejected() {
        assert_eq!(code(""), "name_empty");
        assert_eq!(code("  \t"), "name_empty");
        assert_eq!(code("陈松1"), "name_chars");
        assert_eq!(code("陈松😀"), "name_chars");
        assert_eq!(code("陈_松"), "name_chars");
        assert_eq!(code("1234"), "name_chars");
        assert_eq!(code("김철수"), "name_chars");
        assert_eq!(code("陈Song"), "name_mixed_scripts");
        assert_eq!(code("ＪＯＨＮ"), "name_chars");
        assert_eq!(code("John3"), "name_chars");
    }

    #[test]
    fn latin_names() {
        assert_eq!(ok("John Smith"), "John Smith");
        assert_eq!(ok("  JOHN   SMITH "), "JOHN SMITH");
        assert_eq!(ok("Mary-Jane O'Neil"), "Mary-Jane O'Neil");
        assert_eq!(ok("John F. Kennedy"), "John F. Kennedy");
        assert_eq!(ok("Li"), "Li");
        assert!(PersonName::parse("John Smith").unwrap().is_latin());
        assert!(!PersonName::parse("陈松").unwrap().is_latin());
        for bad in [
            "-John",
            "John-",
            "John--Smith",
            "John 'Smith",
            "Jo.-hn",
            ". John",
        ] {
            assert_eq!(code(bad), "name_latin_format", "{bad}");
        }
    }

    #[test]
    fn masking_hides_all_but_the_last_character() {
        let name = PersonName::parse("陈松").unwrap();
        assert_eq!(name.masked(), "**松");
        assert_eq!(PersonName::parse("买买提·艾力").unwrap().masked(), "**力");
        assert_eq!(PersonName::parse("𠮷田").unwrap().masked(), "**田");
        assert_eq!(format!("{name:?}"), "PersonName(**松)");
        assert_eq!(name.to_string(), "陈松");
    }

    #[test]
    fn serde_round_trip_normalises() {
        let name: PersonName = serde_json::from_str("\"买买提•艾力\"").unwrap();
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"买买提·艾力\"");
        assert!(serde_json::from_str::<PersonName>("\"·\"").is_err());
    }
}
