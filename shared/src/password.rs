//! Passwords and the rules they must follow.
//!
//! The server chooses a [`PasswordPolicy`] in its configuration (`"platform"` or `"strict"`);
//! app and server check with the same policy. Characters allowed in every policy: visible ASCII,
//! `!` (U+0021) to `~` (U+007E) — no spaces, no Chinese characters, no full-width letters, which
//! elderly users cannot reliably type again on another device.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::UserError;

/// Which password rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordPolicy {
    /// The veterans' service platform's rule: 8–16 characters, at least one digit and at least
    /// one letter (`8-16位字符,必须由数字、字母组成`).
    #[default]
    Platform,
    /// A stricter rule for staff accounts: 8–64 characters with at least three of the four kinds
    /// upper-case letter, lower-case letter, digit, symbol.
    Strict,
}

/// A password that satisfied a policy. Deliberately neither `Display` nor `Serialize`;
/// `Debug` prints `Password(***)`. Read it only to hash it, with [`Password::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// Why a password does not satisfy the policy. Messages never repeat the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("请输入密码")]
    Empty,
    #[error("密码只能包含英文字母、数字和英文符号,不能包含空格或汉字")]
    Chars,
    #[error("密码至少{0}位")]
    TooShort(usize),
    #[error("密码不能超过{0}位")]
    TooLong(usize),
    #[error("密码必须由数字、字母组成,请同时包含数字和字母")]
    NeedsDigitAndLetter,
    #[error("密码须包含大写字母、小写字母、数字、符号中的至少三种")]
    NeedsThreeKinds,
    #[error("两次输入的密码不一致")]
    Mismatch,
}

impl UserError for PasswordError {
    fn code(&self) -> &'static str {
        match self {
            PasswordError::Empty => "password_empty",
            PasswordError::Chars => "password_chars",
            PasswordError::TooShort(_) => "password_too_short",
            PasswordError::TooLong(_) => "password_too_long",
            PasswordError::NeedsDigitAndLetter => "password_needs_digit_and_letter",
            PasswordError::NeedsThreeKinds => "password_needs_three_kinds",
            PasswordError::Mismatch => "password_mismatch",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

impl PasswordPolicy {
    /// Minimum length in characters.
    pub fn min_len(self) -> usize {
        8
    }

    /// Maximum length in characters.
    pub fn max_len(self) -> usize {
        match self {
            PasswordPolicy::Platform => 16,
            PasswordPolicy::Strict => 64,
        }
    }

    /// The rule in words, for the placeholder of a password field.
    pub fn hint_zh(self) -> &'static str {
        match self {
            PasswordPolicy::Platform => "8-16位字符,必须由数字、字母组成",
            PasswordPolicy::Strict => "至少8位,须包含大写字母、小写字母、数字、符号中的至少三种",
        }
    }

    /// Checks `s` against this policy. The password is taken exactly as given: nothing is
    /// trimmed (a space is reported, not silently dropped).
    ///
    /// Checks in order: empty, characters, minimum length, maximum length, required kinds.
    pub fn parse(self, s: &str) -> Result<Password, PasswordError> {
        if s.is_empty() {
            return Err(PasswordError::Empty);
        }
        if !s.chars().all(|c| c.is_ascii_graphic()) {
            return Err(PasswordError::Chars);
        }
        // Visible ASCII only from here: bytes are characters.
        if s.len() < self.min_len() {
            return Err(PasswordError::TooShort(self.min_len()));
        }
        if s.len() > self.max_len() {
            return Err(PasswordError::TooLong(self.max_len()));
        }
        let has = |f: fn(&u8) -> bool| s.as_bytes().iter().any(f);
        let (upper, lower, digit) = (
            has(u8::is_ascii_uppercase),
            has(u8::is_ascii_lowercase),
            has(u8::is_ascii_digit),
        );
        let symbol = has(u8::is_ascii_punctuation);
        match self {
            PasswordPolicy::Platform if !(digit && (upper || lower)) => {
                Err(PasswordError::NeedsDigitAndLetter)
            }
            PasswordPolicy::Strict
                if [upper, lower, digit, symbol].iter().filter(|k| **k).count() < 3 =>
            {
                Err(PasswordError::NeedsThreeKinds)
            }
            _ => Ok(Password(s.to_owned())),
        }
    }

    /// Checks a new password and its confirmation (确认密码): the policy first, then that the
    /// two are identical.
    pub fn parse_confirmed(
        self,
        password: &str,
        confirmation: &str,
    ) -> Result<Password, PasswordError> {
        let parsed = self.parse(password)?;
        if password != confirmation {
            return Err(PasswordError::Mismatch);
        }
        Ok(parsed)
    }
}

impl Password {
    /// The password itself, to hash it. Never log or store the result.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(policy: PasswordPolicy, s: &str) -> &'static str {
        policy.parse(s).unwrap_err().code()
    }

    #[test]
    fn platform_rule() {
        let p = PasswordPolicy::Platform;
        for good in [
            "abc12345",
            "ABCDEFG1",
            "1234567a",
            "a1b2c3d4e5f6g7h8",
            "Passw0rd!",
            "zhanyou_2025",
        ] {
            assert_eq!(p.parse(good).unwrap().expose(), good);
        }
        assert_eq!(code(p, "abc1234"), "password_too_short");
        assert_eq!(code(p, "a1b2c3d4e5f6g7h8i"), "password_too_long");
        assert_eq!(code(p, "12345678"), "password_needs_digit_and_letter");
        assert_eq!(code(p, "abcdefgh"), "password_needs_digit_and_letter");
        assert_eq!(code(p, "!@#$%^&*"), "password_needs_digit_and_letter");
        assert_eq!(code(p, ""), "password_empty");
        assert_eq!(code(p, "abc 12345"), "password_chars");
        assert_eq!(code(p, " abc12345"), "password_chars");
        assert_eq!(code(p, "密码abc12345"), "password_chars");
        assert_eq!(code(p, "ａｂｃ１２３４５"), "password_chars");
        assert_eq!(code(p, "abc12345\n"), "password_chars");
    }

    #[test]
    fn strict_rule() {
        let p = PasswordPolicy::Strict;
        for good in [
            "Abcdefg1",
            "abcdef1!",
            "ABCDEF1!",
            "Abcdefg!",
            &format!("Aa1{}", "x".repeat(61)),
        ] {
            assert!(p.parse(good).is_ok(), "{good}");
        }
        assert_eq!(code(p, "Abcde1!"), "password_too_short");
        assert_eq!(
            code(p, &format!("Aa1{}", "x".repeat(62))),
            "password_too_long"
        );
        assert_eq!(code(p, "abcdefg1"), "password_needs_three_kinds");
        assert_eq!(code(p, "ABCDEFGH"), "password_needs_three_kinds");
        assert_eq!(code(p, "12345678!"), "password_needs_three_kinds");
        assert_eq!(code(p, "Abcdefgh"), "password_needs_three_kinds");
    }

    #[test]
    fn messages_state_the_limits() {
        assert_eq!(
            PasswordPolicy::Platform.parse("a1").unwrap_err().message(),
            "密码至少8位"
        );
        assert_eq!(
            PasswordPolicy::Platform
                .parse(&"a1".repeat(9))
                .unwrap_err()
                .message(),
            "密码不能超过16位"
        );
        assert_eq!(
            PasswordPolicy::Strict
                .parse(&"a1".repeat(33))
                .unwrap_err()
                .message(),
            "密码不能超过64位"
        );
    }

    #[test]
    fn confirmation_must_match() {
        let p = PasswordPolicy::Platform;
        assert!(p.parse_confirmed("abc12345", "abc12345").is_ok());
        assert_eq!(
            p.parse_confirmed("abc12345", "abc12346")
                .unwrap_err()
                .code(),
            "password_mismatch"
        );
        // The policy is reported before the mismatch.
        assert_eq!(
            p.parse_confirmed("abc", "abd").unwrap_err().code(),
            "password_too_short"
        );
    }

    #[test]
    fn debug_is_redacted() {
        let pw = PasswordPolicy::Platform.parse("abc12345").unwrap();
        assert_eq!(format!("{pw:?}"), "Password(***)");
        assert!(!format!("{:?}", Some(pw)).contains("abc"));
    }

    #[test]
    fn policy_is_configured_by_name() {
        assert_eq!(
            serde_json::to_string(&PasswordPolicy::Strict).unwrap(),
            "\"strict\""
        );
        let p: PasswordPolicy = serde_json::from_str("\"platform\"").unwrap();
        assert_eq!(p, PasswordPolicy::Platform);
        assert_eq!(PasswordPolicy::default(), PasswordPolicy::Platform);
        assert!(serde_json::from_str::<PasswordPolicy>("\"weak\"").is_err());
        assert_eq!(
            PasswordPolicy::Platform.hint_zh(),
            "8-16位字符,必须由数字、字母组成"
        );
    }
}
