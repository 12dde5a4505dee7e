//! Accounts and login (seed 000: 注册/登录; seed 001: 滑块, 锁定, 短信, 换绑手机).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rand::Rng;
use serde_json::json;
use shared::api::accounts::{
    Captcha, ChangePhoneRequest, District, LoginRequest, PasswordResetRequest, Profile,
    RegisterRequest, RegisterResponse, Role, SessionResponse, SessionUser, SmsCodeRequest,
    SmsLoginRequest, SmsPurpose,
};
use shared::category::Category;
use shared::id::{IdNumber, IdValidity, ValidityError};
use shared::name::PersonName;
use shared::password::PasswordPolicy;
use shared::phone::MobilePhone;
use shared::region::RegionCode;

use crate::captcha;
use crate::clock::rfc3339;
use crate::domain::{self, mask_id_number, mask_name, mask_phone, Fields, SimpleError};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use crate::store::{is_unique_violation, LoginColumn, NewUser};
use crate::tokens;

/// At most one code per phone per this many seconds.
pub const SMS_INTERVAL_SECS: i64 = 60;
/// A code is valid this long.
pub const SMS_TTL_SECS: i64 = 5 * 60;

fn purpose_zh(p: SmsPurpose) -> &'static str {
    match p {
        SmsPurpose::Register => "注册账号",
        SmsPurpose::Login => "登录",
        SmsPurpose::ResetPassword => "找回密码",
        SmsPurpose::ChangePhone => "变更绑定手机号",
        SmsPurpose::PasswordAppeal => "申诉找回密码",
    }
}

fn parse_purpose(s: &str) -> Result<SmsPurpose, SimpleError> {
    if s.trim().is_empty() {
        return Err(SimpleError {
            code: "purpose_empty",
            message: "请指定验证码用途",
        });
    }
    SmsPurpose::from_wire(s.trim()).ok_or(SimpleError {
        code: "purpose_invalid",
        message: "验证码用途不正确",
    })
}

async fn audit(
    st: &AppState,
    event: &str,
    user_id: Option<&str>,
    detail: serde_json::Value,
) -> ApiResult<()> {
    st.store
        .audit(event, user_id, &detail, st.clock.unix())
        .await
        .map_err(ApiError::from)
}

/// `POST /api/v1/sms-codes` → 202.
///
/// For `login` and `reset_password` a message goes out only if the phone has an account, but the
/// answer (and the rate limit) is the same either way, so this cannot be used to probe accounts.
pub async fn request_sms_code(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<SmsCodeRequest>,
) -> ApiResult<StatusCode> {
    let mut f = Fields::new();
    let phone = f.take("phone", MobilePhone::parse(&req.phone));
    let purpose = f.take("purpose", parse_purpose(&req.purpose));
    f.finish()?;
    let (Some(phone), Some(purpose)) = (phone, purpose) else {
        return Err(ApiError::internal("unreachable"));
    };

    let now = st.clock.unix();
    if let Some(last) = st.store.last_sms_code_at(phone.as_str()).await? {
        let wait = last + SMS_INTERVAL_SECS - now;
        if wait > 0 {
            return Err(ApiError::TooManyRequests {
                retry_after: u64::try_from(wait).unwrap_or(1),
            });
        }
    }
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
    st.store
        .insert_sms_code(
            phone.as_str(),
            purpose.as_str(),
            &code,
            now,
            now + SMS_TTL_SECS,
        )
        .await?;
    let deliver = match purpose {
        // An appeal's contact phone need not have an account (that is the point of appealing).
        SmsPurpose::Register | SmsPurpose::ChangePhone | SmsPurpose::PasswordAppeal => true,
        SmsPurpose::Login | SmsPurpose::ResetPassword => {
            st.store.user_id_by_phone(phone.as_str()).await?.is_some()
        }
    };
    if deliver {
        st.sms
            .send(
                phone.as_str(),
                &crate::sms::code_message(&code, purpose_zh(purpose)),
            )
            .await
            .map_err(|e| ApiError::internal(format!("sms gateway: {e}")))?;
    }
    tracing::info!(
        purpose = purpose.as_str(),
        delivered = deliver,
        "sms code requested"
    );
    Ok(StatusCode::ACCEPTED)
}

/// Field for a validity error: start problems belong to 有效期始, the rest to 有效期止.
fn validity_field(e: &ValidityError) -> &'static str {
    match e {
        ValidityError::StartInFuture | ValidityError::StartBeforeBirth => "id_valid_from",
        _ => "id_valid_to",
    }
}

/// `POST /api/v1/accounts` → 201.
pub async fn register(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<RegisterResponse>)> {
    let today = st.clock.today_cn();
    let mut f = Fields::new();
    let name = f.take("name", PersonName::parse(&req.name));
    let id = f.take("id_number", IdNumber::parse(&req.id_number, today));
    let from = f.take(
        "id_valid_from",
        domain::parse_date(
            &req.id_valid_from,
            "id_valid_from_empty",
            "请选择身份证有效期始",
        ),
    );
    let to = match &req.id_valid_to {
        None => Some(None),
        Some(s) => f
            .take(
                "id_valid_to",
                domain::parse_date(s, "id_valid_to_empty", "请选择身份证有效期止"),
            )
            .map(Some),
    };
    let phone = f.take("phone", MobilePhone::parse(&req.phone));
    let code = f.take("sms_code", domain::parse_sms_code(&req.sms_code));
    let password = f.take("password", PasswordPolicy::Platform.parse(&req.password));
    if !req.agree_terms {
        f.push(
            "agree_terms",
            "terms_not_agreed",
            "请阅读并同意《个人注册协议》",
        );
    }
    let validity = match (&id, from, to) {
        (Some(id), Some(from), Some(to)) => {
            match IdValidity::parse(id.birth_date(), from, to, today) {
                Ok(v) => Some(v),
                Err(e) => {
                    f.take::<(), _>(validity_field(&e), Err(e));
                    None
                }
            }
        }
        _ => None,
    };
    f.finish()?;
    let (Some(name), Some(id), Some(validity), Some(phone), Some(code), Some(password)) =
        (name, id, validity, phone, code, password)
    else {
        return Err(ApiError::internal(
            "unreachable: fields parsed without error",
        ));
    };

    let now = st.clock.unix();
    if !st
        .store
        .take_sms_code(phone.as_str(), SmsPurpose::Register.as_str(), &code, now)
        .await?
    {
        return Err(ApiError::sms_code_rejected());
    }
    let person = st
        .store
        .roster_by_id_number(id.as_str())
        .await?
        .ok_or(ApiError::NotEnrolled)?;
    if person.name != name.as_str() {
        audit(
            &st,
            "register_refused",
            None,
            json!({"reason": "real_name_mismatch"}),
        )
        .await?;
        return Err(ApiError::RealNameMismatch);
    }
    if st.store.user_for_person(&person.id).await?.is_some() {
        return Err(ApiError::AlreadyRegistered);
    }
    if !st
        .store
        .roster_has_phone(&person.id, phone.as_str())
        .await?
    {
        return Err(ApiError::PhoneNotInRoster);
    }
    if st.store.user_id_by_phone(phone.as_str()).await?.is_some() {
        return Err(ApiError::PhoneInUse);
    }
    let hash = st.passwords.hash(password.expose()).await?;
    let user = NewUser {
        id: tokens::new_id(),
        role: Role::Veteran,
        person_id: Some(person.id.clone()),
        name: name.as_str().to_owned(),
        id_number: Some(id.as_str().to_owned()),
        phone: phone.as_str().to_owned(),
        password_hash: hash,
        id_valid_from: Some(validity.start().to_string()),
        id_valid_to: validity.end().date().map(|d| d.to_string()),
        districts: Vec::new(),
    };
    if let Err(e) = st.store.insert_user(&user, now).await {
        return Err(if is_unique_violation(&e) {
            ApiError::AlreadyRegistered
        } else {
            e.into()
        });
    }
    audit(
        &st,
        "account_registered",
        Some(&user.id),
        json!({"phone": phone.masked()}),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisterResponse { user_id: user.id }),
    ))
}

/// `GET /api/v1/captchas`.
pub async fn new_captcha(State(st): State<AppState>) -> ApiResult<Json<Captcha>> {
    let generated = tokio::task::spawn_blocking(captcha::generate)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let id = tokens::new_id();
    let expires_at = st.clock.unix() + captcha::TTL_SECS;
    st.store
        .insert_captcha(&id, i64::from(generated.x), expires_at)
        .await?;
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(Json(Captcha {
        id,
        background_png: b64.encode(&generated.background_png),
        piece_png: b64.encode(&generated.piece_png),
        piece_y: generated.y,
        width: captcha::WIDTH,
        height: captcha::HEIGHT,
        expires_at: rfc3339(expires_at),
    }))
}

/// Issues a session for `user_id`.
async fn start_session(
    st: &AppState,
    user_id: &str,
    role: Role,
    name: &str,
) -> ApiResult<SessionResponse> {
    let token = tokens::new_token();
    let now = st.clock.unix();
    let expires_at = now + st.session_ttl_secs;
    st.store
        .insert_session(&tokens::hash_token(&token), user_id, now, expires_at)
        .await?;
    Ok(SessionResponse {
        token,
        expires_at: rfc3339(expires_at),
        user: SessionUser {
            id: user_id.to_owned(),
            role,
            masked_name: mask_name(name),
        },
    })
}

/// Counts a failed login against `key`; answers 423 if this failure locks it, else 401.
async fn login_failed(st: &AppState, key: &str, user_id: Option<&str>, reason: &str) -> ApiError {
    let now = st.clock.unix();
    let locked = match st.store.record_failure(key, now).await {
        Ok(l) => l,
        Err(e) => return e.into(),
    };
    if let Err(e) = audit(
        st,
        "login_failed",
        user_id,
        json!({"reason": reason, "known_account": user_id.is_some()}),
    )
    .await
    {
        return e;
    }
    match locked {
        Some(until) => {
            if let Err(e) = audit(
                st,
                "account_locked",
                user_id,
                json!({"until": rfc3339(until)}),
            )
            .await
            {
                return e;
            }
            ApiError::AccountLocked { until }
        }
        None => ApiError::BadCredentials,
    }
}

/// `POST /api/v1/sessions`: phone or ID number + password + slider.
///
/// Unknown accounts go through the same steps as known ones (a dummy hash is verified; failures
/// are counted and locked under a key derived from the login string), so neither the body nor the
/// timing nor the lockout tells whether an account exists.
pub async fn login(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<SessionResponse>> {
    let mut f = Fields::new();
    f.take(
        "login",
        domain::required(&req.login, "login_empty", "请输入手机号或身份证号"),
    );
    f.take(
        "password",
        domain::required(&req.password, "password_empty", "请输入密码"),
    );
    let answer = req.captcha.filter(|c| !c.id.trim().is_empty());
    if answer.is_none() {
        f.push("captcha", "captcha_required", "请拖动滑块完成验证");
    }
    f.finish()?;
    let Some(answer) = answer else {
        return Err(ApiError::internal("unreachable"));
    };

    let today = st.clock.today_cn();
    let (column, login) = if let Ok(p) = MobilePhone::parse(&req.login) {
        (Some(LoginColumn::Phone), p.as_str().to_owned())
    } else if let Ok(id) = IdNumber::parse(&req.login, today) {
        (Some(LoginColumn::IdNumber), id.as_str().to_owned())
    } else {
        (None, req.login.trim().to_owned())
    };
    let user = match column {
        Some(c) => st.store.user_auth(c, &login).await?,
        None => None,
    };
    let key = match &user {
        Some(u) => format!("user:{}", u.id),
        None => format!("login:{}", tokens::hash_token(&login)),
    };
    let user_id_owned = user.as_ref().map(|u| u.id.clone());
    let user_id = user_id_owned.as_deref();
    let now = st.clock.unix();
    if let Some(until) = st.store.locked_until(&key, now).await? {
        audit(&st, "login_refused_locked", user_id, json!({})).await?;
        return Err(ApiError::AccountLocked { until });
    }
    let slider_ok = match st.store.take_captcha(answer.id.trim(), now).await? {
        Some(x) => captcha::accepts(x, answer.x),
        None => false,
    };
    if !slider_ok {
        return Err(login_failed(&st, &key, user_id, "slider").await);
    }
    let ok = st
        .passwords
        .verify(
            &req.password,
            user.as_ref().map(|u| u.password_hash.as_str()),
        )
        .await?;
    let Some(user) = user.filter(|_| ok) else {
        return Err(login_failed(&st, &key, user_id, "password").await);
    };
    st.store.clear_failures(&key).await?;
    refuse_disabled(&st, &user).await?;
    let session = start_session(&st, &user.id, user.role, &user.name).await?;
    audit(
        &st,
        "login_succeeded",
        Some(&user.id),
        json!({"method": "password"}),
    )
    .await?;
    Ok(Json(session))
}

/// 403 `account_disabled` for an account an administrator disabled (停用). Said only after the
/// password or SMS code proved the caller, so it tells a stranger nothing.
async fn refuse_disabled(st: &AppState, user: &crate::store::UserAuth) -> ApiResult<()> {
    if !user.disabled {
        return Ok(());
    }
    audit(st, "login_refused_disabled", Some(&user.id), json!({})).await?;
    Err(ApiError::rule(
        StatusCode::FORBIDDEN,
        "account_disabled",
        "账号已停用,如有疑问请联系管理员",
    ))
}

/// `POST /api/v1/sessions/sms`: phone + SMS code.
pub async fn sms_login(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<SmsLoginRequest>,
) -> ApiResult<Json<SessionResponse>> {
    let mut f = Fields::new();
    let phone = f.take("phone", MobilePhone::parse(&req.phone));
    let code = f.take("sms_code", domain::parse_sms_code(&req.sms_code));
    f.finish()?;
    let (Some(phone), Some(code)) = (phone, code) else {
        return Err(ApiError::internal("unreachable"));
    };
    let now = st.clock.unix();
    if !st
        .store
        .take_sms_code(phone.as_str(), SmsPurpose::Login.as_str(), &code, now)
        .await?
    {
        return Err(ApiError::sms_code_rejected());
    }
    let user = st
        .store
        .user_auth(LoginColumn::Phone, phone.as_str())
        .await?
        .ok_or_else(ApiError::sms_code_rejected)?;
    refuse_disabled(&st, &user).await?;
    let session = start_session(&st, &user.id, user.role, &user.name).await?;
    audit(
        &st,
        "login_succeeded",
        Some(&user.id),
        json!({"method": "sms"}),
    )
    .await?;
    Ok(Json(session))
}

/// `DELETE /api/v1/sessions/current` → 204.
pub async fn logout(State(st): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    st.store
        .revoke_session(&user.token_hash, st.clock.unix())
        .await?;
    audit(&st, "logout", Some(&user.user_id), json!({})).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/password-resets` → 204; every session of the account is revoked and any lock
/// lifted (the SMS code proves the phone).
pub async fn reset_password(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<PasswordResetRequest>,
) -> ApiResult<StatusCode> {
    let mut f = Fields::new();
    let phone = f.take("phone", MobilePhone::parse(&req.phone));
    let code = f.take("sms_code", domain::parse_sms_code(&req.sms_code));
    let password = f.take(
        "new_password",
        PasswordPolicy::Platform.parse(&req.new_password),
    );
    f.finish()?;
    let (Some(phone), Some(code), Some(password)) = (phone, code, password) else {
        return Err(ApiError::internal("unreachable"));
    };
    let now = st.clock.unix();
    if !st
        .store
        .take_sms_code(
            phone.as_str(),
            SmsPurpose::ResetPassword.as_str(),
            &code,
            now,
        )
        .await?
    {
        return Err(ApiError::sms_code_rejected());
    }
    let user_id = st
        .store
        .user_id_by_phone(phone.as_str())
        .await?
        .ok_or_else(ApiError::sms_code_rejected)?;
    let hash = st.passwords.hash(password.expose()).await?;
    st.store.set_password(&user_id, &hash).await?;
    let revoked = st.store.revoke_all_sessions(&user_id, now).await?;
    st.store.clear_failures(&format!("user:{user_id}")).await?;
    audit(
        &st,
        "password_reset",
        Some(&user_id),
        json!({"sessions_revoked": revoked}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn district(code: &str) -> District {
    let name = RegionCode::parse(code)
        .map(|r| r.full_name())
        .unwrap_or_default();
    District {
        code: code.to_owned(),
        name,
    }
}

/// `GET /api/v1/me`.
pub async fn me(State(st): State<AppState>, user: AuthUser) -> ApiResult<Json<Profile>> {
    let p = st
        .store
        .user_profile(&user.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let category = p.category.as_deref().and_then(|c| Category::parse(c).ok());
    let today = st.clock.today_cn();
    Ok(Json(Profile {
        id: p.id,
        role: p.role,
        masked_name: mask_name(&p.name),
        masked_id_number: p.id_number.as_deref().map(|n| mask_id_number(n, today)),
        masked_phone: mask_phone(&p.phone),
        category: category.map(|c| c.as_str().to_owned()),
        category_label: category.map(|c| c.label_zh().to_owned()),
        districts: p.districts.iter().map(|d| district(d)).collect(),
    }))
}

/// `PUT /api/v1/me/phone` → 204: only to a number the roster holds for this person (seed 001:
/// otherwise 前往就近的退役军人服务中心(站)办理手机号码变更登记).
pub async fn change_phone(
    State(st): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<ChangePhoneRequest>,
) -> ApiResult<StatusCode> {
    let mut f = Fields::new();
    let phone = f.take("new_phone", MobilePhone::parse(&req.new_phone));
    let code = f.take("sms_code", domain::parse_sms_code(&req.sms_code));
    f.finish()?;
    let (Some(phone), Some(code)) = (phone, code) else {
        return Err(ApiError::internal("unreachable"));
    };
    let person = st.store.person_of_user(&user.user_id).await?;
    let in_roster = match &person {
        Some(p) => st.store.roster_has_phone(p, phone.as_str()).await?,
        None => false,
    };
    if !in_roster {
        audit(
            &st,
            "phone_change_refused",
            Some(&user.user_id),
            json!({"reason": "phone_not_in_roster"}),
        )
        .await?;
        return Err(ApiError::PhoneNotInRoster);
    }
    let now = st.clock.unix();
    if !st
        .store
        .take_sms_code(phone.as_str(), SmsPurpose::ChangePhone.as_str(), &code, now)
        .await?
    {
        return Err(ApiError::sms_code_rejected());
    }
    match st.store.user_id_by_phone(phone.as_str()).await? {
        Some(owner) if owner == user.user_id => return Ok(StatusCode::NO_CONTENT),
        Some(_) => return Err(ApiError::PhoneInUse),
        None => {}
    }
    if let Err(e) = st.store.set_phone(&user.user_id, phone.as_str()).await {
        return Err(if is_unique_violation(&e) {
            ApiError::PhoneInUse
        } else {
            e.into()
        });
    }
    audit(
        &st,
        "phone_changed",
        Some(&user.user_id),
        json!({"new_phone": phone.masked()}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
