//! 死亡核减: staff record a person's death with the date and an evidence photo; it stops the
//! payment at once. Reviewers check the record (`routes::reviewer`); only an administrator
//! undoes a mistaken one (`routes::admin`).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use shared::api::staff::{DeathRecorded, DeathRequest, StaffUploadKind};
use shared::lifecycle::ReviewEvent;

use super::{check_staff_upload, conflict, optional_text, write_and_audit, Operation, MAX_NOTES};
use crate::domain::Fields;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use crate::store::{NewDeath, StaffRecord};
use crate::tokens;
use crate::yearly::payment_stopped_by_death;

/// `POST /api/v1/staff/people/{id}/death` (header `Idempotency-Key`) → 201: records the
/// person's death (核减退出) with the date and an evidence photo. The review becomes `deceased`
/// (`ReviewEvent::RecordDeath`), which stops the payment; only an administrator can undo it.
pub async fn record_death(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<DeathRequest>,
) -> ApiResult<Response> {
    let op = match Operation::start(&st, &user, &id, &headers, "death").await? {
        Ok(op) => op,
        Err(answer) => return Ok(answer),
    };
    let (v, person_id) = (&op.person, op.person_id());
    let mut fields = Fields::new();
    let died_on = fields.take(
        "died_on",
        crate::domain::parse_date(&req.died_on, "required", "请填写死亡日期"),
    );
    if died_on.is_some_and(|d| d > op.year.today) {
        fields.push("died_on", "died_on_future", "死亡日期不能晚于今天");
    }
    check_staff_upload(
        &st,
        &mut fields,
        &user,
        person_id,
        "evidence_upload",
        req.evidence_upload.trim(),
        StaffUploadKind::DeathEvidence,
    )
    .await?;
    let notes = optional_text(&mut fields, "notes", req.notes.as_deref(), MAX_NOTES);
    fields.finish()?;
    let died_on = died_on.ok_or_else(|| ApiError::internal("date checked"))?;
    if payment_stopped_by_death(&v.status).is_some() {
        return Err(conflict(v, None));
    }
    let (next, new_status) = op.next_status(ReviewEvent::RecordDeath { died_on })?;
    let record_id = tokens::new_id();
    let answer = serde_json::to_string(&DeathRecorded {
        death_record_id: record_id.clone(),
        person_id: person_id.to_owned(),
        status: next.kind().as_str().to_owned(),
        payment_stopped: true,
        message: "死亡信息已登记,待遇已停发,待审核人员核实".to_owned(),
    })
    .map_err(ApiError::internal)?;
    let died = died_on.to_string();
    let record = StaffRecord::Death(NewDeath {
        id: &record_id,
        died_on: &died,
        evidence_upload: req.evidence_upload.trim(),
        notes: notes.as_deref(),
    });
    let w = op.write(&user, Some(&new_status), &answer, record, st.clock.unix());
    write_and_audit(
        &st,
        &user,
        &w,
        "death_recorded",
        serde_json::json!({"person_id": person_id, "death_record_id": record_id}),
    )
    .await
}
