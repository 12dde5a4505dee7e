//! The reviewer (审核人员) screens' logic: the review queue of the reviewer's districts and one
//! item in detail (issue 8), without Slint.
//!
//! The queue mixes five kinds of items (本人提交, 工作人员代办, 特殊人群核验, staff
//! 现场确认/远程确认, 死亡核减); [`QueueRow`] is one line of the list as the screen shows it. A
//! submission in detail is [`SubmissionView`]: the form side by side with last year's
//! ([`compare`], labels and displayed values from the wizard's [`wizard::FIELDS`] and
//! [`wizard::values_from_shared`], so the reviewer reads the form as the veteran filled it in),
//! the face-match score with its meaning ([`face_match_text`], the threshold is
//! `models::MATCH_THRESHOLD`), and which images to fetch. A rejection needs a reason, chosen
//! from [`common_reasons`] or written ([`decision_request`], checked with
//! `shared::lifecycle::Reason`, the server's own rule). Death records are only confirmed: the
//! server refuses to reject them (an administrator undoes a mistaken one).

use chrono::{DateTime, FixedOffset};
use shared::api::review::{DecisionRequest, QueueItem, ReviewQueue, SubmissionDetail};
use shared::api::staff::{ConfirmationDetail, DeathRecordDetail};
use shared::error::{FieldError, UserError};
use shared::form::ReviewFormDraft;
use shared::lifecycle::Reason;
use shared::money::Yuan;

use crate::api::{ApiError, HttpClient, Token};
use crate::controllers::wizard::{self, applies, values_from_shared, Kind, Values};

/// The queue's status filter, as the tabs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// 待审核: submitted, resubmitted, or waiting for the special-population check.
    Pending,
    /// 已通过.
    Approved,
    /// 未通过.
    Rejected,
}

impl Filter {
    pub const ALL: [Filter; 3] = [Filter::Pending, Filter::Approved, Filter::Rejected];

    pub fn label(self) -> &'static str {
        match self {
            Filter::Pending => "待审核",
            Filter::Approved => "已通过",
            Filter::Rejected => "未通过",
        }
    }

    /// The filter at tab `i` (0 = 待审核); anything else is 待审核.
    pub fn from_index(i: i32) -> Filter {
        usize::try_from(i)
            .ok()
            .and_then(|i| Filter::ALL.get(i).copied())
            .unwrap_or(Filter::Pending)
    }

    /// The server's statuses behind the tab (`GET /api/v1/review-queue?status=`).
    pub fn statuses(self) -> &'static [&'static str] {
        match self {
            Filter::Pending => &["submitted", "resubmitted", "special_check_pending"],
            Filter::Approved => &["approved"],
            Filter::Rejected => &["rejected"],
        }
    }
}

/// What a queue item is (`QueueItem::kind`).
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "assisted_submission" => "工作人员代办",
        "special_population" => "特殊人群核验",
        "confirmation" => "现场确认·远程确认",
        "death" => "死亡核减",
        _ => "本人提交",
    }
}

/// Which endpoint shows an item in detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailKind {
    Submission,
    Confirmation,
    Death,
}

impl DetailKind {
    pub fn of(kind: &str) -> DetailKind {
        match kind {
            "confirmation" => DetailKind::Confirmation,
            "death" => DetailKind::Death,
            _ => DetailKind::Submission,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DetailKind::Submission => "submission",
            DetailKind::Confirmation => "confirmation",
            DetailKind::Death => "death",
        }
    }

    /// Whether a reviewer may reject it (a death record is only confirmed).
    pub fn can_reject(self) -> bool {
        self != DetailKind::Death
    }
}

/// A status as the reviewer reads it.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "submitted" => "待审核",
        "resubmitted" => "重新提交,待审核",
        "special_check_pending" => "特殊人群核验,待审核",
        "approved" => "已通过",
        "rejected" => "未通过",
        "undone" => "已撤销",
        _ => "未知状态",
    }
}

/// Whether an item with this status still waits for a decision.
pub fn is_pending(status: &str) -> bool {
    Filter::Pending.statuses().contains(&status)
}

/// A district code as its name, e.g. `110101` → `北京市东城区` (the code itself if unknown).
pub fn district_name(code: &str) -> String {
    match shared::region::RegionCode::parse(code) {
        Ok(c) => c.full_name().replace('/', ""),
        Err(_) => code.to_owned(),
    }
}

/// An RFC 3339 time in `tz`, as `2026-02-01 10:15` (the text as given if it does not parse).
pub fn local_time(rfc3339: &str, tz: &FixedOffset) -> String {
    match DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => t.with_timezone(tz).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => rfc3339.to_owned(),
    }
}

/// A name masked as the platform shows it: two stars and the last character (`**松`).
pub fn mask_name(name: &str) -> String {
    match name.trim().chars().next_back() {
        Some(last) => format!("**{last}"),
        None => String::new(),
    }
}

/// An ID number masked: the first 6 and the last 4 characters (`110101********0011`).
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// One line of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub id: String,
    /// `QueueItem::kind`.
    pub kind: String,
    pub kind_label: String,
    pub masked_name: String,
    pub category_label: String,
    pub district_name: String,
    pub submitted_at: String,
    pub status: String,
    pub status_label: String,
}

impl QueueRow {
    pub fn from_item(item: &QueueItem, tz: &FixedOffset) -> QueueRow {
        QueueRow {
            id: item.submission_id.clone(),
            kind: item.kind.clone(),
            kind_label: kind_label(&item.kind).to_owned(),
            masked_name: item.masked_name.clone(),
            category_label: item.category_label.clone(),
            district_name: district_name(&item.district),
            submitted_at: local_time(&item.submitted_at, tz),
            status: item.status.clone(),
            status_label: status_label(&item.status).to_owned(),
        }
    }
}

/// At most this many pages are read per status (the server's pages hold 20 items).
const MAX_PAGES: u32 = 25;

/// The queue under `filter`, oldest first: every status of the tab, every page (up to
/// [`MAX_PAGES`] each). An error is the message to show.
pub fn load_queue(
    api: &HttpClient,
    token: &Token,
    filter: Filter,
    tz: &FixedOffset,
) -> Result<Vec<QueueRow>, String> {
    read_queue(filter, tz, |status, page| {
        api.review_queue(token, status, page)
    })
}

/// [`load_queue`] over `fetch(status, page)`: the paging, de-duplication and ordering.
fn read_queue(
    filter: Filter,
    tz: &FixedOffset,
    mut fetch: impl FnMut(&str, u32) -> Result<ReviewQueue, ApiError>,
) -> Result<Vec<QueueRow>, String> {
    let mut items: Vec<QueueItem> = Vec::new();
    for status in filter.statuses() {
        let mut got = 0u64;
        for page in 1..=MAX_PAGES {
            let q = fetch(status, page).map_err(|e| e.message())?;
            got += q.items.len() as u64;
            let done = q.items.is_empty() || got >= q.total;
            items.extend(q.items);
            if done {
                break;
            }
        }
    }
    // A server that answers `submitted` with every waiting status would list an item twice.
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert((i.kind.clone(), i.submission_id.clone())));
    // RFC 3339 times from one server compare as text only with the same offset; parse them.
    items.sort_by_key(|i| {
        DateTime::parse_from_rfc3339(&i.submitted_at)
            .map(|t| t.timestamp())
            .unwrap_or(i64::MAX)
    });
    Ok(items.iter().map(|i| QueueRow::from_item(i, tz)).collect())
}

/// One line of the comparison with last year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareRow {
    /// The field's path, e.g. `basic.residence_address`.
    pub key: String,
    /// `基本信息`, `党组织生活情况` or `奖惩情况`.
    pub section: String,
    pub label: String,
    pub this_year: String,
    pub last_year: String,
    pub changed: bool,
}

/// What the screen shows for an empty value.
pub const EMPTY: &str = "—";

fn section_of(key: &str) -> &'static str {
    match key.split('.').next() {
        Some("party") => wizard::STEPS[1],
        Some("rewards") => wizard::STEPS[2],
        _ => wizard::STEPS[0],
    }
}

/// This year's form beside last year's, field by field in the wizard's order: a row for every
/// field that applies in either year (photos are shown as pictures, not here). A row is
/// `changed` when the displayed values differ, or when the server's `changed_fields` lists it
/// (its diff works on validated forms; a difference only it sees still gets marked). 姓名 and
/// 身份证号 are shown masked; their change is decided on the full values.
pub fn compare(
    form: &ReviewFormDraft,
    last_year: Option<&ReviewFormDraft>,
    changed_fields: &[String],
) -> Vec<CompareRow> {
    let now = display_values(form);
    let before = last_year.map(display_values);
    let empty = Values::new();
    let before_ref = before.as_ref().unwrap_or(&empty);
    let identity = |d: &ReviewFormDraft, key: &str| match key {
        "basic.name" => d.basic.name.clone().unwrap_or_default(),
        _ => d.basic.id_number.clone().unwrap_or_default(),
    };
    let mut rows = Vec::new();
    for spec in wizard::FIELDS {
        if spec.kind == Kind::Photo {
            continue;
        }
        let this_applies = applies(spec, &now);
        let last_applies = last_year.is_some() && applies(spec, before_ref);
        if !this_applies && !last_applies {
            continue;
        }
        let (this_year, last_year_text, differs) = if spec.kind == Kind::Fixed {
            let a = identity(form, spec.key);
            let b = last_year.map(|l| identity(l, spec.key));
            let mask = |s: &str| {
                if spec.key == "basic.name" {
                    mask_name(s)
                } else {
                    mask_id(s)
                }
            };
            let differs = b.as_deref().is_some_and(|b| b.trim() != a.trim());
            (mask(&a), b.map(|b| mask(&b)).unwrap_or_default(), differs)
        } else {
            let a = now.get(spec.key).cloned().unwrap_or_default();
            let b = before_ref.get(spec.key).cloned().unwrap_or_default();
            let differs = last_year.is_some() && !same_value(&a, &b);
            (a, b, differs)
        };
        let or_empty = |s: String| {
            if s.trim().is_empty() {
                EMPTY.to_owned()
            } else {
                s
            }
        };
        rows.push(CompareRow {
            key: spec.key.to_owned(),
            section: section_of(spec.key).to_owned(),
            label: spec.label.to_owned(),
            this_year: or_empty(this_year),
            last_year: if last_year.is_some() {
                or_empty(last_year_text)
            } else {
                EMPTY.to_owned()
            },
            changed: differs || changed_fields.iter().any(|f| f == spec.key),
        });
    }
    rows
}

/// Whether two displayed values say the same: amounts by their value (last year's `200` is this
/// year's `200.00`: the server stores amounts in one form, `shared::money`), the rest as text.
fn same_value(a: &str, b: &str) -> bool {
    match (Yuan::parse(a), Yuan::parse(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.trim() == b.trim(),
    }
}

/// The values as the wizard shows them (codes as labels, regions as names, 是/否).
fn display_values(d: &ReviewFormDraft) -> Values {
    values_from_shared(d)
}

/// `相似度 0.82(阈值 0.60,判定为本人)`: the face-match score and what it means.
pub fn face_match_text(score: Option<f32>) -> (String, bool) {
    let t = models::MATCH_THRESHOLD;
    match score {
        Some(s) if s.is_finite() => {
            let same = s >= t;
            let verdict = if same {
                "判定为本人"
            } else {
                "判定为非本人"
            };
            (format!("相似度 {s:.2}(阈值 {t:.2},{verdict})"), same)
        }
        _ => ("无人脸比对结果(无基准照片或未检测到人脸)".to_owned(), false),
    }
}

/// At most `n` of `frames`, spread evenly from the first to the last (the key frames to show).
pub fn key_frames(frames: &[String], n: usize) -> Vec<String> {
    if frames.len() <= n || n < 2 {
        return frames.iter().take(n).cloned().collect();
    }
    let last = frames.len() - 1;
    (0..n).map(|i| frames[i * last / (n - 1)].clone()).collect()
}

/// How many liveness frames the detail shows.
pub const KEY_FRAMES: usize = 4;

/// The header of an item in detail.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub masked_name: String,
    pub category_label: String,
    pub district_name: String,
    pub kind_label: String,
    /// The staff member who did it on the person's behalf (`""` if nobody).
    pub assisted_by: String,
    /// When it was submitted or recorded, local time.
    pub when: String,
    pub status: String,
    pub status_label: String,
    /// The reason of an earlier rejection.
    pub decision_reason: String,
}

/// A submission in detail.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionView {
    pub id: String,
    pub header: Header,
    pub rows: Vec<CompareRow>,
    pub has_last_year: bool,
    pub id_front_upload: String,
    pub id_back_upload: String,
    pub key_frames: Vec<String>,
    pub face_text: String,
    pub face_same: bool,
    pub special_population: bool,
    pub newspaper_upload: Option<String>,
}

impl SubmissionView {
    pub fn from_detail(d: &SubmissionDetail, tz: &FixedOffset) -> SubmissionView {
        let kind = if d.assisted_by_name.is_some() || d.assisted_by.is_some() {
            "assisted_submission"
        } else if d.special_population {
            "special_population"
        } else {
            "submission"
        };
        let mut kind_text = kind_label(kind).to_owned();
        if d.special_population && kind != "special_population" {
            kind_text.push_str(" · 特殊人群核验");
        }
        let (face_text, face_same) = face_match_text(d.face_match_score);
        SubmissionView {
            id: d.submission_id.clone(),
            header: Header {
                masked_name: mask_name(d.form.basic.name.as_deref().unwrap_or("")),
                category_label: d.category_label.clone(),
                district_name: district_name(&d.district),
                kind_label: kind_text,
                assisted_by: d.assisted_by_name.clone().unwrap_or_default(),
                when: local_time(&d.submitted_at, tz),
                status: d.status.clone(),
                status_label: status_label(&d.status).to_owned(),
                decision_reason: d.decision_reason.clone().unwrap_or_default(),
            },
            rows: compare(&d.form, d.last_year.as_ref(), &d.changed_fields),
            has_last_year: d.last_year.is_some(),
            id_front_upload: d.id_front_upload.clone(),
            id_back_upload: d.id_back_upload.clone(),
            key_frames: key_frames(&d.liveness_frames, KEY_FRAMES),
            face_text,
            face_same,
            special_population: d.special_population,
            newspaper_upload: d.newspaper_photo_upload.clone(),
        }
    }

    pub fn changed_count(&self) -> usize {
        self.rows.iter().filter(|r| r.changed).count()
    }
}

/// A label and its value (the facts of a confirmation or a death record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub label: String,
    pub value: String,
}

fn fact(label: &str, value: impl Into<String>) -> Fact {
    let value = value.into();
    Fact {
        label: label.to_owned(),
        value: if value.trim().is_empty() {
            EMPTY.to_owned()
        } else {
            value
        },
    }
}

/// A staff confirmation or a death record in detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordView {
    pub id: String,
    pub kind: DetailKind,
    pub header: Header,
    pub facts: Vec<Fact>,
    /// The photo: 本人手持身份证及当日报刊 (confirmation) or the death evidence.
    pub photo_upload: Option<String>,
    pub photo_label: String,
}

impl RecordView {
    pub fn from_confirmation(c: &ConfirmationDetail, tz: &FixedOffset) -> RecordView {
        RecordView {
            id: c.confirmation_id.clone(),
            kind: DetailKind::Confirmation,
            header: Header {
                masked_name: c.masked_name.clone(),
                category_label: c.category_label.clone(),
                district_name: district_name(&c.district),
                kind_label: c.kind_label.clone(),
                assisted_by: c.staff_name.clone(),
                when: local_time(&c.recorded_at, tz),
                status: c.status.clone(),
                status_label: status_label(&c.status).to_owned(),
                decision_reason: c.decision_reason.clone().unwrap_or_default(),
            },
            facts: vec![
                fact("确认类型", c.kind_label.clone()),
                fact("确认方式", c.method_label.clone()),
                fact("确认时间", local_time(&c.confirmed_at, tz)),
                fact("代办人(亲友)", c.delegate_name.clone().unwrap_or_default()),
                fact("情况说明", c.notes.clone().unwrap_or_default()),
                fact("经办工作人员", c.staff_name.clone()),
                fact("登记时间", local_time(&c.recorded_at, tz)),
            ],
            photo_upload: c.photo_upload.clone(),
            photo_label: "本人手持身份证及当日报刊照片".to_owned(),
        }
    }

    pub fn from_death(d: &DeathRecordDetail, tz: &FixedOffset) -> RecordView {
        RecordView {
            id: d.death_record_id.clone(),
            kind: DetailKind::Death,
            header: Header {
                masked_name: d.masked_name.clone(),
                category_label: d.category_label.clone(),
                district_name: district_name(&d.district),
                kind_label: kind_label("death").to_owned(),
                assisted_by: d.staff_name.clone(),
                when: local_time(&d.recorded_at, tz),
                status: d.status.clone(),
                status_label: status_label(&d.status).to_owned(),
                decision_reason: d.undo_reason.clone().unwrap_or_default(),
            },
            facts: vec![
                fact("死亡日期", d.died_on.clone()),
                fact("情况说明", d.notes.clone().unwrap_or_default()),
                fact("登记工作人员", d.staff_name.clone()),
                fact("登记时间", local_time(&d.recorded_at, tz)),
            ],
            photo_upload: Some(d.evidence_upload.clone()),
            photo_label: "死亡证明材料".to_owned(),
        }
    }
}

/// An item in detail.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    Submission(Box<SubmissionView>),
    Record(Box<RecordView>),
}

impl Detail {
    pub fn kind(&self) -> DetailKind {
        match self {
            Detail::Submission(_) => DetailKind::Submission,
            Detail::Record(r) => r.kind,
        }
    }

    pub fn header(&self) -> &Header {
        match self {
            Detail::Submission(s) => &s.header,
            Detail::Record(r) => &r.header,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Detail::Submission(s) => &s.id,
            Detail::Record(r) => &r.id,
        }
    }
}

/// Fetches an item in detail. An error is the message to show.
pub fn open(
    api: &HttpClient,
    token: &Token,
    kind: DetailKind,
    id: &str,
    tz: &FixedOffset,
) -> Result<Detail, String> {
    let msg = |e: ApiError| e.message();
    Ok(match kind {
        DetailKind::Submission => {
            let d = api.submission(token, id).map_err(msg)?;
            Detail::Submission(Box::new(SubmissionView::from_detail(&d, tz)))
        }
        DetailKind::Confirmation => {
            let c = api.confirmation(token, id).map_err(msg)?;
            Detail::Record(Box::new(RecordView::from_confirmation(&c, tz)))
        }
        DetailKind::Death => {
            let d = api.death_record(token, id).map_err(msg)?;
            Detail::Record(Box::new(RecordView::from_death(&d, tz)))
        }
    })
}

/// The common reasons for 不通过 offered for an item of this kind, in the manuals' words where
/// they have them (seed 001: 不清晰, 人脸核验与证件比对不一致, 当日当地报纸, 本人手持身份证及当日
/// 报刊(或手写日期)的免冠照片). Empty for a death record (it cannot be rejected).
pub fn common_reasons(kind: DetailKind, special_population: bool) -> Vec<&'static str> {
    let mut reasons = Vec::new();
    match kind {
        DetailKind::Submission => {
            reasons.extend([
                "身份证照片不清晰,请重新上传",
                "身份证照片与本人信息不符",
                "人脸核验与证件比对不一致",
                "填报信息与上年不一致且无说明",
                "填报信息不完整或有误,请核对后重新填写",
            ]);
            if special_population {
                reasons.extend(["报纸不是当日当地报纸", "照片中未见本人手持当日报纸"]);
            }
        }
        DetailKind::Confirmation => reasons.extend([
            "未提供本人手持身份证及当日报刊(或手写日期)的免冠照片",
            "照片不清晰,无法核实本人身份",
            "报刊日期不是确认当日",
            "确认情况说明不完整",
        ]),
        DetailKind::Death => {}
    }
    reasons
}

/// The request for a decision: approve, or reject with the chosen common reason and/or the
/// written one (both: joined with `;`). A rejection without a reason is refused with a field
/// error on `reason`, before anything is sent.
pub fn decision_request(
    approve: bool,
    chosen: &str,
    written: &str,
) -> Result<DecisionRequest, FieldError> {
    if approve {
        return Ok(DecisionRequest {
            decision: "approve".to_owned(),
            reason: None,
        });
    }
    let (chosen, written) = (chosen.trim(), written.trim());
    let text = match (chosen.is_empty(), written.is_empty()) {
        (true, true) => {
            return Err(FieldError::new(
                "reason",
                "reason_required",
                "请选择或填写不通过原因",
            ))
        }
        (false, true) => chosen.to_owned(),
        (true, false) => written.to_owned(),
        (false, false) => format!("{chosen};{written}"),
    };
    let reason =
        Reason::parse(&text).map_err(|e| FieldError::new("reason", e.code(), e.message()))?;
    Ok(DecisionRequest {
        decision: "reject".to_owned(),
        reason: Some(reason.as_str().to_owned()),
    })
}

/// What a decision came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecideOutcome {
    /// Decided: the new status and the message to show.
    Done { status: String, message: String },
    /// The reason was refused (by the app or the server).
    ReasonError(String),
    /// Anything else (network, decided by someone else meanwhile, …).
    Failed(String),
}

/// Sends a decision on an item.
pub fn decide(
    api: &HttpClient,
    token: &Token,
    kind: DetailKind,
    id: &str,
    approve: bool,
    chosen: &str,
    written: &str,
) -> DecideOutcome {
    if !approve && !kind.can_reject() {
        return DecideOutcome::Failed("死亡登记有误的,请联系管理员撤销".to_owned());
    }
    let req = match decision_request(approve, chosen, written) {
        Ok(r) => r,
        Err(e) => return DecideOutcome::ReasonError(e.message),
    };
    let result = match kind {
        DetailKind::Submission => api.decide_submission(token, id, &req),
        DetailKind::Confirmation => api.decide_confirmation(token, id, &req),
        DetailKind::Death => api.decide_death(token, id, &req),
    };
    match result {
        Ok(r) => {
            let message = if r.status == "approved" {
                "已审核通过"
            } else {
                "已审核不通过,原因已告知本人"
            };
            DecideOutcome::Done {
                status: r.status,
                message: message.to_owned(),
            }
        }
        Err(e) => match e
            .problem()
            .and_then(|p| p.errors.iter().find(|f| f.field == "reason"))
        {
            Some(f) => DecideOutcome::ReasonError(f.message.clone()),
            None => DecideOutcome::Failed(e.message()),
        },
    }
}

/// An uploaded image, decoded and scaled down to fit `max` × `max` pixels (aspect kept);
/// `None` if the bytes are not a JPEG or PNG that decodes.
pub fn thumbnail(bytes: &[u8], max: u32) -> Option<image::RgbaImage> {
    let img = image::load_from_memory(bytes).ok()?;
    let img = if img.width() > max || img.height() > max {
        img.thumbnail(max, max)
    } else {
        img
    };
    Some(img.to_rgba8())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    fn form() -> ReviewFormDraft {
        let mut d = ReviewFormDraft::default();
        d.basic.name = Some("陈松".into());
        d.basic.id_number = Some("11010519491231002X".into());
        d.basic.political_status = Some("party_member".into());
        d.basic.phone = Some("13300001234".into());
        d.basic.residence_region = Some("110101".into());
        d.basic.residence_address = Some("东城区某街道1号".into());
        d.party.is_member = Some(true);
        d.party.branch = Some("第一支部".into());
        d.rewards.rewarded = Some(false);
        d
    }

    #[test]
    fn comparison_marks_what_changed_and_masks_identity() {
        let last = form();
        let mut now = form();
        now.basic.residence_address = Some("东城区某街道2号".into());
        now.basic.phone = Some("13300005678".into());
        now.rewards.rewarded = Some(true);
        now.rewards.award_name = Some("三等功".into());
        let rows = compare(&now, Some(&last), &[]);
        let changed: Vec<&str> = rows
            .iter()
            .filter(|r| r.changed)
            .map(|r| r.key.as_str())
            .collect();
        assert_eq!(
            changed,
            [
                "basic.phone",
                "basic.residence_address",
                "rewards.rewarded",
                "rewards.award_name"
            ]
        );
        let addr = rows
            .iter()
            .find(|r| r.key == "basic.residence_address")
            .unwrap();
        assert_eq!(
            (
                addr.label.as_str(),
                addr.this_year.as_str(),
                addr.last_year.as_str()
            ),
            ("现住地具体地址", "东城区某街道2号", "东城区某街道1号")
        );
        // Codes are shown as the wizard shows them.
        let ps = rows
            .iter()
            .find(|r| r.key == "basic.political_status")
            .unwrap();
        assert_eq!(ps.this_year, "中共党员");
        let region = rows
            .iter()
            .find(|r| r.key == "basic.residence_region")
            .unwrap();
        assert_eq!(region.this_year, "北京市/东城区");
        // A field that applies only this year: last year's side is empty.
        let award = rows.iter().find(|r| r.key == "rewards.award_name").unwrap();
        assert_eq!(award.last_year, EMPTY);
        assert_eq!(award.section, "奖惩情况");
        // Identity masked, unchanged.
        let name = rows.iter().find(|r| r.key == "basic.name").unwrap();
        assert_eq!((name.this_year.as_str(), name.changed), ("**松", false));
        let id = rows.iter().find(|r| r.key == "basic.id_number").unwrap();
        assert_eq!(id.this_year, "110105********002X");
        // Photos are not rows; fields that apply in neither year are left out.
        assert!(!rows.iter().any(|r| r.key.ends_with("_photo")));
        assert!(!rows
            .iter()
            .any(|r| r.key == "rewards.party_discipline_details"));
    }

    #[test]
    fn the_servers_changed_fields_are_marked_too_and_no_last_year_marks_nothing() {
        let rows = compare(&form(), Some(&form()), &["party.branch".to_owned()]);
        let marked: Vec<&str> = rows
            .iter()
            .filter(|r| r.changed)
            .map(|r| r.key.as_str())
            .collect();
        assert_eq!(marked, ["party.branch"]);
        let rows = compare(&form(), None, &[]);
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|r| !r.changed && r.last_year == EMPTY));
        // A member's party rows appear when either year has them.
        let mut not_member = form();
        not_member.party.is_member = Some(false);
        not_member.party.branch = None;
        let rows = compare(&not_member, Some(&form()), &[]);
        let branch = rows.iter().find(|r| r.key == "party.branch").unwrap();
        assert!(branch.changed);
        assert_eq!(
            (branch.this_year.as_str(), branch.last_year.as_str()),
            (EMPTY, "第一支部")
        );
    }

    #[test]
    fn an_amount_written_another_way_is_not_a_change() {
        let mut last = form();
        last.party.is_member = Some(true);
        last.party.dues_paid = Some("200".into());
        let mut now = last.clone();
        now.party.dues_paid = Some("200.00".into());
        let row = |rows: Vec<CompareRow>| {
            rows.into_iter()
                .find(|r| r.key == "party.dues_paid")
                .unwrap()
        };
        assert!(!row(compare(&now, Some(&last), &[])).changed);
        now.party.dues_paid = Some("200.5".into());
        assert!(row(compare(&now, Some(&last), &[])).changed);
    }

    #[test]
    fn face_match_text_uses_the_models_threshold() {
        let t = models::MATCH_THRESHOLD;
        let (text, same) = face_match_text(Some(t + 0.22));
        assert!(same);
        assert_eq!(
            text,
            format!("相似度 {:.2}(阈值 {t:.2},判定为本人)", t + 0.22)
        );
        let (text, same) = face_match_text(Some(t - 0.01));
        assert!(!same);
        assert!(text.ends_with("判定为非本人)"), "{text}");
        let (text, same) = face_match_text(None);
        assert!(!same && text.contains("无人脸比对结果"));
        assert!(!face_match_text(Some(f32::NAN)).1);
    }

    #[test]
    fn key_frames_spread_from_first_to_last() {
        let frames: Vec<String> = (0..10).map(|i| format!("f{i}")).collect();
        assert_eq!(key_frames(&frames, 4), ["f0", "f3", "f6", "f9"]);
        assert_eq!(key_frames(&frames[..3], 4), ["f0", "f1", "f2"]);
        assert!(key_frames(&[], 4).is_empty());
    }

    #[test]
    fn rejection_needs_a_reason_chosen_or_written() {
        let e = decision_request(false, "", "  ").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.code.as_str()),
            ("reason", "reason_required")
        );
        assert_eq!(e.message, "请选择或填写不通过原因");
        let r = decision_request(false, "身份证照片不清晰,请重新上传", "").unwrap();
        assert_eq!(
            (r.decision.as_str(), r.reason.as_deref()),
            ("reject", Some("身份证照片不清晰,请重新上传"))
        );
        let r = decision_request(false, "", " 地址写错了 ").unwrap();
        assert_eq!(r.reason.as_deref(), Some("地址写错了"));
        let r = decision_request(false, "人脸核验与证件比对不一致", "请到服务站").unwrap();
        assert_eq!(
            r.reason.as_deref(),
            Some("人脸核验与证件比对不一致;请到服务站")
        );
        let long = "长".repeat(Reason::MAX_CHARS + 1);
        assert_eq!(
            decision_request(false, "", &long).unwrap_err().code,
            "reason_too_long"
        );
        let ok = decision_request(true, "", "").unwrap();
        assert_eq!((ok.decision.as_str(), ok.reason), ("approve", None));
    }

    #[test]
    fn reasons_per_kind_and_deaths_cannot_be_rejected() {
        assert!(common_reasons(DetailKind::Death, false).is_empty());
        let plain = common_reasons(DetailKind::Submission, false);
        assert!(plain.contains(&"人脸核验与证件比对不一致"));
        assert!(!plain.iter().any(|r| r.contains("报纸")));
        let special = common_reasons(DetailKind::Submission, true);
        assert!(special.iter().any(|r| r.contains("当日当地报纸")));
        assert!(common_reasons(DetailKind::Confirmation, false)
            .iter()
            .any(|r| r.contains("手持身份证及当日报刊")));
        for r in plain.iter().chain(&special) {
            assert!(Reason::parse(r).is_ok(), "{r}");
        }
    }

    #[test]
    fn labels_times_and_masks() {
        assert_eq!(kind_label("assisted_submission"), "工作人员代办");
        assert_eq!(kind_label("death"), "死亡核减");
        assert_eq!(kind_label("submission"), "本人提交");
        assert_eq!(district_name("110101"), "北京市东城区");
        assert_eq!(district_name("999999"), "999999");
        assert_eq!(
            local_time("2026-02-01T02:15:00Z", &tz()),
            "2026-02-01 10:15"
        );
        assert_eq!(local_time("yesterday", &tz()), "yesterday");
        assert_eq!(mask_name("陈松"), "**松");
        assert_eq!(mask_id("110101196203150012"), "110101********0012");
        assert_eq!(mask_id("123"), "***");
        assert_eq!(Filter::from_index(2), Filter::Rejected);
        assert_eq!(Filter::from_index(-1), Filter::Pending);
        assert!(is_pending("special_check_pending") && !is_pending("approved"));
    }

    fn item(id: &str, at: &str, kind: &str) -> QueueItem {
        QueueItem {
            submission_id: id.into(),
            status: "submitted".into(),
            submitted_at: at.into(),
            year: 2026,
            category: "self_employed_officer".into(),
            category_label: "自主择业军转干部".into(),
            district: "110101".into(),
            masked_name: "**松".into(),
            kind: kind.into(),
        }
    }

    /// Two pages for `submitted` and one item `resubmitted`, as the server pages them (the
    /// pages themselves are the real server's in the reviewer UI test).
    fn page(status: &str, page: u32) -> ReviewQueue {
        let items = match (status, page) {
            ("submitted", 1) => vec![item("a", "2026-02-01T01:00:00Z", "submission")],
            ("submitted", 2) => vec![item("c", "2026-02-01T03:00:00Z", "death")],
            ("resubmitted", 1) => {
                vec![item(
                    "b",
                    "2026-02-01T10:00:00+08:00",
                    "assisted_submission",
                )]
            }
            // Listed again under another status: shown once.
            ("special_check_pending", 1) => {
                vec![item("a", "2026-02-01T01:00:00Z", "submission")]
            }
            _ => vec![],
        };
        let total = match status {
            "submitted" => 2,
            _ => 1,
        };
        ReviewQueue {
            items,
            page,
            per_page: 1,
            total,
        }
    }

    #[test]
    fn the_pending_tab_reads_every_status_and_page_oldest_first() {
        let mut calls = Vec::new();
        let rows = read_queue(Filter::Pending, &tz(), |status, p| {
            calls.push((status.to_owned(), p));
            Ok(page(status, p))
        })
        .unwrap();
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"], "sorted by time across offsets");
        assert_eq!(rows[1].kind_label, "工作人员代办");
        assert_eq!(rows[0].submitted_at, "2026-02-01 09:00");
        assert_eq!(rows[0].district_name, "北京市东城区");
        assert_eq!(
            calls,
            [
                ("submitted".to_owned(), 1),
                ("submitted".to_owned(), 2),
                ("resubmitted".to_owned(), 1),
                ("special_check_pending".to_owned(), 1),
            ]
        );
    }

    #[test]
    fn a_rejection_without_a_reason_and_a_rejected_death_send_nothing() {
        // No server listens here: any request would fail as `Network`.
        let api = HttpClient::new("http://127.0.0.1:9").unwrap();
        let token = Token::new("t".to_owned());
        let out = decide(&api, &token, DetailKind::Submission, "a", false, "", "");
        assert_eq!(
            out,
            DecideOutcome::ReasonError("请选择或填写不通过原因".into())
        );
        let out = decide(&api, &token, DetailKind::Death, "c", false, "x", "");
        assert!(
            matches!(&out, DecideOutcome::Failed(m) if !m.contains("网络")),
            "refused on the tablet, not sent: {out:?}"
        );
    }

    #[test]
    fn thumbnails_fit_and_garbage_is_refused() {
        let mut png = Vec::new();
        image::RgbImage::from_pixel(800, 400, image::Rgb([1, 2, 3]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let t = thumbnail(&png, 200).unwrap();
        assert_eq!((t.width(), t.height()), (200, 100));
        assert!(thumbnail(b"not an image", 200).is_none());
    }
}
