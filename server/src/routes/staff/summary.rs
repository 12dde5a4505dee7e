//! Counts per district for staff leads and administrators (reviewed, pending, owing, overdue,
//! suspended, deceased), as JSON and as CSV.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::api::accounts::Role;
use shared::api::staff::{DistrictCounts, DistrictSummary};
use shared::category::Category;
use shared::lifecycle::StatusKind;

use super::audit;
use crate::error::{ApiError, ApiResult};
use crate::extract::AuthUser;
use crate::state::AppState;
use crate::yearly::{self, ThisYear};

/// Counts per district for staff leads: the caller's districts (staff), or every district with
/// people (administrators).
async fn summary_counts(st: &AppState, user: &AuthUser) -> ApiResult<DistrictSummary> {
    user.require(&[Role::Staff, Role::Admin])?;
    let year = ThisYear::now(st).await?;
    let scope = (user.role == Role::Staff).then_some(user.user_id.as_str());
    let rows = st
        .store
        .payment_rows(i64::from(year.year), None, scope)
        .await?;
    let mut by_district: BTreeMap<String, DistrictCounts> = BTreeMap::new();
    if let Some(staff) = scope {
        for d in st.store.user_districts(staff).await? {
            by_district.insert(d.clone(), empty_counts(d));
        }
    }
    for row in &rows {
        let category = Category::parse(&row.category)
            .map_err(|_| ApiError::internal("unknown category in the roster"))?;
        let line = yearly::person_payment(row, year.rules(category)?, year.today)?;
        let c = by_district
            .entry(row.district.clone())
            .or_insert_with(|| empty_counts(row.district.clone()));
        c.total += 1;
        let bucket = match line.review_status {
            StatusKind::Deceased => &mut c.deceased,
            StatusKind::Approved => &mut c.reviewed,
            StatusKind::Submitted | StatusKind::Resubmitted | StatusKind::SpecialCheckPending => {
                &mut c.pending
            }
            _ if line.payment.payment_stopped() => &mut c.suspended,
            StatusKind::Suspended => &mut c.suspended,
            StatusKind::Overdue => &mut c.overdue,
            _ => &mut c.owing,
        };
        *bucket += 1;
    }
    Ok(DistrictSummary {
        year: year.year,
        districts: by_district.into_values().collect(),
    })
}

fn empty_counts(district: String) -> DistrictCounts {
    let district_name = shared::region::RegionCode::parse(&district)
        // `北京市/东城区` → `北京市东城区`.
        .map(|c| c.full_name().replace('/', ""))
        .unwrap_or_default();
    DistrictCounts {
        district,
        district_name,
        total: 0,
        reviewed: 0,
        pending: 0,
        owing: 0,
        overdue: 0,
        suspended: 0,
        deceased: 0,
    }
}

/// `GET /api/v1/staff/summary`: reviewed / pending / owing / overdue / suspended / deceased
/// counts per district (staff: their districts; administrators: all). Audited.
pub async fn summary(
    State(st): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<DistrictSummary>> {
    let s = summary_counts(&st, &user).await?;
    audit(
        &st,
        "staff_summary_read",
        &user,
        serde_json::json!({"year": s.year, "districts": s.districts.len()}),
    )
    .await?;
    Ok(Json(s))
}

/// The CSV header of the summary (Chinese, for spreadsheets).
pub const SUMMARY_CSV_HEADER: [&str; 9] = [
    "地区代码",
    "地区名称",
    "总人数",
    "已审核通过",
    "待审核",
    "未完成",
    "逾期",
    "暂停发放",
    "已核减(死亡)",
];

/// The summary as CSV: a UTF-8 byte-order mark, the header, one line per district.
pub fn summary_csv(s: &DistrictSummary) -> ApiResult<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(SUMMARY_CSV_HEADER)
            .map_err(ApiError::internal)?;
        for d in &s.districts {
            w.write_record([
                d.district.clone(),
                d.district_name.clone(),
                d.total.to_string(),
                d.reviewed.to_string(),
                d.pending.to_string(),
                d.owing.to_string(),
                d.overdue.to_string(),
                d.suspended.to_string(),
                d.deceased.to_string(),
            ])
            .map_err(ApiError::internal)?;
        }
        w.flush().map_err(ApiError::internal)?;
    }
    Ok(out)
}

/// `GET /api/v1/staff/summary.csv`: the same as CSV (audited as `staff_summary_exported`).
pub async fn summary_export(State(st): State<AppState>, user: AuthUser) -> ApiResult<Response> {
    let s = summary_counts(&st, &user).await?;
    let body = summary_csv(&s)?;
    audit(
        &st,
        "staff_summary_exported",
        &user,
        serde_json::json!({"year": s.year, "districts": s.districts.len()}),
    )
    .await?;
    let filename = format!("attachment; filename=\"district-summary-{}.csv\"", s.year);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_csv_has_bom_header_and_counts() {
        let s = DistrictSummary {
            year: 2025,
            districts: vec![DistrictCounts {
                total: 3,
                reviewed: 1,
                deceased: 2,
                ..empty_counts("110101".to_owned())
            }],
        };
        let text = String::from_utf8(summary_csv(&s).unwrap()).unwrap();
        let text = text.strip_prefix('\u{feff}').unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), SUMMARY_CSV_HEADER.join(","));
        assert_eq!(lines.next().unwrap(), "110101,北京市东城区,3,1,0,0,0,0,2");
    }
}
