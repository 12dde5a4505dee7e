//! 新用户注册 (seed 000): 用户姓名, 身份证号, 身份证有效期始, 身份证有效期止 (5年/10年/20年/长期有效),
//! 手机号码, 短信验证码, 登录密码, 确认密码, 我已阅读并同意《个人注册协议》.
//!
//! Field names are the API's (`RegisterRequest`), plus `password_confirm`, so the server's 422
//! errors land next to the same fields.

use chrono::NaiveDate;
use shared::error::{FieldError, UserError};
use shared::id::{IdValidity, ValidityEnd, ValidityTerm};

use crate::api::{ApiError, HttpClient, RegisterRequest, SmsCodeRequest, SmsPurpose};
use crate::fields;

/// The registration form as typed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RegisterForm {
    pub name: String,
    pub id_number: String,
    /// 身份证有效期始, `YYYY-MM-DD`.
    pub id_valid_from: String,
    /// The chosen term, `None` until one is picked.
    pub term: Option<ValidityTerm>,
    pub phone: String,
    pub sms_code: String,
    pub password: String,
    pub password_confirm: String,
    pub agree_terms: bool,
}

impl std::fmt::Debug for RegisterForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterForm")
            .field("term", &self.term)
            .field("agree_terms", &self.agree_terms)
            .finish_non_exhaustive()
    }
}

/// Fields in the order they appear (and errors are listed).
pub const FIELDS: [&str; 9] = [
    "name",
    "id_number",
    "id_valid_from",
    "id_valid_to",
    "phone",
    "sms_code",
    "password",
    "password_confirm",
    "agree_terms",
];

/// The term picked from its label (`5年`, `10年`, `20年`, `长期有效`).
pub fn term_from_label(label: &str) -> Option<ValidityTerm> {
    ValidityTerm::ALL
        .into_iter()
        .find(|t| t.label_zh() == label)
}

impl RegisterForm {
    /// The error of one field (as the user leaves or types in it), or `None`.
    pub fn check(&self, field: &str, today: NaiveDate) -> Option<FieldError> {
        match field {
            "name" => fields::name(field, &self.name).err(),
            "id_number" => fields::id_number(field, &self.id_number, today).err(),
            "id_valid_from" => {
                fields::date(field, &self.id_valid_from, "请输入身份证有效期始").err()
            }
            "id_valid_to" => self.validity(today).err(),
            "phone" => fields::phone(field, &self.phone).err(),
            "sms_code" => fields::sms_code(field, &self.sms_code).err(),
            "password" => fields::password(field, &self.password).err(),
            "password_confirm" => {
                if self.password_confirm.is_empty() {
                    Some(FieldError::new(
                        field,
                        "password_confirm_empty",
                        "请输入确认密码",
                    ))
                } else if self.password_confirm != self.password {
                    Some(FieldError::new(
                        field,
                        "password_mismatch",
                        "两次输入的密码不一致",
                    ))
                } else {
                    None
                }
            }
            "agree_terms" => (!self.agree_terms).then(|| {
                FieldError::new(
                    field,
                    "terms_not_agreed",
                    "请阅读并勾选同意《个人注册协议》",
                )
            }),
            _ => None,
        }
    }

    /// The validity period from the ID number's birth date, the start date and the chosen term.
    /// Errors are reported on `id_valid_to` (the start date's own format error on its field).
    pub fn validity(&self, today: NaiveDate) -> Result<IdValidity, FieldError> {
        let field = "id_valid_to";
        let Some(term) = self.term else {
            return Err(FieldError::new(
                field,
                "id_valid_to_empty",
                "请选择身份证有效期止",
            ));
        };
        let id = fields::id_number("id_number", &self.id_number, today)
            .map_err(|_| FieldError::new(field, "id_valid_needs_id", "请先填写正确的身份证号"))?;
        let from = fields::date("id_valid_from", &self.id_valid_from, "请输入身份证有效期始")
            .map_err(|_| FieldError::new(field, "id_valid_needs_from", "请先填写身份证有效期始"))?;
        IdValidity::from_term(id.birth_date(), from, term, today).map_err(|e| e.at(field))
    }

    /// `有效期止: 2035-06-01` / `长期有效` once the period is known.
    pub fn validity_end_text(&self, today: NaiveDate) -> String {
        match self.validity(today).map(|v| v.end()) {
            Ok(ValidityEnd::Date(d)) => format!("有效期至 {}", d.format("%Y-%m-%d")),
            Ok(ValidityEnd::LongTerm) => "长期有效".to_owned(),
            Err(_) => String::new(),
        }
    }

    /// Every field error at once, or the request to send.
    pub fn validate(&self, today: NaiveDate) -> Result<RegisterRequest, Vec<FieldError>> {
        let errors: Vec<FieldError> = FIELDS.iter().filter_map(|f| self.check(f, today)).collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        let validity = self.validity(today).map_err(|e| vec![e])?;
        let id = fields::id_number("id_number", &self.id_number, today).map_err(|e| vec![e])?;
        Ok(RegisterRequest {
            name: self.name.trim().to_owned(),
            id_number: id.as_str().to_owned(),
            id_valid_from: validity.start().format("%Y-%m-%d").to_string(),
            id_valid_to: validity
                .end()
                .date()
                .map(|d| d.format("%Y-%m-%d").to_string()),
            phone: self.phone.trim().to_owned(),
            sms_code: self.sms_code.trim().to_owned(),
            password: self.password.clone(),
            agree_terms: true,
        })
    }
}

/// What pressing 注册 led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterOutcome {
    /// Registered: back to the login screen with this notice.
    Registered {
        notice: String,
    },
    Invalid(Vec<FieldError>),
    Rejected {
        code: String,
        message: String,
    },
}

pub fn submit(api: &HttpClient, form: &RegisterForm, today: NaiveDate) -> RegisterOutcome {
    let req = match form.validate(today) {
        Ok(r) => r,
        Err(errors) => return RegisterOutcome::Invalid(errors),
    };
    match api.register(&req) {
        Ok(_) => RegisterOutcome::Registered {
            notice: "注册成功,请登录".to_owned(),
        },
        Err(ApiError::Problem(p)) if !p.errors.is_empty() => RegisterOutcome::Invalid(p.errors),
        Err(e) => RegisterOutcome::Rejected {
            code: e.wire_code().to_owned(),
            message: e.message(),
        },
    }
}

/// 获取验证码: checks the phone, then asks the server for a code for `purpose`.
pub fn request_sms_code(
    api: &HttpClient,
    phone: &str,
    purpose: SmsPurpose,
) -> Result<(), FieldError> {
    let phone = fields::phone("phone", phone)?;
    api.send_sms_code(&SmsCodeRequest {
        phone,
        purpose: purpose.as_str().to_owned(),
    })
    .map_err(|e| {
        let msg = match e.problem().and_then(|p| p.retry_after) {
            Some(s) => format!("验证码发送过于频繁,请{s}秒后再试"),
            None => e.message(),
        };
        FieldError::new("sms_code", e.code(), msg)
    })
}

#[cfg(test)]
mod tests {
    //! Against the real server (`tests::blocking::Server::shared`), fresh people per test; the
    //! SMS codes from its outbox.
    use super::*;
    use ::tests::blocking::Server;
    use ::tests::Person;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
    }

    fn client() -> HttpClient {
        HttpClient::new(Server::shared().url()).unwrap()
    }

    /// A complete form for `p` with `phone` and `sms_code`.
    fn form_for(p: &Person, phone: &str, sms_code: &str) -> RegisterForm {
        RegisterForm {
            name: p.name.clone(),
            id_number: p.id_number.clone(),
            id_valid_from: p.id_valid_from.clone(),
            term: Some(ValidityTerm::LongTerm),
            phone: phone.into(),
            sms_code: sms_code.into(),
            password: "abc12345".into(),
            password_confirm: "abc12345".into(),
            agree_terms: true,
        }
    }

    /// [`form_for`] with a code the server sent to `phone`.
    fn coded_form(api: &HttpClient, p: &Person, phone: &str) -> RegisterForm {
        request_sms_code(api, phone, SmsPurpose::Register).unwrap();
        let code = Server::shared().sms_code(phone).expect("a code was sent");
        form_for(p, phone, &code)
    }

    #[test]
    fn empty_form_lists_every_field_in_order() {
        let errors = RegisterForm::default().validate(today()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, FIELDS);
        assert!(errors.iter().all(|e| !e.message.is_empty()));
    }

    #[test]
    fn validity_term_must_fit_the_age() {
        let p = Person::new(1);
        let mut form = form_for(&p, p.phone(), "123456");
        assert_eq!(form.validity_end_text(today()), "长期有效");
        // Born 1960, card issued 2015 at 55: only 长期有效 is legal.
        form.term = Some(ValidityTerm::TenYears);
        let e = form.check("id_valid_to", today()).unwrap();
        assert_eq!(e.code, "validity_long_term_required");
        assert_eq!(form.validity_end_text(today()), "");
        form.term = None;
        assert_eq!(
            form.check("id_valid_to", today()).unwrap().code,
            "id_valid_to_empty"
        );
        assert_eq!(term_from_label("20年"), Some(ValidityTerm::TwentyYears));
        assert_eq!(term_from_label("30年"), None);
    }

    #[test]
    fn mismatched_confirmation_and_unticked_terms_are_reported() {
        let p = Person::new(1);
        let mut form = form_for(&p, p.phone(), "123456");
        form.password_confirm = "abc123456".into();
        form.agree_terms = false;
        let errors = form.validate(today()).unwrap_err();
        let codes: Vec<&str> = errors.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["password_mismatch", "terms_not_agreed"]);
    }

    #[test]
    fn registers_once_then_already_registered() {
        let s = Server::shared();
        let p = s.person();
        s.enroll(&p, false);
        let api = client();
        let form = coded_form(&api, &p, p.phone());
        let req = form.validate(today()).unwrap();
        assert_eq!(req.id_valid_to, None);
        assert_eq!(req.id_valid_from, p.id_valid_from);
        let out = submit(&api, &form, today());
        assert!(matches!(out, RegisterOutcome::Registered { .. }), "{out:?}");
        // Again, with the roster's other number: one account per person.
        let form = coded_form(&api, &p, &p.phones[1]);
        let out = submit(&api, &form, today());
        assert!(
            matches!(out, RegisterOutcome::Rejected { ref code, .. } if code == "already_registered"),
            "{out:?}"
        );
    }

    #[test]
    fn person_not_in_roster_is_told_so() {
        let s = Server::shared();
        let p = s.person();
        let api = client();
        let form = coded_form(&api, &p, p.phone());
        let out = submit(&api, &form, today());
        assert!(
            matches!(out, RegisterOutcome::Rejected { ref code, .. } if code == "not_enrolled"),
            "{out:?}"
        );
    }
}
