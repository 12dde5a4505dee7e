//! 个人用户 and 实名认证 (seed 003 §4.1; spec S1): accounts for people outside the roster,
//! 我的信息 (the identity record with its real-name status), and its edit, which re-runs the
//! verification when a field the seed lists changes ("修改是否触发实名认证").
//!
//! The rules (which documents each 类型 takes, the status machine, the trigger fields) are
//! `shared::identity`'s; this file parses, asks `state.identity` and stores.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde_json::json;
use shared::api::accounts::{Role, SmsPurpose};
use shared::api::identity::{
    IdentityScanKind, IdentityUpdate, IdentityUpdateResponse, IdentityView, ManualReviewCreated,
    ManualReviewRequest, PersonalRegisterRequest, PersonalRegisterResponse, RealNameDecisionResult,
    RealNameRequestDetail, RealNameRequestList, RealNameRequestSummary, RealNameView,
};
use shared::api::review::{DecisionRequest, UploadCreated};
use shared::error::{FieldError, UserError};
use shared::id::{DocumentKind, IdDocument, IdValidity, Sex, ValidityError};
use shared::identity::{
    check_document_kind, check_sex, triggers_verification, Ethnicity, IdentityField,
    IdentityRegion, RealNameEvent, RealNameSource, RealNameStatus, RealNameTransitionError,
    VerifierResult,
};
use shared::lifecycle::ReviewEvent;
use shared::name::PersonName;
use shared::password::PasswordPolicy;
use shared::phone::MobilePhone;
use shared::region::RegionCode;

use crate::clock::rfc3339;
use crate::domain::{
    self, from_snake, mask_name, mask_phone, parse_document_kind as parse_kind,
    parse_identity_region as parse_region, snake, Fields, SimpleError,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use crate::store::{
    is_unique_violation, IdentityRecord, IdentityRow, NewRealNameRequest, NewUpload, NewUser,
    RealNameDecision,
};
use crate::tokens;

/// The longest 详细地址 accepted, in characters.
const MAX_ADDRESS_CHARS: usize = 100;

/// The identity fields of a request, as strings (registration, or the stored record with an
/// edit's changes laid over it).
struct IdentityInput {
    name: String,
    identity_region: String,
    document_kind: String,
    document_number: String,
    id_valid_from: Option<String>,
    id_valid_to: Option<String>,
    sex: Option<String>,
    ethnicity: Option<String>,
    address: Option<String>,
}

/// The identity fields, parsed.
struct Identity {
    name: PersonName,
    region: IdentityRegion,
    document: IdDocument,
    /// A 居民身份证's validity (other kinds carry none).
    validity: Option<IdValidity>,
    sex: Sex,
    ethnicity: Option<Ethnicity>,
    address: Option<String>,
}

impl Identity {
    /// As stored; `district` is the account's 所在地区.
    fn record(&self, district: Option<String>) -> IdentityRecord {
        IdentityRecord {
            name: self.name.as_str().to_owned(),
            identity_region: Some(snake(&self.region)),
            document_kind: Some(snake(&self.document.kind())),
            document_number: Some(self.document.as_str().to_owned()),
            id_valid_from: self.validity.as_ref().map(|v| v.start().to_string()),
            id_valid_to: self
                .validity
                .as_ref()
                .and_then(|v| v.end().date())
                .map(|d| d.to_string()),
            sex: Some(snake(&self.sex)),
            ethnicity: self.ethnicity.map(Ethnicity::code),
            address: self.address.clone(),
            district,
        }
    }
}

fn parse_sex(s: Option<&str>) -> Result<Option<Sex>, SimpleError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => from_snake(s).map(Some).ok_or(SimpleError {
            code: "sex_invalid",
            message: "性别不正确,请重新选择",
        }),
    }
}

fn parse_address(s: Option<&str>) -> Result<Option<String>, SimpleError> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.chars().count() > MAX_ADDRESS_CHARS {
        return Err(SimpleError {
            code: "address_too_long",
            message: "详细地址不能超过100个字",
        });
    }
    if s.chars().any(char::is_control) {
        return Err(SimpleError {
            code: "address_invalid_chars",
            message: "详细地址中含有无法识别的字符",
        });
    }
    Ok(Some(s.to_owned()))
}

/// Field for a validity error: start problems belong to 有效期始, the rest to 有效期止.
fn validity_field(e: &ValidityError) -> &'static str {
    match e {
        ValidityError::StartInFuture | ValidityError::StartBeforeBirth => "id_valid_from",
        _ => "id_valid_to",
    }
}

/// Parses every identity field into `f`'s errors; `None` if any failed.
fn parse_identity(f: &mut Fields, input: &IdentityInput, today: NaiveDate) -> Option<Identity> {
    let name = f.take("name", PersonName::parse(&input.name));
    let region = f.take("identity_region", parse_region(&input.identity_region));
    let kind = f.take("document_kind", parse_kind(&input.document_kind));
    if let (Some(region), Some(kind)) = (region, kind) {
        f.take("document_kind", check_document_kind(region, kind));
    }
    let document = kind.and_then(|kind| {
        f.take(
            "document_number",
            IdDocument::parse(kind, &input.document_number, today),
        )
    });
    let mut validity = None;
    let mut validity_ok = true;
    if let Some(id) = document.as_ref().and_then(IdDocument::id_number) {
        let from = f.take(
            "id_valid_from",
            domain::parse_date(
                input.id_valid_from.as_deref().unwrap_or(""),
                "id_valid_from_empty",
                "请选择身份证有效期始",
            ),
        );
        let to = match input.id_valid_to.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(s) => f
                .take(
                    "id_valid_to",
                    domain::parse_date(s, "id_valid_to_empty", "请选择身份证有效期止"),
                )
                .map(Some),
        };
        validity_ok = false;
        if let (Some(from), Some(to)) = (from, to) {
            match IdValidity::parse(id.birth_date(), from, to, today) {
                Ok(v) => {
                    validity = Some(v);
                    validity_ok = true;
                }
                Err(e) => {
                    f.take::<(), _>(validity_field(&e), Err(e));
                }
            }
        }
    }
    let given_sex = f.take("sex", parse_sex(input.sex.as_deref())).flatten();
    let sex = document
        .as_ref()
        .and_then(|doc| f.take("sex", check_sex(doc, given_sex)));
    let ethnicity = match input.ethnicity.as_deref().map(str::trim) {
        None | Some("") => Some(None),
        Some(s) => f.take("ethnicity", Ethnicity::parse(s)).map(Some),
    };
    let address = f.take("address", parse_address(input.address.as_deref()));
    match (name, region, document, sex, ethnicity, address, validity_ok) {
        (
            Some(name),
            Some(region),
            Some(document),
            Some(sex),
            Some(ethnicity),
            Some(address),
            true,
        ) if kind.is_some() => Some(Identity {
            name,
            region,
            document,
            validity,
            sex,
            ethnicity,
            address,
        }),
        _ => None,
    }
}

/// The status view the app shows.
fn real_name_view(
    status: &RealNameStatus,
    source: Option<&RealNameSource>,
    since: i64,
) -> RealNameView {
    RealNameView {
        status: status.clone(),
        label: status.label_zh().to_owned(),
        verified: status.is_verified(),
        source: source.filter(|_| status.is_verified()).cloned(),
        since: rfc3339(since),
    }
}

/// Asks the verifier (a failure of the service itself is a 500, never a verdict).
async fn verify(
    st: &AppState,
    name: &PersonName,
    document: &IdDocument,
) -> ApiResult<(VerifierResult, RealNameSource)> {
    st.identity
        .verify(name, document)
        .await
        .map_err(|e| ApiError::internal(format!("identity verifier: {e}")))
}

/// 409 when a 居民身份证 is in the roster: its holder registers as a 服务对象.
async fn refuse_roster_id(st: &AppState, document: &IdDocument) -> ApiResult<()> {
    if let Some(id) = document.id_number() {
        if st.store.roster_by_id_number(id.as_str()).await?.is_some() {
            return Err(ApiError::rule(
                StatusCode::CONFLICT,
                "use_veteran_registration",
                "您的信息已在建档立卡名单中,请使用服务对象注册",
            ));
        }
    }
    Ok(())
}

fn document_in_use() -> ApiError {
    ApiError::rule(
        StatusCode::CONFLICT,
        "already_registered",
        "该证件号码已注册,请直接登录",
    )
}

/// `POST /api/v1/accounts/personal` → 201: a 个人用户 (outside the roster). The SMS code is
/// checked before anything about the roster or other accounts is said, as for 服务对象注册, so
/// neither can be probed without owning a phone.
pub async fn register_personal(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<PersonalRegisterRequest>,
) -> ApiResult<(StatusCode, Json<PersonalRegisterResponse>)> {
    let today = st.clock.today_cn();
    let mut f = Fields::new();
    let identity = parse_identity(
        &mut f,
        &IdentityInput {
            name: req.name.clone(),
            identity_region: req.identity_region.clone(),
            document_kind: req.document_kind.clone(),
            document_number: req.document_number.clone(),
            id_valid_from: req.id_valid_from.clone(),
            id_valid_to: req.id_valid_to.clone(),
            sex: req.sex.clone(),
            ethnicity: req.ethnicity.clone(),
            address: None,
        },
        today,
    );
    let district = f.take("district", RegionCode::parse(&req.district));
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
    f.finish()?;
    let (Some(identity), Some(district), Some(phone), Some(code), Some(password)) =
        (identity, district, phone, code, password)
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
    refuse_roster_id(&st, &identity.document).await?;
    let kind = snake(&identity.document.kind());
    if st
        .store
        .user_by_document(&kind, identity.document.as_str())
        .await?
        .is_some()
    {
        return Err(document_in_use());
    }
    if st.store.user_id_by_phone(phone.as_str()).await?.is_some() {
        return Err(ApiError::PhoneInUse);
    }
    let (result, source) = verify(&st, &identity.name, &identity.document).await?;
    let status = RealNameStatus::Unverified
        .apply(RealNameEvent::AutoChecked { result })
        .map_err(ApiError::internal)?;
    let source = status.is_verified().then_some(source);
    let hash = st.passwords.hash(password.expose()).await?;
    let user = NewUser {
        id: tokens::new_id(),
        role: Role::Person,
        person_id: None,
        name: identity.name.as_str().to_owned(),
        id_number: identity
            .document
            .id_number()
            .map(|id| id.as_str().to_owned()),
        phone: phone.as_str().to_owned(),
        password_hash: hash,
        id_valid_from: None,
        id_valid_to: None,
        districts: Vec::new(),
    };
    let record = identity.record(Some(district.as_str().to_owned()));
    if let Err(e) = st
        .store
        .insert_personal_user(&user, &record, &status, source.as_ref(), now)
        .await
    {
        return Err(if is_unique_violation(&e) {
            document_in_use()
        } else {
            e.into()
        });
    }
    st.store
        .audit(
            "personal_account_registered",
            Some(&user.id),
            &json!({
                "identity_region": snake(&identity.region),
                "document_kind": kind,
                "real_name": status.name(),
            }),
            now,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PersonalRegisterResponse {
            user_id: user.id,
            real_name: real_name_view(&status, source.as_ref(), now),
        }),
    ))
}

/// The fields a caller of `role` may not change here.
fn locked(role: Role) -> Vec<IdentityField> {
    IdentityField::ALL
        .into_iter()
        .filter(|f| role == Role::Veteran && f.locked_for_roster())
        .collect()
}

fn view(row: &IdentityRow, today: NaiveDate) -> IdentityView {
    let r = &row.record;
    let kind = r
        .document_kind
        .as_deref()
        .and_then(from_snake::<DocumentKind>);
    let document = kind.zip(r.document_number.as_deref()).and_then(|(k, n)| {
        // Stored numbers were parsed on the way in; a 居民身份证 is bounded by today only.
        IdDocument::parse(k, n, today).ok()
    });
    let sex = r.sex.as_deref().and_then(from_snake::<Sex>).or_else(|| {
        document
            .as_ref()
            .and_then(shared::identity::sex_of_document)
    });
    let region = r.identity_region.as_deref().and_then(from_snake);
    let needs_validity = kind == Some(DocumentKind::ResidentIdCard);
    let incomplete = region.is_none()
        || document.is_none()
        || sex.is_none()
        || (needs_validity && r.id_valid_from.is_none());
    IdentityView {
        masked_name: mask_name(&r.name),
        sex,
        ethnicity: r
            .ethnicity
            .as_deref()
            .and_then(|e| Ethnicity::parse(e).ok()),
        birth_date: document
            .as_ref()
            .and_then(IdDocument::birth_date)
            .map(|d| d.to_string()),
        masked_phone: mask_phone(&row.phone),
        identity_region: region,
        document_kind: kind,
        masked_document_number: document.as_ref().map(IdDocument::masked),
        id_valid_from: r.id_valid_from.clone(),
        id_valid_to: r.id_valid_to.clone(),
        address: r.address.clone(),
        district: row.roster_district.clone().or_else(|| r.district.clone()),
        real_name: real_name_view(&row.status, row.source.as_ref(), row.since),
        locked_fields: locked(row.role)
            .into_iter()
            .map(|f| f.name().to_owned())
            .collect(),
        incomplete,
    }
}

/// `GET /api/v1/me/identity`: 自然人用户信息管理.
pub async fn my_identity(
    State(st): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<IdentityView>> {
    let row = st
        .store
        .identity_of(&user.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(view(&row, st.clock.today_cn())))
}

/// Which fields differ between two stored records.
fn changed_fields(old: &IdentityRecord, new: &IdentityRecord) -> Vec<IdentityField> {
    [
        (IdentityField::Name, old.name != new.name),
        (
            IdentityField::IdentityRegion,
            old.identity_region != new.identity_region,
        ),
        (
            IdentityField::DocumentKind,
            old.document_kind != new.document_kind,
        ),
        (
            IdentityField::DocumentNumber,
            old.document_number != new.document_number,
        ),
        (
            IdentityField::IdValidity,
            old.id_valid_from != new.id_valid_from || old.id_valid_to != new.id_valid_to,
        ),
        (IdentityField::Sex, old.sex != new.sex),
        (IdentityField::Ethnicity, old.ethnicity != new.ethnicity),
        (IdentityField::Address, old.address != new.address),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect()
}

/// `PUT /api/v1/me/identity` → 200: saves the edit (also when the new check fails, as the seed
/// does) and re-runs verification when a trigger field changed. A verified account must confirm
/// first (409 `reverify_confirmation_required`); a roster veteran cannot change the roster's
/// fields here (422 `field_locked`). The phone changes only through `PUT /api/v1/me/phone`.
pub async fn update_my_identity(
    State(st): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<IdentityUpdate>,
) -> ApiResult<Json<IdentityUpdateResponse>> {
    let today = st.clock.today_cn();
    let row = st
        .store
        .identity_of(&user.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let old = &row.record;
    let pick = |new: &Option<String>, old: &Option<String>| new.clone().or_else(|| old.clone());
    let input = IdentityInput {
        name: req.name.clone().unwrap_or_else(|| old.name.clone()),
        identity_region: pick(&req.identity_region, &old.identity_region).unwrap_or_default(),
        document_kind: pick(&req.document_kind, &old.document_kind).unwrap_or_default(),
        document_number: pick(&req.document_number, &old.document_number).unwrap_or_default(),
        id_valid_from: pick(&req.id_valid_from, &old.id_valid_from),
        // `Some("")` clears the end (长期有效); absent keeps the stored one.
        id_valid_to: match &req.id_valid_to {
            Some(s) => Some(s.clone()),
            None => old.id_valid_to.clone(),
        },
        sex: pick(&req.sex, &old.sex),
        ethnicity: pick(&req.ethnicity, &old.ethnicity),
        address: pick(&req.address, &old.address),
    };
    let mut f = Fields::new();
    let identity = parse_identity(&mut f, &input, today);
    f.finish()?;
    let Some(identity) = identity else {
        return Err(ApiError::internal(
            "unreachable: fields parsed without error",
        ));
    };
    let record = identity.record(old.district.clone());
    let changed = changed_fields(old, &record);
    let locked_now: Vec<_> = changed
        .iter()
        .filter(|c| locked(row.role).contains(c))
        .collect();
    if !locked_now.is_empty() {
        let mut f = Fields::new();
        for field in locked_now {
            f.push(
                field.name(),
                "field_locked",
                "如需修改,请前往就近的退役军人服务中心(站)办理",
            );
        }
        f.finish()?;
    }
    let since = row.since;
    if changed.is_empty() {
        return Ok(Json(IdentityUpdateResponse {
            real_name: real_name_view(&row.status, row.source.as_ref(), since),
            reverified: false,
            message: "个人信息未修改。".to_owned(),
        }));
    }
    let trigger = triggers_verification(&changed);
    if trigger && row.status.is_verified() && !req.confirm_reverify {
        return Err(ApiError::rule(
            StatusCode::CONFLICT,
            "reverify_confirmation_required",
            "已实名认证,修改用户信息可能会重新进行实名认证,确认要修改吗?",
        ));
    }
    let document_changed = changed.iter().any(|c| {
        matches!(
            c,
            IdentityField::DocumentKind | IdentityField::DocumentNumber
        )
    });
    if document_changed {
        if row.role != Role::Veteran {
            refuse_roster_id(&st, &identity.document).await?;
        }
        let owner = st
            .store
            .user_by_document(
                &snake(&identity.document.kind()),
                identity.document.as_str(),
            )
            .await?;
        if owner.is_some_and(|o| o != user.user_id) {
            return Err(document_in_use());
        }
    }
    let mut message = String::new();
    let (status, source, result) = if trigger {
        let (result, source) = verify(&st, &identity.name, &identity.document).await?;
        let status = row
            .status
            .apply(RealNameEvent::TriggerFieldsChanged { result })
            .map_err(ApiError::internal)?;
        message.push_str(match result {
            VerifierResult::Passed => "实名认证通过。",
            VerifierResult::Failed => "实名认证失败,验证失败,请检查输入信息。",
            VerifierResult::Unsupported => "该证件需人工审核,请上传自然人信息。",
        });
        let source = status.is_verified().then_some(source);
        (status, source, Some(result))
    } else {
        (row.status.clone(), row.source.clone(), None)
    };
    message.push_str("自然人用户修改个人信息成功。");
    if trigger && row.status == RealNameStatus::ManualPending {
        message.push_str("如您在实名审核期间修改了个人相关信息,请重新上传相关信息。");
    }
    let now = st.clock.unix();
    let status_changed = status != row.status;
    let saved = st
        .store
        .update_identity(
            &user.user_id,
            &row.status,
            &record,
            &status,
            source.as_ref(),
            status_changed,
            now,
        )
        .await;
    match saved {
        Ok(true) => {}
        Ok(false) => {
            return Err(ApiError::rule(
                StatusCode::CONFLICT,
                "identity_changed",
                "您的实名认证状态刚刚发生变化,本次修改未保存,请刷新后重试",
            ))
        }
        Err(e) if is_unique_violation(&e) => return Err(document_in_use()),
        Err(e) => return Err(e.into()),
    }
    st.store
        .audit(
            "identity_updated",
            Some(&user.user_id),
            &json!({
                "fields": changed.iter().map(|c| c.name()).collect::<Vec<_>>(),
                "reverified": trigger,
                "result": result.map(|r| snake(&r)),
                "real_name": status.name(),
            }),
            now,
        )
        .await?;
    Ok(Json(IdentityUpdateResponse {
        real_name: real_name_view(
            &status,
            source.as_ref(),
            if status_changed { now } else { since },
        ),
        reverified: trigger,
        message,
    }))
}

// ---- 人工审核: signed scans, the reviewer's queue and decision -----------------------------

/// The 409 of a real-name event that cannot happen in the current status.
fn transition_error(e: RealNameTransitionError) -> ApiError {
    ApiError::rule(StatusCode::CONFLICT, e.code(), e.message())
}

/// `POST /api/v1/me/identity/scans` (multipart `kind` = `front` | `back`, `file`) → 201: one
/// signed scan of the ID document, for [`request_manual_review`]. Any signed-in account that
/// is not verified yet.
pub async fn upload_scan(
    State(st): State<AppState>,
    user: AuthUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<UploadCreated>)> {
    let row = st
        .store
        .identity_of(&user.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if row.status.is_verified() {
        return Err(transition_error(RealNameTransitionError::AlreadyVerified));
    }
    let parts = crate::uploads::read_parts(multipart).await?;
    let kind = parts.kind.as_deref().and_then(IdentityScanKind::parse);
    let errors = parts.missing_errors(kind.is_some(), "证件正面、证件反面");
    let (Some(kind), Some(file), true) = (kind, parts.file, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let image = crate::uploads::store_image(&st, file).await?;
    st.store
        .insert_upload(
            &NewUpload {
                id: &image.upload_id,
                user_id: &user.user_id,
                kind: kind.upload_kind(),
                blob_key: &image.blob_key,
                content_type: image.content_type,
                size: image.size,
            },
            st.clock.unix(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadCreated {
            upload_id: image.upload_id,
        }),
    ))
}

/// A field error when `upload_id` is not the caller's scan of `kind`. Another account's upload
/// and a missing one get the same answer.
async fn check_scan(
    st: &AppState,
    user_id: &str,
    field: &str,
    upload_id: &str,
    kind: IdentityScanKind,
) -> ApiResult<Option<FieldError>> {
    let upload_id = upload_id.trim();
    if upload_id.is_empty() {
        return Ok(Some(FieldError::new(
            field,
            "required",
            &format!("请上传{}", kind.label_zh()),
        )));
    }
    let row = if upload_id.len() > 64 {
        None
    } else {
        st.store.upload(upload_id).await?
    };
    Ok(match row {
        Some(u) if u.user_id == user_id => (u.kind != kind.upload_kind()).then(|| {
            FieldError::new(
                field,
                "upload_wrong_kind",
                &format!("请上传{}", kind.label_zh()),
            )
        }),
        _ => Some(FieldError::new(
            field,
            "upload_not_found",
            "图片不存在或已失效,请重新上传",
        )),
    })
}

/// `POST /api/v1/me/identity/manual-review` → 201: 上传自然人信息. The scans go to a reviewer of
/// the account's district; the status becomes 人工审核中 (a waiting request is replaced). A
/// verified account gets 409 `real_name_already_verified`.
pub async fn request_manual_review(
    State(st): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<ManualReviewRequest>,
) -> ApiResult<(StatusCode, Json<ManualReviewCreated>)> {
    let row = st
        .store
        .identity_of(&user.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let status = row
        .status
        .apply(RealNameEvent::ManualRequested)
        .map_err(transition_error)?;
    let mut errors = Vec::new();
    for (field, id, kind) in [
        (
            "front_upload_id",
            &req.front_upload_id,
            IdentityScanKind::Front,
        ),
        (
            "back_upload_id",
            &req.back_upload_id,
            IdentityScanKind::Back,
        ),
    ] {
        errors.extend(check_scan(&st, &user.user_id, field, id, kind).await?);
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    if row.record.document_number.is_none() {
        return Err(ApiError::rule(
            StatusCode::UNPROCESSABLE_ENTITY,
            "identity_incomplete",
            "请先完善证件类型和证件号码,再上传自然人信息",
        ));
    }
    let district = row.roster_district.clone().or(row.record.district.clone());
    let now = st.clock.unix();
    let id = tokens::new_id();
    let opened = st
        .store
        .open_real_name_request(
            &NewRealNameRequest {
                id: &id,
                user_id: &user.user_id,
                front_upload: req.front_upload_id.trim(),
                back_upload: req.back_upload_id.trim(),
                district: district.as_deref(),
                now,
            },
            &row.status,
            &status,
        )
        .await?;
    if !opened {
        return Err(ApiError::rule(
            StatusCode::CONFLICT,
            "identity_changed",
            "您的实名认证状态刚刚发生变化,请刷新后重试",
        ));
    }
    st.store
        .audit(
            "real_name_review_requested",
            Some(&user.user_id),
            &json!({"request_id": id, "replaced": row.status == RealNameStatus::ManualPending}),
            now,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ManualReviewCreated {
            request_id: id,
            real_name: real_name_view(&status, None, now),
            message: "已提交人工审核,审核结果将以短信通知您。".to_owned(),
        }),
    ))
}

fn request_state(decision: Option<&str>) -> String {
    decision.unwrap_or("pending").to_owned()
}

/// `GET /api/v1/real-name-reviews`: the waiting manual-review requests of the reviewer's
/// districts, oldest first.
pub async fn real_name_queue(
    State(st): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<RealNameRequestList>> {
    user.require(&[Role::Reviewer])?;
    let rows = st.store.open_real_name_requests(&user.user_id).await?;
    Ok(Json(RealNameRequestList {
        items: rows
            .iter()
            .map(|r| RealNameRequestSummary {
                request_id: r.id.clone(),
                masked_name: mask_name(&r.record.name),
                document_kind: r.record.document_kind.as_deref().and_then(from_snake),
                district: r.district.clone(),
                submitted_at: rfc3339(r.submitted_at),
            })
            .collect(),
    }))
}

/// `GET /api/v1/real-name-reviews/{id}`: the request with the account's identity in full, to
/// compare with the scans (audited). Outside the reviewer's districts: 404.
pub async fn real_name_request(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<RealNameRequestDetail>> {
    user.require(&[Role::Reviewer])?;
    let r = reviewer_request(&st, &user, &id).await?;
    st.store
        .audit(
            "real_name_request_read",
            Some(&user.user_id),
            &json!({"request_id": r.id}),
            st.clock.unix(),
        )
        .await?;
    let rec = &r.record;
    Ok(Json(RealNameRequestDetail {
        request_id: r.id.clone(),
        name: rec.name.clone(),
        identity_region: rec.identity_region.as_deref().and_then(from_snake),
        document_kind: rec.document_kind.as_deref().and_then(from_snake),
        document_number: rec.document_number.clone(),
        id_valid_from: rec.id_valid_from.clone(),
        id_valid_to: rec.id_valid_to.clone(),
        sex: rec.sex.as_deref().and_then(from_snake),
        district: r.district.clone(),
        front_upload_id: r.front_upload.clone(),
        back_upload_id: r.back_upload.clone(),
        submitted_at: rfc3339(r.submitted_at),
        state: request_state(r.decision.as_deref()),
        reason: r.reason.clone(),
    }))
}

async fn reviewer_request(
    st: &AppState,
    user: &AuthUser,
    id: &str,
) -> ApiResult<crate::store::RealNameRequestRow> {
    if id.len() > 64 {
        return Err(ApiError::NotFound);
    }
    st.store
        .real_name_request_for_reviewer(&user.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// `POST /api/v1/real-name-reviews/{id}/decision` `{decision, reason}` → 200: 人工审核通过, or
/// 实名认证审核失败 with the reason; the person gets an SMS. A request already decided or
/// replaced: 409 `illegal_transition`.
pub async fn decide_real_name(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> ApiResult<Json<RealNameDecisionResult>> {
    user.require(&[Role::Reviewer])?;
    let event = match crate::domain::parse_decision(&req)? {
        ReviewEvent::Reject { reason } => RealNameEvent::ManualRejected { reason },
        _ => RealNameEvent::ManualApproved,
    };
    let r = reviewer_request(&st, &user, &id).await?;
    let current = st
        .store
        .identity_of(&r.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let pending = if r.decision.is_some() {
        // Decided or replaced: the request, not the account, is what cannot change.
        RealNameStatus::ManualVerified
    } else {
        current.status.clone()
    };
    let status = pending.apply(event).map_err(transition_error)?;
    let (decision, reason) = match &status {
        RealNameStatus::ManualFailed { reason } => ("rejected", Some(reason.as_str())),
        _ => ("approved", None),
    };
    let now = st.clock.unix();
    let done = st
        .store
        .decide_real_name_request(&RealNameDecision {
            request_id: &r.id,
            user_id: &r.user_id,
            reviewer_id: &user.user_id,
            decision,
            reason,
            status: &status,
            now,
        })
        .await?;
    if !done {
        return Err(ApiError::rule(
            StatusCode::CONFLICT,
            "illegal_transition",
            "该申请已处理或已被新的材料替代,请刷新后查看",
        ));
    }
    st.store
        .audit(
            "real_name_decision",
            Some(&user.user_id),
            &json!({"request_id": r.id, "decision": decision}),
            now,
        )
        .await?;
    let text = if reason.is_some() {
        "【战友】您的实名认证人工审核未通过,请登录查看原因,修改后重新上传。"
    } else {
        "【战友】您的实名认证人工审核已通过。"
    };
    if let Err(e) = st.sms.send(&r.phone, text).await {
        tracing::warn!(error = %e, "real-name decision SMS not sent");
    }
    Ok(Json(RealNameDecisionResult {
        request_id: r.id,
        state: decision.to_owned(),
    }))
}
