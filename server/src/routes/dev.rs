//! Demo-mode routes for testers and tests: read the SMS outbox, peek at a captcha's answer.
//! They are only added to the router with `--demo`; without it they do not exist (404).

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use shared::api::accounts::{CaptchaSolution, OutboxMessage};
use shared::phone::MobilePhone;

use crate::clock::rfc3339;
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    phone: String,
}

/// `GET /api/v1/dev/sms-outbox?phone=`: the last 20 messages to a phone, newest first.
pub async fn sms_outbox(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> ApiResult<Json<Vec<OutboxMessage>>> {
    let mut f = Fields::new();
    let phone = f.take("phone", MobilePhone::parse(&q.phone));
    f.finish()?;
    let Some(phone) = phone else {
        return Err(ApiError::internal("unreachable"));
    };
    let rows = st.store.outbox_for(phone.as_str(), 20).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| OutboxMessage {
                code: crate::sms::code_in(&r.body),
                phone: r.phone,
                text: r.body,
                sent_at: rfc3339(r.created_at),
            })
            .collect(),
    ))
}

/// `GET /api/v1/dev/captchas/{id}`: the answer of an unused captcha.
pub async fn captcha_answer(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<CaptchaSolution>> {
    let x = st
        .store
        .captcha_answer(&id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(CaptchaSolution { id, x }))
}
