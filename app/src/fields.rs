//! Checks of single input fields as the user types, giving the Chinese message shown next to the
//! field. The rules are `shared`'s parsers (ID numbers, phones, names, passwords, validity
//! periods); this module only attributes their errors to a field, and decides which errors wait
//! until the user has finished typing ([`show_while_typing`]).

use chrono::NaiveDate;
use shared::error::{FieldError, UserError};
use shared::id::IdNumber;
use shared::name::PersonName;
use shared::password::PasswordPolicy;
use shared::phone::MobilePhone;

fn err(field: &str, code: &str, message: &str) -> FieldError {
    FieldError::new(field, code, message)
}

/// 手机号码, with `shared::phone`'s rules; returns the 11 digits.
pub fn phone(field: &str, s: &str) -> Result<String, FieldError> {
    MobilePhone::parse(s)
        .map(|p| p.as_str().to_owned())
        .map_err(|e| e.at(field))
}

/// 用户姓名, with `shared::name`'s rules (empty: seed 000's "请输入用户姓名").
pub fn name(field: &str, s: &str) -> Result<String, FieldError> {
    if s.trim().is_empty() {
        return Err(err(field, "name_empty", "请输入用户姓名"));
    }
    PersonName::parse(s)
        .map(|n| n.as_str().to_owned())
        .map_err(|e| e.at(field))
}

/// 登录密码 under the platform policy (8–16, digits and letters), with `shared::password`'s rules
/// (empty: "请输入登录密码").
pub fn password(field: &str, s: &str) -> Result<String, FieldError> {
    if s.is_empty() {
        return Err(err(field, "password_empty", "请输入登录密码"));
    }
    PasswordPolicy::Platform
        .parse(s)
        .map(|p| p.expose().to_owned())
        .map_err(|e| e.at(field))
}

/// 短信验证码: 6 digits.
pub fn sms_code(field: &str, s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(err(field, "sms_code_empty", "请输入短信验证码"));
    }
    if s.len() != 6 || !s.chars().all(|c| c.is_ascii_digit()) {
        return Err(err(field, "sms_code_format", "短信验证码为6位数字"));
    }
    Ok(s.to_owned())
}

/// 身份证号, with `shared`'s rules.
pub fn id_number(field: &str, s: &str, today: NaiveDate) -> Result<IdNumber, FieldError> {
    IdNumber::parse(s, today).map_err(|e| e.at(field))
}

/// The login name: a mobile number or an ID number. Digits-only 11-character input is read as a
/// phone; everything else as an ID number.
pub fn login_name(field: &str, s: &str, today: NaiveDate) -> Result<String, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(err(field, "login_empty", "请输入手机号或身份证号"));
    }
    if t.len() <= 11 && t.chars().all(|c| c.is_ascii_digit()) {
        return phone(field, t);
    }
    id_number(field, t, today).map(|id| id.as_str().to_owned())
}

/// A date typed as `YYYY-MM-DD` (also `YYYY.MM.DD` and `YYYY/MM/DD`, as printed on ID cards).
pub fn date(field: &str, s: &str, empty_message: &str) -> Result<NaiveDate, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(err(field, "date_empty", empty_message));
    }
    let normal: String = t
        .chars()
        .map(|c| if c == '.' || c == '/' { '-' } else { c })
        .collect();
    NaiveDate::parse_from_str(&normal, "%Y-%m-%d").map_err(|_| {
        err(
            field,
            "date_format",
            "日期格式不正确,请按“年-月-日”填写,例如 2015-06-01",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
    }

    #[test]
    fn phones() {
        assert_eq!(phone("p", " 133 0000 1234 ").unwrap(), "13300001234");
        let e = phone("p", "").unwrap_err();
        assert_eq!((e.field.as_str(), e.code.as_str()), ("p", "phone_empty"));
        assert_eq!(phone("p", "1330000123").unwrap_err().code, "phone_length");
        assert_eq!(phone("p", "133abcd1234").unwrap_err().code, "phone_chars");
    }

    #[test]
    fn names() {
        assert_eq!(name("n", "陈松").unwrap(), "陈松");
        assert!(name("n", "阿依古丽·买买提").is_ok());
        assert_eq!(name("n", "  ").unwrap_err().message, "请输入用户姓名");
        assert_eq!(name("n", "陈").unwrap_err().code, "name_too_short");
        assert!(name("n", "陈松1").is_err());
    }

    #[test]
    fn passwords() {
        assert!(password("pw", "abc12345").is_ok());
        assert_eq!(password("pw", "").unwrap_err().message, "请输入登录密码");
        let code = |s: &str| password("pw", s).unwrap_err().code;
        assert_eq!(code("abc1234"), "password_too_short");
        assert_eq!(code("abcdefghij"), "password_needs_digit_and_letter");
        assert_eq!(code("1234567890"), "password_needs_digit_and_letter");
        assert_eq!(code("abcdefgh12345678X"), "password_too_long");
    }

    #[test]
    fn login_names_are_phones_or_id_numbers() {
        let login = |s: &str| login_name("login", s, today());
        assert_eq!(login("13300001234").unwrap(), "13300001234");
        assert_eq!(login("11010519491231002x").unwrap(), "11010519491231002X");
        assert_eq!(
            login("110105194912310021").unwrap_err().code,
            "id_number_checksum"
        );
        assert_eq!(login("1330000").unwrap_err().code, "phone_length");
        assert_eq!(login("").unwrap_err().code, "login_empty");
    }

    #[test]
    fn dates() {
        let d = date("d", "2015.06.01", "x").unwrap();
        assert_eq!(d, NaiveDate::from_ymd_opt(2015, 6, 1).unwrap());
        assert_eq!(
            date("d", "2015-13-01", "x").unwrap_err().code,
            "date_format"
        );
        assert_eq!(
            date("d", "", "请选择日期").unwrap_err().message,
            "请选择日期"
        );
    }
}

/// Whether an error found while the user is still typing should show now.
///
/// Errors that only mean "not finished yet" (empty, too short) wait until the user presses the
/// button, unless the field already shows an error (then it updates as they type, and clears as
/// soon as the value is right). Errors the user can act on at once (a letter in a phone number,
/// a wrong check digit) show immediately.
pub fn show_while_typing(err: &FieldError, already_shown: bool) -> bool {
    const INCOMPLETE: [&str; 14] = [
        "contact_phone_invalid",
        "phone_length",
        "name_too_short",
        "password_too_short",
        "id_number_length",
        "phone_invalid",
        "name_length",
        "password_length",
        "sms_code_format",
        "date_format",
        "password_confirm_empty",
        "password_mismatch",
        "login_empty",
        "id_valid_needs_from",
    ];
    already_shown || !(err.code.ends_with("_empty") || INCOMPLETE.contains(&err.code.as_str()))
}

#[cfg(test)]
mod typing_tests {
    use super::*;

    #[test]
    fn incomplete_input_waits_but_wrong_characters_show_at_once() {
        let short = phone("phone", "133").unwrap_err();
        assert!(!show_while_typing(&short, false));
        assert!(show_while_typing(&short, true));
        let letters = phone("phone", "133abc").unwrap_err();
        assert!(show_while_typing(&letters, false));
    }
}
