//! Who is reviewed (服务对象), what their yearly review is called, when it is due, and what
//! happens to their payments when they miss it (seed 001, 逾期未确认的后果及恢复发放流程).
//!
//! - [`Category`]: the five subject categories, with their Chinese labels.
//! - [`ReviewKind`]: 年度登记审核 (four categories) or 年度确认 (优抚对象).
//! - [`ReviewWindow`]: the period in which a year's review must be done; the server configures
//!   it per year and category, [`Category::default_window`] gives the defaults.
//! - [`OverdueConsequence`]: seed 001's consequences of missing the deadline, as data.
//! - [`PaymentStatus`] / [`Category::payment_status`]: what applies to one person on one day.
//!
//! # Default review windows
//!
//! Seed 001 fixes only one window: 逐月领取退役金退役军人 are reviewed "每年1月至3月"
//! (退役军人部发〔2022〕43号). The other categories' deadlines are set locally (e.g. 自主择业军转干部
//! by the 安置地军转部门 under 国转联〔2015〕7号). Since the product expects most reviews in
//! January–March, every category defaults to **1 January – 31 March** of the review year;
//! a server overrides this per year with its own [`ReviewWindow`].

use std::fmt;

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::UserError;

/// A subject category (服务对象类别). Each has its own review kind, window and consequences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 军休干部 — retired military cadres.
    MilitaryRetiree,
    /// 自主择业军转干部 — transferred officers who chose their own employment.
    SelfEmployedOfficer,
    /// 逐月领取退役金退役军人 — veterans receiving monthly retirement pay.
    MonthlyPensionVeteran,
    /// 无军籍退休职工 — retired staff without military status.
    NonMilitaryRetiree,
    /// 优抚对象 — people receiving regular state pensions or subsidies (定期抚恤补助).
    EntitledGroup,
}

impl Category {
    /// Every category, in the order seed 001 lists them.
    pub const ALL: [Category; 5] = [
        Category::MilitaryRetiree,
        Category::SelfEmployedOfficer,
        Category::MonthlyPensionVeteran,
        Category::NonMilitaryRetiree,
        Category::EntitledGroup,
    ];

    /// The Chinese name shown to users, e.g. `自主择业军转干部`.
    pub fn label_zh(self) -> &'static str {
        match self {
            Category::MilitaryRetiree => "军休干部",
            Category::SelfEmployedOfficer => "自主择业军转干部",
            Category::MonthlyPensionVeteran => "逐月领取退役金退役军人",
            Category::NonMilitaryRetiree => "无军籍退休职工",
            Category::EntitledGroup => "优抚对象",
        }
    }

    /// The category with this Chinese name (surrounding whitespace ignored).
    pub fn from_label_zh(label: &str) -> Result<Category, CategoryError> {
        let label = label.trim();
        Category::ALL
            .into_iter()
            .find(|c| c.label_zh() == label)
            .ok_or(CategoryError::Unknown)
    }

    /// The stable snake_case name used in JSON, e.g. `self_employed_officer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::MilitaryRetiree => "military_retiree",
            Category::SelfEmployedOfficer => "self_employed_officer",
            Category::MonthlyPensionVeteran => "monthly_pension_veteran",
            Category::NonMilitaryRetiree => "non_military_retiree",
            Category::EntitledGroup => "entitled_group",
        }
    }

    /// The category with this snake_case name or Chinese label.
    pub fn parse(s: &str) -> Result<Category, CategoryError> {
        let s = s.trim();
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s || c.label_zh() == s)
            .ok_or(CategoryError::Unknown)
    }

    /// Which review this category does: 优抚对象 do 年度确认, everyone else 年度登记审核.
    pub fn review_kind(self) -> ReviewKind {
        match self {
            Category::EntitledGroup => ReviewKind::AnnualConfirmation,
            _ => ReviewKind::AnnualRegistration,
        }
    }

    /// Whether, after more than three failed face comparisons, this person may use the
    /// special-population check (特殊人群核验: a photo with today's newspaper, checked by a person).
    /// Seed 001 offers it to 军休干部 and 无军籍退休职工 only.
    pub fn special_population_check_allowed(self) -> bool {
        matches!(
            self,
            Category::MilitaryRetiree | Category::NonMilitaryRetiree
        )
    }

    /// The default review window for `year`: 1 January – 31 March for every category (see the
    /// module documentation for why). `None` only for years chrono cannot represent.
    pub fn default_window(self, year: i32) -> Option<ReviewWindow> {
        let opens = NaiveDate::from_ymd_opt(year, 1, 1)?;
        let deadline = NaiveDate::from_ymd_opt(year, 3, 31)?;
        ReviewWindow::new(opens, deadline).ok()
    }

    /// What happens when this category misses the deadline (seed 001).
    pub fn overdue_consequence(self) -> OverdueConsequence {
        match self {
            // "经公告60日后仍未确认的,将暂停发放抚恤补助金 … 自重新确认之日起恢复发放 … 不予补发"
            Category::EntitledGroup => OverdueConsequence {
                payment: PaymentConsequence::SuspendAfterAnnouncement {
                    announcement_days: ANNOUNCEMENT_DAYS,
                    back_pay: false,
                },
                other_benefits_may_be_affected: false,
            },
            // "从规定时限的次月起停发退役金。待其按要求完成登记后,停发期间的退役金予以补发"
            Category::SelfEmployedOfficer => OverdueConsequence {
                payment: PaymentConsequence::StopFromMonthAfterDeadline { back_pay: true },
                other_benefits_may_be_affected: true,
            },
            // "对年度登记审核未通过的,及时通知 … 补正有关信息"
            Category::MonthlyPensionVeteran => OverdueConsequence {
                payment: PaymentConsequence::NotifyToCorrect,
                other_benefits_may_be_affected: true,
            },
            // "军休干部 … 住房补贴、取暖费、体检费、医疗等待遇的发放与享受或将受到影响".
            // Seed 001 does not name 无军籍退休职工 here; they are served by the same 军休 service
            // institutions, so they are treated like 军休干部.
            Category::MilitaryRetiree | Category::NonMilitaryRetiree => OverdueConsequence {
                payment: PaymentConsequence::None,
                other_benefits_may_be_affected: true,
            },
        }
    }

    /// Seed 001's wording of the overdue consequence for this category, shown in the app.
    pub fn overdue_consequence_zh(self) -> &'static str {
        match self {
            Category::EntitledGroup => {
                "在规定期限内未完成确认且无法取得联系的,经公告60日后仍未确认的,将暂停发放抚恤补助金。\
                 需本人向退役军人服务中心(站)提交书面申请,经审批通过后,自重新确认之日起恢复发放。\
                 未按时参加年度确认而暂停发放的抚恤补助金,恢复发放后不予补发。"
            }
            Category::SelfEmployedOfficer => {
                "未经安置地军转部门同意,未按要求进行年度登记的,从规定时限的次月起停发退役金。\
                 待按要求完成登记后,停发期间的退役金予以补发。\
                 如未按时参加年度登记审核,住房补贴、取暖费、体检费、医疗等待遇的发放与享受或将受到影响。"
            }
            Category::MonthlyPensionVeteran => {
                "每年1月至3月进行年度登记审核。对年度登记审核通过的,按规定落实相关待遇;\
                 对年度登记审核未通过的,及时通知补正有关信息。\
                 如未按时参加年度登记审核,住房补贴、取暖费、体检费、医疗等待遇的发放与享受或将受到影响。"
            }
            Category::MilitaryRetiree | Category::NonMilitaryRetiree => {
                "如未按时参加年度登记审核,住房补贴、取暖费、体检费、医疗等待遇的发放与享受或将受到影响。"
            }
        }
    }

    /// What applies to a person of this category on `today`, given the year's `window`.
    ///
    /// - `completed_on`: the day the person completed this year's review (the submission that was
    ///   later approved), if they have.
    /// - `announced_on`: for 优抚对象, the day the office published the announcement (公告) of
    ///   people not confirmed; the 60 days run from it. Ignored for other categories.
    ///
    /// Completing on the deadline day counts as on time.
    pub fn payment_status(
        self,
        window: &ReviewWindow,
        completed_on: Option<NaiveDate>,
        announced_on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> PaymentStatus {
        let consequence = self.overdue_consequence().payment;
        // The day payments stopped, if they stopped (as seen on `day`, not yet completed).
        let suspended_since = |day: NaiveDate| -> Option<NaiveDate> {
            let since = match consequence {
                PaymentConsequence::SuspendAfterAnnouncement {
                    announcement_days, ..
                } => announced_on?.checked_add_days(Days::new(u64::from(announcement_days)))?,
                PaymentConsequence::StopFromMonthAfterDeadline { .. } => {
                    first_of_next_month(window.deadline)?
                }
                PaymentConsequence::NotifyToCorrect | PaymentConsequence::None => return None,
            };
            (since <= day).then_some(since)
        };
        if let Some(done) = completed_on.filter(|d| *d <= today) {
            if done <= window.deadline {
                return PaymentStatus::OnTime { completed_on: done };
            }
            return match suspended_since(done) {
                Some(since) => PaymentStatus::Resumed {
                    suspended_since: since,
                    resumed_on: done,
                    back_pay: consequence.back_pay(),
                },
                None => PaymentStatus::CompletedLate { completed_on: done },
            };
        }
        if today < window.opens {
            return PaymentStatus::NotYetOpen {
                opens: window.opens,
            };
        }
        if today <= window.deadline {
            return PaymentStatus::Due {
                deadline: window.deadline,
            };
        }
        if let Some(since) = suspended_since(today) {
            return PaymentStatus::Suspended {
                since,
                back_pay: consequence.back_pay(),
            };
        }
        if let PaymentConsequence::SuspendAfterAnnouncement {
            announcement_days, ..
        } = consequence
        {
            if let Some(announced) = announced_on.filter(|a| *a <= today) {
                if let Some(suspends_on) =
                    announced.checked_add_days(Days::new(u64::from(announcement_days)))
                {
                    return PaymentStatus::Announced {
                        since: announced,
                        suspends_on,
                    };
                }
            }
        }
        let overdue_since = window.deadline.succ_opt().unwrap_or(window.deadline);
        PaymentStatus::Overdue {
            since: overdue_since,
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// How long 优抚对象 not confirmed are announced before their payments are suspended (seed 001).
pub const ANNOUNCEMENT_DAYS: u32 = 60;

/// The first day of the month after `date` (自主择业: "从规定时限的次月起停发").
fn first_of_next_month(date: NaiveDate) -> Option<NaiveDate> {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
}

/// The name of a category's yearly review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// 年度登记审核 (军休干部, 自主择业军转干部, 逐月领取退役金退役军人, 无军籍退休职工).
    AnnualRegistration,
    /// 年度确认 (优抚对象).
    AnnualConfirmation,
}

impl ReviewKind {
    /// `年度登记审核` or `年度确认`.
    pub fn label_zh(self) -> &'static str {
        match self {
            ReviewKind::AnnualRegistration => "年度登记审核",
            ReviewKind::AnnualConfirmation => "年度确认",
        }
    }
}

/// The days in which a year's review must be done, both ends included.
///
/// Invariant: `opens <= deadline` (checked by [`ReviewWindow::new`] and on deserialisation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawWindow")]
pub struct ReviewWindow {
    opens: NaiveDate,
    deadline: NaiveDate,
}

#[derive(Deserialize)]
struct RawWindow {
    opens: NaiveDate,
    deadline: NaiveDate,
}

impl TryFrom<RawWindow> for ReviewWindow {
    type Error = WindowError;
    fn try_from(raw: RawWindow) -> Result<Self, Self::Error> {
        ReviewWindow::new(raw.opens, raw.deadline)
    }
}

impl ReviewWindow {
    /// A window from `opens` to `deadline`, both included.
    pub fn new(opens: NaiveDate, deadline: NaiveDate) -> Result<ReviewWindow, WindowError> {
        if deadline < opens {
            return Err(WindowError::DeadlineBeforeOpening);
        }
        Ok(ReviewWindow { opens, deadline })
    }

    /// The first day reviews are accepted.
    pub fn opens(&self) -> NaiveDate {
        self.opens
    }

    /// The last day a review counts as on time.
    pub fn deadline(&self) -> NaiveDate {
        self.deadline
    }

    /// Whether `date` lies in the window.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.opens <= date && date <= self.deadline
    }

    /// Whether the deadline has passed on `date`.
    pub fn is_past(&self, date: NaiveDate) -> bool {
        date > self.deadline
    }
}

/// A server-configured window that makes no sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("review window deadline before its opening day")]
    DeadlineBeforeOpening,
}

impl UserError for WindowError {
    fn code(&self) -> &'static str {
        match self {
            WindowError::DeadlineBeforeOpening => "window_deadline_before_opening",
        }
    }
    fn message(&self) -> String {
        match self {
            WindowError::DeadlineBeforeOpening => "截止日期不能早于开始日期".to_owned(),
        }
    }
}

/// An unknown category name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CategoryError {
    #[error("unknown subject category")]
    Unknown,
}

impl UserError for CategoryError {
    fn code(&self) -> &'static str {
        "category_unknown"
    }
    fn message(&self) -> String {
        "请选择服务对象类别".to_owned()
    }
}

/// Seed 001's consequences of missing a review deadline, for one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueConsequence {
    /// What happens to the category's main payment.
    pub payment: PaymentConsequence,
    /// Whether 住房补贴、取暖费、体检费、医疗等待遇 "may be affected" (the seed gives no rule).
    pub other_benefits_may_be_affected: bool,
}

/// What happens to the main payment (抚恤补助金 / 退役金) when the review is missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PaymentConsequence {
    /// No rule for the main payment.
    None,
    /// The person is notified to correct their information; benefits follow the regulation
    /// (逐月领取退役金退役军人).
    NotifyToCorrect,
    /// Announced (公告) for `announcement_days`; then suspended; resumed from the day of
    /// re-confirmation, with back pay only if `back_pay` (优抚对象: 60 days, no back pay).
    SuspendAfterAnnouncement {
        announcement_days: u32,
        back_pay: bool,
    },
    /// Stopped from the first day of the month after the deadline; resumed once registered,
    /// with the stopped months paid back if `back_pay` (自主择业军转干部: yes).
    StopFromMonthAfterDeadline { back_pay: bool },
}

impl PaymentConsequence {
    /// Whether payments missed while suspended are paid back on completion.
    pub fn back_pay(self) -> bool {
        match self {
            PaymentConsequence::SuspendAfterAnnouncement { back_pay, .. }
            | PaymentConsequence::StopFromMonthAfterDeadline { back_pay } => back_pay,
            PaymentConsequence::None | PaymentConsequence::NotifyToCorrect => false,
        }
    }
}

/// Where one person stands with this year's review and their payment, on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PaymentStatus {
    /// The window has not opened yet.
    NotYetOpen { opens: NaiveDate },
    /// The window is open and the review is not done yet.
    Due { deadline: NaiveDate },
    /// Done by the deadline.
    OnTime { completed_on: NaiveDate },
    /// The deadline passed; no payment has stopped (yet).
    Overdue { since: NaiveDate },
    /// 优抚对象 only: announced as not confirmed; payment stops on `suspends_on`.
    Announced {
        since: NaiveDate,
        suspends_on: NaiveDate,
    },
    /// Payment stopped on `since`; `back_pay` says whether it is paid back on completion.
    Suspended { since: NaiveDate, back_pay: bool },
    /// Done after the deadline, before any payment stopped.
    CompletedLate { completed_on: NaiveDate },
    /// Done after payment had stopped; payment resumes from `resumed_on`, and the months in
    /// between are paid back only if `back_pay`.
    Resumed {
        suspended_since: NaiveDate,
        resumed_on: NaiveDate,
        back_pay: bool,
    },
}

impl PaymentStatus {
    /// Whether the main payment is currently stopped.
    pub fn payment_stopped(&self) -> bool {
        matches!(self, PaymentStatus::Suspended { .. })
    }

    /// What the app shows the person, in Chinese.
    pub fn message_zh(&self, category: Category) -> String {
        let review = category.review_kind().label_zh();
        let payment = match category {
            Category::EntitledGroup => "抚恤补助金",
            _ => "退役金",
        };
        match *self {
            PaymentStatus::NotYetOpen { opens } => {
                format!("{review}将于{}开始", date_zh(opens))
            }
            PaymentStatus::Due { deadline } => {
                format!("请于{}前完成{review}", date_zh(deadline))
            }
            PaymentStatus::OnTime { .. } => format!("您已按时完成{review}"),
            PaymentStatus::Overdue { .. } => match category.overdue_consequence().payment {
                PaymentConsequence::NotifyToCorrect => {
                    format!("您未按时完成{review},请及时补正有关信息")
                }
                PaymentConsequence::StopFromMonthAfterDeadline { .. } => {
                    format!("您未按时完成{review},将从规定时限的次月起停发{payment}")
                }
                PaymentConsequence::SuspendAfterAnnouncement { announcement_days, .. } => format!(
                    "您未按时完成{review},经公告{announcement_days}日后仍未确认的,将暂停发放{payment}"
                ),
                PaymentConsequence::None => format!(
                    "您未按时完成{review},住房补贴、取暖费、体检费、医疗等待遇的发放与享受或将受到影响"
                ),
            },
            PaymentStatus::Announced { suspends_on, .. } => format!(
                "您未按时完成{review},已经公告,如在{}前仍未确认,将暂停发放{payment}",
                date_zh(suspends_on)
            ),
            PaymentStatus::Suspended { since, back_pay: true } => format!(
                "{payment}已自{}起停发。待您按要求完成登记后,停发期间的{payment}予以补发",
                date_zh(since)
            ),
            PaymentStatus::Suspended { since, back_pay: false } => format!(
                "{payment}已自{}起暂停发放。需本人向退役军人服务中心(站)提交书面申请,\
                 经审批通过后,自重新确认之日起恢复发放,暂停期间的{payment}不予补发",
                date_zh(since)
            ),
            PaymentStatus::CompletedLate { .. } => format!("您已完成{review}(逾期完成)"),
            PaymentStatus::Resumed { resumed_on, back_pay: true, .. } => format!(
                "您已完成{review},{payment}自{}起恢复发放,停发期间的{payment}予以补发",
                date_zh(resumed_on)
            ),
            PaymentStatus::Resumed { resumed_on, back_pay: false, .. } => format!(
                "您已完成{review},{payment}自{}起恢复发放,暂停期间的{payment}不予补发",
                date_zh(resumed_on)
            ),
        }
    }
}

/// `2025年3月31日`.
fn date_zh(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_of_next_month_rolls_over_the_year() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(first_of_next_month(d(2025, 3, 31)), Some(d(2025, 4, 1)));
        assert_eq!(first_of_next_month(d(2025, 12, 15)), Some(d(2026, 1, 1)));
        assert_eq!(first_of_next_month(d(2024, 2, 29)), Some(d(2024, 3, 1)));
    }
}
