//! The yearly rules of seed 001, per year and category: the review window (configured by an
//! administrator, else `Category::default_window`) and what happens to a person's payment when
//! the deadline passes (`Category::payment_status`).
//!
//! Payment status is **computed, not stored**: from the category's rule, the year's window and
//! announcement day, the person's review (the day of the submission that was approved) and the
//! clock. The only stored inputs are the ones that need history: the configured window and the
//! announcement day (table `review_windows`), the reviews and the submissions. So a late
//! approval, a changed window or a moved clock give the right answer without a batch job.

use chrono::{DateTime, Datelike, NaiveDate};
use shared::api::yearly::{SetReviewWindow, YearlyRule};
use shared::category::{Category, PaymentConsequence, PaymentStatus, ReviewWindow};
use shared::lifecycle::{ReviewEvent, ReviewStatus, StatusKind};

use crate::domain::{self, Fields};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{PaymentRow, Store, WindowRow};

/// Years an administrator may configure.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// One category's rules for one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearRules {
    pub year: i32,
    pub category: Category,
    pub window: ReviewWindow,
    /// 优抚对象: the announcement (公告) day; `None` for the other categories.
    pub announced_on: Option<NaiveDate>,
    /// Whether an administrator configured this year (else the defaults).
    pub configured: bool,
}

/// The default announcement day of 优抚对象: the day after the deadline (the office announces
/// who has not confirmed as soon as the window closes). Other categories: none.
pub fn default_announcement(category: Category, window: &ReviewWindow) -> Option<NaiveDate> {
    match category.overdue_consequence().payment {
        PaymentConsequence::SuspendAfterAnnouncement { .. } => window.deadline().succ_opt(),
        _ => None,
    }
}

/// The rules of `category` in `year`: the configured row, else the defaults.
pub async fn rules(store: &Store, category: Category, year: i32) -> ApiResult<YearRules> {
    let row = store
        .review_window_row(i64::from(year), category.as_str())
        .await?;
    match row {
        Some(row) => from_row(category, year, &row),
        None => default_rules(category, year),
    }
}

/// The review window of `category` in `year` (what `GET /api/v1/reviews/current` shows and
/// the deadline rules use).
pub async fn window(store: &Store, category: Category, year: i32) -> ApiResult<ReviewWindow> {
    Ok(rules(store, category, year).await?.window)
}

/// The rules of every category in `year`, in seed 001's order.
pub async fn all_rules(store: &Store, year: i32) -> ApiResult<Vec<YearRules>> {
    let rows = store.review_window_rows(i64::from(year)).await?;
    Category::ALL
        .into_iter()
        .map(|c| match rows.iter().find(|r| r.category == c.as_str()) {
            Some(row) => from_row(c, year, row),
            None => default_rules(c, year),
        })
        .collect()
}

/// This year's rules for every category, and today (China's date by the server's clock).
pub struct ThisYear {
    pub year: i32,
    pub today: NaiveDate,
    pub rules: Vec<YearRules>,
}

impl ThisYear {
    /// The rules of today's year.
    pub async fn now(st: &AppState) -> ApiResult<ThisYear> {
        let today = st.clock.today_cn();
        let year = today.year();
        let rules = all_rules(&st.store, year).await?;
        Ok(ThisYear { year, today, rules })
    }

    /// The rules of `category`.
    pub fn rules(&self, category: Category) -> ApiResult<&YearRules> {
        self.rules
            .iter()
            .find(|r| r.category == category)
            .ok_or_else(|| ApiError::internal("no rules for a category"))
    }
}

fn default_rules(category: Category, year: i32) -> ApiResult<YearRules> {
    let window = category
        .default_window(year)
        .ok_or_else(|| ApiError::internal("no review window for this year"))?;
    Ok(YearRules {
        year,
        category,
        window,
        announced_on: default_announcement(category, &window),
        configured: false,
    })
}

fn from_row(category: Category, year: i32, row: &WindowRow) -> ApiResult<YearRules> {
    let date = |s: &str| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|e| ApiError::internal(format!("stored review window: {e}")))
    };
    let window = ReviewWindow::new(date(&row.opens)?, date(&row.deadline)?)
        .map_err(|e| ApiError::internal(format!("stored review window: {e}")))?;
    let announced_on = match &row.announced_on {
        Some(a) => Some(date(a)?),
        None => default_announcement(category, &window),
    };
    Ok(YearRules {
        year,
        category,
        window,
        announced_on,
        configured: true,
    })
}

impl YearRules {
    /// The day payment stops for someone who has not completed the review by then, if the
    /// category has such a rule.
    pub fn payment_stops_on(&self) -> Option<NaiveDate> {
        match self.status(None, NaiveDate::MAX) {
            PaymentStatus::Suspended { since, .. } => Some(since),
            _ => None,
        }
    }

    /// `Category::payment_status` with this year's window and announcement.
    pub fn status(&self, completed_on: Option<NaiveDate>, today: NaiveDate) -> PaymentStatus {
        self.category
            .payment_status(&self.window, completed_on, self.announced_on, today)
    }

    /// The API view.
    pub fn to_api(&self) -> YearlyRule {
        YearlyRule {
            year: self.year,
            category: self.category.as_str().to_owned(),
            category_label: self.category.label_zh().to_owned(),
            opens: self.window.opens().to_string(),
            deadline: self.window.deadline().to_string(),
            announced_on: self.announced_on.map(|d| d.to_string()),
            payment_stops_on: self.payment_stops_on().map(|d| d.to_string()),
            back_pay: self.category.overdue_consequence().payment.back_pay(),
            configured: self.configured,
            consequences: self.category.overdue_consequence_zh().to_owned(),
        }
    }
}

/// A year from a path or query string: four digits in [`YEARS`]; a field error otherwise.
pub fn parse_year(fields: &mut Fields, s: Option<&str>) -> Option<i32> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        fields.push("year", "required", "请填写年度");
        return None;
    };
    match s.parse::<i32>() {
        Ok(y) if YEARS.contains(&y) => Some(y),
        _ => {
            fields.push("year", "year_invalid", "年度应为2000至2100之间的四位数字");
            None
        }
    }
}

/// Checks a requested window for `category` in `year`; every problem at once (422).
pub fn parse_window(
    year: Option<i32>,
    category: Option<Category>,
    req: &SetReviewWindow,
    mut fields: Fields,
) -> ApiResult<WindowRow> {
    let opens = fields.take(
        "opens",
        domain::parse_date(&req.opens, "required", "请填写开始日期"),
    );
    let deadline = fields.take(
        "deadline",
        domain::parse_date(&req.deadline, "required", "请填写截止日期"),
    );
    let announced_on = match req.announced_on.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(a) => fields.take(
            "announced_on",
            domain::parse_date(a, "required", "请填写公告日期"),
        ),
    };
    if let (Some(opens), Some(year)) = (opens, year) {
        if chrono::Datelike::year(&opens) != year {
            fields.push("opens", "window_opens_outside_year", "开始日期应在该年度内");
        }
    }
    let window = match (opens, deadline) {
        (Some(o), Some(d)) => fields.take("deadline", ReviewWindow::new(o, d)),
        _ => None,
    };
    if let (Some(category), Some(_)) = (category, announced_on) {
        if !matches!(
            category.overdue_consequence().payment,
            PaymentConsequence::SuspendAfterAnnouncement { .. }
        ) {
            fields.push(
                "announced_on",
                "announcement_not_applicable",
                "只有优抚对象需要填写公告日期",
            );
        }
    }
    if let (Some(w), Some(a)) = (window, announced_on) {
        if a <= w.deadline() {
            fields.push(
                "announced_on",
                "announcement_before_deadline",
                "公告日期应在截止日期之后",
            );
        }
    }
    fields.finish()?;
    let (Some(category), Some(window)) = (category, window) else {
        return Err(ApiError::internal("window checked without its parts"));
    };
    Ok(WindowRow {
        category: category.as_str().to_owned(),
        opens: window.opens().to_string(),
        deadline: window.deadline().to_string(),
        announced_on: announced_on.map(|d| d.to_string()),
    })
}

/// The review status as it stands on `today`: once the window has closed, a review that was
/// never submitted (not started, or a draft) is overdue (`ReviewEvent::DeadlinePassed`). A
/// rejected review is not: it was submitted, and the person is asked to correct it (补正),
/// whenever the decision came. Used by the veteran's, the staff's and the payment views alike.
pub fn effective_status(
    stored: &ReviewStatus,
    window: &ReviewWindow,
    today: NaiveDate,
) -> ReviewStatus {
    let never_submitted = matches!(stored, ReviewStatus::NotStarted | ReviewStatus::Draft);
    if never_submitted && window.is_past(today) {
        if let Ok(overdue) = stored.apply(ReviewEvent::DeadlinePassed) {
            return overdue;
        }
    }
    stored.clone()
}

/// The Chinese date (UTC+8) of a unix time.
fn date_cn(unix: i64) -> Option<NaiveDate> {
    DateTime::from_timestamp(unix + 8 * 3600, 0).map(|t| t.date_naive())
}

/// One line of the benefits office's export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonPayment {
    pub person_id: String,
    pub masked_name: String,
    pub category: Category,
    pub district: String,
    pub review_status: StatusKind,
    pub payment: PaymentStatus,
    /// The status's date (see [`since`]), if it has one.
    pub since: Option<NaiveDate>,
    /// For the office, in Chinese.
    pub note: String,
}

/// The date a payment status dates from: the completion day, the overdue/announcement/
/// suspension day, or the resumption day. `None` before and during the window.
pub fn since(status: &PaymentStatus) -> Option<NaiveDate> {
    match *status {
        PaymentStatus::NotYetOpen { .. } | PaymentStatus::Due { .. } => None,
        PaymentStatus::OnTime { completed_on } | PaymentStatus::CompletedLate { completed_on } => {
            Some(completed_on)
        }
        PaymentStatus::Overdue { since }
        | PaymentStatus::Announced { since, .. }
        | PaymentStatus::Suspended { since, .. } => Some(since),
        PaymentStatus::Resumed { resumed_on, .. } => Some(resumed_on),
    }
}

/// The stable snake_case code of a payment status (its serde tag).
pub fn payment_code(status: &PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::NotYetOpen { .. } => "not_yet_open",
        PaymentStatus::Due { .. } => "due",
        PaymentStatus::OnTime { .. } => "on_time",
        PaymentStatus::Overdue { .. } => "overdue",
        PaymentStatus::Announced { .. } => "announced",
        PaymentStatus::Suspended { .. } => "suspended",
        PaymentStatus::CompletedLate { .. } => "completed_late",
        PaymentStatus::Resumed { .. } => "resumed",
    }
}

/// The office's note for a status, in Chinese.
fn office_note(
    status: &PaymentStatus,
    review: &ReviewStatus,
    last_submitted: Option<NaiveDate>,
) -> String {
    let mut note = match *status {
        PaymentStatus::NotYetOpen { opens } => format!("年审尚未开始,{opens}开始"),
        PaymentStatus::Due { deadline } => format!("年审期内,截止日期{deadline}"),
        PaymentStatus::OnTime { .. } => "按时完成,正常发放".to_owned(),
        PaymentStatus::Overdue { .. } => "逾期未完成".to_owned(),
        PaymentStatus::Announced { suspends_on, .. } => {
            format!("逾期未确认,已公告;{suspends_on}起仍未确认的暂停发放")
        }
        PaymentStatus::Suspended {
            back_pay: false, ..
        } => "暂停发放;自重新确认之日起恢复发放,暂停期间不予补发".to_owned(),
        PaymentStatus::Suspended { back_pay: true, .. } => {
            "停发;完成登记后恢复发放,停发期间予以补发".to_owned()
        }
        PaymentStatus::CompletedLate { .. } => "逾期完成,未停发".to_owned(),
        PaymentStatus::Resumed {
            resumed_on,
            back_pay: false,
            ..
        } => {
            format!("{resumed_on}起恢复发放,暂停期间不予补发")
        }
        PaymentStatus::Resumed {
            resumed_on,
            back_pay: true,
            ..
        } => {
            format!("{resumed_on}起恢复发放,停发期间予以补发")
        }
    };
    if review.awaiting_review() {
        if let Some(d) = last_submitted {
            note = format!("{d}已提交,待审核;审核通过后按提交日期计。{note}");
        }
    } else if let ReviewStatus::Rejected { .. } = review {
        note = format!("审核未通过,待本人补正。{note}");
    } else if let ReviewStatus::Deceased { died_on, .. } = review {
        // A recorded death stops the payment, whatever the yearly rule says (核减退出).
        note = format!("已登记死亡(死亡日期{died_on}),停止发放");
    }
    note
}

/// A person's payment status on `today` under `rules` (of the person's category and the year).
pub fn person_payment(
    row: &PaymentRow,
    rules: &YearRules,
    today: NaiveDate,
) -> ApiResult<PersonPayment> {
    let stored = match &row.review_status {
        Some(s) => serde_json::from_str::<ReviewStatus>(s)
            .map_err(|e| ApiError::internal(format!("stored status: {e}")))?,
        None => ReviewStatus::NotStarted,
    };
    let review = effective_status(&stored, &rules.window, today);
    // Completed = the approved submission's day (seed 001: 自重新确认之日起恢复发放).
    let completed_on = match review.kind() {
        StatusKind::Approved => row.approved_submitted_at.and_then(date_cn),
        _ => None,
    };
    let payment = rules.status(completed_on, today);
    Ok(PersonPayment {
        person_id: row.person_id.clone(),
        masked_name: domain::mask_name(&row.name),
        category: rules.category,
        district: row.district.clone(),
        review_status: review.kind(),
        since: payment_stopped_by_death(&review).or_else(|| since(&payment)),
        note: office_note(&payment, &review, row.last_submitted_at.and_then(date_cn)),
        payment,
    })
}

/// Whether a recorded death stops the person's payments, and from when: a `Deceased` review
/// stops payment on the day of death, whatever the category's yearly rule says (核减退出).
/// `None` for any other status.
pub fn payment_stopped_by_death(status: &ReviewStatus) -> Option<NaiveDate> {
    match status {
        ReviewStatus::Deceased { died_on, .. } => Some(*died_on),
        _ => None,
    }
}

/// The CSV header (Chinese, for the benefits office's spreadsheet).
pub const CSV_HEADER: [&str; 8] = [
    "人员编号",
    "姓名",
    "服务对象类别",
    "所属地区",
    "年审状态",
    "发放状态",
    "起始日期",
    "说明",
];

/// The export as CSV: a UTF-8 byte-order mark (so spreadsheet programs read the Chinese right),
/// the header, one line per person. No ID numbers, no phones; names masked.
pub fn to_csv(lines: &[PersonPayment]) -> ApiResult<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(CSV_HEADER).map_err(ApiError::internal)?;
        for l in lines {
            let since = l.since.map(|d| d.to_string()).unwrap_or_default();
            w.write_record([
                l.person_id.as_str(),
                l.masked_name.as_str(),
                l.category.label_zh(),
                l.district.as_str(),
                l.review_status.as_str(),
                if l.review_status == StatusKind::Deceased {
                    "stopped_deceased"
                } else {
                    payment_code(&l.payment)
                },
                since.as_str(),
                l.note.as_str(),
            ])
            .map_err(ApiError::internal)?;
        }
        w.flush().map_err(ApiError::internal)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::category::ANNOUNCEMENT_DAYS;

    #[test]
    fn only_a_death_stops_payment_by_itself() {
        let d = NaiveDate::from_ymd_opt(2025, 2, 3).unwrap();
        let dead = ReviewStatus::NotStarted
            .apply(ReviewEvent::RecordDeath { died_on: d })
            .unwrap();
        assert_eq!(payment_stopped_by_death(&dead), Some(d));
        assert_eq!(payment_stopped_by_death(&ReviewStatus::Suspended), None);
    }

    #[test]
    fn deadline_makes_unsubmitted_reviews_overdue_only() {
        let window = Category::EntitledGroup.default_window(2025).unwrap();
        let inside = NaiveDate::from_ymd_opt(2025, 2, 1).unwrap();
        let after = NaiveDate::from_ymd_opt(2025, 4, 1).unwrap();
        assert_eq!(
            effective_status(&ReviewStatus::Draft, &window, inside),
            ReviewStatus::Draft
        );
        assert_eq!(
            effective_status(&ReviewStatus::Draft, &window, after),
            ReviewStatus::Overdue
        );
        assert_eq!(
            effective_status(&ReviewStatus::Submitted, &window, after),
            ReviewStatus::Submitted
        );
        let rejected = ReviewStatus::Rejected {
            reason: shared::lifecycle::Reason::parse("照片不清晰").unwrap(),
        };
        assert_eq!(effective_status(&rejected, &window, after), rejected);
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rules(category: Category) -> YearRules {
        default_rules(category, 2025).unwrap()
    }

    #[test]
    fn defaults_announce_entitled_groups_the_day_after_the_deadline() {
        let r = rules(Category::EntitledGroup);
        assert_eq!(r.announced_on, Some(d(2025, 4, 1)));
        assert_eq!(r.payment_stops_on(), Some(d(2025, 5, 31)));
        assert_eq!(
            rules(Category::SelfEmployedOfficer).payment_stops_on(),
            Some(d(2025, 4, 1))
        );
        assert_eq!(rules(Category::MilitaryRetiree).payment_stops_on(), None);
        assert_eq!(rules(Category::MilitaryRetiree).announced_on, None);
    }

    fn row(status: Option<&str>, approved: Option<i64>) -> PaymentRow {
        PaymentRow {
            person_id: "p1".into(),
            name: "王建国".into(),
            category: "entitled_group".into(),
            district: "110101".into(),
            review_status: status.map(str::to_owned),
            approved_submitted_at: approved,
            last_submitted_at: approved,
        }
    }

    #[test]
    fn entitled_group_is_suspended_sixty_days_after_the_announcement_and_resumed_without_back_pay()
    {
        let r = rules(Category::EntitledGroup);
        let before = person_payment(&row(None, None), &r, d(2025, 5, 30)).unwrap();
        assert_eq!(payment_code(&before.payment), "announced");
        assert_eq!(before.review_status, StatusKind::Overdue);
        let after = person_payment(&row(None, None), &r, d(2025, 5, 31)).unwrap();
        assert_eq!(
            after.payment,
            PaymentStatus::Suspended {
                since: d(2025, 5, 31),
                back_pay: false
            }
        );
        assert_eq!(after.masked_name, "**国");
        // Approved, from a submission of 2025-06-10 (10:00 Beijing = 02:00 UTC).
        let submitted = d(2025, 6, 10)
            .and_hms_opt(2, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        let approved = person_payment(
            &row(Some(r#"{"status":"approved"}"#), Some(submitted)),
            &r,
            d(2025, 6, 20),
        );
        let approved = approved.unwrap();
        assert_eq!(
            approved.payment,
            PaymentStatus::Resumed {
                suspended_since: d(2025, 5, 31),
                resumed_on: d(2025, 6, 10),
                back_pay: false
            }
        );
        assert_eq!(approved.since, Some(d(2025, 6, 10)));
    }

    #[test]
    fn windows_are_checked_all_at_once() {
        let bad = SetReviewWindow {
            opens: "2024-12-01".into(),
            deadline: "2024-11-01".into(),
            announced_on: Some("2024-10-01".into()),
        };
        let err = parse_window(
            Some(2025),
            Some(Category::MilitaryRetiree),
            &bad,
            Fields::new(),
        )
        .unwrap_err();
        let errors = match err {
            ApiError::Invalid(errors) => errors,
            other => panic!("{other:?}"),
        };
        let codes: Vec<_> = errors.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "window_opens_outside_year",
                "window_deadline_before_opening",
                "announcement_not_applicable"
            ]
        );
        let ok = SetReviewWindow {
            opens: "2025-02-01".into(),
            deadline: "2025-04-30".into(),
            announced_on: Some("2025-05-10".into()),
        };
        let row = parse_window(
            Some(2025),
            Some(Category::EntitledGroup),
            &ok,
            Fields::new(),
        )
        .unwrap();
        assert_eq!(row.deadline, "2025-04-30");
        assert_eq!(row.announced_on.as_deref(), Some("2025-05-10"));
    }

    #[test]
    fn csv_has_a_bom_a_header_and_quotes_commas() {
        let r = rules(Category::EntitledGroup);
        let mut line = person_payment(&row(None, None), &r, d(2025, 7, 1)).unwrap();
        line.note.push_str(",含逗号");
        let bytes = to_csv(&[line]).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let text = text.strip_prefix('\u{feff}').unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), CSV_HEADER.join(","));
        let l = lines.next().unwrap();
        assert!(
            l.starts_with("p1,**国,优抚对象,110101,overdue,suspended,2025-05-31,\""),
            "{l}"
        );
        assert_eq!(ANNOUNCEMENT_DAYS, 60);
    }
}
