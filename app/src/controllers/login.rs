//! 登录: phone or ID number + password + slider captcha, or phone + SMS code; 忘记密码.
//!
//! A failed slide is sent to the server like any other attempt (the server counts it as a
//! failure, seed 001); every attempt uses a fresh captcha. A locked account shows when the lock
//! ends, in local time.

use base64::Engine as _;
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use shared::error::{FieldError, UserError};

use super::Session;
use crate::api::{ApiError, Captcha, CaptchaAnswer, HttpClient, LoginRequest, SmsLoginRequest};
use crate::fields;

/// A captcha ready to draw: decoded RGBA images.
pub struct SliderCaptcha {
    pub id: String,
    pub width: u32,
    pub height: u32,
    pub piece_y: u32,
    pub background: image::RgbaImage,
    pub piece: image::RgbaImage,
}

impl SliderCaptcha {
    /// Decodes the server's captcha; `None` if its images are unreadable.
    pub fn decode(c: &Captcha) -> Option<SliderCaptcha> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let bg = image::load_from_memory(&b64.decode(&c.background_png).ok()?)
            .ok()?
            .to_rgba8();
        let piece = image::load_from_memory(&b64.decode(&c.piece_png).ok()?)
            .ok()?
            .to_rgba8();
        Some(SliderCaptcha {
            id: c.id.clone(),
            width: c.width,
            height: c.height,
            piece_y: c.piece_y,
            background: bg,
            piece,
        })
    }

    /// The furthest the piece can be dragged.
    pub fn max_x(&self) -> i64 {
        i64::from(self.width.saturating_sub(self.piece.width()))
    }
}

/// What a login attempt led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    LoggedIn(Session),
    /// Fix these fields first; nothing was sent.
    Invalid(Vec<FieldError>),
    /// The server said no (wrong password or slide, wrong code, …): show `message`.
    Rejected {
        code: String,
        message: String,
    },
    /// Too many failures: `message` says until when.
    Locked {
        message: String,
    },
}

/// "账号已被锁定,请于 … 后再试": the lock end in `tz`, with the date when it is not `today`.
pub fn lock_message<Tz: TimeZone>(locked_until: Option<&str>, tz: &Tz, today: NaiveDate) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let Some(end) = locked_until.and_then(|s| DateTime::parse_from_rfc3339(s).ok()) else {
        return "登录失败次数过多,账号已被暂时锁定,请稍后再试".to_owned();
    };
    let local = end.with_timezone(tz);
    let when = if local.date_naive() == today {
        local.format("%H:%M").to_string()
    } else {
        local.format("%m月%d日 %H:%M").to_string()
    };
    format!("登录失败次数过多,账号已被锁定,请于{when}后再试")
}

/// The time zone the user sees times in: the system's local offset.
pub fn local_offset() -> FixedOffset {
    *chrono::Local::now().offset()
}

fn outcome_from_error(e: ApiError, today: NaiveDate) -> LoginOutcome {
    match &e {
        ApiError::Problem(p) if p.code == "account_locked" => LoginOutcome::Locked {
            message: lock_message(p.locked_until.as_deref(), &local_offset(), today),
        },
        ApiError::Problem(p) if p.code == "invalid_fields" && !p.errors.is_empty() => {
            LoginOutcome::Invalid(p.errors.clone())
        }
        _ => LoginOutcome::Rejected {
            code: e.wire_code().to_owned(),
            message: e.message(),
        },
    }
}

/// Checks of the password form, every field at once.
pub fn validate_password_form(login: &str, password: &str, today: NaiveDate) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Err(e) = fields::login_name("login", login, today) {
        errors.push(e);
    }
    if password.is_empty() {
        errors.push(FieldError::new(
            "password",
            "password_empty",
            "请输入登录密码",
        ));
    }
    errors
}

/// Checks of the SMS form.
pub fn validate_sms_form(phone: &str, code: &str) -> Vec<FieldError> {
    [
        fields::phone("phone", phone).err(),
        fields::sms_code("sms_code", code).err(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Logs in with password and slider answer `slider_x` (piece offset in captcha pixels).
pub fn password_login(
    api: &HttpClient,
    captcha_id: Option<&str>,
    login: &str,
    password: &str,
    slider_x: i64,
    today: NaiveDate,
) -> LoginOutcome {
    let errors = validate_password_form(login, password, today);
    if !errors.is_empty() {
        return LoginOutcome::Invalid(errors);
    }
    let Some(captcha_id) = captcha_id else {
        return LoginOutcome::Rejected {
            code: "captcha_missing".into(),
            message: "请先拖动滑块完成验证".into(),
        };
    };
    let req = LoginRequest {
        login: login.trim().to_owned(),
        password: password.to_owned(),
        captcha: Some(CaptchaAnswer {
            id: captcha_id.to_owned(),
            x: slider_x,
        }),
    };
    match api.login(&req) {
        Ok(s) => LoginOutcome::LoggedIn(s.into()),
        Err(e) => outcome_from_error(e, today),
    }
}

/// Logs in with phone and SMS code.
pub fn sms_login(api: &HttpClient, phone: &str, code: &str, today: NaiveDate) -> LoginOutcome {
    let errors = validate_sms_form(phone, code);
    if !errors.is_empty() {
        return LoginOutcome::Invalid(errors);
    }
    let req = SmsLoginRequest {
        phone: phone.trim().to_owned(),
        sms_code: code.trim().to_owned(),
    };
    match api.login_sms(&req) {
        Ok(s) => LoginOutcome::LoggedIn(s.into()),
        Err(e) => outcome_from_error(e, today),
    }
}

#[cfg(test)]
mod tests {
    //! Against the real server (`tests::blocking::Server::shared`), fresh people per test.
    use super::*;
    use ::tests::blocking::Server;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
    }

    fn client() -> HttpClient {
        HttpClient::new(Server::shared().url()).unwrap()
    }

    /// A captcha and the answer the server stored for it.
    fn captcha(api: &HttpClient) -> (String, i64) {
        let c = api.captcha().unwrap();
        let x = Server::shared().captcha_answer(&c.id);
        (c.id, x)
    }

    #[test]
    fn empty_form_reports_every_field_and_sends_nothing() {
        // Nothing is sent: no server listens here.
        let api = HttpClient::new("http://127.0.0.1:9").unwrap();
        let LoginOutcome::Invalid(errors) = password_login(&api, None, "", "", 0, today()) else {
            panic!()
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["login", "password"]);
        assert_eq!(errors[0].message, "请输入手机号或身份证号");
    }

    #[test]
    fn right_slide_logs_in_wrong_slide_is_rejected() {
        let vet = Server::shared().veteran();
        let api = client();
        // By ID number, a lower-case x accepted; the slide within the tolerance.
        let (id, x) = captcha(&api);
        let out = password_login(
            &api,
            Some(&id),
            &vet.person.id_number.to_lowercase(),
            ::tests::PASSWORD,
            x - 2,
            today(),
        );
        let LoginOutcome::LoggedIn(s) = out else {
            panic!("{out:?}")
        };
        assert_eq!(s.masked_name, server::domain::mask_name(&vet.person.name));

        let (id, x) = captcha(&api);
        let out = password_login(
            &api,
            Some(&id),
            vet.phone(),
            ::tests::PASSWORD,
            x + 50,
            today(),
        );
        assert!(
            matches!(out, LoginOutcome::Rejected { ref code, .. } if code == "bad_credentials"),
            "{out:?}"
        );
    }

    #[test]
    fn five_failures_lock_and_the_message_names_the_end_time() {
        let vet = Server::shared().veteran();
        let api = client();
        let mut last = None;
        for _ in 0..5 {
            let (id, x) = captcha(&api);
            last = Some(password_login(
                &api,
                Some(&id),
                vet.phone(),
                "wrong1234",
                x,
                today(),
            ));
        }
        let Some(LoginOutcome::Locked { message }) = last else {
            panic!("{last:?}")
        };
        assert!(
            message.starts_with("登录失败次数过多,账号已被锁定,请于"),
            "{message}"
        );
    }

    #[test]
    fn lock_message_shows_local_time_and_date_when_not_today() {
        let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
        let m = lock_message(Some("2026-02-01T02:15:00Z"), &beijing, today());
        assert_eq!(m, "登录失败次数过多,账号已被锁定,请于10:15后再试");
        let m = lock_message(Some("2026-02-01T17:15:00Z"), &beijing, today());
        assert_eq!(m, "登录失败次数过多,账号已被锁定,请于02月02日 01:15后再试");
        assert!(lock_message(None, &beijing, today()).contains("请稍后再试"));
        assert!(lock_message(Some("garbage"), &beijing, today()).contains("请稍后再试"));
    }

    #[test]
    fn sms_login_checks_then_uses_the_code() {
        let vet = Server::shared().veteran();
        let api = client();
        let LoginOutcome::Invalid(e) = sms_login(&api, vet.phone(), "12", today()) else {
            panic!()
        };
        assert_eq!(e[0].code, "sms_code_format");
        api.send_sms_code(&crate::api::SmsCodeRequest {
            phone: vet.phone().into(),
            purpose: "login".into(),
        })
        .unwrap();
        let code = Server::shared().sms_code(vet.phone()).unwrap();
        assert!(matches!(
            sms_login(&api, vet.phone(), &code, today()),
            LoginOutcome::LoggedIn(_)
        ));
    }

    #[test]
    fn captcha_decodes_to_its_declared_size() {
        let api = client();
        let c = SliderCaptcha::decode(&api.captcha().unwrap()).unwrap();
        assert_eq!(
            (c.background.width(), c.background.height()),
            (c.width, c.height)
        );
        assert!(c.max_x() > 0);
        let mut broken = api.captcha().unwrap();
        broken.piece_png = "%%%".into();
        assert!(SliderCaptcha::decode(&broken).is_none());
    }
}
