//! 首页: this year's review — its status, the deadline and what happens if it is missed.

use chrono::{Datelike, NaiveDate};
use shared::api::review::CurrentReview;
use shared::category::{Category, ReviewWindow};

use crate::api::Profile;

/// What 首页 shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeView {
    /// e.g. `您好,**松`.
    pub greeting: String,
    /// e.g. `2026年度 自主择业军转干部年审`.
    pub title: String,
    /// e.g. `未提交` / `草稿已保存,尚未提交`.
    pub status: String,
    /// e.g. `请于2026年3月31日前完成年审(还有58天)`.
    pub deadline: String,
    /// Seed 001's words for the person's category.
    pub consequence: String,
}

fn zh_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The year's window as the server gave it (an administrator may have set another than the
/// category's default), else the category's default.
fn window(
    category: Option<Category>,
    current: Option<&CurrentReview>,
    year: i32,
) -> Option<ReviewWindow> {
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let served = current
        .filter(|c| c.year == year)
        .and_then(|c| ReviewWindow::new(date(&c.opens)?, date(&c.deadline)?).ok());
    served.or_else(|| category?.default_window(year))
}

/// Builds 首页 for `profile` on `today`; `has_draft` when a local draft of this year exists;
/// `current` is this year's review from the server once it has been read (its window wins).
/// What a 个人用户's home says instead of a review.
pub const PERSON_STATUS: &str =
    "年度登记审核仅面向建档立卡的服务对象。您的实名认证状态可在“我的”中查看。";

/// Whether the account has an annual review at all (个人用户 do not).
pub fn has_review(profile: &Profile) -> bool {
    profile.role != shared::api::accounts::Role::Person
}

pub fn home_view(
    profile: &Profile,
    has_draft: bool,
    today: NaiveDate,
    current: Option<&CurrentReview>,
) -> HomeView {
    if profile.role == shared::api::accounts::Role::Person {
        // 个人用户 (spec S1) are outside the roster: the annual review is not theirs.
        return HomeView {
            greeting: format!("您好,{}", profile.masked_name),
            title: "个人用户".to_owned(),
            status: PERSON_STATUS.to_owned(),
            deadline: String::new(),
            consequence: String::new(),
        };
    }
    let category = profile
        .category
        .as_deref()
        .and_then(|c| Category::parse(c).ok());
    let year = today.year();
    let title = match category {
        Some(c) => format!("{year}年度 {}{}", c.label_zh(), c.review_kind().label_zh()),
        None => format!("{year}年度年审"),
    };
    let deadline = match window(category, current, year) {
        Some(w) if w.is_past(today) => format!("本年度年审已于{}截止", zh_date(w.deadline())),
        Some(w) if today < w.opens() => format!("本年度年审将于{}开始", zh_date(w.opens())),
        Some(w) => {
            let left = (w.deadline() - today).num_days();
            format!("请于{}前完成年审(还有{}天)", zh_date(w.deadline()), left)
        }
        None => String::new(),
    };
    HomeView {
        greeting: format!("您好,{}", profile.masked_name),
        title,
        status: if has_draft {
            "草稿已保存,尚未提交".to_owned()
        } else {
            "未提交".to_owned()
        },
        deadline,
        consequence: category
            .map(|c| c.overdue_consequence_zh().to_owned())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::api::accounts::Role;

    fn profile(category: Option<&str>) -> Profile {
        Profile {
            id: "u1".into(),
            role: Role::Veteran,
            masked_name: "**松".into(),
            masked_id_number: None,
            masked_phone: "133****1234".into(),
            category: category.map(str::to_owned),
            category_label: None,
            districts: vec![],
        }
    }

    #[test]
    fn deadline_counts_down_inside_the_window_and_says_when_it_closed() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let v = home_view(
            &profile(Some("self_employed_officer")),
            false,
            d(2, 1),
            None,
        );
        assert_eq!(v.title, "2026年度 自主择业军转干部年度登记审核");
        assert_eq!(v.deadline, "请于2026年3月31日前完成年审(还有58天)");
        assert!(v.consequence.contains("次月起停发退役金"));
        assert_eq!(v.status, "未提交");
        let v = home_view(&profile(Some("entitled_group")), true, d(4, 1), None);
        assert_eq!(v.deadline, "本年度年审已于2026年3月31日截止");
        assert_eq!(v.status, "草稿已保存,尚未提交");
        assert!(v.consequence.contains("60日"));
        let v = home_view(&profile(None), false, d(2, 1), None);
        assert_eq!(v.title, "2026年度年审");
        assert_eq!(v.greeting, "您好,**松");
    }

    #[test]
    fn a_person_outside_the_roster_has_no_review() {
        let mut p = profile(None);
        p.role = Role::Person;
        let v = home_view(
            &p,
            false,
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            None,
        );
        assert_eq!(v.title, "个人用户");
        assert_eq!(v.status, PERSON_STATUS);
        assert_eq!(v.deadline, "");
        assert!(!has_review(&p));
        assert!(has_review(&profile(None)));
    }

    #[test]
    fn the_servers_window_wins_over_the_default() {
        let current = CurrentReview {
            year: 2026,
            category: "entitled_group".into(),
            category_label: "优抚对象".into(),
            status: "not_started".into(),
            status_label: "未年审".into(),
            opens: "2026-01-01".into(),
            deadline: "2026-06-30".into(),
            prefill: None,
            draft: None,
            rejection_reason: None,
            consequences: String::new(),
        };
        let today = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
        let v = home_view(
            &profile(Some("entitled_group")),
            false,
            today,
            Some(&current),
        );
        assert_eq!(v.deadline, "请于2026年6月30日前完成年审(还有90天)");
        // Last year's answer does not count for this year.
        let old = CurrentReview {
            year: 2025,
            ..current
        };
        let v = home_view(&profile(Some("entitled_group")), false, today, Some(&old));
        assert_eq!(v.deadline, "本年度年审已于2026年3月31日截止");
    }
}
