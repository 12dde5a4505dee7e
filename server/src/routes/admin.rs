//! Administration (admins only): the audit log, the yearly review windows per category, the
//! benefits office's payment-status export, staff, reviewer and admin accounts (created,
//! 停用 and 启用 here), which districts staff and reviewers work on, and undoing a mistaken death
//! record.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use shared::api::accounts::{
    AuditEntry, CreateStaffAccount, Role, StaffAccountCreated, StaffAccountList,
    StaffAccountStatus, StaffAccountView,
};
use shared::api::staff::{DeathUndone, SetDistricts, StaffDistricts, UndoDeathRequest};
use shared::category::Category;
use shared::id::IdNumber;
use shared::lifecycle::{Actor, EventKind, Reason, ReviewEvent, TransitionError};
use shared::name::PersonName;
use shared::phone::MobilePhone;
use shared::region::RegionCode;
use shared::UserError;

use crate::clock::rfc3339;
use crate::domain::{mask_name, mask_phone, Fields};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, AuthUser};
use crate::reviews::{parse_status, status_json, PersonReview};
use crate::state::AppState;
use crate::store::{is_unique_violation, NewUser, StaffAccountRow};
use crate::yearly::ThisYear;

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    limit: Option<i64>,
}

/// `GET /api/v1/audit-log?limit=N` (default 100, at most 1000), newest first.
pub async fn audit_log(
    State(st): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    user.require(&[Role::Admin])?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = st.store.audit_recent(limit).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: rfc3339(r.at),
                event: r.event,
                user_id: r.user_id,
                detail: serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(
                    &r.detail,
                )
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect(),
            })
            .collect(),
    ))
}

// ---- yearly rules and payment status (seed 001) ---------------------------------------------

/// `?year=YYYY` (and, for the export, `&category=`).
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<String>,
    category: Option<String>,
}

/// `GET /api/v1/admin/review-windows?year=YYYY` (default: this year): every category's window,
/// announcement day and consequence as the server applies them (admins only).
pub async fn review_windows(
    State(st): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<Vec<shared::api::yearly::YearlyRule>>> {
    user.require(&[Role::Admin])?;
    let year = match q.year.as_deref() {
        None => chrono::Datelike::year(&st.clock.today_cn()),
        Some(y) => {
            let mut fields = Fields::new();
            let year = crate::yearly::parse_year(&mut fields, Some(y));
            fields.finish()?;
            year.ok_or_else(|| ApiError::internal("year checked"))?
        }
    };
    let rules = crate::yearly::all_rules(&st.store, year).await?;
    Ok(Json(rules.iter().map(|r| r.to_api()).collect()))
}

/// `PUT /api/v1/admin/review-windows/{year}/{category}` `{opens, deadline, announced_on}` → 200
/// the category's rules for the year (admins only; audited as `review_window_set`).
pub async fn set_review_window(
    State(st): State<AppState>,
    user: AuthUser,
    Path((year, category)): Path<(String, String)>,
    ApiJson(req): ApiJson<shared::api::yearly::SetReviewWindow>,
) -> ApiResult<Json<shared::api::yearly::YearlyRule>> {
    user.require(&[Role::Admin])?;
    let mut fields = Fields::new();
    let year = crate::yearly::parse_year(&mut fields, Some(&year));
    let category = fields.take("category", Category::parse(&category));
    let row = crate::yearly::parse_window(year, category, &req, fields)?;
    let (Some(year), Some(category)) = (year, category) else {
        return Err(ApiError::internal(
            "window checked without year or category",
        ));
    };
    let now = st.clock.unix();
    let detail = serde_json::json!({
        "year": year, "category": row.category, "opens": row.opens,
        "deadline": row.deadline, "announced_on": row.announced_on,
    });
    st.store
        .set_review_window(i64::from(year), &row, &user.user_id, &detail, now)
        .await?;
    let rules = crate::yearly::rules(&st.store, category, year).await?;
    Ok(Json(rules.to_api()))
}

/// `GET /api/v1/admin/payment-status.csv?year=YYYY[&category=NAME]`: every person of the roster
/// with their review and payment status for the year, as the benefits office's CSV (admins
/// only; audited as `payment_status_exported`). Names masked; no ID numbers or phones.
pub async fn payment_status_csv(
    State(st): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Response> {
    user.require(&[Role::Admin])?;
    let mut fields = Fields::new();
    let year = crate::yearly::parse_year(&mut fields, q.year.as_deref());
    let category = match q.category.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => fields.take("category", Category::parse(c)),
    };
    fields.finish()?;
    let year = year.ok_or_else(|| ApiError::internal("year checked"))?;
    let today = st.clock.today_cn();
    let rules = crate::yearly::all_rules(&st.store, year).await?;
    let rows = st
        .store
        .payment_rows(i64::from(year), category.map(Category::as_str), None)
        .await?;
    let mut lines = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(r) = Category::parse(&row.category)
            .ok()
            .and_then(|c| rules.iter().find(|r| r.category == c))
        else {
            return Err(ApiError::internal("unknown category in the roster"));
        };
        lines.push(crate::yearly::person_payment(row, r, today)?);
    }
    let body = crate::yearly::to_csv(&lines)?;
    st.store
        .audit(
            "payment_status_exported",
            Some(&user.user_id),
            &serde_json::json!({
                "year": year,
                "category": category.map(Category::as_str),
                "rows": lines.len(),
            }),
            st.clock.unix(),
        )
        .await?;
    let filename = format!("attachment; filename=\"payment-status-{year}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        body,
    )
        .into_response())
}

/// `POST /api/v1/admin/people/{id}/death/undo` `{reason}` → 200: withdraws a mistaken death
/// record (administrators only; the reason is required). The review returns to the status it
/// had before; the record is kept, marked undone with the reason. Audited.
pub async fn undo_death(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UndoDeathRequest>,
) -> ApiResult<Json<DeathUndone>> {
    user.require(&[Role::Admin])?;
    let reason = Reason::parse(&req.reason)
        .map_err(|e| ApiError::field("reason", e.code(), &e.message()))?;
    let year = ThisYear::now(&st).await?;
    let row = st
        .store
        .staff_person(None, &id, i64::from(year.year))
        .await?
        .ok_or(ApiError::NotFound)?;
    let v = PersonReview::of(row, &year)?;
    let stored = parse_status(Some(&v.stored_json))?;
    let next = stored
        .apply_as(
            Actor::Admin,
            ReviewEvent::UndoDeath {
                by: Actor::Admin,
                reason: reason.clone(),
            },
        )
        .map_err(ApiError::Transition)?;
    let (record_id, _) = st
        .store
        .live_death_record(&v.row.person_id, i64::from(year.year))
        .await?
        .ok_or_else(|| ApiError::internal("deceased without a death record"))?;
    let done = st
        .store
        .undo_death(
            &v.row.person_id,
            i64::from(year.year),
            &record_id,
            &v.stored_json,
            &status_json(&next)?,
            &user.user_id,
            reason.as_str(),
            st.clock.unix(),
        )
        .await?;
    if !done {
        return Err(ApiError::Transition(TransitionError::Illegal {
            from: stored.kind(),
            event: EventKind::UndoDeath,
        }));
    }
    super::audit(
        &st,
        "death_undone",
        &user,
        serde_json::json!({"person_id": v.row.person_id, "death_record_id": record_id}),
    )
    .await?;
    Ok(Json(DeathUndone {
        person_id: v.row.person_id,
        death_record_id: record_id,
        status: next.kind().as_str().to_owned(),
    }))
}

/// `PUT /api/v1/admin/staff/{user_id}/districts` `{districts}` → 200: which districts' people a
/// staff member (or reviewer) works on (administrators only; audited as `staff_districts_set`
/// with the districts before and after). An empty list unassigns everyone.
pub async fn set_districts(
    State(st): State<AppState>,
    user: AuthUser,
    Path(target): Path<String>,
    ApiJson(req): ApiJson<SetDistricts>,
) -> ApiResult<Json<StaffDistricts>> {
    user.require(&[Role::Admin])?;
    let (role, _) = if target.len() > 64 {
        None
    } else {
        st.store.user_role_name(&target).await?
    }
    .ok_or(ApiError::NotFound)?;
    let mut fields = Fields::new();
    if role != Role::Staff.as_str() && role != Role::Reviewer.as_str() {
        fields.push("user_id", "not_staff", "只能为工作人员或审核人员分配地区");
    }
    const MAX_DISTRICTS: usize = 100;
    if req.districts.len() > MAX_DISTRICTS {
        fields.push("districts", "too_many_districts", "一次最多分配100个地区");
    }
    let mut districts = Vec::new();
    for (i, d) in req.districts.iter().enumerate().take(MAX_DISTRICTS) {
        if let Some(code) = fields.take(
            &format!("districts[{i}]"),
            shared::region::RegionCode::parse(d),
        ) {
            let code = code.as_str().to_owned();
            if !districts.contains(&code) {
                districts.push(code);
            }
        }
    }
    fields.finish()?;
    districts.sort();
    let before = st.store.user_districts(&target).await?;
    st.store
        .set_user_districts(
            &target,
            &districts,
            &user.user_id,
            &serde_json::json!({"target_user_id": target, "before": before, "after": districts}),
            st.clock.unix(),
        )
        .await?;
    Ok(Json(StaffDistricts {
        user_id: target,
        role,
        districts,
    }))
}

/// The roles an administrator creates.
fn staff_role(s: &str) -> Result<Role, crate::domain::SimpleError> {
    match s.trim() {
        "" => Err(crate::domain::SimpleError {
            code: "role_empty",
            message: "请选择账号类型",
        }),
        "staff" => Ok(Role::Staff),
        "reviewer" => Ok(Role::Reviewer),
        "admin" => Ok(Role::Admin),
        _ => Err(crate::domain::SimpleError {
            code: "role_not_allowed",
            message: "账号类型应为工作人员、审核人员或管理员",
        }),
    }
}

/// `POST /api/v1/admin/accounts` → 201: a staff, reviewer or admin account (administrators
/// only; audited as `staff_account_created`). It gets no password: the holder sets one with
/// 忘记密码 on their own phone, and is told so by SMS.
pub async fn create_account(
    State(st): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CreateStaffAccount>,
) -> ApiResult<(StatusCode, Json<StaffAccountCreated>)> {
    user.require(&[Role::Admin])?;
    let today = st.clock.today_cn();
    let mut f = Fields::new();
    let role = f.take("role", staff_role(&req.role));
    let name = f.take("name", PersonName::parse(&req.name));
    let phone = f.take("phone", MobilePhone::parse(&req.phone));
    let id_number = match req.id_number.as_deref().map(str::trim) {
        None | Some("") => Some(None),
        Some(s) => f.take("id_number", IdNumber::parse(s, today)).map(Some),
    };
    const MAX_DISTRICTS: usize = 100;
    if req.districts.len() > MAX_DISTRICTS {
        f.push("districts", "too_many_districts", "一次最多分配100个地区");
    }
    if role == Some(Role::Admin) && !req.districts.is_empty() {
        f.push(
            "districts",
            "admin_has_no_districts",
            "管理员账号不分配地区",
        );
    }
    let mut districts = Vec::new();
    for (i, d) in req.districts.iter().enumerate().take(MAX_DISTRICTS) {
        if let Some(code) = f.take(&format!("districts[{i}]"), RegionCode::parse(d)) {
            let code = code.as_str().to_owned();
            if !districts.contains(&code) {
                districts.push(code);
            }
        }
    }
    f.finish()?;
    let (Some(role), Some(name), Some(phone), Some(id_number)) = (role, name, phone, id_number)
    else {
        return Err(ApiError::internal(
            "unreachable: fields parsed without error",
        ));
    };
    districts.sort();
    if st.store.user_id_by_phone(phone.as_str()).await?.is_some() {
        return Err(ApiError::PhoneInUse);
    }
    // No usable password: a random secret nobody knows, hashed like any password.
    let secret = crate::tokens::new_id();
    let hash = st.passwords.hash(&secret).await?;
    let new = NewUser {
        id: crate::tokens::new_id(),
        role,
        person_id: None,
        name: name.as_str().to_owned(),
        id_number: id_number.map(|id| id.as_str().to_owned()),
        phone: phone.as_str().to_owned(),
        password_hash: hash,
        id_valid_from: None,
        id_valid_to: None,
        districts: districts.clone(),
    };
    let now = st.clock.unix();
    if let Err(e) = st.store.insert_user(&new, now).await {
        return Err(if is_unique_violation(&e) {
            ApiError::rule(
                StatusCode::CONFLICT,
                "already_registered",
                "该手机号或身份证号已有账号",
            )
        } else {
            e.into()
        });
    }
    st.store
        .audit(
            "staff_account_created",
            Some(&user.user_id),
            &serde_json::json!({"target_user_id": new.id, "role": role.as_str(), "districts": districts}),
            now,
        )
        .await?;
    let text = format!(
        "【战友】管理员已为您开通{}账号。请在登录页点击\"忘记密码\",用本手机号接收验证码设置密码后登录。",
        role.label_zh()
    );
    if let Err(e) = st.sms.send(phone.as_str(), &text).await {
        tracing::warn!(error = %e, "account SMS not sent");
    }
    Ok((
        StatusCode::CREATED,
        Json(StaffAccountCreated {
            user_id: new.id,
            role,
            message: "账号已创建。已短信通知本人通过\"忘记密码\"设置密码后登录。".to_owned(),
        }),
    ))
}

/// `GET /api/v1/admin/accounts`: every staff, reviewer and admin account, masked.
pub async fn accounts(
    State(st): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<StaffAccountList>> {
    user.require(&[Role::Admin])?;
    let rows = st.store.staff_accounts().await?;
    Ok(Json(StaffAccountList {
        items: rows.into_iter().map(account_view).collect(),
    }))
}

fn account_view(r: StaffAccountRow) -> StaffAccountView {
    StaffAccountView {
        role_label: r.role.label_zh().to_owned(),
        masked_name: mask_name(&r.name),
        masked_phone: mask_phone(&r.phone),
        user_id: r.id,
        role: r.role,
        districts: r.districts,
        disabled: r.disabled,
    }
}

/// `PUT /api/v1/admin/accounts/{user_id}/status` `{disabled}` → 200: 停用 (its sessions end at
/// once) or 启用 a staff, reviewer or admin account (administrators only; audited). An admin
/// cannot disable their own account (409 `cannot_disable_self`); setting the status it already
/// has changes nothing.
pub async fn set_account_status(
    State(st): State<AppState>,
    user: AuthUser,
    Path(target): Path<String>,
    ApiJson(req): ApiJson<StaffAccountStatus>,
) -> ApiResult<Json<StaffAccountView>> {
    user.require(&[Role::Admin])?;
    let managed = if target.len() > 64 {
        None
    } else {
        st.store.user_role_name(&target).await?
    }
    .is_some_and(|(role, _)| ["staff", "reviewer", "admin"].contains(&role.as_str()));
    if !managed {
        return Err(ApiError::NotFound);
    }
    if req.disabled && target == user.user_id {
        return Err(ApiError::rule(
            StatusCode::CONFLICT,
            "cannot_disable_self",
            "不能停用自己的账号",
        ));
    }
    st.store
        .set_account_disabled(&target, req.disabled, &user.user_id, st.clock.unix())
        .await?;
    let row = st
        .store
        .staff_accounts()
        .await?
        .into_iter()
        .find(|r| r.id == target)
        .ok_or(ApiError::NotFound)?;
    Ok(Json(account_view(row)))
}
