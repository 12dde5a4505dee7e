//! The staff list of the caller's districts, and one person with what a visit needs.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use shared::api::accounts::Role;
use shared::api::staff::{StaffPeople, StaffPersonDetail, StaffPersonItem};

use super::{audit, scoped_person};
use crate::clock::rfc3339;
use crate::domain::{mask_id_number, mask_name, Fields};
use crate::error::ApiResult;
use crate::extract::{ApiQuery, AuthUser};
use crate::reviews::{draft_form, last_year_form, prefill, PersonReview};
use crate::state::AppState;
use crate::yearly::{payment_stopped_by_death, ThisYear};

/// Largest page of the staff list.
pub const MAX_PER_PAGE: u32 = 200;
/// Longest search string, in characters.
const MAX_QUERY: usize = 50;

#[derive(Debug, Deserialize)]
pub struct PeopleQuery {
    owing: Option<String>,
    sort: Option<String>,
    q: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

/// How the staff list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    /// Earliest deadline first (then district, person).
    Deadline,
    /// By residence address (unknown last), for planning visits.
    Address,
}

/// Whether a person matches the search: part of the full name, or part of the masked ID number
/// as the list shows it (e.g. its last four characters).
fn matches_query(q: &str, name: &str, masked_id: &str) -> bool {
    let q_upper = q.to_uppercase();
    name.contains(q) || masked_id.contains(&q_upper)
}

/// `GET /api/v1/staff/people?owing=true&sort=deadline|address&q=&page=&per_page=`: the people of
/// the caller's districts (by default only those who still owe this year's review), names and
/// ID numbers masked. Audited.
pub async fn people(
    State(st): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<PeopleQuery>,
) -> ApiResult<Json<StaffPeople>> {
    user.require(&[Role::Staff])?;
    let mut fields = Fields::new();
    let owing_only = match q.owing.as_deref().map(str::trim) {
        None | Some("") | Some("true") => true,
        Some("false") => false,
        Some(_) => {
            fields.push("owing", "owing_invalid", "owing应为true或false");
            true
        }
    };
    let sort = match q.sort.as_deref().map(str::trim) {
        None | Some("") | Some("deadline") => Sort::Deadline,
        Some("address") => Sort::Address,
        Some(_) => {
            fields.push(
                "sort",
                "sort_invalid",
                "排序方式应为deadline(截止日期)或address(地址)",
            );
            Sort::Deadline
        }
    };
    let query = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if query.is_some_and(|s| s.chars().count() > MAX_QUERY) {
        fields.push(
            "q",
            "text_too_long",
            &format!("搜索内容不能超过{MAX_QUERY}个字"),
        );
    }
    let page = q.page.unwrap_or(1);
    if page == 0 {
        fields.push("page", "page_invalid", "页码应从1开始");
    }
    let per_page = q.per_page.unwrap_or(50);
    if per_page == 0 || per_page > MAX_PER_PAGE {
        fields.push("per_page", "per_page_invalid", "每页条数应为1到200");
    }
    fields.finish()?;

    let year = ThisYear::now(&st).await?;
    let rows = st
        .store
        .staff_people(&user.user_id, i64::from(year.year))
        .await?;
    let mut items = Vec::new();
    for row in rows {
        let v = PersonReview::of(row, &year)?;
        let masked_id = mask_id_number(&v.row.id_number, year.today);
        if let Some(q) = query {
            if !matches_query(q, &v.row.name, &masked_id) {
                continue;
            }
        }
        let owing = v.status.editable();
        if owing_only && !owing {
            continue;
        }
        let address = draft_form(v.row.draft.as_deref())
            .and_then(|d| d.basic.residence_address)
            .or_else(|| {
                last_year_form(v.row.last_review.as_deref()).and_then(|f| f.basic.residence_address)
            });
        items.push(StaffPersonItem {
            person_id: v.row.person_id.clone(),
            masked_name: mask_name(&v.row.name),
            masked_id_number: masked_id,
            category: v.category.as_str().to_owned(),
            category_label: v.category.label_zh().to_owned(),
            district: v.row.district.clone(),
            status: v.status.kind().as_str().to_owned(),
            status_label: v.status.label_zh().to_owned(),
            deadline: v.deadline.to_string(),
            address,
            owing,
            has_reference_photo: v.row.reference_photo.is_some(),
        });
    }
    match sort {
        Sort::Deadline => items.sort_by(|a, b| {
            (&a.deadline, &a.district, &a.person_id).cmp(&(&b.deadline, &b.district, &b.person_id))
        }),
        Sort::Address => items.sort_by(|a, b| {
            // Unknown addresses last.
            (a.address.is_none(), &a.address, &a.person_id).cmp(&(
                b.address.is_none(),
                &b.address,
                &b.person_id,
            ))
        }),
    }
    let total = items.len() as u64;
    let start = (page as usize - 1).saturating_mul(per_page as usize);
    let items: Vec<_> = items
        .into_iter()
        .skip(start)
        .take(per_page as usize)
        .collect();
    audit(
        &st,
        "staff_people_read",
        &user,
        serde_json::json!({
            "owing": owing_only, "sort": if sort == Sort::Address { "address" } else { "deadline" },
            "searched": query.is_some(), "page": page, "count": items.len(),
        }),
    )
    .await?;
    Ok(Json(StaffPeople {
        items,
        page,
        per_page,
        total,
    }))
}

/// `GET /api/v1/staff/people/{id}`: one person of the caller's districts, with last year's form
/// for prefill, this year's draft and review status. Audited.
pub async fn person(
    State(st): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<StaffPersonDetail>> {
    let (v, year) = scoped_person(&st, &user, &id).await?;
    audit(
        &st,
        "staff_person_read",
        &user,
        serde_json::json!({"person_id": v.row.person_id}),
    )
    .await?;
    let prefill = prefill(v.row.last_review.as_deref(), year.today);
    Ok(Json(StaffPersonDetail {
        person_id: v.row.person_id.clone(),
        name: v.row.name.clone(),
        masked_id_number: mask_id_number(&v.row.id_number, year.today),
        category: v.category.as_str().to_owned(),
        category_label: v.category.label_zh().to_owned(),
        district: v.row.district.clone(),
        year: year.year,
        status: v.status.kind().as_str().to_owned(),
        status_label: v.status.label_zh().to_owned(),
        status_changed_at: v.row.status_changed_at.map(rfc3339),
        opens: v.opens.to_string(),
        deadline: v.deadline.to_string(),
        prefill,
        draft: draft_form(v.row.draft.as_deref()),
        has_reference_photo: v.row.reference_photo.is_some(),
        died_on: payment_stopped_by_death(&v.status).map(|d| d.to_string()),
        consequences: v.category.overdue_consequence_zh().to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_matches_names_and_masked_ids_only() {
        assert!(matches_query("建国", "王建国", "110101********0011"));
        assert!(matches_query("0011", "王建国", "110101********0011"));
        assert!(matches_query("001x", "王建国", "110101********001X"));
        // The hidden middle digits cannot be searched for.
        assert!(!matches_query("19600101", "王建国", "110101********0011"));
        assert!(!matches_query("李", "王建国", "110101********0011"));
    }
}
