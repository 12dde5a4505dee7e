//! The staff (工作人员) screens' logic, without a display: the people list of the tablet (search
//! by name or masked ID, sort by deadline or address, status and 待同步 markers), and the forms
//! for one person — 现场确认 / 远程确认 (seed 001 Ⅴ and Ⅶ), 死亡核减 (seed 001: 核减退出) and
//! 采集基准照片 (seed 001 Ⅳ, 无基准照片) — each checked with every field error at once.
//!
//! Why here: the `.slint` files only show values and raise callbacks; `ui/staff.rs` copies
//! values between this module and the screen, and turns a checked form into an operation of the
//! tablet's offline queue (`staff_queue`). Nothing here does I/O or reads the clock: "now" and
//! "today" are parameters, so every rule is testable.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use shared::api::staff::{ConfirmationKind, ConfirmationMethod, ConfirmationRequest};
use shared::error::FieldError;

pub use shared::api::staff::{StaffPersonDetail, StaffPersonItem};

/// The order of the people list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// Earliest deadline first (then by address).
    #[default]
    Deadline,
    /// By residence address, for planning home visits (unknown addresses last).
    Address,
}

impl SortBy {
    /// `deadline` / `address` (the screen's toggle values).
    pub fn parse(s: &str) -> SortBy {
        match s {
            "address" => SortBy::Address,
            _ => SortBy::Deadline,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::Deadline => "deadline",
            SortBy::Address => "address",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            SortBy::Deadline => "按截止日期",
            SortBy::Address => "按地址",
        }
    }
}

/// One line of the people list, as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub person_id: String,
    /// `**松  110101********0011`.
    pub title: String,
    /// `自主就业退役士兵 · 未年审 · 截止 2026-12-31`.
    pub detail: String,
    /// The residence address, or `地址未知`.
    pub address: String,
    /// `待同步 2 项` when work for this person waits in the tablet's queue, else empty.
    pub pending: String,
    /// Whether the person has no reference photo (无基准照片).
    pub no_reference: bool,
    /// Whether the review is still owed this year.
    pub owing: bool,
}

/// Whether `item` matches the search text: part of the full name (when the tablet holds it),
/// of the masked name, or of the masked ID number as the list shows it (`x` matches `X`).
/// Empty text matches everyone.
pub fn matches(item: &StaffPersonItem, full_name: Option<&str>, query: &str) -> bool {
    let q = query.trim();
    if q.is_empty() {
        return true;
    }
    let q_upper = q.to_uppercase();
    full_name.is_some_and(|n| n.contains(q))
        || item.masked_name.contains(q)
        || item.masked_id_number.to_uppercase().contains(&q_upper)
}

/// The list as shown: filtered by `query`, sorted by `sort`. `full_name` looks up the full name
/// the tablet cached for a person (search only; the list shows masked names); `pending` counts
/// the queued operations for a person.
pub fn list_view(
    people: &[StaffPersonItem],
    query: &str,
    sort: SortBy,
    full_name: impl Fn(&str) -> Option<String>,
    pending: impl Fn(&str) -> usize,
) -> Vec<ListRow> {
    let mut shown: Vec<&StaffPersonItem> = people
        .iter()
        .filter(|p| matches(p, full_name(&p.person_id).as_deref(), query))
        .collect();
    let addr = |p: &StaffPersonItem| p.address.clone().filter(|a| !a.trim().is_empty());
    match sort {
        SortBy::Deadline => shown.sort_by(|a, b| {
            (
                a.deadline.as_str(),
                addr(a).is_none(),
                addr(a),
                &a.person_id,
            )
                .cmp(&(
                    b.deadline.as_str(),
                    addr(b).is_none(),
                    addr(b),
                    &b.person_id,
                ))
        }),
        SortBy::Address => shown.sort_by(|a, b| {
            (
                addr(a).is_none(),
                addr(a),
                a.deadline.as_str(),
                &a.person_id,
            )
                .cmp(&(
                    addr(b).is_none(),
                    addr(b),
                    b.deadline.as_str(),
                    &b.person_id,
                ))
        }),
    }
    shown
        .into_iter()
        .map(|p| {
            let n = pending(&p.person_id);
            ListRow {
                person_id: p.person_id.clone(),
                title: format!("{}  {}", p.masked_name, p.masked_id_number),
                detail: format!(
                    "{} · {} · 截止 {}",
                    p.category_label, p.status_label, p.deadline
                ),
                address: addr(p).unwrap_or_else(|| "地址未知".into()),
                pending: pending_label(n),
                no_reference: !p.has_reference_photo,
                owing: p.owing,
            }
        })
        .collect()
}

/// `待同步 N 项`, or empty for nothing queued.
pub fn pending_label(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!("待同步 {n} 项")
    }
}

/// The sync line of the list: what waits, or that everything went out.
pub fn sync_status(pending: usize, conflicts: usize) -> String {
    let mut s = if pending == 0 {
        "已全部同步".to_owned()
    } else {
        pending_label(pending)
    };
    if conflicts > 0 {
        s.push_str(&format!(",{conflicts} 项冲突待处理"));
    }
    s
}

/// `上次更新:2026-11-24 09:30` from the RFC 3339 time of the last refresh, shown in `tz`.
pub fn refreshed_label(at: Option<&str>, tz: &FixedOffset) -> String {
    match at.and_then(|s| DateTime::parse_from_rfc3339(s).ok()) {
        Some(t) => format!("上次更新:{}", t.with_timezone(tz).format("%Y-%m-%d %H:%M")),
        None => "尚未下载名单,请联网后点击“更新名单”".into(),
    }
}

/// What the person panel shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonView {
    pub name: String,
    pub masked_id: String,
    pub category: String,
    pub status: String,
    pub deadline: String,
    pub address: String,
    pub no_reference: bool,
    /// `已登记死亡:2026-03-02` when recorded deceased, else empty.
    pub died: String,
    /// Whether a review may still be done for the person (not deceased, not already done).
    pub can_review: bool,
}

/// The person panel's values: the cached detail, with the list item's address.
pub fn person_view(d: &StaffPersonDetail, item: Option<&StaffPersonItem>) -> PersonView {
    let address = item
        .and_then(|i| i.address.clone())
        .or_else(|| {
            d.draft
                .as_ref()
                .or(d.prefill.as_ref())
                .and_then(|f| f.basic.residence_address.clone())
        })
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| "地址未知".into());
    PersonView {
        name: d.name.clone(),
        masked_id: d.masked_id_number.clone(),
        category: d.category_label.clone(),
        status: d.status_label.clone(),
        deadline: format!("{} 至 {}", d.opens, d.deadline),
        address,
        no_reference: !d.has_reference_photo,
        died: d
            .died_on
            .as_ref()
            .map(|x| format!("已登记死亡:{x}"))
            .unwrap_or_default(),
        can_review: d.died_on.is_none()
            && matches!(
                d.status.as_str(),
                "not_started" | "draft" | "rejected" | "overdue" | "suspended"
            ),
    }
}

/// Longest 备注 (characters).
pub const MAX_NOTES: usize = 500;
/// Longest 代办人/参与人 name (characters).
pub const MAX_DELEGATE: usize = 30;

/// The labels of the two confirmation kinds, in order (现场确认, 远程确认).
pub fn kind_labels() -> Vec<String> {
    ConfirmationKind::ALL
        .iter()
        .map(|k| k.label_zh().to_owned())
        .collect()
}

/// A kind from its label (or its code).
pub fn kind_of(label: &str) -> Option<ConfirmationKind> {
    ConfirmationKind::ALL
        .into_iter()
        .find(|k| k.label_zh() == label || k.as_str() == label)
}

/// The methods that fit `kind`, as labels (e.g. 服务中心(站)现场办理, 上门核验).
pub fn method_labels(kind: ConfirmationKind) -> Vec<String> {
    kind.methods()
        .iter()
        .map(|m| m.label_zh().to_owned())
        .collect()
}

/// What the photo of a confirmation shows (seed 001 Ⅶ).
pub const CONFIRM_PHOTO_HINT: &str = "本人手持身份证及当日报刊(或手写日期)的免冠照片";

/// The 现场确认 / 远程确认 form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfirmationForm {
    /// 现场确认 / 远程确认.
    pub kind: String,
    /// A method label of the kind.
    pub method: String,
    /// `YYYY-MM-DD HH:MM`, local time.
    pub confirmed_at: String,
    pub delegate_name: String,
    pub notes: String,
    /// Whether a photo was chosen.
    pub has_photo: bool,
}

impl ConfirmationForm {
    /// A new form of `kind`: its first method, the time `now`.
    pub fn new(kind: ConfirmationKind, now: DateTime<FixedOffset>) -> ConfirmationForm {
        ConfirmationForm {
            kind: kind.label_zh().into(),
            method: kind
                .methods()
                .first()
                .map(|m| m.label_zh().to_owned())
                .unwrap_or_default(),
            confirmed_at: now.format("%Y-%m-%d %H:%M").to_string(),
            ..ConfirmationForm::default()
        }
    }

    /// The kind changed: keep the method if it fits, else the kind's first one.
    pub fn set_kind(&mut self, label: &str) {
        if let Some(kind) = kind_of(label) {
            self.kind = kind.label_zh().into();
            if !method_labels(kind).contains(&self.method) {
                self.method = method_labels(kind).into_iter().next().unwrap_or_default();
            }
        }
    }

    /// Checks every field (all errors at once) and builds the request; `photo_upload` stays
    /// `None` — the queue fills it in when the photo is uploaded. `now` is the tablet's time;
    /// `year` the review year (a confirmation belongs to it).
    pub fn check(
        &self,
        now: DateTime<FixedOffset>,
        year: i32,
    ) -> Result<ConfirmationRequest, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = kind_of(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new(
                "kind",
                "required",
                "请选择确认类型(现场确认或远程确认)",
            ));
        }
        let method = kind.and_then(|k| {
            k.methods().iter().copied().find(|m: &ConfirmationMethod| {
                m.label_zh() == self.method || m.as_str() == self.method
            })
        });
        if kind.is_some() && method.is_none() {
            errors.push(FieldError::new("method", "required", "请选择确认方式"));
        }
        let at = match parse_local_time(&self.confirmed_at, now.offset()) {
            None if self.confirmed_at.trim().is_empty() => {
                errors.push(FieldError::new(
                    "confirmed_at",
                    "required",
                    "请填写确认时间",
                ));
                None
            }
            None => {
                errors.push(FieldError::new(
                    "confirmed_at",
                    "invalid_format",
                    "确认时间格式应为“2026-03-01 09:30”",
                ));
                None
            }
            Some(t) if t > now + chrono::Duration::minutes(1) => {
                errors.push(FieldError::new(
                    "confirmed_at",
                    "in_future",
                    "确认时间不能晚于当前时间",
                ));
                None
            }
            Some(t) if t.year() != year => {
                errors.push(FieldError::new(
                    "confirmed_at",
                    "out_of_year",
                    format!("确认时间须在{year}年度内"),
                ));
                None
            }
            Some(t) => Some(t),
        };
        let delegate = self.delegate_name.trim();
        if delegate.chars().count() > MAX_DELEGATE {
            errors.push(FieldError::new(
                "delegate_name",
                "too_long",
                format!("代办人姓名不能超过{MAX_DELEGATE}个字"),
            ));
        }
        let notes = self.notes.trim();
        if notes.chars().count() > MAX_NOTES {
            errors.push(FieldError::new(
                "notes",
                "too_long",
                format!("备注不能超过{MAX_NOTES}个字"),
            ));
        }
        if kind.is_some_and(ConfirmationKind::photo_required) && !self.has_photo {
            errors.push(FieldError::new(
                "photo",
                "required",
                format!("远程确认须上传{CONFIRM_PHOTO_HINT}"),
            ));
        }
        match (kind, method, at) {
            (Some(kind), Some(method), Some(at)) if errors.is_empty() => Ok(ConfirmationRequest {
                kind: kind.as_str().into(),
                method: method.as_str().into(),
                confirmed_at: at.to_rfc3339(),
                delegate_name: (!delegate.is_empty()).then(|| delegate.to_owned()),
                notes: (!notes.is_empty()).then(|| notes.to_owned()),
                photo_upload: None,
            }),
            _ => Err(errors),
        }
    }
}

/// `YYYY-MM-DD HH:MM` (or `YYYY-MM-DD`, or with `/`, or RFC 3339) in the offset `tz`.
pub fn parse_local_time(s: &str, tz: &FixedOffset) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    let s = s.replace('/', "-");
    let naive = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())
        .or_else(|| parse_day(&s).map(|d| d.and_time(NaiveTime::MIN)))?;
    tz.from_local_datetime(&naive).single()
}

/// A day as `YYYY-MM-DD`, `YYYY/MM/DD` or `YYYY年M月D日`.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

/// Shown before a death is recorded: it stops the person's payment.
pub const DEATH_WARNING: &str =
    "确认核减后,将登记该服务对象已死亡并停发相应待遇,记录提交审核人员核实。请确认信息无误。";

/// The 死亡核减 form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeathForm {
    /// 死亡日期, `YYYY-MM-DD`.
    pub died_on: String,
    pub notes: String,
    /// Whether an evidence photo (死亡证明 …) was chosen.
    pub has_evidence: bool,
}

/// A checked death record, before its photo is uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeathChecked {
    pub died_on: NaiveDate,
    pub notes: Option<String>,
}

impl DeathForm {
    /// Checks every field (all errors at once); `today` in the tablet's time zone.
    pub fn check(&self, today: NaiveDate) -> Result<DeathChecked, Vec<FieldError>> {
        let mut errors = Vec::new();
        let day = if self.died_on.trim().is_empty() {
            errors.push(FieldError::new("died_on", "required", "请填写死亡日期"));
            None
        } else {
            match parse_day(&self.died_on) {
                None => {
                    errors.push(FieldError::new(
                        "died_on",
                        "invalid_format",
                        "死亡日期格式应为“2026-03-01”",
                    ));
                    None
                }
                Some(d) if d > today => {
                    errors.push(FieldError::new(
                        "died_on",
                        "in_future",
                        "死亡日期不能晚于今天",
                    ));
                    None
                }
                Some(d) if d.year() < 1900 => {
                    errors.push(FieldError::new(
                        "died_on",
                        "invalid_date",
                        "死亡日期有误,请核对",
                    ));
                    None
                }
                Some(d) => Some(d),
            }
        };
        if !self.has_evidence {
            errors.push(FieldError::new(
                "evidence",
                "required",
                "请上传死亡证明等证明材料的照片",
            ));
        }
        let notes = self.notes.trim();
        if notes.chars().count() > MAX_NOTES {
            errors.push(FieldError::new(
                "notes",
                "too_long",
                format!("备注不能超过{MAX_NOTES}个字"),
            ));
        }
        match day {
            Some(died_on) if errors.is_empty() => Ok(DeathChecked {
                died_on,
                notes: (!notes.is_empty()).then(|| notes.to_owned()),
            }),
            _ => Err(errors),
        }
    }
}

/// What the person is told before a reference photo is taken (the consent text).
pub const REFERENCE_CONSENT: &str = "本人已知悉并同意:采集的基准照片仅用于年度登记审核的人脸比对。";

/// The 采集基准照片 form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferenceForm {
    pub consent: bool,
    pub has_photo: bool,
}

impl ReferenceForm {
    /// Every missing piece at once.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if !self.has_photo {
            errors.push(FieldError::new(
                "photo",
                "required",
                "请拍摄或选择本人正面免冠照片",
            ));
        }
        if !self.consent {
            errors.push(FieldError::new(
                "consent",
                "consent_required",
                "须经本人同意后才能采集基准照片,请勾选",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// The message of the error for `field` in `errors`, or empty.
pub fn error_for(errors: &[FieldError], field: &str) -> String {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.clone())
        .unwrap_or_default()
}

/// What the screen says after a piece of work was queued.
pub fn queued_message(what: &str) -> String {
    format!("{what}已保存在本机,待同步;联网后点击“同步”发送")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(
        id: &str,
        name: &str,
        masked_id: &str,
        deadline: &str,
        addr: Option<&str>,
    ) -> StaffPersonItem {
        StaffPersonItem {
            person_id: id.into(),
            masked_name: name.into(),
            masked_id_number: masked_id.into(),
            category: "self_employed_officer".into(),
            category_label: "自主就业退役士兵".into(),
            district: "110101".into(),
            status: "not_started".into(),
            status_label: "未年审".into(),
            deadline: deadline.into(),
            address: addr.map(str::to_owned),
            owing: true,
            has_reference_photo: id != "p3",
        }
    }

    fn people() -> Vec<StaffPersonItem> {
        vec![
            item(
                "p1",
                "*松",
                "110101********0011",
                "2026-12-31",
                Some("北京市东城区东四街道 3 号"),
            ),
            item(
                "p2",
                "*华",
                "11010X********001X",
                "2026-06-30",
                Some("北京市东城区安定门 9 号"),
            ),
            item("p3", "*明", "110102********0022", "2026-06-30", None),
        ]
    }

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-24T10:00:00+08:00").unwrap()
    }

    #[test]
    fn the_list_filters_by_name_or_masked_id_and_sorts_both_ways() {
        let names = |id: &str| match id {
            "p1" => Some("王松".to_owned()),
            "p2" => Some("李华".to_owned()),
            _ => None,
        };
        let none = |_: &str| 0;
        let ids = |rows: Vec<ListRow>| rows.into_iter().map(|r| r.person_id).collect::<Vec<_>>();
        let all = list_view(&people(), "", SortBy::Deadline, names, none);
        // Earliest deadline first; same deadline: a known address before an unknown one.
        assert_eq!(ids(all), ["p2", "p3", "p1"]);
        let by_addr = list_view(&people(), " ", SortBy::Address, names, none);
        // Known addresses in string order, the unknown one last.
        let mut expected = [
            ("p1", "北京市东城区东四街道 3 号"),
            ("p2", "北京市东城区安定门 9 号"),
        ];
        expected.sort_by(|a, b| a.1.cmp(b.1));
        let mut want: Vec<&str> = expected.iter().map(|e| e.0).collect();
        want.push("p3");
        assert_eq!(ids(by_addr), want);
        // By the full name the tablet holds, by the masked name, by part of the masked ID.
        assert_eq!(
            ids(list_view(&people(), "王", SortBy::Deadline, names, none)),
            ["p1"]
        );
        assert_eq!(
            ids(list_view(&people(), "*明", SortBy::Deadline, names, none)),
            ["p3"]
        );
        assert_eq!(
            ids(list_view(&people(), "0022", SortBy::Deadline, names, none)),
            ["p3"]
        );
        assert_eq!(
            ids(list_view(&people(), "001x", SortBy::Deadline, names, none)),
            ["p2"]
        );
        assert!(list_view(&people(), "赵", SortBy::Deadline, names, none).is_empty());
    }

    #[test]
    fn rows_carry_status_markers() {
        let rows = list_view(
            &people(),
            "",
            SortBy::Deadline,
            |_| None,
            |id| usize::from(id == "p1") * 2,
        );
        let p1 = rows.iter().find(|r| r.person_id == "p1").unwrap();
        assert_eq!(p1.pending, "待同步 2 项");
        assert_eq!(p1.title, "*松  110101********0011");
        assert!(p1.detail.contains("未年审") && p1.detail.contains("截止 2026-12-31"));
        let p3 = rows.iter().find(|r| r.person_id == "p3").unwrap();
        assert!(p3.no_reference);
        assert_eq!(p3.address, "地址未知");
        assert_eq!(p3.pending, "");
        assert_eq!(sync_status(0, 0), "已全部同步");
        assert_eq!(sync_status(2, 1), "待同步 2 项,1 项冲突待处理");
        let tz = FixedOffset::east_opt(8 * 3600).unwrap();
        assert_eq!(
            refreshed_label(Some("2026-11-24T01:30:00Z"), &tz),
            "上次更新:2026-11-24 09:30"
        );
    }

    #[test]
    fn confirmation_form_builds_the_request_or_all_errors() {
        let mut f = ConfirmationForm::new(ConfirmationKind::OnSite, now());
        assert_eq!(f.method, "服务中心(站)现场办理");
        assert_eq!(f.confirmed_at, "2026-11-24 10:00");
        f.method = "上门核验".into();
        f.delegate_name = " 王小明 ".into();
        let req = f.check(now(), 2026).unwrap();
        assert_eq!(req.kind, "on_site");
        assert_eq!(req.method, "home_visit");
        assert_eq!(req.confirmed_at, "2026-11-24T10:00:00+08:00");
        assert_eq!(req.delegate_name.as_deref(), Some("王小明"));
        assert_eq!(req.notes, None);
        assert_eq!(req.photo_upload, None);

        // Switching to 远程确认 swaps the method for one that fits; the photo is then required.
        f.set_kind("远程确认");
        assert_eq!(f.method, "视频通话");
        f.confirmed_at = "2026-11-25 09:00".into();
        f.notes = "很".repeat(MAX_NOTES + 1);
        let errors = f.check(now(), 2026).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["confirmed_at", "notes", "photo"]);
        assert_eq!(
            error_for(&errors, "confirmed_at"),
            "确认时间不能晚于当前时间"
        );
        assert!(error_for(&errors, "photo").contains("手持身份证及当日报刊"));

        f.notes = "亲属在中心,视频确认".into();
        f.has_photo = true;
        f.confirmed_at = "2026/11/24 08:15".into();
        let req = f.check(now(), 2026).unwrap();
        assert_eq!(
            (req.kind.as_str(), req.method.as_str()),
            ("remote", "video_call")
        );
        // A method of the other kind is refused; a bad time is a format error; last year too.
        f.method = "上门核验".into();
        f.confirmed_at = "昨天".into();
        let errors = f.check(now(), 2026).unwrap_err();
        assert_eq!(error_for(&errors, "method"), "请选择确认方式");
        assert!(error_for(&errors, "confirmed_at").contains("格式"));
        f.method = "电话".into();
        f.confirmed_at = "2025-12-30 10:00".into();
        assert_eq!(
            error_for(&f.check(now(), 2026).unwrap_err(), "confirmed_at"),
            "确认时间须在2026年度内"
        );
    }

    #[test]
    fn death_form_needs_a_past_date_and_evidence() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let empty = DeathForm::default().check(today).unwrap_err();
        assert_eq!(error_for(&empty, "died_on"), "请填写死亡日期");
        assert!(!error_for(&empty, "evidence").is_empty());
        let future = DeathForm {
            died_on: "2026-11-25".into(),
            has_evidence: true,
            ..DeathForm::default()
        };
        assert_eq!(
            error_for(&future.check(today).unwrap_err(), "died_on"),
            "死亡日期不能晚于今天"
        );
        let bad = DeathForm {
            died_on: "2026-02-30".into(),
            has_evidence: true,
            ..DeathForm::default()
        };
        assert!(error_for(&bad.check(today).unwrap_err(), "died_on").contains("格式"));
        let ok = DeathForm {
            died_on: "2026年3月2日".into(),
            notes: " 家属提供死亡证明 ".into(),
            has_evidence: true,
        };
        let checked = ok.check(today).unwrap();
        assert_eq!(
            checked.died_on,
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
        );
        assert_eq!(checked.notes.as_deref(), Some("家属提供死亡证明"));
        // Today itself is allowed.
        let today_ok = DeathForm {
            died_on: "2026-11-24".into(),
            has_evidence: true,
            ..DeathForm::default()
        };
        assert!(today_ok.check(today).is_ok());
    }

    #[test]
    fn reference_photo_needs_photo_and_consent() {
        let errors = ReferenceForm::default().check().unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(error_for(&errors, "consent").contains("勾选"));
        let no_consent = ReferenceForm {
            consent: false,
            has_photo: true,
        };
        assert_eq!(no_consent.check().unwrap_err()[0].field, "consent");
        assert!(ReferenceForm {
            consent: true,
            has_photo: true
        }
        .check()
        .is_ok());
    }

    #[test]
    fn person_view_offers_review_only_while_it_is_owed() {
        let mut d = StaffPersonDetail {
            person_id: "p1".into(),
            name: "王松".into(),
            masked_id_number: "110101********0011".into(),
            category: "self_employed_officer".into(),
            category_label: "自主就业退役士兵".into(),
            district: "110101".into(),
            year: 2026,
            status: "not_started".into(),
            status_label: "未年审".into(),
            status_changed_at: None,
            opens: "2026-01-01".into(),
            deadline: "2026-12-31".into(),
            prefill: None,
            draft: None,
            has_reference_photo: false,
            died_on: None,
            consequences: String::new(),
        };
        let v = person_view(&d, people().first());
        assert!(v.can_review && v.no_reference);
        assert_eq!(v.address, "北京市东城区东四街道 3 号");
        assert_eq!(v.deadline, "2026-01-01 至 2026-12-31");
        d.died_on = Some("2026-03-02".into());
        let v = person_view(&d, None);
        assert!(!v.can_review);
        assert_eq!(v.died, "已登记死亡:2026-03-02");
        assert_eq!(v.address, "地址未知");
    }
}
