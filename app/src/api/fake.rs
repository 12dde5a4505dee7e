//! An in-memory stand-in for the accounts API, for tests and for trying the app without a server.
//!
//! It follows issue 3's contract closely enough for the screens: a slider captcha whose answer is
//! the notch's x (±[`CAPTCHA_TOLERANCE`] px), single use; `bad_credentials` for a wrong password or
//! slider; a 15-minute lock after 5 failures; SMS codes that the test reads back with
//! [`FakeAccounts::last_sms_code`]; registration only for people in its roster.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Mutex;

use base64::Engine as _;
use chrono::{Duration, Utc};
use rand::Rng;
use shared::api::accounts::{Role, SessionUser};

mod liveness;
mod review;
mod staff;

pub use liveness::ScriptedVerdict;
pub use staff::{demo_image, DEMO_DISTRICTS, OTHER_DISTRICT};

use super::{
    AccountsApi, ApiError, Captcha, LoginRequest, PasswordResetRequest, Problem, Profile,
    RegisterRequest, RegisterResponse, SessionResponse, SmsCodeRequest, SmsLoginRequest, Token,
};

pub const CAPTCHA_WIDTH: u32 = 300;
pub const CAPTCHA_HEIGHT: u32 = 150;
pub const CAPTCHA_PIECE: u32 = 44;
pub const CAPTCHA_TOLERANCE: i64 = 6;
const MAX_FAILURES: u32 = 5;

/// A demo person: in the roster, and registered when `registered`.
#[derive(Clone)]
pub struct DemoPerson {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub password: String,
    pub registered: bool,
    /// `Veteran` for roster people; `Staff` / `Reviewer` accounts work on the demo districts
    /// ([`DEMO_DISTRICTS`]) and have no ID number.
    pub role: Role,
}

struct Account {
    person: DemoPerson,
    user_id: String,
    failures: u32,
    locked_until: Option<chrono::DateTime<Utc>>,
}

#[derive(Default)]
struct State {
    accounts: Vec<Account>,
    captchas: HashMap<String, i64>,
    sms: HashMap<String, String>,
    tokens: HashMap<String, usize>,
    next_id: u64,
    review: review::FakeReview,
    liveness: liveness::FakeLiveness,
    staff: staff::FakeStaff,
}

pub struct FakeAccounts {
    state: Mutex<State>,
}

impl Default for FakeAccounts {
    fn default() -> Self {
        FakeAccounts::with_demo_people()
    }
}

impl FakeAccounts {
    /// One registered demo veteran (陈松, 13300001234 / abc12345), one enrolled but
    /// unregistered person (张三, 15800005678), a staff member (林小红, 13700000001 / abc12345)
    /// and a reviewer (黄审核, 13700000002 / abc12345), both working on [`DEMO_DISTRICTS`].
    pub fn with_demo_people() -> FakeAccounts {
        FakeAccounts::new(vec![
            DemoPerson {
                name: "陈松".into(),
                id_number: "11010519491231002X".into(),
                phone: "13300001234".into(),
                password: "abc12345".into(),
                registered: true,
                role: Role::Veteran,
            },
            DemoPerson {
                name: "张三".into(),
                id_number: "110101196203150012".into(),
                phone: "15800005678".into(),
                password: String::new(),
                registered: false,
                role: Role::Veteran,
            },
            DemoPerson {
                name: "林小红".into(),
                id_number: String::new(),
                phone: "13700000001".into(),
                password: "abc12345".into(),
                registered: true,
                role: Role::Staff,
            },
            DemoPerson {
                name: "黄审核".into(),
                id_number: String::new(),
                phone: "13700000002".into(),
                password: "abc12345".into(),
                registered: true,
                role: Role::Reviewer,
            },
        ])
    }

    pub fn new(people: Vec<DemoPerson>) -> FakeAccounts {
        let accounts = people
            .into_iter()
            .enumerate()
            .map(|(i, person)| Account {
                person,
                user_id: format!("u{}", i + 1),
                failures: 0,
                locked_until: None,
            })
            .collect();
        FakeAccounts {
            state: Mutex::new(State {
                accounts,
                ..State::default()
            }),
        }
    }

    /// The last SMS code sent to `phone` (what the demo server's outbox shows).
    pub fn last_sms_code(&self, phone: &str) -> Option<String> {
        self.lock().sms.get(phone).cloned()
    }

    /// The answer to a captcha (what the demo server's `/dev/captchas/{id}` shows).
    pub fn captcha_answer(&self, id: &str) -> Option<i64> {
        self.lock().captchas.get(id).copied()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data here; keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn problem(status: u16, code: &str, message: &str) -> ApiError {
    ApiError::Problem(Problem::new(status, code, message))
}

fn bad_credentials() -> ApiError {
    problem(
        401,
        "bad_credentials",
        "账号、密码或滑块验证有误,请重新输入",
    )
}

fn locked(until: chrono::DateTime<Utc>) -> ApiError {
    let mut p = Problem::new(423, "account_locked", "登录失败次数过多,账号已被暂时锁定");
    p.locked_until = Some(until.to_rfc3339());
    ApiError::Problem(p)
}

fn session(state: &mut State, index: usize) -> SessionResponse {
    state.next_id += 1;
    let token = format!("fake-token-{}", state.next_id);
    state.tokens.insert(token.clone(), index);
    let account = &state.accounts[index];
    let masked_name = mask_name(&account.person.name);
    SessionResponse {
        token,
        expires_at: (Utc::now() + Duration::hours(12)).to_rfc3339(),
        user: SessionUser {
            id: account.user_id.clone(),
            role: account.person.role,
            masked_name,
        },
    }
}

fn mask_name(name: &str) -> String {
    let n = name.chars().count();
    let last: String = name.chars().last().map(String::from).unwrap_or_default();
    format!("{}{}", "*".repeat(n.saturating_sub(1)), last)
}

/// PNG bytes of `img`, base64-encoded.
fn png_base64(img: &image::RgbaImage) -> String {
    let mut out = Cursor::new(Vec::new());
    // Encoding an in-memory RGBA buffer to PNG cannot fail short of out-of-memory.
    if img.write_to(&mut out, image::ImageFormat::Png).is_err() {
        return String::new();
    }
    base64::engine::general_purpose::STANDARD.encode(out.into_inner())
}

/// A background with a darker notch at (`x`, `y`) and the matching piece.
pub fn draw_captcha(x: u32, y: u32) -> (image::RgbaImage, image::RgbaImage) {
    let mut bg = image::RgbaImage::from_fn(CAPTCHA_WIDTH, CAPTCHA_HEIGHT, |px, py| {
        let r = (80 + px * 120 / CAPTCHA_WIDTH) as u8;
        let g = (120 + py * 100 / CAPTCHA_HEIGHT) as u8;
        let stripe = if (px / 15 + py / 15) % 2 == 0 { 20 } else { 0 };
        image::Rgba([r, g, 170 + stripe, 255])
    });
    let mut piece = image::RgbaImage::new(CAPTCHA_PIECE, CAPTCHA_PIECE);
    for py in 0..CAPTCHA_PIECE {
        for px in 0..CAPTCHA_PIECE {
            let (bx, by) = (x + px, y + py);
            if bx >= CAPTCHA_WIDTH || by >= CAPTCHA_HEIGHT {
                continue;
            }
            let src = *bg.get_pixel(bx, by);
            let border = px < 2 || py < 2 || px >= CAPTCHA_PIECE - 2 || py >= CAPTCHA_PIECE - 2;
            piece.put_pixel(
                px,
                py,
                if border {
                    image::Rgba([255, 255, 255, 255])
                } else {
                    src
                },
            );
            let image::Rgba([r, g, b, _]) = src;
            bg.put_pixel(bx, by, image::Rgba([r / 3, g / 3, b / 3, 255]));
        }
    }
    (bg, piece)
}

impl AccountsApi for FakeAccounts {
    fn captcha(&self) -> Result<Captcha, ApiError> {
        let mut rng = rand::thread_rng();
        let x = rng.gen_range(CAPTCHA_PIECE + 20..CAPTCHA_WIDTH - CAPTCHA_PIECE - 10);
        let y = rng.gen_range(10..CAPTCHA_HEIGHT - CAPTCHA_PIECE - 10);
        let (bg, piece) = draw_captcha(x, y);
        let mut state = self.lock();
        state.next_id += 1;
        let id = format!("captcha-{}", state.next_id);
        state.captchas.insert(id.clone(), i64::from(x));
        Ok(Captcha {
            id,
            background_png: png_base64(&bg),
            piece_png: png_base64(&piece),
            piece_y: y,
            width: CAPTCHA_WIDTH,
            height: CAPTCHA_HEIGHT,
            expires_at: (Utc::now() + Duration::minutes(2)).to_rfc3339(),
        })
    }

    fn login(&self, req: &LoginRequest) -> Result<SessionResponse, ApiError> {
        let mut state = self.lock();
        let slider_ok = req
            .captcha
            .as_ref()
            .and_then(|c| {
                state
                    .captchas
                    .remove(&c.id)
                    .map(|answer| (answer - c.x).abs() <= CAPTCHA_TOLERANCE)
            })
            .unwrap_or(false);
        let login = req.login.trim();
        let Some(index) = state.accounts.iter().position(|a| {
            a.person.registered
                && (a.person.phone == login
                    || (!a.person.id_number.is_empty()
                        && a.person.id_number.eq_ignore_ascii_case(login)))
        }) else {
            return Err(bad_credentials());
        };
        let now = Utc::now();
        let account = &mut state.accounts[index];
        if let Some(until) = account.locked_until.filter(|u| *u > now) {
            return Err(locked(until));
        }
        if !slider_ok || account.person.password != req.password {
            account.failures += 1;
            if account.failures >= MAX_FAILURES {
                account.failures = 0;
                let until = now + Duration::minutes(15);
                account.locked_until = Some(until);
                return Err(locked(until));
            }
            return Err(bad_credentials());
        }
        account.failures = 0;
        Ok(session(&mut state, index))
    }

    fn login_sms(&self, req: &SmsLoginRequest) -> Result<SessionResponse, ApiError> {
        let mut state = self.lock();
        let phone = req.phone.trim();
        if state.sms.get(phone).map(String::as_str) != Some(req.sms_code.trim()) {
            return Err(problem(401, "bad_credentials", "验证码错误或已过期"));
        }
        state.sms.remove(phone);
        let Some(index) = state
            .accounts
            .iter()
            .position(|a| a.person.registered && a.person.phone == phone)
        else {
            return Err(problem(401, "bad_credentials", "验证码错误或已过期"));
        };
        Ok(session(&mut state, index))
    }

    fn send_sms_code(&self, req: &SmsCodeRequest) -> Result<(), ApiError> {
        let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
        self.lock().sms.insert(req.phone.trim().to_owned(), code);
        Ok(())
    }

    fn register(&self, req: &RegisterRequest) -> Result<RegisterResponse, ApiError> {
        let mut state = self.lock();
        if state.sms.get(req.phone.trim()).map(String::as_str) != Some(req.sms_code.trim()) {
            return Err(ApiError::Problem(Problem::invalid_fields(vec![
                shared::FieldError::new("sms_code", "sms_code_invalid", "短信验证码错误或已过期"),
            ])));
        }
        let Some(account) = state.accounts.iter_mut().find(|a| {
            a.person
                .id_number
                .eq_ignore_ascii_case(req.id_number.trim())
        }) else {
            return Err(problem(
                403,
                "not_enrolled",
                "未查询到您的建档立卡信息,请联系当地退役军人服务站",
            ));
        };
        if account.person.name != req.name.trim() {
            return Err(problem(
                403,
                "real_name_mismatch",
                "姓名与身份证号不一致,实名认证不通过",
            ));
        }
        if account.person.registered {
            return Err(problem(
                409,
                "already_registered",
                "该身份证号已注册,请直接登录",
            ));
        }
        account.person.registered = true;
        account.person.password = req.password.clone();
        account.person.phone = req.phone.trim().to_owned();
        let user_id = account.user_id.clone();
        state.sms.remove(req.phone.trim());
        Ok(RegisterResponse { user_id })
    }

    fn reset_password(&self, req: &PasswordResetRequest) -> Result<(), ApiError> {
        let mut state = self.lock();
        let phone = req.phone.trim().to_owned();
        if state.sms.get(&phone).map(String::as_str) != Some(req.sms_code.trim()) {
            return Err(problem(401, "bad_credentials", "验证码错误或已过期"));
        }
        state.sms.remove(&phone);
        if let Some(a) = state
            .accounts
            .iter_mut()
            .find(|a| a.person.registered && a.person.phone == phone)
        {
            a.person.password = req.new_password.clone();
            a.failures = 0;
            a.locked_until = None;
        }
        Ok(())
    }

    fn me(&self, token: &Token) -> Result<Profile, ApiError> {
        let state = self.lock();
        let Some(&index) = state.tokens.get(token.expose()) else {
            return Err(problem(401, "unauthorized", "登录已过期,请重新登录"));
        };
        let p = &state.accounts[index].person;
        let masked_id = (p.id_number.len() == 18)
            .then(|| format!("{}********{}", &p.id_number[..6], &p.id_number[14..]));
        let masked_phone = match (p.phone.get(..3), p.phone.get(7..)) {
            (Some(a), Some(b)) => format!("{a}****{b}"),
            _ => "***".into(),
        };
        let district = |code: &str, name: &str| shared::api::accounts::District {
            code: code.into(),
            name: name.into(),
        };
        let veteran = p.role == Role::Veteran;
        Ok(Profile {
            id: state.accounts[index].user_id.clone(),
            role: p.role,
            masked_name: mask_name(&p.name),
            masked_id_number: masked_id,
            masked_phone,
            category: veteran.then(|| "self_employed_officer".into()),
            category_label: veteran.then(|| "自主择业军转干部".into()),
            districts: if veteran {
                vec![district("110101", "北京市/东城区")]
            } else {
                vec![
                    district("110101", "北京市/东城区"),
                    district("110102", "北京市/西城区"),
                ]
            },
        })
    }

    fn logout(&self, token: &Token) -> Result<(), ApiError> {
        self.lock().tokens.remove(token.expose());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CaptchaAnswer;
    use shared::error::UserError;

    fn try_login(
        api: &FakeAccounts,
        password: &str,
        slide_right: bool,
    ) -> Result<SessionResponse, ApiError> {
        let c = api.captcha().unwrap();
        let answer = api.captcha_answer(&c.id).unwrap();
        let x = if slide_right { answer + 3 } else { answer + 40 };
        api.login(&LoginRequest {
            login: "13300001234".into(),
            password: password.into(),
            captcha: Some(CaptchaAnswer { id: c.id, x }),
        })
    }

    #[test]
    fn right_password_and_slide_log_in_and_a_failed_slide_counts_as_failure() {
        let api = FakeAccounts::default();
        assert_eq!(
            try_login(&api, "abc12345", true).unwrap().user.masked_name,
            "*松"
        );
        assert_eq!(
            try_login(&api, "abc12345", false).unwrap_err().code(),
            "bad_credentials"
        );
        for _ in 0..3 {
            assert_eq!(
                try_login(&api, "wrong-pass1", true).unwrap_err().code(),
                "bad_credentials"
            );
        }
        let err = try_login(&api, "wrong-pass1", true).unwrap_err();
        assert_eq!(err.code(), "account_locked");
        assert!(err.problem().unwrap().locked_until.is_some());
        // Locked even with the right password.
        assert_eq!(
            try_login(&api, "abc12345", true).unwrap_err().code(),
            "account_locked"
        );
    }

    #[test]
    fn captcha_images_decode_and_are_single_use() {
        let api = FakeAccounts::default();
        let c = api.captcha().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&c.background_png)
            .unwrap();
        let bg = image::load_from_memory(&bytes).unwrap();
        assert_eq!((bg.width(), bg.height()), (c.width, c.height));
        let answer = api.captcha_answer(&c.id).unwrap();
        let req = LoginRequest {
            login: "13300001234".into(),
            password: "abc12345".into(),
            captcha: Some(CaptchaAnswer {
                id: c.id.clone(),
                x: answer,
            }),
        };
        assert!(api.login(&req).is_ok());
        assert_eq!(api.login(&req).unwrap_err().code(), "bad_credentials");
    }
}
