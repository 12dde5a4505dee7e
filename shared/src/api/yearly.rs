//! The yearly rules per category (seed 001): each year's review window per category, as an
//! administrator configures it (`/api/v1/admin/review-windows`).
//!
//! Dates travel as `YYYY-MM-DD` strings, so a bad date is a field error (`date_invalid`), not a
//! malformed body.

use serde::{Deserialize, Serialize};

/// `PUT /api/v1/admin/review-windows/{year}/{category}`: set one category's window for a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetReviewWindow {
    /// First day reviews are accepted, `YYYY-MM-DD` (must lie in the year).
    pub opens: String,
    /// Last day a review counts as on time, `YYYY-MM-DD`, not before `opens`.
    pub deadline: String,
    /// 优抚对象 only: the day the 公告 of people not confirmed was (or will be) published, after
    /// the deadline; payment is suspended 60 days later. `None`: the day after the deadline.
    #[serde(default)]
    pub announced_on: Option<String>,
}

/// One category's rules for one year, as the server applies them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearlyRule {
    pub year: i32,
    /// `shared::category::Category` snake_case name.
    pub category: String,
    pub category_label: String,
    pub opens: String,
    pub deadline: String,
    /// 优抚对象: the announcement day; `None` for the other categories.
    pub announced_on: Option<String>,
    /// 优抚对象: the day payments of people still not confirmed are suspended; 自主择业军转干部:
    /// the first day of the month after the deadline; `None` where no payment stops.
    pub payment_stops_on: Option<String>,
    /// Whether back pay is due once the person completes the review late.
    pub back_pay: bool,
    /// `true` when an administrator set this year's window, `false` for the default.
    pub configured: bool,
    /// Seed 001's wording of what happens when the deadline passes.
    pub consequences: String,
}
